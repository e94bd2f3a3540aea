/* The draws' random numbers alone: MODEL.md section 8 perturbs every component's probability
 * in every draw with p exp(sigma_p z), z by Box-Muller from Philox4x32-10. This times
 * tb_draw_probs (the run's own function) over C components for K draws, and Philox alone over
 * the same counters, so run_all can state the end-to-end ceiling these fixed bits allow.
 * Usage: tb_bench_draws [COMPONENTS] [DRAWS] [REPEATS] */
#include "tb_bench.h"
#include "tb_draws.h"
#include "tb_rng.h"
#include "tb_util.h"

#include <stdio.h>
#include <stdlib.h>

static double time_probs(const tb_draw_params *P, int64_t nc, int k, const double *p, double *out) {
  const double t0 = tb_now();
  for (int d = 0; d < k; d++) tb_draw_probs(P, d, 0, nc, p, out);
  return tb_now() - t0;
}

/* The counters alone: the words folded into one value so the generator is not optimised away. */
static double time_philox(const tb_draw_params *P, int64_t nc, int k, double *out) {
  const double t0 = tb_now();
  for (int d = 0; d < k; d++) {
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < nc; c++) {
      const philox4x32_ctr_t x = tb_philox(P->seed, (uint64_t)c, (uint32_t)d, TB_DRAW_PROB);
      out[c] = (double)(x.v[0] ^ x.v[1] ^ x.v[2] ^ x.v[3]);
    }
  }
  return tb_now() - t0;
}

int main(int argc, char **argv) {
  const int64_t nc = argc > 1 ? atoll(argv[1]) : 11309748;
  const int k = argc > 2 ? atoi(argv[2]) : 8;
  int reps = argc > 3 ? atoi(argv[3]) : 3;
  reps = reps < 1 ? 1 : reps > 64 ? 64 : reps;
  double *p = malloc(sizeof(double) * (size_t)nc), *out = malloc(sizeof(double) * (size_t)nc);
  if (nc < 1 || k < 1 || !p || !out) return fprintf(stderr, "tb_bench_draws: bad sizes or out of memory\n"), 2;
  for (int64_t c = 0; c < nc; c++) p[c] = tb_bench_u01((uint64_t)c);
  const tb_draw_params P = {20261124, 0.2, 0.02, 0.2};
  char par[64];
  tb_bench_threads(par, sizeof par, "");
  tb_bench_header("draws' random numbers", par);
  printf("# %lld components x %d draws, sigma_p 0.2; median of %d runs\n", (long long)nc, k, reps);
  double tf[64], tp[64];
  for (int r = 0; r < reps; r++) tf[r] = time_probs(&P, nc, k, p, out), tp[r] = time_philox(&P, nc, k, out);
  const double f = tb_median(tf, reps), ph = tb_median(tp, reps), n = (double)nc * k;
  printf("%-44s %12s %12s\n", "case", "seconds", "per draw");
  printf("%-44s %12.3f %12.4f\n", "p exp(sigma_p z): Philox + log, sqrt, cos, exp", f, f / k);
  printf("%-44s %12.3f %12.4f\n", "Philox4x32-10 alone", ph, ph / k);
  char name[96], note[160];
  snprintf(name, sizeof name, "draws' random numbers (%lld components x %d draws)", (long long)nc, k);
  snprintf(note, sizeof note, "tb_draw_probs, %.3f s; Philox alone %.3f s, libm's log, sqrt, cos and exp the rest", f, ph);
  tb_bench_row(name, n / f, "normals/s", 0, "-", "-", 0, note);
  free(p), free(out);
  return 0;
}
