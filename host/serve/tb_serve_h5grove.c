/* h5grove's protocol over HDF5 files under the data root, read-only (github silx-kit/h5grove: content.py,
 * utils.py, encoders.py and its flask/tornado handlers; what H5Web's H5GroveApi asks): meta (an entity and,
 * for a group, its children), attr (attribute values, all or attr_keys) and data (a dataset or a slice of
 * it as JSON, raw bytes or .npy). Differences, each for safety: external links are listed, never followed
 * (they name other files); datasets whose data live in other files (external storage, virtual) are refused;
 * errors are problem objects, with h5grove's "message" member added for H5Web. */
#include "tb_serve_h5grove.h"
#include "tb_serve_h5data.h"
#include "tb_serve_json.h"
#include "tb_serve_path.h"

#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

enum { E_GROUP, E_DATASET, E_DATATYPE, E_SOFT, E_EXTERNAL, E_OTHER };
enum { LINKS_NONE, LINKS_VALID, LINKS_ALL };
static const char *const KIND[] = {"group", "dataset", "datatype", "soft_link", "external_link", "other"};

typedef struct {
  tb_srv *S;
  hid_t file, lapl;
  const char *rel;  /* the file as the caller named it */
  int links;        /* resolve_links */
  int64_t max;      /* [limits] max_slice */
} h5g_file;

typedef struct {
  int kind;
  hid_t obj; /* group, dataset or named datatype; -1 for a link left unresolved */
  char target[1024], target_file[1024];
} h5g_entity;

/* ---- answers ---- */

/* Add h5grove's {"message": ...} to the problem in r, which H5Web's provider reads for its error text. */
static void add_message(tb_resp *r, const char *prefix) {
  json_t *j = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
  const char *d = json_string_value(json_object_get(j, "detail"));
  char msg[1400];
  snprintf(msg, sizeof msg, "%s%s", prefix, d ? d : "");
  if (d && !json_object_set_new(j, "message", json_string(msg))) {
    int status = r->status;
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (s) tb_resp_text(r, status, "application/problem+json", s, strlen(s));
  }
  json_decref(j);
}

static int fail(tb_resp *r, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail(tb_resp *r, int status, const char *fmt, ...) {
  char detail[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  const char *type = status == 400 ? "bad-parameter" : status == 403 ? "refused" : status == 404 ? "not-found"
                     : status == 413 ? "too-large" : status == 422 ? "unprocessable" : "internal";
  tb_resp_problem(r, status, type, "%s", detail);
  add_message(r, "");
  return 0;
}


/* ---- files and entities ---- */

static herr_t refuse_elink(const char *parent_file, const char *parent_group, const char *child_file,
                           const char *child_object, unsigned *acc_flags, hid_t fapl, void *op) {
  (void)parent_file, (void)parent_group, (void)child_file, (void)child_object, (void)acc_flags, (void)fapl, (void)op;
  return -1; /* external links name other files, perhaps outside the data root: never followed */
}

static int parse_links(const tb_req *q, int *links, tb_resp *r) {
  const char *v = tb_req_query(q, "resolve_links");
  *links = LINKS_VALID;
  if (!v || !strcasecmp(v, "only_valid")) return 0;
  if (!strcasecmp(v, "none") || !strcasecmp(v, "false")) return *links = LINKS_NONE, 0;
  if (!strcasecmp(v, "all") || !strcasecmp(v, "true")) return *links = LINKS_ALL, 0;
  fail(r, 422, "%.64s is not a valid value for link resolution. Accepted values are: all, none or only_valid", v);
  return -1;
}

/* Resolve `file` and open it read-only, holding S->h5_lock from here to close_file. */
static int open_file(tb_srv *S, const tb_req *q, h5g_file *F, tb_resp *r) {
  char path[4096];
  struct stat st;
  memset(F, 0, sizeof *F);
  F->S = S, F->file = F->lapl = -1, F->max = S->cfg.max_slice;
  F->rel = tb_req_query(q, "file");
  if (parse_links(q, &F->links, r)) return -1;
  if (tb_path_resolve(S, F->rel, TB_PATH_EXISTING, "file", path, sizeof path, r)) {
    add_message(r, r->status == 404 ? "File not found! " : r->status == 403 ? "Permission denied! " : "");
    return -1;
  }
  if (stat(path, &st) || !S_ISREG(st.st_mode)) /* a folder or a pipe: H5Fopen could even block on a FIFO */
    return fail(r, 422, "file '%.200s' is not a regular file", F->rel), -1;
  pthread_mutex_lock(&S->h5_lock);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* failures are answered, not printed */
  F->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  F->lapl = H5Pcreate(H5P_LINK_ACCESS);
  if (F->lapl >= 0 && H5Pset_elink_cb(F->lapl, refuse_elink, NULL) < 0) H5Pclose(F->lapl), F->lapl = -1;
  if (F->file >= 0 && F->lapl >= 0) return 0;
  if (F->lapl >= 0) H5Pclose(F->lapl);
  if (F->file >= 0) H5Fclose(F->file);
  pthread_mutex_unlock(&S->h5_lock);
  return fail(r, 422, "file '%.200s' cannot be opened as HDF5 (not HDF5, damaged, or being written)", F->rel), -1;
}

static void close_file(h5g_file *F) {
  H5Pclose(F->lapl);
  H5Fclose(F->file);
  pthread_mutex_unlock(&F->S->h5_lock);
}

static void close_entity(h5g_entity *e) {
  if (e->obj >= 0) H5Oclose(e->obj);
  e->obj = -1;
}

/* A link's target (soft: a path; external: a file and a path), as h5py's SoftLink/ExternalLink hold them. */
static int link_target(hid_t loc, const char *name, const H5L_info_t *li, hid_t lapl, h5g_entity *e) {
  size_t n = li->u.val_size;
  char *buf = n && n < 65536 ? malloc(n + 1) : NULL;
  int ok = buf && H5Lget_val(loc, name, buf, n, lapl) >= 0;
  if (ok && li->type == H5L_TYPE_SOFT) {
    buf[n] = 0;
    snprintf(e->target, sizeof e->target, "%s", buf);
  } else if (ok) {
    unsigned flags;
    const char *file = NULL, *obj = NULL;
    ok = H5Lunpack_elink_val(buf, n, &flags, &file, &obj) >= 0;
    if (ok) snprintf(e->target_file, sizeof e->target_file, "%s", file ? file : "");
    if (ok) snprintf(e->target, sizeof e->target, "%s", obj ? obj : "");
  }
  free(buf);
  return ok ? 0 : -1;
}

/* The entity `name` names from loc (h5grove utils.get_entity_from_file): 0, or 404 with why. */
static int resolve(const h5g_file *F, hid_t loc, const char *name, h5g_entity *e, char *why, size_t nwhy) {
  memset(e, 0, sizeof *e);
  e->obj = -1, e->kind = E_OTHER;
  int root = name[strspn(name, "/")] == 0; /* "/", "//": the root group, which no link names */
  H5L_info_t li;
  li.type = H5L_TYPE_HARD;
  if (!root && H5Lget_info(loc, name, &li, F->lapl) < 0)
    return snprintf(why, nwhy, "%.300s is not a valid path in %.200s", name, F->rel), 404;
  if (li.type == H5L_TYPE_EXTERNAL || li.type == H5L_TYPE_SOFT) {
    if (link_target(loc, name, &li, F->lapl, e)) return snprintf(why, nwhy, "the link %.300s cannot be read", name), 404;
    e->kind = li.type == H5L_TYPE_SOFT ? E_SOFT : E_EXTERNAL;
    if (li.type == H5L_TYPE_EXTERNAL || F->links == LINKS_NONE) return 0;
  } else if (li.type != H5L_TYPE_HARD) {
    return 0; /* a user-defined link: "other" */
  }
  e->obj = H5Oopen(loc, root ? "/" : name, F->lapl);
  if (e->obj < 0) {
    if (e->kind == E_SOFT && F->links == LINKS_VALID) return 0; /* a dangling soft link: listed as such */
    return snprintf(why, nwhy, "Cannot resolve the link at %.300s of %.200s", name, F->rel), 404;
  }
  H5O_info_t oi;
  if (H5Oget_info2(e->obj, &oi, H5O_INFO_BASIC) < 0) oi.type = H5O_TYPE_UNKNOWN;
  e->kind = oi.type == H5O_TYPE_GROUP ? E_GROUP : oi.type == H5O_TYPE_DATASET ? E_DATASET
            : oi.type == H5O_TYPE_NAMED_DATATYPE ? E_DATATYPE : E_OTHER;
  return 0;
}

/* The entity at the request's `path` (default "/"); 0, or -1 with the problem in r. */
static int entity_of(const h5g_file *F, const tb_req *q, h5g_entity *e, tb_resp *r) {
  const char *path = tb_req_query(q, "path");
  char why[600], full[4200];
  if (!path || !path[0]) path = "/";
  if (strlen(path) > 4000) return fail(r, 400, "path: longer than 4000 characters"), -1;
  snprintf(full, sizeof full, "%s%s", path[0] == '/' ? "" : "/", path); /* h5py: relative to the root */
  int st = resolve(F, F->file, full, e, why, sizeof why);
  if (st) return fail(r, st, "%s", why), -1;
  return 0;
}

/* h5grove names an entity by its path's last segment ("" for the root). */
static const char *name_of(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* ---- metadata ---- */

static json_t *shape_of(hid_t space) {
  H5S_class_t c = H5Sget_simple_extent_type(space);
  if (c == H5S_NULL) return json_null();
  json_t *a = json_array();
  hsize_t dims[H5S_MAX_RANK];
  int nd = c == H5S_SIMPLE ? H5Sget_simple_extent_ndims(space) : 0;
  if (nd > 0 && H5Sget_simple_extent_dims(space, dims, NULL) >= 0)
    for (int i = 0; i < nd; i++) json_array_append_new(a, json_integer((json_int_t)dims[i]));
  return a;
}

typedef struct {
  char **names;
  size_t n, cap, max;
  int over, oom;
} name_list;

static int add_name(name_list *L, const char *name) {
  if (L->n == L->max) return L->over = 1, 1;
  if (L->n == L->cap) {
    size_t cap = L->cap ? 2 * L->cap : 64;
    char **g = realloc(L->names, cap * sizeof *g);
    if (!g) return L->oom = 1, 1;
    L->names = g, L->cap = cap;
  }
  if (!(L->names[L->n] = strdup(name))) return L->oom = 1, 1;
  L->n++;
  return 0;
}

static void free_names(name_list *L) {
  for (size_t i = 0; i < L->n; i++) free(L->names[i]);
  free(L->names);
}

static herr_t attr_name_cb(hid_t loc, const char *name, const H5A_info_t *info, void *op) {
  (void)loc, (void)info;
  return add_name(op, name);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Attribute names of obj, sorted (h5grove sorts them); 0, or the HTTP status with why. */
static int attr_names(const h5g_file *F, hid_t obj, name_list *L, char *why, size_t nwhy) {
  memset(L, 0, sizeof *L);
  L->max = (size_t)F->max;
  hsize_t idx = 0;
  if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_name_cb, L) < 0 && !L->over && !L->oom)
    return snprintf(why, nwhy, "the attributes cannot be listed"), 422;
  if (L->over) return snprintf(why, nwhy, "more than %lld attributes ([limits] max_slice)", (long long)F->max), 413;
  if (L->oom) return snprintf(why, nwhy, "out of memory"), 500;
  if (L->n) qsort(L->names, L->n, sizeof *L->names, cmp_str);
  return 0;
}

static json_t *attr_meta(hid_t obj, const char *name) {
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  if (a < 0) return NULL;
  hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
  json_t *m = t >= 0 && sp >= 0 ? json_pack("{s:o, s:o, s:o*}", "name", tb_sbuf_json_string(name), "shape", shape_of(sp), "type",
                                            tb_h5v_type_meta(t))
                                : NULL;
  if (t >= 0) H5Tclose(t);
  if (sp >= 0) H5Sclose(sp);
  H5Aclose(a);
  return m;
}

static int attrs_meta(const h5g_file *F, hid_t obj, json_t *m, char *why, size_t nwhy) {
  name_list L;
  int st = attr_names(F, obj, &L, why, nwhy);
  json_t *a = json_array();
  for (size_t i = 0; !st && i < L.n; i++) {
    json_t *x = attr_meta(obj, L.names[i]);
    if (!x) st = 422, snprintf(why, nwhy, "the attribute %.200s cannot be described", L.names[i]);
    else json_array_append_new(a, x);
  }
  free_names(&L);
  json_object_set_new(m, "attributes", a);
  return st;
}

static json_t *filters_of(hid_t dcpl) {
  int nf = H5Pget_nfilters(dcpl);
  if (nf <= 0) return json_null();
  json_t *a = json_array();
  for (int i = 0; i < nf; i++) {
    unsigned flags, config;
    size_t nelm = 0;
    char name[256] = "";
    H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nelm, NULL, sizeof name, name, &config);
    json_array_append_new(a, json_pack("{s:i, s:o}", "id", (int)id, "name", tb_sbuf_json_string(name)));
  }
  return a;
}

static void dataset_meta(hid_t d, json_t *m) {
  hid_t t = H5Dget_type(d), sp = H5Dget_space(d), dcpl = H5Dget_create_plist(d);
  json_t *chunks = json_null(), *filters = json_null();
  if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED) {
    hsize_t dims[H5S_MAX_RANK];
    int nd = H5Pget_chunk(dcpl, H5S_MAX_RANK, dims);
    json_decref(chunks);
    chunks = json_array();
    for (int i = 0; i < nd; i++) json_array_append_new(chunks, json_integer((json_int_t)dims[i]));
  }
  if (dcpl >= 0) json_decref(filters), filters = filters_of(dcpl);
  json_object_set_new(m, "chunks", chunks);
  json_object_set_new(m, "filters", filters);
  json_object_set_new(m, "shape", sp >= 0 ? shape_of(sp) : json_null());
  json_object_set_new(m, "type", t >= 0 ? tb_h5v_type_meta(t) : json_null());
  if (t >= 0) H5Tclose(t);
  if (sp >= 0) H5Sclose(sp);
  if (dcpl >= 0) H5Pclose(dcpl);
}

static int children_meta(const h5g_file *F, hid_t g, json_t *m, char *why, size_t nwhy);

/* h5grove's metadata of an entity; a group's children (depth 1) with their own metadata (depth 0). */
static int entity_meta(const h5g_file *F, const h5g_entity *e, const char *name, int depth, json_t **out, char *why,
                       size_t nwhy) {
  json_t *m = json_pack("{s:o, s:s}", "name", tb_sbuf_json_string(name), "kind", KIND[e->kind]);
  int st = m ? 0 : (snprintf(why, nwhy, "out of memory"), 500);
  if (!st && e->kind == E_SOFT) json_object_set_new(m, "target_path", tb_sbuf_json_string(e->target));
  if (!st && e->kind == E_EXTERNAL) {
    json_object_set_new(m, "target_file", tb_sbuf_json_string(e->target_file));
    json_object_set_new(m, "target_path", tb_sbuf_json_string(e->target));
  }
  if (!st && e->obj >= 0) st = attrs_meta(F, e->obj, m, why, nwhy);
  if (!st && e->kind == E_DATASET) dataset_meta(e->obj, m);
  if (!st && e->kind == E_DATATYPE) {
    json_object_set_new(m, "type", tb_h5v_type_meta(e->obj)); /* the object is the type */
  }
  if (!st && e->kind == E_GROUP && depth > 0) st = children_meta(F, e->obj, m, why, nwhy);
  if (st) json_decref(m), m = NULL;
  *out = m;
  return st;
}

static herr_t link_name_cb(hid_t g, const char *name, const H5L_info_t *info, void *op) {
  (void)g, (void)info;
  return add_name(op, name);
}

/* The names of g's links in h5py's order: creation order where the group tracks it, else by name. */
static int link_names(const h5g_file *F, hid_t g, name_list *L, char *why, size_t nwhy) {
  memset(L, 0, sizeof *L);
  L->max = (size_t)F->max;
  unsigned flags = 0;
  hid_t gcpl = H5Gget_create_plist(g);
  if (gcpl >= 0) H5Pget_link_creation_order(gcpl, &flags), H5Pclose(gcpl);
  H5_index_t idx = flags & H5P_CRT_ORDER_INDEXED ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  hsize_t at = 0;
  if (H5Literate(g, idx, H5_ITER_INC, &at, link_name_cb, L) < 0 && !L->over && !L->oom)
    return snprintf(why, nwhy, "the group's members cannot be listed"), 422;
  if (L->over)
    return snprintf(why, nwhy, "the group has more than %lld members ([limits] max_slice)", (long long)F->max), 413;
  return L->oom ? (snprintf(why, nwhy, "out of memory"), 500) : 0;
}

static int children_meta(const h5g_file *F, hid_t g, json_t *m, char *why, size_t nwhy) {
  name_list L;
  int st = link_names(F, g, &L, why, nwhy);
  json_t *a = json_array();
  for (size_t i = 0; !st && i < L.n; i++) {
    h5g_entity c;
    json_t *cm = NULL;
    char cwhy[600];
    if (resolve(F, g, L.names[i], &c, cwhy, sizeof cwhy)) c.kind = E_OTHER, c.obj = -1; /* listed, not described */
    st = entity_meta(F, &c, L.names[i], 0, &cm, why, nwhy);
    close_entity(&c);
    if (!st) json_array_append_new(a, cm);
  }
  free_names(&L);
  json_object_set_new(m, "children", a);
  return st;
}

/* ---- handlers ---- */

int tb_h_h5grove_meta(tb_srv *S, const tb_req *q, tb_resp *r) {
  h5g_file F;
  h5g_entity e;
  json_t *m = NULL;
  char why[600];
  if (open_file(S, q, &F, r)) return 0;
  int st = 0;
  if (!entity_of(&F, q, &e, r)) {
    const char *path = tb_req_query(q, "path");
    st = entity_meta(&F, &e, name_of(path && path[0] ? path : "/"), 1, &m, why, sizeof why);
    close_entity(&e);
  } else {
    st = -1;
  }
  close_file(&F);
  if (st > 0) return fail(r, st, "%s", why);
  return st ? 0 : tb_resp_json(r, 200, m);
}

/* The attr_keys asked for (repeated: attr_keys=a&attr_keys=b), or all attribute names. */
static int wanted_attrs(const h5g_file *F, const tb_req *q, hid_t obj, name_list *L, char *why, size_t nwhy) {
  memset(L, 0, sizeof *L);
  L->max = TB_MAX_QUERY;
  for (int i = 0; i < q->nquery; i++)
    if (!strcmp(q->query[i].key, "attr_keys") && add_name(L, q->query[i].value)) break;
  if (L->oom) return snprintf(why, nwhy, "out of memory"), 500;
  if (L->n) return 0;
  free_names(L);
  return attr_names(F, obj, L, why, nwhy);
}

/* {"name": value, ...} of the attributes in L, values as h5grove's JSON encoder writes them. */
static int attr_values(const h5g_file *F, hid_t obj, const name_list *L, tb_sbuf *b, char *why, size_t nwhy) {
  tb_sbuf_put(b, "{", 1);
  for (size_t i = 0; i < L->n; i++) {
    if (H5Aexists(obj, L->names[i]) <= 0)
      return snprintf(why, nwhy, "no attribute named '%.200s' here", L->names[i]), 404;
    hid_t a = H5Aopen(obj, L->names[i], H5P_DEFAULT);
    tb_h5vals v;
    int st = a < 0 ? (snprintf(why, nwhy, "the attribute %.200s cannot be opened", L->names[i]), 422)
                   : tb_h5v_read_attr(a, F->max, 16 * F->max, &v, why, nwhy);
    if (!st) st = tb_h5v_prepare(&v, TB_H5V_NATIVE, why, nwhy);
    if (!st) {
      if (i) tb_sbuf_put(b, ",", 1);
      tb_sbuf_json_str(b, L->names[i], strlen(L->names[i]));
      tb_sbuf_put(b, ":", 1);
      tb_h5v_json(&v, 0, b);
    }
    if (a >= 0) tb_h5v_free(&v), H5Aclose(a);
    if (st) return st;
  }
  tb_sbuf_put(b, "}", 1);
  return b->oom ? (snprintf(why, nwhy, "out of memory"), 500) : 0;
}

int tb_h_h5grove_attr(tb_srv *S, const tb_req *q, tb_resp *r) {
  h5g_file F;
  h5g_entity e;
  tb_sbuf b = {0};
  char why[600];
  if (open_file(S, q, &F, r)) return 0;
  int st = -1;
  if (!entity_of(&F, q, &e, r)) {
    name_list L = {0};
    if (e.obj < 0) st = 422, snprintf(why, sizeof why, "%s is not a resolved entity: it has no attributes", KIND[e.kind]);
    else if (!(st = wanted_attrs(&F, q, e.obj, &L, why, sizeof why))) st = attr_values(&F, e.obj, &L, &b, why, sizeof why);
    free_names(&L);
    close_entity(&e);
  }
  close_file(&F);
  if (st) free(b.p);
  if (st > 0) return fail(r, st, "%s", why);
  return st ? 0 : tb_resp_text(r, 200, "application/json", b.p, b.len);
}

enum { FMT_JSON, FMT_BIN, FMT_NPY };

/* format, dtype and flatten as h5grove reads them; -1 with the problem in r. */
static int data_params(const tb_req *q, int *fmt, int *safe, int *flatten, tb_resp *r) {
  const char *f = tb_req_query(q, "format"), *d = tb_req_query(q, "dtype"), *fl = tb_req_query(q, "flatten");
  *fmt = !f || !strcmp(f, "json") ? FMT_JSON : !strcmp(f, "bin") ? FMT_BIN : !strcmp(f, "npy") ? FMT_NPY : -1;
  if (*fmt < 0)
    return fail(r, 422, "Unsupported encoding %.32s: this server answers format json, bin or npy", f), -1;
  *safe = d && !strcmp(d, "safe");
  if (d && !*safe && strcmp(d, "origin")) return fail(r, 422, "Unsupported dtype %.32s (origin or safe)", d), -1;
  *flatten = fl && strcasecmp(fl, "false"); /* h5grove's parse_bool_arg: anything but "false" */
  return 0;
}

/* Read the selection and lay it out for the format, holding the file open; 0, or the status with why. */
static int read_data(const h5g_file *F, const tb_req *q, hid_t d, int fmt, int safe, tb_h5vals *v, char *why,
                     size_t nwhy) {
  int st = tb_h5v_read_dataset(d, tb_req_query(q, "selection"), F->max, 16 * F->max, v, why, nwhy);
  if (!st && fmt == FMT_JSON && v->kind == TB_H5V_OPAQUE)
    st = 422, snprintf(why, nwhy, "opaque data have no JSON form: ask for format=bin");
  if (!st && fmt == FMT_JSON && safe && v->kind > TB_H5V_BOOL) /* JSON numbers are the same either way */
    st = 422, snprintf(why, nwhy, "Unsupported dtype safe for non-numeric data");
  if (!st && fmt == FMT_JSON) st = tb_h5v_prepare(v, TB_H5V_NATIVE, why, nwhy);
  if (!st && fmt != FMT_JSON) st = tb_h5v_prepare(v, safe ? TB_H5V_SAFE : TB_H5V_RAW, why, nwhy);
  return st;
}

int tb_h_h5grove_data(tb_srv *S, const tb_req *q, tb_resp *r) {
  int fmt, safe, flatten, st = -1;
  h5g_file F;
  h5g_entity e;
  tb_h5vals v;
  tb_sbuf b = {0};
  char why[600];
  if (data_params(q, &fmt, &safe, &flatten, r) || open_file(S, q, &F, r)) return 0;
  memset(&v, 0, sizeof v);
  v.ftype = v.vtype = v.vmem = v.vspace = -1;
  if (!entity_of(&F, q, &e, r)) {
    if (e.kind != E_DATASET) st = 422, snprintf(why, sizeof why, "%s is not a dataset", KIND[e.kind]);
    else st = read_data(&F, q, e.obj, fmt, safe, &v, why, sizeof why);
    close_entity(&e);
  }
  close_file(&F);
  if (!st && fmt == FMT_JSON) tb_h5v_json(&v, flatten, &b); /* the encoding needs no HDF5: unlocked */
  else if (!st) st = tb_h5v_bytes(&v, fmt == FMT_NPY, flatten, &b, why, sizeof why);
  if (!st && b.oom) st = 500, snprintf(why, sizeof why, "out of memory");
  pthread_mutex_lock(&S->h5_lock); /* the variable-length strings go back to HDF5 */
  tb_h5v_free(&v);
  pthread_mutex_unlock(&S->h5_lock);
  if (st) free(b.p);
  if (st > 0) return fail(r, st, "%s", why);
  if (st) return 0;
  if (fmt == FMT_NPY) snprintf(r->disposition, sizeof r->disposition, "attachment; filename=\"data.npy\"");
  return tb_resp_text(r, 200, fmt == FMT_JSON ? "application/json" : "application/octet-stream", b.p, b.len);
}
