/* The server's own endpoints: health, metrics, the OpenAPI document. */
#include "tb_serve_basic.h"
#include "tb_serve_json.h"
#include "tb_serve_metrics.h"
#include "tb_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef TB_DOCS_DIR
#define TB_DOCS_DIR "docs"
#endif

int tb_h_health(tb_srv *S, const tb_req *q, tb_resp *r) {
  (void)q;
  return tb_resp_json(r, 200, json_pack("{s:s, s:s, s:i, s:f, s:s, s:i, s:i, s:i, s:i}", "status", "ok", "version",
                                        TB_VERSION, "format_version", TB_FORMAT_VERSION, "uptime_s",
                                        tb_now() - S->started, "executor", S->cfg.executor, "workers", S->cfg.workers,
                                        "workers_busy", (int)S->busy, "queue_depth", (int)S->queued, "queue_limit", S->cfg.queue));
}

int tb_h_metrics(tb_srv *S, const tb_req *q, tb_resp *r) {
  (void)q;
  char *text;
  size_t len;
  if (tb_metrics_render(S, &text, &len)) return tb_resp_problem(r, 503, "busy", "out of memory");
  return tb_resp_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

int tb_h_openapi(tb_srv *S, const tb_req *q, tb_resp *r) {
  (void)S, (void)q;
  const char *dir = getenv("TB_DOCS_DIR") ? getenv("TB_DOCS_DIR") : TB_DOCS_DIR;
  snprintf(r->file, sizeof r->file, "%s/openapi.json", dir);
  if (access(r->file, R_OK)) {
    r->file[0] = 0;
    return tb_resp_problem(r, 404, "not-found", "the OpenAPI document is not installed with this server");
  }
  r->status = 200, r->content_type = "application/json";
  return 0;
}
