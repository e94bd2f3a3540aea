/* The HDF5 side of a sweep (MODEL.md section 9): /scenarios and /sensitivity. */
#ifndef TB_SWEEP_FILE_H
#define TB_SWEEP_FILE_H

#include "tb_h5.h"
#include "tb_sensitivity.h"

#include <stdint.h>

/* The rows one file holds: scenarios index[0..n) of `total` (a merge reads them on every rank; a sweep gathers
 * them at rank 0, the other ranks' rows stay zero). */
typedef struct {
  int64_t n, total, shard, shards;
  int J, Q, C, method;
  int64_t *index, *best; /* [n] scenario ids, recommended policy index */
  double *x, *m;         /* [n, J] parameter values, [n, C] metrics */
  char (*pname)[128];    /* [J] swept keys */
  char (*qname)[64];     /* [Q] policy names, `none` first */
} tb_sweep_table;

int tb_sweep_table_alloc(tb_sweep_table *T, int64_t n, int J, int Q);
void tb_sweep_table_free(tb_sweep_table *T);
/* /policies/names, /scenarios/... and, with s (a file holding every scenario), /sensitivity/...
 * Collective; rank 0 writes the data. */
int tb_sweep_table_write(tb_h5 *o, const tb_sweep_table *T, const tb_sensitivity *s);
/* The TB_SWEEP_* number of a /scenarios method attribute ("grid", "oat", "lhs", "random"); -1 if none. */
int tb_sweep_method_of(const char *name);

#endif
