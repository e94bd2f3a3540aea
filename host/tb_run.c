/* `tradebal run`: the per-deal stages of MODEL.md sections 2-3 over MPI ranks,
 * streamed in batches of deals so memory stays bounded by run.batch_deals. */
#include "tb_run.h"

#include "backend.h"
#include "tb_block.h"
#include "tb_deals_io.h"
#include "tb_error.h"
#include "tb_input.h"
#include "tb_util.h"
#include "tb_version.h"
#include "../mpi/tb_comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { ST_VALIDATE, ST_HASH, ST_ENTITIES, ST_READ, ST_FETCH, ST_COMPUTE, ST_WRITE, ST_TOTAL, ST_N };
static const char *STAGE[ST_N] = {"validate", "hash", "entities", "read", "fetch", "compute", "write", "total"};

typedef struct {
  int64_t status[3];
  double surplus, surplus_c;
  double t[ST_N];
} run_stats;

static int create_outputs(tb_h5 *o, const tb_input_dims *D) {
  const int64_t M = D->M, P = D->P;
  TB_CALL(tb_h5_new_dataset(o, "/deals/value", H5T_IEEE_F64LE, 1, &P));
  TB_CALL(tb_h5_new_dataset(o, "/deals/status", H5T_STD_U8LE, 1, &M));
  TB_CALL(tb_h5_new_dataset(o, "/deals/surplus", H5T_IEEE_F64LE, 1, &M));
  TB_CALL(tb_h5_new_dataset(o, "/deals/bid", H5T_IEEE_F64LE, 1, &M));
  TB_CALL(tb_h5_new_dataset(o, "/deals/transfer", H5T_IEEE_F64LE, 1, &P));
  TB_CALL(tb_h5_new_dataset(o, "/deals/final_value", H5T_IEEE_F64LE, 1, &P));
  return TB_OK;
}

static int write_batch(tb_h5 *o, const tb_deal_buffers *B) {
  const int64_t n = B->b.ndeal, np = B->b.nparty, d0 = n ? B->d0 : 0, p0 = np ? B->p0 : 0;
  TB_CALL(tb_h5_write(o, "/deals/value", H5T_NATIVE_DOUBLE, p0, np, B->value));
  TB_CALL(tb_h5_write(o, "/deals/status", H5T_NATIVE_UINT8, d0, n, B->status));
  TB_CALL(tb_h5_write(o, "/deals/surplus", H5T_NATIVE_DOUBLE, d0, n, B->surplus));
  TB_CALL(tb_h5_write(o, "/deals/bid", H5T_NATIVE_DOUBLE, d0, n, B->bid));
  TB_CALL(tb_h5_write(o, "/deals/transfer", H5T_NATIVE_DOUBLE, p0, np, B->transfer));
  TB_CALL(tb_h5_write(o, "/deals/final_value", H5T_NATIVE_DOUBLE, p0, np, B->final_value));
  return TB_OK;
}

static void tally(run_stats *S, const tb_deal_buffers *B) {
  for (int64_t d = 0; d < B->b.ndeal; d++) {
    S->status[B->status[d]]++;
    tb_kahan_add(&S->surplus, &S->surplus_c, B->surplus[d]);
  }
}

static int write_root_attrs(tb_h5 *o, const tb_config *cfg, const char *backend, const char *sha) {
  char cfgtext[16384], created[32];
  time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  TB_CALL(tb_comm_bcast(created, sizeof created, 0)); /* one timestamp for all ranks */
  TB_CALL(tb_config_dump(cfg, cfgtext, sizeof cfgtext));
  TB_CALL(tb_h5_attr_str(o, "/", "software", "tradebal"));
  TB_CALL(tb_h5_attr_str(o, "/", "version", TB_VERSION));
  TB_CALL(tb_h5_attr_i64(o, "/", "format_version", TB_FORMAT_VERSION));
  TB_CALL(tb_h5_attr_str(o, "/", "created", created));
  TB_CALL(tb_h5_attr_str(o, "/", "config", cfgtext));
  TB_CALL(tb_h5_attr_str(o, "/", "backend", backend));
  TB_CALL(tb_h5_attr_i64(o, "/", "ranks", tb_comm_size()));
  TB_CALL(tb_h5_attr_str(o, "/", "input_sha256", sha));
  return TB_OK;
}

static void print_summary(const run_stats *S, const tb_input_dims *D, const tb_config *cfg,
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
  for (int i = 0; i < ST_N; i++) printf(" %s %.3f%s", STAGE[i], S->t[i], i + 1 < ST_N ? "," : "\n");
  printf("  throughput: %s deals/s in compute, ",
         tb_human(S->t[ST_COMPUTE] > 0 ? (double)D->M / S->t[ST_COMPUTE] : 0, a, sizeof a));
  printf("%s deals/s end to end\n", tb_human(S->t[ST_TOTAL] > 0 ? (double)D->M / S->t[ST_TOTAL] : 0, a, sizeof a));
  printf("  output: %s\n", cfg->output_file);
  fflush(stdout);
}

static int deal_loop(tb_h5 *in, tb_h5 *out, const tb_input_dims *D, const tb_config *cfg,
                     tb_backend *be, tb_entity_table *E, run_stats *S) {
  int rc = TB_OK;
  const int rank = tb_comm_rank(), size = tb_comm_size();
  const int64_t lo = tb_block_lo(D->M, rank, size), hi = tb_block_lo(D->M, rank + 1, size);
  const int64_t bs = cfg->batch_deals;
  int64_t nb = (hi - lo + bs - 1) / bs;
  tb_deal_buffers B;
  memset(&B, 0, sizeof B);
  tb_progress prog;
  tb_progress_start(&prog, "run", rank == 0 ? (cfg->progress == 0 ? 1 : cfg->progress == 1 ? 2 : 0) : 0);
  TB_GUARD(tb_comm_allreduce_i64(&nb, 1, TB_OP_MAX)); /* lockstep: collective I/O every batch */
  for (int64_t k = 0; k < nb; k++) {
    int64_t d0 = lo + k * bs, n = hi - d0;
    n = n < 0 ? 0 : n > bs ? bs : n;
    TB_GUARD(tb_deals_read(in, D, E, n ? d0 : 0, n, &B, &S->t[ST_READ], &S->t[ST_FETCH]));
    double t0 = tb_now();
    if (n) TB_GUARD(be->ops->deal_stage(be, &cfg->deal, &B.b));
    double t1 = tb_now();
    TB_GUARD(write_batch(out, &B));
    S->t[ST_COMPUTE] += t1 - t0;
    S->t[ST_WRITE] += tb_now() - t1;
    tally(S, &B);
    /* batches run in lockstep, so rank 0's fraction is the whole run's */
    tb_progress_update(&prog, (double)(k + 1) / (double)nb * (double)D->M, (double)D->M, "deals");
  }
done:
  tb_deal_buffers_free(&B);
  return rc;
}

static int reduce_stats(run_stats *S) {
  TB_CALL(tb_comm_allreduce_i64(S->status, 3, TB_OP_SUM));
  double total;
  TB_CALL(tb_comm_sum_compensated(S->surplus, S->surplus_c, &total));
  S->surplus = total;
  S->surplus_c = 0;
  TB_CALL(tb_comm_allreduce_f64(S->t, ST_N, TB_OP_MAX)); /* the slowest rank sets the pace */
  return TB_OK;
}

/* Stage announcements for long runs: always with progress=always, and with progress=auto
 * when the input is large enough (1 GiB) that the early stages take noticeable time. */
static int loud_stages(const tb_config *cfg) {
  struct stat st;
  if (tb_comm_rank() != 0 || cfg->progress == 2) return 0;
  return cfg->progress == 1 || (stat(cfg->input_file, &st) == 0 && st.st_size >= ((off_t)1 << 30));
}

static void announce(int loud, const char *what) {
  if (!loud) return;
  fprintf(stderr, "[run] %s\n", what);
  fflush(stderr);
}

int tb_run(const tb_config *cfg) {
  int rc = TB_OK, have_out = 0;
  run_stats S;
  memset(&S, 0, sizeof S);
  const double t_start = tb_now();
  tb_h5 in = {.id = -1}, out = {.id = -1};
  tb_input_dims D;
  tb_entity_table E;
  tb_backend be;
  memset(&E, 0, sizeof E);
  memset(&be, 0, sizeof be);
  char tmp[TB_PATH_MAX + 64], sha[65] = {0};

  TB_CALL(tb_config_check(cfg));
  TB_CALL(tb_output_check(cfg->input_file, cfg->output_file, cfg->overwrite));
  if (tb_comm_rank() == 0) {
    char text[16384];
    TB_CALL(tb_config_dump(cfg, text, sizeof text));
    printf("# resolved configuration\n%s\n", text);
    fflush(stdout);
  }
  const int loud = loud_stages(cfg);
  rc = tb_comm_agree(tb_h5_open(&in, cfg->input_file));
  if (rc) return rc;
  /* rank 0 hashes the input (input_sha256) while every rank validates it */
  tb_hash_job hash = {0};
  if (tb_comm_rank() == 0) tb_sha256_start(&hash, cfg->input_file);
  announce(loud, "validating the input (and hashing it on rank 0)");
  double t = tb_now();
  rc = tb_input_validate(&in, &D);
  S.t[ST_VALIDATE] = tb_now() - t;
  t = tb_now();
  if (tb_comm_rank() == 0) {
    int h = tb_sha256_finish(&hash, rc != 0);
    if (!rc) rc = h;
    memcpy(sha, hash.hex, sizeof sha);
  }
  S.t[ST_HASH] = tb_now() - t; /* only the part hashing outlasted validation */
  TB_GUARD(tb_comm_agree(rc));
  TB_GUARD(tb_comm_bcast(sha, sizeof sha, 0));
  TB_GUARD(tb_comm_agree(tb_backend_open(&be, cfg->backend_kind, cfg->threads, tb_comm_local_rank())));
  announce(loud, "loading entities");
  t = tb_now();
  TB_GUARD(tb_comm_agree(tb_entities_load(&in, &D, &cfg->deal, &E)));
  S.t[ST_ENTITIES] = tb_now() - t;

  TB_GUARD(tb_output_tmpname(cfg->output_file, tmp, sizeof tmp));
  TB_GUARD(tb_comm_agree(tb_h5_create(&out, tmp)));
  have_out = 1;
  TB_GUARD(tb_comm_agree(create_outputs(&out, &D)));
  TB_GUARD(tb_comm_agree(deal_loop(&in, &out, &D, cfg, &be, &E, &S)));
  TB_GUARD(tb_comm_agree(write_root_attrs(&out, cfg, be.ops->name, sha)));
done:
  if (out.id >= 0) {
    int c = tb_h5_close(&out);
    if (!rc) rc = c;
  }
  if (in.id >= 0) tb_h5_close(&in);
  rc = tb_comm_agree(rc);
  if (have_out) {
    int c = tb_output_commit(tmp, cfg->output_file, rc);
    if (!rc) rc = c;
  }
  tb_entities_free(&E);
  const char *backend_name = be.ops ? be.ops->name : "none";
  tb_backend_close(&be);
  if (rc) return rc;
  S.t[ST_TOTAL] = tb_now() - t_start;
  TB_CALL(reduce_stats(&S));
  if (tb_comm_rank() == 0) print_summary(&S, &D, cfg, backend_name);
  return TB_OK;
}
