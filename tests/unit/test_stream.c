/* The device streamer (host/tb_stream.c) on a fake device whose queued copies and launches
 * run only when their stream is synchronised: the strictest reading of asynchrony, so a
 * buffer reused before its stream finished, a missing sync or a wrong offset shows up as a
 * wrong result. Launches evaluate with the scalar CPU math, so results must be bitwise equal
 * to evaluating the batch directly. */
#include "tb_error.h"
#include "tb_stream.h"
#include "tb_synth.h"
#include "tb_test.h"

enum { OP_COPY, OP_LAUNCH };
typedef struct {
  int type;
  void *dst;
  const void *src;
  size_t bytes;
  tb_deal_params P;
  tb_deal_batch B;
} op;
typedef struct {
  op *ops;
  int n, cap;
} queue;

static int64_t launches;

static void run(op *o) {
  if (o->type == OP_COPY) {
    memcpy(o->dst, o->src, o->bytes);
    return;
  }
  for (int64_t d = 0; d < o->B.ndeal; d++) tb_deal_eval(&o->P, &o->B, d);
  launches++;
}

static int push(void *stream, op o) {
  queue *q = stream;
  if (!q) { /* synchronous */
    run(&o);
    return TB_OK;
  }
  if (q->n == q->cap) {
    q->cap = q->cap ? 2 * q->cap : 16;
    q->ops = realloc(q->ops, sizeof(op) * (size_t)q->cap);
  }
  q->ops[q->n++] = o;
  return TB_OK;
}

static int f_free_bytes(void *c, size_t *b) { (void)c, *b = (size_t)64 << 20; return TB_OK; }
static size_t g_device_limit = (size_t)-1; /* device allocations above this fail, as on a short device */
static int f_alloc(void *c, void **p, size_t b) { (void)c, *p = malloc(b ? b : 1); return *p ? TB_OK : TB_ERR_MEMORY; }
static int f_dalloc(void *c, void **p, size_t b) {
  if (b > g_device_limit) return TB_ERR(TB_ERR_GPU, "fake device: out of memory for %zu bytes", b);
  return f_alloc(c, p, b);
}
static void f_release(void *c, void *p) { (void)c, free(p); }
static int f_stream_create(void *c, void **s) { (void)c, *s = calloc(1, sizeof(queue)); return TB_OK; }
static void f_stream_destroy(void *c, void *s) { (void)c, free(((queue *)s)->ops), free(s); }
static int f_copy(void *c, void *dst, const void *src, size_t b, void *s) {
  (void)c;
  return push(s, (op){OP_COPY, dst, src, b, {0, 0, 0, 0}, {0}});
}
static int f_launch(void *c, const tb_deal_params *P, const tb_deal_batch *B, void *s) {
  (void)c;
  return push(s, (op){OP_LAUNCH, NULL, NULL, 0, *P, *B});
}
static int f_sync(void *c, void *s) {
  (void)c;
  queue *q = s;
  for (int i = 0; i < q->n; i++) run(&q->ops[i]);
  q->n = 0;
  return TB_OK;
}
static const tb_device_ops FAKE = {NULL, f_free_bytes, f_dalloc, f_alloc, f_release, f_release,
                                   f_stream_create, f_stream_destroy, f_copy, f_copy, f_launch, f_sync};

/* Reference: the batch evaluated directly. Then through the streamer with `slot` bytes. */
static void check_batch(tb_synth *x, const tb_deal_params *P, size_t slot, tb_streamer *reuse, const char *what) {
  const int64_t n = tb_synth_nout(x);
  double *ref = malloc(8 * (size_t)n), *got = malloc(8 * (size_t)n);
  for (int64_t d = 0; d < x->b.ndeal; d++) tb_deal_eval(P, &x->b, d);
  tb_synth_outputs(x, ref);
  tb_synth_poison(x);
  tb_streamer *st = reuse;
  if (!st) tb_stream_create(&st, &FAKE, slot);
  const int64_t before = launches;
  CHECK(tb_stream_deal_stage(st, P, &x->b) == TB_OK, "%s: %s", what, tb_error_message());
  tb_synth_outputs(x, got);
  int64_t bad, sbad;
  tb_synth_differ(x, ref, got, 0.0, &bad, &sbad);
  CHECK(bad == 0 && sbad == 0, "%s: %lld values, %lld statuses differ (bitwise)", what, (long long)bad,
        (long long)sbad);
  if (slot && slot < 100000) CHECK(launches - before > 20, "%s: only %lld sub-batches", what, (long long)(launches - before));
  if (!reuse) tb_stream_destroy(st);
  free(ref), free(got);
}

int main(void) {
  tb_synth x;
  tb_synth_batch(&x, 30000, 211, 300);
  tb_deal_params P = {TB_VALUE_EXPECTED, TB_SPLIT_NASH, TB_SCOPE_ALL, 0.5};
  check_batch(&x, &P, 0, NULL, "slots sized from free memory");
  check_batch(&x, &P, 60000, NULL, "small slots");
  P = (tb_deal_params){TB_VALUE_MIN_ADJUSTED, TB_SPLIT_EGALITARIAN, TB_SCOPE_REPAIR, 0.4};
  check_batch(&x, &P, 60000, NULL, "small slots, other rules");
  /* section 5 import charges (some NaN: not traded) travel with their deals */
  double *charge = malloc(sizeof(double) * (size_t)x.b.ndeal);
  for (int64_t d = 0; d < x.b.ndeal; d++) charge[d] = d % 7 == 3 ? NAN : (double)(d % 5) * 0.75;
  x.b.charge = charge;
  check_batch(&x, &P, 60000, NULL, "small slots, import charges");
  x.b.charge = NULL;
  free(charge);

  /* remote rows change between batches while this rank's block stays resident */
  tb_streamer *st;
  tb_stream_create(&st, &FAKE, 60000);
  x.b.nrows_static = 200;
  check_batch(&x, &P, 60000, st, "batch 1 with remote rows");
  for (int64_t e = 200; e < 300; e++) x.rows[e].cap = e % 2 ? INFINITY : 1.0, x.rows[e].beta *= 1.5;
  check_batch(&x, &P, 60000, st, "batch 2: new remote rows re-sent");
  /* a moved table (reallocated on the host) is sent again in full */
  tb_entity_row *moved = malloc(sizeof(tb_entity_row) * 300);
  memcpy(moved, x.rows, sizeof(tb_entity_row) * 300);
  for (int e = 0; e < 200; e++) moved[e].rho1 += 0.25;
  free(x.rows);
  x.rows = moved;
  x.b.rows = moved;
  check_batch(&x, &P, 60000, st, "batch 3: moved table re-sent");
  tb_stream_destroy(st);

  /* a device that refuses the slots sized from its free memory (22 MB): they halve until they fit
   * (300 kB), and the results stay bitwise those of the host */
  g_device_limit = 300000;
  tb_stream_create(&st, &FAKE, 0);
  check_batch(&x, &P, 0, st, "device short of memory");
  CHECK(tb_stream_slot_bytes(st) <= 300000 && tb_stream_slot_bytes(st) > 150000, "slots halved to %zu bytes",
        tb_stream_slot_bytes(st));
  tb_stream_destroy(st);
  /* below the smallest slot the device is reported short, with its own message */
  g_device_limit = TB_STREAM_MIN_SLOT / 2;
  tb_stream_create(&st, &FAKE, 0);
  CHECK(tb_stream_deal_stage(st, &P, &x.b) == TB_ERR_GPU && strstr(tb_error_message(), "more ranks per device") &&
        strstr(tb_error_message(), "fake device: out of memory"), "no slot fits: %s", tb_error_message());
  tb_stream_destroy(st);
  g_device_limit = (size_t)-1;

  /* a deal larger than a slot is an error naming the deal, not a crash */
  tb_stream_create(&st, &FAKE, 4000);
  CHECK(tb_stream_deal_stage(st, &P, &x.b) == TB_ERR_GPU && strstr(tb_error_message(), "deal 0 alone"),
        "oversized deal: %s", tb_error_message());
  tb_stream_destroy(st);
  tb_synth_free(&x);
  return TEST_SUMMARY();
}
