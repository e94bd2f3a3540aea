/* Section 4 without gathering deals: the budget cut and the ranking's rank boundaries are
 * found by bisection over 128-bit keys (u^B descending, then deal id), each step one
 * global reduction of counts or double-double costs. */
#include "tb_funding.h"

#include "tb_block.h"
#include "tb_error.h"
#include "tb_util.h"
#include "tb_comm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

typedef struct {
  u128 key;
  int64_t deal;
  double value_ratio, cost; /* u^B and k_d */
} item;

/* u^B descending as an ascending unsigned key (larger ratio, smaller key). */
static uint64_t desc_key(double x) {
  x += 0.0; /* -0 == +0 */
  uint64_t b;
  memcpy(&b, &x, sizeof b);
  const uint64_t asc = (b >> 63) ? ~b : b | (1ULL << 63);
  return ~asc;
}

static int by_key(const void *a, const void *b) {
  const u128 x = ((const item *)a)->key, y = ((const item *)b)->key;
  return x < y ? -1 : x > y;
}

static int64_t lower_bound(const item *v, int64_t n, u128 x) { /* first index with key >= x */
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (v[mid].key < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Largest x with global cost(key < x) <= B (all items when the total fits); the double-double
 * cost is compared exactly, so a prefix over B by less than half an ulp is not funded. */
static int budget_cut(const item *v, int64_t n, const double *prefix, double B, u128 *cut) {
  u128 lo = 0, hi = ~(u128)0;
  double c[2] = {prefix[2 * n], prefix[2 * n + 1]};
  TB_CALL(tb_comm_sum_dd(c, 1));
  if (tb_dd_le(c, B)) return *cut = hi, TB_OK;
  while (hi - lo > 1) { /* C(lo) <= B < C(hi) */
    const u128 mid = lo + (hi - lo) / 2;
    const int64_t k = lower_bound(v, n, mid);
    c[0] = prefix[2 * k], c[1] = prefix[2 * k + 1];
    TB_CALL(tb_comm_sum_dd(c, 1));
    if (tb_dd_le(c, B)) lo = mid;
    else hi = mid;
  }
  *cut = lo;
  return TB_OK;
}

/* For each rank boundary r = 1..size-1 at global position pos[r], the key of the item
 * there: the smallest y with count(key < y) >= pos[r] + 1, minus one. */
static int rank_boundaries(const item *v, int64_t n, int size, const int64_t *pos, u128 *bound) {
  int rc = TB_OK;
  u128 *lo = NULL, *hi = NULL;
  int64_t *cnt = NULL;
  TB_ALLOC(lo, size);
  TB_ALLOC(hi, size);
  TB_ALLOC(cnt, size);
  for (int r = 0; r < size; r++) lo[r] = 0, hi[r] = ~(u128)0; /* count(lo) < target <= count(hi) */
  for (int round = 0; round < 128; round++) {
    for (int r = 0; r < size; r++) cnt[r] = lower_bound(v, n, lo[r] + (hi[r] - lo[r]) / 2);
    TB_GUARD(tb_comm_allreduce_i64(cnt, size, TB_OP_SUM));
    for (int r = 0; r < size; r++) {
      if (hi[r] - lo[r] <= 1) continue;
      const u128 mid = lo[r] + (hi[r] - lo[r]) / 2;
      if (cnt[r] >= pos[r] + 1) hi[r] = mid;
      else lo[r] = mid;
    }
  }
  for (int r = 0; r < size; r++) bound[r] = hi[r] - 1;
done:
  free(lo), free(hi), free(cnt);
  return rc;
}

/* Send the ranked items to the ranks that write them; each gets a contiguous slice. */
static int redistribute(item *v, int64_t n, int64_t total, u128 cut, tb_funding *F) {
  int rc = TB_OK;
  const int size = tb_comm_size();
  int64_t *pos = NULL, *scount = NULL, nrecv = 0;
  u128 *bound = NULL;
  item *recv = NULL;
  TB_ALLOC(pos, size);
  TB_ALLOC(scount, size);
  TB_ALLOC(bound, size);
  for (int r = 0; r < size; r++) pos[r] = tb_block_lo(total, r, size), scount[r] = 0;
  TB_GUARD(rank_boundaries(v, n, size, pos, bound));
  for (int64_t i = 0, r = 0; i < n; i++) { /* v is sorted, so destinations ascend */
    while (r + 1 < size && pos[r + 1] < total && v[i].key >= bound[r + 1]) r++;
    scount[r]++;
  }
  TB_GUARD(tb_comm_exchange(v, scount, sizeof(item), (void **)&recv, &nrecv));
  qsort(recv, (size_t)nrecv, sizeof(item), by_key);
  F->o0 = pos[tb_comm_rank()];
  F->no = nrecv;
  TB_ALLOC(F->deal, nrecv);
  TB_ALLOC(F->value_ratio, nrecv);
  TB_ALLOC(F->funded, nrecv);
  for (int64_t i = 0; i < nrecv; i++) {
    F->deal[i] = recv[i].deal;
    F->value_ratio[i] = recv[i].value_ratio;
    F->funded[i] = recv[i].key < cut;
  }
done:
  free(pos), free(scount), free(bound), free(recv);
  return rc;
}

/* Sector opportunity index: (S_s / k_s) / (S / k) over opportunities. */
static int sector_index(const tb_deal_table *T, int64_t ns, tb_funding *F) {
  int rc = TB_OK;
  double *acc = NULL; /* pairs: S per sector, k per sector, then the totals */
  TB_ALLOC(acc, 4 * ns + 4);
  memset(acc, 0, sizeof(double) * (size_t)(4 * ns + 4));
  TB_ALLOC(F->sector_index, ns ? ns : 1);
  for (int64_t i = 0; i < T->n; i++) {
    if (!(T->k[i] > 0.0)) continue;
    const int64_t s = T->sector[i];
    tb_dd_add(&acc[2 * s], T->S[i]);
    tb_dd_add(&acc[2 * (ns + s)], T->k[i]);
    tb_dd_add(&acc[4 * ns], T->S[i]);
    tb_dd_add(&acc[4 * ns + 2], T->k[i]);
  }
  TB_GUARD(tb_comm_sum_dd(acc, (int)(2 * ns + 2)));
  const double all = (acc[4 * ns] + acc[4 * ns + 1]) / (acc[4 * ns + 2] + acc[4 * ns + 3]);
  for (int64_t s = 0; s < ns; s++) {
    const double k = acc[2 * (ns + s)] + acc[2 * (ns + s) + 1];
    F->sector_index[s] = k > 0.0 ? ((acc[2 * s] + acc[2 * s + 1]) / k) / all : NAN;
  }
done:
  free(acc);
  return rc;
}

int tb_funding_select(tb_deal_table *T, const tb_funding_params *P, tb_funding *F) {
  int rc = TB_OK;
  memset(F, 0, sizeof *F);
  item *v = NULL;
  double *prefix = NULL;
  int64_t n = 0, cnt[3] = {0, 0, 0};
  TB_ALLOC(v, T->n ? T->n : 1);
  for (int64_t i = 0; i < T->n; i++) {
    if (!(T->k[i] > 0.0)) continue;
    cnt[0]++;
    const double uB = (1.0 - P->margin_of_safety) * (T->S[i] / T->k[i]);
    if (T->status[i] != 2 && uB >= P->theta)
      v[n++] = (item){((u128)desc_key(uB) << 64) | (uint64_t)(T->d0 + i), T->d0 + i, uB, T->k[i]};
  }
  qsort(v, (size_t)n, sizeof(item), by_key);
  TB_ALLOC(prefix, 2 * n + 2);
  prefix[0] = prefix[1] = 0.0;
  for (int64_t i = 0; i < n; i++) tb_dd_prefix_next(prefix + 2 * i, v[i].cost);
  u128 cut;
  TB_GUARD(budget_cut(v, n, prefix, P->budget, &cut));
  const int64_t nf = lower_bound(v, n, cut);
  double cf[2] = {prefix[2 * nf], prefix[2 * nf + 1]};
  TB_GUARD(tb_comm_sum_dd(cf, 1));
  F->cost_funded = cf[0] + cf[1];
  for (int64_t i = 0; i < T->n; i++) T->funded[i] = !(T->k[i] > 0.0);
  for (int64_t i = 0; i < nf; i++) T->funded[v[i].deal - T->d0] = 1;
  cnt[1] = n, cnt[2] = nf;
  TB_GUARD(tb_comm_allreduce_i64(cnt, 3, TB_OP_SUM));
  F->nopp = cnt[0], F->nunder = cnt[1], F->nfunded = cnt[2];
  if (P->ranked) {
    TB_GUARD(redistribute(v, n, F->nunder, cut, F));
    TB_GUARD(sector_index(T, P->nsectors, F));
  }
done:
  free(v), free(prefix);
  return rc;
}

void tb_funding_free(tb_funding *F) {
  free(F->deal), free(F->value_ratio), free(F->funded), free(F->sector_index);
  memset(F, 0, sizeof *F);
}
