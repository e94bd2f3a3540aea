#include "tb_io_impact.h"

#include "tb_error.h"
#include "tb_comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Value added and employment as the rows of W, column-major [2, S]. */
static int read_weights(tb_h5 *in, int64_t S, int me, double *W) {
  int rc = TB_OK;
  double *row = NULL;
  const char *name[2] = {"/io/value_added", "/io/employment"};
  TB_ALLOC(row, S);
  for (int r = 0; r < 2; r++) {
    TB_GUARD(tb_h5_read(in, name[r], H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, row));
    for (int64_t s = 0; me && s < S; s++) W[2 * s + r] = row[s];
  }
done:
  free(row);
  return rc;
}

static int load_on_root(tb_io_model *M, tb_h5 *in, tb_backend *be) {
  int rc = TB_OK;
  const int64_t S = M->S, me = tb_comm_rank() == 0;
  double *A = NULL;
  TB_ALLOC(A, me ? S * S : 1);
  TB_ALLOC(M->W, 2 * S);
  TB_ALLOC(M->share, S);
  TB_ALLOC(M->m, S);
  TB_GUARD(tb_h5_read(in, "/io/A", H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, A));
  TB_GUARD(read_weights(in, S, (int)me, M->W));
  TB_GUARD(tb_h5_read(in, "/io/import_share", H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, M->share));
  if (!me) goto done;
  char what[4200];
  snprintf(what, sizeof what, "%s: /io/A", in->path);
  TB_GUARD(tb_leontief_factor(&M->L, be, S, A, what));
  TB_GUARD(tb_leontief_multipliers(&M->L, M->m));
done:
  free(A);
  return rc;
}

int tb_io_model_load(tb_io_model *M, tb_h5 *in, tb_backend *be, const tb_input_dims *D) {
  memset(M, 0, sizeof *M);
  M->S = D->S;
  return tb_comm_agree(load_on_root(M, in, be));
}

void tb_io_model_free(tb_io_model *M) {
  tb_leontief_free(&M->L);
  free(M->W), free(M->share), free(M->m);
  memset(M, 0, sizeof *M);
}

/* Rank 0: f_s = exports_s - phi (imports_s + share_s base served) of the home region, per run. */
static int solve_on_root(const tb_io_model *M, tb_backend *be, double phi, const tb_policy_result *res, int q,
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

int tb_io_impacts(const tb_io_model *M, tb_backend *be, double phi, tb_policy_result *res, int q) {
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

int tb_io_model_write(const tb_io_model *M, tb_h5 *out) {
  TB_CALL(tb_h5_new_dataset(out, "/io/multipliers", H5T_IEEE_F64LE, 1, &M->S));
  return tb_h5_write(out, "/io/multipliers", H5T_NATIVE_DOUBLE, 0, tb_comm_rank() == 0 ? M->S : 0, M->m);
}
