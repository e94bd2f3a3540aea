/* GPU deal-stage benchmark (issue 3): the CUDA kernel on device-resident data and the
 * streamed backend (from host memory, transfers included), in deals/s and GB/s of
 * compulsory bytes, beside a device-to-device copy bandwidth measured in the same run,
 * the CPU backend, and the CuPy peer on the same deals. Needs no HDF5: the deals are
 * synthetic (host/math/tb_synth.h). Usage: tb_bench_gpu_deals [DEALS] [REPEATS] [PYTHON PEER] */
#include "tb_backend.h"
#include "tb_error.h"
#include "tb_synth.h"
#include "tb_util.h"
#include "tb_version.h"

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int tb_cuda_device_count(void);
double tb_cuda_time_resident(const tb_deal_params *P, const tb_deal_batch *B, int reps);
double tb_cuda_copy_bandwidth(size_t bytes, int reps);
void tb_cuda_device_name(char *buf, int size);

static double time_stage(tb_backend *be, const tb_deal_params *P, tb_deal_batch *B, int reps) {
  double t[64];
  tb_backend_deal_stage(be, P, B); /* warm-up */
  for (int r = 0; r < reps; r++) {
    double t0 = tb_now();
    tb_backend_deal_stage(be, P, B);
    t[r] = tb_now() - t0;
  }
  return tb_median(t, reps);
}

/* One array as a NumPy .npy file (format 1.0) for the CuPy peer. */
static int write_npy(const char *dir, const char *name, const char *descr, const void *data,
                     size_t elem, int64_t n, int64_t cols) {
  char path[4096], hdr[128];
  snprintf(path, sizeof path, "%s/%s.npy", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  int len = cols > 1 ? snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%lld, %lld), }", descr, (long long)n, (long long)cols)
                     : snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%lld,), }", descr, (long long)n);
  int total = (10 + len + 1 + 63) / 64 * 64;
  unsigned short hl = (unsigned short)(total - 10);
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fwrite(&hl, 2, 1, f);
  fwrite(hdr, 1, (size_t)len, f);
  for (int i = 10 + len; i < total - 1; i++) fputc(' ', f);
  fputc('\n', f);
  fwrite(data, elem, (size_t)(n * cols), f);
  return fclose(f);
}

static double run_peer(const char *py, const char *peer, const tb_synth *x) {
  char dir[] = "/tmp/tb_gpu_peer_XXXXXX", cmd[8192], line[512];
  if (!mkdtemp(dir)) return 0.0;
  const tb_deal_batch *B = &x->b;
  /* entity rows as [n, 8] doubles: f0..f3, disc, rho1, cap, beta */
  write_npy(dir, "rows", "<f8", B->rows, 8, B->nrows, 8);
  write_npy(dir, "party_ptr", "<i8", B->party_ptr, 8, B->ndeal + 1, 1);
  write_npy(dir, "party_row", "<i8", B->party_row, 8, B->nparty, 1);
  write_npy(dir, "importer", "<i4", B->importer, 4, B->ndeal, 1);
  write_npy(dir, "trade_value", "<f8", B->trade_value, 8, B->ndeal, 1);
  write_npy(dir, "comp_ptr", "<i8", B->comp_ptr, 8, B->nparty + 1, 1);
  write_npy(dir, "comp_dim", "|u1", B->comp_dim, 1, B->ncomp, 1);
  write_npy(dir, "comp_prob", "<f8", B->comp_prob, 8, B->ncomp, 1);
  write_npy(dir, "flow_ptr", "<i8", B->flow_ptr, 8, B->ncomp + 1, 1);
  write_npy(dir, "flow_period", "<i4", B->flow_period, 4, B->nflow, 1);
  write_npy(dir, "flow_amount", "<f8", B->flow_amount, 8, B->nflow, 1);
  snprintf(cmd, sizeof cmd, "%s %s %s", py, peer, dir);
  FILE *p = popen(cmd, "r");
  double secs = 0.0;
  while (p && fgets(line, sizeof line, p)) {
    const char *c = strstr(line, "compute ");
    if (c) secs = atof(c + 8);
    fputs(line, stderr);
  }
  if (p) pclose(p);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
  return secs;
}

int main(int argc, char **argv) {
  const int64_t M = argc > 1 ? atoll(argv[1]) : 10000000;
  int reps = argc > 2 ? atoi(argv[2]) : 7;
  reps = reps < 1 ? 1 : reps > 64 ? 64 : reps; /* timings are kept in a 64-slot array */
  if (tb_cuda_device_count() <= 0) {
    printf("skip: no CUDA device\n");
    return 77;
  }
  tb_synth x;
  tb_synth_batch(&x, M, 0, M / 10 > 300 ? M / 10 : 300);
  tb_deal_batch *B = &x.b;
  tb_deal_params P = {TB_VALUE_EXPECTED, TB_SPLIT_NASH, TB_SCOPE_REPAIR, 0.5};
  tb_backend cpu, gpu;
  if (tb_backend_open(&cpu, TB_BACKEND_CPU, 0, 0) || tb_backend_open(&gpu, TB_BACKEND_CUDA, 0, 0)) {
    tb_error_print("tb_bench_gpu_deals", 1);
    return 5;
  }
  const double bytes = 8.0 * (B->ndeal + 1) + 12.0 * B->ndeal + 16.0 * B->nparty + 8.0 +
                       9.0 * B->ncomp + 8.0 * (B->ncomp + 1) + 12.0 * B->nflow +
                       (double)sizeof(tb_entity_row) * B->nrows + 24.0 * B->nparty + 17.0 * B->ndeal;
  const double t_res = tb_cuda_time_resident(&P, B, reps);
  const double t_str = time_stage(&gpu, &P, B, reps);
  const double t_cpu = time_stage(&cpu, &P, B, reps > 3 ? 3 : reps);
  const double bw = tb_cuda_copy_bandwidth((size_t)1 << 31, reps);
  const double t_peer = argc > 4 ? run_peer(argv[3], argv[4], &x) : 0.0;
  char dev[256];
  tb_cuda_device_name(dev, sizeof dev);
  time_t now = time(NULL);
  char date[64];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  printf("# tradebal %s GPU deal-stage benchmark, %s\n# device %s; synthetic deals: %lld deals, %lld "
         "parties, %lld components, %lld flows, %lld entities\n# median of %d runs after a warm-up; "
         "compulsory bytes %.1f per deal; copy = device-to-device, bytes read + written\n",
         TB_VERSION, date, dev, (long long)B->ndeal, (long long)B->nparty, (long long)B->ncomp,
         (long long)B->nflow, (long long)B->nrows, reps, bytes / (double)B->ndeal);
  printf("| case | deals/s | GB/s compulsory | D2D copy GB/s | fraction of copy | x CuPy |\n|---|---|---|---|---|---|\n");
  const char *names[3] = {"cuda kernel, device-resident", "cuda backend, streamed from host", "cpu backend"};
  const double secs[3] = {t_res, t_str, t_cpu};
  for (int i = 0; i < 3; i++)
    printf("| %s | %.4g | %.1f | %.0f | %.2f | %.2f |\n", names[i], (double)B->ndeal / secs[i],
           bytes / secs[i] / 1e9, bw / 1e9, bytes / secs[i] / bw, t_peer > 0 ? t_peer / secs[i] : 0.0);
  /* rows for bench/run_all: the fraction is of the device's own copy bandwidth */
  const char *rows[2] = {"deal stage (cuda, device-resident)", "deal stage (cuda, streamed from host)"};
  for (int i = 0; i < 2; i++)
    printf("@row|%s|%.4g|deals/s|%.4g|device copy|CuPy|%.3g|\n", rows[i], (double)B->ndeal / secs[i],
           bytes / secs[i] / bw, t_peer > 0 ? t_peer / secs[i] : 0.0);
  if (t_peer > 0) printf("| cupy peer | %.4g | %.1f | | | 1.00 |\n", (double)B->ndeal / t_peer, bytes / t_peer / 1e9);
  tb_backend_close(&cpu);
  tb_backend_close(&gpu);
  tb_synth_free(&x);
  return 0;
}
