/* Section 8 pieces by hand: the draws' normals against Random123's published Philox vectors
 * (each counter field: item low and high word, draw, purpose) with z evaluated independently
 * in 40-digit arithmetic (mpmath); the clipping and floors of the perturbations; WAR, WAR_B,
 * quantiles and the recommendation on a hand-built world; K = 0 and sigma_rep = 0. */
#include "tb_assess.h"
#include "tb_draws.h"
#include "tb_test.h"

#include <float.h>
#include <math.h>
#include <string.h>

static void test_normals(void) {
  const tb_draw_params P = {1, 0.5, 0.1, 0.3};
  /* kat lines: counter (0,0,1,0) key (1,0); (0,0,0,1); (0,1,0,0) */
  CHECK_NEAR(tb_draw_normal(&P, 0, 1, TB_DRAW_PROB), 0.45614379518764832618, 1e-15);
  CHECK_NEAR(tb_draw_normal(&P, 0, 0, TB_DRAW_RATE), -0.47574330034708501921, 1e-15);
  CHECK_NEAR(tb_draw_normal(&P, 1ULL << 32, 0, TB_DRAW_PROB), 0.75135515416306500123, 1e-15);
  /* probability of component 0 in draw 1: p exp(0.5 z), clipped to [0, 1] */
  const double p[3] = {0.4, 0.0, 1.0};
  double q[3];
  tb_draw_probs(&P, 1, 0, 1, p, q);
  CHECK_NEAR(q[0], 0.4 * exp(0.5 * 0.45614379518764832618), 1e-15);
  const tb_draw_params big = {1, 50.0, 100.0, 0.3};
  tb_draw_probs(&big, 1, 0, 3, p, q); /* z > 0 for component 0: 0.4 e^22.8 clips to 1 */
  CHECK(q[0] == 1.0 && q[1] == 0.0 && q[2] <= 1.0, "clipped probabilities %g %g %g", q[0], q[1], q[2]);
  /* rate of entity 0 in draw 0: z < 0, so r - 100 * 0.476 is floored just above -0.99 */
  const double r = tb_draw_rate(&big, 0, 0, 0.05);
  CHECK(r > -0.99 && r == nextafter(-0.99, 0.0), "floored rate %.17g", r);
  CHECK_NEAR(tb_draw_rate(&P, 0, 0, 0.05), 0.05 + 0.1 * -0.47574330034708501921, 1e-15);
  CHECK_NEAR(tb_draw_epsilon(&P, 3, 1.5), 1.5 * exp(0.3 * tb_draw_normal(&P, 0, 3, TB_DRAW_EPSILON)), 1e-15);
}

static tb_assess_params cfg_with_margin(double margin) {
  tb_assess_params c;
  memset(&c, 0, sizeof c);
  c.margin_of_safety = margin;
  return c;
}

static void test_hand_world(void) {
  /* none: 10 12 14 16 (mean 13, sample sd sqrt(20/3)); A = none + 2 every draw;
   * B = none + (0, 4, 8, -4): the same mean Z = 2, wider. */
  const double ydraw[12] = {10, 12, 10, 12, 14, 16, 14, 16, 22, 16, 18, 12};
  const tb_assess_params c = cfg_with_margin(0.3);
  tb_assessment A;
  CHECK(tb_assess(&c, 3, 4, NULL, ydraw, &A) == 0, "assess");
  const double s = sqrt(20.0 / 3.0);
  CHECK_NEAR(A.sigma_rep, s, 1e-15);
  CHECK_NEAR(A.war[0], 0.0, 1e-15);
  CHECK_NEAR(A.war[1], 2.0 / s, 1e-15);
  CHECK_NEAR(A.war[2], 2.0 / s, 1e-15);
  CHECK_NEAR(A.war_b[1], 0.7 * 2.0 / s, 1e-15);
  CHECK_NEAR(A.q05[1], 2.0 / s, 1e-15);
  CHECK_NEAR(A.q95[1], 2.0 / s, 1e-15);
  /* type 7 on Z = (-4, 0, 4, 8): q05 = -4 + 0.15 * 4, q95 = 4 + 0.85 * 4 */
  CHECK_NEAR(A.q05[2], -3.4 / s, 1e-15);
  CHECK_NEAR(A.q95[2], 7.4 / s, 1e-15);
  CHECK(A.best == 1, "a tie keeps the earlier policy: best %d", A.best);
  CHECK(!A.sigma_fallback, "no fallback");
  tb_assessment_free(&A);
}

static void test_deterministic_and_flat(void) {
  const tb_assess_params c = cfg_with_margin(0.5);
  const double ydet[3] = {5, 7, 4};
  tb_assessment A;
  CHECK(tb_assess(&c, 3, 0, ydet, NULL, &A) == 0, "assess K = 0");
  CHECK(A.sigma_rep == 1.0 && A.war[1] == 2.0 && A.war[2] == -1.0 && A.war_b[1] == 1.0 && A.best == 1,
        "K = 0: sigma %g WAR %g %g best %d", A.sigma_rep, A.war[1], A.war[2], A.best);
  CHECK(A.q05[2] == -1.0 && A.q95[2] == -1.0, "K = 0 quantiles");
  tb_assessment_free(&A);
  const double flat[6] = {5, 6, 5, 9, 5, 6}; /* none is 5 in every draw */
  CHECK(tb_assess(&c, 2, 3, NULL, flat, &A) == 0, "assess flat");
  CHECK(A.sigma_rep == 0.0 && A.sigma_fallback == 1, "sigma_rep 0 reported: %g", A.sigma_rep);
  CHECK_NEAR(A.war[1], 2.0, 1e-15); /* mean Z = (1 + 4 + 1) / 3 over sigma 1 */
  tb_assessment_free(&A);
  double v[5] = {3, 1, 2, 5, 4};
  CHECK_NEAR(tb_quantile(v, 5, 0.5), 3.0, 0);
  CHECK_NEAR(tb_quantile(v, 5, 0.05), 1.2, 1e-15);
}

int main(void) {
  test_normals();
  test_hand_world();
  test_deterministic_and_flat();
  return TEST_SUMMARY();
}
