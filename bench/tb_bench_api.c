/* libtradebal called directly from C: the floor the Python SDK's tradebal.evaluate() is compared with
 * (bench/tb_bench_sdk.py). Reads the section 1 arrays of an input file into memory (plain HDF5, outside the
 * timing), then times CALLS calls of what evaluate() asks of the library, tb_api_check followed by
 * tb_api_evaluate, each call timed on its own, after WARMUP untimed calls; and tb_api_evaluate alone, the same
 * way. Links the shared library the SDK loads (libtradebal.so), so both sides run the same code with the same
 * OpenMP threads (parameters threads = 0: OpenMP's default, as evaluate(threads=0)).
 *
 * Usage: tb_bench_api INPUT CALLS [WARMUP]
 * Prints a provenance header, then for each case one line
 *   @api|CASE|median_s|p95_s|min_s|calls
 * (CASE: check+evaluate, evaluate) that tb_bench_sdk.py reads. */
#include "tradebal.h"

#include "tb_bench.h"
#include "tb_util.h"

#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Dataset `name` of f read whole as `type` (NULL when absent and optional); *n gets its first dimension. */
static void *read_ds(hid_t f, const char *name, hid_t type, size_t elem, int optional, int64_t *n) {
  if (H5Lexists(f, name, H5P_DEFAULT) <= 0) {
    if (optional) return NULL;
    fprintf(stderr, "tb_bench_api: %s missing\n", name);
    exit(3);
  }
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT), s = H5Dget_space(d);
  hsize_t dims[2] = {0, 1};
  const int rank = H5Sget_simple_extent_dims(s, dims, NULL);
  const size_t count = (size_t)dims[0] * (rank > 1 ? (size_t)dims[1] : 1);
  void *buf = malloc(count ? count * elem : 1);
  if (!buf || H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
    fprintf(stderr, "tb_bench_api: cannot read %s\n", name);
    exit(3);
  }
  H5Sclose(s), H5Dclose(d);
  if (n) *n = (int64_t)dims[0];
  return buf;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median, 95th percentile (nearest rank) and minimum of t[0..n), sorted in place. */
static void report(const char *name, double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, cmp);
  const double med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
  int k = (int)(0.95 * n + 0.999999) - 1;
  k = k < 0 ? 0 : k >= n ? n - 1 : k;
  printf("@api|%s|%.6e|%.6e|%.6e|%d\n", name, med, t[k], t[0], n);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: tb_bench_api INPUT CALLS [WARMUP]\n");
    return 2;
  }
  const int calls = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
  const int warmup = argc > 3 ? atoi(argv[3]) : 1;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    fprintf(stderr, "tb_bench_api: cannot open %s\n", argv[1]);
    return 3;
  }
  tb_api_entities E;
  tb_api_deals D;
  memset(&E, 0, sizeof E), memset(&D, 0, sizeof D);
  int64_t n;
  E.type = read_ds(f, "/entities/type", H5T_NATIVE_UINT8, 1, 0, &E.n);
  E.weights = read_ds(f, "/entities/weights", H5T_NATIVE_DOUBLE, 8, 0, NULL);
  E.discount_rate = read_ds(f, "/entities/discount_rate", H5T_NATIVE_DOUBLE, 8, 0, NULL);
  E.risk_aversion = read_ds(f, "/entities/risk_aversion", H5T_NATIVE_DOUBLE, 8, 0, NULL);
  E.pay_cap = read_ds(f, "/entities/pay_cap", H5T_NATIVE_DOUBLE, 8, 0, NULL);
  E.bargaining_weight = read_ds(f, "/entities/bargaining_weight", H5T_NATIVE_DOUBLE, 8, 1, NULL);
  E.translation = read_ds(f, "/model/translation", H5T_NATIVE_DOUBLE, 8, 1, NULL);
  D.party_ptr = read_ds(f, "/deals/party_ptr", H5T_NATIVE_INT64, 8, 0, &n);
  D.n_deals = n - 1;
  D.party_entity = read_ds(f, "/deals/party_entity", H5T_NATIVE_INT64, 8, 0, &D.n_parties);
  D.importer = read_ds(f, "/deals/importer", H5T_NATIVE_INT32, 4, 0, NULL);
  D.trade_value = read_ds(f, "/deals/trade_value", H5T_NATIVE_DOUBLE, 8, 0, NULL);
  D.comp_ptr = read_ds(f, "/deals/comp_ptr", H5T_NATIVE_INT64, 8, 0, NULL);
  D.comp_dim = read_ds(f, "/deals/comp_dim", H5T_NATIVE_UINT8, 1, 0, &D.n_components);
  D.comp_prob = read_ds(f, "/deals/comp_prob", H5T_NATIVE_DOUBLE, 8, 0, NULL);
  D.flow_ptr = read_ds(f, "/deals/flow_ptr", H5T_NATIVE_INT64, 8, 0, NULL);
  D.flow_period = read_ds(f, "/deals/flow_period", H5T_NATIVE_INT32, 4, 0, &D.n_flows);
  D.flow_amount = read_ds(f, "/deals/flow_amount", H5T_NATIVE_DOUBLE, 8, 0, NULL);
  H5Fclose(f);

  const int64_t M = D.n_deals, P = D.n_parties;
  tb_api_results R = {malloc(8 * (size_t)(P ? P : 1)), malloc(8 * (size_t)(P ? P : 1)),
                      malloc(8 * (size_t)(P ? P : 1)), malloc((size_t)(M ? M : 1)), malloc(8 * (size_t)(M ? M : 1)),
                      malloc(8 * (size_t)(M ? M : 1))};
  double *t = malloc(sizeof *t * (size_t)calls);
  if (!R.value || !R.transfer || !R.final_value || !R.status || !R.surplus || !R.bid || !t) {
    fprintf(stderr, "tb_bench_api: out of memory\n");
    return 8;
  }
  const tb_api_params par = tb_api_params_default(); /* threads 0: OpenMP's default, as the SDK's */
  tb_api_error err;
  char threads[64];
  tb_bench_threads(threads, sizeof threads, ", libtradebal (shared) called from C");
  tb_bench_header("libtradebal API", threads);
  printf("# input %s: %lld deals, %lld parties, %lld components, %lld flows, %lld entities; %d timed calls after "
         "%d warm-up\n", argv[1], (long long)M, (long long)P, (long long)D.n_components, (long long)D.n_flows,
         (long long)E.n, calls, warmup);

  for (int pass = 0; pass < 2; pass++) { /* 0: check + evaluate (what tradebal.evaluate asks), 1: evaluate */
    for (int r = -warmup; r < calls; r++) {
      const double t0 = tb_now();
      if (pass == 0 && tb_api_check(&E, &D, &err)) {
        fprintf(stderr, "tb_bench_api: %s\n", err.message);
        return err.code;
      }
      if (tb_api_evaluate(&par, &E, &D, NULL, &R, &err)) {
        fprintf(stderr, "tb_bench_api: %s\n", err.message);
        return err.code;
      }
      if (r >= 0) t[r] = tb_now() - t0;
    }
    report(pass == 0 ? "check+evaluate" : "evaluate", t, calls);
  }
  /* a checksum, so the results are used (and comparable with the SDK's) */
  double sum = 0.0;
  for (int64_t i = 0; i < P; i++) sum += R.final_value[i];
  printf("# sum of final values %.17g\n", sum);
  return 0;
}
