/* Call-auction benchmark (MODEL.md section 5): the uniform-price certificate auctions of every
 * (period, region) market of a generated deal table, from unsorted bids to P*, as a policy run
 * clears them: the market book (bids sorted per market, running sums of m_d), then each
 * period's auctions. The NumPy peer (bench/peers/numpy_auction.py) clears the same markets
 * by lexsort + cumsum + vectorised bisection in the same run; the prices are compared.
 * Usage: tb_bench_auction [DEALS] [REGIONS] [PERIODS] [REPEATS] [PYTHON PEER] */
#include "tb_bench.h"
#include "tb_error.h"
#include "tb_policy_sim.h"
#include "tb_comm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#define EPSILON 1.5
#define FLOOR 0.0

/* Deals spread over R x T markets; bids exponential, m_d uniform in [1, 10). Per market the base
 * demand is 30% and the certificate supply 40% of its deals' m: every auction binds. */
static int make_markets(tb_deal_table *D, int64_t n, int64_t R, int64_t T, double *base, double *Q) {
  TB_CALL(tb_deal_table_alloc(D, n, 0));
  memset(Q, 0, sizeof(double) * (size_t)(R * T));
  for (int64_t i = 0; i < n; i++) {
    D->period[i] = (int32_t)(tb_bench_mix(4 * (uint64_t)i) % (uint64_t)T);
    D->imp[i] = (int32_t)(tb_bench_mix(4 * (uint64_t)i + 1) % (uint64_t)R);
    D->bid[i] = -log(tb_bench_u01(4 * (uint64_t)i + 2));
    D->m[i] = 1.0 + 9.0 * tb_bench_u01(4 * (uint64_t)i + 3);
    D->status[i] = 0, D->funded[i] = 1;
    Q[D->imp[i] * T + D->period[i]] += D->m[i];
  }
  for (int64_t k = 0; k < R * T; k++) base[k] = 0.3 * Q[k], Q[k] *= 0.4;
  return TB_OK;
}

/* Book and every period's auctions; P* of market (t, g) at Pstar[g * T + t]. */
static int clear_all(const tb_deal_table *D, int64_t R, int64_t T, const double *base, const double *Q,
                     double *Pstar) {
  int rc = TB_OK;
  tb_market_book B;
  int64_t *region = NULL;
  tb_auction *A = NULL;
  double *pairs = NULL, *P = NULL;
  TB_ALLOC(region, R);
  TB_ALLOC(A, R);
  TB_ALLOC(pairs, 2 * R);
  TB_ALLOC(P, R);
  TB_GUARD(tb_market_book_build(&B, D, R, T, 1, 0, base, base, EPSILON));
  for (int64_t t = 0; t < T && !rc; t++) {
    for (int64_t g = 0; g < R; g++) region[g] = g, A[g] = (tb_auction){Q[g * T + t], base[g * T + t], FLOOR, EPSILON};
    rc = tb_market_book_clear(&B, t, (int)R, region, A, pairs, P);
    for (int64_t g = 0; g < R; g++) Pstar[g * T + t] = P[g];
  }
  tb_market_book_free(&B);
done:
  free(region), free(A), free(pairs), free(P);
  return rc;
}

static int save(const char *dir, const char *name, const void *p, size_t bytes) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  const int ok = f && fwrite(p, 1, bytes, f) == bytes;
  if (f) fclose(f);
  return ok ? TB_OK : TB_ERR(TB_ERR_OUTPUT, "cannot write %s", path);
}

/* Runs the peer on the saved markets; its seconds, and the largest relative difference of its
 * prices from ours (finite prices; a disagreement on which are infinite counts as 1). */
static double run_peer(const char *py, const char *peer, const char *dir, int64_t n, int64_t R, int64_t T,
                       int reps, const double *Pstar, double *maxrel) {
  char cmd[8192], line[512];
  snprintf(cmd, sizeof cmd, "%s %s %s %lld %lld %lld %d %.17g %.17g", py, peer, dir, (long long)n, (long long)R,
           (long long)T, reps, EPSILON, FLOOR);
  FILE *p = popen(cmd, "r");
  double secs = 0.0;
  while (p && fgets(line, sizeof line, p))
    if (!strncmp(line, "compute ", 8)) secs = atof(line + 8);
  if (p) pclose(p);
  snprintf(cmd, sizeof cmd, "%s/peer_pstar.f64", dir);
  FILE *f = fopen(cmd, "rb");
  double x;
  *maxrel = -1.0;
  for (int64_t k = 0; f && k < R * T && fread(&x, sizeof x, 1, f) == 1; k++) {
    const double d = isinf(x) || isinf(Pstar[k]) ? (x == Pstar[k] ? 0.0 : 1.0)
                                                 : fabs(x - Pstar[k]) / fmax(fabs(Pstar[k]), 1e-300);
    *maxrel = fmax(*maxrel, d);
  }
  if (f) fclose(f);
  return secs;
}

int main(int argc, char **argv) {
  tb_comm_init(&argc, &argv);
  const int64_t n = argc > 1 ? atoll(argv[1]) : 10000000, R = argc > 2 ? atoll(argv[2]) : 16;
  const int64_t T = argc > 3 ? atoll(argv[3]) : 12;
  int reps = argc > 4 ? atoi(argv[4]) : 5;
  reps = reps < 1 ? 1 : reps > 64 ? 64 : reps;
  if (n < 1 || R < 1 || T < 1 || R * T > 1000000) {
    fprintf(stderr, "usage: tb_bench_auction [DEALS >= 1] [REGIONS] [PERIODS] [REPEATS] [PYTHON PEER]\n");
    return 2;
  }
  tb_deal_table D;
  double *base = malloc(sizeof(double) * (size_t)(R * T)), *Q = malloc(sizeof(double) * (size_t)(R * T));
  double *Pstar = malloc(sizeof(double) * (size_t)(R * T)), t[64];
  char dir[] = "/tmp/tb_bench_auction_XXXXXX";
  int rc = base && Q && Pstar ? make_markets(&D, n, R, T, base, Q) : TB_ERR(TB_ERR_MEMORY, "out of memory");
  if (!rc) rc = clear_all(&D, R, T, base, Q, Pstar); /* warm-up */
  for (int r = 0; r < reps && !rc; r++) {
    const double t0 = tb_now();
    rc = clear_all(&D, R, T, base, Q, Pstar);
    t[r] = tb_now() - t0;
  }
  if (rc) {
    tb_error_print("tb_bench_auction", 1);
    return rc;
  }
  char par[64];
  tb_bench_threads(par, sizeof par, ", 1 rank");
  tb_bench_header("call-auction", par);
  printf("# %lld deals in %lld regions x %lld periods; median of %d runs after a warm-up; epsilon %g, floor %g\n",
         (long long)n, (long long)R, (long long)T, reps, EPSILON, FLOOR);
  const double secs = tb_median(t, reps);
  double peer = 0.0, maxrel = -1.0;
  if (argc > 6 && mkdtemp(dir)) {
    rc = save(dir, "period.i32", D.period, sizeof(int32_t) * (size_t)n);
    if (!rc) rc = save(dir, "imp.i32", D.imp, sizeof(int32_t) * (size_t)n);
    if (!rc) rc = save(dir, "bid.f64", D.bid, sizeof(double) * (size_t)n);
    if (!rc) rc = save(dir, "m.f64", D.m, sizeof(double) * (size_t)n);
    if (!rc) rc = save(dir, "base.f64", base, sizeof(double) * (size_t)(R * T));
    if (!rc) rc = save(dir, "Q.f64", Q, sizeof(double) * (size_t)(R * T));
    if (!rc) peer = run_peer(argv[5], argv[6], dir, n, R, T, reps, Pstar, &maxrel);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fprintf(stderr, "tb_bench_auction: could not remove %s\n", dir);
  }
  printf("| case | seconds | deals/s | NumPy seconds | x NumPy | max rel. diff of P* |\n|---|---|---|---|---|---|\n");
  printf("| call auction (book + %lld auctions) | %.4f | %.4g | %.4f | %.2f | %.1e |\n", (long long)(R * T), secs,
         (double)n / secs, peer, peer > 0 ? peer / secs : 0.0, maxrel);
  char note[64];
  snprintf(note, sizeof note, "P* max rel. diff %.1e", maxrel);
  tb_bench_row("call auction", (double)n / secs, "deals/s", 0.0, "-", "NumPy sort-based clearing",
               peer > 0 ? peer / secs : 0.0, note);
  tb_deal_table_free(&D);
  free(base), free(Q), free(Pstar);
  tb_comm_finalize();
  return maxrel > 1e-9 ? 1 : 0;
}
