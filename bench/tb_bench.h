/* The provenance header every benchmark prints first (nccl-tests style). */
#ifndef TB_BENCH_H
#define TB_BENCH_H

#include "tb_util.h"
#include "tb_version.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <time.h>

/* "# tradebal V TITLE benchmark, DATE" and "# host H (OS), cpu C, PARALLEL". */
static inline void tb_bench_header(const char *title, const char *parallel) {
  struct utsname u;
  char model[256], date[64];
  uname(&u);
  tb_cpu_model(model, sizeof model);
  time_t now = time(NULL);
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  printf("# tradebal %s %s benchmark, %s\n", TB_VERSION, title, date);
  printf("# host %s (%s %s), cpu %s, %s\n", u.nodename, u.sysname, u.release, model, parallel);
}

/* splitmix64 of k: the reproducible stream the synthetic benchmarks draw from. */
static inline uint64_t tb_bench_mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
/* A uniform double in (0, 1) from draw k. */
static inline double tb_bench_u01(uint64_t k) { return (double)(tb_bench_mix(k) >> 11) * 0x1p-53 + 0x1p-54; }

/* "N OpenMP threads" (or "1 thread" without OpenMP) and `suffix`, into buf. */
static inline void tb_bench_threads(char *buf, size_t n, const char *suffix) {
#ifdef _OPENMP
  snprintf(buf, n, "%d OpenMP threads%s", omp_get_max_threads(), suffix);
#else
  snprintf(buf, n, "1 thread%s", suffix);
#endif
}

/* One machine-readable row for bench/run_all: case, throughput and unit, the rate compared
 * with a ceiling (GB/s against "copy", GFLOP/s against "dgemm"; 0 and "-" for none), the
 * peer and the ratio peer time / tradebal time (0: not run), a note. */
static inline void tb_bench_row(const char *name, double thr, const char *unit, double rate, const char *ceiling,
                                const char *peer, double xpeer, const char *note) {
  printf("@row|%s|%.4g|%s|%.4g|%s|%s|%.3g|%s\n", name, thr, unit, rate, ceiling, peer, xpeer, note);
}

/* The machine's copy bandwidth: bytes read + written per second copying `bytes` with all
 * OpenMP threads, median of `reps` (at most 64) after first touch. 0 when out of memory. */
static inline double tb_bench_copy_bandwidth(size_t bytes, int reps) {
  const size_t n = bytes / sizeof(double);
  double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), t[64];
  reps = reps < 1 ? 1 : reps > 64 ? 64 : reps;
  if (!a || !b) {
    free(a), free(b);
    return 0.0;
  }
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) a[i] = (double)i, b[i] = 0.0;
  for (int r = 0; r < reps; r++) {
    const double t0 = tb_now();
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) b[i] = a[i];
    t[r] = tb_now() - t0;
  }
  const double check = b[n / 3]; /* keeps the copy from being optimised away */
  free(a), free(b);
  return check >= 0 ? 2.0 * (double)(n * sizeof(double)) / tb_median(t, reps) : 0.0;
}

#endif
