/* A run's state between its stages, and what of it a checkpoint holds: the units a resumed run
 * skips, the draw tables, every policy run's results, pass 2's direct values (docs/user-guide.md,
 * "Checkpoint and restart"; the file format is host/io/tb_ckpt.c). */
#ifndef TB_RUN_STATE_H
#define TB_RUN_STATE_H

#include "tb_assess.h"
#include "tb_ckpt.h"
#include "tb_config.h"
#include "tb_funding.h"
#include "tb_job.h"
#include "tb_network.h"
#include "tb_policy_sim.h"
#include "tb_spill.h"

#include <stdint.h>

/* A policy's direct values by entity, in deal order: (entity, V'') of every party of a traded deal. */
typedef struct {
  int64_t entity;
  double value;
} tb_direct_item;

typedef struct {
  int64_t n, cap;
  tb_direct_item *v;
  tb_spill f;       /* spilled: v is this mapping, cap fixed (the input's parties) */
  int64_t released; /* items handed back to the page cache so far */
} tb_contrib;

/* Section 8: what funding and the market need of every deal in every draw, [K * n] each
 * (draw k of local deal i at k * n + i); the rest of a deal's table does not change. */
typedef struct {
  int K;
  int64_t n;
  double *bid, *S;
  uint8_t *status;
  tb_spill f; /* spilled: the three tables live in this mapping */
} tb_draw_tables;

/* How far a run got: the units whose results its state holds, which a resumed run skips. */
typedef struct {
  int64_t pass1;    /* batches of deal pass 1 with their draws evaluated */
  int64_t policies; /* deterministic policy runs */
  int64_t draws;    /* draws whose funding and policies ran */
  int64_t pass2;    /* batches of deal pass 2 with every policy applied */
  int64_t part, periods; /* periods > 0: policy run res[part] stopped after that many of its periods */
} tb_run_progress;

/* Sections 4 and 5 between the two deal passes: funding, then every policy's market. */
struct tb_run_result {
  tb_run_progress from, got; /* restored from a checkpoint; reached so far */
  const void *part_state; /* got.periods > 0: that policy run's packed state (tb_policy_blocks) */
  int64_t part_bytes;
  tb_deal_table T; /* the job's (not freed here) */
  tb_funding F;
  tb_market_book MB;
  const double *trade; /* the job's base exports then base imports, [R*T] each, on every rank */
  tb_policy_result *res; /* [nres] deterministic runs, then [K * nres] draws (totals only) */
  int nres, nall, best;
  tb_draw_tables W;
  tb_assessment A;
  tb_contrib *contribs; /* [nres] pass 2's direct values */
  tb_network_stats *net; /* [nres] */
};
typedef struct tb_run_result tb_run_result;

static inline int tb_run_resuming(const tb_job *J) { return J->ck && J->ck->blob; }
/* Batches of deal pass `pass` whose results a resumed run's state already holds. */
static inline int64_t tb_run_replayed(const tb_run_result *M, int pass) {
  return pass == 1 ? M->from.pass1 : M->from.pass2;
}
static inline void tb_run_progressed(tb_run_result *M, int pass, int64_t k) {
  *(pass == 1 ? &M->got.pass1 : &M->got.pass2) = k;
}

int tb_contrib_push(tb_contrib *c, int64_t e, double v);
/* Direct values kept in a scratch file of `cap` items under `dir` rather than in memory. */
int tb_contrib_spill(tb_contrib *c, const char *dir, int64_t cap);
/* Hand the items pushed since the last call back to the page cache (spilled only). */
void tb_contrib_release(tb_contrib *c);
void tb_contrib_free(tb_contrib *c);
/* K tables of n deals, zeroed; in a scratch file under `dir` when dir is not NULL. */
int tb_draw_tables_alloc(tb_draw_tables *W, int K, int64_t n, const char *dir);
/* Hand draw k's deals [at, at + len) back to the page cache (spilled only). */
void tb_draw_tables_release(const tb_draw_tables *W, int k, int64_t at, int64_t len);
void tb_draw_tables_free(tb_draw_tables *W);
/* Free everything M owns (not the job's deal table or base trade). */
void tb_run_result_free_parts(tb_run_result *M);
/* The checkpoint parameters of cfg, with the identity of its model configuration. */
int tb_run_ckpt_params(const tb_config *cfg, tb_ckpt_params *P);
/* A safe point `where` (printf-style): writes this rank's state when one is due, and stops the
 * run (TB_ERR_STOPPED) when asked to. Collective. */
int tb_run_safe_point(tb_job *J, const tb_config *cfg, tb_run_result *M, const char *fmt, ...);
/* Result res[i] (a deterministic run, or a draw's run stopped between period blocks). */
int tb_run_restore_result(const tb_ckpt *C, const tb_config *cfg, const tb_input_dims *D, int64_t n, int64_t i,
                          tb_policy_result *r);
int tb_run_restore_draws(const tb_ckpt *C, const tb_config *cfg, const tb_input_dims *D, tb_run_result *M);
int tb_run_restore_contribs(const tb_ckpt *C, tb_run_result *M);
/* A resumed run's draw tables, when the checkpoint was taken before every draw's market. */
int tb_run_restore_tables(const tb_ckpt *C, tb_run_result *M);

#endif
