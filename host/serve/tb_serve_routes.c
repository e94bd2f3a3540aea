/* The route table: the one list of endpoints (docs/openapi.json describes exactly these). */
#include "tb_serve_routes.h"
#include "tb_serve_basic.h"
#include "tb_serve_h5grove.h"
#include "tb_serve_jobs.h"
#include "tb_serve_quick.h"

#include <string.h>

static const tb_route ROUTES[] = {
    {"GET", "/v1/health", TB_SCOPE_NONE, TB_RUN_INLINE, tb_h_health},
    {"GET", "/metrics", TB_SCOPE_READ, TB_RUN_INLINE, tb_h_metrics},
    {"GET", "/v1/openapi.json", TB_SCOPE_NONE, TB_RUN_INLINE, tb_h_openapi},
    {"POST", "/v1/deals/evaluate", TB_SCOPE_READ, TB_RUN_WORKER, tb_h_deals_evaluate},
    {"POST", "/v1/certificates/validate", TB_SCOPE_READ, TB_RUN_WORKER, tb_h_certificates_validate},
    {"POST", "/v1/impacts", TB_SCOPE_READ, TB_RUN_WORKER, tb_h_impacts},
    {"POST", "/v1/runs", TB_SCOPE_SUBMIT, TB_RUN_WORKER, tb_h_runs_submit},
    {"GET", "/v1/runs", TB_SCOPE_READ, TB_RUN_INLINE, tb_h_runs_list},
    {"GET", "/v1/runs/{id}", TB_SCOPE_READ, TB_RUN_INLINE, tb_h_run_get},
    {"POST", "/v1/runs/{id}/cancel", TB_SCOPE_SUBMIT, TB_RUN_INLINE, tb_h_run_cancel},
    {"POST", "/v1/runs/{id}/resume", TB_SCOPE_SUBMIT, TB_RUN_WORKER, tb_h_run_resume},
    {"GET", "/v1/runs/{id}/log", TB_SCOPE_READ, TB_RUN_WORKER, tb_h_run_log},
    {"GET", "/v1/runs/{id}/summary", TB_SCOPE_READ, TB_RUN_WORKER, tb_h_run_summary},
    {"GET", "/v1/runs/{id}/files", TB_SCOPE_READ, TB_RUN_INLINE, tb_h_run_files},
    {"GET", "/v1/runs/{id}/files/{name}", TB_SCOPE_READ, TB_RUN_WORKER, tb_h_run_file},
    {"GET", "/v1/runs/{id}/diff/{other}", TB_SCOPE_READ, TB_RUN_WORKER, tb_h_run_diff},
    {"GET", "/v1/h5grove/meta", TB_SCOPE_READ, TB_RUN_WORKER, tb_h_h5grove_meta},
    {"GET", "/v1/h5grove/attr", TB_SCOPE_READ, TB_RUN_WORKER, tb_h_h5grove_attr},
    {"GET", "/v1/h5grove/data", TB_SCOPE_READ, TB_RUN_WORKER, tb_h_h5grove_data},
};
#define NROUTES ((int)(sizeof ROUTES / sizeof ROUTES[0]))

int tb_route_count(void) { return NROUTES; }
const tb_route *tb_route_at(int i) { return i >= 0 && i < NROUTES ? &ROUTES[i] : NULL; }
int tb_route_index(const tb_route *r) { return r ? (int)(r - ROUTES) : NROUTES; }

/* Match url against pattern segment by segment; {name} takes one non-empty segment, copied into argbuf. */
static int match_one(const char *pattern, const char *url, tb_req *q, char *buf, size_t cap) {
  const char *p = pattern, *u = url;
  size_t used = 0;
  q->nargs = 0;
  while (*p && *u) {
    if (*p != '/' || *u != '/') return 0;
    p++, u++;
    size_t ul = strcspn(u, "/"), pl = strcspn(p, "/");
    if (p[0] == '{') {
      if (!ul || q->nargs == TB_MAX_PATH_ARGS || used + ul + 1 > cap) return 0;
      memcpy(buf + used, u, ul);
      buf[used + ul] = 0;
      q->args[q->nargs++] = buf + used;
      used += ul + 1;
    } else if (ul != pl || strncmp(p, u, pl)) {
      return 0;
    }
    p += pl, u += ul;
  }
  return !*p && !*u;
}

const tb_route *tb_route_match(const char *method, const char *url, tb_req *q, char *argbuf, size_t argbuf_len,
                               int *path_known) {
  char trimmed[2048];
  size_t n = strlen(url);
  if (n >= sizeof trimmed) return *path_known = 0, NULL;
  memcpy(trimmed, url, n + 1);
  if (n > 1 && trimmed[n - 1] == '/') trimmed[n - 1] = 0; /* h5grove's clients ask for meta/ */
  *path_known = 0;
  for (int i = 0; i < NROUTES; i++) {
    if (!match_one(ROUTES[i].pattern, trimmed, q, argbuf, argbuf_len)) continue;
    *path_known = 1;
    if (!strcmp(ROUTES[i].method, method)) return &ROUTES[i];
  }
  q->nargs = 0;
  return NULL;
}

void tb_routes_print(FILE *f) {
  for (int i = 0; i < NROUTES; i++) fprintf(f, "%s %s\n", ROUTES[i].method, ROUTES[i].pattern);
}
