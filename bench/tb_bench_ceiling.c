/* The machine's ceilings that bench/run_all compares every stage with, measured in the same
 * run: copy bandwidth (bytes read + written per second, all OpenMP threads) and DGEMM
 * GFLOP/s (OpenBLAS cblas_dgemm, n x n, all its threads). Usage: tb_bench_ceiling [MiB] [N] */
#include "tb_bench.h"

#ifdef TB_HAVE_LAPACKE
#include <cblas.h>
#endif
#include <stdio.h>
#include <stdlib.h>

#ifdef TB_HAVE_LAPACKE
/* Median GFLOP/s of 5 products C = A B after a warm-up; 0 when out of memory. */
static double dgemm_gflops(int n) {
  const size_t nn = (size_t)n * (size_t)n;
  double *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c), t[5];
  double rate = 0.0;
  if (a && b && c) {
    for (size_t i = 0; i < nn; i++) a[i] = 1.0 / (double)(1 + i % 7), b[i] = 1.0 / (double)(1 + i % 5);
    for (int r = -1; r < 5; r++) {
      const double t0 = tb_now();
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
      if (r >= 0) t[r] = tb_now() - t0;
    }
    rate = c[nn / 2] > 0 ? 2.0 * (double)n * (double)n * (double)n / tb_median(t, 5) / 1e9 : 0.0;
  }
  free(a), free(b), free(c);
  return rate;
}
#endif

int main(int argc, char **argv) {
  const long mib = argc > 1 ? atol(argv[1]) : 1024;
  const int n = argc > 2 ? atoi(argv[2]) : 4000;
  if (mib < 1 || n < 1) {
    fprintf(stderr, "usage: tb_bench_ceiling [MiB >= 1] [N >= 1]\n");
    return 2;
  }
  char par[64];
  tb_bench_threads(par, sizeof par, "");
  tb_bench_header("ceilings", par);
  const double copy = tb_bench_copy_bandwidth((size_t)mib << 20, 9);
  char note[64];
  snprintf(note, sizeof note, "%ld MiB arrays, median of 9", mib);
  printf("copy bandwidth          %10.2f GB/s (read + written; %s)\n", copy / 1e9, note);
  tb_bench_row("ceiling: copy bandwidth", copy / 1e9, "GB/s", copy / 1e9, "copy", "-", 0.0, note);
#ifdef TB_HAVE_LAPACKE
  const double g = dgemm_gflops(n);
  snprintf(note, sizeof note, "n = %d, median of 5", n);
  printf("DGEMM                   %10.2f GFLOP/s (%s)\n", g, note);
  tb_bench_row("ceiling: DGEMM", g, "GFLOP/s", g, "dgemm", "-", 0.0, note);
#endif
  return copy > 0 ? 0 : 1;
}
