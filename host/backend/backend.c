#include "backend.h"
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
