/* What a run's output says, as JSON: its summary (the policy metrics of MODEL.md section 8, the run's
 * identity and sizes) and the difference between two outputs (the metrics that moved and by how much, the
 * deals whose status changed), for the nightly comparisons. Used by the runs endpoints and by
 * `tradebal serve summary|diff`. */
#ifndef TB_SERVE_RESULTS_H
#define TB_SERVE_RESULTS_H

#include <jansson.h>

#include "tb_serve.h"

/* path: an output file (absolute). On failure: -1 and a problem in r (a file that is not a tradebal output:
 * 422, naming the missing dataset). Holds S->h5_lock while reading. */
int tb_results_summary(tb_srv *S, const char *path, json_t **out, tb_resp *r);
int tb_results_diff(tb_srv *S, const char *path_a, const char *path_b, json_t **out, tb_resp *r);
/* The same with the tolerance a metric must move by to be listed: |b - a| > tolerance * max(|a|, |b|)
 * (0: any change; equal values never move). tb_results_diff uses TB_RESULTS_TOLERANCE. */
#define TB_RESULTS_TOLERANCE 1e-9
int tb_results_diff_tol(tb_srv *S, const char *path_a, const char *path_b, double tolerance, json_t **out,
                        tb_resp *r);

#endif
