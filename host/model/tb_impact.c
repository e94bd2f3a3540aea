#include "tb_impact.h"

#include "tb_error.h"
#include "tb_comm.h"

#include <stdlib.h>
#include <string.h>

int tb_impact_model_factor(tb_impact_model *M, tb_backend *be, double *A, const char *what) {
  TB_CALL(tb_leontief_factor(&M->L, be, M->S, A, what));
  return tb_leontief_output_multipliers(&M->L, M->output_multiplier);
}

void tb_impact_model_free(tb_impact_model *M) {
  tb_leontief_free(&M->L);
  free(M->W), free(M->share), free(M->output_multiplier);
  memset(M, 0, sizeof *M);
}

/* Rank 0: f_s = exports_s - phi (imports_s + share_s base served) of the home region, per run. */
static int solve_on_root(const tb_impact_model *M, tb_backend *be, double phi, const tb_policy_result *res, int q,
                         double *gj) {
  int rc = TB_OK;
  const int64_t S = M->S;
  double *F = NULL;
  if (tb_comm_rank() != 0) return TB_OK;
  TB_ALLOC(F, S * q);
  for (int p = 0; p < q; p++)
    for (int64_t s = 0; s < S; s++)
      F[p * S + s] = res[p].home_exports[s] - phi * (res[p].home_imports[s] + M->share[s] * res[p].home_base_served);
  TB_GUARD(tb_leontief_solve(&M->L, q, F));
  TB_GUARD(tb_backend_gemm(be, 2, q, S, M->W, F, gj)); /* gj column-major [2, q]: GDP, Jobs per run */
done:
  free(F);
  return rc;
}

int tb_impacts(const tb_impact_model *M, tb_backend *be, double phi, tb_policy_result *res, int q) {
  int rc = TB_OK;
  double *gj = NULL;
  TB_ALLOC(gj, 2 * q);
  memset(gj, 0, sizeof(double) * (size_t)(2 * q));
  TB_GUARD(tb_comm_agree(solve_on_root(M, be, phi, res, q, gj)));
  TB_GUARD(tb_comm_bcast(gj, sizeof(double) * (size_t)(2 * q), 0));
  for (int p = 0; p < q; p++) res[p].gdp = gj[2 * p], res[p].jobs = gj[2 * p + 1];
done:
  free(gj);
  return rc;
}
