#include "tb_stream.h"

#include "tb_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  void *stream;
  char *h_in, *h_out, *d_in, *d_out;
  int64_t d0, n, p0, np; /* sub-batch in flight: deals [d0, d0+n) of the batch; n = 0: none */
} slot;

struct tb_streamer {
  tb_device_ops dev;
  size_t cap_in, cap_out, slot_bytes;
  slot s[2];
  int slots_ready;
  tb_entity_row *d_rows;
  int64_t cap_rows, static_rows;
  const tb_entity_row *static_src;
  int halvings; /* times the slots were halved because the device refused them */
};

/* Bump allocator over one slot buffer: 16-byte aligned arrays, in a fixed order. */
static size_t take(size_t *at, size_t bytes) {
  size_t off = *at;
  *at += (bytes + 15) & ~(size_t)15;
  return off;
}

typedef struct {
  int64_t n, np, nc, nf;
} sizes;

typedef struct { /* offsets of the input arrays, then of the outputs */
  size_t pp, pr, im, tv, ch, cp, cd, cpr, fp, ft, fa, in;
  size_t val, tr, fv, st, sur, bid, out;
} layout;

static sizes sizes_of(const tb_deal_batch *B, int64_t d0, int64_t d1) {
  const int64_t p0 = B->party_ptr[d0], p1 = B->party_ptr[d1];
  const int64_t c0 = B->comp_ptr[p0], c1 = B->comp_ptr[p1];
  return (sizes){d1 - d0, p1 - p0, c1 - c0, B->flow_ptr[c1] - B->flow_ptr[c0]};
}

static layout layout_of(sizes z) {
  layout L;
  size_t a = 0, b = 0;
  L.pp = take(&a, 8 * (size_t)(z.n + 1)), L.pr = take(&a, 8 * (size_t)z.np), L.im = take(&a, 4 * (size_t)z.n);
  L.tv = take(&a, 8 * (size_t)z.n), L.ch = take(&a, 8 * (size_t)z.n), L.cp = take(&a, 8 * (size_t)(z.np + 1)), L.cd = take(&a, (size_t)z.nc);
  L.cpr = take(&a, 8 * (size_t)z.nc), L.fp = take(&a, 8 * (size_t)(z.nc + 1)), L.ft = take(&a, 4 * (size_t)z.nf);
  L.fa = take(&a, 8 * (size_t)z.nf), L.in = a;
  L.val = take(&b, 8 * (size_t)z.np), L.tr = take(&b, 8 * (size_t)z.np), L.fv = take(&b, 8 * (size_t)z.np);
  L.st = take(&b, (size_t)z.n), L.sur = take(&b, 8 * (size_t)z.n), L.bid = take(&b, 8 * (size_t)z.n), L.out = b;
  return L;
}

/* Largest d1 whose sub-batch [d0, d1) fits a slot (binary search: sizes grow with d1). */
static int64_t fit_end(const tb_streamer *st, const tb_deal_batch *B, int64_t d0) {
  int64_t lo = d0, hi = B->ndeal;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    layout L = layout_of(sizes_of(B, d0, mid));
    if (L.in <= st->cap_in && L.out <= st->cap_out) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

static void rebase_copy(int64_t *dst, const int64_t *src, int64_t n, int64_t base) {
  for (int64_t i = 0; i < n; i++) dst[i] = src[i] - base;
}

/* Pack deals [d0, d1) into the slot's pinned buffer, ship, launch, queue the results back. */
static int launch_slot(tb_streamer *st, slot *S, const tb_deal_params *P, const tb_deal_batch *B,
                       int64_t d0, int64_t d1) {
  const sizes z = sizes_of(B, d0, d1);
  const layout L = layout_of(z);
  const int64_t p0 = B->party_ptr[d0], c0 = B->comp_ptr[p0], f0 = B->flow_ptr[c0];
  char *h = S->h_in, *d = S->d_in, *o = S->d_out;
  rebase_copy((int64_t *)(void *)(h + L.pp), B->party_ptr + d0, z.n + 1, p0);
  memcpy(h + L.pr, B->party_row + p0, 8 * (size_t)z.np);
  memcpy(h + L.im, B->importer + d0, 4 * (size_t)z.n);
  memcpy(h + L.tv, B->trade_value + d0, 8 * (size_t)z.n);
  if (B->charge) memcpy(h + L.ch, B->charge + d0, 8 * (size_t)z.n);
  rebase_copy((int64_t *)(void *)(h + L.cp), B->comp_ptr + p0, z.np + 1, c0);
  memcpy(h + L.cd, B->comp_dim + c0, (size_t)z.nc);
  memcpy(h + L.cpr, B->comp_prob + c0, 8 * (size_t)z.nc);
  rebase_copy((int64_t *)(void *)(h + L.fp), B->flow_ptr + c0, z.nc + 1, f0);
  memcpy(h + L.ft, B->flow_period + f0, 4 * (size_t)z.nf);
  memcpy(h + L.fa, B->flow_amount + f0, 8 * (size_t)z.nf);
  TB_CALL(st->dev.h2d(st->dev.ctx, d, h, L.in, S->stream));
  tb_deal_batch V;
  memset(&V, 0, sizeof V);
  V.ndeal = z.n, V.nparty = z.np, V.ncomp = z.nc, V.nflow = z.nf;
  V.party_ptr = (const int64_t *)(void *)(d + L.pp), V.party_row = (const int64_t *)(void *)(d + L.pr);
  V.importer = (const int32_t *)(void *)(d + L.im), V.trade_value = (const double *)(void *)(d + L.tv);
  V.charge = B->charge ? (const double *)(void *)(d + L.ch) : NULL;
  V.comp_ptr = (const int64_t *)(void *)(d + L.cp), V.comp_dim = (const uint8_t *)(d + L.cd);
  V.comp_prob = (const double *)(void *)(d + L.cpr), V.flow_ptr = (const int64_t *)(void *)(d + L.fp);
  V.flow_period = (const int32_t *)(void *)(d + L.ft), V.flow_amount = (const double *)(void *)(d + L.fa);
  V.rows = st->d_rows, V.nrows = B->nrows, V.nrows_static = B->nrows_static;
  V.value = (double *)(void *)(o + L.val), V.transfer = (double *)(void *)(o + L.tr);
  V.final_value = (double *)(void *)(o + L.fv), V.status = (uint8_t *)(o + L.st);
  V.surplus = (double *)(void *)(o + L.sur), V.bid = (double *)(void *)(o + L.bid);
  TB_CALL(st->dev.launch(st->dev.ctx, P, &V, S->stream));
  TB_CALL(st->dev.d2h(st->dev.ctx, S->h_out, o, L.out, S->stream));
  S->d0 = d0, S->n = z.n, S->p0 = p0, S->np = z.np;
  return TB_OK;
}

/* Wait for a slot's sub-batch and scatter its results into the batch's output arrays. */
static int finish_slot(tb_streamer *st, slot *S, tb_deal_batch *B) {
  if (!S->n) return TB_OK;
  TB_CALL(st->dev.sync(st->dev.ctx, S->stream));
  const layout L = layout_of((sizes){S->n, S->np, 0, 0});
  const char *h = S->h_out;
  memcpy(B->value + S->p0, h + L.val, 8 * (size_t)S->np);
  memcpy(B->transfer + S->p0, h + L.tr, 8 * (size_t)S->np);
  memcpy(B->final_value + S->p0, h + L.fv, 8 * (size_t)S->np);
  memcpy(B->status + S->d0, h + L.st, (size_t)S->n);
  memcpy(B->surplus + S->d0, h + L.sur, 8 * (size_t)S->n);
  memcpy(B->bid + S->d0, h + L.bid, 8 * (size_t)S->n);
  S->n = 0;
  return TB_OK;
}

/* Entity rows: this rank's block stays on the device; fetched remote rows are re-sent. */
static int upload_rows(tb_streamer *st, const tb_deal_batch *B) {
  const size_t row = sizeof(tb_entity_row);
  if (B->nrows > st->cap_rows) {
    if (st->d_rows) st->dev.release(st->dev.ctx, st->d_rows);
    st->d_rows = NULL;
    st->cap_rows = B->nrows + B->nrows / 4 + 1;
    if (st->dev.alloc(st->dev.ctx, (void **)&st->d_rows, row * (size_t)st->cap_rows))
      return TB_ERR(TB_ERR_GPU, "device memory: the table of %lld entity rows (%zu bytes) does not fit (%s); use "
                    "more ranks (each holds its share of the entities)", (long long)st->cap_rows,
                    row * (size_t)st->cap_rows, tb_error_message());
    st->static_rows = -1;
  }
  if (st->static_src != B->rows || st->static_rows != B->nrows_static) {
    TB_CALL(st->dev.h2d(st->dev.ctx, st->d_rows, B->rows, row * (size_t)B->nrows_static, NULL));
    st->static_src = B->rows, st->static_rows = B->nrows_static;
  }
  const int64_t rem = B->nrows - B->nrows_static;
  if (rem > 0)
    TB_CALL(st->dev.h2d(st->dev.ctx, st->d_rows + B->nrows_static, B->rows + B->nrows_static,
                        row * (size_t)rem, NULL));
  return TB_OK;
}

static void release_slots(tb_streamer *st) {
  for (int i = 0; i < 2; i++) {
    slot *S = &st->s[i];
    if (S->stream) {
      st->dev.sync(st->dev.ctx, S->stream);
      st->dev.stream_destroy(st->dev.ctx, S->stream);
    }
    if (S->h_in) st->dev.release_host(st->dev.ctx, S->h_in);
    if (S->h_out) st->dev.release_host(st->dev.ctx, S->h_out);
    if (S->d_in) st->dev.release(st->dev.ctx, S->d_in);
    if (S->d_out) st->dev.release(st->dev.ctx, S->d_out);
    memset(S, 0, sizeof *S);
  }
}

static int alloc_slots(tb_streamer *st) {
  for (int i = 0; i < 2; i++) {
    slot *S = &st->s[i];
    TB_CALL(st->dev.stream_create(st->dev.ctx, &S->stream));
    TB_CALL(st->dev.alloc_host(st->dev.ctx, (void **)&S->h_in, st->cap_in));
    TB_CALL(st->dev.alloc_host(st->dev.ctx, (void **)&S->h_out, st->cap_out));
    TB_CALL(st->dev.alloc(st->dev.ctx, (void **)&S->d_in, st->cap_in));
    TB_CALL(st->dev.alloc(st->dev.ctx, (void **)&S->d_out, st->cap_out));
  }
  return TB_OK;
}

/* Slot buffers from the free device memory left after the row table. When the device refuses them
 * (other processes, fragmentation), the slots halve until they fit: smaller sub-batches, same results. */
static int make_slots(tb_streamer *st) {
  if (st->slots_ready) return TB_OK;
  size_t free_b = 0;
  TB_CALL(st->dev.free_bytes(st->dev.ctx, &free_b));
  const size_t in = free_b / 100 * 35, cap = (size_t)1 << 30;
  st->cap_in = st->slot_bytes ? st->slot_bytes : in < cap ? in : cap;
  for (;;) {
    st->cap_out = st->cap_in / 4;
    const int rc = alloc_slots(st);
    if (!rc) break;
    release_slots(st);
    if (st->cap_in / 2 < TB_STREAM_MIN_SLOT)
      return TB_ERR(TB_ERR_GPU, "device memory: even %zu-byte deal buffers could not be allocated (%s); use more "
                    "ranks per device or free the device", st->cap_in, tb_error_message());
    st->cap_in /= 2, st->halvings++;
    tb_error_clear();
  }
  if (st->halvings)
    fprintf(stderr, "tradebal: warning: device memory short: deal buffers halved %d time(s) to %zu bytes\n",
            st->halvings, st->cap_in);
  st->slots_ready = 1;
  return TB_OK;
}

size_t tb_stream_slot_bytes(const tb_streamer *st) { return st->slots_ready ? st->cap_in : 0; }

int tb_stream_create(tb_streamer **out, const tb_device_ops *dev, size_t slot_bytes) {
  tb_streamer *st = calloc(1, sizeof *st);
  if (!st) return TB_ERR(TB_ERR_MEMORY, "out of memory for the device streamer");
  st->dev = *dev;
  st->slot_bytes = slot_bytes;
  st->static_rows = -1;
  *out = st;
  return TB_OK;
}

int tb_stream_deal_stage(tb_streamer *st, const tb_deal_params *P, tb_deal_batch *B) {
  if (B->ndeal == 0) return TB_OK;
  TB_CALL(upload_rows(st, B));
  TB_CALL(make_slots(st));
  int64_t d0 = 0;
  for (int i = 0; d0 < B->ndeal; i++) {
    slot *S = &st->s[i % 2];
    TB_CALL(finish_slot(st, S, B)); /* its previous sub-batch, before the buffers are reused */
    const int64_t d1 = fit_end(st, B, d0);
    if (d1 == d0)
      return TB_ERR(TB_ERR_GPU, "deal %lld alone needs more than the %zu-byte device buffer",
                    (long long)d0, st->cap_in);
    TB_CALL(launch_slot(st, S, P, B, d0, d1));
    d0 = d1;
  }
  TB_CALL(finish_slot(st, &st->s[0], B));
  TB_CALL(finish_slot(st, &st->s[1], B));
  return TB_OK;
}

void tb_stream_destroy(tb_streamer *st) {
  if (!st) return;
  release_slots(st);
  if (st->d_rows) st->dev.release(st->dev.ctx, st->d_rows);
  free(st);
}
