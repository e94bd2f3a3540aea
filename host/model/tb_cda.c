#include "tb_cda.h"

#include "tb_error.h"
#include "tb_util.h"

#include <stdlib.h>
#include <string.h>

/* A resting order in a binary heap; `seq` is its arrival rank (time priority). */
typedef struct {
  double price, left;
  int64_t seq, order; /* index into the region's order array */
} rest;

typedef struct {
  rest *v;
  int64_t n, cap;
  int sell; /* sell side: lowest price first; buy side: highest */
} book;

static int before(const book *b, const rest *x, const rest *y) {
  if (x->price != y->price) return b->sell ? x->price < y->price : x->price > y->price;
  return x->seq < y->seq;
}

static void sift_up(book *b, int64_t i) {
  rest x = b->v[i];
  while (i > 0 && before(b, &x, &b->v[(i - 1) / 2])) {
    b->v[i] = b->v[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  b->v[i] = x;
}

static void sift_down(book *b, int64_t i) {
  rest x = b->v[i];
  for (;;) {
    int64_t c = 2 * i + 1;
    if (c >= b->n) break;
    if (c + 1 < b->n && before(b, &b->v[c + 1], &b->v[c])) c++;
    if (!before(b, &b->v[c], &x)) break;
    b->v[i] = b->v[c];
    i = c;
  }
  b->v[i] = x;
}

static int push(book *b, rest x) {
  TB_CALL(tb_grow((void **)&b->v, &b->cap, b->n + 1, sizeof(rest), "an order book"));
  b->v[b->n++] = x;
  sift_up(b, b->n - 1);
  return TB_OK;
}

static void pop(book *b) {
  b->v[0] = b->v[--b->n];
  if (b->n) sift_down(b, 0);
}

static int add_trade(tb_cda_result *r, tb_trade t) {
  TB_CALL(tb_grow((void **)&r->trades, &r->cap, r->ntrades + 1, sizeof(tb_trade), "the trade list"));
  r->trades[r->ntrades++] = t;
  r->volume += t.quantity;
  r->notional += t.price * t.quantity;
  return TB_OK;
}

uint8_t tb_cda_order_check(const tb_order *o, double available) {
  if (!(o->quantity > 0.0)) return TB_ORDER_BAD_QUANTITY;
  if (!(o->price >= 0.0)) return TB_ORDER_BAD_PRICE;
  if (o->side == TB_SELL && available < o->quantity) return TB_ORDER_NO_CERTIFICATES;
  return TB_ORDER_OK;
}

/* Fill the incoming order `in` (index i) against the opposite book while prices cross. */
static int fill(const tb_order *orders, int64_t i, double *left, book *opp, double *hold, double *reserved,
                double *filled, tb_cda_result *r) {
  const tb_order *in = &orders[i];
  while (*left > 0.0 && opp->n) {
    rest *top = &opp->v[0];
    if (in->side == TB_BUY ? top->price > in->price : top->price < in->price) break;
    const double q = *left < top->left ? *left : top->left;
    const tb_order *o = &orders[top->order];
    const int64_t buyer = in->side == TB_BUY ? in->entity : o->entity;
    const int64_t seller = in->side == TB_SELL ? in->entity : o->entity;
    hold[seller] -= q;
    reserved[seller] -= q; /* sellers reserve on arrival, so a fill releases the reservation */
    hold[buyer] += q;
    TB_CALL(add_trade(r, (tb_trade){in->side == TB_BUY ? in->index : o->index,
                                    in->side == TB_SELL ? in->index : o->index, top->price, q, in->time}));
    filled[i] += q;
    filled[top->order] += q;
    *left -= q;
    top->left -= q;
    if (top->left <= 0.0) pop(opp);
  }
  return TB_OK;
}

int tb_cda_match(const tb_order *orders, int64_t n, double *hold, int64_t N, uint8_t *status,
                 double *filled, tb_cda_result *r) {
  int rc = TB_OK;
  book side[2] = {{NULL, 0, 0, 0}, {NULL, 0, 0, 1}};
  double *reserved = NULL;
  memset(r, 0, sizeof *r);
  TB_ALLOC(reserved, N);
  memset(reserved, 0, sizeof(double) * (size_t)N);
  for (int64_t i = 0; i < n; i++) {
    const tb_order *o = &orders[i];
    filled[i] = 0.0;
    status[i] = tb_cda_order_check(o, hold[o->entity] - reserved[o->entity]);
    if (status[i] != TB_ORDER_OK) continue;
    double left = o->quantity;
    if (o->side == TB_SELL) reserved[o->entity] += left;
    TB_GUARD(fill(orders, i, &left, &side[!o->side], hold, reserved, filled, r));
    if (left > 0.0) TB_GUARD(push(&side[o->side], (rest){o->price, left, i, i})); /* partial fills stay */
  }
done:
  free(side[0].v), free(side[1].v), free(reserved);
  return rc;
}

void tb_cda_result_free(tb_cda_result *r) {
  free(r->trades);
  memset(r, 0, sizeof *r);
}
