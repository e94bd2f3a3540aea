// Timing helpers for bench/tb_bench_gpu_deals.c: the deal kernel on device-resident data
// and a device-to-device copy bandwidth, both timed with CUDA events (median of reps).
#include <cuda_runtime.h>

#include <stdio.h>

#include <vector>

extern "C" {
#include "tb_deal_math.h"
#include "tb_util.h"
int tb_cuda_deal_launch(const tb_deal_params *P, const tb_deal_batch *B, void *stream);
}

#define CUB(call)                                                                                  \
  do {                                                                                             \
    if ((call) != cudaSuccess) return -1.0;                                                        \
  } while (0)

template <typename T> static T *up(const T *h, int64_t n, std::vector<void *> &owned) {
  T *d = nullptr;
  if (cudaMalloc((void **)&d, sizeof(T) * (n ? n : 1)) != cudaSuccess) return nullptr;
  owned.push_back(d);
  if (n && cudaMemcpy(d, h, sizeof(T) * n, cudaMemcpyHostToDevice) != cudaSuccess) return nullptr;
  return d;
}

// Median kernel time in seconds for the whole batch resident on the device; -1 on failure.
extern "C" double tb_cuda_time_resident(const tb_deal_params *P, const tb_deal_batch *H, int reps) {
  std::vector<void *> owned;
  tb_deal_batch D = *H;
  D.party_ptr = up(H->party_ptr, H->ndeal + 1, owned), D.party_row = up(H->party_row, H->nparty, owned);
  D.importer = up(H->importer, H->ndeal, owned), D.trade_value = up(H->trade_value, H->ndeal, owned);
  D.comp_ptr = up(H->comp_ptr, H->nparty + 1, owned), D.comp_dim = up(H->comp_dim, H->ncomp, owned);
  D.comp_prob = up(H->comp_prob, H->ncomp, owned), D.flow_ptr = up(H->flow_ptr, H->ncomp + 1, owned);
  D.flow_period = up(H->flow_period, H->nflow, owned), D.flow_amount = up(H->flow_amount, H->nflow, owned);
  D.rows = up(H->rows, H->nrows, owned);
  D.value = up(H->value, H->nparty, owned), D.transfer = up(H->transfer, H->nparty, owned);
  D.final_value = up(H->final_value, H->nparty, owned), D.status = up(H->status, H->ndeal, owned);
  D.surplus = up(H->surplus, H->ndeal, owned), D.bid = up(H->bid, H->ndeal, owned);
  D.comp_pow = nullptr;
  double out = -1.0;
  if (owned.size() == 17 && D.bid) {
    cudaEvent_t a, b;
    cudaEventCreate(&a), cudaEventCreate(&b);
    std::vector<double> t;
    tb_cuda_deal_launch(P, &D, nullptr); // warm-up
    for (int r = 0; r < reps; r++) {
      cudaEventRecord(a);
      tb_cuda_deal_launch(P, &D, nullptr);
      cudaEventRecord(b);
      cudaEventSynchronize(b);
      float ms = 0;
      cudaEventElapsedTime(&ms, a, b);
      t.push_back((double)ms);
    }
    if (cudaGetLastError() == cudaSuccess) out = tb_median(t.data(), (int)t.size()) / 1e3;
    cudaEventDestroy(a), cudaEventDestroy(b);
  }
  for (void *p : owned) cudaFree(p);
  return out;
}

// Device-to-device copy bandwidth in bytes/s (bytes read + written); -1 on failure.
extern "C" double tb_cuda_copy_bandwidth(size_t bytes, int reps) {
  void *x = nullptr, *y = nullptr;
  CUB(cudaMalloc(&x, bytes));
  CUB(cudaMalloc(&y, bytes));
  cudaMemset(x, 1, bytes);
  cudaEvent_t a, b;
  cudaEventCreate(&a), cudaEventCreate(&b);
  std::vector<double> t;
  cudaMemcpy(y, x, bytes, cudaMemcpyDeviceToDevice); // warm-up
  for (int r = 0; r < reps; r++) {
    cudaEventRecord(a);
    cudaMemcpy(y, x, bytes, cudaMemcpyDeviceToDevice);
    cudaEventRecord(b);
    cudaEventSynchronize(b);
    float ms = 0;
    cudaEventElapsedTime(&ms, a, b);
    t.push_back((double)ms);
  }
  cudaEventDestroy(a), cudaEventDestroy(b);
  cudaFree(x), cudaFree(y);
  return 2.0 * (double)bytes / (tb_median(t.data(), (int)t.size()) / 1e3);
}

// Name of the device this process uses.
extern "C" void tb_cuda_device_name(char *buf, int size) {
  cudaDeviceProp p;
  int dev = 0;
  cudaGetDevice(&dev);
  if (cudaGetDeviceProperties(&p, dev) == cudaSuccess) snprintf(buf, size, "%s", p.name);
  else snprintf(buf, size, "unknown");
}
