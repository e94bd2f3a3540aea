// CUDA backend: fills the same ops table as the CPU backend (host/backend.h). The
// streaming of a batch through the GPU (sub-batches sized from free device memory,
// pinned buffers, two streams) is host/tb_stream.c; this file supplies the CUDA calls
// and the device choice. The math is tb_math.h, launched by tb_cuda_deal_launch().
#include <cuda_runtime.h>

#include <stdio.h>
#include <stdlib.h>

extern "C" {
#include "backend.h"
#include "tb_error.h"
#include "tb_stream.h"
int tb_cuda_deal_launch(const tb_deal_params *P, const tb_deal_batch *B, void *stream);
int tb_cuda_device_count(void);
}

#define CU(call)                                                                                   \
  do {                                                                                             \
    cudaError_t e_ = (call);                                                                       \
    if (e_ != cudaSuccess)                                                                         \
      return TB_ERR(TB_ERR_GPU, "%s failed: %s", #call, cudaGetErrorString(e_));                   \
  } while (0)

namespace {

int cu_free_bytes(void *, size_t *bytes) {
  size_t total = 0;
  CU(cudaMemGetInfo(bytes, &total));
  return TB_OK;
}
int cu_alloc(void *, void **p, size_t bytes) {
  CU(cudaMalloc(p, bytes ? bytes : 1));
  return TB_OK;
}
int cu_alloc_host(void *, void **p, size_t bytes) {
  CU(cudaMallocHost(p, bytes ? bytes : 1));
  return TB_OK;
}
void cu_release(void *, void *p) { cudaFree(p); }
void cu_release_host(void *, void *p) { cudaFreeHost(p); }
int cu_stream_create(void *, void **s) {
  CU(cudaStreamCreateWithFlags((cudaStream_t *)s, cudaStreamNonBlocking));
  return TB_OK;
}
void cu_stream_destroy(void *, void *s) { cudaStreamDestroy((cudaStream_t)s); }
int cu_h2d(void *, void *dst, const void *src, size_t bytes, void *s) {
  if (s) CU(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, (cudaStream_t)s));
  else CU(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
  return TB_OK;
}
int cu_d2h(void *, void *dst, const void *src, size_t bytes, void *s) {
  if (s) CU(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, (cudaStream_t)s));
  else CU(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
  return TB_OK;
}
int cu_launch(void *, const tb_deal_params *P, const tb_deal_batch *B, void *s) {
  cudaError_t e = (cudaError_t)tb_cuda_deal_launch(P, B, s);
  if (e != cudaSuccess) return TB_ERR(TB_ERR_GPU, "tb_deal_kernel launch failed: %s", cudaGetErrorString(e));
  return TB_OK;
}
int cu_sync(void *, void *s) {
  CU(cudaStreamSynchronize((cudaStream_t)s)); // also surfaces errors from the kernels in it
  return TB_OK;
}

const tb_device_ops CUDA_DEVICE = {nullptr,      cu_free_bytes, cu_alloc, cu_alloc_host,
                                   cu_release,   cu_release_host, cu_stream_create,
                                   cu_stream_destroy, cu_h2d, cu_d2h, cu_launch, cu_sync};

} // namespace

extern "C" {

static int cuda_init(tb_backend *be) {
  const int count = tb_cuda_device_count();
  if (count <= 0) return TB_ERR(TB_ERR_GPU, "backend.kind=cuda: no CUDA device is visible on this node");
  const int dev = be->local_rank % count; // more ranks than GPUs share them round-robin
  CU(cudaSetDevice(dev));
  cudaDeviceProp prop;
  CU(cudaGetDeviceProperties(&prop, dev));
  fprintf(stderr, "[cuda] node-local rank %d uses GPU %d of %d: %s\n", be->local_rank, dev, count, prop.name);
  const char *force = getenv("TB_CUDA_SLOT_BYTES"); // tests: tiny slots exercise the streaming
  tb_streamer *st = nullptr;
  TB_CALL(tb_stream_create(&st, &CUDA_DEVICE, force && atoll(force) > 0 ? (size_t)atoll(force) : 0));
  be->state = st;
  return TB_OK;
}

static int cuda_deal_stage(tb_backend *be, const tb_deal_params *P, tb_deal_batch *B) {
  return tb_stream_deal_stage((tb_streamer *)be->state, P, B);
}

static void cuda_finalize(tb_backend *be) {
  tb_stream_destroy((tb_streamer *)be->state);
  be->state = nullptr;
}

extern const tb_backend_ops tb_backend_cuda_ops = {"cuda", cuda_init, cuda_deal_stage, cuda_finalize};

} // extern "C"
