/* The certificate exchange over MPI: regions are block-distributed over ranks; each rank
 * reads a block of the order stream, sends every order to its region's owner, and the
 * owner matches its regions (OpenMP over regions) against their holdings columns. */
#include "tb_schema.h"
#include "tb_match.h"

#include "tb_block.h"
#include "tb_cda.h"
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_output.h"
#include "tb_util.h"
#include "tb_version.h"
#include "tb_comm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  tb_order o;
  int32_t region;
} routed;

typedef struct {
  int64_t index;
  double filled;
  uint8_t status;
} order_result;

typedef struct {
  int64_t N, R, K;           /* entities (holdings rows), regions, orders */
  int64_t k0, nk;            /* this rank's block of the order stream */
  int64_t r0, nr;            /* this rank's regions */
  tb_order *mine;            /* this rank's block, in stream order */
  int32_t *region;
  double *hold;              /* [N][nr] holdings of this rank's regions */
} match_data;

static const char *ORDER_SETS[] = {"entity", "region", "side", "quantity", "price", "time"};

/* Shapes: holdings [N,R], every order dataset [K]. */
static int check_shapes(tb_h5 *f, match_data *M) {
  tb_h5_info in;
  TB_CALL(tb_h5_info_of(f, "/market/holdings", &in));
  if (!in.exists || in.rank != 2 || in.cls != TB_H5_FLOAT)
    return TB_ERR(TB_ERR_INPUT, "%s: /market/holdings: index 0 breaks rule: present, [N,R] floating point", f->path);
  M->N = in.dims[0], M->R = in.dims[1];
  for (int i = 0; i < 6; i++) {
    char name[64];
    snprintf(name, sizeof name, "/market/orders/%s", ORDER_SETS[i]);
    TB_CALL(tb_h5_info_of(f, name, &in));
    const int want = i < 3 ? TB_H5_INT : TB_H5_FLOAT;
    if (!in.exists || in.rank != 1 || in.cls != want || (i && in.dims[0] != M->K))
      return TB_ERR(TB_ERR_INPUT, "%s: %s: index 0 breaks rule: present, one-dimensional %s, one entry per order",
                    f->path, name, want == TB_H5_INT ? "integer" : "floating point");
    if (!i) M->K = in.dims[0];
  }
  if (M->R > INT32_MAX) return TB_ERR(TB_ERR_INPUT, "%s: /market/holdings: more than 2^31 regions", f->path);
  return TB_OK;
}

/* First broken rule in this rank's orders and holdings rows, as (global index, message). */
static int64_t first_bad_order(const match_data *M, const uint8_t *side, char *msg, size_t size) {
  for (int64_t i = 0; i < M->nk; i++) {
    const tb_order *o = &M->mine[i];
    const int64_t g = M->k0 + i;
    if (o->entity < 0 || o->entity >= M->N)
      return snprintf(msg, size, "/market/orders/entity: index %lld value %lld breaks rule: 0..N-1 with N = %lld",
                      (long long)g, (long long)o->entity, (long long)M->N), g;
    if (M->region[i] < 0 || M->region[i] >= M->R)
      return snprintf(msg, size, "/market/orders/region: index %lld value %d breaks rule: 0..R-1 with R = %lld",
                      (long long)g, (int)M->region[i], (long long)M->R), g;
    if (side[i] > 1)
      return snprintf(msg, size, "/market/orders/side: index %lld value %d breaks rule: 0 buy or 1 sell",
                      (long long)g, (int)side[i]), g;
    const double v[3] = {o->quantity, o->price, o->time};
    for (int k = 0; k < 3; k++)
      if (!isfinite(v[k]))
        return snprintf(msg, size, "/market/orders/%s: index %lld value %g breaks rule: finite", ORDER_SETS[3 + k],
                        (long long)g, v[k]), g;
  }
  return INT64_MAX;
}

/* Every rank returns the same one-line error for the first bad index on any rank. */
static int agree_first(int64_t first, const char *path, const char *msg) {
  int64_t g;
  int owner;
  TB_CALL(tb_comm_first_index(first, &g, &owner));
  if (g == INT64_MAX) return TB_OK;
  char text[512];
  snprintf(text, sizeof text, "%s", msg);
  TB_CALL(tb_comm_bcast(text, sizeof text, owner));
  int rc = TB_ERR(TB_ERR_INPUT, "%s: %s", path, text);
  tb_error_adopt(rc, tb_error_message()); /* every rank holds the same message: print once */
  return rc;
}

static int read_orders(tb_h5 *f, match_data *M) {
  int rc = TB_OK;
  const int rank = tb_comm_rank(), size = tb_comm_size();
  int64_t *ent = NULL;
  uint8_t *side = NULL;
  double *col = NULL;
  char msg[512] = "";
  M->k0 = tb_block_lo(M->K, rank, size);
  M->nk = tb_block_lo(M->K, rank + 1, size) - M->k0;
  TB_ALLOC(M->mine, M->nk);
  TB_ALLOC(M->region, M->nk);
  TB_ALLOC(ent, M->nk);
  TB_ALLOC(side, M->nk);
  TB_ALLOC(col, 3 * M->nk);
  TB_GUARD(tb_h5_read(f, "/market/orders/entity", H5T_NATIVE_INT64, M->k0, M->nk, 1, ent));
  TB_GUARD(tb_h5_read(f, "/market/orders/region", H5T_NATIVE_INT32, M->k0, M->nk, 1, M->region));
  TB_GUARD(tb_h5_read(f, "/market/orders/side", H5T_NATIVE_UINT8, M->k0, M->nk, 1, side));
  for (int k = 0; k < 3; k++) {
    char name[64];
    snprintf(name, sizeof name, "/market/orders/%s", ORDER_SETS[3 + k]);
    TB_GUARD(tb_h5_read(f, name, H5T_NATIVE_DOUBLE, M->k0, M->nk, 1, col + k * M->nk));
  }
  for (int64_t i = 0; i < M->nk; i++)
    M->mine[i] = (tb_order){M->k0 + i, ent[i], col[i], col[M->nk + i], col[2 * M->nk + i], side[i]};
  rc = agree_first(first_bad_order(M, side, msg, sizeof msg), f->path, msg);
done:
  free(ent), free(side), free(col);
  return rc;
}

static int read_holdings(tb_h5 *f, match_data *M) {
  int rc = TB_OK;
  char msg[512] = "";
  const int rank = tb_comm_rank(), size = tb_comm_size();
  M->r0 = tb_block_lo(M->R, rank, size);
  M->nr = tb_block_lo(M->R, rank + 1, size) - M->r0;
  TB_ALLOC(M->hold, M->N * M->nr);
  TB_GUARD(tb_h5_read_cols(f, "/market/holdings", H5T_NATIVE_DOUBLE, M->r0, M->nr, M->hold));
  int64_t first = INT64_MAX; /* row-major index e * R + r of the first bad holding */
  for (int64_t e = 0; e < M->N; e++)
    for (int64_t r = 0; r < M->nr; r++) {
      const double h = M->hold[e * M->nr + r];
      const int64_t at = e * M->R + M->r0 + r;
      if (!(isfinite(h) && h >= 0.0) && at < first) {
        first = at;
        snprintf(msg, sizeof msg, "/market/holdings: index [%lld,%lld] value %g breaks rule: finite and >= 0",
                 (long long)e, (long long)(M->r0 + r), h);
      }
    }
  rc = agree_first(first, f->path, msg);
done:
  return rc;
}

/* Orders to the owners of their regions; the owner's orders grouped by region, each in
 * arrival order (time, then stream index). */
static int cmp_arrival(const void *a, const void *b) {
  const routed *x = a, *y = b;
  if (x->region != y->region) return x->region < y->region ? -1 : 1;
  if (x->o.time != y->o.time) return x->o.time < y->o.time ? -1 : 1;
  return x->o.index < y->o.index ? -1 : x->o.index > y->o.index;
}

static int route(match_data *M, routed **out, int64_t *nout) {
  int rc = TB_OK;
  routed *send = NULL;
  int *dest = NULL;
  TB_ALLOC(send, M->nk);
  TB_ALLOC(dest, M->nk);
  for (int64_t i = 0; i < M->nk; i++) {
    send[i] = (routed){M->mine[i], M->region[i]};
    dest[i] = tb_block_owner(M->R, tb_comm_size(), M->region[i]);
  }
  TB_GUARD(tb_comm_route(send, dest, M->nk, sizeof(routed), (void **)out, nout));
  qsort(*out, (size_t)*nout, sizeof(routed), cmp_arrival);
done:
  free(send), free(dest);
  return rc;
}

typedef struct {
  int64_t *seg;         /* [nr + 1] into the routed orders */
  tb_order *orders;     /* routed orders, region by region */
  uint8_t *status;
  double *filled;
  tb_cda_result *res;   /* [nr] */
  int64_t ntrades, counts[4];
  double seconds;
} match_out;

static int match_regions(match_data *M, const routed *in, int64_t n, match_out *X) {
  int rc = TB_OK;
  double *col = NULL;
  TB_ALLOC(X->seg, M->nr + 1);
  TB_ALLOC(X->orders, n);
  TB_ALLOC(X->status, n);
  TB_ALLOC(X->filled, n);
  TB_ALLOC(X->res, M->nr);
  memset(X->res, 0, sizeof(tb_cda_result) * (size_t)M->nr);
  memset(X->seg, 0, sizeof(int64_t) * (size_t)(M->nr + 1));
  for (int64_t i = 0; i < n; i++) X->orders[i] = in[i].o, X->seg[in[i].region - M->r0 + 1]++;
  for (int64_t r = 0; r < M->nr; r++) X->seg[r + 1] += X->seg[r];
  TB_ALLOC(col, M->N * M->nr); /* holdings by region: one contiguous column per region */
  for (int64_t e = 0; e < M->N; e++)
    for (int64_t r = 0; r < M->nr; r++) col[r * M->N + e] = M->hold[e * M->nr + r];
  const double t0 = tb_now();
  int err = TB_OK;
#pragma omp parallel for schedule(dynamic, 1) reduction(max : err)
  for (int64_t r = 0; r < M->nr; r++) {
    const int64_t a = X->seg[r];
    int e = tb_cda_match(X->orders + a, X->seg[r + 1] - a, col + r * M->N, M->N, X->status + a, X->filled + a,
                         &X->res[r]);
    err = e > err ? e : err;
  }
  X->seconds = tb_now() - t0;
  if (err) {
    rc = TB_ERR(err, "matching failed: out of memory in an order book");
    goto done;
  }
  for (int64_t e = 0; e < M->N; e++)
    for (int64_t r = 0; r < M->nr; r++) M->hold[e * M->nr + r] = col[r * M->N + e];
  for (int64_t r = 0; r < M->nr; r++) X->ntrades += X->res[r].ntrades;
  for (int64_t i = 0; i < n; i++) X->counts[X->status[i]]++;
done:
  free(col);
  return rc;
}

static int write_trades(tb_h5 *o, const match_data *M, const match_out *X) {
  int rc = TB_OK;
  int64_t before, total = X->ntrades;
  int64_t *buy = NULL, *sell = NULL;
  int32_t *reg = NULL;
  double *v = NULL;
  TB_GUARD(tb_comm_exscan_i64(X->ntrades, &before));
  TB_GUARD(tb_comm_allreduce_i64(&total, 1, TB_OP_SUM));
  TB_ALLOC(buy, X->ntrades);
  TB_ALLOC(sell, X->ntrades);
  TB_ALLOC(reg, X->ntrades);
  TB_ALLOC(v, 3 * X->ntrades);
  int64_t k = 0;
  for (int64_t r = 0; r < M->nr; r++)
    for (int64_t j = 0; j < X->res[r].ntrades; j++, k++) {
      const tb_trade *t = &X->res[r].trades[j];
      buy[k] = t->buy, sell[k] = t->sell, reg[k] = (int32_t)(M->r0 + r);
      v[k] = t->price, v[X->ntrades + k] = t->quantity, v[2 * X->ntrades + k] = t->time;
    }
  const char *fn[3] = {"/trades/price", "/trades/quantity", "/trades/time"};
  TB_GUARD(tb_h5_new_dataset(o, "/trades/buy_order", H5T_STD_I64LE, 1, &total));
  TB_GUARD(tb_h5_new_dataset(o, "/trades/sell_order", H5T_STD_I64LE, 1, &total));
  TB_GUARD(tb_h5_new_dataset(o, "/trades/region", H5T_STD_I32LE, 1, &total));
  TB_GUARD(tb_h5_write(o, "/trades/buy_order", H5T_NATIVE_INT64, before, X->ntrades, buy));
  TB_GUARD(tb_h5_write(o, "/trades/sell_order", H5T_NATIVE_INT64, before, X->ntrades, sell));
  TB_GUARD(tb_h5_write(o, "/trades/region", H5T_NATIVE_INT32, before, X->ntrades, reg));
  for (int i = 0; i < 3; i++) {
    TB_GUARD(tb_h5_new_dataset(o, fn[i], H5T_IEEE_F64LE, 1, &total));
    TB_GUARD(tb_h5_write(o, fn[i], H5T_NATIVE_DOUBLE, before, X->ntrades, v + i * X->ntrades));
  }
done:
  free(buy), free(sell), free(reg), free(v);
  return rc;
}

/* Order results go back to the rank holding that block of the stream. */
static int write_orders(tb_h5 *o, const match_data *M, const match_out *X, int64_t n) {
  int rc = TB_OK;
  int64_t nrecv = 0;
  int *dest = NULL;
  order_result *send = NULL, *recv = NULL;
  uint8_t *status = NULL;
  double *filled = NULL;
  TB_ALLOC(send, n);
  TB_ALLOC(dest, n);
  for (int64_t i = 0; i < n; i++) {
    send[i] = (order_result){X->orders[i].index, X->filled[i], X->status[i]};
    dest[i] = tb_block_owner(M->K, tb_comm_size(), X->orders[i].index);
  }
  TB_GUARD(tb_comm_route(send, dest, n, sizeof(order_result), (void **)&recv, &nrecv));
  TB_ALLOC(status, M->nk);
  TB_ALLOC(filled, M->nk);
  for (int64_t i = 0; i < nrecv; i++) {
    status[recv[i].index - M->k0] = recv[i].status;
    filled[recv[i].index - M->k0] = recv[i].filled;
  }
  TB_GUARD(tb_h5_new_dataset(o, "/orders/status", H5T_STD_U8LE, 1, &M->K));
  TB_GUARD(tb_h5_new_dataset(o, "/orders/filled", H5T_IEEE_F64LE, 1, &M->K));
  TB_GUARD(tb_h5_write(o, "/orders/status", H5T_NATIVE_UINT8, M->k0, M->nk, status));
  TB_GUARD(tb_h5_write(o, "/orders/filled", H5T_NATIVE_DOUBLE, M->k0, M->nk, filled));
done:
  free(dest), free(send), free(recv), free(status), free(filled);
  return rc;
}

static int write_regions(tb_h5 *o, const match_data *M, const match_out *X) {
  int rc = TB_OK;
  double *vw = NULL, *vol = NULL;
  const int64_t dims[2] = {M->N, M->R};
  TB_ALLOC(vw, M->nr);
  TB_ALLOC(vol, M->nr);
  for (int64_t r = 0; r < M->nr; r++) {
    vol[r] = X->res[r].volume;
    vw[r] = vol[r] > 0.0 ? X->res[r].notional / vol[r] : NAN; /* no trades: no price */
  }
  TB_GUARD(tb_h5_new_dataset(o, "/market/holdings", H5T_IEEE_F64LE, 2, dims));
  TB_GUARD(tb_h5_write_cols(o, "/market/holdings", H5T_NATIVE_DOUBLE, M->N, M->r0, M->nr, M->hold));
  TB_GUARD(tb_h5_new_dataset(o, "/regions/vwap", H5T_IEEE_F64LE, 1, &M->R));
  TB_GUARD(tb_h5_new_dataset(o, "/regions/volume", H5T_IEEE_F64LE, 1, &M->R));
  TB_GUARD(tb_h5_write(o, "/regions/vwap", H5T_NATIVE_DOUBLE, M->r0, M->nr, vw));
  TB_GUARD(tb_h5_write(o, "/regions/volume", H5T_NATIVE_DOUBLE, M->r0, M->nr, vol));
done:
  free(vw), free(vol);
  return rc;
}

static int write_attrs(tb_h5 *o) {
  TB_CALL(tb_h5_attr_str(o, "/", "software", "tradebal"));
  TB_CALL(tb_h5_attr_str(o, "/", "version", TB_VERSION));
  TB_CALL(tb_h5_attr_i64(o, "/", "format_version", TB_FORMAT_VERSION));
  TB_CALL(tb_h5_attr_str(o, "/", "command", "match"));
  return tb_h5_attr_i64(o, "/", "ranks", tb_comm_size());
}

static void print_summary(const match_data *M, match_out *X, double total) {
  double vol = 0.0;
  for (int64_t r = 0; r < M->nr; r++) vol += X->res[r].volume;
  int64_t c[6] = {X->counts[0], X->counts[1], X->counts[2], X->counts[3], X->ntrades, 0};
  tb_comm_allreduce_i64(c, 5, TB_OP_SUM);
  tb_comm_allreduce_f64(&vol, 1, TB_OP_SUM);
  tb_comm_allreduce_f64(&X->seconds, 1, TB_OP_MAX);
  if (tb_comm_rank()) return;
  char a[32], b[32];
  printf("tradebal match: %lld orders in %lld regions, %lld entities, %d rank(s)\n", (long long)M->K,
         (long long)M->R, (long long)M->N, tb_comm_size());
  printf("  accepted %lld; rejected: quantity <= 0 %lld, price < 0 %lld, seller short of certificates %lld\n",
         (long long)c[0], (long long)c[1], (long long)c[2], (long long)c[3]);
  printf("  trades %lld, volume %.10g certificates\n", (long long)c[4], vol);
  printf("  matching %.3f s (%s orders/s), total %.3f s (%s orders/s end to end)\n", X->seconds,
         tb_human(X->seconds > 0 ? (double)M->K / X->seconds : 0, a, sizeof a), total,
         tb_human(total > 0 ? (double)M->K / total : 0, b, sizeof b));
  fflush(stdout);
}

static void match_free(match_data *M, match_out *X) {
  free(M->mine), free(M->region), free(M->hold);
  for (int64_t r = 0; X->res && r < M->nr; r++) tb_cda_result_free(&X->res[r]);
  free(X->seg), free(X->orders), free(X->status), free(X->filled), free(X->res);
}

int tb_match(const char *input, const char *output, int overwrite) {
  int rc = TB_OK, have_out = 0;
  const double t0 = tb_now();
  tb_h5 in = {.id = -1}, out = {.id = -1};
  match_data M;
  match_out X;
  routed *orders = NULL;
  int64_t n = 0;
  char tmp[TB_PATH_MAX + 64];
  memset(&M, 0, sizeof M);
  memset(&X, 0, sizeof X);
  TB_CALL(tb_output_check(input, output, overwrite));
  TB_CALL(tb_comm_agree(tb_h5_open(&in, input)));
  TB_GUARD(tb_comm_agree(check_shapes(&in, &M)));
  TB_GUARD(tb_comm_agree(read_orders(&in, &M)));
  TB_GUARD(tb_comm_agree(read_holdings(&in, &M)));
  TB_GUARD(tb_comm_agree(route(&M, &orders, &n)));
  TB_GUARD(tb_comm_agree(match_regions(&M, orders, n, &X)));
  TB_GUARD(tb_output_tmpname(output, tmp, sizeof tmp));
  TB_GUARD(tb_comm_agree(tb_h5_create(&out, tmp)));
  out.schema = TB_FILE_MATCH;
  have_out = 1;
  TB_GUARD(tb_comm_agree(write_trades(&out, &M, &X)));
  TB_GUARD(tb_comm_agree(write_orders(&out, &M, &X, n)));
  TB_GUARD(tb_comm_agree(write_regions(&out, &M, &X)));
  TB_GUARD(tb_comm_agree(write_attrs(&out)));
done:
  rc = tb_output_finish(&out, &in, tmp, output, have_out, rc);
  if (!rc) print_summary(&M, &X, tb_now() - t0);
  free(orders);
  match_free(&M, &X);
  return rc;
}
