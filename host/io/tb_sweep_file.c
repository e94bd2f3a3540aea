#include "tb_schema.h"
#include "tb_sweep_file.h"

#include "tb_error.h"
#include "tb_policy_file.h"
#include "tb_comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const METHODS[] = {"none", "grid", "oat", "lhs", "random"};

int tb_sweep_method_of(const char *name) {
  for (int i = 1; i < 5; i++)
    if (!strcmp(name, METHODS[i])) return i;
  return -1;
}

int tb_sweep_table_alloc(tb_sweep_table *T, int64_t n, int J, int Q) {
  int rc = TB_OK;
  memset(T, 0, sizeof *T);
  T->n = n, T->J = J, T->Q = Q, T->C = Q * TB_POLICY_NCOL;
  TB_ALLOC(T->index, n);
  TB_ALLOC(T->best, n);
  TB_ALLOC(T->x, n * J);
  TB_ALLOC(T->m, n * T->C);
  TB_ALLOC(T->pname, J);
  TB_ALLOC(T->qname, Q);
  memset(T->pname, 0, sizeof(*T->pname) * (size_t)(J ? J : 1));
  memset(T->qname, 0, sizeof(*T->qname) * (size_t)Q);
  /* zeroed: a sweep gathers the rows at rank 0 only, and every rank computes the sensitivity */
  memset(T->index, 0, sizeof(*T->index) * (size_t)n);
  memset(T->best, 0, sizeof(*T->best) * (size_t)n);
  memset(T->x, 0, sizeof(*T->x) * (size_t)(n * J));
  memset(T->m, 0, sizeof(*T->m) * (size_t)(n * T->C));
done:
  if (rc) tb_sweep_table_free(T);
  return rc;
}

void tb_sweep_table_free(tb_sweep_table *T) {
  free(T->index), free(T->best), free(T->x), free(T->m), free(T->pname), free(T->qname);
  memset(T, 0, sizeof *T);
}

static int put(tb_h5 *o, const char *name, hid_t ft, hid_t mt, int rank, int64_t d0, int64_t d1, const void *v) {
  const int64_t dims[2] = {d0, d1};
  TB_CALL(tb_h5_new_dataset(o, name, ft, rank, dims));
  return tb_h5_write(o, name, mt, 0, tb_comm_rank() == 0 ? d0 : 0, v);
}

/* "policy/column" for every metrics column, and the swept keys, as string arrays. */
static int names_of(const tb_sweep_table *T, char **cbuf, const char ***cols, const char ***pars) {
  int rc = TB_OK;
  TB_ALLOC(*cbuf, (int64_t)T->C * 96);
  TB_ALLOC(*cols, T->C);
  TB_ALLOC(*pars, T->J);
  for (int q = 0; q < T->Q; q++)
    for (int k = 0; k < TB_POLICY_NCOL; k++) {
      char *c = *cbuf + (q * TB_POLICY_NCOL + k) * 96;
      snprintf(c, 96, "%s/%s", T->qname[q], TB_POLICY_COLUMNS[k]);
      (*cols)[q * TB_POLICY_NCOL + k] = c;
    }
  for (int j = 0; j < T->J; j++) (*pars)[j] = T->pname[j];
done:
  return rc;
}

static int put_sensitivity(tb_h5 *o, const char *name, const tb_sweep_table *T, const double *v, const char **cols,
                           const char **pars) {
  TB_CALL(put(o, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, T->J, T->C, v));
  TB_CALL(tb_h5_attr_strings(o, name, "parameters", T->J, pars));
  return tb_h5_attr_strings(o, name, "metrics", T->C, cols);
}

static int write_sensitivity(tb_h5 *o, const tb_sweep_table *T, const tb_sensitivity *s, const char **cols,
                             const char **pars) {
  TB_CALL(put_sensitivity(o, "/sensitivity/spearman", T, s->spearman, cols, pars));
  TB_CALL(put_sensitivity(o, "/sensitivity/src", T, s->src, cols, pars));
  TB_CALL(put(o, "/sensitivity/src_r2", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, T->C, 0, s->r2));
  TB_CALL(tb_h5_attr_strings(o, "/sensitivity/src_r2", "metrics", T->C, cols));
  if (s->elasticity) TB_CALL(put_sensitivity(o, "/sensitivity/elasticity", T, s->elasticity, cols, pars));
  return TB_OK;
}

int tb_sweep_table_write(tb_h5 *o, const tb_sweep_table *T, const tb_sensitivity *s) {
  int rc = TB_OK;
  char *cbuf = NULL;
  const char **cols = NULL, **pars = NULL;
  const char **q = NULL;
  TB_GUARD(names_of(T, &cbuf, &cols, &pars));
  TB_ALLOC(q, T->Q);
  for (int p = 0; p < T->Q; p++) q[p] = T->qname[p];
  hid_t st = tb_h5_string_type(64);
  rc = put(o, "/policies/names", st, st, 1, T->Q, 0, T->qname);
  H5Tclose(st);
  if (rc) goto done;
  TB_GUARD(put(o, "/scenarios/index", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, T->n, 0, T->index));
  TB_GUARD(put(o, "/scenarios/recommended", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, T->n, 0, T->best));
  TB_GUARD(tb_h5_attr_strings(o, "/scenarios/recommended", "policies", T->Q, q));
  TB_GUARD(put(o, "/scenarios/params", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, T->n, T->J, T->x));
  TB_GUARD(tb_h5_attr_strings(o, "/scenarios/params", "names", T->J, pars));
  TB_GUARD(put(o, "/scenarios/metrics", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, T->n, T->C, T->m));
  TB_GUARD(tb_h5_attr_strings(o, "/scenarios/metrics", "columns", T->C, cols));
  TB_GUARD(tb_h5_attr_str(o, "/scenarios", "method", METHODS[T->method]));
  TB_GUARD(tb_h5_attr_i64(o, "/scenarios", "scenarios", T->total));
  TB_GUARD(tb_h5_attr_i64(o, "/scenarios", "shard", T->shard));
  TB_GUARD(tb_h5_attr_i64(o, "/scenarios", "shards", T->shards));
  if (s) TB_GUARD(write_sensitivity(o, T, s, cols, pars));
done:
  free(cbuf), free(cols), free(pars), free(q);
  return rc;
}
