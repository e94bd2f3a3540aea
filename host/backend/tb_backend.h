/* One backend ops table (SUNDIALS/ggml style): the solver calls the tb_backend_* functions
 * below and never knows whether the CPU or a GPU does the work. The CPU backend
 * (tb_backend_cpu.c) and the CUDA backend (kernels/tb_cuda_backend.cu) fill the same table. */
#ifndef TB_BACKEND_H
#define TB_BACKEND_H

#include "tb_deal_math.h"
#include "tb_network_row.h"

#include <stddef.h>

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
  /* Section 7, dense LU with partial pivoting of the column-major n x n matrix M. The caller
   * keeps M until lu_free: the CPU factors it in place, a GPU copies it and keeps the factors
   * resident. *zero_pivot: -1, or the 0-based step whose pivot is exactly zero (M singular). */
  int (*lu_factor)(tb_backend *be, int64_t n, double *M, void **lu, int64_t *zero_pivot);
  /* B := op(M)^-1 B for B column-major [n, nrhs]; trans 0 solves M X = B, 1 solves M^T X = B. */
  int (*lu_solve)(tb_backend *be, void *lu, int trans, int64_t nrhs, double *B);
  void (*lu_free)(tb_backend *be, void *lu);
  /* C = A B, column-major, A [m, k], B [k, n], C [m, n]: the products of section 7. */
  int (*gemm)(tb_backend *be, int64_t m, int64_t n, int64_t k, const double *A, const double *B, double *C);
  void (*finalize)(tb_backend *be);
  /* A device's free and total memory and how many devices the node has; NULL: no device (CPU). */
  int (*device_memory)(tb_backend *be, size_t *free_bytes, size_t *total_bytes, int *devices);
  /* Non-zero: deal_stage honours tb_deal_batch.values_known (reads V, skips the flows); where it
   * is 0, tb_backend_deal_stage evaluates the values afresh (the same bits, more work). */
  int reads_values;
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
/* Whether deal_stage honours tb_deal_batch.values_known (the ops table's reads_values). */
int tb_backend_reads_values(const tb_backend *be);
/* The ops table's name ("cpu", "cuda"), "none" before tb_backend_open. */
const char *tb_backend_name(const tb_backend *be);

/* The operations, as the ops table documents them. */
int tb_backend_deal_stage(tb_backend *be, const tb_deal_params *P, tb_deal_batch *B);
int tb_backend_network_step(tb_backend *be, const tb_net_view *V, const double *x, double *xn);
int tb_backend_lu_factor(tb_backend *be, int64_t n, double *M, void **lu, int64_t *zero_pivot);
int tb_backend_lu_solve(tb_backend *be, void *lu, int trans, int64_t nrhs, double *B);
void tb_backend_lu_free(tb_backend *be, void *lu);
int tb_backend_gemm(tb_backend *be, int64_t m, int64_t n, int64_t k, const double *A, const double *B, double *C);
/* *has_device 0 (and nothing else set) on a backend without a device (the CPU). */
int tb_backend_device_memory(tb_backend *be, int *has_device, size_t *free_bytes, size_t *total_bytes, int *devices);

#endif
