/* HDF5 values for the h5grove endpoints (tb_serve_h5grove.c): h5grove's type metadata and NumPy dtype
 * strings, NumPy-style selections, reading a dataset's slice or an attribute, and encoding the values as
 * JSON, raw bytes or .npy the way h5grove does. Every function that takes an hid_t calls HDF5: hold the
 * server's h5_lock around it; the encoders (tb_h5v_json, tb_h5v_bytes) do not touch HDF5. */
#ifndef TB_SERVE_H5DATA_H
#define TB_SERVE_H5DATA_H

#include <hdf5.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A growing text or byte buffer; oom is set once an allocation failed (later puts do nothing). */
typedef struct {
  char *p;
  size_t len, cap;
  int oom;
} tb_sbuf;

void tb_sbuf_put(tb_sbuf *b, const void *s, size_t n);
void tb_sbuf_puts(tb_sbuf *b, const char *s);
/* s (n bytes) as a JSON string: escaped, invalid UTF-8 replaced by U+FFFD. */
void tb_sbuf_json_str(tb_sbuf *b, const char *s, size_t n);
/* A JSON string of any bytes (invalid UTF-8 replaced as tb_sbuf_json_str does). */
json_t *tb_sbuf_json_string(const char *s);

/* h5grove's type metadata of t ({"class", "dtype", "size", ...}, content.py get_type_metadata); NULL on
 * failure. */
json_t *tb_h5v_type_meta(hid_t t);
/* t's NumPy dtype string ("<f8", "|u1", "|S64", "|O"); a JSON object for compounds. */
json_t *tb_h5v_dtype(hid_t t);

/* What a value type is, for the encoders. */
enum { TB_H5V_INT, TB_H5V_UINT, TB_H5V_FLOAT, TB_H5V_BOOL, TB_H5V_STR, TB_H5V_VSTR, TB_H5V_OPAQUE, TB_H5V_OTHER };
/* How the buffer is laid out once tb_h5v_prepare ran. */
enum { TB_H5V_RAW = 0, TB_H5V_NATIVE = 1, TB_H5V_SAFE = 2 };

/* Values read from a dataset or an attribute. */
typedef struct {
  int kind;            /* TB_H5V_* */
  int null;            /* a null dataspace: no value at all (h5py.Empty) */
  int rank;            /* of the answer: kept dims only; 0 for a scalar */
  hsize_t shape[H5S_MAX_RANK];
  size_t n;            /* elements */
  hid_t ftype, vtype;  /* the stored type; the type of each raw number (an enum's base) */
  size_t size;         /* bytes of one stored element */
  unsigned char *buf;  /* n * max(size, 8) bytes: raw, then as tb_h5v_prepare left them */
  size_t esize;        /* bytes of one element in buf now */
  int layout;          /* TB_H5V_RAW, _NATIVE or _SAFE; -1 before tb_h5v_prepare */
  char dtype[16];      /* dtype string of buf's elements for .npy ("" where none) */
  char **str;          /* variable-length strings */
  hid_t vmem, vspace;  /* their memory type and space, for the reclaim */
} tb_h5vals;

/* Read h5grove's `selection` of dataset d (NumPy-style: "0:10", "2,:", "::2", "-1"; NULL: all of it),
 * refusing more than max_elems elements or max_bytes bytes (413) and types or
 * storage it does not serve (422; data in other files: 403). 0, or the HTTP status with why. */
int tb_h5v_read_dataset(hid_t d, const char *selection, int64_t max_elems, int64_t max_bytes, tb_h5vals *v,
                        char *why, size_t nwhy);
/* Read a whole attribute; unsupported types give kind TB_H5V_OTHER (encoded as null). */
int tb_h5v_read_attr(hid_t a, int64_t max_elems, int64_t max_bytes, tb_h5vals *v, char *why, size_t nwhy);
/* Convert the numbers in place: TB_H5V_NATIVE (int64, uint64, double: for JSON) or TB_H5V_SAFE (h5grove's
 * dtype=safe: little-endian, float16 -> float32, wider floats -> float64). 0, or the HTTP status with why. */
int tb_h5v_prepare(tb_h5vals *v, int layout, char *why, size_t nwhy);
/* Release what a read holds (calls HDF5 for variable-length strings). */
void tb_h5v_free(tb_h5vals *v);

/* The values as JSON: nested lists by shape (flatten: one list), NaN and infinities as null; numbers must
 * be TB_H5V_NATIVE. */
void tb_h5v_json(const tb_h5vals *v, int flatten, tb_sbuf *b);
/* The values as bytes (h5grove's format=bin) or as a .npy file (npy = 1); 0, or 422 with why. */
int tb_h5v_bytes(const tb_h5vals *v, int npy, int flatten, tb_sbuf *b, char *why, size_t nwhy);

#endif
