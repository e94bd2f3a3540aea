// CUDA backend: fills the same ops table as the CPU backend (host/backend/tb_backend.h). The
// streaming of a batch through the GPU (sub-batches sized from free device memory,
// pinned buffers, two streams) is host/backend/tb_stream.c; this file supplies the CUDA calls
// and the device choice. The math is tb_deal_math.h, launched by tb_cuda_deal_launch().
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <stdio.h>
#include <stdlib.h>

extern "C" {
#include "tb_backend.h"
#include "tb_error.h"
#include "tb_stream.h"
int tb_cuda_deal_launch(const tb_deal_params *P, const tb_deal_batch *B, void *stream);
int tb_cuda_network_launch(const tb_net_view *V, const double *x, double *xn);
int tb_cuda_device_count(void);
}

// One checked-call shape for the CUDA runtime, cuBLAS and cuSOLVER: a failure names the call.
#define TB_GPU_CHECK(call, ok, describe)                                                           \
  do {                                                                                             \
    const auto e_ = (call);                                                                        \
    if (e_ != (ok)) return TB_ERR(TB_ERR_GPU, "%s failed: %s", #call, describe(e_));               \
  } while (0)
#define CU(call) TB_GPU_CHECK(call, cudaSuccess, cudaGetErrorString)
#define CUBLAS(call) TB_GPU_CHECK(call, CUBLAS_STATUS_SUCCESS, cublasGetStatusString)
#define CUSOLVER(call) TB_GPU_CHECK(call, CUSOLVER_STATUS_SUCCESS, cusolver_status_text)

namespace {

// cuSOLVER has no status-to-text function; the numbers are cusolver_common.h's.
const char *cusolver_status_text(cusolverStatus_t e) {
  switch (e) {
  case CUSOLVER_STATUS_NOT_INITIALIZED: return "not initialized";
  case CUSOLVER_STATUS_ALLOC_FAILED: return "allocation failed";
  case CUSOLVER_STATUS_INVALID_VALUE: return "invalid value";
  case CUSOLVER_STATUS_ARCH_MISMATCH: return "architecture mismatch";
  case CUSOLVER_STATUS_EXECUTION_FAILED: return "execution failed";
  case CUSOLVER_STATUS_INTERNAL_ERROR: return "internal error";
  default: return "cusolver error (see cusolver_common.h)";
  }
}

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

// Section 7 on the device: cuSOLVER's 64-bit getrf/getrs, the factors resident between solves.
struct dense_state {
  cusolverDnHandle_t solver;
  cusolverDnParams_t params;
  cublasHandle_t blas;
};

struct gpu_lu {
  int64_t n;
  double *a;     // factors, column-major n x n
  int64_t *ipiv; // device pivots
  int *info;     // device status word
};

struct cuda_state {
  tb_streamer *st;
  net_state net;
  dense_state dense; // created on first use: most runs factor one small table, once
};

int dense_open(dense_state *d) {
  if (d->solver) return TB_OK;
  CUSOLVER(cusolverDnCreate(&d->solver));
  CUSOLVER(cusolverDnCreateParams(&d->params));
  CUBLAS(cublasCreate(&d->blas));
  return TB_OK;
}

void dense_close(dense_state *d) {
  if (d->params) cusolverDnDestroyParams(d->params);
  if (d->solver) cusolverDnDestroy(d->solver);
  if (d->blas) cublasDestroy(d->blas);
  *d = dense_state{};
}

void lu_release(gpu_lu *f) {
  if (!f) return;
  cudaFree(f->a), cudaFree(f->ipiv), cudaFree(f->info);
  delete f;
}

int dev_alloc(void **p, size_t bytes, const char *what) {
  cudaError_t e = cudaMalloc(p, bytes ? bytes : 1);
  if (e != cudaSuccess)
    return TB_ERR(TB_ERR_GPU, "cudaMalloc of %zu bytes for %s failed: %s", bytes, what, cudaGetErrorString(e));
  return TB_OK;
}

// Device and host allocations of one call, freed by the destructor on every path.
struct call_buffers {
  double *a = nullptr, *b = nullptr, *c = nullptr;
  void *dwork = nullptr, *hwork = nullptr;
  ~call_buffers() { cudaFree(a), cudaFree(b), cudaFree(c), cudaFree(dwork), free(hwork); }
};

int lu_factor_on(dense_state *d, gpu_lu *f, const double *M, int64_t *zero_pivot) {
  const int64_t n = f->n;
  size_t dev_bytes = 0, host_bytes = 0;
  int info = 0;
  call_buffers w;
  TB_CALL(dev_alloc((void **)&f->a, sizeof(double) * (size_t)(n * n), "the LU factors"));
  TB_CALL(dev_alloc((void **)&f->ipiv, sizeof(int64_t) * (size_t)n, "the LU pivots"));
  TB_CALL(dev_alloc((void **)&f->info, sizeof(int), "the LU status"));
  CU(cudaMemcpy(f->a, M, sizeof(double) * (size_t)(n * n), cudaMemcpyHostToDevice));
  CUSOLVER(cusolverDnXgetrf_bufferSize(d->solver, d->params, n, n, CUDA_R_64F, f->a, n, CUDA_R_64F, &dev_bytes,
                                       &host_bytes));
  if (host_bytes && !(w.hwork = malloc(host_bytes)))
    return TB_ERR(TB_ERR_MEMORY, "out of host memory for cuSOLVER's getrf workspace");
  TB_CALL(dev_alloc(&w.dwork, dev_bytes, "cuSOLVER's getrf workspace"));
  CUSOLVER(cusolverDnXgetrf(d->solver, d->params, n, n, CUDA_R_64F, f->a, n, f->ipiv, CUDA_R_64F, w.dwork, dev_bytes,
                            w.hwork, host_bytes, f->info));
  CU(cudaMemcpy(&info, f->info, sizeof info, cudaMemcpyDeviceToHost));
  if (info < 0) return TB_ERR(TB_ERR_INTERNAL, "cusolverDnXgetrf: argument %d is invalid", -info);
  *zero_pivot = info > 0 ? (int64_t)info - 1 : -1; // getrf's info is 1-based, like LAPACK's
  return TB_OK;
}

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

static int cuda_lu_factor(tb_backend *be, int64_t n, double *M, void **lu, int64_t *zero_pivot) {
  dense_state *d = &((cuda_state *)be->state)->dense;
  *lu = nullptr, *zero_pivot = -1;
  TB_CALL(dense_open(d));
  gpu_lu *f = new gpu_lu{n, nullptr, nullptr, nullptr};
  const int rc = lu_factor_on(d, f, M, zero_pivot);
  if (rc) lu_release(f);
  else *lu = f;
  return rc;
}

static int cuda_lu_solve(tb_backend *be, void *lu, int trans, int64_t nrhs, double *B) {
  dense_state *d = &((cuda_state *)be->state)->dense;
  const gpu_lu *f = (const gpu_lu *)lu;
  const int64_t n = f->n;
  call_buffers buf;
  int info = 0;
  TB_CALL(dev_alloc((void **)&buf.b, sizeof(double) * (size_t)(n * nrhs), "the right-hand sides"));
  CU(cudaMemcpy(buf.b, B, sizeof(double) * (size_t)(n * nrhs), cudaMemcpyHostToDevice));
  CUSOLVER(cusolverDnXgetrs(d->solver, d->params, trans ? CUBLAS_OP_T : CUBLAS_OP_N, n, nrhs, CUDA_R_64F, f->a, n,
                            f->ipiv, CUDA_R_64F, buf.b, n, f->info));
  CU(cudaMemcpy(&info, f->info, sizeof info, cudaMemcpyDeviceToHost));
  if (info) return TB_ERR(TB_ERR_INTERNAL, "cusolverDnXgetrs: argument %d is invalid", -info);
  CU(cudaMemcpy(B, buf.b, sizeof(double) * (size_t)(n * nrhs), cudaMemcpyDeviceToHost));
  return TB_OK;
}

static void cuda_lu_free(tb_backend *, void *lu) { lu_release((gpu_lu *)lu); }

static int cuda_gemm(tb_backend *be, int64_t m, int64_t n, int64_t k, const double *A, const double *B, double *C) {
  dense_state *d = &((cuda_state *)be->state)->dense;
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX)
    return TB_ERR(TB_ERR_INPUT, "product of %lld x %lld by %lld x %lld: cuBLAS takes dimensions below 2^31",
                  (long long)m, (long long)k, (long long)k, (long long)n);
  TB_CALL(dense_open(d));
  call_buffers buf;
  const double one = 1.0, zero = 0.0;
  TB_CALL(dev_alloc((void **)&buf.a, sizeof(double) * (size_t)(m * k), "a product's left factor"));
  TB_CALL(dev_alloc((void **)&buf.b, sizeof(double) * (size_t)(k * n), "a product's right factor"));
  TB_CALL(dev_alloc((void **)&buf.c, sizeof(double) * (size_t)(m * n), "a product"));
  CU(cudaMemcpy(buf.a, A, sizeof(double) * (size_t)(m * k), cudaMemcpyHostToDevice));
  CU(cudaMemcpy(buf.b, B, sizeof(double) * (size_t)(k * n), cudaMemcpyHostToDevice));
  CUBLAS(cublasDgemm(d->blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)m, (int)n, (int)k, &one, buf.a, (int)(m ? m : 1), buf.b,
                     (int)(k ? k : 1), &zero, buf.c, (int)(m ? m : 1)));
  CU(cudaMemcpy(C, buf.c, sizeof(double) * (size_t)(m * n), cudaMemcpyDeviceToHost));
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
  dense_close(&cs->dense);
  tb_stream_destroy(cs->st);
  delete cs;
  be->state = nullptr;
}

static int cuda_device_memory(tb_backend *be, size_t *free_bytes, size_t *total_bytes, int *devices) {
  (void)be;
  CU(cudaMemGetInfo(free_bytes, total_bytes));
  *devices = tb_cuda_device_count();
  return TB_OK;
}

extern const tb_backend_ops tb_backend_cuda_ops = {
    .name = "cuda",
    .init = cuda_init,
    .deal_stage = cuda_deal_stage,
    .network_step = cuda_network_step,
    .lu_factor = cuda_lu_factor,
    .lu_solve = cuda_lu_solve,
    .lu_free = cuda_lu_free,
    .gemm = cuda_gemm,
    .finalize = cuda_finalize,
    .device_memory = cuda_device_memory,
};

} // extern "C"
