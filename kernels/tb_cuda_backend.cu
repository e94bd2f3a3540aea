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
int tb_cuda_network_launch(const tb_net_view *V, const double *x, double *xn);
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

// Section 6 on the device: the graph of one solve stays resident (re-sent when the host
// view changes); each step sends x (local and halo), runs the rows, and returns x_new.
struct net_state {
  const void *key_ptr, *key_b; // the host view last uploaded
  int64_t n, nx, nin;
  tb_net_view dev;            // device copy of the view
  double *x, *xn;
};

void net_release(net_state *g) {
  cudaFree((void *)g->dev.in_ptr), cudaFree((void *)g->dev.src), cudaFree((void *)g->dev.w);
  cudaFree((void *)g->dev.b), cudaFree(g->x), cudaFree(g->xn);
  *g = net_state{};
}

int net_upload(net_state *g, const tb_net_view *V) {
  net_release(g);
  const int64_t nin = V->in_ptr[V->n];
  const size_t bytes[6] = {sizeof(int64_t) * (size_t)(V->n + 1), sizeof(int32_t) * (size_t)(nin ? nin : 1),
                           sizeof(double) * (size_t)(nin ? nin : 1), sizeof(double) * (size_t)(V->n ? V->n : 1),
                           sizeof(double) * (size_t)(V->nx ? V->nx : 1), sizeof(double) * (size_t)(V->n ? V->n : 1)};
  void *p[6] = {};
  for (int i = 0; i < 6; i++) {
    cudaError_t e = cudaMalloc(&p[i], bytes[i]);
    if (e != cudaSuccess) {
      for (int k = 0; k < i; k++) cudaFree(p[k]);
      return TB_ERR(TB_ERR_GPU, "cudaMalloc of %zu bytes for the entity graph failed: %s", bytes[i],
                    cudaGetErrorString(e));
    }
  }
  g->dev = *V;
  g->dev.in_ptr = (const int64_t *)p[0], g->dev.src = (const int32_t *)p[1], g->dev.w = (const double *)p[2];
  g->dev.b = (const double *)p[3], g->x = (double *)p[4], g->xn = (double *)p[5];
  CU(cudaMemcpy(p[0], V->in_ptr, sizeof(int64_t) * (size_t)(V->n + 1), cudaMemcpyHostToDevice));
  CU(cudaMemcpy(p[1], V->src, sizeof(int32_t) * (size_t)nin, cudaMemcpyHostToDevice));
  CU(cudaMemcpy(p[2], V->w, sizeof(double) * (size_t)nin, cudaMemcpyHostToDevice));
  CU(cudaMemcpy(p[3], V->b, sizeof(double) * (size_t)V->n, cudaMemcpyHostToDevice));
  g->key_ptr = V->in_ptr, g->key_b = V->b, g->n = V->n, g->nx = V->nx, g->nin = nin;
  return TB_OK;
}

struct cuda_state {
  tb_streamer *st;
  net_state net;
};

} // namespace

extern "C" {

static int cuda_network_step(tb_backend *be, const tb_net_view *V, const double *x, double *xn) {
  net_state *g = &((cuda_state *)be->state)->net;
  if (g->key_ptr != V->in_ptr || g->key_b != V->b || g->n != V->n || g->nx != V->nx || g->nin != V->in_ptr[V->n])
    TB_CALL(net_upload(g, V));
  g->dev.alpha = V->alpha;
  CU(cudaMemcpy(g->x, x, sizeof(double) * (size_t)V->nx, cudaMemcpyHostToDevice));
  cudaError_t e = (cudaError_t)tb_cuda_network_launch(&g->dev, g->x, g->xn);
  if (e != cudaSuccess) return TB_ERR(TB_ERR_GPU, "tb_network_kernel launch failed: %s", cudaGetErrorString(e));
  CU(cudaMemcpy(xn, g->xn, sizeof(double) * (size_t)V->n, cudaMemcpyDeviceToHost));
  return TB_OK;
}

static int cuda_init(tb_backend *be) {
  const int count = tb_cuda_device_count();
  if (count <= 0) return TB_ERR(TB_ERR_GPU, "backend.kind=cuda: no CUDA device is visible on this node");
  const int dev = be->local_rank % count; // more ranks than GPUs share them round-robin
  CU(cudaSetDevice(dev));
  cudaDeviceProp prop;
  CU(cudaGetDeviceProperties(&prop, dev));
  fprintf(stderr, "[cuda] node-local rank %d uses GPU %d of %d: %s\n", be->local_rank, dev, count, prop.name);
  const char *force = getenv("TB_CUDA_SLOT_BYTES"); // tests: tiny slots exercise the streaming
  cuda_state *cs = new cuda_state{};
  int rc = tb_stream_create(&cs->st, &CUDA_DEVICE, force && atoll(force) > 0 ? (size_t)atoll(force) : 0);
  if (rc) {
    delete cs;
    return rc;
  }
  be->state = cs;
  return TB_OK;
}

static int cuda_deal_stage(tb_backend *be, const tb_deal_params *P, tb_deal_batch *B) {
  return tb_stream_deal_stage(((cuda_state *)be->state)->st, P, B);
}

static void cuda_finalize(tb_backend *be) {
  cuda_state *cs = (cuda_state *)be->state;
  if (!cs) return;
  net_release(&cs->net);
  tb_stream_destroy(cs->st);
  delete cs;
  be->state = nullptr;
}

extern const tb_backend_ops tb_backend_cuda_ops = {"cuda", cuda_init, cuda_deal_stage, cuda_network_step,
                                                   cuda_finalize};

} // extern "C"
