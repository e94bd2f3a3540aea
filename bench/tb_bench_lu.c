/* Leontief LU benchmark (MODEL.md section 7): GFLOP/s of tradebal's factorisation of I - A
 * (LAPACKE dgetrf on OpenBLAS) against SciPy's lu_factor on the same matrix size in the
 * same run (bench/peers/scipy_lu.py). Usage: tb_bench_lu [S] [REPEATS] */
#include "tb_leontief.h"
#include "tb_bench.h"
#include "tb_util.h"
#include "tb_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

int main(int argc, char **argv) {
  const int64_t S = argc > 1 ? atoll(argv[1]) : 4000;
  int reps = argc > 2 ? atoi(argv[2]) : 3;
  reps = reps < 1 ? 1 : reps > 64 ? 64 : reps;
  double *A = malloc(sizeof(double) * (size_t)(S * S)), t[64];
  uint64_t z = 88172645463325252ULL;
  for (int64_t i = 0; i < S * S; i++) { /* xorshift: entries in [0, 0.9/S), so column sums < 0.9 */
    z ^= z << 13, z ^= z >> 7, z ^= z << 17;
    A[i] = (double)(z >> 11) * 0x1p-53 * 0.9 / (double)S;
  }
  for (int k = 0; k < reps; k++) {
    tb_leontief L;
    const double t0 = tb_now();
    if (tb_leontief_factor(&L, S, A, "bench")) return 1;
    t[k] = tb_now() - t0;
    tb_leontief_free(&L);
  }
  const double sec = tb_median(t, reps), flop = 2.0 / 3.0 * (double)S * (double)S * (double)S;
  char cmd[4200], line[256], par[128];
  snprintf(par, sizeof par, "OPENBLAS_NUM_THREADS=%s",
           getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "(default)");
  tb_bench_header("Leontief LU", par);
  printf("# S = %lld, median of %d factorisations; flop = 2/3 S^3 (plus the copy of I - A in tradebal's time)\n",
         (long long)S, reps);
  printf("%-34s %12s %12s %8s\n", "implementation", "seconds", "GFLOP/s", "ratio");
  printf("%-34s %12.4f %12.2f %8s\n", "tradebal (LAPACKE dgetrf)", sec, flop / sec * 1e-9, "1.00");
  snprintf(cmd, sizeof cmd, "%s %s/bench/peers/scipy_lu.py %lld %d", getenv("TB_PYTHON") ? getenv("TB_PYTHON") : "/usr/bin/python3",
           TB_SOURCE_DIR, (long long)S, reps);
  FILE *p = popen(cmd, "r");
  double ps = 0.0;
  while (p && fgets(line, sizeof line, p))
    if (!strncmp(line, "seconds ", 8)) ps = atof(line + 8);
  if (p) pclose(p);
  if (ps > 0)
    printf("%-34s %12.4f %12.2f %8.2f\n", "SciPy lu_factor (same BLAS)", ps, flop / ps * 1e-9, sec > 0 ? ps / sec : 0);
  printf("# ratio = peer seconds / tradebal seconds (> 1: tradebal is faster)\n");
  free(A);
  return 0;
}
