/* MODEL.md section 7 for every run. Collective. */
#ifndef TB_IMPACT_H
#define TB_IMPACT_H

#include "tb_backend.h"
#include "tb_leontief.h"
#include "tb_policy_sim.h"

/* The home economy's input-output model, factored once per job on rank 0 (other ranks hold
 * sizes only; host/io/tb_impact_file.c reads it). */
typedef struct {
  int64_t S;
  tb_leontief L;
  double *W;                 /* column-major [2, S]: value added and employment per unit output */
  double *share;             /* [S] import share of base imports by sector */
  double *output_multiplier; /* [S] Leontief output multipliers m_j = sum_i L_ij */
} tb_impact_model;

/* Factor I - A (A column-major [S, S], overwritten; `what` names it in errors) and the output
 * multipliers. Rank 0 only. */
int tb_impact_model_factor(tb_impact_model *M, tb_backend *be, double *A, const char *what);
void tb_impact_model_free(tb_impact_model *M);
/* GDP and jobs of q runs: their final demands solved as one multi-column right-hand side,
 * then (GDP, Jobs) = W X as one product; every rank gets them. phi: io.substitution. */
int tb_impacts(const tb_impact_model *M, tb_backend *be, double phi, tb_policy_result *res, int q);

#endif
