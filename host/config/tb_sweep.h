/* MODEL.md section 9: the scenarios of a sweep, and the sensitivity of every metric to
 * every swept parameter. Scenario values depend only on the config (never on ranks). */
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

/* Sensitivity of C metrics (m [n, C] row-major) to J parameters (x [n, J]): [J, C] each.
 * NaN where undefined: a constant parameter or metric, too few scenarios for the
 * regression, or (elasticity) no neighbour on both sides of the centre or a zero centre. */
typedef struct {
  int J, C;
  double *spearman, *src, *elasticity; /* elasticity: oat sweeps only, else NULL */
  double *r2;                          /* [C] the regression's coefficient of determination */
} tb_sensitivity;

int tb_sensitivity_compute(int64_t n, int J, const double *x, int C, const double *m, int oat, tb_sensitivity *out);
void tb_sensitivity_free(tb_sensitivity *s);

/* Spearman's rank correlation (ties get their average rank); NaN if either side is constant. */
double tb_spearman(int64_t n, const double *x, int64_t sx, const double *y, int64_t sy);

#endif
