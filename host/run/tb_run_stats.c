#include "tb_run_stats.h"

#include "tb_comm.h"
#include "tb_error.h"
#include "tb_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *STAGE[TB_ST_N] = {"validate", "hash",    "entities", "read",    "fetch", "compute",
                                  "write",    "draws",   "funding",  "market",  "network", "total"};

static const char *PHASE[TB_PH_N] = {"validate", "load", "deals", "markets", "policies", "network", "output"};

/* ---- peak memory by phase ---- */
static struct {
  pthread_t thread;
  atomic_int on, phase;
  double peak[TB_PH_N];         /* under lock: the sampler and phase switches both raise it */
  double hwm;                   /* VmHWM at the last switch */
  pthread_mutex_t lock;
} W = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- bytes through tb_comm by phase: the counter's growth between phase switches ---- */
static struct {
  int phase;
  tb_comm_bytes start, mark;
  int64_t sent[TB_PH_N];
} C;

static void comm_watch(void) {
  memset(&C, 0, sizeof C);
  tb_comm_bytes_get(&C.start);
  C.mark = C.start;
}

static void comm_switch(int phase) {
  tb_comm_bytes b;
  tb_comm_bytes_get(&b);
  C.sent[C.phase] += b.sent - C.mark.sent;
  C.mark = b, C.phase = phase;
}

static void comm_unwatch(tb_run_stats *S) {
  comm_switch(C.phase);
  memcpy(S->sent, C.sent, sizeof C.sent);
  S->busiest[0] = S->all[0] = C.mark.sent - C.start.sent;
  S->busiest[1] = C.mark.recv - C.start.recv;
  S->all[1] = C.mark.halo - C.start.halo;
}

static double status_kb(const char *key) {
  char line[128];
  double v = 0;
  FILE *f = fopen("/proc/self/status", "r");
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, strlen(key))) sscanf(line + strlen(key), "%lf", &v);
  if (f) fclose(f);
  return v * 1024.0;
}

static void raise_peak(int phase, double v) {
  pthread_mutex_lock(&W.lock);
  if (v > W.peak[phase]) W.peak[phase] = v;
  pthread_mutex_unlock(&W.lock);
}

static void *sampler(void *arg) {
  (void)arg;
  const struct timespec tick = {0, 10000000};
  while (atomic_load(&W.on)) {
    raise_peak(atomic_load(&W.phase), tb_resident_bytes());
    nanosleep(&tick, NULL);
  }
  return NULL;
}

int tb_run_stats_watch(void) {
  for (int i = 0; i < TB_PH_N; i++) W.peak[i] = 0;
  W.hwm = status_kb("VmHWM:");
  atomic_store(&W.phase, TB_PH_VALIDATE);
  comm_watch();
  atomic_store(&W.on, 1);
  if (pthread_create(&W.thread, NULL, sampler, NULL) != 0) {
    atomic_store(&W.on, 0);
    return TB_ERR(TB_ERR_INTERNAL, "cannot start the memory sampler thread");
  }
  return TB_OK;
}

/* The phase that raised the high-water mark held it: exact where the sampler may have missed it. */
static void close_phase(void) {
  const double hwm = status_kb("VmHWM:");
  if (hwm > W.hwm) raise_peak(atomic_load(&W.phase), hwm);
  W.hwm = hwm;
}

void tb_run_stats_phase(int phase) {
  if (!atomic_load(&W.on)) return;
  close_phase();
  comm_switch(phase);
  atomic_store(&W.phase, phase);
}

void tb_run_stats_unwatch(tb_run_stats *S) {
  if (!atomic_load(&W.on)) return;
  close_phase();
  atomic_store(&W.on, 0);
  pthread_join(W.thread, NULL);
  for (int i = 0; i < TB_PH_N; i++) S->peak[i] = W.peak[i];
  comm_unwatch(S);
}

void tb_run_stats_tally(tb_run_stats *S, const tb_deal_buffers *B) {
  for (int64_t d = 0; d < B->b.ndeal; d++) {
    S->status[B->status[d]]++;
    tb_kahan_add(&S->surplus, &S->surplus_c, B->surplus[d]);
  }
}

int tb_run_stats_reduce(tb_run_stats *S) {
  TB_CALL(tb_comm_allreduce_i64(S->status, 3, TB_OP_SUM));
  double total;
  TB_CALL(tb_comm_sum_compensated(S->surplus, S->surplus_c, &total));
  S->surplus = total;
  S->surplus_c = 0;
  TB_CALL(tb_comm_allreduce_f64(S->t, TB_ST_N, TB_OP_MAX)); /* the slowest rank sets the pace */
  TB_CALL(tb_comm_allreduce_f64(S->peak, TB_PH_N, TB_OP_MAX));
  TB_CALL(tb_comm_allreduce_i64(S->sent, TB_PH_N, TB_OP_MAX));
  TB_CALL(tb_comm_allreduce_i64(S->busiest, 2, TB_OP_MAX));
  TB_CALL(tb_comm_allreduce_i64(S->all, 2, TB_OP_SUM));
  return TB_OK;
}

/* MB = 10^6 bytes; by phase the busiest rank's in each, which need not be one rank */
static void print_comm(const tb_run_stats *S) {
  printf("  communication: %.3f MB sent by the busiest rank (%.3f MB received), %.3f MB in all; sent by phase (MB, "
         "busiest rank):", (double)S->busiest[0] / 1e6, (double)S->busiest[1] / 1e6, (double)S->all[0] / 1e6);
  for (int i = 0; i < TB_PH_N; i++) printf(" %s %.3f%s", PHASE[i], (double)S->sent[i] / 1e6, i + 1 < TB_PH_N ? "," : ";");
  printf(" halo fetches %.3f MB in all\n", (double)S->all[1] / 1e6);
}

void tb_run_stats_print(const tb_run_stats *S, const tb_input_dims *D, const tb_config *cfg,
                          const char *backend) {
  char a[32];
  const double n = (double)(D->M ? D->M : 1);
  printf("tradebal run: %lld deals, %lld parties, %lld entities on %d rank(s), backend %s\n",
         (long long)D->M, (long long)D->P, (long long)D->N, tb_comm_size(), backend);
  printf("  WIN_WIN      %12lld  (%5.1f%%)\n", (long long)S->status[0], 100.0 * (double)S->status[0] / n);
  printf("  REPAIRABLE   %12lld  (%5.1f%%)\n", (long long)S->status[1], 100.0 * (double)S->status[1] / n);
  printf("  NOT_WIN_WIN  %12lld  (%5.1f%%)\n", (long long)S->status[2], 100.0 * (double)S->status[2] / n);
  printf("  total surplus %.10e (USD millions, money-equivalent)\n", S->surplus);
  printf("  stage seconds:");
  for (int i = 0; i < TB_ST_N; i++) printf(" %s %.3f%s", STAGE[i], S->t[i], i + 1 < TB_ST_N ? "," : "\n");
  if (S->peak[TB_PH_VALIDATE] > 0) {
    printf("  peak memory by phase (GB, largest rank):");
    for (int i = 0; i < TB_PH_N; i++) printf(" %s %.3f%s", PHASE[i], S->peak[i] / 1073741824.0, i + 1 < TB_PH_N ? "," : "\n");
  }
  if (tb_comm_size() > 1) print_comm(S);
  /* pass 1 evaluates every deal, pass 2 runs each policy's cost and split on its values */
  printf("  throughput: %s deal passes/s in compute (%lld per deal: values, then each policy's split), ",
         tb_human(S->t[TB_ST_COMPUTE] > 0 ? (double)S->passes * (double)D->M / S->t[TB_ST_COMPUTE] : 0, a, sizeof a),
         (long long)S->passes);
  printf("%s deals/s end to end\n", tb_human(S->t[TB_ST_TOTAL] > 0 ? (double)D->M / S->t[TB_ST_TOTAL] : 0, a, sizeof a));
  printf("  output: %s\n", cfg->output_file);
  fflush(stdout);
}

/* Stage announcements for long runs: always with progress=always, and with progress=auto
 * when the input is large enough (1 GiB) that the early stages take noticeable time. */
int tb_loud_stages(const tb_config *cfg) {
  struct stat st;
  if (tb_comm_rank() != 0 || cfg->progress == 2) return 0;
  return cfg->progress == 1 || (stat(cfg->input_file, &st) == 0 && st.st_size >= ((off_t)1 << 30));
}

void tb_announce(int loud, const char *what) {
  if (!loud) return;
  fprintf(stderr, "[run] %s\n", what);
  fflush(stderr);
}
