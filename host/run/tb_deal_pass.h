/* The two passes over every deal (MODEL.md sections 2-3, streamed in batches of run.batch_deals):
 * pass 1 evaluates values, status, surplus and bids (and every Monte Carlo draw's), pass 2 applies
 * every policy's import charge and writes the recommended policy's split. */
#ifndef TB_DEAL_PASS_H
#define TB_DEAL_PASS_H

#include "tb_config.h"
#include "tb_h5.h"
#include "tb_job.h"
#include "tb_run_state.h"
#include "tb_run_stats.h"

typedef struct {
  int pass;                   /* 1: values, status, market data; 2: every policy's split, the recommended written */
  tb_draw_tables *W;             /* pass 1 with draws */
  tb_deal_table *T;           /* pass 1 fills it */
  const tb_market_book *MB;   /* pass 2 */
  const tb_policy_result *res;
  int nres, best;
  double *charge;
  tb_contrib *c;                 /* [nres] */
  tb_run_result *M;    /* the state a safe point saves */
} tb_deal_pass;

/* One pass over this rank's batches in lockstep (collective I/O every batch); out may be NULL. */
int tb_deal_pass_run(tb_job *J, tb_h5 *out, const tb_config *cfg, tb_run_stats *S, tb_deal_pass *L);

#endif
