/* The continuous double auction against a hand-worked order sequence: price-time
 * priority, execution at the resting order's price, partial fills that stay in the book,
 * the three rejection reasons, and holdings that move from seller to buyer. */
#include "tb_cda.h"
#include "tb_test.h"

#include <math.h>

int main(void) {
  /* index, entity, quantity, price, time, side */
  const tb_order o[] = {
      {0, 1, 5, 1.00, 0, TB_BUY},  /* rests */
      {1, 0, 3, 0.90, 1, TB_SELL}, /* hits 0 at 1.00 (resting price) for 3; 0 keeps 2 */
      {2, 2, 4, 1.10, 2, TB_SELL}, /* no cross: rests, reserves 4 of e2's 5 */
      {3, 2, 2, 1.05, 3, TB_SELL}, /* e2 has 1 free certificate: rejected */
      {4, 1, 0, 1.00, 4, TB_BUY},  /* quantity 0: rejected */
      {5, 1, 1, -1.0, 5, TB_BUY},  /* negative price: rejected */
      {6, 0, 2, 0.95, 6, TB_SELL}, /* fills the rest of 0 at 1.00 */
      {7, 0, 6, 1.20, 7, TB_BUY},  /* lifts 2 at 1.10 for 4, rests 2 at 1.20 */
      {8, 1, 1, 1.15, 8, TB_SELL}, /* hits 7 at 1.20 */
      {9, 2, 1, 1.00, 9, TB_SELL}, /* e2's reservation was released by the fill: hits 7 at 1.20 */
      {10, 0, 1, 1.30, 10, TB_SELL},
      {11, 0, 1, 1.30, 11, TB_SELL},
      {12, 0, 1, 1.25, 12, TB_SELL},
      {13, 1, 2, 1.50, 13, TB_BUY}, /* best price first (12), then the earlier of equal prices (10) */
  };
  const int n = (int)(sizeof o / sizeof o[0]);
  double hold[3] = {10, 0, 5}, filled[14];
  uint8_t status[14];
  tb_cda_result r;
  CHECK(tb_cda_match(o, n, hold, 3, status, filled, &r) == 0, "match");
  const tb_trade want[] = {{0, 1, 1.00, 3, 1},  {0, 6, 1.00, 2, 6},  {7, 2, 1.10, 4, 7}, {7, 8, 1.20, 1, 8},
                           {7, 9, 1.20, 1, 9},  {13, 12, 1.25, 1, 13}, {13, 10, 1.30, 1, 13}};
  const int nt = (int)(sizeof want / sizeof want[0]);
  CHECK(r.ntrades == nt, "%lld trades, want %d", (long long)r.ntrades, nt);
  for (int i = 0; i < nt && i < r.ntrades; i++) {
    const tb_trade *t = &r.trades[i];
    CHECK(t->buy == want[i].buy && t->sell == want[i].sell && t->price == want[i].price &&
              t->quantity == want[i].quantity && t->time == want[i].time,
          "trade %d: buy %lld sell %lld price %g q %g", i, (long long)t->buy, (long long)t->sell, t->price, t->quantity);
  }
  const uint8_t st[14] = {0, 0, 0, TB_ORDER_NO_CERTIFICATES, TB_ORDER_BAD_QUANTITY, TB_ORDER_BAD_PRICE, 0, 0, 0, 0, 0, 0, 0, 0};
  const double fl[14] = {5, 3, 4, 0, 0, 0, 2, 6, 1, 1, 1, 0, 1, 2};
  for (int i = 0; i < n; i++) {
    CHECK(status[i] == st[i], "order %d status %d, want %d", i, status[i], st[i]);
    CHECK(filled[i] == fl[i], "order %d filled %g, want %g", i, filled[i], fl[i]);
  }
  CHECK(hold[0] == 9 && hold[1] == 6 && hold[2] == 0, "holdings %g %g %g, want 9 6 0", hold[0], hold[1], hold[2]);
  CHECK(r.volume == 13 && fabs(r.notional - 14.35) < 1e-12, "volume %g, notional %g", r.volume, r.notional);
  tb_cda_result_free(&r);
  return TEST_SUMMARY();
}
