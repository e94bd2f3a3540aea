/* Paths of requests: relative to the data root, never leaving it. */
#include "tb_serve_path.h"
#include "tb_serve_json.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int inside(const char *root, const char *p) {
  size_t n = strlen(root);
  return !strncmp(root, p, n) && (p[n] == '/' || p[n] == 0);
}

static int has_dotdot(const char *p) {
  for (const char *s = p; *s;) {
    size_t l = strcspn(s, "/");
    if (l == 2 && s[0] == '.' && s[1] == '.') return 1;
    s += l;
    while (*s == '/') s++;
  }
  return 0;
}

int tb_path_resolve(const tb_srv *S, const char *rel, int mode, const char *field, char *out, size_t n, tb_resp *r) {
  char joined[PATH_MAX], real[PATH_MAX];
  if (!rel || !rel[0] || strlen(rel) > 1024)
    return tb_resp_problem(r, 400, "bad-path", "%s: a path relative to the data root is required", field), -1;
  if (rel[0] == '/' || has_dotdot(rel))
    return tb_resp_problem(r, 403, "outside-data-root", "%s '%.200s': absolute paths and '..' are refused; give a "
                           "path relative to the data root", field, rel), -1;
  if ((size_t)snprintf(joined, sizeof joined, "%.3000s/%.1024s", S->data_root, rel) >= sizeof joined)
    return tb_resp_problem(r, 400, "bad-path", "%s: path too long", field), -1;
  if (mode == TB_PATH_NEW) {
    char dir[PATH_MAX], base[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", joined);
    snprintf(base, sizeof base, "%s", joined);
    const char *b = basename(base);
    if (!realpath(dirname(dir), real))
      return tb_resp_problem(r, 404, "not-found", "%s '%.200s': its folder does not exist", field, rel), -1;
    if (!inside(S->data_root, real))
      return tb_resp_problem(r, 403, "outside-data-root", "%s '%.200s' resolves outside the data root", field, rel), -1;
    char full[PATH_MAX + PATH_MAX];
    snprintf(full, sizeof full, "%s/%s", real, b);
    char target[PATH_MAX]; /* an existing link in the last place must not point outside either */
    if (realpath(full, target) && !inside(S->data_root, target))
      return tb_resp_problem(r, 403, "outside-data-root", "%s '%.200s' resolves outside the data root", field, rel), -1;
    if (strlen(full) >= n) return tb_resp_problem(r, 400, "bad-path", "%s: path too long", field), -1;
    memcpy(out, full, strlen(full) + 1);
    return 0;
  }
  if (!realpath(joined, real))
    return tb_resp_problem(r, 404, "not-found", "%s '%.200s': %s", field, rel,
                           errno == ENOENT ? "no such file under the data root" : "cannot be read"), -1;
  if (!inside(S->data_root, real))
    return tb_resp_problem(r, 403, "outside-data-root", "%s '%.200s' resolves outside the data root", field, rel), -1;
  if (strlen(real) >= n) return tb_resp_problem(r, 400, "bad-path", "%s: path too long", field), -1;
  memcpy(out, real, strlen(real) + 1);
  return 0;
}

const char *tb_path_relative(const tb_srv *S, const char *abs) {
  size_t n = strlen(S->data_root);
  if (!inside(S->data_root, abs)) return "";
  return abs[n] == '/' ? abs + n + 1 : abs + n;
}
