/* Section 5 building blocks: the call auction against hand-worked markets and a brute
 * force over candidate prices, and the certificate ledger's expiry and invariant. */
#include "tb_error.h"
#include "tb_certificates.h"
#include "tb_test.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int n;
  const double *bid, *m;
} deals;

static double deal_sum(const deals *d, double P) {
  double s = 0.0;
  for (int i = 0; i < d->n; i++)
    if (d->bid[i] > P) s += d->m[i];
  return s;
}

static int demand(void *ctx, int n, const double *P, double *out) {
  const deals *d = ctx;
  for (int i = 0; i < n; i++) out[i] = deal_sum(&d[i], P[i]);
  return TB_OK;
}

static double clear1(double Q, double base, double floor_price, double eps, int n, const double *bid,
                     const double *m) {
  deals d = {n, bid, m};
  tb_auction a = {Q, base, floor_price, eps};
  double P;
  CHECK(tb_cert_auction_clear(1, &a, demand, &d, &P) == TB_OK, "clear: %s", tb_error_message());
  return P;
}

static void test_hand_markets(void) {
  const double bid[3] = {0.5, 0.2, 0.05}, m[3] = {10, 20, 30};
  /* plenty of certificates: the floor */
  CHECK(clear1(1000, 100, 0.01, 1.5, 3, bid, m) == 0.01, "not scarce gives P_min");
  /* demand(P) = 60 for P < .05, 30 for P < .2, 10 for P < .5: Q = 30 clears at the bid 0.05 */
  CHECK(clear1(30, 0, 0, 1.5, 3, bid, m) == 0.05, "scarce supply clears at a bid");
  CHECK(clear1(29.999, 0, 0, 1.5, 3, bid, m) == 0.2, "a little less supply: the next bid");
  CHECK(clear1(0, 0, 0, 1.5, 3, bid, m) == 0.5, "no certificates, no base demand: the top bid");
  /* base demand root: no deals, base 100, Q = 50: (1 + P)^-1.5 = 1/2, P = 2^(2/3) - 1 */
  const double root = pow(2.0, 2.0 / 3.0) - 1.0;
  CHECK_NEAR(clear1(50, 100, 0, 1.5, 0, bid, m), root, 1e-15 * root);
  /* base 100, Q = 60: just below the bid .5 demand is 100 * 1.5^-1.5 + 10 = 64.4 > 60, at .5 it
   * drops to 54.4 <= 60, so the deal's exit at its own bid clears the market */
  CHECK(clear1(60, 100, 0, 1.5, 3, bid, m) == 0.5, "the jump at a bid clears a base-demand market");
  /* Q = 0 with base demand: nothing can be served */
  CHECK(isinf(clear1(0, 100, 0, 1.5, 3, bid, m)), "Q = 0 and base > 0: +inf");
  /* epsilon 0: base demand never falls, so Q below it never clears */
  CHECK(isinf(clear1(50, 100, 0, 0.0, 0, bid, m)), "inelastic base demand above supply: +inf");
}

/* Brute force: P* is the smallest feasible candidate among the floor, the bids and the
 * base-demand roots on each segment between consecutive bids. */
static double brute(double Q, double base, double fl, double eps, int n, const double *bid, const double *m) {
  deals d = {n, bid, m};
  double best = INFINITY;
  double cand[64];
  int nc = 0;
  cand[nc++] = fl;
  for (int i = 0; i < n; i++) {
    if (bid[i] >= fl) cand[nc++] = bid[i];
    const double M = deal_sum(&d, bid[i]); /* deals above this bid: constant just above it */
    if (Q - M > 0 && base > 0) cand[nc++] = pow(base / (Q - M), 1.0 / eps) - 1.0;
  }
  const double M0 = deal_sum(&d, INFINITY);
  if (Q - M0 > 0 && base > 0) cand[nc++] = pow(base / (Q - M0), 1.0 / eps) - 1.0;
  if (Q - deal_sum(&d, fl) > 0 && base > 0) cand[nc++] = pow(base / (Q - deal_sum(&d, fl)), 1.0 / eps) - 1.0;
  for (int c = 0; c < nc; c++) {
    const double P = cand[c];
    if (!(P >= fl) || P >= best) continue;
    /* a root may be off by an ulp: accept it if feasible within 1e-13 */
    if (tb_base_demand(base, P, eps) + deal_sum(&d, P) <= Q * (1 + 1e-13)) best = P;
  }
  return best;
}

static uint64_t g_state = 12345;
static double u01(void) { /* splitmix64 */
  uint64_t z = (g_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (double)((z ^ (z >> 31)) >> 11) * 0x1p-53;
}

static void test_brute_force(void) {
  int bad = 0;
  for (int trial = 0; trial < 3000; trial++) {
    double bid[12], m[12];
    int n = (int)(u01() * 12);
    double base = u01() < 0.67 ? 50.0 * u01() : 0.0;
    double Q = 0, eps = 0.5 + 2.0 * u01();
    double fl = (trial % 4 == 0) ? 0.1 : 0.0;
    for (int i = 0; i < n; i++) {
      bid[i] = i > 0 && u01() < 0.2 ? bid[i - 1] : 2.0 * u01(); /* some ties */
      m[i] = 10.0 * u01();
      Q += m[i];
    }
    Q = (Q + base) * u01(); /* scarce most of the time */
    double got = clear1(Q, base, fl, eps, n, bid, m), want = brute(Q, base, fl, eps, n, bid, m);
    int ok = (isinf(got) && isinf(want)) || fabs(got - want) <= 1e-12 * fabs(want) + 1e-300;
    if (!ok && bad++ < 5)
      printf("trial %d: n %d base %.6g Q %.6g eps %.3g floor %g: got %.17g want %.17g\n", trial, n, base, Q,
             eps, fl, got, want);
  }
  CHECK(bad == 0, "%d of 3000 random markets differ from the brute force beyond 1e-12", bad);
}

static void test_ledger(void) {
  tb_ledger L;
  /* E = 2, initial 10 valid in periods 0..1 */
  CHECK(tb_ledger_init(&L, 4, 2, 10.0) == TB_OK, "init");
  CHECK(tb_ledger_available(&L, 0) == 10.0, "initial allocation available at 0");
  tb_ledger_consume(&L, 0, 4.0);
  tb_ledger_close_period(&L, 0, 5.0); /* 5 valid in 1..2 */
  CHECK(tb_ledger_check(&L, 0, 10.0, 0, "t") == TB_OK, "invariant 0");
  CHECK(tb_ledger_available(&L, 1) == 11.0 && L.expired_t == 0.0, "carry-over: 6 + 5");
  tb_ledger_consume(&L, 1, 7.0); /* earliest expiry first: 6 of the initial, then 1 of the new */
  CHECK(L.tranche[1] == 0.0 && L.tranche[2] == 4.0, "earliest expiry consumed first");
  tb_ledger_close_period(&L, 1, 3.0);
  CHECK(L.expired_t == 0.0 && tb_ledger_available(&L, 2) == 7.0, "nothing left to expire at 1");
  tb_ledger_consume(&L, 2, 1.0); /* takes from the tranche expiring at 2 */
  tb_ledger_close_period(&L, 2, 0.0);
  CHECK(L.expired_t == 3.0, "the rest of the tranche valid through 2 expires: %g", L.expired_t);
  CHECK(tb_ledger_check(&L, 2, 7.0, 0, "t") == TB_OK, "invariant 2");
  CHECK(L.issued == 18.0 && L.used == 12.0 && L.expired == 3.0 && tb_ledger_available(&L, 3) == 3.0,
        "issued 18 = used 12 + expired 3 + outstanding 3");
  L.used += 1.0; /* a corrupted ledger is caught */
  CHECK(tb_ledger_check(&L, 2, 7.0, 4, "cert") == TB_ERR_INTERNAL && strstr(tb_error_message(), "region 4"),
        "broken invariant reported: %s", tb_error_message());
  tb_ledger_free(&L);
}

int main(void) {
  test_hand_markets();
  test_brute_force();
  test_ledger();
  return TEST_SUMMARY();
}
