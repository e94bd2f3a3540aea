/* HDF5 values in h5grove's terms (github silx-kit/h5grove: utils.py get_type_metadata, parse_slice,
 * convert; encoders.py): what H5Web's H5GroveProvider reads. */
#include "tb_serve_h5data.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffers ---- */

static int grow(tb_sbuf *b, size_t n) {
  if (b->oom) return -1;
  if (n < SIZE_MAX / 2 && b->len + n + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + n + 1) {
    if (cap > SIZE_MAX / 4 || n > SIZE_MAX / 4) return b->oom = 1, -1;
    cap *= 2;
  }
  char *p = realloc(b->p, cap);
  if (!p) return b->oom = 1, -1;
  b->p = p, b->cap = cap;
  return 0;
}

void tb_sbuf_put(tb_sbuf *b, const void *s, size_t n) {
  if (grow(b, n)) return;
  if (n) memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

void tb_sbuf_puts(tb_sbuf *b, const char *s) { tb_sbuf_put(b, s, strlen(s)); }

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0], cp, min;
  size_t len;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0) len = 3, min = 0x800, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000, cp = c & 0x07;
  else return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void tb_sbuf_json_str(tb_sbuf *b, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  tb_sbuf_put(b, "\"", 1);
  for (size_t i = 0; i < n;) {
    size_t run = i; /* copy plain bytes in runs */
    while (run < n && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\') run++;
    if (run > i) tb_sbuf_put(b, s + i, run - i), i = run;
    if (i == n) break;
    unsigned c = u[i];
    char esc[8];
    if (c == '"' || c == '\\') esc[0] = '\\', esc[1] = (char)c, tb_sbuf_put(b, esc, 2), i++;
    else if (c == '\n' || c == '\t' || c == '\r')
      esc[0] = '\\', esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r', tb_sbuf_put(b, esc, 2), i++;
    else if (c < 0x20) snprintf(esc, sizeof esc, "\\u%04x", c), tb_sbuf_put(b, esc, 6), i++;
    else {
      size_t l = utf8_seq(u + i, n - i);
      if (l) tb_sbuf_put(b, s + i, l), i += l;
      else tb_sbuf_put(b, "\xEF\xBF\xBD", 3), i++; /* U+FFFD for a byte that is not UTF-8 */
    }
  }
  tb_sbuf_put(b, "\"", 1);
}

/* ---- types ---- */

static int why_(char *why, size_t n, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int why_(char *why, size_t n, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, n, fmt, ap);
  va_end(ap);
  return status;
}

/* h5py maps an enum of exactly FALSE = 0 and TRUE = 1 to NumPy's bool. */
static int is_bool_enum(hid_t t) {
  if (H5Tget_nmembers(t) != 2) return 0;
  hid_t base = H5Tget_super(t);
  int ok = base >= 0;
  for (unsigned i = 0; ok && i < 2; i++) {
    char *name = H5Tget_member_name(t, i);
    long long v = -1;
    unsigned char raw[64] = {0};
    size_t bs = H5Tget_size(base);
    ok = name && bs && bs <= 8 && H5Tget_member_value(t, i, raw) >= 0 &&
         H5Tconvert(base, H5T_NATIVE_LLONG, 1, raw, NULL, H5P_DEFAULT) >= 0;
    if (ok) memcpy(&v, raw, sizeof v);
    ok = ok && ((!strcmp(name, "FALSE") && v == 0) || (!strcmp(name, "TRUE") && v == 1));
    if (name) H5free_memory(name);
  }
  if (base >= 0) H5Tclose(base);
  return ok;
}

static char order_char(hid_t t, size_t size) {
  if (size == 1) return '|';
  return H5Tget_order(t) == H5T_ORDER_BE ? '>' : '<';
}

/* NumPy's dtype.str of what h5py makes of t. */
static void dtype_str(hid_t t, char *out, size_t n) {
  size_t size = H5Tget_size(t);
  switch (H5Tget_class(t)) {
  case H5T_INTEGER:
    snprintf(out, n, "%c%c%zu", order_char(t, size), H5Tget_sign(t) == H5T_SGN_NONE ? 'u' : 'i', size);
    return;
  case H5T_FLOAT: snprintf(out, n, "%cf%zu", order_char(t, size), size); return;
  case H5T_BITFIELD: snprintf(out, n, "%cu%zu", order_char(t, size), size); return;
  case H5T_STRING:
    if (H5Tis_variable_str(t) > 0) snprintf(out, n, "|O");
    else snprintf(out, n, "|S%zu", size);
    return;
  case H5T_ENUM: {
    if (is_bool_enum(t)) {
      snprintf(out, n, "|b1");
      return;
    }
    hid_t base = H5Tget_super(t);
    if (base < 0) break;
    dtype_str(base, out, n);
    H5Tclose(base);
    return;
  }
  case H5T_REFERENCE:
  case H5T_VLEN: snprintf(out, n, "|O"); return;
  default: break;
  }
  snprintf(out, n, "|V%zu", size); /* opaque, array, time: raw bytes to NumPy */
}

json_t *tb_h5v_dtype(hid_t t) {
  if (H5Tget_class(t) != H5T_COMPOUND) {
    char s[32];
    dtype_str(t, s, sizeof s);
    return json_string(s);
  }
  json_t *o = json_object();
  int nm = H5Tget_nmembers(t);
  for (int i = 0; o && i < nm; i++) {
    char *name = H5Tget_member_name(t, (unsigned)i);
    hid_t mt = H5Tget_member_type(t, (unsigned)i);
    if (name && mt >= 0) json_object_set_new(o, name, tb_h5v_dtype(mt));
    if (mt >= 0) H5Tclose(mt);
    if (name) H5free_memory(name);
  }
  return o;
}

static json_t *type_meta(hid_t t, int depth);

static void set_sub(json_t *m, const char *key, hid_t sub, int depth) {
  if (sub < 0) return;
  json_object_set_new(m, key, type_meta(sub, depth + 1));
  H5Tclose(sub);
}

static json_t *compound_members(hid_t t, int depth) {
  json_t *a = json_array();
  int nm = H5Tget_nmembers(t);
  for (int i = 0; a && i < nm; i++) {
    char *name = H5Tget_member_name(t, (unsigned)i);
    hid_t mt = H5Tget_member_type(t, (unsigned)i);
    json_t *m = mt >= 0 ? type_meta(mt, depth + 1) : NULL;
    if (m && name) json_object_set_new(m, "name", json_string(name));
    if (m) json_array_append_new(a, m);
    if (mt >= 0) H5Tclose(mt);
    if (name) H5free_memory(name);
  }
  return a;
}

static json_t *enum_members(hid_t t) {
  json_t *o = json_object();
  hid_t base = H5Tget_super(t);
  int nm = H5Tget_nmembers(t);
  size_t bs = base >= 0 ? H5Tget_size(base) : 0;
  for (int i = 0; o && bs && bs <= 8 && i < nm; i++) {
    char *name = H5Tget_member_name(t, (unsigned)i);
    unsigned char raw[64] = {0};
    int sign = H5Tget_sign(base) != H5T_SGN_NONE;
    if (name && H5Tget_member_value(t, (unsigned)i, raw) >= 0 &&
        H5Tconvert(base, sign ? H5T_NATIVE_LLONG : H5T_NATIVE_ULLONG, 1, raw, NULL, H5P_DEFAULT) >= 0) {
      long long v;
      memcpy(&v, raw, sizeof v);
      json_object_set_new(o, name, json_integer(v));
    }
    if (name) H5free_memory(name);
  }
  if (base >= 0) H5Tclose(base);
  return o;
}

/* h5grove's get_type_metadata: the class code and dtype of every type, and what the class adds. */
static json_t *type_meta(hid_t t, int depth) {
  H5T_class_t c = H5Tget_class(t);
  if (c < 0) return NULL;
  json_t *m = json_pack("{s:i, s:o, s:I}", "class", (int)c, "dtype", tb_h5v_dtype(t), "size",
                        (json_int_t)H5Tget_size(t));
  if (!m || depth > 8) return m; /* nesting this deep is not a real file's: no more detail */
  switch (c) {
  case H5T_INTEGER:
    json_object_set_new(m, "sign", json_integer(H5Tget_sign(t)));
    /* fall through */
  case H5T_FLOAT:
  case H5T_BITFIELD: json_object_set_new(m, "order", json_integer(H5Tget_order(t))); break;
  case H5T_STRING:
    json_object_set_new(m, "cset", json_integer(H5Tget_cset(t)));
    json_object_set_new(m, "strpad", json_integer(H5Tget_strpad(t)));
    json_object_set_new(m, "vlen", json_boolean(H5Tis_variable_str(t) > 0));
    break;
  case H5T_OPAQUE: {
    char *tag = H5Tget_tag(t);
    json_object_set_new(m, "tag", json_string(tag ? tag : ""));
    if (tag) H5free_memory(tag);
    break;
  }
  case H5T_COMPOUND: json_object_set_new(m, "members", compound_members(t, depth)); break;
  case H5T_ENUM:
    json_object_set_new(m, "members", enum_members(t));
    set_sub(m, "base", H5Tget_super(t), depth);
    break;
  case H5T_VLEN: set_sub(m, "base", H5Tget_super(t), depth); break;
  case H5T_ARRAY: {
    int nd = H5Tget_array_ndims(t);
    hsize_t dims[H5S_MAX_RANK];
    json_t *a = json_array();
    if (nd > 0 && nd <= H5S_MAX_RANK && H5Tget_array_dims2(t, dims) >= 0)
      for (int i = 0; i < nd; i++) json_array_append_new(a, json_integer((json_int_t)dims[i]));
    json_object_set_new(m, "dims", a);
    set_sub(m, "base", H5Tget_super(t), depth);
    break;
  }
  default: break;
  }
  return m;
}

json_t *tb_h5v_type_meta(hid_t t) { return type_meta(t, 0); }

/* ---- selections (h5grove utils.parse_slice, then h5py's indexing) ---- */

typedef struct {
  hsize_t start[H5S_MAX_RANK], step[H5S_MAX_RANK], count[H5S_MAX_RANK];
  int keep[H5S_MAX_RANK];
} sel_t;

/* One integer of a selection (Python's int(): surrounding spaces allowed); *absent when empty. */
static int parse_int(const char *s, size_t n, long long *v, int *absent) {
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  *absent = n == 0;
  if (!n) return 0;
  char tmp[32];
  if (n >= sizeof tmp) return -1;
  memcpy(tmp, s, n), tmp[n] = 0;
  size_t i = tmp[0] == '-' || tmp[0] == '+';
  if (i == n) return -1;
  for (; i < n; i++)
    if (tmp[i] < '0' || tmp[i] > '9') return -1;
  errno = 0;
  *v = strtoll(tmp, NULL, 10);
  return errno ? -1 : 0;
}

/* Python's slice.indices for a positive step. */
static hsize_t clamp_index(long long x, int absent, hsize_t dim, hsize_t def) {
  if (absent) return def;
  if (x < 0) x += (long long)dim;
  if (x < 0) return 0;
  return (hsize_t)x > dim ? dim : (hsize_t)x;
}

static int parse_member(const char *s, size_t n, int ax, hsize_t dim, sel_t *o, char *why, size_t nwhy) {
  const char *c1 = memchr(s, ':', n), *c2 = c1 ? memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - s)) : NULL;
  long long a = 0, b = 0, st = 1;
  int na, nb, ns = 1;
  if (!c1) { /* an index: the axis goes */
    if (parse_int(s, n, &a, &na) || na) return why_(why, nwhy, 422, "selection member %d is not an integer or a slice", ax);
    long long i = a < 0 ? a + (long long)dim : a;
    if (i < 0 || (hsize_t)i >= dim)
      return why_(why, nwhy, 422, "index %lld is out of range for axis %d with size %llu", a, ax, (unsigned long long)dim);
    o->start[ax] = (hsize_t)i, o->step[ax] = 1, o->count[ax] = 1, o->keep[ax] = 0;
    return 0;
  }
  const char *end = s + n, *e1 = c2 ? c2 : end;
  if (c2 && memchr(c2 + 1, ':', (size_t)(end - c2 - 1))) return why_(why, nwhy, 422, "'%.*s' is not a valid slice", (int)(n > 64 ? 64 : n), s);
  if (parse_int(s, (size_t)(c1 - s), &a, &na) || parse_int(c1 + 1, (size_t)(e1 - c1 - 1), &b, &nb) ||
      (c2 && parse_int(c2 + 1, (size_t)(end - c2 - 1), &st, &ns)))
    return why_(why, nwhy, 422, "selection member %d is not a valid slice", ax);
  if (ns) st = 1;
  if (st < 1) return why_(why, nwhy, 422, "slice step must be >= 1 (got %lld)", st);
  hsize_t lo = clamp_index(a, na, dim, 0), hi = clamp_index(b, nb, dim, dim);
  o->start[ax] = lo, o->step[ax] = (hsize_t)st, o->keep[ax] = 1;
  o->count[ax] = hi > lo ? (hi - lo + (hsize_t)st - 1) / (hsize_t)st : 0;
  if (!o->count[ax]) o->start[ax] = 0;
  return 0;
}

static int parse_selection(const char *text, int rank, const hsize_t *dims, sel_t *o, char *why, size_t nwhy) {
  for (int i = 0; i < rank; i++) o->start[i] = 0, o->step[i] = 1, o->count[i] = dims[i], o->keep[i] = 1;
  if (!text) return 0;
  int ax = 0;
  for (const char *s = text;; ax++) {
    size_t n = strcspn(s, ",");
    if (ax >= rank)
      return why_(why, nwhy, 422, "selection '%.64s' has too many members to slice a %dD dataset", text, rank);
    int st = parse_member(s, n, ax, dims[ax], o, why, nwhy);
    if (st) return st;
    if (!s[n]) break;
    s += n + 1;
  }
  return 0;
}

/* ---- reading ---- */

static void vals_init(tb_h5vals *v) {
  memset(v, 0, sizeof *v);
  v->ftype = v->vtype = v->vmem = v->vspace = -1;
  v->layout = -1; /* as read, not yet laid out */
}

/* An integer type reading the bytes of a bitfield as h5py does (an unsigned integer of its size). */
static hid_t bitfield_as_uint(hid_t t) {
  size_t size = H5Tget_size(t);
  if (size < 1 || size > 8) return -1;
  hid_t u = H5Tcopy(H5T_STD_U8LE);
  if (u < 0) return -1;
  if (H5Tset_size(u, size) < 0 || H5Tset_precision(u, 8 * size) < 0 || H5Tset_order(u, H5Tget_order(t)) < 0) {
    H5Tclose(u);
    return -1;
  }
  return u;
}

/* The kind of v->ftype's values and the type of each raw number. */
static void classify(tb_h5vals *v) {
  hid_t t = v->ftype;
  v->size = H5Tget_size(t);
  v->kind = TB_H5V_OTHER;
  switch (H5Tget_class(t)) {
  case H5T_INTEGER:
    if (v->size > 8) return;
    v->kind = H5Tget_sign(t) == H5T_SGN_NONE ? TB_H5V_UINT : TB_H5V_INT;
    v->vtype = H5Tcopy(t);
    break;
  case H5T_FLOAT:
    v->kind = TB_H5V_FLOAT;
    v->vtype = H5Tcopy(t);
    break;
  case H5T_BITFIELD:
    v->vtype = bitfield_as_uint(t);
    if (v->vtype >= 0) v->kind = TB_H5V_UINT;
    break;
  case H5T_ENUM: {
    hid_t base = H5Tget_super(t);
    if (base < 0) return;
    if (H5Tget_class(base) != H5T_INTEGER || H5Tget_size(base) > 8) {
      H5Tclose(base);
      return;
    }
    v->vtype = base;
    v->kind = is_bool_enum(t) ? TB_H5V_BOOL : H5Tget_sign(base) == H5T_SGN_NONE ? TB_H5V_UINT : TB_H5V_INT;
    break;
  }
  case H5T_STRING: v->kind = H5Tis_variable_str(t) > 0 ? TB_H5V_VSTR : TB_H5V_STR; break;
  case H5T_OPAQUE: v->kind = TB_H5V_OPAQUE; break;
  default: break;
  }
  if (v->kind != TB_H5V_VSTR) return;
  v->vmem = H5Tcopy(H5T_C_S1); /* variable-length strings come back as char * */
  if (v->vmem < 0 || H5Tset_size(v->vmem, H5T_VARIABLE) < 0 || H5Tset_cset(v->vmem, H5Tget_cset(t)) < 0)
    v->kind = TB_H5V_OTHER;
}

static const char *KIND_NAME[] = {"integer", "integer", "float", "bool", "string", "string", "opaque", "other"};

/* Room for n elements: raw, and in place as 8-byte numbers later. */
static int alloc_values(tb_h5vals *v, int64_t max_bytes, char *why, size_t nwhy) {
  if (v->kind == TB_H5V_VSTR) {
    v->str = calloc(v->n ? v->n : 1, sizeof *v->str);
    return v->str ? 0 : why_(why, nwhy, 500, "out of memory");
  }
  if (v->size && v->n > (size_t)max_bytes / v->size)
    return why_(why, nwhy, 413, "the selection holds %zu elements of %zu bytes: more than the %lld bytes an answer may "
                "hold ([limits] max_slice elements of 16 bytes)", v->n, v->size, (long long)max_bytes);
  size_t each = v->size > 8 ? v->size : 8;
  v->buf = malloc(v->n ? v->n * each : 1);
  v->esize = v->size;
  return v->buf ? 0 : why_(why, nwhy, 500, "out of memory");
}

static int dataset_storage_ok(hid_t d, char *why, size_t nwhy) {
  hid_t dcpl = H5Dget_create_plist(d);
  if (dcpl < 0) return why_(why, nwhy, 422, "the dataset's creation properties cannot be read");
  H5D_layout_t lay = H5Pget_layout(dcpl);
  int next = H5Pget_external_count(dcpl);
  H5Pclose(dcpl);
  if (lay == H5D_VIRTUAL)
    return why_(why, nwhy, 403, "a virtual dataset: its data live in other files, which this server does not open");
  if (next != 0)
    return why_(why, nwhy, 403, "the dataset's raw data are stored in external files, which this server does not open");
  return 0;
}

/* Elements of a selection, or SIZE_MAX past max. */
static size_t count_of(const sel_t *s, int rank, int64_t max) {
  size_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (!s->count[i]) return 0;
    if (s->count[i] > (hsize_t)max || n > (size_t)max / s->count[i]) n = SIZE_MAX;
    else n *= s->count[i];
  }
  return n;
}

static int read_selection(hid_t d, hid_t fs, int rank, const sel_t *s, int64_t max_bytes, tb_h5vals *v, char *why,
                          size_t nwhy) {
  hid_t ms = rank ? H5Screate_simple(rank, s->count, NULL) : H5Screate(H5S_SCALAR);
  if (ms < 0) return why_(why, nwhy, 500, "HDF5 could not make a dataspace");
  v->vspace = ms;
  if (rank && H5Sselect_hyperslab(fs, H5S_SELECT_SET, s->start, s->step, s->count, NULL) < 0)
    return why_(why, nwhy, 422, "the selection does not fit the dataset");
  if (v->kind == TB_H5V_VSTR) {
    hsize_t bytes = 0;
    if (H5Dvlen_get_buf_size(d, v->vmem, fs, &bytes) < 0) return why_(why, nwhy, 422, "the strings cannot be read");
    if (bytes > (hsize_t)max_bytes)
      return why_(why, nwhy, 413, "the selected strings hold %llu bytes; the limit is %lld", (unsigned long long)bytes,
                  (long long)max_bytes);
  }
  int st = alloc_values(v, max_bytes, why, nwhy);
  if (st) return st;
  void *dst = v->kind == TB_H5V_VSTR ? (void *)v->str : (void *)v->buf;
  if (H5Dread(d, v->kind == TB_H5V_VSTR ? v->vmem : v->ftype, ms, fs, H5P_DEFAULT, dst) < 0) {
    if (v->kind == TB_H5V_VSTR) H5Dvlen_reclaim(v->vmem, ms, H5P_DEFAULT, v->str); /* what was read */
    free(v->str), v->str = NULL;
    return why_(why, nwhy, 422, "the data cannot be read (damaged, or compressed with a filter this server lacks)");
  }
  return 0;
}

int tb_h5v_read_dataset(hid_t d, const char *selection, int64_t max_elems, int64_t max_bytes, tb_h5vals *v,
                        char *why, size_t nwhy) {
  vals_init(v);
  int st = dataset_storage_ok(d, why, nwhy);
  if (st) return st;
  v->ftype = H5Dget_type(d);
  if (v->ftype < 0) return why_(why, nwhy, 422, "the dataset's type cannot be read");
  classify(v);
  if (v->kind == TB_H5V_OTHER) {
    char dt[32];
    dtype_str(v->ftype, dt, sizeof dt);
    return why_(why, nwhy, 422, "data of HDF5 type class %d (dtype %s) are not served: numbers, booleans, strings "
                "and opaque bytes are", (int)H5Tget_class(v->ftype), dt);
  }
  hid_t fs = H5Dget_space(d);
  if (fs < 0) return why_(why, nwhy, 422, "the dataset's dataspace cannot be read");
  H5S_class_t sc = H5Sget_simple_extent_type(fs);
  int rank = sc == H5S_SIMPLE ? H5Sget_simple_extent_ndims(fs) : 0;
  hsize_t dims[H5S_MAX_RANK];
  sel_t s;
  if (sc == H5S_NULL) {
    v->null = 1;
    st = selection ? why_(why, nwhy, 422, "a dataset without a dataspace (empty) takes no selection") : 0;
  } else if (rank < 0 || (rank && H5Sget_simple_extent_dims(fs, dims, NULL) < 0)) {
    st = why_(why, nwhy, 422, "the dataset's dataspace cannot be read");
  } else if (!(st = parse_selection(selection, rank, dims, &s, why, nwhy))) {
    v->n = count_of(&s, rank, max_elems);
    for (int i = 0; i < rank; i++)
      if (s.keep[i]) v->shape[v->rank++] = s.count[i];
    if (v->n > (size_t)max_elems)
      st = why_(why, nwhy, 413, "the selection has more than %lld elements ([limits] max_slice): ask for a smaller "
                "selection", (long long)max_elems);
    else if (v->n) st = read_selection(d, fs, rank, &s, max_bytes, v, why, nwhy);
    else st = alloc_values(v, max_bytes, why, nwhy);
  }
  H5Sclose(fs);
  return st;
}

int tb_h5v_read_attr(hid_t a, int64_t max_elems, int64_t max_bytes, tb_h5vals *v, char *why, size_t nwhy) {
  vals_init(v);
  v->ftype = H5Aget_type(a);
  if (v->ftype < 0) return why_(why, nwhy, 422, "an attribute's type cannot be read");
  classify(v);
  hid_t sp = H5Aget_space(a);
  if (sp < 0) return why_(why, nwhy, 422, "an attribute's dataspace cannot be read");
  H5S_class_t sc = H5Sget_simple_extent_type(sp);
  int rank = sc == H5S_SIMPLE ? H5Sget_simple_extent_ndims(sp) : 0;
  hssize_t np = H5Sget_simple_extent_npoints(sp);
  int st = 0;
  if (sc == H5S_NULL) v->null = 1;
  else if (rank < 0 || np < 0 || (rank && H5Sget_simple_extent_dims(sp, v->shape, NULL) < 0))
    st = why_(why, nwhy, 422, "an attribute's dataspace cannot be read");
  else if (np > max_elems)
    st = why_(why, nwhy, 413, "an attribute has %lld elements; the limit is %lld ([limits] max_slice)", (long long)np,
              (long long)max_elems);
  if (st || v->null || v->kind == TB_H5V_OTHER || v->kind == TB_H5V_OPAQUE) { /* the last two are sent as null */
    H5Sclose(sp);
    return st;
  }
  v->rank = rank, v->n = (size_t)np;
  if (!(st = alloc_values(v, max_bytes, why, nwhy)) && v->n) {
    void *dst = v->kind == TB_H5V_VSTR ? (void *)v->str : (void *)v->buf;
    if (H5Aread(a, v->kind == TB_H5V_VSTR ? v->vmem : v->ftype, dst) < 0)
      st = why_(why, nwhy, 422, "an attribute cannot be read");
    else if (v->kind == TB_H5V_VSTR) v->vspace = H5Scopy(sp); /* for the reclaim */
  }
  if (st) free(v->str), v->str = NULL;
  H5Sclose(sp);
  return st;
}

/* ---- conversions (h5grove utils.convert) ---- */

static int numeric(int kind) { return kind <= TB_H5V_BOOL; }

/* The little-endian type dtype=safe sends for v, with its dtype string. */
static hid_t safe_type(const tb_h5vals *v, char *dt, size_t n) {
  size_t size = H5Tget_size(v->vtype);
  if (v->kind == TB_H5V_BOOL) return snprintf(dt, n, "|b1"), H5T_NATIVE_UINT8;
  if (v->kind == TB_H5V_FLOAT) {
    if (size <= 4) return snprintf(dt, n, "<f4"), H5T_IEEE_F32LE;
    return snprintf(dt, n, "<f8"), H5T_IEEE_F64LE;
  }
  int sign = v->kind == TB_H5V_INT;
  snprintf(dt, n, "%c%c%zu", size == 1 ? '|' : '<', sign ? 'i' : 'u', size);
  switch (size) {
  case 1: return sign ? H5T_STD_I8LE : H5T_STD_U8LE;
  case 2: return sign ? H5T_STD_I16LE : H5T_STD_U16LE;
  case 4: return sign ? H5T_STD_I32LE : H5T_STD_U32LE;
  case 8: return sign ? H5T_STD_I64LE : H5T_STD_U64LE;
  default: return -1;
  }
}

static int convert_to(tb_h5vals *v, hid_t to, char *why, size_t nwhy) {
  if (v->n && H5Tconvert(v->vtype, to, v->n, v->buf, NULL, H5P_DEFAULT) < 0)
    return why_(why, nwhy, 422, "the values cannot be converted from their stored type");
  v->esize = H5Tget_size(to);
  return 0;
}

int tb_h5v_prepare(tb_h5vals *v, int layout, char *why, size_t nwhy) {
  if (v->null) return 0;
  if (v->layout != -1) return why_(why, nwhy, 500, "values laid out twice");
  v->layout = layout;
  if (!numeric(v->kind)) {
    if (layout == TB_H5V_SAFE)
      return why_(why, nwhy, 422, "dtype=safe applies to numbers only, not to %s data", KIND_NAME[v->kind]);
    return 0;
  }
  if (layout == TB_H5V_NATIVE) {
    hid_t to = v->kind == TB_H5V_FLOAT ? H5T_NATIVE_DOUBLE : v->kind == TB_H5V_UINT ? H5T_NATIVE_ULLONG
                                                                                    : H5T_NATIVE_LLONG;
    return convert_to(v, to, why, nwhy);
  }
  if (layout == TB_H5V_SAFE) {
    hid_t to = safe_type(v, v->dtype, sizeof v->dtype);
    if (to < 0) return why_(why, nwhy, 422, "integers of %zu bytes have no JavaScript typed array", v->size);
    return convert_to(v, to, why, nwhy);
  }
  if (v->kind == TB_H5V_BOOL) { /* as stored, but NumPy's bools are one byte */
    snprintf(v->dtype, sizeof v->dtype, "|b1");
    return convert_to(v, H5T_NATIVE_UINT8, why, nwhy);
  }
  dtype_str(v->vtype, v->dtype, sizeof v->dtype);
  return 0;
}

void tb_h5v_free(tb_h5vals *v) {
  if (v->str && v->vmem >= 0 && v->vspace >= 0) H5Dvlen_reclaim(v->vmem, v->vspace, H5P_DEFAULT, v->str);
  free(v->str), free(v->buf);
  hid_t types[] = {v->ftype, v->vtype, v->vmem};
  for (int i = 0; i < 3; i++)
    if (types[i] >= 0) H5Tclose(types[i]);
  if (v->vspace >= 0) H5Sclose(v->vspace);
  vals_init(v);
}

/* ---- encoders (h5grove encoders.py) ---- */

/* The shortest of %.15g..%.17g that reads back to x; null where JSON has no number. */
static void put_double(tb_sbuf *b, double x) {
  if (!isfinite(x)) {
    tb_sbuf_put(b, "null", 4);
    return;
  }
  char s[40];
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(s, sizeof s, "%.*g", digits, x);
    if (strtod(s, NULL) == x) break;
  }
  if (!strpbrk(s, ".e")) strcat(s, ".0"); /* a float stays a float, as h5grove writes it */
  tb_sbuf_puts(b, s);
}

static void put_one(tb_sbuf *b, const tb_h5vals *v, size_t i) {
  char s[32];
  switch (v->kind) {
  case TB_H5V_INT: snprintf(s, sizeof s, "%lld", ((const long long *)(const void *)v->buf)[i]); break;
  case TB_H5V_UINT: snprintf(s, sizeof s, "%llu", ((const unsigned long long *)(const void *)v->buf)[i]); break;
  case TB_H5V_BOOL: snprintf(s, sizeof s, "%s", ((const long long *)(const void *)v->buf)[i] ? "true" : "false"); break;
  case TB_H5V_FLOAT: put_double(b, ((const double *)(const void *)v->buf)[i]); return;
  case TB_H5V_STR: {
    const char *p = (const char *)v->buf + i * v->size;
    size_t n = v->size;
    while (n && !p[n - 1]) n--; /* NumPy's fixed-width bytes drop trailing NULs */
    tb_sbuf_json_str(b, p, n);
    return;
  }
  case TB_H5V_VSTR: {
    const char *p = v->str[i] ? v->str[i] : "";
    tb_sbuf_json_str(b, p, strlen(p));
    return;
  }
  default: snprintf(s, sizeof s, "null"); break;
  }
  tb_sbuf_puts(b, s);
}

static void put_nested(tb_sbuf *b, const tb_h5vals *v, int d, int rank, const hsize_t *shape, size_t *i) {
  if (d == rank) {
    put_one(b, v, (*i)++);
    return;
  }
  tb_sbuf_put(b, "[", 1);
  for (hsize_t k = 0; k < shape[d] && !b->oom; k++) {
    if (k) tb_sbuf_put(b, ",", 1);
    put_nested(b, v, d + 1, rank, shape, i);
  }
  tb_sbuf_put(b, "]", 1);
}

void tb_h5v_json(const tb_h5vals *v, int flatten, tb_sbuf *b) {
  if (v->null || v->kind == TB_H5V_OTHER || v->kind == TB_H5V_OPAQUE) {
    tb_sbuf_put(b, "null", 4);
    return;
  }
  size_t i = 0;
  hsize_t flat = v->n;
  if (flatten && v->rank > 0) put_nested(b, v, 0, 1, &flat, &i);
  else put_nested(b, v, 0, v->rank, v->shape, &i);
}

/* NumPy's .npy format 1.0: magic, header length, a dict padded so the data start on 64 bytes. */
static void npy_header(tb_sbuf *b, const char *dtype, int rank, const hsize_t *shape) {
  char h[1200];
  int n = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (", dtype);
  for (int i = 0; i < rank && n < 1100; i++)
    n += snprintf(h + n, sizeof h - (size_t)n, "%s%llu", i ? ", " : "", (unsigned long long)shape[i]);
  n += snprintf(h + n, sizeof h - (size_t)n, "%s), }", rank == 1 ? "," : "");
  size_t total = 10 + (size_t)n + 1, pad = (64 - total % 64) % 64;
  unsigned hl = (unsigned)(n + (int)pad + 1);
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff), (unsigned char)(hl >> 8)};
  tb_sbuf_put(b, pre, 10);
  tb_sbuf_put(b, h, (size_t)n);
  for (size_t k = 0; k < pad; k++) tb_sbuf_put(b, " ", 1);
  tb_sbuf_put(b, "\n", 1);
}

int tb_h5v_bytes(const tb_h5vals *v, int npy, int flatten, tb_sbuf *b, char *why, size_t nwhy) {
  if (v->null) return why_(why, nwhy, 422, "an empty dataset (null dataspace) has no binary form");
  if (v->kind == TB_H5V_VSTR || v->kind == TB_H5V_OTHER)
    return why_(why, nwhy, 422, "%s data have no binary form here: ask for format=json",
                v->kind == TB_H5V_VSTR ? "variable-length string" : "these");
  if (npy && !numeric(v->kind)) return why_(why, nwhy, 422, "Unsupported encoding npy for non-numeric content");
  if (npy) {
    hsize_t flat = v->n;
    int fl = flatten && v->rank > 0;
    npy_header(b, v->dtype, fl ? 1 : v->rank, fl ? &flat : v->shape);
  }
  tb_sbuf_put(b, v->buf, v->n * v->esize);
  return b->oom ? why_(why, nwhy, 500, "out of memory") : 0;
}

json_t *tb_sbuf_json_string(const char *s) {
  json_t *j = json_string(s);
  if (j) return j;
  tb_sbuf b = {0};
  tb_sbuf_json_str(&b, s, strlen(s));
  j = b.p ? json_loadb(b.p, b.len, JSON_DECODE_ANY, NULL) : NULL;
  free(b.p);
  return j ? j : json_string("");
}
