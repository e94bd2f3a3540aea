/* One job's input, read once and reused by every run of it (a plain run, or every scenario
 * of a sweep). Internal to `tradebal run`. */
#ifndef TB_JOB_H
#define TB_JOB_H

#include "tb_backend.h"
#include "tb_ckpt.h"
#include "tb_config.h"
#include "tb_deal_file.h"
#include "tb_deal_table.h"
#include "tb_h5.h"
#include "tb_impact.h"
#include "tb_network.h"
#include "tb_run_stats.h"
#include "tb_validate.h"

/* A batch of deals kept in memory for later runs, with the remote entity rows it fetched. */
typedef struct {
  tb_deal_buffers B;
  tb_entity_row *remote;
  int64_t nremote;
} tb_batch_slot;

typedef struct {
  tb_h5 in;
  tb_input_dims D;
  tb_entity_table E;
  tb_backend be;
  int64_t home;
  double *trade;      /* base exports then base imports, [R*T] each */
  tb_impact_model impact; /* section 7's input-output model, factored once */
  tb_network G;       /* loaded on first use */
  int have_impact, have_net;
  tb_deal_table T;    /* this rank's deals for funding and the market; input columns read once */
  int T_read;
  int cache;          /* keep every batch of deals in memory after the first run reads it */
  const char *spill;  /* the scratch folder when the memory plan spills, else NULL */
  char spill_dir[TB_PATH_MAX];
  int64_t nbatch, ncached;
  tb_batch_slot *slot; /* [nbatch] with cache */
  tb_deal_buffers B;   /* the one reused buffer without cache */
  tb_ckpt *ck;         /* checkpoints at the run's safe points (NULL: none, e.g. a sweep's scenario) */
} tb_job;

/* Open, validate and hash the input and check the policies' regions against it, on the
 * current communicator; the file is closed again. */
int tb_job_check_input(const tb_config *cfg, tb_input_dims *D, char sha[65], tb_run_stats *S, int loud);
/* Everything a run needs that does not depend on the config's model values. Collective. */
int tb_job_load(tb_job *J, const tb_config *cfg, const tb_input_dims *D, int cache, tb_run_stats *S, int loud);
void tb_job_close(tb_job *J);
/* Batch k of this rank's deals (d0, n): read now, or (with the job's cache) kept from the first
 * run, its fetched entity rows put back behind the rank's own. Collective on a read. `values`: a
 * run's output holding pass 1's values, read instead of the components and flows where the
 * backend can use them (tb_deals_read); NULL reads everything. */
int tb_job_batch(tb_job *J, int64_t k, int64_t d0, int64_t n, tb_h5 *values, tb_deal_buffers **out,
                 tb_run_stats *S);

#endif
