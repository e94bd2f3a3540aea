/* POST /v1/impacts (tb_serve_quick_io.h). */
#include "tb_serve_quick_io.h"
#include "tb_error.h"
#include "tb_serve_json.h"
#include "tb_serve_path.h"
#include "tb_serve_quick_cache.h"
#include "tb_serve_quick_load.h"
#include "tb_serve_quick_num.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* final_demand: [S] numbers (one vector, *single) or [q][S]; into f row-major [q][S], which is the
 * column-major [S, q] right-hand side of the solve. */
static int parse_demand(tb_srv *S, json_t *body, int64_t sectors, double **f, int64_t *q, int *single, tb_resp *r) {
  int64_t n;
  json_t *a = tb_json_array(body, "final_demand", 1, "", &n, r);
  if (!a) return -1;
  *single = n == 0 || !json_is_array(json_array_get(a, 0));
  *q = *single ? 1 : n;
  if (*q > S->cfg.max_batch)
    return tb_resp_problem(r, 413, "too-large", "%lld final-demand vectors; the limit is %lld ([limits] max_batch)",
                           (long long)*q, (long long)S->cfg.max_batch), -1;
  if (!(*f = malloc(sizeof **f * (size_t)(*q * sectors)))) return tb_resp_problem(r, 503, "busy", "out of memory"), -1;
  for (int64_t p = 0; p < *q; p++) {
    const json_t *row = *single ? a : json_array_get(a, (size_t)p);
    char where[48];
    snprintf(where, sizeof where, *single ? "final_demand" : "final_demand[%lld]", (long long)p);
    if (!json_is_array(row) || (int64_t)json_array_size(row) != sectors)
      return tb_resp_problem(r, 400, "bad-field", "%s must be an array of %lld numbers, one per sector of the table",
                             where, (long long)sectors), -1;
    for (int64_t s = 0; s < sectors; s++)
      if (!json_is_number(json_array_get(row, (size_t)s)))
        return tb_resp_problem(r, 400, "bad-field", "%s[%lld] must be a number", where, (long long)s), -1;
      else (*f)[p * sectors + s] = json_number_value(json_array_get(row, (size_t)s));
  }
  return 0;
}

/* x = L f for every column, then (GDP, jobs) = W x: tb_api_leontief's steps on the cached factors. The
 * table is shared: the solve and the product read it and write only X and gj. */
static int solve(const tb_q_io *io, int64_t q, double *X, double *gj) {
  if (!q) return TB_OK;
  TB_CALL(tb_leontief_solve(&io->L, q, X));
  return tb_backend_gemm((tb_backend *)&io->be, 2, q, io->S, io->W, X, gj);
}

/* One vector answers numbers, several answer lists. */
static json_t *answer(const tb_q_io *io, const double *X, const double *gj, int64_t q, int single) {
  json_t *out = single ? tb_qn_reals(X, io->S) : json_array(), *gdp = single ? NULL : json_array(),
         *jobs = single ? NULL : json_array();
  for (int64_t p = 0; !single && p < q; p++)
    if (json_array_append_new(out, tb_qn_reals(X + p * io->S, io->S)) || json_array_append_new(gdp, tb_qn_real(gj[2 * p])) ||
        json_array_append_new(jobs, tb_qn_real(gj[2 * p + 1])))
      break;
  if (single) gdp = tb_qn_real(gj[0]), jobs = tb_qn_real(gj[1]);
  return json_pack("{s:I, s:o, s:o, s:o, s:o}", "sectors", (json_int_t)io->S, "output", out, "gdp", gdp, "jobs", jobs,
                   "multipliers", tb_qn_reals(io->multipliers, io->S));
}

int tb_quick_impacts(tb_srv *S, json_t *body, tb_resp *r) {
  static const char *const keys[] = {"io", "final_demand", NULL};
  char abs[PATH_MAX];
  tb_qc_entry *e = NULL;
  double *X = NULL, *gj = NULL;
  int64_t q = 0;
  int single = 0;
  const char *rel = NULL;
  if (tb_qn_known(body, keys, "", r) || !(rel = tb_json_str(body, "io", 1, "", r)) ||
      tb_path_resolve(S, rel, TB_PATH_EXISTING, "io", abs, sizeof abs, r) ||
      tb_qcache_get(S, TB_QC_IO, abs, tb_qload_io, &e, r))
    return 0;
  const tb_q_io *io = tb_qcache_data(e);
  if (!parse_demand(S, body, io->S, &X, &q, &single, r)) {
    int rc = (gj = malloc(sizeof *gj * (size_t)(2 * q + 1))) ? solve(io, q, X, gj) : TB_ERR(TB_ERR_MEMORY, "out of memory");
    json_t *j = rc ? NULL : answer(io, X, gj, q, single);
    if (rc) tb_q_problem(S, rc, tb_error_message(), r), tb_error_clear();
    else if (!j) tb_resp_problem(r, 503, "busy", "out of memory");
    else tb_resp_json(r, 200, j);
  }
  free(X), free(gj);
  tb_qcache_put(S, e);
  return 0;
}
