/* Thin, fully checked HDF5 helpers: row-block hyperslab reads and writes of
 * 1-3 dimensional datasets, chunked creation, attributes. */
#ifndef TB_H5_H
#define TB_H5_H

#include <hdf5.h>
#include <stdint.h>

typedef struct {
  hid_t id, dxpl_coll, dxpl_ind;
  int errcode; /* TB_ERR_INPUT for files we read, TB_ERR_OUTPUT for files we write */
  int schema;  /* TB_FILE_* (tb_schema.h): only what that file's table declares may be created; 0: anything */
  char path[4096];
} tb_h5;

enum { TB_H5_INT = 0, TB_H5_FLOAT = 1, TB_H5_OTHER = 2 };

typedef struct {
  int exists, rank, cls;
  int64_t dims[3];
  int64_t type_size; /* bytes of one element in the file */
  int64_t stored;    /* bytes the file holds for the data (H5Dget_storage_size) */
  int filtered;      /* compressed or otherwise filtered */
  char refuse[96];   /* why the data cannot be read from this file alone, or "" */
} tb_h5_info;

/* True after a file we wrote could not be flushed: then MPI_Finalize (HDF5's clean-up) must be skipped. */
int tb_h5_wedged(void);
int tb_h5_open(tb_h5 *f, const char *path);   /* read-only, parallel */
int tb_h5_create(tb_h5 *f, const char *path); /* truncate, parallel */
int tb_h5_close(tb_h5 *f);
int tb_h5_exists(tb_h5 *f, const char *name, int *exists);
/* What a dataset is. A usage error only where HDF5 cannot describe it; layouts that are
 * not this file's own readable bytes (virtual, external raw storage, a filter this HDF5
 * lacks, a dimension past 2^62) are named in info->refuse for the caller to judge. */
int tb_h5_info_of(tb_h5 *f, const char *name, tb_h5_info *info);
/* The innermost message of HDF5's error stack ("" if none), for one-line errors. */
const char *tb_h5_reason(void);
/* Rows [row0, row0+nrows) of dataset `name` (all trailing dims). nrows may be 0. */
int tb_h5_read(tb_h5 *f, const char *name, hid_t memtype, int64_t row0, int64_t nrows,
               int collective, void *buf);
/* Columns [col0, col0+ncols) of every row of a 2-D dataset (row-major [rows][ncols] in buf). */
int tb_h5_read_cols(tb_h5 *f, const char *name, hid_t memtype, int64_t col0, int64_t ncols, void *buf);
int tb_h5_write_cols(tb_h5 *f, const char *name, hid_t memtype, int64_t nrows, int64_t col0, int64_t ncols,
                     const void *buf);
int tb_h5_new_dataset(tb_h5 *f, const char *name, hid_t type, int rank, const int64_t *dims);
int tb_h5_write(tb_h5 *f, const char *name, hid_t memtype, int64_t row0, int64_t nrows,
                const void *buf); /* collective */
/* The same with the transfer mode chosen (bench/tb_bench_io compares the two). */
int tb_h5_write_as(tb_h5 *f, const char *name, hid_t memtype, int64_t row0, int64_t nrows, int collective,
                   const void *buf);
int tb_h5_attr_str(tb_h5 *f, const char *obj, const char *name, const char *value);
hid_t tb_h5_string_type(size_t width); /* fixed width, NUL-terminated; H5Tclose it */
int tb_h5_attr_strings(tb_h5 *f, const char *obj, const char *name, int n, const char *const *v);
int tb_h5_attr_i64(tb_h5 *f, const char *obj, const char *name, int64_t value);
int tb_h5_attr_i32(tb_h5 *f, const char *obj, const char *name, int32_t value);
int tb_h5_attr_read_i64(tb_h5 *f, const char *obj, const char *name, int64_t *value, int *exists);
/* A text attribute (fixed or variable length) as a malloc'd string; *exists 0 (and *out NULL) when absent. */
int tb_h5_attr_read_str(tb_h5 *f, const char *obj, const char *name, char **out, int *exists);
void tb_h5_quiet(void); /* we report HDF5 failures ourselves, in one line */

#endif
