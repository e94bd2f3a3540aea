/* The network of MODEL.md section 6 in files: this rank's rows of /network read, and the
 * recommended policy's entity values written (/entities). */
#include "tb_network_file.h"

#include "tb_block.h"
#include "tb_comm.h"
#include "tb_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tb_network_read(tb_h5 *f, const tb_input_dims *D, tb_network *G) {
  int rc = TB_OK;
  const int rank = tb_comm_rank(), size = tb_comm_size();
  const int64_t lo = tb_block_lo(D->N, rank, size), n = tb_block_lo(D->N, rank + 1, size) - lo;
  int64_t *ptr = NULL, *col = NULL;
  double *wt = NULL;
  memset(G, 0, sizeof *G);
  TB_ALLOC(ptr, n + 1);
  TB_GUARD(tb_h5_read(f, "/network/ptr", H5T_NATIVE_INT64, lo, n + 1, 1, ptr));
  const int64_t ne = ptr[n] - ptr[0];
  TB_ALLOC(col, ne);
  TB_ALLOC(wt, ne);
  TB_GUARD(tb_h5_read(f, "/network/col", H5T_NATIVE_INT64, ptr[0], ne, 1, col));
  TB_GUARD(tb_h5_read(f, "/network/weight", H5T_NATIVE_DOUBLE, ptr[0], ne, 1, wt));
  TB_GUARD(tb_network_build(G, D->N, lo, n, ptr, col, wt));
done:
  free(ptr), free(col), free(wt);
  return rc;
}

int tb_network_write(tb_h5 *out, const tb_input_dims *D, const tb_network *G, const double *b, const double *x,
                     const tb_network_stats *st) {
  const char *names[4] = {"/entities/direct_value", "/entities/network_value", "/entities/centrality",
                          "/entities/influence"};
  const double *data[4] = {b, x, G->centrality, G->influence};
  for (int a = 0; a < 4; a++) {
    TB_CALL(tb_h5_new_dataset(out, names[a], H5T_IEEE_F64LE, 1, &D->N));
    TB_CALL(tb_h5_write(out, names[a], H5T_NATIVE_DOUBLE, G->lo, G->n, data[a]));
  }
  TB_CALL(tb_h5_attr_i64(out, "/entities", "network_iterations", st->iterations));
  TB_CALL(tb_h5_attr_i64(out, "/entities", "network_converged", st->converged));
  char res[64];
  snprintf(res, sizeof res, "%.6e", st->residual);
  return tb_h5_attr_str(out, "/entities", "network_residual", res);
}
