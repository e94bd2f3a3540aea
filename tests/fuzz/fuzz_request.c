/* libFuzzer target: a request of tradebal serve, in process (tb_http_dispatch): the bytes are split into the
 * method (up to the first newline), the URL with its query (up to the second) and the body (the rest), then
 * routed, their query parsed, their body checked for depth and parsed, and handed to whichever handler the
 * route names (h5grove over a small HDF5 file of every type they serve, the quick checks, the runs
 * endpoints, health, metrics). Every request must end in an answer: a status 200-599; a problem object that
 * parses, carries that status and names no server path; JSON that parses; never a crash, a sanitizer report
 * or a leak. Auth is none (every scope), no jobs run, [limits] max_slice is small so answers stay small. */
#include "tb_error.h"
#include "tb_serve_http.h"
#include "tb_serve_json.h"
#include "tb_serve_server.h"

#include <hdf5.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static tb_srv g_srv;
static char g_root[64];

/* The data root's HDF5 file: datasets of the kinds h5grove serves, attributes, a group, links. */
static int make_file(const char *path) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) return -1;
  hsize_t d1 = 12, d2[2] = {3, 4}, d3[3] = {2, 2, 3};
  double m[12];
  int32_t v[12];
  for (int i = 0; i < 12; i++) m[i] = i * 0.5 - 2, v[i] = i * 7 - 30;
  m[3] = 0.0 / 0.0; /* a NaN for the JSON encoder */
  hid_t s1 = H5Screate_simple(1, &d1, NULL), s2 = H5Screate_simple(2, d2, NULL), s3 = H5Screate_simple(3, d3, NULL);
  hid_t sc = H5Screate(H5S_SCALAR), str = H5Tcopy(H5T_C_S1), vstr = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 8);
  H5Tset_size(vstr, H5T_VARIABLE);
  hid_t g = H5Gcreate2(f, "/group", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t a = H5Dcreate2(f, "/group/ints", H5T_STD_I32BE, s1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t b = H5Dcreate2(f, "/matrix", H5T_IEEE_F64LE, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t c = H5Dcreate2(f, "/cube", H5T_NATIVE_INT32, s3, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t s = H5Dcreate2(f, "/names", str, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t x = H5Dcreate2(f, "/scalar", H5T_IEEE_F32LE, sc, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t w = H5Dcreate2(f, "/words", vstr, s1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t at = H5Acreate2(g, "title", str, sc, H5P_DEFAULT, H5P_DEFAULT);
  const char *words[12] = {"a", "bb", "\xff\xfe", "", "quote\"", "tab\t", "x", "y", "z", "w", "v", "u"};
  char names[12][8] = {"alpha", "beta"};
  float one = 1.5f;
  int ok = a >= 0 && b >= 0 && c >= 0 && s >= 0 && x >= 0 && w >= 0 && at >= 0 &&
           H5Dwrite(a, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 &&
           H5Dwrite(b, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, m) >= 0 &&
           H5Dwrite(c, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 &&
           H5Dwrite(s, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, names) >= 0 &&
           H5Dwrite(x, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, &one) >= 0 &&
           H5Dwrite(w, vstr, H5S_ALL, H5S_ALL, H5P_DEFAULT, words) >= 0 && H5Awrite(at, str, "fuzzing") >= 0 &&
           H5Lcreate_soft("/matrix", f, "/soft", H5P_DEFAULT, H5P_DEFAULT) >= 0 &&
           H5Lcreate_soft("/nowhere", f, "/dangling", H5P_DEFAULT, H5P_DEFAULT) >= 0 &&
           H5Lcreate_external("/etc/other.h5", "/x", f, "/ext", H5P_DEFAULT, H5P_DEFAULT) >= 0;
  hid_t ids[] = {a, b, c, s, x, w};
  for (int i = 0; i < 6; i++)
    if (ids[i] >= 0) H5Dclose(ids[i]);
  if (at >= 0) H5Aclose(at);
  if (g >= 0) H5Gclose(g);
  H5Sclose(s1), H5Sclose(s2), H5Sclose(s3), H5Sclose(sc), H5Tclose(str), H5Tclose(vstr);
  H5Fclose(f);
  return ok ? 0 : -1;
}

static char g_file[128];

static void remove_root(void) { /* at a normal exit; a crash leaves the folder for the post-mortem */
  unlink(g_file);
  rmdir(g_root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  snprintf(g_root, sizeof g_root, "/tmp/tb_fuzz_request_XXXXXX");
  if (!mkdtemp(g_root)) return 1;
  snprintf(g_file, sizeof g_file, "%s/small.h5", g_root);
  atexit(remove_root);
  const char *path = g_file;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (make_file(path)) return 1;
  tb_serve_config cfg;
  tb_serve_config_defaults(&cfg);
  snprintf(cfg.data_root, sizeof cfg.data_root, "%s", g_root);
  cfg.auth_none = 1, cfg.max_slice = 64, cfg.max_batch = 64, cfg.workers = 1;
  if (tb_serve_config_check(&cfg) || tb_serve_open(&g_srv, &cfg, 0)) {
    fprintf(stderr, "fuzz_request: %s\n", tb_error_message());
    return 1;
  }
  return 0;
}

/* Whether the request itself names the data root (a problem may echo the caller's words; libFuzzer learns
 * strings its comparisons see, the data root among them). */
static int contains(const void *s, size_t n, const char *what) {
  size_t k = strlen(what);
  for (size_t i = 0; i + k <= n; i++)
    if (!memcmp((const char *)s + i, what, k)) return 1;
  return 0;
}

static int names_root(const char *url, const uint8_t *body, size_t n) {
  const char *base = strrchr(g_srv.data_root, '/') + 1;
  char *u = strdup(url); /* the path is echoed as sent, query values decoded (%00 included) */
  int yes = !u || strstr(url, base) || contains(u, MHD_http_unescape(u), base) || contains(body, n, base);
  free(u);
  return yes;
}

/* The answer's invariants (see the top); abort() is what libFuzzer reports. */
static void check(const tb_resp *r, int echo) {
  if (r->status < 200 || r->status > 599 || !r->content_type) abort();
  if (r->file[0]) return; /* a file served as it is (the OpenAPI document) */
  if (!strcmp(r->content_type, "application/problem+json")) {
    json_t *p = json_loadb(r->body, r->len, 0, NULL);
    if (!p || json_integer_value(json_object_get(p, "status")) != r->status) abort();
    const char *d = json_string_value(json_object_get(p, "detail"));
    if (!d || (!echo && strstr(d, g_srv.data_root))) abort(); /* never a server path */
    json_decref(p);
  } else if (!strcmp(r->content_type, "application/json")) {
    json_t *j = json_loadb(r->body, r->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!j) abort();
    json_decref(j);
  }
}

static char *part(const uint8_t **p, const uint8_t *end, size_t *n) {
  const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
  const uint8_t *stop = nl ? nl : end;
  *n = (size_t)(stop - *p);
  char *s = malloc(*n + 1);
  if (s) memcpy(s, *p, *n), s[*n] = 0;
  *p = nl ? nl + 1 : end;
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *p = data, *end = data + size;
  size_t nm, nu;
  char *method = part(&p, end, &nm), *url = part(&p, end, &nu);
  tb_resp r;
  if (method && url && nm <= 16) {
    if (tb_http_dispatch(&g_srv, method, url, (const char *)p, (size_t)(end - p), NULL, &r)) abort();
    check(&r, names_root(url, p, (size_t)(end - p)));
    tb_resp_free(&r);
  }
  free(method), free(url);
  tb_error_clear();
  return 0;
}
