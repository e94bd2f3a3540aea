#include "tb_io_impact.h"

#include "tb_error.h"
#include "tb_leontief.h"
#include "../mpi/tb_comm.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  double *A, *W, *share, *F, *m; /* W column-major [2, S]: value added and employment per unit output */
} io_tables;

static void io_free(io_tables *T) { free(T->A), free(T->W), free(T->share), free(T->F), free(T->m); }

/* Rank 0's part: read the tables, factor, multipliers, X = L F, GDP and jobs per policy. */
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

/* Rank 0's part: read the tables, factor, multipliers, X = L F for all policies as one
 * multi-column right-hand side, then (GDP, Jobs) = W X as one product. */
static int solve_on_root(tb_h5 *in, tb_backend *be, const tb_input_dims *D, double phi, const tb_policy_result *res,
                         int q, io_tables *T, double *gj) {
  int rc = TB_OK;
  const int64_t S = D->S, me = tb_comm_rank() == 0;
  tb_leontief L;
  memset(&L, 0, sizeof L);
  TB_ALLOC(T->A, me ? S * S : 1);
  TB_ALLOC(T->W, 2 * S);
  TB_ALLOC(T->share, S);
  TB_ALLOC(T->m, S);
  TB_ALLOC(T->F, me ? S * q : 1);
  TB_GUARD(tb_h5_read(in, "/io/A", H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, T->A));
  TB_GUARD(read_weights(in, S, (int)me, T->W));
  TB_GUARD(tb_h5_read(in, "/io/import_share", H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, T->share));
  if (!me) goto done;
  char what[4200];
  snprintf(what, sizeof what, "%s: /io/A", in->path);
  TB_GUARD(tb_leontief_factor(&L, be, S, T->A, what));
  TB_GUARD(tb_leontief_multipliers(&L, T->m));
  for (int p = 0; p < q; p++) /* f_s = exports_s - phi (imports_s + share_s base served), home region */
    for (int64_t s = 0; s < S; s++)
      T->F[p * S + s] = res[p].home_exports[s] - phi * (res[p].home_imports[s] + T->share[s] * res[p].home_base_served);
  TB_GUARD(tb_leontief_solve(&L, q, T->F));
  TB_GUARD(be->ops->gemm(be, 2, q, S, T->W, T->F, gj)); /* gj column-major [2, q]: GDP, Jobs per policy */
done:
  tb_leontief_free(&L);
  return rc;
}

int tb_io_impacts(tb_h5 *in, tb_h5 *out, tb_backend *be, const tb_input_dims *D, double phi, tb_policy_result *res,
                  int q) {
  int rc = TB_OK;
  io_tables T;
  memset(&T, 0, sizeof T);
  double *gj = NULL;
  TB_ALLOC(gj, 2 * q);
  memset(gj, 0, sizeof(double) * (size_t)(2 * q));
  TB_GUARD(tb_comm_agree(solve_on_root(in, be, D, phi, res, q, &T, gj)));
  TB_GUARD(tb_comm_bcast(gj, sizeof(double) * (size_t)(2 * q), 0));
  for (int p = 0; p < q; p++) res[p].gdp = gj[2 * p], res[p].jobs = gj[2 * p + 1];
  TB_GUARD(tb_h5_new_dataset(out, "/io/multipliers", H5T_IEEE_F64LE, 1, &D->S));
  TB_GUARD(tb_h5_write(out, "/io/multipliers", H5T_NATIVE_DOUBLE, 0, tb_comm_rank() == 0 ? D->S : 0, T.m));
done:
  io_free(&T);
  free(gj);
  return rc;
}
