#include "backend.h"
#include "tb_error.h"

#include <string.h>

#ifdef TB_HAVE_CUDA
int tb_cuda_device_count(void); /* kernels/tb_cuda_probe.cu */
#endif

int tb_backend_open(tb_backend *be, int kind, int threads, int local_rank) {
  memset(be, 0, sizeof *be);
  be->threads = threads;
  be->local_rank = local_rank;
  if (kind == TB_BACKEND_CUDA) {
#ifdef TB_HAVE_CUDA
    if (tb_cuda_device_count() <= 0)
      return TB_ERR(TB_ERR_GPU, "backend.kind=cuda: no CUDA device is visible on this node");
#endif
    return TB_ERR(TB_ERR_USAGE, "backend.kind=cuda: the CUDA deal backend is not available yet "
                                "(issue 3); use backend.kind=cpu or auto");
  }
  be->ops = &tb_backend_cpu_ops; /* auto falls back to the CPU until the CUDA table exists */
  TB_CALL(be->ops->init(be));
  return TB_OK;
}

void tb_backend_close(tb_backend *be) {
  if (be->ops) be->ops->finalize(be);
  be->ops = NULL;
}
