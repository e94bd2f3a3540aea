/* One job's input, read once and reused by every run of it (a plain run, or every scenario
 * of a sweep), and the solver of sections 3-8 over it. Internal to `tradebal run`. */
#ifndef TB_JOB_H
#define TB_JOB_H

#include "tb_backend.h"
#include "tb_ckpt.h"
#include "tb_assess.h"
#include "tb_config.h"
#include "tb_deals_io.h"
#include "tb_dealtab.h"
#include "tb_h5.h"
#include "tb_validate.h"
#include "tb_io_impact.h"
#include "tb_network.h"

enum { ST_VALIDATE, ST_HASH, ST_ENTITIES, ST_READ, ST_FETCH, ST_COMPUTE, ST_WRITE, ST_DRAWS, ST_FUNDING, ST_MARKET,
       ST_NETWORK, ST_TOTAL, ST_N };

typedef struct {
  int64_t passes; /* deal evaluations per deal: 1 + one per policy */
  int64_t status[3];
  double surplus, surplus_c;
  double t[ST_N];
} tb_run_stats;

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
  tb_io_model io;     /* factored once */
  tb_network G;       /* loaded on first use */
  int have_io, have_net;
  tb_deal_table T;    /* this rank's deals for funding and the market; input columns read once */
  int T_read;
  int cache;          /* keep every batch of deals in memory after the first run reads it */
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

typedef struct tb_run_result tb_run_result;
/* Sections 3-8 under cfg. With out, writes every dataset of a run (the root attributes
 * aside); without, computes only. *R is the caller's to free. Collective. */
int tb_job_solve(tb_job *J, const tb_config *cfg, tb_h5 *out, tb_run_stats *S, int loud, tb_run_result **R);
/* The run's /policies/metrics rows, [Q * TB_POLICY_NCOL], and its recommended policy. */
void tb_run_result_metrics(const tb_run_result *R, double *rows, int *best);
void tb_run_result_print(const tb_run_result *R);
void tb_run_result_free(tb_run_result *R);

void tb_announce(int loud, const char *what);
int tb_loud_stages(const tb_config *cfg);
int tb_write_root_attrs(tb_h5 *o, const tb_config *cfg, const char *backend, const char *sha);

#endif
