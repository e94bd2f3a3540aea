#include "tb_pipeline.h"

#include "tb_comm.h"
#include "tb_deal_pass.h"
#include "tb_error.h"
#include "tb_market_stage.h"
#include "tb_network_stage.h"
#include "tb_policy_file.h"
#include "tb_run_state.h"

#include <stdlib.h>

static int solve(tb_job *J, const tb_config *cfg, tb_h5 *out, tb_run_stats *S, int loud, tb_run_result *M) {
  int rc = TB_OK;
  double *charge = NULL;
  M->T = J->T;
  M->trade = J->trade;
  TB_GUARD(tb_comm_agree(tb_draw_tables_alloc(&M->W, (int)cfg->draws, J->T.n, J->spill)));
  if (tb_run_resuming(J)) {
    TB_GUARD(tb_comm_agree(tb_ckpt_get(J->ck, "progress", &M->from, sizeof M->from)));
    M->got = M->from;
    M->got.periods = 0; /* the stopped policy run is the first to reach a safe point again */
    TB_GUARD(tb_comm_agree(tb_run_restore_tables(J->ck, M)));
  }
  tb_run_stats_phase(TB_PH_DEALS);
  tb_deal_pass L1 = {1, &M->W, &M->T, NULL, NULL, 0, 0, NULL, NULL, M};
  TB_GUARD(tb_comm_agree(tb_deal_pass_run(J, out, cfg, S, &L1)));
  TB_GUARD(tb_comm_agree(tb_market_stage(J, out, cfg, M, S, loud)));
  tb_run_stats_phase(TB_PH_POLICIES);
  tb_announce(loud, "applying the recommended policy to every deal");
  rc = tb_comm_agree((charge = malloc(sizeof(double) * (size_t)cfg->batch_deals)) ? TB_OK
                     : TB_ERR(TB_ERR_MEMORY, "out of memory for the import charges"));
  if (rc) goto done;
  rc = tb_comm_agree((M->contribs = calloc((size_t)M->nres, sizeof(tb_contrib))) ? TB_OK
                     : TB_ERR(TB_ERR_MEMORY, "out of memory"));
  if (rc) goto done;
  tb_draw_tables_free(&M->W); /* every draw's market ran: room for pass 2 */
  for (int p = 0; J->spill && p < M->nres; p++) TB_GUARD(tb_comm_agree(tb_contrib_spill(&M->contribs[p], J->spill, J->D.P)));
  if (tb_run_resuming(J)) TB_GUARD(tb_comm_agree(tb_run_restore_contribs(J->ck, M)));
  tb_deal_pass L2 = {2, &M->W, &M->T, &M->MB, M->res, M->nres, M->best, charge, M->contribs, M};
  S->passes = 1 + M->nres; /* pass 1's evaluation, then a split per policy */
  TB_GUARD(tb_comm_agree(tb_deal_pass_run(J, out, cfg, S, &L2)));
  tb_run_stats_phase(TB_PH_NETWORK);
  tb_announce(loud, "network spillovers");
  TB_GUARD(tb_comm_agree(tb_network_stage(J, out, cfg, M, S)));
  if (out) TB_GUARD(tb_comm_agree(tb_write_policy_table(out, cfg->seed, M->res, M->nres, &M->A)));
done:
  free(charge);
  return rc;
}

int tb_job_solve(tb_job *J, const tb_config *cfg, tb_h5 *out, tb_run_stats *S, int loud, tb_run_result **R) {
  *R = calloc(1, sizeof **R);
  if (!*R) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  return solve(J, cfg, out, S, loud, *R);
}

void tb_run_result_metrics(const tb_run_result *R, double *rows, int *best) {
  for (int p = 0; p < R->nres; p++) tb_policy_metrics_row(&R->res[p], &R->A, p, rows + p * TB_POLICY_NCOL);
  *best = R->best;
}

void tb_run_result_print(const tb_run_result *R) {
  tb_print_policies(R->res, R->nres, &R->A);
  tb_network_stage_print(R);
}

void tb_run_result_free(tb_run_result *R) {
  if (!R) return;
  tb_run_result_free_parts(R);
  free(R);
}
