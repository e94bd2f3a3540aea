#include "tb_policy_sim.h"

#include "tb_error.h"
#include "tb_certificates.h"
#include "tb_sort.h"
#include "tb_util.h"
#include "tb_comm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Markets are keyed t * (R + 1) + (import region + 1); key slot 0 of a period holds the
 * deals with no border crossing (import region -1). */
static int64_t market_key(const tb_market_book *B, int64_t t, int64_t r) { return t * (B->R + 1) + r + 1; }

/* Sort key of a bid: unsigned order is descending bid order (-0 is 0; bids are never NaN). */
static uint64_t bid_key(double bid) {
  uint64_t u;
  bid += 0.0;
  memcpy(&u, &bid, sizeof u);
  u = u >> 63 ? ~u : u | 1ULL << 63; /* ascending order of the doubles */
  return ~u;
}

/* One market's deals (in increasing index) by bid descending, ties in index order: a stable
 * radix sort. It replaced qsort, which made the book the auction's largest cost. */
static void sort_market(uint64_t *key, int64_t *idx, int64_t n, uint64_t *tk, int64_t *tv) {
  if (n < 2) return;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (int64_t j = 0; j < n; j++) lo = key[j] < lo ? key[j] : lo, hi = key[j] > hi ? key[j] : hi;
  for (int64_t j = 0; j < n; j++) key[j] -= lo; /* only the digits that differ are sorted */
  tb_radix_sort_pairs(key, idx, n, tk, tv, hi - lo);
}

static int eligible(const tb_deal_table *D, int64_t i) { return D->status[i] != 2 && D->funded[i]; }

int tb_market_book_build(tb_market_book *B, const tb_deal_table *D, int64_t R, int64_t T, int64_t S, int64_t home,
                         const double *bex, const double *bim, double epsilon) {
  int rc = TB_OK;
  memset(B, 0, sizeof *B);
  B->R = R, B->T = T, B->S = S, B->home = home, B->base_exports = bex, B->base_imports = bim;
  B->epsilon = epsilon, B->deals = D;
  const int64_t nk = T * (R + 1);
  uint64_t *key = NULL, *tk = NULL;
  int64_t *fill = NULL, *tv = NULL, ne = 0;
  TB_ALLOC(B->seg, nk + 1);
  TB_ALLOC(B->pre0, nk);
  TB_ALLOC(fill, nk);
  memset(B->seg, 0, sizeof(int64_t) * (size_t)(nk + 1));
  for (int64_t i = 0; i < D->n; i++)
    if (eligible(D, i)) B->seg[market_key(B, D->period[i], D->imp[i]) + 1]++, ne++;
  for (int64_t k = 0; k < nk; k++) B->seg[k + 1] += B->seg[k];
  TB_ALLOC(B->order, ne ? ne : 1);
  TB_ALLOC(key, ne ? ne : 1);
  TB_ALLOC(tk, ne ? ne : 1);
  TB_ALLOC(tv, ne ? ne : 1);
  memcpy(fill, B->seg, sizeof(int64_t) * (size_t)nk);
  for (int64_t i = 0; i < D->n; i++)
    if (eligible(D, i)) {
      const int64_t at = fill[market_key(B, D->period[i], D->imp[i])]++;
      key[at] = bid_key(D->bid[i]), B->order[at] = i;
    }
  TB_ALLOC(B->prefix, 2 * (ne + nk));
  TB_ALLOC(B->e, ne ? ne : 1);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t k = 0; k < nk; k++) {
    const int64_t a = B->seg[k], n = B->seg[k + 1] - a;
    sort_market(key + a, B->order + a, n, tk + a, tv + a);
    B->pre0[k] = a + k;
    double *p = B->prefix + 2 * B->pre0[k];
    p[0] = p[1] = 0.0;
    for (int64_t j = 0; j < n; j++) {
      const int64_t i = B->order[a + j];
      tb_dd_prefix_next(p + 2 * j, D->m[i]);
      B->e[a + j] = (tb_book_deal){D->bid[i], D->m[i], D->S[i], D->exp[i], D->sector[i]};
    }
  }
done:
  free(key), free(tk), free(tv), free(fill);
  return rc;
}

void tb_market_book_free(tb_market_book *B) {
  free(B->order), free(B->seg), free(B->prefix), free(B->pre0), free(B->e);
  memset(B, 0, sizeof *B);
}

void tb_market_book_compact(tb_market_book *B) {
  free(B->e);
  B->e = NULL;
}

/* ---- the deals' demand in the certificate markets of one period ---- */

typedef struct {
  const tb_market_book *B;
  int64_t t;
  const int64_t *region; /* the markets' regions */
  double *pairs;
} demand_ctx;

static int deal_demand(void *vctx, int n, const double *P, double *out) {
  demand_ctx *c = vctx;
  const tb_market_book *B = c->B;
  for (int i = 0; i < n; i++) {
    const int64_t k = market_key(B, c->t, c->region[i]), a = B->seg[k];
    int64_t lo = 0, hi = B->seg[k + 1] - a; /* bids descending: count those > P */
    while (lo < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      if (B->deals->bid[B->order[a + mid]] > P[i]) lo = mid + 1;
      else hi = mid;
    }
    const double *p = B->prefix + 2 * (B->pre0[k] + lo);
    c->pairs[2 * i] = p[0], c->pairs[2 * i + 1] = p[1];
  }
  TB_CALL(tb_comm_sum_dd(c->pairs, n));
  for (int i = 0; i < n; i++) out[i] = c->pairs[2 * i] + c->pairs[2 * i + 1];
  return TB_OK;
}

int tb_market_book_clear(const tb_market_book *B, int64_t t, int n, const int64_t *region, const tb_auction *A,
                         double *pairs, double *Pstar) {
  demand_ctx ctx = {B, t, region, pairs};
  return tb_cert_auction_clear(n, A, deal_demand, &ctx, Pstar);
}

/* ---- one policy ---- */

typedef struct {
  tb_ledger *ledger; /* [R], certificate regions only */
  int64_t *cert_region;
  int ncert;
  tb_auction *A;
  double *Pstar, *pairs, *sums; /* sums: dd pairs of exports[R], imports[R], surplus */
  double *sector;               /* dd pairs: home exports [S], then home imports [S], all periods */
  double surplus[2], revenue[2];
  int64_t count[5];
} sim_state;

int tb_policy_check_regions(const tb_policy *p, int64_t R, const char *input) {
  for (int i = 0; p->region_mode == TB_REGIONS_LIST && i < p->nregions; i++)
    if (p->regions[i] >= R)
      return TB_ERR(TB_ERR_USAGE, "[policy.%s] regions: region %d does not exist (%s has %lld regions)", p->name,
                    (int)p->regions[i], input, (long long)R);
  return TB_OK;
}

static int resolve_regions(const tb_market_book *B, const tb_policy *p, uint8_t *covered) {
  TB_CALL(tb_policy_check_regions(p, B->R, "the input"));
  memset(covered, 0, (size_t)B->R);
  if (p->kind == TB_POLICY_NONE) return TB_OK;
  if (p->region_mode == TB_REGIONS_ALL) memset(covered, 1, (size_t)B->R);
  else if (p->region_mode == TB_REGIONS_HOME) covered[B->home] = 1;
  for (int i = 0; p->region_mode == TB_REGIONS_LIST && i < p->nregions; i++) covered[p->regions[i]] = 1;
  return TB_OK;
}

static int alloc_result(const tb_market_book *B, const tb_policy *p, tb_policy_result *r) {
  int rc = TB_OK;
  memset(r, 0, sizeof *r);
  r->name = p->name, r->kind = p->kind;
  double **arrays[] = {&r->exports, &r->imports, &r->balance, &r->price, &r->issued, &r->used, &r->expired,
                       &r->base_served};
  for (int a = 0; a < 8; a++) {
    TB_ALLOC(*arrays[a], B->R * B->T);
    memset(*arrays[a], 0, sizeof(double) * (size_t)(B->R * B->T));
  }
  TB_ALLOC(r->outcome, B->deals->n ? B->deals->n : 1);
  TB_ALLOC(r->covered, B->R);
  TB_ALLOC(r->home_exports, B->S);
  TB_ALLOC(r->home_imports, B->S);
  memset(r->home_exports, 0, sizeof(double) * (size_t)B->S); /* filled at the end; saved zero before */
  memset(r->home_imports, 0, sizeof(double) * (size_t)B->S);
  rc = resolve_regions(B, p, r->covered);
done:
  return rc;
}

/* Premiums and base imports served of every region in period t. */
static int period_prices(const tb_market_book *B, const tb_policy *p, tb_policy_result *r, sim_state *S,
                         int64_t t) {
  const int64_t R = B->R;
  for (int i = 0; i < S->ncert; i++) {
    const int64_t g = S->cert_region[i];
    S->A[i] = (tb_auction){tb_ledger_available(&S->ledger[g], t), B->base_imports[g * B->T + t],
                           p->floor_price, B->epsilon};
  }
  if (S->ncert) TB_CALL(tb_market_book_clear(B, t, S->ncert, S->cert_region, S->A, S->pairs, S->Pstar));
  for (int64_t g = 0; g < R; g++) {
    const int64_t at = g * B->T + t;
    double prem = 0.0;
    if (r->covered[g] && p->kind == TB_POLICY_TARIFF) prem = p->rate;
    r->price[at] = prem;
    r->base_served[at] = tb_base_demand(B->base_imports[at], prem, r->covered[g] ? B->epsilon : 0.0);
  }
  for (int i = 0; i < S->ncert; i++) {
    const int64_t at = S->cert_region[i] * B->T + t;
    r->price[at] = S->Pstar[i];
    r->base_served[at] = tb_base_demand(B->base_imports[at], S->Pstar[i], B->epsilon);
  }
  return TB_OK;
}

/* The premium a deal importing into region g pays in period t (0 outside the policy's regions). */
static double premium_at(const tb_market_book *B, const tb_policy_result *r, int64_t g, int64_t t) {
  return g >= 0 && r->covered[g] ? r->price[g * B->T + t] : 0.0;
}

/* Which of period t's deals trade; their exports, imports and surplus, summed globally. */
static int period_deals(const tb_market_book *B, tb_policy_result *r, sim_state *S, int64_t t) {
  const int64_t R = B->R;
  memset(S->sums, 0, sizeof(double) * (size_t)(4 * R + 2));
  if (!B->e) return TB_ERR(TB_ERR_INTERNAL, "policy run on a compacted market book");
  for (int64_t k = market_key(B, t, -1); k < market_key(B, t + 1, -1); k++) {
    /* one market: one import region g and premium; its deals in book order, as records */
    const int64_t g = k - market_key(B, t, -1) - 1;
    const double prem = premium_at(B, r, g, t);
    const int blocks = g >= 0 && r->covered[g];
    const uint8_t blocked = r->kind == TB_POLICY_TARIFF ? TB_OUT_TARIFF_BLOCKED : TB_OUT_CERT_BLOCKED;
    for (int64_t j = B->seg[k]; j < B->seg[k + 1]; j++) {
      const tb_book_deal *d = &B->e[j];
      if (blocks && !(d->bid > prem)) {
        r->outcome[B->order[j]] = blocked;
        S->count[blocked]++;
        continue;
      }
      r->outcome[B->order[j]] = TB_OUT_TRADED;
      S->count[0]++;
      if (g >= 0) {
        tb_dd_add(S->sums + 2 * d->exp, d->m);
        tb_dd_add(S->sums + 2 * (R + g), d->m);
        if (d->exp == B->home) tb_dd_add(S->sector + 2 * d->sector, d->m);
        if (g == B->home) tb_dd_add(S->sector + 2 * (B->S + d->sector), d->m);
      }
      tb_dd_add(S->sums + 4 * R, d->S - prem * d->m); /* prem is finite: the deal bid above it */
    }
  }
  return tb_comm_sum_dd(S->sums, (int)(2 * R + 1));
}

static int period_close(const tb_market_book *B, const tb_policy *p, tb_policy_result *r, sim_state *S,
                        int64_t t) {
  const int64_t R = B->R;
  int cert = 0; /* certificate regions come in ascending order, as period_prices priced them */
  for (int64_t g = 0; g < R; g++) {
    const int64_t at = g * B->T + t;
    const double ex = S->sums[2 * g] + S->sums[2 * g + 1], im = S->sums[2 * (R + g)] + S->sums[2 * (R + g) + 1];
    r->exports[at] = B->base_exports[at] + ex;
    r->imports[at] = r->base_served[at] + im;
    r->balance[at] = r->exports[at] - r->imports[at];
    if (r->covered[g] && p->kind == TB_POLICY_TARIFF) tb_dd_add(S->revenue, p->rate * r->imports[at]);
    if (!(r->covered[g] && p->kind == TB_POLICY_CERTIFICATES)) continue;
    tb_ledger *L = &S->ledger[g];
    const double avail = S->A[cert++].Q; /* the supply the auction cleared against */
    tb_ledger_consume(L, t, r->imports[at]);
    const double issued_before = L->issued_t;
    tb_ledger_close_period(L, t, p->issue_ratio * r->exports[at]);
    TB_CALL(tb_ledger_check(L, t, avail, (int)g, p->name));
    r->issued[at] = L->issued_t + (t == 0 ? issued_before : 0.0); /* period 0 shows the initial allocation too */
    r->used[at] = L->used_t;
    r->expired[at] = L->expired_t;
  }
  tb_dd_add(S->surplus, S->sums[4 * R] + S->sums[4 * R + 1]);
  return TB_OK;
}

static int sim_init(const tb_market_book *B, const tb_policy *p, const tb_policy_result *r, sim_state *S) {
  int rc = TB_OK;
  memset(S, 0, sizeof *S);
  const int64_t R = B->R;
  TB_ALLOC(S->ledger, R);
  memset(S->ledger, 0, sizeof(tb_ledger) * (size_t)R);
  TB_ALLOC(S->cert_region, R);
  TB_ALLOC(S->A, R);
  TB_ALLOC(S->Pstar, R);
  TB_ALLOC(S->pairs, 2 * R);
  TB_ALLOC(S->sums, 4 * R + 2);
  TB_ALLOC(S->sector, 4 * B->S);
  memset(S->sector, 0, sizeof(double) * (size_t)(4 * B->S));
  for (int64_t g = 0; g < R && p->kind == TB_POLICY_CERTIFICATES; g++) {
    if (!r->covered[g]) continue;
    S->cert_region[S->ncert++] = g;
    TB_GUARD(tb_ledger_init(&S->ledger[g], B->T, p->expiry, p->issue_ratio * B->base_exports[g * B->T]));
  }
done:
  return rc;
}

static void sim_free(const tb_market_book *B, sim_state *S) {
  for (int64_t g = 0; S->ledger && g < B->R; g++) tb_ledger_free(&S->ledger[g]);
  free(S->ledger), free(S->cert_region), free(S->A), free(S->Pstar), free(S->pairs), free(S->sums), free(S->sector);
}

static int summarize(const tb_market_book *B, tb_policy_result *r, sim_state *S) {
  TB_CALL(tb_comm_allreduce_i64(S->count, 5, TB_OP_SUM));
  r->traded = S->count[0], r->not_win_win = S->count[1], r->unfunded = S->count[2];
  r->cert_blocked = S->count[3], r->tariff_blocked = S->count[4];
  r->surplus = S->surplus[0] + S->surplus[1];
  r->tariff_revenue = S->revenue[0] + S->revenue[1];
  double hb[2] = {0, 0}, psum[2] = {0, 0};
  int64_t nfinite = 0;
  for (int64_t t = 0; t < B->T; t++) tb_dd_add(hb, r->balance[B->home * B->T + t]);
  r->home_balance = hb[0] + hb[1];
  double bs[2] = {0, 0};
  for (int64_t t = 0; t < B->T; t++) tb_dd_add(bs, r->base_served[B->home * B->T + t]);
  r->home_base_served = bs[0] + bs[1];
  TB_CALL(tb_comm_sum_dd(S->sector, (int)(2 * B->S)));
  for (int64_t k = 0; k < B->S; k++) {
    r->home_exports[k] = S->sector[2 * k] + S->sector[2 * k + 1];
    r->home_imports[k] = S->sector[2 * (B->S + k)] + S->sector[2 * (B->S + k) + 1];
  }
  for (int i = 0; i < S->ncert; i++)
    for (int64_t t = 0; t < B->T; t++) {
      const double P = r->price[S->cert_region[i] * B->T + t];
      if (isinf(P)) r->cert_markets_closed++;
      else tb_dd_add(psum, P), nfinite++;
    }
  r->mean_cert_price = nfinite ? (psum[0] + psum[1]) / (double)nfinite : NAN;
  return TB_OK;
}

/* The state between two periods as one byte string: counts, surplus, revenue, sector sums, then each
 * certificate region's ledger (totals, the last period's amounts, tranches). */
static int64_t state_bytes(const tb_market_book *B, const sim_state *S) {
  int64_t b = 8 * (5 + 2 + 2 + 4 * B->S);
  for (int i = 0; i < S->ncert; i++) b += 8 * (6 + B->T + S->ledger[S->cert_region[i]].E);
  return b;
}

static void move8(char **at, void *v, int64_t n, int pack) {
  if (pack) memcpy(*at, v, 8 * (size_t)n);
  else memcpy(v, *at, 8 * (size_t)n);
  *at += 8 * n;
}

static void state_move(const tb_market_book *B, sim_state *S, char *at, int pack) {
  move8(&at, S->count, 5, pack), move8(&at, S->surplus, 2, pack), move8(&at, S->revenue, 2, pack);
  move8(&at, S->sector, 4 * B->S, pack);
  for (int i = 0; i < S->ncert; i++) {
    tb_ledger *L = &S->ledger[S->cert_region[i]];
    double *v[6] = {&L->issued, &L->used, &L->expired, &L->issued_t, &L->used_t, &L->expired_t};
    for (int j = 0; j < 6; j++) move8(&at, v[j], 1, pack);
    move8(&at, L->tranche, B->T + L->E, pack);
  }
}

static int state_restore(const tb_market_book *B, const tb_policy *p, sim_state *S, const tb_policy_blocks *k) {
  const int64_t want = state_bytes(B, S);
  if (k->bytes != want || k->from >= B->T)
    return TB_ERR(TB_ERR_INTERNAL, "policy %s: a saved state of %lld bytes after period %lld does not fit this run "
                  "(%lld bytes, %lld periods)", p->name, (long long)k->bytes, (long long)k->from, (long long)want,
                  (long long)B->T);
  state_move(B, S, (char *)k->state, 0);
  return TB_OK;
}

/* Outcomes decided before any market: not win-win, unfunded; the rest trade unless a period blocks them. */
static void first_outcomes(const tb_market_book *B, tb_policy_result *r, sim_state *S) {
  const tb_deal_table *D = B->deals;
  for (int64_t i = 0; i < D->n; i++) {
    r->outcome[i] = D->status[i] == 2 ? TB_OUT_NOT_WIN_WIN : !D->funded[i] ? TB_OUT_UNFUNDED : TB_OUT_TRADED;
    if (r->outcome[i]) S->count[r->outcome[i]]++;
  }
}

int tb_policy_run_blocks(const tb_market_book *B, const tb_policy *p, tb_policy_result *r,
                         const tb_policy_blocks *k) {
  int rc = TB_OK;
  sim_state S;
  char *pack = NULL;
  const int64_t from = k ? k->from : 0, every = k && k->at ? k->every : 0;
  memset(&S, 0, sizeof S);
  if (!from) TB_GUARD(alloc_result(B, p, r));
  TB_GUARD(sim_init(B, p, r, &S));
  const int64_t bytes = state_bytes(B, &S);
  if (from) TB_GUARD(state_restore(B, p, &S, k));
  else first_outcomes(B, r, &S);
  if (every > 0) TB_ALLOC(pack, bytes);
  for (int64_t t = from; t < B->T; t++) {
    TB_GUARD(period_prices(B, p, r, &S, t));
    TB_GUARD(period_deals(B, r, &S, t));
    TB_GUARD(period_close(B, p, r, &S, t));
    if (every <= 0 || (t + 1) % every || t + 1 == B->T) continue;
    state_move(B, &S, pack, 1);
    TB_GUARD(k->at(k->ctx, t + 1, pack, bytes));
  }
  TB_GUARD(summarize(B, r, &S));
done:
  free(pack);
  sim_free(B, &S);
  return rc;
}

int tb_policy_run(const tb_market_book *B, const tb_policy *p, tb_policy_result *r) {
  return tb_policy_run_blocks(B, p, r, NULL);
}

void tb_policy_result_free(tb_policy_result *r) {
  free(r->exports), free(r->imports), free(r->balance), free(r->price), free(r->issued), free(r->used);
  free(r->expired), free(r->base_served), free(r->outcome), free(r->covered);
  free(r->home_exports), free(r->home_imports);
  memset(r, 0, sizeof *r);
}

void tb_policy_result_keep_totals(tb_policy_result *r) {
  double **arrays[8] = {&r->exports, &r->imports, &r->balance, &r->price, &r->issued, &r->used, &r->expired,
                        &r->base_served};
  for (int i = 0; i < 8; i++) free(*arrays[i]), *arrays[i] = NULL;
  free(r->outcome), free(r->covered);
  r->outcome = r->covered = NULL;
}

double tb_policy_premium(const tb_market_book *B, const tb_policy_result *r, int64_t i) {
  const tb_deal_table *D = B->deals;
  return r->outcome[i] == TB_OUT_TRADED ? premium_at(B, r, D->imp[i], D->period[i]) : NAN;
}
