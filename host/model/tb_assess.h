/* MODEL.md section 8: levels, WAR against the replacement policy `none`, quantiles and the
 * recommended policy, from the levels of every policy's deterministic run and draws. Pure
 * arithmetic on numbers every rank already holds, so it runs the same everywhere. */
#ifndef TB_ASSESS_H
#define TB_ASSESS_H

#include "tb_policy_sim.h"

typedef struct {
  int Q, K;
  double sigma_rep;      /* sample stddev of Y_none over the draws (1 when K = 0) */
  int sigma_fallback;    /* 1: sigma_rep was 0, WAR used 1 (warned) */
  double *war, *war_b, *q05, *q95, *mean_z; /* [Q] */
  double *levels;        /* [K*Q] Y of draw k, policy p at k*Q + p (NULL when K = 0) */
  int best;              /* argmax WAR_B, ties to the earlier policy */
} tb_assessment;

/* Section 8's parameters: the level weights and the margin of safety of WAR_B. */
typedef struct {
  double w_gdp, w_jobs, w_balance, w_surplus, margin_of_safety;
} tb_assess_params;

/* Y = w_gdp GDP + w_jobs Jobs + w_balance Balance + w_surplus Surplus of one run. */
double tb_level(const tb_assess_params *P, const tb_policy_result *r);
/* ydet [Q]: deterministic levels (used when K = 0); ydraw [K*Q]: draw k, policy p at k*Q + p.
 * Policy 0 is `none`. */
int tb_assess(const tb_assess_params *P, int Q, int K, const double *ydet, const double *ydraw, tb_assessment *A);
void tb_assessment_free(tb_assessment *A);
/* Quantile q of v[n] by linear interpolation between order statistics (NumPy's default,
 * Hyndman-Fan type 7); sorts v. */
double tb_quantile(double *v, int n, double q);

#endif
