/* One backend ops table (SUNDIALS/ggml style): the solver calls these and never
 * knows whether the CPU or a GPU does the work. The CUDA backend fills the same table. */
#ifndef TB_BACKEND_H
#define TB_BACKEND_H

#include "tb_math.h"

enum { TB_BACKEND_CPU = 0, TB_BACKEND_CUDA = 1, TB_BACKEND_AUTO = 2 };

typedef struct tb_backend tb_backend;

typedef struct {
  const char *name;
  int (*init)(tb_backend *be);
  /* Evaluate every deal of the batch (MODEL.md sections 2-3) into its output arrays. */
  int (*deal_stage)(tb_backend *be, const tb_deal_params *P, tb_deal_batch *B);
  /* One Jacobi step of section 6: xn[j] = tb_network_row(V, x, j) for every row. The view
   * stays the same between calls of one solve (a GPU keeps it resident); x changes. */
  int (*network_step)(tb_backend *be, const tb_net_view *V, const double *x, double *xn);
  void (*finalize)(tb_backend *be);
} tb_backend_ops;

struct tb_backend {
  const tb_backend_ops *ops;
  int threads;     /* CPU worker threads, 0 = OpenMP default */
  int local_rank;  /* for device selection */
  void *state;     /* backend private */
};

extern const tb_backend_ops tb_backend_cpu_ops;
extern const tb_backend_ops tb_backend_cuda_ops; /* kernels/tb_cuda_backend.cu, when built */

/* Pick the ops table for `kind` (TB_BACKEND_*); auto picks CUDA when built and a device exists. */
int tb_backend_open(tb_backend *be, int kind, int threads, int local_rank);
void tb_backend_close(tb_backend *be);

#endif
