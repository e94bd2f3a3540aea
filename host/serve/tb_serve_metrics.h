/* /metrics: Prometheus text format (requests by route and status, a latency histogram per route, queue
 * depth, busy workers, parked long polls, runs by state). */
#ifndef TB_SERVE_METRICS_H
#define TB_SERVE_METRICS_H

#include "tb_serve.h"

/* Name the routes (index i: methods[i] patterns[i]; index n: requests no route matched). */
void tb_metrics_name_routes(int n, const char *const *methods, const char *const *patterns);
void tb_metrics_observe(int route, int status, double seconds);
/* The whole page (malloc'd) into *text. */
int tb_metrics_render(tb_srv *S, char **text, size_t *len);

#endif
