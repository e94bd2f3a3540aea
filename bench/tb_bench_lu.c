/* Leontief LU benchmark (MODEL.md section 7): GFLOP/s of tradebal's factorisation of I - A on a
 * backend (cpu: LAPACKE dgetrf on OpenBLAS; cuda: cuSOLVER getrf) against the peer of that
 * backend in the same run: SciPy's lu_factor (bench/peers/scipy_lu.py) or CuPy's
 * (bench/peers/cupy_lu.py). tradebal's time starts from A in host memory: it includes forming
 * I - A, the column-sum check and, on a GPU, the upload; so do the SciPy row it is compared to (forming
 * I - A and checking column sums in NumPy) and the CuPy row (the upload).
 * Usage: tb_bench_lu [S] [REPEATS] [cpu|cuda] */
#include "tb_backend.h"
#include "tb_bench.h"
#include "tb_error.h"
#include "tb_leontief.h"
#include "tb_util.h"
#include "tb_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs a peer script; returns the value of its line `key <seconds>` (0 when absent). */
static double peer_seconds(const char *script, int64_t S, int reps, const char *key, char *note, size_t note_len) {
  char cmd[4200], line[256];
  snprintf(cmd, sizeof cmd, "%s %s/bench/peers/%s %lld %d", getenv("TB_PYTHON") ? getenv("TB_PYTHON") : "/usr/bin/python3",
           TB_SOURCE_DIR, script, (long long)S, reps);
  FILE *p = popen(cmd, "r");
  double sec = 0.0;
  const size_t k = strlen(key);
  while (p && fgets(line, sizeof line, p)) {
    if (!strncmp(line, key, k) && line[k] == ' ') sec = atof(line + k + 1);
    if (!strncmp(line, "skip:", 5) && note) snprintf(note, note_len, "%s", line);
  }
  if (p) pclose(p);
  return sec;
}

static void row(const char *name, double sec, double flop, double ours) {
  if (sec > 0) printf("%-40s %12.4f %12.2f %8.2f\n", name, sec, flop / sec * 1e-9, ours > 0 ? sec / ours : 0.0);
}

int main(int argc, char **argv) {
  const int64_t S = argc > 1 ? atoll(argv[1]) : 4000;
  int reps = argc > 2 ? atoi(argv[2]) : 3;
  const int gpu = argc > 3 && !strcmp(argv[3], "cuda");
  reps = reps < 1 ? 1 : reps > 64 ? 64 : reps;
  tb_backend be;
  if (tb_backend_open(&be, gpu ? TB_BACKEND_CUDA : TB_BACKEND_CPU, 0, 0)) {
    fprintf(stderr, "tb_bench_lu: %s\n", tb_error_message());
    return 1;
  }
  double *A = malloc(sizeof(double) * (size_t)(S * S)), t[65];
  uint64_t z = 88172645463325252ULL;
  for (int64_t i = 0; i < S * S; i++) { /* xorshift: entries in [0, 0.9/S), so column sums < 0.9 */
    z ^= z << 13, z ^= z >> 7, z ^= z << 17;
    A[i] = (double)(z >> 11) * 0x1p-53 * 0.9 / (double)S;
  }
  for (int k = 0; k <= reps; k++) { /* run 0 warms up (a GPU's handles and workspace) */
    tb_leontief L;
    const double t0 = tb_now();
    if (tb_leontief_factor(&L, &be, S, A, "bench")) {
      fprintf(stderr, "tb_bench_lu: %s\n", tb_error_message());
      return 1;
    }
    t[k] = tb_now() - t0;
    tb_leontief_free(&L);
  }
  const double sec = tb_median(t + 1, reps), flop = 2.0 / 3.0 * (double)S * (double)S * (double)S;
  char par[128], note[256] = "";
  snprintf(par, sizeof par, "backend %s; OPENBLAS_NUM_THREADS=%s", tb_backend_name(&be),
           getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "(default)");
  tb_bench_header("Leontief LU", par);
  printf("# S = %lld, median of %d factorisations after one warm-up; flop = 2/3 S^3\n", (long long)S, reps);
  printf("%-40s %12s %12s %8s\n", "implementation", "seconds", "GFLOP/s", "ratio");
  row(gpu ? "tradebal (cuSOLVER getrf, from host)" : "tradebal (LAPACKE dgetrf)", sec, flop, sec);
  double peer;
  if (gpu) {
    peer = peer_seconds("cupy_lu.py", S, reps, "seconds", note, sizeof note);
    row("CuPy lu_factor (from host)", peer, flop, sec);
    row("CuPy lu_factor (on device, for scale)", peer_seconds("cupy_lu.py", S, reps, "device_seconds", NULL, 0), flop,
        0);
  } else {
    peer = peer_seconds("scipy_lu.py", S, reps, "seconds", note, sizeof note);
    row("SciPy I - A, check, lu_factor (same BLAS)", peer, flop, sec);
    row("SciPy lu_factor alone (for scale)", peer_seconds("scipy_lu.py", S, reps, "factor_seconds", NULL, 0), flop,
        0);
  }
  char name[64], size[32];
  snprintf(name, sizeof name, "Leontief LU (%s)", gpu ? "cuda" : "cpu");
  snprintf(size, sizeof size, "S = %lld", (long long)S);
  tb_bench_row(name, flop / sec * 1e-9, "GFLOP/s", flop / sec * 1e-9, "dgemm", gpu ? "CuPy" : "SciPy",
               peer > 0 ? peer / sec : 0.0, size);
  if (note[0]) printf("# peer %s", note);
  printf("# ratio = peer seconds / tradebal seconds (> 1: tradebal is faster)\n");
  tb_backend_close(&be);
  free(A);
  return 0;
}
