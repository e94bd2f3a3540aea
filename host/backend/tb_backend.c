#include "tb_backend.h"
#include "tb_error.h"

#include <stdio.h>
#include <string.h>

#ifdef TB_HAVE_CUDA
int tb_cuda_device_count(void); /* kernels/tb_cuda_probe.cu */
#endif

int tb_backend_open(tb_backend *be, int kind, int threads, int local_rank) {
  memset(be, 0, sizeof *be);
  be->threads = threads;
  be->local_rank = local_rank;
  be->ops = &tb_backend_cpu_ops;
#ifdef TB_HAVE_CUDA
  const int gpus = tb_cuda_device_count();
  if (kind == TB_BACKEND_CUDA || (kind == TB_BACKEND_AUTO && gpus > 0)) be->ops = &tb_backend_cuda_ops;
  if (kind == TB_BACKEND_AUTO && local_rank == 0)
    fprintf(stderr, "[backend] auto: %s\n", gpus > 0 ? "CUDA device found, using the CUDA backend"
                                                    : "no CUDA device, using the CPU backend");
#else
  if (kind == TB_BACKEND_CUDA)
    return TB_ERR(TB_ERR_GPU, "backend.kind=cuda: this build has no CUDA support (nvcc was not found)");
#endif
  TB_CALL(be->ops->init(be));
  return TB_OK;
}
void tb_backend_close(tb_backend *be) {
  if (be->ops) be->ops->finalize(be);
  be->ops = NULL;
}

int tb_backend_reads_values(const tb_backend *be) { return be->ops && be->ops->reads_values; }

const char *tb_backend_name(const tb_backend *be) { return be->ops ? be->ops->name : "none"; }

int tb_backend_deal_stage(tb_backend *be, const tb_deal_params *P, tb_deal_batch *B) {
  const int known = B->values_known;
  if (!be->ops->reads_values) B->values_known = 0;
  const int rc = be->ops->deal_stage(be, P, B);
  B->values_known = known;
  return rc;
}

int tb_backend_network_step(tb_backend *be, const tb_net_view *V, const double *x, double *xn) {
  return be->ops->network_step(be, V, x, xn);
}

int tb_backend_lu_factor(tb_backend *be, int64_t n, double *M, void **lu, int64_t *zero_pivot) {
  return be->ops->lu_factor(be, n, M, lu, zero_pivot);
}

int tb_backend_lu_solve(tb_backend *be, void *lu, int trans, int64_t nrhs, double *B) {
  return be->ops->lu_solve(be, lu, trans, nrhs, B);
}

void tb_backend_lu_free(tb_backend *be, void *lu) { be->ops->lu_free(be, lu); }

int tb_backend_gemm(tb_backend *be, int64_t m, int64_t n, int64_t k, const double *A, const double *B, double *C) {
  return be->ops->gemm(be, m, n, k, A, B, C);
}

int tb_backend_device_memory(tb_backend *be, int *has_device, size_t *free_bytes, size_t *total_bytes, int *devices) {
  *has_device = be->ops->device_memory != NULL;
  return *has_device ? be->ops->device_memory(be, free_bytes, total_bytes, devices) : TB_OK;
}
