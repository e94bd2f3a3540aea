#include "tb_h5.h"
#include "tb_schema.h"

#include "tb_error.h"
#include "tb_comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tb_comm_h5_fapl(hid_t fapl); /* mpi/tb_comm_h5.c */
int tb_comm_h5_dxpl(hid_t dxpl, int collective);

/* Set when a file could not be flushed: HDF5 1.10 then cannot close it, and its clean-up (at MPI_Finalize)
 * would crash on it, so the program ends without that clean-up (tb_h5_wedged). */
static int g_wedged = 0;
int tb_h5_wedged(void) { return g_wedged; }

/* No error stack printed by HDF5, and no clean-up at exit (only at MPI_Finalize, which a wedged run skips). */
void tb_h5_quiet(void) {
  H5dont_atexit();
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static int open_common(tb_h5 *f, const char *path, int create) {
  memset(f, 0, sizeof *f);
  f->id = f->dxpl_coll = f->dxpl_ind = -1;
  f->errcode = create ? TB_ERR_OUTPUT : TB_ERR_INPUT;
  snprintf(f->path, sizeof f->path, "%s", path);
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return TB_ERR(TB_ERR_INTERNAL, "H5Pcreate(file access) failed");
  int rc = tb_comm_h5_fapl(fapl);
  if (!rc) {
    if (create)
      f->id = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    else if (access(path, R_OK) != 0)
      rc = TB_ERR(TB_ERR_INPUT, "%s: cannot read the file (missing or no permission)", path);
    else
      f->id = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (!rc && f->id < 0)
      rc = create ? TB_ERR(TB_ERR_OUTPUT, "%s: cannot create the output file (HDF5: %s)", path, tb_h5_reason())
                  : TB_ERR(TB_ERR_INPUT, "%s: not an HDF5 file, or damaged (HDF5: %s)", path, tb_h5_reason());
  }
  H5Pclose(fapl);
  if (rc) return rc;
  f->dxpl_coll = H5Pcreate(H5P_DATASET_XFER);
  f->dxpl_ind = H5Pcreate(H5P_DATASET_XFER);
  if (f->dxpl_coll < 0 || f->dxpl_ind < 0) return TB_ERR(TB_ERR_INTERNAL, "H5Pcreate(xfer) failed");
  TB_CALL(tb_comm_h5_dxpl(f->dxpl_coll, 1));
  TB_CALL(tb_comm_h5_dxpl(f->dxpl_ind, 0));
  return TB_OK;
}

int tb_h5_open(tb_h5 *f, const char *path) { return open_common(f, path, 0); }
int tb_h5_create(tb_h5 *f, const char *path) { return open_common(f, path, 1); }

int tb_h5_close(tb_h5 *f) {
  int rc = TB_OK;
  if (f->dxpl_coll >= 0) H5Pclose(f->dxpl_coll);
  if (f->dxpl_ind >= 0) H5Pclose(f->dxpl_ind);
  /* A file we write is flushed first. When that fails (a full disk) HDF5 1.10 cannot close it any more:
   * the file is left open and cut to nothing (the output is discarded), and the program skips HDF5's
   * clean-up, which would crash on it. */
  if (f->id >= 0 && f->errcode == TB_ERR_OUTPUT && H5Fflush(f->id, H5F_SCOPE_GLOBAL) < 0) {
    rc = TB_ERR(f->errcode, "%s: writing the file failed (HDF5: %s)", f->path, tb_h5_reason());
    tb_error_adopt(rc, tb_error_message()); /* the flush is collective: every rank has it, rank 0 prints it */
    if (tb_comm_rank() == 0 && truncate(f->path, 0) != 0) perror(f->path);
    g_wedged = 1;
  } else if (f->id >= 0 && H5Fclose(f->id) < 0)
    rc = TB_ERR(f->errcode, "%s: closing the file failed", f->path);
  f->id = f->dxpl_coll = f->dxpl_ind = -1;
  return rc;
}

int tb_h5_exists(tb_h5 *f, const char *name, int *exists) {
  char buf[512];
  *exists = 0;
  snprintf(buf, sizeof buf, "%s", name);
  for (char *c = buf + 1;; c++) { /* every prefix must exist before H5Lexists may look deeper */
    char save = *c;
    if (save != '/' && save != 0) continue;
    *c = 0;
    htri_t e = H5Lexists(f->id, buf, H5P_DEFAULT);
    *c = save;
    if (e <= 0) return TB_OK;
    if (!save) break;
  }
  *exists = H5Oexists_by_name(f->id, name, H5P_DEFAULT) > 0;
  return TB_OK;
}

enum { REASON_MAX = 160 };
static herr_t innermost(unsigned n, const H5E_error2_t *e, void *out) {
  if (n == 0 && e->desc) snprintf(out, REASON_MAX, "%s", e->desc);
  return 0;
}

const char *tb_h5_reason(void) {
  static char why[REASON_MAX];
  why[0] = 0;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, why);
  for (char *c = why; *c; c++)
    if (*c == '\n') *c = ' ';
  return why[0] ? why : "no detail";
}

/* Layouts whose bytes are not this file's own, readable here: named in `refuse`. */
static void storage_of(hid_t d, tb_h5_info *info) {
  hid_t dcpl = H5Dget_create_plist(d);
  if (dcpl < 0) {
    snprintf(info->refuse, sizeof info->refuse, "its creation properties cannot be read");
    return;
  }
  const int n = H5Pget_nfilters(dcpl);
  info->filtered = n > 0;
  if (H5Pget_layout(dcpl) == H5D_VIRTUAL)
    snprintf(info->refuse, sizeof info->refuse, "a virtual dataset (its data lie in other files)");
  else if (H5Pget_external_count(dcpl) > 0)
    snprintf(info->refuse, sizeof info->refuse, "stored in external raw files");
  for (int i = 0; i < n && !info->refuse[0]; i++) {
    unsigned flags = 0, conf = 0;
    size_t nv = 0;
    const H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nv, NULL, 0, NULL, &conf);
    if (id < 0 || H5Zfilter_avail(id) <= 0 || !(conf & H5Z_FILTER_CONFIG_DECODE_ENABLED))
      snprintf(info->refuse, sizeof info->refuse, "compressed with filter %d, which this HDF5 cannot decode",
               (int)id);
  }
  H5Pclose(dcpl);
  info->stored = (int64_t)H5Dget_storage_size(d);
}

int tb_h5_info_of(tb_h5 *f, const char *name, tb_h5_info *info) {
  memset(info, 0, sizeof *info);
  TB_CALL(tb_h5_exists(f, name, &info->exists));
  if (!info->exists) return TB_OK;
  hid_t d = H5Dopen2(f->id, name, H5P_DEFAULT);
  if (d < 0) return TB_ERR(TB_ERR_INPUT, "%s: %s: not a readable dataset (HDF5: %s)", f->path, name, tb_h5_reason());
  hid_t s = H5Dget_space(d), t = H5Dget_type(d);
  hsize_t dims[H5S_MAX_RANK];
  int rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
  int rc = TB_OK;
  if (rank < 0 || t < 0 || rank > 3) {
    rc = TB_ERR(TB_ERR_INPUT, "%s: %s: dataspace of rank %d, expected at most 3", f->path, name, rank);
  } else {
    H5Sget_simple_extent_dims(s, dims, NULL);
    info->rank = rank;
    for (int i = 0; i < rank; i++) info->dims[i] = (int64_t)(dims[i] >> 62 ? INT64_MAX : dims[i]);
    for (int i = 0; i < rank && !info->refuse[0]; i++)
      if (dims[i] >> 62) snprintf(info->refuse, sizeof info->refuse, "dimension %d is past 2^62", i);
    H5T_class_t c = H5Tget_class(t);
    info->cls = c == H5T_INTEGER ? TB_H5_INT : c == H5T_FLOAT ? TB_H5_FLOAT : TB_H5_OTHER;
    info->type_size = (int64_t)H5Tget_size(t);
    if (!info->refuse[0]) storage_of(d, info);
  }
  if (t >= 0) H5Tclose(t);
  if (s >= 0) H5Sclose(s);
  H5Dclose(d);
  return rc;
}

/* Select rows [row0, row0+nrows) x all trailing dims in file and memory spaces. */
/* Rows [row0, row0+nrows); of a 2-D dataset only columns [col0, col0+ncols) when ncols >= 0. */
static int select_rows(hid_t fspace, int64_t row0, int64_t nrows, int64_t col0, int64_t ncols, hid_t *mspace) {
  hsize_t dims[3], start[3] = {0, 0, 0}, count[3];
  int rank = H5Sget_simple_extent_ndims(fspace);
  if (rank < 1 || rank > 3) return -1;
  H5Sget_simple_extent_dims(fspace, dims, NULL);
  hsize_t nelem = (hsize_t)nrows;
  for (int i = 0; i < rank; i++) count[i] = dims[i];
  start[0] = (hsize_t)row0;
  count[0] = (hsize_t)nrows;
  if (ncols >= 0 && rank == 2) start[1] = (hsize_t)col0, count[1] = (hsize_t)ncols;
  for (int i = 1; i < rank; i++) nelem *= count[i];
  if (nelem == 0) {
    hsize_t one = 1;
    *mspace = H5Screate_simple(1, &one, NULL);
    H5Sselect_none(*mspace);
    return H5Sselect_none(fspace);
  }
  *mspace = H5Screate_simple(1, &nelem, NULL);
  return H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
}

static int xfer(tb_h5 *f, const char *name, hid_t memtype, int64_t row0, int64_t nrows, int64_t col0,
                int64_t ncols, int collective, void *buf, int writing) {
  hid_t d = H5Dopen2(f->id, name, H5P_DEFAULT);
  if (d < 0) return TB_ERR(f->errcode, "%s: %s: cannot open dataset", f->path, name);
  hid_t fs = H5Dget_space(d), ms = -1;
  herr_t st = fs < 0 ? -1 : select_rows(fs, row0, nrows, col0, ncols, &ms);
  hid_t dx = collective ? f->dxpl_coll : f->dxpl_ind;
  static long long writes; /* tests: TB_FAULT=write:RANK:K fails this rank's Kth write, as a full disk would */
  /* A dataset of zero elements (no undervalued opportunity, no network edge) has no storage:
   * every rank sees the same extent, so all skip the collective call together. A rank with no
   * rows of a non-empty dataset still joins it, with a dummy buffer (HDF5 refuses NULL). */
  static uint64_t dummy;
  if (st >= 0 && H5Sget_simple_extent_npoints(fs) > 0)
    st = writing ? H5Dwrite(d, memtype, ms, fs, dx, buf ? buf : &dummy)
                 : H5Dread(d, memtype, ms, fs, dx, buf ? buf : (void *)&dummy);
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  H5Dclose(d);
  if (writing && tb_fault("write", tb_comm_world_rank(), writes++))
    return TB_ERR(f->errcode, "%s: %s: write of rows %lld..%lld failed (TB_FAULT: injected)", f->path, name,
                  (long long)row0, (long long)(row0 + nrows));
  if (st < 0)
    return TB_ERR(f->errcode, "%s: %s: %s of rows %lld..%lld failed", f->path, name,
                  writing ? "write" : "read", (long long)row0, (long long)(row0 + nrows));
  return TB_OK;
}

int tb_h5_read(tb_h5 *f, const char *name, hid_t memtype, int64_t row0, int64_t nrows,
               int collective, void *buf) {
  return xfer(f, name, memtype, row0, nrows, 0, -1, collective, buf, 0);
}

int tb_h5_read_cols(tb_h5 *f, const char *name, hid_t memtype, int64_t col0, int64_t ncols, void *buf) {
  tb_h5_info in;
  TB_CALL(tb_h5_info_of(f, name, &in));
  return xfer(f, name, memtype, 0, in.dims[0], col0, ncols, 1, buf, 0);
}

int tb_h5_write_cols(tb_h5 *f, const char *name, hid_t memtype, int64_t nrows, int64_t col0, int64_t ncols,
                     const void *buf) {
  return xfer(f, name, memtype, 0, nrows, col0, ncols, 1, (void *)buf, 1);
}

int tb_h5_write(tb_h5 *f, const char *name, hid_t memtype, int64_t row0, int64_t nrows,
                const void *buf) {
  return tb_h5_write_as(f, name, memtype, row0, nrows, 1, buf);
}

int tb_h5_write_as(tb_h5 *f, const char *name, hid_t memtype, int64_t row0, int64_t nrows, int collective,
                   const void *buf) {
  return xfer(f, name, memtype, row0, nrows, 0, -1, collective, (void *)buf, 1);
}

static int declared(const tb_h5 *f, const char *obj, const char *attr) {
  char name[512];
  if (!f->schema) return TB_OK;
  snprintf(name, sizeof name, "%s%s%s", obj, attr ? "@" : "", attr ? attr : "");
  if (tb_schema_declared(f->schema, name)) return TB_OK;
  return TB_ERR(TB_ERR_INTERNAL, "%s: %s is not declared in host/io/tb_schema.c (the documented format)", f->path, name);
}

int tb_h5_new_dataset(tb_h5 *f, const char *name, hid_t type, int rank, const int64_t *dims) {
  TB_CALL(declared(f, name, NULL));
  hsize_t hd[3] = {0, 0, 0}, chunk[3];
  if (rank < 1 || rank > 3) return TB_ERR(TB_ERR_INTERNAL, "%s: dataset %s of rank %d", f->path, name, rank);
  hsize_t row = 1;
  for (int i = 0; i < rank; i++) hd[i] = (hsize_t)dims[i];
  for (int i = 1; i < rank; i++) row *= hd[i] ? hd[i] : 1;
  chunk[0] = (hsize_t)1 << 20; /* about 1M elements per chunk: large sequential I/O */
  chunk[0] = chunk[0] / row ? chunk[0] / row : 1;
  if (hd[0] && chunk[0] > hd[0]) chunk[0] = hd[0];
  for (int i = 1; i < rank; i++) chunk[i] = hd[i] ? hd[i] : 1;
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t sp = H5Screate_simple(rank, hd, NULL);
  H5Pset_create_intermediate_group(lcpl, 1);
  int empty = 0;
  for (int i = 0; i < rank; i++) empty |= hd[i] == 0;
  if (!empty) H5Pset_chunk(dcpl, rank, chunk); /* a chunk may not exceed a zero extent */
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
  hid_t d = H5Dcreate2(f->id, name, type, sp, lcpl, dcpl, H5P_DEFAULT);
  H5Sclose(sp);
  H5Pclose(lcpl);
  H5Pclose(dcpl);
  if (d < 0) return TB_ERR(TB_ERR_OUTPUT, "%s: cannot create dataset %s", f->path, name);
  H5Dclose(d);
  return TB_OK;
}

static int attr_write(tb_h5 *f, const char *obj, const char *name, hid_t type, const void *v) {
  TB_CALL(declared(f, obj, name));
  hid_t o = H5Oopen(f->id, obj, H5P_DEFAULT);
  if (o < 0) return TB_ERR(TB_ERR_OUTPUT, "%s: cannot open %s for attribute %s", f->path, obj, name);
  hid_t sp = H5Screate(H5S_SCALAR);
  if (H5Aexists(o, name) > 0) H5Adelete(o, name);
  hid_t a = H5Acreate2(o, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = a < 0 ? -1 : H5Awrite(a, type, v);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  H5Oclose(o);
  if (st < 0) return TB_ERR(TB_ERR_OUTPUT, "%s: writing attribute %s of %s failed", f->path, name, obj);
  return TB_OK;
}

int tb_h5_attr_str(tb_h5 *f, const char *obj, const char *name, const char *value) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(value) + 1);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  int rc = attr_write(f, obj, name, t, value);
  H5Tclose(t);
  return rc;
}

hid_t tb_h5_string_type(size_t width) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, width);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  return t;
}

int tb_h5_attr_strings(tb_h5 *f, const char *obj, const char *name, int n, const char *const *v) {
  size_t width = 1;
  if (n < 0) return TB_ERR(TB_ERR_INTERNAL, "attribute %s of %d strings", name, n);
  TB_CALL(declared(f, obj, name));
  for (int i = 0; i < n; i++) width = strlen(v[i]) + 1 > width ? strlen(v[i]) + 1 : width;
  char *buf = calloc(n ? (size_t)n : 1, width);
  if (!buf) return TB_ERR(TB_ERR_MEMORY, "out of memory for attribute %s", name);
  for (int i = 0; i < n; i++) memcpy(buf + (size_t)i * width, v[i], strlen(v[i]));
  hid_t t = tb_h5_string_type(width), o = H5Oopen(f->id, obj, H5P_DEFAULT);
  hsize_t dim = (hsize_t)n;
  hid_t sp = H5Screate_simple(1, &dim, NULL);
  if (o >= 0 && H5Aexists(o, name) > 0) H5Adelete(o, name);
  hid_t a = o < 0 ? -1 : H5Acreate2(o, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = a < 0 ? -1 : H5Awrite(a, t, buf);
  if (a >= 0) H5Aclose(a);
  if (o >= 0) H5Oclose(o);
  H5Sclose(sp);
  H5Tclose(t);
  free(buf);
  if (st < 0) return TB_ERR(TB_ERR_OUTPUT, "%s: writing attribute %s of %s failed", f->path, name, obj);
  return TB_OK;
}

int tb_h5_attr_i64(tb_h5 *f, const char *obj, const char *name, int64_t value) {
  return attr_write(f, obj, name, H5T_NATIVE_INT64, &value);
}

int tb_h5_attr_i32(tb_h5 *f, const char *obj, const char *name, int32_t value) {
  return attr_write(f, obj, name, H5T_NATIVE_INT32, &value);
}

int tb_h5_attr_read_str(tb_h5 *f, const char *obj, const char *name, char **out, int *exists) {
  *out = NULL;
  *exists = H5Aexists_by_name(f->id, obj, name, H5P_DEFAULT) > 0;
  if (!*exists) return TB_OK;
  hid_t a = H5Aopen_by_name(f->id, obj, name, H5P_DEFAULT, H5P_DEFAULT);
  hid_t t = a >= 0 ? H5Aget_type(a) : -1;
  int rc = TB_OK;
  if (t < 0 || H5Tget_class(t) != H5T_STRING) {
    rc = TB_ERR(TB_ERR_INPUT, "%s: attribute %s of %s: must be text", f->path, name, obj);
  } else if (H5Tis_variable_str(t) > 0) {
    char *v = NULL;
    if (H5Aread(a, t, &v) < 0 || !v) rc = TB_ERR(TB_ERR_INPUT, "%s: cannot read attribute %s", f->path, name);
    else if (!(*out = strdup(v))) rc = TB_ERR(TB_ERR_MEMORY, "out of memory");
    H5free_memory(v);
  } else if (!(*out = calloc(H5Tget_size(t) + 1, 1))) {
    rc = TB_ERR(TB_ERR_MEMORY, "out of memory");
  } else if (H5Aread(a, t, *out) < 0) {
    rc = TB_ERR(TB_ERR_INPUT, "%s: cannot read attribute %s", f->path, name);
  }
  if (rc) free(*out), *out = NULL;
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
  return rc;
}

int tb_h5_attr_read_i64(tb_h5 *f, const char *obj, const char *name, int64_t *value, int *exists) {
  *exists = 0;
  hid_t o = H5Oopen(f->id, obj, H5P_DEFAULT);
  if (o < 0) return TB_OK;
  int rc = TB_OK;
  if (H5Aexists(o, name) > 0) {
    *exists = 1;
    hid_t a = H5Aopen(o, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1, s = a >= 0 ? H5Aget_space(a) : -1;
    if (a < 0 || t < 0 || H5Tget_class(t) != H5T_INTEGER || H5Sget_simple_extent_npoints(s) != 1 ||
        H5Aread(a, H5T_NATIVE_INT64, value) < 0)
      rc = TB_ERR(TB_ERR_INPUT, "%s: attribute %s of %s: must be one integer", f->path, name, obj);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
  }
  H5Oclose(o);
  return rc;
}
