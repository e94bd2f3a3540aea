// CUDA backend: fills the same ops table as the CPU backend (host/backend.h). A batch
// streams through the GPU in sub-batches sized from free device memory, packed into
// pinned host buffers, alternating between two streams so one sub-batch's copies
// overlap the other's kernel. The math is tb_math.h via tb_cuda_deal_launch().
#include <cuda_runtime.h>

#include <new>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "backend.h"
#include "tb_error.h"
int tb_cuda_deal_launch(const tb_deal_params *P, const tb_deal_batch *B, void *stream);
}

#define CU(call)                                                                                   \
  do {                                                                                             \
    cudaError_t e_ = (call);                                                                       \
    if (e_ != cudaSuccess)                                                                         \
      return TB_ERR(TB_ERR_GPU, "%s failed: %s", #call, cudaGetErrorString(e_));                   \
  } while (0)

namespace {

struct slot {
  cudaStream_t stream = nullptr;
  char *h_in = nullptr, *h_out = nullptr; // pinned
  char *d_in = nullptr, *d_out = nullptr;
  int64_t d0 = 0, n = 0, p0 = 0, np = 0; // sub-batch in flight: deals [d0, d0+n) of the batch
  size_t out_bytes = 0;
};

struct cuda_state {
  int device = -1;
  size_t cap_in = 0, cap_out = 0; // bytes per slot
  slot s[2];
  tb_entity_row *d_rows = nullptr;
  int64_t cap_rows = 0, static_rows = -1;
  const tb_entity_row *static_src = nullptr;
};

// Bump allocator over one slot buffer; 16-byte aligned arrays.
struct layout {
  size_t at = 0;
  size_t take(size_t bytes) {
    size_t off = at;
    at += (bytes + 15) & ~(size_t)15;
    return off;
  }
};

struct sizes {
  int64_t n, np, nc, nf;
};

sizes sizes_of(const tb_deal_batch *B, int64_t d0, int64_t d1) {
  const int64_t p0 = B->party_ptr[d0], p1 = B->party_ptr[d1];
  const int64_t c0 = B->comp_ptr[p0], c1 = B->comp_ptr[p1];
  return {d1 - d0, p1 - p0, c1 - c0, B->flow_ptr[c1] - B->flow_ptr[c0]};
}

size_t in_bytes(sizes z) {
  layout L;
  L.take(8 * (z.n + 1)), L.take(8 * z.np), L.take(4 * z.n), L.take(8 * z.n), L.take(8 * (z.np + 1));
  L.take(z.nc), L.take(8 * z.nc), L.take(8 * (z.nc + 1)), L.take(4 * z.nf), L.take(8 * z.nf);
  return L.at;
}

size_t out_bytes(sizes z) {
  layout L;
  L.take(8 * z.np), L.take(8 * z.np), L.take(8 * z.np), L.take(z.n), L.take(8 * z.n), L.take(8 * z.n);
  return L.at;
}

// Largest d1 > d0 whose sub-batch fits the slot buffers (binary search: sizes grow with d1).
int64_t fit_end(const cuda_state *st, const tb_deal_batch *B, int64_t d0) {
  int64_t lo = d0, hi = B->ndeal;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    sizes z = sizes_of(B, d0, mid);
    if (in_bytes(z) <= st->cap_in && out_bytes(z) <= st->cap_out) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// Copy [src, src+n) into dst minus base: CSR pointers rebased to the sub-batch.
void rebase_copy(int64_t *dst, const int64_t *src, int64_t n, int64_t base) {
  for (int64_t i = 0; i < n; i++) dst[i] = src[i] - base;
}

// Pack a sub-batch into the slot's pinned buffer, ship it, launch, and queue the results back.
int launch_slot(cuda_state *st, slot *S, const tb_deal_params *P, const tb_deal_batch *B,
                int64_t d0, int64_t d1) {
  const sizes z = sizes_of(B, d0, d1);
  const int64_t p0 = B->party_ptr[d0], c0 = B->comp_ptr[p0], f0 = B->flow_ptr[c0];
  layout L;
  char *h = S->h_in, *d = S->d_in;
  size_t o_pp = L.take(8 * (z.n + 1)), o_pr = L.take(8 * z.np), o_im = L.take(4 * z.n);
  size_t o_tv = L.take(8 * z.n), o_cp = L.take(8 * (z.np + 1)), o_cd = L.take(z.nc);
  size_t o_cpr = L.take(8 * z.nc), o_fp = L.take(8 * (z.nc + 1)), o_ft = L.take(4 * z.nf);
  size_t o_fa = L.take(8 * z.nf);
  rebase_copy((int64_t *)(h + o_pp), B->party_ptr + d0, z.n + 1, p0);
  memcpy(h + o_pr, B->party_row + p0, 8 * z.np);
  memcpy(h + o_im, B->importer + d0, 4 * z.n);
  memcpy(h + o_tv, B->trade_value + d0, 8 * z.n);
  rebase_copy((int64_t *)(h + o_cp), B->comp_ptr + p0, z.np + 1, c0);
  memcpy(h + o_cd, B->comp_dim + c0, z.nc);
  memcpy(h + o_cpr, B->comp_prob + c0, 8 * z.nc);
  rebase_copy((int64_t *)(h + o_fp), B->flow_ptr + c0, z.nc + 1, f0);
  memcpy(h + o_ft, B->flow_period + f0, 4 * z.nf);
  memcpy(h + o_fa, B->flow_amount + f0, 8 * z.nf);
  CU(cudaMemcpyAsync(d, h, L.at, cudaMemcpyHostToDevice, S->stream));

  layout O;
  char *dout = S->d_out;
  tb_deal_batch V;
  memset(&V, 0, sizeof V);
  V.ndeal = z.n, V.nparty = z.np, V.ncomp = z.nc, V.nflow = z.nf;
  V.party_ptr = (const int64_t *)(d + o_pp), V.party_row = (const int64_t *)(d + o_pr);
  V.importer = (const int32_t *)(d + o_im), V.trade_value = (const double *)(d + o_tv);
  V.comp_ptr = (const int64_t *)(d + o_cp), V.comp_dim = (const uint8_t *)(d + o_cd);
  V.comp_prob = (const double *)(d + o_cpr), V.flow_ptr = (const int64_t *)(d + o_fp);
  V.flow_period = (const int32_t *)(d + o_ft), V.flow_amount = (const double *)(d + o_fa);
  V.rows = st->d_rows, V.nrows = B->nrows, V.nrows_static = B->nrows_static;
  V.value = (double *)(dout + O.take(8 * z.np)), V.transfer = (double *)(dout + O.take(8 * z.np));
  V.final_value = (double *)(dout + O.take(8 * z.np)), V.status = (uint8_t *)(dout + O.take(z.n));
  V.surplus = (double *)(dout + O.take(8 * z.n)), V.bid = (double *)(dout + O.take(8 * z.n));
  int le = tb_cuda_deal_launch(P, &V, S->stream);
  if (le != (int)cudaSuccess)
    return TB_ERR(TB_ERR_GPU, "tb_deal_kernel launch failed: %s", cudaGetErrorString((cudaError_t)le));
  CU(cudaMemcpyAsync(S->h_out, dout, O.at, cudaMemcpyDeviceToHost, S->stream));
  S->d0 = d0, S->n = z.n, S->p0 = p0, S->np = z.np, S->out_bytes = O.at;
  return TB_OK;
}

// Wait for a slot's sub-batch and scatter its results into the batch's output arrays.
int finish_slot(slot *S, tb_deal_batch *B) {
  if (!S->n) return TB_OK;
  CU(cudaStreamSynchronize(S->stream));
  layout O;
  const char *h = S->h_out;
  memcpy(B->value + S->p0, h + O.take(8 * S->np), 8 * S->np);
  memcpy(B->transfer + S->p0, h + O.take(8 * S->np), 8 * S->np);
  memcpy(B->final_value + S->p0, h + O.take(8 * S->np), 8 * S->np);
  memcpy(B->status + S->d0, h + O.take(S->n), S->n);
  memcpy(B->surplus + S->d0, h + O.take(8 * S->n), 8 * S->n);
  memcpy(B->bid + S->d0, h + O.take(8 * S->n), 8 * S->n);
  S->n = 0;
  return TB_OK;
}

// Entity rows: this rank's block stays on the device; fetched remote rows are re-sent per batch.
int upload_rows(cuda_state *st, const tb_deal_batch *B) {
  if (B->nrows > st->cap_rows) {
    if (st->d_rows) CU(cudaFree(st->d_rows));
    st->d_rows = nullptr;
    st->cap_rows = B->nrows + B->nrows / 4 + 1;
    CU(cudaMalloc((void **)&st->d_rows, sizeof(tb_entity_row) * st->cap_rows));
    st->static_rows = -1;
  }
  if (st->static_src != B->rows || st->static_rows != B->nrows_static) {
    CU(cudaMemcpy(st->d_rows, B->rows, sizeof(tb_entity_row) * B->nrows_static, cudaMemcpyHostToDevice));
    st->static_src = B->rows, st->static_rows = B->nrows_static;
  }
  const int64_t rem = B->nrows - B->nrows_static;
  if (rem > 0)
    CU(cudaMemcpy(st->d_rows + B->nrows_static, B->rows + B->nrows_static, sizeof(tb_entity_row) * rem,
                  cudaMemcpyHostToDevice));
  return TB_OK;
}

// Slot buffers from the free device memory after the row table: 35% of it per slot for
// inputs (at most 1 GiB, since the pinned host copies mirror them), a quarter of that for outputs.
int size_slots(cuda_state *st) {
  if (st->cap_in) return TB_OK;
  size_t free_b = 0, total_b = 0;
  CU(cudaMemGetInfo(&free_b, &total_b));
  size_t in = free_b / 100 * 35, cap = (size_t)1 << 30;
  st->cap_in = in < cap ? in : cap;
  const char *force = getenv("TB_CUDA_SLOT_BYTES"); // tests: tiny slots exercise the streaming
  if (force && atoll(force) > 0) st->cap_in = (size_t)atoll(force);
  st->cap_out = st->cap_in / 4;
  for (slot &S : st->s) {
    CU(cudaStreamCreateWithFlags(&S.stream, cudaStreamNonBlocking));
    CU(cudaMallocHost((void **)&S.h_in, st->cap_in));
    CU(cudaMallocHost((void **)&S.h_out, st->cap_out));
    CU(cudaMalloc((void **)&S.d_in, st->cap_in));
    CU(cudaMalloc((void **)&S.d_out, st->cap_out));
  }
  return TB_OK;
}

} // namespace

extern "C" {

int tb_cuda_device_count(void);

static int cuda_init(tb_backend *be) {
  const int count = tb_cuda_device_count();
  if (count <= 0) return TB_ERR(TB_ERR_GPU, "backend.kind=cuda: no CUDA device is visible on this node");
  cuda_state *st = new (std::nothrow) cuda_state();
  if (!st) return TB_ERR(TB_ERR_MEMORY, "out of memory for the CUDA backend state");
  be->state = st;
  st->device = be->local_rank % count; // ranks beyond the GPU count share them round-robin
  CU(cudaSetDevice(st->device));
  cudaDeviceProp prop;
  CU(cudaGetDeviceProperties(&prop, st->device));
  fprintf(stderr, "[cuda] node-local rank %d uses GPU %d of %d: %s\n", be->local_rank, st->device, count,
          prop.name);
  return TB_OK;
}

static int cuda_deal_stage(tb_backend *be, const tb_deal_params *P, tb_deal_batch *B) {
  cuda_state *st = (cuda_state *)be->state;
  if (B->ndeal == 0) return TB_OK;
  TB_CALL(upload_rows(st, B));
  TB_CALL(size_slots(st));
  int64_t d0 = 0;
  for (int i = 0; d0 < B->ndeal; i++) {
    slot *S = &st->s[i % 2];
    TB_CALL(finish_slot(S, B)); // its previous sub-batch, before the buffers are reused
    const int64_t d1 = fit_end(st, B, d0);
    if (d1 == d0)
      return TB_ERR(TB_ERR_GPU, "deal %lld alone needs more than the %zu-byte device buffer",
                    (long long)d0, st->cap_in);
    TB_CALL(launch_slot(st, S, P, B, d0, d1));
    d0 = d1;
  }
  TB_CALL(finish_slot(&st->s[0], B));
  TB_CALL(finish_slot(&st->s[1], B));
  return TB_OK;
}

static void cuda_finalize(tb_backend *be) {
  cuda_state *st = (cuda_state *)be->state;
  if (!st) return;
  for (slot &S : st->s) {
    if (S.stream) cudaStreamSynchronize(S.stream), cudaStreamDestroy(S.stream);
    cudaFreeHost(S.h_in), cudaFreeHost(S.h_out), cudaFree(S.d_in), cudaFree(S.d_out);
  }
  cudaFree(st->d_rows);
  delete st;
  be->state = nullptr;
}

extern const tb_backend_ops tb_backend_cuda_ops = {"cuda", cuda_init, cuda_deal_stage, cuda_finalize};

} // extern "C"
