// Section 6 kernel: one thread per row of the pull iteration, running the same
// tb_network_row() as the CPU backend (host/math/tb_network_row.h). The view's pointers are device pointers.
#include <cuda_runtime.h>

extern "C" {
#include "tb_network_row.h"
}

__global__ void tb_network_kernel(tb_net_view V, const double *x, double *xn) {
  const int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (j < V.n) xn[j] = tb_network_row(&V, x, j);
}

// Launch on the default stream; returns the launch's cudaError_t.
extern "C" int tb_cuda_network_launch(const tb_net_view *V, const double *x, double *xn) {
  if (V->n == 0) return (int)cudaSuccess;
  const int threads = 256;
  const int64_t blocks = (V->n + threads - 1) / threads;
  tb_network_kernel<<<(unsigned)blocks, threads>>>(*V, x, xn);
  return (int)cudaGetLastError();
}
