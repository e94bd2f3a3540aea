/* Prometheus counters: lock-free atomics, one row per route (the last row: requests no route matched). */
#include "tb_serve_metrics.h"
#include "tb_serve_jobs.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 64
static const int CODES[] = {200, 201, 202, 204, 206, 304, 400, 401, 403, 404, 405, 409, 413, 415, 416, 422, 500, 503};
#define NCODES ((int)(sizeof CODES / sizeof CODES[0]))
static const double BUCKETS[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS ((int)(sizeof BUCKETS / sizeof BUCKETS[0]))

static atomic_llong counts[MAX_ROUTES][NCODES + 1]; /* the last column: any other code */
static atomic_llong hist[MAX_ROUTES][NBUCKETS + 1];
static atomic_llong sum_us[MAX_ROUTES];
static const char *names[MAX_ROUTES][2]; /* method, pattern */
static int nnamed;

void tb_metrics_name_routes(int n, const char *const *methods, const char *const *patterns) {
  nnamed = n < MAX_ROUTES - 1 ? n : MAX_ROUTES - 1;
  for (int i = 0; i < nnamed; i++) names[i][0] = methods[i], names[i][1] = patterns[i];
}

void tb_metrics_observe(int route, int status, double seconds) {
  if (route < 0 || route >= MAX_ROUTES) route = MAX_ROUTES - 1;
  int c = 0;
  while (c < NCODES && CODES[c] != status) c++;
  atomic_fetch_add(&counts[route][c], 1);
  int b = 0;
  while (b < NBUCKETS && seconds > BUCKETS[b]) b++;
  atomic_fetch_add(&hist[route][b], 1);
  atomic_fetch_add(&sum_us[route], (long long)(seconds * 1e6));
}

typedef struct {
  char *s;
  size_t len, cap;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int n = b->s ? vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap) : -1;
    va_end(ap);
    if (n >= 0 && (size_t)n < b->cap - b->len) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = b->cap ? 2 * b->cap : 16384;
    char *g = realloc(b->s, cap);
    if (!g) return; /* the page is cut short rather than the server failing */
    b->s = g, b->cap = cap;
  }
}

static const char *route_name(int i) { return i < nnamed ? names[i][1] : "unmatched"; }
static const char *route_method(int i) { return i < nnamed ? names[i][0] : ""; }

int tb_metrics_render(tb_srv *S, char **text, size_t *len) {
  buf b = {0};
  int nr = nnamed + 1;
  if (nr > MAX_ROUTES) nr = MAX_ROUTES;
  put(&b, "# HELP tradebal_http_requests_total Requests answered, by route and status.\n"
          "# TYPE tradebal_http_requests_total counter\n");
  for (int i = 0; i < nr; i++) {
    int ri = i == nr - 1 ? MAX_ROUTES - 1 : i;
    for (int c = 0; c <= NCODES; c++) {
      long long v = atomic_load(&counts[ri][c]);
      if (!v) continue;
      if (c < NCODES) put(&b, "tradebal_http_requests_total{method=\"%s\",route=\"%s\",code=\"%d\"} %lld\n", route_method(i), route_name(i), CODES[c], v);
      else put(&b, "tradebal_http_requests_total{method=\"%s\",route=\"%s\",code=\"other\"} %lld\n", route_method(i), route_name(i), v);
    }
  }
  put(&b, "# HELP tradebal_http_request_duration_seconds Time from a request's arrival to its answer.\n"
          "# TYPE tradebal_http_request_duration_seconds histogram\n");
  for (int i = 0; i < nr; i++) {
    int ri = i == nr - 1 ? MAX_ROUTES - 1 : i;
    long long cum = 0, total = 0;
    for (int k = 0; k <= NBUCKETS; k++) total += atomic_load(&hist[ri][k]);
    if (!total) continue;
    const char *m = route_method(i);
    for (int k = 0; k < NBUCKETS; k++) {
      cum += atomic_load(&hist[ri][k]);
      put(&b, "tradebal_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %lld\n", m, route_name(i), BUCKETS[k], cum);
    }
    put(&b, "tradebal_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %lld\n", m, route_name(i), total);
    put(&b, "tradebal_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n", m, route_name(i), atomic_load(&sum_us[ri]) / 1e6);
    put(&b, "tradebal_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %lld\n", m, route_name(i), total);
  }
  int queued = S->queued, busy = S->busy, parked = S->parked, conns = S->connections;
  put(&b, "# HELP tradebal_queue_depth Requests waiting for a worker.\n# TYPE tradebal_queue_depth gauge\n"
          "tradebal_queue_depth %d\n", queued);
  put(&b, "# HELP tradebal_workers_busy Workers computing an answer.\n# TYPE tradebal_workers_busy gauge\n"
          "tradebal_workers_busy %d\n", busy);
  put(&b, "# HELP tradebal_workers Size of the worker pool.\n# TYPE tradebal_workers gauge\ntradebal_workers %d\n",
      S->cfg.workers);
  put(&b, "# HELP tradebal_long_polls Long polls parked.\n# TYPE tradebal_long_polls gauge\n"
          "tradebal_long_polls %d\n", parked);
  put(&b, "# HELP tradebal_connections Open connections.\n# TYPE tradebal_connections gauge\n"
          "tradebal_connections %d\n", conns);
  int64_t runs[TB_RUN_STATES] = {0};
  if (S->jobs && tb_jobs_count_by_state(S, runs) == 0) {
    put(&b, "# HELP tradebal_runs Runs in the job store, by state.\n# TYPE tradebal_runs gauge\n");
    for (int s = 0; s < TB_RUN_STATES; s++)
      put(&b, "tradebal_runs{state=\"%s\"} %lld\n", tb_run_state_names[s], (long long)runs[s]);
  }
  if (!b.s) return -1;
  *text = b.s, *len = b.len;
  return 0;
}
