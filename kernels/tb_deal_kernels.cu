// Per-deal kernel: one thread per deal running the same tb_deal_eval() as the
// CPU backend (host/math/tb_deal_math.h). The batch's pointers must be device pointers.
#include <cuda_runtime.h>

extern "C" {
#include "tb_deal_math.h"
}

__global__ void tb_deal_kernel(tb_deal_params P, tb_deal_batch B) {
  const int64_t d = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (d < B.ndeal) tb_deal_eval(&P, &B, d);
}

// Launch over a device-resident batch on `stream`; returns the launch's cudaError_t.
extern "C" int tb_cuda_deal_launch(const tb_deal_params *P, const tb_deal_batch *B, void *stream) {
  if (B->ndeal == 0) return (int)cudaSuccess;
  const int threads = 128;
  const int64_t blocks = (B->ndeal + threads - 1) / threads;
  tb_deal_kernel<<<(unsigned)blocks, threads, 0, (cudaStream_t)stream>>>(*P, *B);
  return (int)cudaGetLastError();
}
