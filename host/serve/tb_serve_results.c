/* STUB: replaced by the results implementation. */
#include "tb_serve_results.h"
#include "tb_serve_json.h"

int tb_results_summary(tb_srv *S, const char *path, json_t **out, tb_resp *r) {
  (void)S, (void)path, (void)out;
  return tb_resp_problem(r, 501, "todo", "not yet"), -1;
}

int tb_results_diff(tb_srv *S, const char *path_a, const char *path_b, json_t **out, tb_resp *r) {
  (void)S, (void)path_a, (void)path_b, (void)out;
  return tb_resp_problem(r, 501, "todo", "not yet"), -1;
}
