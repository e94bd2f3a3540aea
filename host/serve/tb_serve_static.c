/* The dashboard's static files ([server] web_root), for GET paths outside /v1. */
#include "tb_serve_static.h"
#include "tb_serve_json.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *mime_of(const char *path) {
  const char *dot = strrchr(path, '.');
  static const char *const M[][2] = {{".html", "text/html; charset=utf-8"}, {".js", "text/javascript"},
                                     {".css", "text/css"}, {".json", "application/json"}, {".png", "image/png"},
                                     {".svg", "image/svg+xml"}, {".map", "application/json"}, {".ico", "image/x-icon"},
                                     {".mjs", "text/javascript"}, {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"}};
  for (size_t i = 0; dot && i < sizeof M / sizeof M[0]; i++)
    if (!strcmp(dot, M[i][0])) return M[i][1];
  return "application/octet-stream";
}

int tb_serve_static(tb_srv *S, const char *method, const char *url, tb_resp *r) {
  if (!S->cfg.web_root[0] || strcmp(method, "GET") || !strncmp(url, "/v1/", 4) || strstr(url, "..")) return 0;
  char path[2 * PATH_MAX], real[PATH_MAX], root[PATH_MAX];
  if (!realpath(S->cfg.web_root, root)) return 0;
  snprintf(path, sizeof path, "%s%s%s", root, url, url[strlen(url) - 1] == '/' ? "index.html" : "");
  struct stat st;
  size_t n = strlen(root); /* inside root: /srv/dist/x, not /srv/dist2/x through a link */
  if (!realpath(path, real) || strncmp(real, root, n) || (real[n] != '/' && strcmp(root, "/")) || stat(real, &st) ||
      !S_ISREG(st.st_mode))
    return 0;
  tb_resp_free(r);
  memset(r, 0, sizeof *r);
  snprintf(r->file, sizeof r->file, "%s", real);
  r->status = 200, r->content_type = mime_of(real);
  return 1;
}
