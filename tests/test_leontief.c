/* Section 7 on the CPU: a hand-computed 2x2 economy, the rejected inputs, and real tables:
 * BEA's 1997 summary table (131 industries) against BEA's published total requirements and
 * multipliers, and the Eurostat Manual's 6x6 German table against its published multipliers.
 * Usage: test_leontief SHARED_DATA_REAL (the real-data part is skipped when it is absent). */
#include "tb_error.h"
#include "tb_leontief.h"
#include "tb_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A square CSV with a header row of codes and a code in the first column. */
static double *read_square(const char *dir, const char *name, int *n) {
  char path[4096], line[65536];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "r");
  if (!fp || !fgets(line, sizeof line, fp)) return NULL;
  int cols = 0;
  for (char *c = line; *c; c++) cols += *c == ',';
  double *m = malloc(sizeof(double) * (size_t)(cols * cols));
  int r = 0;
  while (r < cols && fgets(line, sizeof line, fp)) {
    char *c = strchr(line, ',');
    for (int j = 0; j < cols && c; j++) {
      m[r * cols + j] = strtod(c + 1, &c);
    }
    r++;
  }
  fclose(fp);
  *n = cols;
  return m;
}

static void test_hand(void) {
  /* A = [.2 .3; .1 .4]: I - A = [.8 -.3; -.1 .6], det .45, L = [4/3 2/3; 2/9 16/9] */
  const double A[4] = {.2, .3, .1, .4};
  tb_leontief L;
  double m[2], Linv[4], x[2] = {1, 1};
  CHECK(tb_leontief_factor(&L, 2, A, "hand") == TB_OK, "factor");
  tb_leontief_multipliers(&L, m);
  tb_leontief_inverse(&L, Linv);
  tb_leontief_solve(&L, 1, x, x);
  CHECK_NEAR(m[0], 14.0 / 9.0, 1e-15);
  CHECK_NEAR(m[1], 22.0 / 9.0, 1e-15);
  CHECK_NEAR(Linv[1], 2.0 / 3.0, 1e-15);
  CHECK_NEAR(Linv[2], 2.0 / 9.0, 1e-15);
  CHECK_NEAR(x[0], 2.0, 1e-15);
  CHECK_NEAR(x[1], 2.0, 1e-15);
  /* two right-hand sides at once, row-major [S, nrhs]: f = (1, 0) and (0, 1) give L's columns */
  double F[4] = {1, 0, 0, 1};
  tb_leontief_solve(&L, 2, F, F);
  CHECK(fabs(F[0] - 4.0 / 3) < 1e-15 && fabs(F[1] - 2.0 / 3) < 1e-15 && fabs(F[3] - 16.0 / 9) < 1e-15, "multi-column");
  tb_leontief_free(&L);
  const double bad[4] = {.5, .2, .5, .3}; /* column 0 sums to 1 */
  CHECK(tb_leontief_factor(&L, 2, bad, "t.h5: /io/A") == TB_ERR_INPUT &&
            strstr(tb_error_message(), "t.h5: /io/A: column 0 sums to 1"),
        "column sum 1 rejected: %s", tb_error_message());
  const double sing[4] = {1, 0, -5, 0}; /* column sums < 1 but I - A = [0 0; 5 1] */
  CHECK(tb_leontief_factor(&L, 2, sing, "t") == TB_ERR_INPUT && strstr(tb_error_message(), "singular"),
        "singular I - A rejected: %s", tb_error_message());
}

static void test_bea(const char *real) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/bea-io-1997-summary", real);
  int n = 0, np = 0;
  double *A = read_square(dir, "A_ixi_derived.csv", &n), *Lp = read_square(dir, "L_ixi_published.csv", &np);
  CHECK(A && Lp && n == 131 && np == 131, "BEA tables read: %d, %d sectors", n, np);
  if (!A || !Lp || n != np) return;
  tb_leontief L;
  double *Lc = malloc(sizeof(double) * (size_t)(n * n)), *m = malloc(sizeof(double) * (size_t)n);
  CHECK(tb_leontief_factor(&L, n, A, "BEA") == TB_OK, "factor BEA");
  tb_leontief_inverse(&L, Lc);
  tb_leontief_multipliers(&L, m);
  double worst = 0, worst_m = 0;
  for (int i = 0; i < n * n; i++) worst = fmax(worst, fabs(Lc[i] - Lp[i]));
  for (int j = 0; j < n; j++) {
    double pub = 0;
    for (int i = 0; i < n; i++) pub += Lp[i * n + j];
    worst_m = fmax(worst_m, fabs(m[j] - pub));
  }
  CHECK(worst <= 5e-5, "BEA total requirements: max |L - published| = %.3g (expected.md: 1.525e-05)", worst);
  CHECK(worst_m <= 5e-4, "BEA output multipliers: max |m - published| = %.3g (expected.md: 2.43e-04)", worst_m);
  CHECK(fabs(m[1] - 2.9533875) < 1e-6 && fabs(m[0] - 2.0189546) < 1e-6, "multipliers of expected.md: %.8f %.8f",
        m[0], m[1]);
  printf("BEA 1997, 131 industries: max |L - published| %.3g, max |multiplier - published| %.3g\n", worst, worst_m);
  tb_leontief_free(&L);
  free(A), free(Lp), free(Lc), free(m);
}

static void test_eurostat(const char *real) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/eurostat-manual-de1995-6x6", real);
  int n = 0;
  double *A = read_square(dir, "A_computed.csv", &n);
  CHECK(A && n == 6, "Eurostat table read");
  if (!A || n != 6) return;
  const double manual[6] = {1.7048, 1.8413, 1.8136, 1.6035, 1.5951, 1.3782}; /* Manual, 4 decimals */
  tb_leontief L;
  double m[6];
  CHECK(tb_leontief_factor(&L, 6, A, "Eurostat") == TB_OK, "factor Eurostat");
  tb_leontief_multipliers(&L, m);
  for (int j = 0; j < 6; j++)
    CHECK(fabs(m[j] - manual[j]) <= 0.5e-4 + 1e-12, "Eurostat multiplier %d: %.6f vs Manual %.4f", j, m[j], manual[j]);
  tb_leontief_free(&L);
  free(A);
}

int main(int argc, char **argv) {
  test_hand();
  FILE *probe = NULL;
  char path[4096];
  if (argc > 1) {
    snprintf(path, sizeof path, "%s/bea-io-1997-summary/A_ixi_derived.csv", argv[1]);
    probe = fopen(path, "r");
  }
  if (!probe) {
    printf("skip: real data not found under %s\n", argc > 1 ? argv[1] : "(no path given)");
    (void)TEST_SUMMARY();
    return 77;
  }
  fclose(probe);
  test_bea(argv[1]);
  test_eurostat(argv[1]);
  return TEST_SUMMARY();
}
