#include "tb_run_stats.h"

#include "tb_comm.h"
#include "tb_error.h"
#include "tb_util.h"

#include <stdio.h>
#include <sys/stat.h>

static const char *STAGE[TB_ST_N] = {"validate", "hash",    "entities", "read",    "fetch", "compute",
                                  "write",    "draws",   "funding",  "market",  "network", "total"};

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
  return TB_OK;
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
  /* two passes evaluate every deal: values and bids, then the recommended policy's split */
  printf("  throughput: %s deal evaluations/s in compute (%lld per deal), ",
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
