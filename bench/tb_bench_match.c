/* Certificate exchange benchmark: a generated stream of orders (default 10^7) over R
 * regions matched by the CDA engine (tb_cda_match, OpenMP over regions), as `tradebal match`
 * runs it after routing. Prints a provenance header and one table.
 * Usage: tb_bench_match [ORDERS] [REGIONS] [ENTITIES] [REPEATS] */
#include "tb_cda.h"
#include "tb_bench.h"
#include "tb_util.h"
#include "tb_version.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>


/* Orders arrive region by region (as after routing), in time order within a region:
 * prices lognormal around 1 with 2% spread in cents, quantities 1..100, 1% bad quantity. */
static void generate(tb_order *o, int64_t n, int64_t R, int64_t N, int64_t *seg) {
  for (int64_t r = 0; r <= R; r++) seg[r] = n * r / R;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const double z = sqrt(-2 * log(tb_bench_u01(4 * i))) * cos(2 * M_PI * tb_bench_u01(4 * i + 1));
    const uint64_t h = tb_bench_mix(4 * (uint64_t)i + 2);
    const double price = round(100.0 * exp(0.02 * z)) / 100.0;
    const double qty = h % 100 == 0 ? 0.0 : (double)(1 + (h >> 20) % 100);
    o[i] = (tb_order){i, (int64_t)(h % (uint64_t)N), qty, price, (double)i, (uint8_t)((h >> 40) & 1)};
  }
}

int main(int argc, char **argv) {
  const int64_t n = argc > 1 ? atoll(argv[1]) : 10000000, R = argc > 2 ? atoll(argv[2]) : 64;
  const int64_t N = argc > 3 ? atoll(argv[3]) : 100000;
  int reps = argc > 4 ? atoi(argv[4]) : 3;
  reps = reps < 1 ? 1 : reps > 64 ? 64 : reps;
  tb_order *o = malloc(sizeof(tb_order) * (size_t)n);
  int64_t *seg = malloc(sizeof(int64_t) * (size_t)(R + 1));
  uint8_t *st = malloc((size_t)n);
  double *filled = malloc(sizeof(double) * (size_t)n), *hold = malloc(sizeof(double) * (size_t)(N * R));
  tb_cda_result *res = calloc((size_t)R, sizeof *res);
  if (!o || !seg || !st || !filled || !hold || !res) return fprintf(stderr, "out of memory\n"), 8;
  generate(o, n, R, N, seg);

  char par[64];
  snprintf(par, sizeof par, "%d OpenMP threads", omp_get_max_threads());
  tb_bench_header("certificate-exchange (CDA)", par);
  printf("# stream: %lld orders, %lld regions, %lld entities (holdings 50 each), splitmix64; median of %d runs\n",
         (long long)n, (long long)R, (long long)N, reps);

  double t[64];
  int64_t trades = 0, rejected = 0;
  for (int k = 0; k < reps; k++) {
    for (int64_t i = 0; i < N * R; i++) hold[i] = 50.0;
    for (int64_t r = 0; r < R; r++) tb_cda_result_free(&res[r]);
    const double t0 = tb_now();
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t r = 0; r < R; r++)
      tb_cda_match(o + seg[r], seg[r + 1] - seg[r], hold + r * N, N, st + seg[r], filled + seg[r], &res[r]);
    t[k] = tb_now() - t0;
  }
  for (int64_t r = 0; r < R; r++) trades += res[r].ntrades;
  for (int64_t i = 0; i < n; i++) rejected += st[i] != 0;
  const double med = tb_median(t, reps);
  printf("%12s %10s %12s %12s %14s %16s\n", "orders", "regions", "trades", "rejected", "seconds", "orders/s");
  printf("%12lld %10lld %12lld %12lld %14.3f %16.4g\n", (long long)n, (long long)R, (long long)trades,
         (long long)rejected, med, (double)n / med);
  for (int64_t r = 0; r < R; r++) tb_cda_result_free(&res[r]);
  free(o), free(seg), free(st), free(filled), free(hold), free(res);
  return 0;
}
