/* Run configuration: INI file (inih) plus --set overrides; every key is
 * declared once in a table (tb_config.c) that drives parsing, checks and dumping. */
#ifndef TB_CONFIG_H
#define TB_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "tb_deal_math.h"
#include "tb_policy.h"
#include "tb_util.h" /* TB_PATH_MAX */

/* The resolved config text: stored as one HDF5 attribute, which the default object header caps at 64 KiB. */
#define TB_CONFIG_TEXT_MAX 65536

#define TB_MAX_POLICIES 16

#define TB_MAX_SWEEP 32
#define TB_MAX_SWEEP_VALUES 64
enum { TB_SWEEP_NONE = 0, TB_SWEEP_GRID = 1, TB_SWEEP_OAT = 2, TB_SWEEP_LHS = 3, TB_SWEEP_RANDOM = 4 };

/* One swept parameter of MODEL.md section 9, from `[sweep] section.key = lo:hi` or `= v1, v2, ...`. */
typedef struct {
  char key[128];   /* a numeric config key, e.g. market.elasticity or policy.tariff10.rate */
  int is_range;    /* 1: [lo, hi]; 0: the listed values */
  double lo, hi;
  int nvalues;
  double values[TB_MAX_SWEEP_VALUES];
} tb_sweep_param;

typedef struct {
  char input_file[TB_PATH_MAX];
  char output_file[TB_PATH_MAX];
  int overwrite;
  tb_deal_params deal;
  int64_t batch_deals;
  double memory_limit;             /* GB per rank; 0: 90% of the node's available memory over its ranks */
  double device_memory_limit;      /* GB of GPU memory per rank; 0: 90% of the device's free memory over its ranks */
  int progress; /* 0 auto, 1 always, 2 never */
  int spill;    /* 0 auto (when the memory plan needs it), 1 always, 2 never */
  char scratch_dir[TB_PATH_MAX]; /* spill files; "": $TMPDIR, else /tmp */
  int backend_kind;
  int threads;
  double margin_of_safety;         /* sections 4 and 8 */
  double budget, theta;            /* section 4 */
  double elasticity;               /* section 5: epsilon of base import demand */
  double alpha, net_tol;           /* section 6 */
  int64_t net_max_iter;
  double substitution;             /* section 7: phi, share of imports domestic output would replace */
  double w_gdp, w_jobs, w_balance, w_surplus; /* section 8 level weights */
  int64_t draws, seed;             /* section 8: K Monte Carlo draws (0: deterministic only) */
  double sigma_p, sigma_r, sigma_e; /* section 8: noise of probabilities, discount rates, epsilon */
  char ckpt_dir[TB_PATH_MAX];      /* [checkpoint]: "" is OUTPUT.ckpt */
  double ckpt_every, walltime;     /* seconds; 0: only when stopping / no limit */
  int64_t ckpt_periods;            /* periods of a policy's market between safe points */
  int resume;                      /* 0 never, 1 auto */
  int sweep_method;                /* section 9: TB_SWEEP_* */
  int64_t sweep_samples, sweep_points, sweep_seed, sweep_shard, sweep_shards, sweep_groups;
  int nsweep;
  tb_sweep_param sweep[TB_MAX_SWEEP];
  int npolicies;                   /* policy[0] is always the baseline `none` */
  tb_policy policy[TB_MAX_POLICIES];
} tb_config;

void tb_config_defaults(tb_config *c);
/* Parse an INI file; relative paths in it are taken relative to the file's folder. */
int tb_config_load(tb_config *c, const char *path);
/* Apply one "section.key=value" override (relative paths: to the working directory). */
int tb_config_set(tb_config *c, const char *assignment);
int tb_config_check(const tb_config *c);
/* Whether `key` (section.key or policy.NAME.key) is a number that changes the model's
 * results, so a sweep may vary it; *integer tells whether it takes whole numbers. */
int tb_config_sweepable(const tb_config *c, const char *key, int *integer);
/* The resolved configuration as INI text (stored in the output, printed by rank 0). */
int tb_config_dump(const tb_config *c, char *buf, size_t size);
/* The reference of every key as Markdown (docs/config.md). */
void tb_config_doc(FILE *out);

#endif
