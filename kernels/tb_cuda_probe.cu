// How many CUDA devices this process sees (0 when none or no driver).
#include <cuda_runtime.h>

extern "C" int tb_cuda_device_count(void) {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
  return n;
}
