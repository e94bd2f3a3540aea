/* Deal-stage benchmark (MODEL.md sections 2-3, CPU backend): deals/s and GB/s of
 * compulsory bytes beside a copy bandwidth measured in the same run, and the ratio to
 * the NumPy peer on the same file. Prints a provenance header and one table. */
#include "tb_backend.h"
#include "tb_deal_file.h"
#include "tb_error.h"
#include "tb_validate.h"
#include "tb_bench.h"
#include "tb_util.h"
#include "tb_version.h"
#include "tb_comm.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

static double run_peer(const char *py, const char *peer, const char *input) {
  char cmd[8192], line[512];
  snprintf(cmd, sizeof cmd, "%s %s %s", py, peer, input);
  FILE *p = popen(cmd, "r");
  if (!p) return 0.0;
  double secs = 0.0;
  while (fgets(line, sizeof line, p)) {
    const char *c = strstr(line, "compute ");
    if (c) secs = atof(c + 8);
  }
  pclose(p);
  return secs;
}

static void provenance(const char *input, const tb_input_dims *D) {
  unsigned maj, min, rel;
  char par[64];
  H5get_libversion(&maj, &min, &rel);
  snprintf(par, sizeof par, "%d OpenMP threads, 1 rank", omp_get_max_threads());
  tb_bench_header("deal-stage", par);
  printf("# compiler gcc %s, flags %s, HDF5 %u.%u.%u\n", __VERSION__, TB_BENCH_FLAGS, maj, min, rel);
  printf("# input %s: %lld deals, %lld parties, %lld components, %lld flows, %lld entities\n", input,
         (long long)D->M, (long long)D->P, (long long)D->C, (long long)D->F, (long long)D->N);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tb_bench_deals INPUT [REPEATS] [PYTHON PEER]\n");
    return 2;
  }
  const char *input = argv[1];
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  reps = reps < 1 ? 1 : reps > 64 ? 64 : reps; /* timings are kept in a 64-slot array */
  tb_comm_init(&argc, &argv);
  tb_h5_quiet();
  tb_h5 f;
  tb_input_dims D;
  tb_entity_table E;
  tb_deal_buffers B;
  tb_backend be;
  memset(&B, 0, sizeof B);
  double tr = 0, tf = 0;
  int rc = tb_h5_open(&f, input);
  if (!rc) rc = tb_input_validate(&f, &D);
  tb_deal_params P = {TB_VALUE_EXPECTED, TB_SPLIT_NASH, TB_SCOPE_REPAIR, 0.5};
  if (!rc) rc = tb_entities_load(&f, &D, &P, &E);
  if (!rc) rc = tb_deals_read(&f, &D, &E, 0, D.M, NULL, &B, &tr, &tf);
  if (!rc) rc = tb_backend_open(&be, TB_BACKEND_CPU, 0, 0);
  if (rc) {
    tb_error_print("tb_bench_deals", 1);
    return rc;
  }
  tb_h5_close(&f);
  provenance(input, &D);
  /* compulsory bytes: every input array once, every entity row once, every output once */
  const double in_bytes = 8.0 * (D.M + 1) + 4.0 * D.M + 8.0 * D.M + 8.0 * D.P + 8.0 * (D.P + 1) +
                          1.0 * D.C + 8.0 * D.C + 8.0 * (D.C + 1) + 12.0 * D.F +
                          (double)sizeof(tb_entity_row) * D.N;
  const double out_bytes = 24.0 * D.P + 17.0 * D.M;
  const double bytes = in_bytes + out_bytes;
  double t[64];
  /* TB_BENCH_ABLATE=noflows (issue 25, a study, not a result): every component without cash
   * flows, so the stage runs everything but the flow loop; the time it saves bounds what any
   * faster flow loop (SIMD lanes over components included) could gain. */
  int64_t *noflows = NULL;
  if (getenv("TB_BENCH_ABLATE") && !strcmp(getenv("TB_BENCH_ABLATE"), "noflows")) {
    noflows = calloc((size_t)B.b.ncomp + 1, sizeof *noflows);
    if (noflows) B.b.flow_ptr = noflows;
    printf("# TB_BENCH_ABLATE=noflows: every component's cash flows removed (an ablation; outputs meaningless)\n");
  }
  tb_backend_deal_stage(&be, &P, &B.b); /* warm-up */
  for (int r = 0; r < reps; r++) {
    double t0 = tb_now();
    tb_backend_deal_stage(&be, &P, &B.b);
    t[r] = tb_now() - t0;
  }
  const double secs = tb_median(t, reps);
  const double bw = tb_bench_copy_bandwidth((size_t)1 << 30, 5);
  const double peer = argc > 4 ? run_peer(argv[3], argv[4], input) : 0.0;
  printf("# median of %d runs after one warm-up; compulsory bytes %.1f per deal; copy = bytes read+written\n",
         reps, bytes / (double)D.M);
  printf("| case | deals/s | GB/s compulsory | copy GB/s | fraction of copy | NumPy deals/s | x NumPy |\n");
  printf("|---|---|---|---|---|---|---|\n");
  printf("| deal stage, cpu, %d threads | %.4g | %.2f | %.2f | %.2f | %.4g | %.1f |\n",
         omp_get_max_threads(), (double)D.M / secs, bytes / secs / 1e9, bw / 1e9, bytes / secs / bw,
         peer > 0 ? (double)D.M / peer : 0.0, peer > 0 ? peer / secs : 0.0);
  tb_bench_row("deal stage (cpu)", (double)D.M / secs, "deals/s", bytes / secs / 1e9, "copy", "NumPy",
               peer > 0 ? peer / secs : 0.0, "");
  tb_deal_buffers_free(&B);
  tb_entities_free(&E);
  tb_backend_close(&be);
  tb_comm_finalize();
  return 0;
}
