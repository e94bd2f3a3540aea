/* MODEL.md section 9: the scenarios of a sweep (the sensitivities are tb_sensitivity.h).
 * Scenario values depend only on the config (never on ranks). */
#ifndef TB_SWEEP_H
#define TB_SWEEP_H

#include "tb_config.h"

#include <stdint.h>

typedef struct {
  int64_t n;    /* scenarios of the whole sweep (every shard) */
  int J;        /* swept parameters, in config order */
  double *x;    /* [n, J] row-major: the value each scenario gives each parameter */
  int integer[TB_MAX_SWEEP];
} tb_sweep;

/* Grid: every combination, the last parameter fastest. One-at-a-time (oat): scenario 0 is
 * the centre (every parameter at its middle point), then each parameter's other points in
 * turn with the rest at the centre. Random and Latin hypercube: `samples` scenarios from
 * Philox keyed by sweep.seed. Integer keys are rounded to the nearest whole number. */
int tb_sweep_build(const tb_config *c, tb_sweep *S);
void tb_sweep_free(tb_sweep *S);
/* The base config with scenario i's values applied, as a plain run (sweep.method = none). */
int tb_sweep_scenario(const tb_config *base, const tb_sweep *S, int64_t i, tb_config *out);
/* Shard `shard` of `shards`: scenarios [lo, hi), a block distribution. */
void tb_sweep_shard(int64_t n, int64_t shard, int64_t shards, int64_t *lo, int64_t *hi);

#endif
