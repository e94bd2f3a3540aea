/* Section 7 on one backend: a hand-computed 2x2 economy, the rejected inputs, a closed form
 * (A = c/S 1 1^T has L = I + c/(S(1-c)) 1 1^T), and real tables: BEA's 1997 summary table
 * (131 industries) against BEA's published total requirements and multipliers, and the
 * Eurostat Manual's 6x6 German table against its published multipliers. On `cuda` (label gpu)
 * also cuSOLVER against LAPACKE on a random economy, and the closed form at S = 10,000.
 * Usage: test_leontief SHARED_DATA_REAL [cpu|cuda]. Exits 77 when the real data or, for cuda,
 * a GPU is absent (the parts that need neither run first). */
#include "tb_backend.h"
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

static tb_backend BE;

#ifdef TB_HAVE_CUDA
int tb_cuda_device_count(void);
#endif

static void test_hand(void) {
  /* A = [.2 .3; .1 .4]: I - A = [.8 -.3; -.1 .6], det .45, L = [4/3 2/3; 2/9 16/9] */
  const double A[4] = {.2, .3, .1, .4};
  tb_leontief L;
  double m[2], Linv[4], x[2] = {1, 1};
  CHECK(tb_leontief_factor(&L, &BE, 2, A, "hand") == TB_OK, "factor");
  tb_leontief_output_multipliers(&L, m);
  tb_leontief_inverse(&L, Linv);
  tb_leontief_solve(&L, 1, x);
  CHECK_NEAR(m[0], 14.0 / 9.0, 1e-15);
  CHECK_NEAR(m[1], 22.0 / 9.0, 1e-15);
  CHECK_NEAR(Linv[1], 2.0 / 3.0, 1e-15);
  CHECK_NEAR(Linv[2], 2.0 / 9.0, 1e-15);
  CHECK_NEAR(x[0], 2.0, 1e-15);
  CHECK_NEAR(x[1], 2.0, 1e-15);
  /* two right-hand sides at once, column-major [S, nrhs]: f = (1, 0) and (0, 1) give L's columns */
  double F[4] = {1, 0, 0, 1}, W[4] = {1, 0, 2, 1}, C[4]; /* W = [1 2; 0 1] column-major */
  tb_leontief_solve(&L, 2, F);
  CHECK(fabs(F[0] - 4.0 / 3) < 1e-15 && fabs(F[1] - 2.0 / 9) < 1e-15 && fabs(F[2] - 2.0 / 3) < 1e-15 &&
            fabs(F[3] - 16.0 / 9) < 1e-15,
        "multi-column: %g %g %g %g", F[0], F[1], F[2], F[3]);
  CHECK(tb_backend_gemm(&BE, 2, 2, 2, W, F, C) == TB_OK, "gemm: %s", tb_error_message());
  /* W L = [4/3 + 4/9, 2/3 + 32/9; 2/9, 16/9] */
  CHECK(fabs(C[0] - 16.0 / 9) < 1e-15 && fabs(C[1] - 2.0 / 9) < 1e-15 && fabs(C[2] - 38.0 / 9) < 1e-15 &&
            fabs(C[3] - 16.0 / 9) < 1e-15,
        "product: %g %g %g %g", C[0], C[1], C[2], C[3]);
  tb_leontief_free(&L);
  const double bad[4] = {.5, .2, .5, .3}; /* column 0 sums to 1 */
  CHECK(tb_leontief_factor(&L, &BE, 2, bad, "t.h5: /io/A") == TB_ERR_INPUT &&
            strstr(tb_error_message(), "t.h5: /io/A: column 0 sums to 1"),
        "column sum 1 rejected: %s", tb_error_message());
  const double sing[4] = {1, 0, -5, 0}; /* column sums < 1 but I - A = [0 0; 5 1] */
  CHECK(tb_leontief_factor(&L, &BE, 2, sing, "t") == TB_ERR_INPUT && strstr(tb_error_message(), "singular"),
        "singular I - A rejected: %s", tb_error_message());
}

/* A = c/S 1 1^T: every column sums to c, L = I + c/(S (1 - c)) 1 1^T, so every multiplier is
 * 1/(1 - c), L 1 = 1/(1 - c) 1 and L e_k = e_k + c/(S (1 - c)) 1. */
static void test_closed_form(int64_t S) {
  const double c = 0.6, off = c / ((double)S * (1 - c));
  double *A = malloc(sizeof(double) * (size_t)(S * S)), *m = malloc(sizeof(double) * (size_t)S);
  double *B = malloc(sizeof(double) * (size_t)(2 * S));
  for (int64_t i = 0; i < S * S; i++) A[i] = c / (double)S;
  tb_leontief L;
  CHECK(tb_leontief_factor(&L, &BE, S, A, "closed form") == TB_OK, "factor S = %lld: %s", (long long)S,
        tb_error_message());
  CHECK(tb_leontief_output_multipliers(&L, m) == TB_OK, "multipliers");
  for (int64_t s = 0; s < S; s++) B[s] = 1.0, B[S + s] = s == S / 2;
  CHECK(tb_leontief_solve(&L, 2, B) == TB_OK, "solve");
  double worst = 0;
  for (int64_t s = 0; s < S; s++) {
    worst = fmax(worst, fabs(m[s] * (1 - c) - 1.0));
    worst = fmax(worst, fabs(B[s] * (1 - c) - 1.0));
    worst = fmax(worst, fabs(B[S + s] - ((s == S / 2) + off)) / (1 + off));
  }
  CHECK(worst < 1e-12, "closed form, S = %lld: worst relative error %.3g", (long long)S, worst);
  printf("closed form on %s, S = %lld: worst relative error %.3g\n", tb_backend_name(&BE), (long long)S, worst);
  tb_leontief_free(&L);
  free(A), free(m), free(B);
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
  CHECK(tb_leontief_factor(&L, &BE, n, A, "BEA") == TB_OK, "factor BEA");
  tb_leontief_inverse(&L, Lc);
  tb_leontief_output_multipliers(&L, m);
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
  CHECK(tb_leontief_factor(&L, &BE, 6, A, "Eurostat") == TB_OK, "factor Eurostat");
  tb_leontief_output_multipliers(&L, m);
  for (int j = 0; j < 6; j++)
    CHECK(fabs(m[j] - manual[j]) <= 0.5e-4 + 1e-12, "Eurostat multiplier %d: %.6f vs Manual %.4f", j, m[j], manual[j]);
  tb_leontief_free(&L);
  free(A);
}

#if defined(TB_HAVE_CUDA) && defined(TB_HAVE_LAPACKE)
/* cuSOLVER against LAPACKE on a random economy: multipliers and a 3-column solve. */
static void test_against_cpu(int64_t S) {
  tb_backend cpu;
  CHECK(tb_backend_open(&cpu, TB_BACKEND_CPU, 0, 0) == TB_OK, "CPU backend");
  double *A = malloc(sizeof(double) * (size_t)(S * S)), *m[2], *X[2];
  uint64_t z = 12345;
  for (int64_t i = 0; i < S * S; i++) {
    z ^= z << 13, z ^= z >> 7, z ^= z << 17;
    A[i] = (double)(z >> 11) * 0x1p-53 * 0.9 / (double)S;
  }
  tb_backend *be[2] = {&cpu, &BE};
  for (int k = 0; k < 2; k++) {
    tb_leontief L;
    m[k] = malloc(sizeof(double) * (size_t)S), X[k] = malloc(sizeof(double) * (size_t)(3 * S));
    for (int64_t i = 0; i < 3 * S; i++) X[k][i] = (double)((i * 7919) % 101) - 30.0;
    CHECK(tb_leontief_factor(&L, be[k], S, A, "random") == TB_OK, "factor on %s", tb_backend_name(be[k]));
    CHECK(tb_leontief_output_multipliers(&L, m[k]) == TB_OK && tb_leontief_solve(&L, 3, X[k]) == TB_OK, "solves");
    tb_leontief_free(&L);
  }
  double worst = 0;
  for (int64_t i = 0; i < S; i++) worst = fmax(worst, fabs(m[1][i] - m[0][i]) / fabs(m[0][i]));
  for (int64_t i = 0; i < 3 * S; i++) worst = fmax(worst, fabs(X[1][i] - X[0][i]) / fmax(1.0, fabs(X[0][i])));
  CHECK(worst <= 1e-12, "cuSOLVER vs LAPACKE, S = %lld: worst relative difference %.3g", (long long)S, worst);
  printf("cuSOLVER vs LAPACKE, S = %lld: worst relative difference %.3g\n", (long long)S, worst);
  for (int k = 0; k < 2; k++) free(m[k]), free(X[k]);
  free(A);
  tb_backend_close(&cpu);
}
#endif

/* Exit 77 unless the named backend can run here. */
static int open_backend(const char *name) {
  const int cuda = name && !strcmp(name, "cuda");
#ifdef TB_HAVE_CUDA
  if (cuda && tb_cuda_device_count() <= 0) {
    printf("skip: no CUDA device\n");
    return 77;
  }
#else
  if (cuda) {
    printf("skip: built without CUDA\n");
    return 77;
  }
#endif
  if (tb_backend_open(&BE, cuda ? TB_BACKEND_CUDA : TB_BACKEND_CPU, 0, 0)) {
    fprintf(stderr, "%s\n", tb_error_message());
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const int open = open_backend(argc > 2 ? argv[2] : "cpu");
  if (open) return open;
  const int gpu = !strcmp(tb_backend_name(&BE), "cuda");
  test_hand();
  const char *size = getenv("TB_TEST_LU_S"); /* smaller under compute-sanitizer */
  test_closed_form(size ? atoll(size) : gpu ? 10000 : 1500); /* issue 5: sizes up to S = 10,000 */
#if defined(TB_HAVE_CUDA) && defined(TB_HAVE_LAPACKE)
  if (gpu) test_against_cpu(2000);
#endif
  FILE *probe = NULL;
  char path[4096];
  if (argc > 1) {
    snprintf(path, sizeof path, "%s/bea-io-1997-summary/A_ixi_derived.csv", argv[1]);
    probe = fopen(path, "r");
  }
  if (!probe) {
    printf("skip: real data not found under %s\n", argc > 1 ? argv[1] : "(no path given)");
    tb_backend_close(&BE);
    return TEST_SUMMARY() ? 1 : 77;
  }
  fclose(probe);
  test_bea(argv[1]);
  test_eurostat(argv[1]);
  tb_backend_close(&BE);
  return TEST_SUMMARY();
}
