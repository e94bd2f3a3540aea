/* A run's or a sweep's output as JSON (docs/formats.md): the summary (identity, sizes, the policy table of
 * MODEL.md section 8, deal counts; for a sweep its metrics table summarised over the scenarios) and the
 * difference of two outputs (every metric per policy, those that moved, the deals whose status changed,
 * counted chunk by chunk so memory stays bounded). Plain HDF5 (no MPI) under S->h5_lock. */
#include "tb_serve_results.h"
#include "tb_serve_h5data.h"
#include "tb_serve_json.h"
#include "tb_serve_path.h"
#include "tb_sha256.h"

#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK ((hsize_t)1 << 20)       /* deals compared per step */
#define MAX_TABLE ((hsize_t)1 << 24)   /* doubles of a metrics table read at once (128 MiB) */

typedef struct {
  hid_t f, lapl;
  char label[512]; /* the file as answers name it: below the data root, or its base name */
  int status;      /* HTTP status of the first failure */
  char why[700];
} rfile;

static int failf(rfile *F, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int failf(rfile *F, int status, const char *fmt, ...) {
  if (F->status) return -1; /* the first failure is the one to tell */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(F->why, sizeof F->why, fmt, ap);
  va_end(ap);
  F->status = status;
  return -1;
}

static json_t *jnum(double x) { return isfinite(x) ? json_real(x) : json_null(); }


/* ---- reading ---- */

static herr_t refuse_elink(const char *pf, const char *pg, const char *cf, const char *co, unsigned *fl, hid_t fapl,
                           void *op) {
  (void)pf, (void)pg, (void)cf, (void)co, (void)fl, (void)fapl, (void)op;
  return -1; /* an output never links to other files; one that does is not followed out of the data root */
}

static int open_output(tb_srv *S, const char *path, rfile *F) {
  memset(F, 0, sizeof *F);
  F->f = F->lapl = -1;
  const char *rel = tb_path_relative(S, path), *base = strrchr(path, '/');
  snprintf(F->label, sizeof F->label, "%s", rel[0] ? rel : base ? base + 1 : path);
  struct stat st;
  if (stat(path, &st)) return failf(F, 404, "%s: no such file", F->label);
  if (!S_ISREG(st.st_mode)) return failf(F, 422, "%s is not a regular file", F->label);
  F->f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (F->f < 0) return failf(F, 422, "%s cannot be opened as HDF5 (not HDF5, damaged, or being written)", F->label);
  F->lapl = H5Pcreate(H5P_LINK_ACCESS);
  if (F->lapl < 0 || H5Pset_elink_cb(F->lapl, refuse_elink, NULL) < 0) return failf(F, 500, "HDF5 property list");
  return 0;
}

static void close_output(rfile *F) {
  if (F->lapl >= 0) H5Pclose(F->lapl);
  if (F->f >= 0) H5Fclose(F->f);
  F->f = F->lapl = -1;
}

/* Whether every link of an absolute path exists (H5Lexists fails on a missing parent). */
static int has(const rfile *F, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1;; p++) {
    if (*p && *p != '/') continue;
    char c = *p;
    *p = 0;
    int e = H5Lexists(F->f, buf, F->lapl) > 0;
    *p = c;
    if (!e) return 0;
    if (!c) return 1;
  }
}

static hid_t open_ds(rfile *F, const char *name) {
  if (!has(F, name)) return failf(F, 422, "%s is not a tradebal output of this kind: it has no %s", F->label, name);
  hid_t d = H5Dopen2(F->f, name, H5P_DEFAULT);
  if (d < 0) failf(F, 422, "%s: %s cannot be opened", F->label, name);
  return d;
}

/* The dims of dataset name (rank checked); 0, or -1 (missing: a failure only when required). */
static int dims_of(rfile *F, const char *name, int rank, hsize_t *dims, int required) {
  if (!required && !has(F, name)) return -1;
  hid_t d = open_ds(F, name);
  if (d < 0) return -1;
  hid_t sp = H5Dget_space(d);
  int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == rank && H5Sget_simple_extent_dims(sp, dims, NULL) >= 0;
  if (sp >= 0) H5Sclose(sp);
  H5Dclose(d);
  return ok ? 0 : failf(F, 422, "%s: %s is not %d-dimensional", F->label, name, rank);
}

/* A whole small numeric dataset of `rank` dims as doubles (NaN stays NaN). */
static double *read_f64(rfile *F, const char *name, int rank, hsize_t *dims) {
  if (dims_of(F, name, rank, dims, 1)) return NULL;
  hsize_t n = 1;
  for (int i = 0; i < rank; i++) n = dims[i] && n > MAX_TABLE / dims[i] ? MAX_TABLE + 1 : n * dims[i];
  if (n > MAX_TABLE) return failf(F, 422, "%s: %s is too large to summarise here", F->label, name), NULL;
  double *v = malloc((n ? n : 1) * sizeof *v);
  hid_t d = v ? H5Dopen2(F->f, name, H5P_DEFAULT) : -1;
  int ok = d >= 0 && (!n || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
  if (d >= 0) H5Dclose(d);
  if (!ok) failf(F, v ? 422 : 500, "%s: %s cannot be read as numbers", F->label, name), free(v), v = NULL;
  return v;
}

static void free_strs(char **s, hsize_t n) {
  for (hsize_t i = 0; s && i < n; i++) free(s[i]);
  free(s);
}

/* The strings of a dataset or an attribute (fixed-width or variable-length) as malloc'd C strings. */
static char **read_strs(hid_t obj, int is_attr, hsize_t *n) {
  hid_t t = is_attr ? H5Aget_type(obj) : H5Dget_type(obj), sp = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
  hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
  char **out = NULL;
  int vlen = t >= 0 && H5Tis_variable_str(t) > 0;
  size_t w = t >= 0 ? H5Tget_size(t) : 0;
  hid_t mt = t >= 0 && H5Tget_class(t) == H5T_STRING ? H5Tcopy(H5T_C_S1) : -1;
  if (mt >= 0 && np >= 0 && np < 1 << 20 && H5Tset_size(mt, vlen ? H5T_VARIABLE : w) >= 0 &&
      (out = calloc((size_t)np + 1, sizeof *out))) {
    char *raw = vlen ? NULL : calloc((size_t)np + 1, w + 1);
    void *dst = vlen ? (void *)out : (void *)raw;
    herr_t st = !vlen && !raw ? -1 : is_attr ? H5Aread(obj, mt, dst) : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst);
    for (hssize_t i = 0; !vlen && st >= 0 && i < np; i++) out[i] = strndup(raw + (size_t)i * w, w);
    for (hssize_t i = 0; vlen && st >= 0 && i < np; i++) { /* library memory back, our own copies kept */
      char *lib = out[i];
      out[i] = strdup(lib ? lib : "");
      H5free_memory(lib);
    }
    free(raw);
    if (st < 0) free(out), out = NULL;
    for (hssize_t i = 0; out && i < np; i++)
      if (!out[i]) free_strs(out, (hsize_t)np), out = NULL;
  }
  if (mt >= 0) H5Tclose(mt);
  if (t >= 0) H5Tclose(t);
  if (sp >= 0) H5Sclose(sp);
  *n = out ? (hsize_t)np : 0;
  return out;
}

static char **ds_strs(rfile *F, const char *name, hsize_t *n) {
  hid_t d = open_ds(F, name);
  char **s = d >= 0 ? read_strs(d, 0, n) : NULL;
  if (d >= 0) H5Dclose(d);
  if (d >= 0 && !s) failf(F, 422, "%s: %s is not an array of strings", F->label, name);
  return s;
}

/* obj@name as strings; NULL when absent (a failure only when required). */
static char **attr_strs(rfile *F, const char *obj, const char *name, hsize_t *n, int required) {
  hid_t a = has(F, obj) && H5Aexists_by_name(F->f, obj, name, F->lapl) > 0
                ? H5Aopen_by_name(F->f, obj, name, H5P_DEFAULT, F->lapl) : -1;
  char **s = a >= 0 ? read_strs(a, 1, n) : NULL;
  if (a >= 0) H5Aclose(a);
  if (!s && required) failf(F, 422, "%s is not a tradebal output of this kind: %s@%s is missing or not text", F->label, obj, name);
  return s;
}

/* obj@name as one string (malloc'd) or NULL. */
static char *attr_str(rfile *F, const char *obj, const char *name) {
  hsize_t n;
  char **s = attr_strs(F, obj, name, &n, 0), *v = NULL;
  if (s && n >= 1) v = s[0], s[0] = NULL;
  free_strs(s, n);
  return v;
}

/* obj@name as an integer; 1 when present. */
static int attr_i64(rfile *F, const char *obj, const char *name, int64_t *v) {
  hid_t a = has(F, obj) && H5Aexists_by_name(F->f, obj, name, F->lapl) > 0
                ? H5Aopen_by_name(F->f, obj, name, H5P_DEFAULT, F->lapl) : -1;
  int ok = a >= 0 && H5Aread(a, H5T_NATIVE_INT64, v) >= 0;
  if (a >= 0) H5Aclose(a);
  return ok;
}

static void set_attr_int(rfile *F, json_t *o, const char *key, const char *obj, const char *name) {
  int64_t v;
  if (attr_i64(F, obj, name, &v)) json_object_set_new(o, key, json_integer(v));
}

static void set_attr_str(rfile *F, json_t *o, const char *key, const char *obj, const char *name, int as_number) {
  char *s = attr_str(F, obj, name);
  if (s) json_object_set_new(o, key, as_number ? jnum(strtod(s, NULL)) : tb_sbuf_json_string(s));
  free(s);
}

/* ---- summary ---- */

static json_t *identity(rfile *F, char **config) {
  json_t *o = json_object();
  static const char *const S[] = {"software", "version", "created", "backend", "input_sha256", "command"};
  for (int i = 0; i < 6; i++) set_attr_str(F, o, S[i], "/", S[i], 0);
  set_attr_int(F, o, "format_version", "/", "format_version");
  set_attr_int(F, o, "ranks", "/", "ranks");
  *config = attr_str(F, "/", "config");
  if (*config) {
    char hex[65];
    tb_sha256_mem(*config, strlen(*config), hex);
    json_object_set_new(o, "config_sha256", json_string(hex));
  }
  return o;
}

/* Sizes the output's datasets show (those present). */
static json_t *sizes(rfile *F) {
  static const struct { const char *key, *ds; int rank, dim; } T[] = {
      {"deals", "/deals/status", 1, 0},        {"parties", "/deals/value", 1, 0},
      {"entities", "/entities/direct_value", 1, 0}, {"regions", "/regions/exports", 2, 0},
      {"periods", "/regions/exports", 2, 1},   {"sectors", "/io/multipliers", 1, 0},
      {"policies", "/policies/names", 1, 0},   {"draws", "/policies/draw_levels", 2, 0},
      {"opportunities", "/opportunities/deal", 1, 0}, {"scenarios", "/scenarios/index", 1, 0},
      {"parameters", "/scenarios/params", 2, 1}};
  json_t *o = json_object();
  for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
    hsize_t dims[2];
    if (!dims_of(F, T[i].ds, T[i].rank, dims, 0)) json_object_set_new(o, T[i].key, json_integer((json_int_t)dims[T[i].dim]));
  }
  if (!json_object_get(o, "draws") && has(F, "/policies")) set_attr_int(F, o, "draws", "/policies", "draws");
  return o;
}

/* Per-value counts of a u8 dataset read chunk by chunk. */
static int count_u8(rfile *F, const char *name, int64_t counts[256]) {
  memset(counts, 0, 256 * sizeof *counts);
  hsize_t m;
  if (dims_of(F, name, 1, &m, 1)) return -1;
  uint8_t *buf = malloc(CHUNK);
  hid_t d = buf ? H5Dopen2(F->f, name, H5P_DEFAULT) : -1, fs = d >= 0 ? H5Dget_space(d) : -1;
  int ok = fs >= 0;
  for (hsize_t off = 0; ok && off < m; off += CHUNK) {
    hsize_t n = m - off < CHUNK ? m - off : CHUNK;
    hid_t ms = H5Screate_simple(1, &n, NULL);
    ok = ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, &off, NULL, &n, NULL) >= 0 &&
         H5Dread(d, H5T_NATIVE_UINT8, ms, fs, H5P_DEFAULT, buf) >= 0;
    if (ms >= 0) H5Sclose(ms);
    for (hsize_t i = 0; ok && i < n; i++) counts[buf[i]]++;
  }
  if (fs >= 0) H5Sclose(fs);
  if (d >= 0) H5Dclose(d);
  free(buf);
  return ok ? 0 : failf(F, 422, "%s: %s cannot be read", F->label, name);
}

static json_t *named_counts(const int64_t c[256], const char *const *names, int k) {
  json_t *o = json_object();
  int64_t other = 0;
  for (int i = 0; i < 256; i++)
    if (i < k) json_object_set_new(o, names[i], json_integer(c[i]));
    else other += c[i];
  if (other) json_object_set_new(o, "other", json_integer(other));
  return o;
}

static const char *const STATUS[] = {"win_win", "repairable", "not_win_win"};
static const char *const OUTCOME[] = {"traded", "not_win_win", "unfunded", "blocked_certificates", "blocked_tariff"};

static json_t *deal_counts(rfile *F) {
  int64_t c[256];
  json_t *o = json_object();
  if (!count_u8(F, "/deals/status", c)) json_object_set_new(o, "status", named_counts(c, STATUS, 3));
  if (has(F, "/deals/outcome") && !count_u8(F, "/deals/outcome", c))
    json_object_set_new(o, "outcome", named_counts(c, OUTCOME, 5));
  if (has(F, "/deals/funded") && !count_u8(F, "/deals/funded", c)) json_object_set_new(o, "funded", json_integer(c[1]));
  return o;
}

/* One policy table ([Q, C] with @columns) as {column: value} per policy. */
static int policy_table(rfile *F, const char *name, hsize_t q, json_t **rows) {
  hsize_t dims[2], nc;
  char **cols = attr_strs(F, name, "columns", &nc, 1);
  double *v = cols ? read_f64(F, name, 2, dims) : NULL;
  int ok = v && dims[0] == q && dims[1] == nc;
  if (v && !ok) failf(F, 422, "%s: %s is %llux%llu, not one row per policy and one column per name", F->label, name,
                      (unsigned long long)dims[0], (unsigned long long)dims[1]);
  for (hsize_t p = 0; ok && p < q; p++) {
    rows[p] = json_object();
    for (hsize_t c = 0; c < nc; c++) json_object_set_new(rows[p], cols[c], jnum(v[p * nc + c]));
  }
  free(v);
  free_strs(cols, nc);
  return ok ? 0 : -1;
}

static json_t *run_policies(rfile *F, json_t *s) {
  hsize_t q = 0, nc = 0;
  char **names = ds_strs(F, "/policies/names", &q), *best = attr_str(F, "/policies", "recommended");
  char **cols = names ? attr_strs(F, "/policies/metrics", "columns", &nc, 1) : NULL;
  json_t **m = calloc(q + 1, sizeof *m), **d = calloc(q + 1, sizeof *d), *a = json_array();
  int ok = cols && m && d && !policy_table(F, "/policies/metrics", q, m);
  if (ok && has(F, "/policies/deltas")) ok = !policy_table(F, "/policies/deltas", q, d);
  for (hsize_t p = 0; ok && p < q; p++) {
    json_t *row = json_pack("{s:o, s:b, s:o}", "name", tb_sbuf_json_string(names[p]), "recommended", best && !strcmp(best, names[p]),
                            "metrics", m[p]);
    m[p] = NULL;
    if (row && d[p]) json_object_set_new(row, "deltas", d[p]), d[p] = NULL;
    json_array_append_new(a, row);
  }
  if (ok) {
    json_t *c = json_array();
    for (hsize_t i = 0; i < nc; i++) json_array_append_new(c, tb_sbuf_json_string(cols[i]));
    json_object_set_new(s, "columns", c);
    if (best) json_object_set_new(s, "recommended", tb_sbuf_json_string(best));
  }
  for (hsize_t p = 0; m && d && p < q; p++) json_decref(m[p]), json_decref(d[p]);
  free(m), free(d), free(best);
  free_strs(names, q), free_strs(cols, nc);
  if (!ok) json_decref(a), a = NULL;
  return a;
}

static json_t *assessment(rfile *F) {
  json_t *o = json_object();
  set_attr_int(F, o, "draws", "/policies", "draws");
  set_attr_int(F, o, "seed", "/policies", "seed");
  set_attr_str(F, o, "sigma_rep", "/policies", "sigma_rep", 1);
  int64_t fb;
  if (attr_i64(F, "/policies", "sigma_rep_fallback", &fb)) json_object_set_new(o, "sigma_rep_fallback", json_boolean(fb));
  return o;
}

static json_t *run_extras(rfile *F, json_t *s) {
  json_object_set_new(s, "assessment", assessment(F));
  json_object_set_new(s, "deals", deal_counts(F));
  json_t *o = json_object();
  set_attr_int(F, o, "opportunities", "/opportunities", "opportunities");
  set_attr_int(F, o, "funded", "/opportunities", "funded_count");
  json_object_set_new(s, "opportunities", o);
  json_t *n = json_object();
  set_attr_int(F, n, "iterations", "/entities", "network_iterations");
  int64_t conv;
  if (attr_i64(F, "/entities", "network_converged", &conv)) json_object_set_new(n, "converged", json_boolean(conv));
  set_attr_str(F, n, "residual", "/entities", "network_residual", 1);
  json_object_set_new(s, "network", n);
  return s;
}

/* min, mean and max of the finite values of column c (nulls where none). */
static json_t *column_stats(const double *v, hsize_t n, hsize_t nc, hsize_t c) {
  double lo = INFINITY, hi = -INFINITY, sum = 0, comp = 0;
  hsize_t k = 0;
  for (hsize_t i = 0; i < n; i++) {
    double x = v[i * nc + c];
    if (!isfinite(x)) continue;
    lo = x < lo ? x : lo, hi = x > hi ? x : hi, k++;
    tb_kahan_add(&sum, &comp, x); /* compensated: equal values average to themselves */
  }
  sum += comp;
  return json_pack("{s:o, s:o, s:o, s:I}", "min", k ? jnum(lo) : json_null(), "mean",
                   k ? jnum(sum / (double)k) : json_null(), "max", k ? jnum(hi) : json_null(), "count", (json_int_t)k);
}

static int policy_of_column(const char *col, char **names, hsize_t q, const char **metric) {
  const char *slash = strrchr(col, '/');
  if (!slash) return -1;
  for (hsize_t p = 0; p < q; p++)
    if (strlen(names[p]) == (size_t)(slash - col) && !strncmp(col, names[p], (size_t)(slash - col)))
      return *metric = slash + 1, (int)p;
  return -1;
}

/* A sweep's /scenarios/metrics over its scenarios: per policy and metric min, mean and max. */
static json_t *sweep_policies(rfile *F) {
  hsize_t q = 0, nc = 0, dims[2] = {0, 0}, nb = 0, nr[1];
  char **names = ds_strs(F, "/policies/names", &q);
  char **cols = names ? attr_strs(F, "/scenarios/metrics", "columns", &nc, 1) : NULL;
  double *v = cols ? read_f64(F, "/scenarios/metrics", 2, dims) : NULL;
  int64_t *best = NULL;
  if (v && dims[1] != nc) failf(F, 422, "%s: /scenarios/metrics has %llu columns and %llu names", F->label,
                                (unsigned long long)dims[1], (unsigned long long)nc);
  if (v && dims[1] == nc && !dims_of(F, "/scenarios/recommended", 1, nr, 1) && nr[0] == dims[0] &&
      (best = malloc((nr[0] + 1) * sizeof *best))) {
    hid_t d = H5Dopen2(F->f, "/scenarios/recommended", H5P_DEFAULT);
    if (d < 0 || (nr[0] && H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, best) < 0)) free(best), best = NULL;
    if (d >= 0) H5Dclose(d);
    nb = nr[0];
  }
  json_t *a = best ? json_array() : NULL;
  for (hsize_t p = 0; a && p < q; p++) {
    int64_t times = 0;
    for (hsize_t i = 0; i < nb; i++) times += best[i] == (int64_t)p;
    json_t *m = json_object();
    for (hsize_t c = 0; c < nc; c++) {
      const char *metric = "";
      if (policy_of_column(cols[c], names, q, &metric) == (int)p)
        json_object_set_new(m, metric, column_stats(v, dims[0], nc, c));
    }
    json_array_append_new(a, json_pack("{s:o, s:I, s:o}", "name", tb_sbuf_json_string(names[p]), "recommended_in", (json_int_t)times,
                                       "metrics", m));
  }
  if (!a) failf(F, 422, "%s: the sweep's tables do not agree", F->label);
  free(v), free(best);
  free_strs(names, q), free_strs(cols, nc);
  return a;
}

static json_t *sweep_parameters(rfile *F) {
  hsize_t dims[2], np = 0;
  json_t *a = json_array();
  if (!has(F, "/scenarios/params")) return a;
  char **names = attr_strs(F, "/scenarios/params", "names", &np, 0);
  double *v = names ? read_f64(F, "/scenarios/params", 2, dims) : NULL;
  for (hsize_t j = 0; v && dims[1] == np && j < np; j++) {
    json_t *st = column_stats(v, dims[0], np, j);
    json_object_del(st, "mean"), json_object_del(st, "count");
    json_object_set_new(st, "name", tb_sbuf_json_string(names[j]));
    json_array_append_new(a, st);
  }
  free(v);
  free_strs(names, np);
  return a;
}

static json_t *sweep_extras(rfile *F, json_t *s) {
  json_t *o = json_object();
  set_attr_str(F, o, "method", "/scenarios", "method", 0);
  set_attr_int(F, o, "scenarios", "/scenarios", "scenarios");
  set_attr_int(F, o, "shard", "/scenarios", "shard");
  set_attr_int(F, o, "shards", "/scenarios", "shards");
  json_object_set_new(s, "sweep", o);
  json_object_set_new(s, "parameters", sweep_parameters(F));
  return s;
}

/* The summary of an open output; *config receives its config text (malloc'd, or NULL). */
static json_t *summary_of(rfile *F, char **config) {
  int sweep = has(F, "/scenarios/metrics");
  if (!sweep && !has(F, "/policies/metrics"))
    return failf(F, 422, "%s is not a tradebal run or sweep output: it has neither /policies/metrics nor "
                 "/scenarios/metrics", F->label), NULL;
  json_t *s = json_pack("{s:s, s:o, s:o, s:o}", "kind", sweep ? "sweep" : "run", "file", tb_sbuf_json_string(F->label), "identity",
                        identity(F, config), "sizes", sizes(F));
  json_t *p = s ? (sweep ? sweep_policies(F) : run_policies(F, s)) : NULL;
  if (p) json_object_set_new(s, "policies", p);
  if (p && sweep) sweep_extras(F, s);
  else if (p) run_extras(F, s);
  if (!F->status) return s;
  json_decref(s);
  free(*config), *config = NULL;
  return NULL;
}

static int answer_failure(const rfile *F, tb_resp *r) {
  const char *type = F->status == 404 ? "not-found" : F->status == 422 ? "not-an-output" : "internal";
  tb_resp_problem(r, F->status ? F->status : 500, type, "%s", F->status ? F->why : "the output could not be read");
  return -1;
}

int tb_results_summary(tb_srv *S, const char *path, json_t **out, tb_resp *r) {
  rfile F;
  char *config = NULL;
  pthread_mutex_lock(&S->h5_lock);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  *out = open_output(S, path, &F) ? NULL : summary_of(&F, &config);
  close_output(&F);
  pthread_mutex_unlock(&S->h5_lock);
  free(config);
  return *out ? 0 : answer_failure(&F, r);
}

/* ---- difference ---- */

/* Whether a metric moved: equal values (and two non-numbers, null in JSON) never do. */
static int moved(json_t *a, json_t *b, double tol) {
  if (json_is_null(a) && json_is_null(b)) return 0;
  if (json_is_null(a) || json_is_null(b)) return 1;
  double x = json_number_value(a), y = json_number_value(b);
  return x != y && fabs(y - x) > tol * fmax(fabs(x), fabs(y));
}

static json_t *change(json_t *a, json_t *b) {
  json_t *c = json_pack("{s:O, s:O}", "a", a ? a : json_null(), "b", b ? b : json_null());
  int num = json_is_number(a) && json_is_number(b);
  double x = json_number_value(a), y = json_number_value(b);
  json_object_set_new(c, "delta", num ? jnum(y - x) : json_null());
  json_object_set_new(c, "relative", num && x != 0 ? jnum((y - x) / fabs(x)) : json_null());
  return c;
}

/* The value to compare of a metric: itself (run) or its mean over the scenarios (sweep). */
static json_t *value_of(json_t *metric) { return json_is_object(metric) ? json_object_get(metric, "mean") : metric; }

static json_t *find_policy(json_t *policies, const char *name) {
  size_t i;
  json_t *p;
  json_array_foreach(policies, i, p) {
    const char *n = json_string_value(json_object_get(p, "name"));
    if (n && !strcmp(n, name)) return p;
  }
  return NULL;
}

/* Every metric of the policies both outputs have: a, b, delta, relative, moved; the moved ones listed. */
static void diff_policies(json_t *sa, json_t *sb, double tol, json_t *d) {
  json_t *pa = json_object_get(sa, "policies"), *pb = json_object_get(sb, "policies");
  json_t *out = json_array(), *mv = json_array(), *only_a = json_array(), *only_b = json_array(), *p;
  size_t i;
  json_array_foreach(pa, i, p) {
    const char *name = json_string_value(json_object_get(p, "name"));
    json_t *q = find_policy(pb, name), *ma = json_object_get(p, "metrics"), *m = json_object(), *va;
    const char *key;
    if (!q) {
      json_array_append_new(only_a, json_string(name));
      continue;
    }
    json_object_foreach(ma, key, va) {
      json_t *vb = json_object_get(json_object_get(q, "metrics"), key);
      if (!vb) continue;
      json_t *x = value_of(va), *y = value_of(vb), *c = change(x, y);
      int mo = moved(x, y, tol);
      json_object_set_new(c, "moved", json_boolean(mo));
      if (mo) {
        json_t *e = json_deep_copy(c);
        json_object_del(e, "moved");
        json_object_set_new(e, "policy", json_string(name));
        json_object_set_new(e, "metric", json_string(key));
        json_array_append_new(mv, e);
      }
      json_object_set_new(m, key, c);
    }
    json_array_append_new(out, json_pack("{s:s, s:o}", "name", name, "metrics", m));
  }
  json_array_foreach(pb, i, p) {
    const char *name = json_string_value(json_object_get(p, "name"));
    if (!find_policy(pa, name)) json_array_append_new(only_b, json_string(name));
  }
  json_object_set_new(d, "policies", out);
  json_object_set_new(d, "moved", mv);
  json_object_set_new(d, "only_in_a", only_a);
  json_object_set_new(d, "only_in_b", only_b);
}

/* An absolute path of a config (the resolved config names files absolutely) as answers may show it: "." and
 * ".." folded, then relative to the data root, or only its base name when outside it (no server path leaks). */
static void shown_path(const char *root, const char *v, char *out, size_t n) {
  char norm[1024] = "";
  size_t len = 0;
  for (const char *s = v; *s;) {
    size_t l = strcspn(s, "/");
    if (l == 2 && !strncmp(s, "..", 2)) {
      while (len && norm[len - 1] != '/') len--;
      if (len) len--;
    } else if (l && !(l == 1 && s[0] == '.') && len + l + 2 < sizeof norm) {
      norm[len++] = '/';
      memcpy(norm + len, s, l), len += l;
    }
    norm[len] = 0;
    s += l + (s[l] == '/');
  }
  size_t r = strlen(root);
  if (r == 1 && root[0] == '/') snprintf(out, n, "%s", norm[0] ? norm + 1 : ".");
  else if (r && !strncmp(norm, root, r) && (norm[r] == '/' || !norm[r])) snprintf(out, n, "%s", norm[r] ? norm + r + 1 : ".");
  else snprintf(out, n, "(outside the data root)/%s", strrchr(norm, '/') ? strrchr(norm, '/') + 1 : norm);
}

/* "section.key = value" lines of an INI text, for the config keys that differ. */
static json_t *ini_pairs(const char *text, const char *root) {
  json_t *o = json_object();
  char section[128] = "";
  for (const char *s = text ? text : ""; *s;) {
    size_t n = strcspn(s, "\n");
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), s);
    s += n + (s[n] == '\n');
    char *l = line + strspn(line, " \t"), *eq = strchr(l, '=');
    if (l[0] == '[') {
      snprintf(section, sizeof section, "%.*s", (int)strcspn(l + 1, "]"), l + 1);
    } else if (eq && l[0] != ';' && l[0] != '#') {
      char *k = l, *v = eq + 1, key[300];
      for (*eq = 0; eq > k && (eq[-1] == ' ' || eq[-1] == '\t'); eq--) eq[-1] = 0;
      v += strspn(v, " \t");
      for (size_t e = strlen(v); e && (v[e - 1] == ' ' || v[e - 1] == '\r'); e--) v[e - 1] = 0;
      snprintf(key, sizeof key, "%s%s%s", section, section[0] ? "." : "", k);
      char shown[1024];
      if (v[0] == '/') shown_path(root, v, shown, sizeof shown);
      json_object_set_new(o, key, tb_sbuf_json_string(v[0] == '/' ? shown : v));
    }
  }
  return o;
}

static json_t *config_changes(const char *root, const char *ca, const char *cb) {
  json_t *a = ini_pairs(ca, root), *b = ini_pairs(cb, root), *out = json_array(), *v;
  const char *key;
  json_object_foreach(a, key, v) {
    json_t *w = json_object_get(b, key);
    if (!w || !json_equal(v, w)) json_array_append_new(out, json_pack("{s:s, s:O, s:O}", "key", key, "a", v, "b", w ? w : json_null()));
  }
  json_object_foreach(b, key, v) if (!json_object_get(a, key))
    json_array_append_new(out, json_pack("{s:s, s:n, s:O}", "key", key, "b", v));
  json_decref(a), json_decref(b);
  return out;
}

/* Deal status (and outcome) of the two runs compared chunk by chunk: how many changed, and how. */
static json_t *diff_deals(rfile *A, rfile *B) {
  hsize_t ma, mb;
  if (dims_of(A, "/deals/status", 1, &ma, 1) || dims_of(B, "/deals/status", 1, &mb, 1)) return NULL;
  if (ma != mb)
    return failf(A, 422, "%s has %llu deals and %s %llu: deal status can only be compared over the same deals",
                 A->label, (unsigned long long)ma, B->label, (unsigned long long)mb), NULL;
  int64_t trans[3][3] = {{0}}, status_changed = 0, outcome_changed = 0;
  int outcome = has(A, "/deals/outcome") && has(B, "/deals/outcome");
  uint8_t *buf = malloc(4 * CHUNK);
  hid_t ds[4] = {-1, -1, -1, -1}, fs[4] = {-1, -1, -1, -1};
  const char *names[4] = {"/deals/status", "/deals/status", "/deals/outcome", "/deals/outcome"};
  int ok = buf != NULL;
  for (int k = 0; ok && k < (outcome ? 4 : 2); k++) {
    ds[k] = H5Dopen2((k & 1 ? B : A)->f, names[k], H5P_DEFAULT);
    fs[k] = ds[k] >= 0 ? H5Dget_space(ds[k]) : -1;
    hsize_t m = 0;
    ok = fs[k] >= 0 && H5Sget_simple_extent_ndims(fs[k]) == 1 && H5Sget_simple_extent_dims(fs[k], &m, NULL) >= 0 &&
         m == ma;
  }
  for (hsize_t off = 0; ok && off < ma; off += CHUNK) {
    hsize_t n = ma - off < CHUNK ? ma - off : CHUNK;
    hid_t ms = H5Screate_simple(1, &n, NULL);
    for (int k = 0; ok && k < (outcome ? 4 : 2); k++)
      ok = ms >= 0 && H5Sselect_hyperslab(fs[k], H5S_SELECT_SET, &off, NULL, &n, NULL) >= 0 &&
           H5Dread(ds[k], H5T_NATIVE_UINT8, ms, fs[k], H5P_DEFAULT, buf + k * CHUNK) >= 0;
    if (ms >= 0) H5Sclose(ms);
    const uint8_t *sa = buf, *sb = buf + CHUNK, *oa = buf + 2 * CHUNK, *ob = buf + 3 * CHUNK;
    for (hsize_t i = 0; ok && i < n; i++) {
      status_changed += sa[i] != sb[i];
      if (sa[i] < 3 && sb[i] < 3) trans[sa[i]][sb[i]]++;
      if (outcome) outcome_changed += oa[i] != ob[i];
    }
  }
  for (int k = 0; k < 4; k++) {
    if (fs[k] >= 0) H5Sclose(fs[k]);
    if (ds[k] >= 0) H5Dclose(ds[k]);
  }
  free(buf);
  if (!ok) return failf(A, 422, "the deal tables of %s and %s cannot be read together", A->label, B->label), NULL;
  json_t *t = json_array();
  for (int i = 0; i < 3; i++) json_array_append_new(t, json_pack("[I, I, I]", (json_int_t)trans[i][0], (json_int_t)trans[i][1], (json_int_t)trans[i][2]));
  json_t *d = json_pack("{s:I, s:I, s:o}", "count", (json_int_t)ma, "status_changed", (json_int_t)status_changed,
                        "status_transitions", t);
  if (outcome) json_object_set_new(d, "outcome_changed", json_integer(outcome_changed));
  return d;
}

static json_t *side(json_t *s) {
  json_t *id = json_object_get(s, "identity"), *o = json_pack("{s:O}", "file", json_object_get(s, "file"));
  static const char *const K[] = {"version", "created", "input_sha256", "config_sha256"};
  for (int i = 0; i < 4; i++)
    if (json_object_get(id, K[i])) json_object_set(o, K[i], json_object_get(id, K[i]));
  return o;
}

static json_t *same(json_t *sa, json_t *sb, const char *key) {
  json_t *a = json_object_get(json_object_get(sa, "identity"), key), *b = json_object_get(json_object_get(sb, "identity"), key);
  return json_boolean(a && b && json_equal(a, b));
}

static json_t *diff_of(const tb_srv *S, rfile *A, rfile *B, json_t *sa, json_t *sb, const char *ca, const char *cb,
                       double tol) {
  const char *ka = json_string_value(json_object_get(sa, "kind")), *kb = json_string_value(json_object_get(sb, "kind"));
  if (strcmp(ka, kb))
    return failf(A, 422, "%s is a %s output and %s a %s output: compare like with like", A->label, ka, B->label, kb), NULL;
  json_t *d = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:f}", "kind", ka, "a", side(sa), "b", side(sb), "same_input",
                        same(sa, sb, "input_sha256"), "same_config", same(sa, sb, "config_sha256"), "config_changes",
                        config_changes(S->data_root, ca, cb), "tolerance", tol);
  json_t *ra = json_object_get(sa, "recommended"), *rb = json_object_get(sb, "recommended");
  if (ra || rb)
    json_object_set_new(d, "recommended", json_pack("{s:O, s:O, s:b}", "a", ra ? ra : json_null(), "b", rb ? rb : json_null(),
                                                    "changed", !(ra && rb && json_equal(ra, rb))));
  diff_policies(sa, sb, tol, d);
  json_t *deals = strcmp(ka, "run") ? json_null() : diff_deals(A, B);
  if (!deals) return json_decref(d), NULL;
  json_object_set_new(d, "deals", deals);
  return d;
}

int tb_results_diff_tol(tb_srv *S, const char *path_a, const char *path_b, double tol, json_t **out, tb_resp *r) {
  rfile A, B;
  char *ca = NULL, *cb = NULL;
  json_t *sa = NULL, *sb = NULL;
  *out = NULL;
  if (!(tol >= 0 && isfinite(tol)))
    return tb_resp_problem(r, 400, "bad-parameter", "the tolerance must be a finite number >= 0"), -1;
  pthread_mutex_lock(&S->h5_lock);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  int oa = open_output(S, path_a, &A), ob = open_output(S, path_b, &B);
  if (!oa) sa = summary_of(&A, &ca);
  if (!ob && sa) sb = summary_of(&B, &cb);
  if (sa && sb) *out = diff_of(S, &A, &B, sa, sb, ca, cb, tol);
  close_output(&A), close_output(&B);
  pthread_mutex_unlock(&S->h5_lock);
  json_decref(sa), json_decref(sb);
  free(ca), free(cb);
  if (*out) return 0;
  return answer_failure(A.status ? &A : &B, r);
}

int tb_results_diff(tb_srv *S, const char *path_a, const char *path_b, json_t **out, tb_resp *r) {
  return tb_results_diff_tol(S, path_a, path_b, TB_RESULTS_TOLERANCE, out, r);
}
