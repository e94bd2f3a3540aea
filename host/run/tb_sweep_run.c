/* `tradebal run` with a [sweep]: the input is validated once, then the ranks split into
 * scenario groups (MPI_Comm_split), each reads its deals once and runs its scenarios
 * (sections 3-8) from memory; one metrics row per scenario travels to rank 0. */
#include "tb_schema.h"
#include "tb_job.h"
#include "tb_pipeline.h"
#include "tb_run_state.h"
#include "tb_block.h"
#include "tb_ckpt.h"
#include "tb_error.h"
#include "tb_policy_file.h"
#include "tb_output.h"
#include "tb_sensitivity.h"
#include "tb_sweep_run.h"
#include "tb_sweep.h"
#include "tb_sweep_file.h"
#include "tb_util.h"
#include "tb_comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every scenario of this shard is a valid config, checked before any work. */
static int check_scenarios(const tb_config *cfg, const tb_sweep *SW, int64_t lo, int64_t hi) {
  int rc = TB_OK;
  tb_config *c = malloc(sizeof *c);
  if (!c) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  for (int64_t i = lo; i < hi && !rc; i++) {
    rc = tb_sweep_scenario(cfg, SW, i, c);
    if (!rc) rc = tb_config_check(c);
    if (rc) rc = TB_ERR(rc, "sweep scenario %lld: %s", (long long)i, tb_error_message());
  }
  free(c);
  return rc;
}

/* Groups: sweep.groups, or (0) as many as there are ranks and scenarios. Each group holds the
 * whole input, split over its ranks. */
static int group_count(const tb_config *cfg, int64_t nscen) {
  const int64_t size = tb_comm_world_size();
  int64_t g = cfg->sweep_groups ? cfg->sweep_groups : size;
  g = g > size ? size : g;
  g = g > nscen ? nscen : g;
  return (int)(g < 1 ? 1 : g);
}

typedef struct {
  int64_t index, best;
  double m[]; /* [C] */
} scenario_row;

/* A group's checkpoint: how many of its scenarios are done, and their rows (at its rank 0). */
static int save_rows(tb_ckpt *C, const char *rows, size_t row_bytes, int64_t done) {
  const int64_t n = tb_comm_rank() == 0 ? done * (int64_t)row_bytes : 0;
  const tb_ckpt_item items[2] = {{"scenarios", &done, sizeof done}, {"rows", rows, n}};
  return tb_ckpt_write(C, items, 2);
}

static int restore_rows(const tb_ckpt *C, char *rows, size_t row_bytes, int64_t n, int64_t *done) {
  if (!C->blob) return TB_OK;
  TB_CALL(tb_ckpt_get(C, "scenarios", done, sizeof *done));
  if (*done < 0 || *done > n) return TB_ERR(TB_ERR_INPUT, "%s: checkpoint counts %lld scenarios of %lld", C->dir,
                                             (long long)*done, (long long)n);
  return tb_ckpt_get(C, "rows", rows, tb_comm_rank() == 0 ? *done * (int64_t)row_bytes : 0);
}

/* This group's scenarios [g0, g1): rows at the group's rank 0, in scenario order. Each
 * scenario is a safe point, and the group writes its checkpoint once it is done, so a
 * stopped sweep resumes with only the unfinished scenarios. */
static int run_group(const tb_config *cfg, const tb_input_dims *D, const tb_sweep *SW, int64_t g0, int64_t g1,
                     int group, char *rows, size_t row_bytes, tb_run_stats *S, char *backend,
                     double *t_scen, tb_ckpt *ck, const char *sha, int64_t *done) {
  int rc = TB_OK, action = TB_CKPT_NO;
  tb_job J;
  tb_config *c = NULL;
  tb_run_result *R = NULL;
  const int talk = tb_comm_rank() == 0 && cfg->progress != 2;
  double last = 0; /* progress=auto: the first and last scenario, and at most one line per 5 s between */
  memset(&J, 0, sizeof J);
  J.in.id = -1;
  tb_ckpt_params cp;
  TB_GUARD(tb_run_ckpt_params(cfg, &cp));
  TB_GUARD(tb_ckpt_open(&cp, sha, ck));
  TB_GUARD(tb_comm_agree(restore_rows(ck, rows, row_bytes, g1 - g0, done)));
  TB_GUARD(tb_job_load(&J, cfg, D, 1, S, 0));
  snprintf(backend, 32, "%s", tb_backend_name(&J.be));
  TB_ALLOC(c, 1);
  for (int64_t i = g0 + *done; i < g1 && action != TB_CKPT_STOP; i++) {
    const double t = tb_now();
    TB_GUARD(tb_sweep_scenario(cfg, SW, i, c));
    c->progress = 2; /* one line per scenario instead of progress bars */
    TB_GUARD(tb_job_solve(&J, c, NULL, S, 0, &R));
    *t_scen += tb_now() - t;
    scenario_row *r = (scenario_row *)(rows + (size_t)(i - g0) * row_bytes);
    int best = 0;
    tb_run_result_metrics(R, r->m, &best);
    r->index = i, r->best = best;
    tb_run_result_free(R);
    R = NULL;
    const double now = tb_now();
    if (talk && (cfg->progress == 1 || i == g0 || i + 1 == g1 || now - last >= 5.0) && (last = now) > 0)
      fprintf(stderr, "[sweep] group %d: scenario %lld (%lld of %lld) in %.2f s, recommended %s\n", group,
              (long long)i, (long long)(i - g0 + 1), (long long)(g1 - g0), tb_now() - t,
              cfg->policy[best].name);
    *done = i - g0 + 1;
    TB_GUARD(tb_ckpt_due(ck, &action));
    if (action == TB_CKPT_SAVE) TB_GUARD(save_rows(ck, rows, row_bytes, *done));
  }
  if (action != TB_CKPT_SAVE) TB_GUARD(save_rows(ck, rows, row_bytes, *done));
  if (action == TB_CKPT_STOP) rc = TB_ERR_STOPPED; /* tb_sweep_run words the message */
done:
  tb_run_result_free(R);
  free(c);
  tb_job_close(&J);
  return rc;
}

/* t[0] the whole sweep, t[1] the slowest group's scenarios (the first one reads the deals). */
static void print_sweep(const tb_config *cfg, const tb_sweep_table *T, int groups, const double *t, const char *out) {
  if (tb_comm_rank() != 0) return;
  printf("tradebal sweep: %lld of %lld scenarios (shard %lld of %lld), %d parameter(s), %d group(s) of ranks\n",
         (long long)T->n, (long long)T->total, (long long)T->shard, (long long)T->shards, T->J, groups);
  printf("  seconds: total %.3f, scenarios %.3f (slowest group), %.4f per scenario\n", t[0], t[1],
         T->n ? t[0] / (double)T->n : 0.0);
  int64_t count[TB_MAX_POLICIES] = {0};
  for (int64_t i = 0; i < T->n; i++) count[T->best[i]]++;
  for (int q = 0; q < T->Q; q++)
    printf("  recommended %-14s in %lld scenario(s)\n", cfg->policy[q].name, (long long)count[q]);
  if (T->n == T->total) printf("  sensitivity: /sensitivity/spearman and /sensitivity/src [parameter, metric]\n");
  else printf("  shard only: join the shards with `tradebal merge` for the sensitivity\n");
  printf("  output: %s\n", out);
  fflush(stdout);
}

/* Rank 0 gathers every group's rows into T, by scenario index. */
static int gather_rows(const char *rows, int64_t nmine, size_t row_bytes, int64_t s0, tb_sweep_table *T) {
  int rc = TB_OK;
  int *dest = NULL;
  char *recv = NULL;
  int64_t nrecv = 0;
  TB_ALLOC(dest, nmine);
  for (int64_t i = 0; i < nmine; i++) dest[i] = 0;
  TB_GUARD(tb_comm_route(rows, dest, nmine, row_bytes, (void **)&recv, &nrecv));
  for (int64_t k = 0; k < nrecv; k++) {
    const scenario_row *r = (const scenario_row *)(recv + (size_t)k * row_bytes);
    const int64_t at = r->index - s0;
    T->index[at] = r->index, T->best[at] = r->best;
    memcpy(T->m + at * T->C, r->m, sizeof(double) * (size_t)T->C);
  }
done:
  free(dest), free(recv);
  return rc;
}

static int write_sweep(const tb_config *cfg, const tb_sweep_table *T, const char *backend, const char *sha) {
  int rc = TB_OK, have_sens = 0;
  tb_h5 o = {.id = -1}, none = {.id = -1};
  tb_sensitivity sens;
  char tmp[TB_PATH_MAX + 64];
  static char text[TB_CONFIG_TEXT_MAX];
  TB_CALL(tb_config_dump(cfg, text, sizeof text));
  TB_CALL(tb_output_tmpname(cfg->output_file, tmp, sizeof tmp));
  TB_GUARD(tb_comm_agree(tb_h5_create(&o, tmp)));
  o.schema = TB_FILE_SWEEP;
  if (T->n == T->total) { /* a shard alone has no sensitivity */
    TB_GUARD(tb_comm_agree(tb_sensitivity_compute(T->n, T->J, T->x, T->C, T->m, T->method == TB_SWEEP_OAT, &sens)));
    have_sens = 1;
  }
  TB_GUARD(tb_comm_agree(tb_sweep_table_write(&o, T, have_sens ? &sens : NULL)));
  TB_GUARD(tb_comm_agree(tb_write_root_attrs_text(&o, text, backend, sha, tb_comm_size())));
done:
  if (have_sens) tb_sensitivity_free(&sens);
  return tb_output_finish(&o, &none, tmp, cfg->output_file, 1, rc);
}

/* One message for a stopped sweep, however many groups stopped: how far it got. Collective. */
static int sweep_stopped(const tb_ckpt *C, int64_t mine, int64_t n) {
  char msg[TB_PATH_MAX + 256];
  TB_CALL(tb_comm_allreduce_i64(&mine, 1, TB_OP_SUM));
  snprintf(msg, sizeof msg, "sweep stopped with %lld of %lld scenarios done: checkpoint in %s; run again with "
           "--resume auto to continue (exit code 7: resubmit)", (long long)mine, (long long)n, C->dir);
  tb_error_adopt(TB_ERR_STOPPED, msg);
  return TB_ERR_STOPPED;
}

int tb_sweep_run(const tb_config *cfg) {
  int rc = TB_OK, groups = 1, split = 0;
  const double t0 = tb_now();
  tb_ckpt ck;
  int64_t done_rows = 0;
  memset(&ck, 0, sizeof ck);
  tb_sweep SW;
  tb_sweep_table T;
  tb_run_stats S;
  tb_input_dims D;
  char sha[65] = {0}, backend[32] = "none", *rows = NULL;
  double t[2] = {0, 0};
  int64_t s0, s1, nmine = 0;
  memset(&SW, 0, sizeof SW), memset(&T, 0, sizeof T), memset(&S, 0, sizeof S);
  TB_CALL(tb_sweep_build(cfg, &SW));
  tb_sweep_shard(SW.n, cfg->sweep_shard, cfg->sweep_shards, &s0, &s1);
  TB_GUARD(tb_comm_agree(check_scenarios(cfg, &SW, s0, s1)));
  TB_GUARD(tb_job_check_input(cfg, &D, sha, &S, tb_loud_stages(cfg)));
  groups = group_count(cfg, s1 - s0);
  const int color = (int)((int64_t)tb_comm_world_rank() * groups / tb_comm_world_size());
  const int64_t g0 = s0 + tb_block_lo(s1 - s0, color, groups), g1 = s0 + tb_block_lo(s1 - s0, color + 1, groups);
  const int C = cfg->npolicies * TB_POLICY_NCOL;
  const size_t row_bytes = sizeof(scenario_row) + sizeof(double) * (size_t)C;
  TB_GUARD(tb_comm_split(color));
  split = 1;
  if (tb_comm_rank() == 0) nmine = g1 - g0; /* the group's rank 0 keeps its rows */
  rows = calloc((size_t)(g1 - g0 ? g1 - g0 : 1), row_bytes);
  rc = rows ? run_group(cfg, &D, &SW, g0, g1, color, rows, row_bytes, &S, backend, &t[1], &ck, sha, &done_rows)
            : TB_ERR(TB_ERR_MEMORY, "out of memory for the scenario rows");
  const int unsplit = tb_comm_unsplit();
  split = 0;
  rc = tb_comm_agree(rc ? rc : unsplit);
  if (rc == TB_ERR_STOPPED) rc = sweep_stopped(&ck, nmine ? done_rows : 0, s1 - s0);
  if (rc) goto done;
  TB_GUARD(tb_comm_bcast(backend, sizeof backend, 0));
  TB_GUARD(tb_comm_agree(tb_sweep_table_alloc(&T, s1 - s0, SW.J, cfg->npolicies)));
  T.total = SW.n, T.shard = cfg->sweep_shard, T.shards = cfg->sweep_shards, T.method = cfg->sweep_method;
  for (int j = 0; j < SW.J; j++) snprintf(T.pname[j], sizeof T.pname[j], "%s", cfg->sweep[j].key);
  for (int q = 0; q < T.Q; q++) snprintf(T.qname[q], sizeof T.qname[q], "%s", cfg->policy[q].name);
  memcpy(T.x, SW.x + s0 * SW.J, sizeof(double) * (size_t)((s1 - s0) * SW.J));
  TB_GUARD(tb_comm_agree(gather_rows(rows, nmine, row_bytes, s0, &T)));
  TB_GUARD(write_sweep(cfg, &T, backend, sha));
  TB_GUARD(tb_comm_allreduce_f64(&t[1], 1, TB_OP_MAX));
  t[0] = tb_now() - t0;
  print_sweep(cfg, &T, groups, t, cfg->output_file);
  TB_GUARD(tb_ckpt_remove(&ck)); /* the output holds every row now */
done:
  if (split) tb_comm_unsplit();
  tb_ckpt_free(&ck);
  free(rows);
  tb_sweep_table_free(&T);
  tb_sweep_free(&SW);
  return rc;
}
