#include "tb_io_impact.h"

#include "tb_error.h"
#include "tb_leontief.h"
#include "../mpi/tb_comm.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  double *A, *va, *emp, *share, *F, *m;
} io_tables;

static void io_free(io_tables *T) { free(T->A), free(T->va), free(T->emp), free(T->share), free(T->F), free(T->m); }

/* Rank 0's part: read the tables, factor, multipliers, X = L F, GDP and jobs per policy. */
static int solve_on_root(tb_h5 *in, const tb_input_dims *D, double phi, const tb_policy_result *res, int q,
                         io_tables *T, double *gj) {
  int rc = TB_OK;
  const int64_t S = D->S, me = tb_comm_rank() == 0;
  tb_leontief L;
  memset(&L, 0, sizeof L);
  TB_ALLOC(T->A, me ? S * S : 1);
  TB_ALLOC(T->va, S);
  TB_ALLOC(T->emp, S);
  TB_ALLOC(T->share, S);
  TB_ALLOC(T->m, S);
  TB_ALLOC(T->F, me ? S * q : 1);
  TB_GUARD(tb_h5_read(in, "/io/A", H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, T->A));
  TB_GUARD(tb_h5_read(in, "/io/value_added", H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, T->va));
  TB_GUARD(tb_h5_read(in, "/io/employment", H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, T->emp));
  TB_GUARD(tb_h5_read(in, "/io/import_share", H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, T->share));
  if (!me) goto done;
  char what[4200];
  snprintf(what, sizeof what, "%s: /io/A", in->path);
  TB_GUARD(tb_leontief_factor(&L, S, T->A, what));
  TB_GUARD(tb_leontief_multipliers(&L, T->m));
  for (int p = 0; p < q; p++) /* f_s = exports_s - phi (imports_s + share_s base served), home region */
    for (int64_t s = 0; s < S; s++)
      T->F[s * q + p] = res[p].home_exports[s] - phi * (res[p].home_imports[s] + T->share[s] * res[p].home_base_served);
  TB_GUARD(tb_leontief_solve(&L, q, T->F, T->F));
  for (int p = 0; p < q; p++) {
    double g = 0.0, j = 0.0;
    for (int64_t s = 0; s < S; s++) g += T->va[s] * T->F[s * q + p], j += T->emp[s] * T->F[s * q + p];
    gj[2 * p] = g, gj[2 * p + 1] = j;
  }
done:
  tb_leontief_free(&L);
  return rc;
}

int tb_io_impacts(tb_h5 *in, tb_h5 *out, const tb_input_dims *D, double phi, tb_policy_result *res, int q) {
  int rc = TB_OK;
  io_tables T;
  memset(&T, 0, sizeof T);
  double *gj = NULL;
  TB_ALLOC(gj, 2 * q);
  memset(gj, 0, sizeof(double) * (size_t)(2 * q));
  TB_GUARD(tb_comm_agree(solve_on_root(in, D, phi, res, q, &T, gj)));
  TB_GUARD(tb_comm_bcast(gj, sizeof(double) * (size_t)(2 * q), 0));
  for (int p = 0; p < q; p++) res[p].gdp = gj[2 * p], res[p].jobs = gj[2 * p + 1];
  TB_GUARD(tb_h5_new_dataset(out, "/io/multipliers", H5T_IEEE_F64LE, 1, &D->S));
  TB_GUARD(tb_h5_write(out, "/io/multipliers", H5T_NATIVE_DOUBLE, 0, tb_comm_rank() == 0 ? D->S : 0, T.m));
done:
  io_free(&T);
  free(gj);
  return rc;
}
