#include "tb_market_stage.h"

#include "tb_comm.h"
#include "tb_draws.h"
#include "tb_error.h"
#include "tb_impact_file.h"
#include "tb_policy_file.h"
#include "tb_stage_params.h"
#include "tb_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Safe points between blocks of a policy run's periods (checkpoint.period_block): res[i] is that run. */
typedef struct {
  tb_job *J;
  const tb_config *cfg;
  tb_run_result *M;
  int64_t i;
} part_ctx;

static int part_safe_point(void *vctx, int64_t periods, const void *state, int64_t bytes) {
  part_ctx *c = vctx;
  tb_run_result *M = c->M;
  const int Q = c->cfg->npolicies;
  char draw[48] = "";
  if (c->i >= Q) snprintf(draw, sizeof draw, " in draw %lld of %d", (long long)(c->i / Q), M->W.K);
  M->got.part = c->i, M->got.periods = periods, M->part_state = state, M->part_bytes = bytes;
  const int rc = tb_run_safe_point(c->J, c->cfg, M, "after period %lld of %lld of policy %s%s", (long long)periods,
                            (long long)c->J->D.T, c->cfg->policy[c->i % Q].name, draw);
  M->got.periods = 0, M->part_state = NULL;
  return rc;
}

/* The result and packed state of the run a checkpoint stopped between period blocks. */
static int restore_part(tb_job *J, const tb_config *cfg, tb_run_result *M, tb_policy_blocks *k, char **state) {
  k->from = M->from.periods, k->bytes = -1;
  TB_CALL(tb_run_restore_result(J->ck, cfg, &J->D, M->T.n, M->from.part, &M->res[M->from.part]));
  TB_CALL(tb_ckpt_get_alloc(J->ck, "part.state", (void **)state, &k->bytes));
  k->state = *state;
  return TB_OK;
}

/* Policy run res[i] over book MB, resumed inside when the checkpoint stopped it there. */
static int policy_run(tb_job *J, const tb_config *cfg, tb_run_result *M, const tb_market_book *MB, int64_t i) {
  int rc = TB_OK;
  part_ctx c = {J, cfg, M, i};
  tb_policy_blocks k = {cfg->ckpt_periods, J->ck ? part_safe_point : NULL, &c, 0, NULL, 0};
  char *state = NULL;
  if (M->from.periods && M->from.part == i) TB_GUARD(tb_comm_agree(restore_part(J, cfg, M, &k, &state)));
  TB_GUARD(tb_policy_run_blocks(MB, &cfg->policy[i % cfg->npolicies], &M->res[i], &k));
done:
  free(state);
  return rc;
}

/* Draw k's funding and policies over its deal table (the deterministic table with the draw's
 * bids, surpluses and statuses) and its epsilon; keeps each run's totals in res[Q * (k + 1) + p]. */
static int market_draw(tb_job *J, const tb_config *cfg, tb_run_result *M, int k, uint8_t *funded) {
  int rc = TB_OK;
  const tb_input_dims *D = &J->D;
  const int Q = cfg->npolicies;
  const int64_t first = (int64_t)Q * (k + 1), resumed = M->from.periods ? M->from.part : -1;
  const tb_draw_params DP = tb_draw_params_of(cfg);
  const tb_funding_params fp = tb_funding_params_of(cfg, D, 0); /* a draw writes no ranking */
  const int64_t o = (int64_t)k * M->W.n;
  tb_deal_table T = M->T;
  tb_funding F;
  tb_market_book MB;
  memset(&F, 0, sizeof F);
  memset(&MB, 0, sizeof MB);
  T.bid = M->W.bid + o, T.S = M->W.S + o, T.status = M->W.status + o, T.funded = funded;
  TB_GUARD(tb_funding_select(&T, &fp, &F));
  TB_GUARD(tb_market_book_build(&MB, &T, D->R, D->T, D->S, J->home, M->trade, M->trade + D->R * D->T,
                                tb_draw_epsilon(&DP, k, cfg->elasticity)));
  for (int64_t i = resumed >= first && resumed < first + Q ? resumed : first; i < first + Q; i++) {
    M->nall = (int)i + 1;
    TB_GUARD(policy_run(J, cfg, M, &MB, i));
    tb_policy_result_keep_totals(&M->res[i]);
  }
done:
  tb_draw_tables_release(&M->W, k, 0, M->W.n);
  tb_market_book_free(&MB);
  tb_funding_free(&F);
  return rc;
}

/* Section 8: levels of every run, WAR against `none`, the recommended policy. */
static int assess(const tb_config *cfg, tb_run_result *M) {
  int rc = TB_OK;
  const int Q = M->nres, K = M->W.K;
  const tb_assess_params P = tb_assess_params_of(cfg);
  double *y = NULL;
  TB_ALLOC(y, M->nall);
  for (int i = 0; i < M->nall; i++) y[i] = tb_level(&P, &M->res[i]);
  TB_GUARD(tb_assess(&P, Q, K, y, y + Q, &M->A));
  M->best = M->A.best;
done:
  free(y);
  return rc;
}

int tb_market_stage(tb_job *J, tb_h5 *out, const tb_config *cfg, tb_run_result *M, tb_run_stats *S, int loud) {
  int rc = TB_OK;
  uint8_t *funded = NULL;
  const tb_input_dims *D = &J->D;
  const int Q = cfg->npolicies, K = M->W.K;
  double t = tb_now();
  tb_run_stats_phase(TB_PH_MARKETS);
  tb_announce(loud, "funding development opportunities");
  const tb_funding_params fp = tb_funding_params_of(cfg, D, out != NULL); /* the ranking is an output only */
  TB_GUARD(tb_funding_select(&M->T, &fp, &M->F));
  if (out) TB_GUARD(tb_write_funding(out, D, &M->T, &M->F));
  S->t[TB_ST_FUNDING] += tb_now() - t;
  t = tb_now();
  tb_announce(loud, "running the trade policies");
  TB_GUARD(tb_market_book_build(&M->MB, &M->T, D->R, D->T, D->S, J->home, M->trade, M->trade + D->R * D->T,
                                cfg->elasticity));
  TB_ALLOC(M->res, (int64_t)Q * (K + 1));
  memset(M->res, 0, sizeof(tb_policy_result) * (size_t)Q * (size_t)(K + 1));
  for (int p = 0; p < M->from.policies; p++) { /* a resumed run's */
    TB_GUARD(tb_comm_agree(tb_run_restore_result(J->ck, cfg, D, M->T.n, p, &M->res[p])));
    M->nres = M->nall = p + 1;
  }
  if (tb_run_resuming(J)) TB_GUARD(tb_comm_agree(tb_run_restore_draws(J->ck, cfg, D, M)));
  for (int p = 0; p < Q; p++) {
    char prefix[128];
    M->nres = p + 1;
    M->nall = M->nall > p + 1 ? M->nall : p + 1;
    if (p >= M->from.policies) TB_GUARD(policy_run(J, cfg, M, &M->MB, p));
    snprintf(prefix, sizeof prefix, "/policies/%s", cfg->policy[p].name);
    if (out) TB_GUARD(tb_write_policy(out, D, prefix, &M->res[p], M->T.d0, M->T.n));
    if (p < M->from.policies) continue;
    M->got.policies = p + 1;
    TB_GUARD(tb_run_safe_point(J, cfg, M, "after policy %s", cfg->policy[p].name));
  }
  tb_market_book_compact(&M->MB); /* pass 2 reads premiums only */
  if (K) tb_announce(loud, "funding and policies of every draw");
  TB_ALLOC(funded, M->T.n);
  for (int k = (int)M->from.draws; k < K; k++) {
    TB_GUARD(market_draw(J, cfg, M, k, funded));
    M->got.draws = k + 1;
    TB_GUARD(tb_run_safe_point(J, cfg, M, "after the market of draw %d of %d", k + 1, K));
  }
  tb_announce(loud, "input-output impacts");
  if (!J->have_impact) TB_GUARD(tb_impact_model_read(&J->impact, &J->in, &J->be, D));
  J->have_impact = 1;
  if (out) TB_GUARD(tb_impact_model_write(&J->impact, out));
  TB_GUARD(tb_impacts(&J->impact, &J->be, cfg->substitution, M->res, M->nall)); /* every run, one factorisation */
  TB_GUARD(assess(cfg, M));
  if (out) TB_GUARD(tb_write_policy(out, D, "", &M->res[M->best], M->T.d0, M->T.n));
  if (out) TB_GUARD(tb_h5_attr_i64(out, "/regions", "home", J->home));
  S->t[TB_ST_MARKET] += tb_now() - t;
done:
  free(funded);
  return rc;
}
