/* `tradebal run`: the per-deal stages of MODEL.md sections 2-3 over MPI ranks,
 * streamed in batches of deals so memory stays bounded by run.batch_deals. */
#include "tb_schema.h"
#include "tb_run.h"
#include "tb_output.h"
#include "tb_sweep_run.h"
#include "tb_job.h"
#include "tb_memory.h"
#include "tb_sweep.h"
#include "tb_sweep_out.h"

#include "tb_backend.h"
#include "tb_block.h"
#include "tb_ckpt.h"
#include "tb_assess.h"
#include "tb_deals_io.h"
#include "tb_draws.h"
#include "tb_funding.h"
#include "tb_io_impact.h"
#include "tb_network.h"
#include "tb_policy_out.h"
#include "tb_policy_sim.h"
#include "tb_error.h"
#include "tb_validate.h"
#include "tb_sha256.h"
#include "tb_util.h"
#include "tb_version.h"
#include "tb_comm.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *STAGE[ST_N] = {"validate", "hash",    "entities", "read",    "fetch", "compute",
                                  "write",    "draws",   "funding",  "market",  "network", "total"};

typedef tb_run_stats run_stats;

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

/* Pass 1 writes the section 2-3 results, pass 2 the recommended policy's transfers. */
static int write_batch(tb_h5 *o, const tb_deal_buffers *B, int pass) {
  const int64_t n = B->b.ndeal, np = B->b.nparty, d0 = n ? B->d0 : 0, p0 = np ? B->p0 : 0;
  if (pass == 2) {
    TB_CALL(tb_h5_write(o, "/deals/transfer", H5T_NATIVE_DOUBLE, p0, np, B->transfer));
    return tb_h5_write(o, "/deals/final_value", H5T_NATIVE_DOUBLE, p0, np, B->final_value);
  }
  TB_CALL(tb_h5_write(o, "/deals/value", H5T_NATIVE_DOUBLE, p0, np, B->value));
  TB_CALL(tb_h5_write(o, "/deals/status", H5T_NATIVE_UINT8, d0, n, B->status));
  TB_CALL(tb_h5_write(o, "/deals/surplus", H5T_NATIVE_DOUBLE, d0, n, B->surplus));
  return tb_h5_write(o, "/deals/bid", H5T_NATIVE_DOUBLE, d0, n, B->bid);
}

/* Pass 1: what funding and the market need of each deal of the batch; the input's columns
 * only on the job's first run. */
static int keep_for_market(tb_h5 *in, const tb_deal_buffers *B, int64_t n, tb_deal_table *T, int read) {
  const int64_t d0 = n ? B->d0 : 0, at = d0 - T->d0;
  for (int64_t i = 0; i < n; i++) {
    T->bid[at + i] = B->bid[i];
    T->m[at + i] = B->trade_value[i];
    T->S[at + i] = B->surplus[i];
    T->status[at + i] = B->status[i];
  }
  if (!read) return TB_OK;
  TB_CALL(tb_h5_read(in, "/deals/period", H5T_NATIVE_INT32, d0, n, 1, T->period + at));
  TB_CALL(tb_h5_read(in, "/deals/sector", H5T_NATIVE_INT32, d0, n, 1, T->sector + at));
  TB_CALL(tb_h5_read(in, "/deals/export_region", H5T_NATIVE_INT32, d0, n, 1, T->exp + at));
  TB_CALL(tb_h5_read(in, "/deals/import_region", H5T_NATIVE_INT32, d0, n, 1, T->imp + at));
  return tb_h5_read(in, "/deals/cost", H5T_NATIVE_DOUBLE, d0, n, 1, T->k + at);
}

static void tally(run_stats *S, const tb_deal_buffers *B) {
  for (int64_t d = 0; d < B->b.ndeal; d++) {
    S->status[B->status[d]]++;
    tb_kahan_add(&S->surplus, &S->surplus_c, B->surplus[d]);
  }
}

int tb_write_root_attrs(tb_h5 *o, const tb_config *cfg, const char *backend, const char *sha) {
  static char text[TB_CONFIG_TEXT_MAX];
  TB_CALL(tb_config_dump(cfg, text, sizeof text));
  return tb_write_root_attrs_text(o, text, backend, sha, tb_comm_size());
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
  /* two passes evaluate every deal: values and bids, then the recommended policy's split */
  printf("  throughput: %s deal evaluations/s in compute (%lld per deal), ",
         tb_human(S->t[ST_COMPUTE] > 0 ? (double)S->passes * (double)D->M / S->t[ST_COMPUTE] : 0, a, sizeof a),
         (long long)S->passes);
  printf("%s deals/s end to end\n", tb_human(S->t[ST_TOTAL] > 0 ? (double)D->M / S->t[ST_TOTAL] : 0, a, sizeof a));
  printf("  output: %s\n", cfg->output_file);
  fflush(stdout);
}

/* The recommended policy's import charge for the batch: P m_d, NaN where the deal does not trade. */
static void batch_charges(const tb_market_book *MB, const tb_policy_result *r, const tb_deal_buffers *B,
                          int64_t n, double *charge) {
  const int64_t at = n ? B->d0 - MB->deals->d0 : 0;
  for (int64_t i = 0; i < n; i++) charge[i] = tb_policy_premium(MB, r, at + i) * B->trade_value[i]; /* NaN stays NaN */
}

/* A policy's direct values by entity, in deal order: (entity, V'') of every party of a traded deal. */
typedef struct {
  int64_t entity;
  double value;
} direct_item;

typedef struct {
  int64_t n, cap;
  direct_item *v;
} contrib;

static int contrib_push(contrib *c, int64_t e, double v) {
  TB_CALL(tb_grow((void **)&c->v, &c->cap, c->n + 1, sizeof(direct_item), "the direct values"));
  c->v[c->n++] = (direct_item){e, v};
  return TB_OK;
}

/* Section 8: what funding and the market need of every deal in every draw, [K * n] each
 * (draw k of local deal i at k * n + i); the rest of a deal's table does not change. */
typedef struct {
  int K;
  int64_t n;
  double *bid, *S;
  uint8_t *status;
} draw_tables;

typedef struct {
  int pass;                   /* 1: values, status, market data; 2: every policy's split, the recommended written */
  draw_tables *W;             /* pass 1 with draws */
  tb_deal_table *T;           /* pass 1 fills it */
  const tb_market_book *MB;   /* pass 2 */
  const tb_policy_result *res;
  int nres, best;
  double *charge;
  contrib *c;                 /* [nres] */
  struct tb_run_result *M;    /* the state a safe point saves */
} loop_pass;

static int safe_point(tb_job *J, const tb_config *cfg, struct tb_run_result *M, const char *fmt, ...);
static int64_t replayed(const struct tb_run_result *M, int pass);
static void progressed(struct tb_run_result *M, int pass, int64_t k);

/* Pass 2: the deals of the batch under policy p, and their parties' final values if traded. */
static int apply_policy(const loop_pass *L, int p, tb_backend *be, const tb_config *cfg, const tb_entity_table *E,
                        tb_deal_buffers *B, int64_t n, int keep) {
  const tb_policy_result *r = &L->res[p];
  batch_charges(L->MB, r, B, n, L->charge);
  B->b.charge = L->charge;
  if (n) TB_CALL(tb_backend_deal_stage(be, &cfg->deal, &B->b));
  const int64_t at = n ? B->d0 - L->MB->deals->d0 : 0;
  for (int64_t d = 0; d < n && keep; d++) {
    if (r->outcome[at + d] != 0) continue;
    for (int64_t q = B->b.party_ptr[d]; q < B->b.party_ptr[d + 1]; q++) {
      const int64_t row = B->b.party_row[q];
      TB_CALL(contrib_push(&L->c[p], row < E->nlocal ? E->lo + row : B->ids[row - E->nlocal], B->b.final_value[q]));
    }
  }
  return TB_OK;
}

static tb_draw_params draw_params(const tb_config *cfg) {
  return (tb_draw_params){(uint64_t)cfg->seed, cfg->sigma_p, cfg->sigma_r, cfg->sigma_e};
}

static tb_funding_params funding_params(const tb_config *cfg, const tb_input_dims *D, int ranked) {
  return (tb_funding_params){cfg->margin_of_safety, cfg->theta, cfg->budget, D->S, ranked};
}

static int draw_tables_alloc(draw_tables *W, int K, int64_t n) {
  int rc = TB_OK;
  memset(W, 0, sizeof *W);
  W->K = K, W->n = n;
  if (!K) return TB_OK;
  if ((double)K * (double)n * 17.0 > 0.5 * (double)INT64_MAX)
    return TB_ERR(TB_ERR_USAGE, "assessment.draws = %d over %lld deals on a rank is too large", K, (long long)n);
  TB_ALLOC(W->bid, (int64_t)K * n);
  TB_ALLOC(W->S, (int64_t)K * n);
  TB_ALLOC(W->status, (int64_t)K * n);
  /* zeroed: a checkpoint taken part way through pass 1 saves the tables whole */
  memset(W->bid, 0, sizeof(double) * (size_t)(K * n)), memset(W->S, 0, sizeof(double) * (size_t)(K * n));
  memset(W->status, 0, sizeof(uint8_t) * (size_t)(K * n));
done:
  return rc;
}

/* Pass 1's scratch for the draws of a batch: one entity row per party, so a draw redraws a
 * party's discount rate by the party's entity id, and the redrawn probabilities. */
typedef struct {
  int64_t cap_e, cap_i, cap_r, cap_c;
  int64_t *entity, *ident;
  tb_entity_row *rows;
  double *prob;
} draw_scratch;

static void draw_scratch_free(draw_scratch *X) {
  free(X->entity), free(X->ident), free(X->rows), free(X->prob);
  memset(X, 0, sizeof *X);
}

static int draw_scratch_fit(draw_scratch *X, int64_t np, int64_t nc) {
  TB_CALL(tb_grow((void **)&X->entity, &X->cap_e, np, sizeof(int64_t), "the draws' entity ids"));
  TB_CALL(tb_grow((void **)&X->ident, &X->cap_i, np, sizeof(int64_t), "the draws' party rows"));
  TB_CALL(tb_grow((void **)&X->rows, &X->cap_r, np, sizeof(tb_entity_row), "the draws' entity rows"));
  TB_CALL(tb_grow((void **)&X->prob, &X->cap_c, nc, sizeof(double), "the draws' probabilities"));
  return TB_OK;
}

/* Every draw's world of the batch (MODEL.md section 8), evaluated on the backend into the
 * draw tables. Runs after the batch's deterministic results are written. */
static int batch_draws(const tb_config *cfg, tb_backend *be, const tb_entity_table *E, tb_deal_buffers *B,
                       int64_t n, draw_tables *W, int64_t at, draw_scratch *X) {
  const tb_draw_params DP = draw_params(cfg);
  const int64_t np = B->b.nparty, nc = B->b.ncomp;
  if (!n) return TB_OK;
  TB_CALL(draw_scratch_fit(X, np, nc));
  for (int64_t q = 0; q < np; q++) {
    const int64_t row = B->b.party_row[q];
    X->entity[q] = row < E->nlocal ? E->lo + row : B->ids[row - E->nlocal];
    X->ident[q] = q;
  }
  tb_deal_batch view = B->b;
  view.rows = X->rows, view.nrows = np, view.nrows_static = 0, view.party_row = X->ident;
  view.comp_prob = X->prob, view.charge = NULL;
  for (int k = 0; k < W->K; k++) {
    tb_draw_party_rows(&DP, k, &B->b, X->entity, X->rows);
    tb_draw_probs(&DP, k, B->c0, nc, B->b.comp_prob, X->prob);
    TB_CALL(tb_backend_deal_stage(be, &cfg->deal, &view));
    const int64_t o = (int64_t)k * W->n + at;
    memcpy(W->bid + o, view.bid, sizeof(double) * (size_t)n);
    memcpy(W->S + o, view.surplus, sizeof(double) * (size_t)n);
    memcpy(W->status + o, view.status, (size_t)n);
  }
  return TB_OK;
}

/* Batch k of this rank's deals: read now, or (with the job's cache) kept from the first run,
 * its fetched entity rows put back behind the rank's own. Collective on a read. */
static int job_batch(tb_job *J, int64_t k, int64_t d0, int64_t n, tb_deal_buffers **out, run_stats *S) {
  tb_entity_table *E = &J->E;
  if (!J->cache) {
    *out = &J->B;
    return tb_deals_read(&J->in, &J->D, E, d0, n, &J->B, &S->t[ST_READ], &S->t[ST_FETCH]);
  }
  tb_batch_slot *s = &J->slot[k];
  *out = &s->B;
  if (k < J->ncached) {
    if (s->nremote) memcpy(E->rows + E->nlocal, s->remote, sizeof(tb_entity_row) * (size_t)s->nremote);
    E->nremote = s->nremote;
    s->B.b.rows = E->rows, s->B.b.nrows = E->nlocal + E->nremote;
    return TB_OK;
  }
  TB_CALL(tb_deals_read(&J->in, &J->D, E, d0, n, &s->B, &S->t[ST_READ], &S->t[ST_FETCH]));
  s->nremote = E->nremote;
  s->remote = malloc(sizeof(tb_entity_row) * (size_t)(s->nremote ? s->nremote : 1));
  if (!s->remote) return TB_ERR(TB_ERR_MEMORY, "out of memory keeping the deals in memory for the sweep");
  memcpy(s->remote, E->rows + E->nlocal, sizeof(tb_entity_row) * (size_t)s->nremote);
  J->ncached = k + 1;
  return TB_OK;
}

static int deal_loop(tb_job *J, tb_h5 *out, const tb_config *cfg, run_stats *S, loop_pass *L) {
  int rc = TB_OK;
  const int rank = tb_comm_rank(), size = tb_comm_size();
  const tb_input_dims *D = &J->D;
  const int64_t lo = tb_block_lo(D->M, rank, size), hi = tb_block_lo(D->M, rank + 1, size);
  const int64_t bs = cfg->batch_deals, nb = J->nbatch;
  tb_backend *be = &J->be;
  tb_deal_buffers *B = NULL;
  draw_scratch X;
  memset(&X, 0, sizeof X);
  tb_progress prog;
  tb_progress_start(&prog, L->pass == 1 ? "deals" : "apply policy",
                    rank == 0 ? (cfg->progress == 0 ? 1 : cfg->progress == 1 ? 2 : 0) : 0);
  for (int64_t k = 0; k < nb; k++) { /* lockstep: collective I/O every batch */
    int64_t d0 = lo + k * bs, n = hi - d0;
    n = n < 0 ? 0 : n > bs ? bs : n;
    TB_GUARD(job_batch(J, k, n ? d0 : 0, n, &B, S));
    if (tb_fault("batch", tb_comm_world_rank(), k))
      TB_GUARD(TB_ERR(TB_ERR_INPUT, "%s: injected fault (TB_FAULT) in batch %lld", cfg->input_file, (long long)k));
    B->b.charge = NULL;
    double t0 = tb_now();
    /* a batch a resumed run's state already holds: only what the output needs is redone */
    const int replay = k < replayed(L->M, L->pass);
    if (L->pass == 2) { /* the recommended policy last, so its results stay in B for writing */
      for (int p = 0; p < L->nres && !replay; p++)
        if (p != L->best) TB_GUARD(apply_policy(L, p, be, cfg, &J->E, B, n, 1));
      TB_GUARD(apply_policy(L, L->best, be, cfg, &J->E, B, n, !replay));
    } else if (n) {
      TB_GUARD(tb_backend_deal_stage(be, &cfg->deal, &B->b));
    }
    double t1 = tb_now();
    if (out) TB_GUARD(write_batch(out, B, L->pass));
    if (L->pass == 1) TB_GUARD(keep_for_market(&J->in, B, n, L->T, !J->T_read));
    S->t[ST_COMPUTE] += t1 - t0;
    S->t[ST_WRITE] += tb_now() - t1;
    if (L->pass == 1) tally(S, B);
    if (L->pass == 1 && L->W->K && !replay) {
      t0 = tb_now();
      TB_GUARD(batch_draws(cfg, be, &J->E, B, n, L->W, n ? B->d0 - L->T->d0 : 0, &X));
      S->t[ST_DRAWS] += tb_now() - t0;
    }
    /* batches run in lockstep, so rank 0's fraction is the whole run's */
    tb_progress_update(&prog, (double)(k + 1) / (double)nb * (double)D->M, (double)D->M, "deals");
    if (replay) continue;
    progressed(L->M, L->pass, k + 1);
    TB_GUARD(safe_point(J, cfg, L->M, "after batch %lld of %lld of deal pass %d", (long long)(k + 1), (long long)nb,
                        L->pass));
  }
  if (L->pass == 1) J->T_read = 1;
done:
  draw_scratch_free(&X);
  return rc;
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

/* How far a run got: the units whose results its state holds, which a resumed run skips. */
typedef struct {
  int64_t pass1;    /* batches of deal pass 1 with their draws evaluated */
  int64_t policies; /* deterministic policy runs */
  int64_t draws;    /* draws whose funding and policies ran */
  int64_t pass2;    /* batches of deal pass 2 with every policy applied */
  int64_t part, periods; /* periods > 0: policy run res[part] stopped after that many of its periods */
} run_progress;

/* Sections 4 and 5 between the two deal passes: funding, then every policy's market. */
struct tb_run_result {
  run_progress from, got; /* restored from a checkpoint; reached so far */
  const void *part_state; /* got.periods > 0: that policy run's packed state (tb_policy_blocks) */
  int64_t part_bytes;
  tb_deal_table T; /* the job's (not freed here) */
  tb_funding F;
  tb_market_book MB;
  const double *trade; /* the job's base exports then base imports, [R*T] each, on every rank */
  tb_policy_result *res; /* [nres] deterministic runs, then [K * nres] draws (totals only) */
  int nres, nall, best;
  draw_tables W;
  tb_assessment A;
  contrib *contribs; /* [nres] pass 2's direct values */
  tb_network_stats *net; /* [nres] */
};
typedef struct tb_run_result market_state;

static int resuming(const tb_job *J) { return J->ck && J->ck->blob; }
static int64_t replayed(const market_state *M, int pass) { return pass == 1 ? M->from.pass1 : M->from.pass2; }
static void progressed(market_state *M, int pass, int64_t k) { *(pass == 1 ? &M->got.pass1 : &M->got.pass2) = k; }

/* ---- checkpoint state (tb_ckpt.h): this rank's share of everything a later stage needs ---- */

typedef struct {
  tb_ckpt_item *v;
  char (*name)[48];
  int n, cap;
} item_list;

static int items_add(item_list *L, const void *data, int64_t bytes, const char *fmt, ...) {
  if (L->n == L->cap) {
    int cap = L->cap ? 2 * L->cap : 64;
    tb_ckpt_item *v = realloc(L->v, sizeof *v * (size_t)cap);
    if (v) L->v = v;
    char(*name)[48] = realloc(L->name, sizeof *name * (size_t)cap);
    if (name) L->name = name;
    if (!v || !name) return TB_ERR(TB_ERR_MEMORY, "out of memory listing the checkpoint");
    L->cap = cap;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(L->name[L->n], sizeof L->name[L->n], fmt, ap);
  va_end(ap);
  L->v[L->n++] = (tb_ckpt_item){NULL, data, bytes};
  return TB_OK;
}

/* A policy result's arrays and their lengths in elements (the run's R, T, S and deals). */
enum { RES_ARRAYS = 12 };
static const char *const RES_NAME[RES_ARRAYS] = {"exports", "imports", "balance", "price", "issued", "used",
                                                 "expired", "base_served", "outcome", "covered", "home_exports",
                                                 "home_imports"};
static void res_arrays(tb_policy_result *r, const tb_input_dims *D, int64_t n, void ***ptr, int64_t *bytes) {
  double **d[10] = {&r->exports, &r->imports, &r->balance, &r->price, &r->issued, &r->used, &r->expired,
                    &r->base_served, &r->home_exports, &r->home_imports};
  for (int a = 0; a < 8; a++) ptr[a] = (void **)d[a], bytes[a] = 8 * D->R * D->T;
  ptr[8] = (void **)&r->outcome, bytes[8] = n;
  ptr[9] = (void **)&r->covered, bytes[9] = D->R;
  ptr[10] = (void **)d[8], bytes[10] = 8 * D->S;
  ptr[11] = (void **)d[9], bytes[11] = 8 * D->S;
}

/* A draw's result keeps its totals and home sector vectors: packed into one item. */
static int64_t draw_res_bytes(const tb_input_dims *D) { return (int64_t)sizeof(tb_policy_result) + 16 * D->S; }

/* Results of draws kept as totals: every run of the finished draws and those before an unfinished run. */
static int64_t draw_runs(int Q, const run_progress *g) {
  return g->periods && g->part >= Q ? g->part - Q : (int64_t)Q * g->draws;
}

static int list_result(const tb_input_dims *D, market_state *M, int64_t i, item_list *L) {
  void **ptr[RES_ARRAYS];
  int64_t bytes[RES_ARRAYS];
  res_arrays(&M->res[i], D, M->T.n, ptr, bytes);
  TB_CALL(items_add(L, &M->res[i], sizeof M->res[i], "res.%lld", (long long)i));
  for (int a = 0; a < RES_ARRAYS; a++)
    if (*ptr[a]) TB_CALL(items_add(L, *ptr[a], bytes[a], "res.%lld.%s", (long long)i, RES_NAME[a]));
  return TB_OK;
}

static int list_state(const tb_config *cfg, const tb_input_dims *D, market_state *M, item_list *L, char **pack) {
  const int Q = cfg->npolicies;
  TB_CALL(items_add(L, &M->got, sizeof M->got, "progress"));
  if (M->W.K && M->got.draws < M->W.K) { /* the draw tables until every draw's market ran */
    const int64_t kn = (int64_t)M->W.K * M->W.n;
    TB_CALL(items_add(L, M->W.bid, 8 * kn, "draws.bid"));
    TB_CALL(items_add(L, M->W.S, 8 * kn, "draws.S"));
    TB_CALL(items_add(L, M->W.status, kn, "draws.status"));
  }
  for (int p = 0; p < M->got.policies; p++) TB_CALL(list_result(D, M, p, L));
  if (M->got.periods) { /* a policy run between two blocks of its periods */
    TB_CALL(list_result(D, M, M->got.part, L));
    TB_CALL(items_add(L, M->part_state, M->part_bytes, "part.state"));
  }
  const int64_t nd = draw_runs(Q, &M->got), one = draw_res_bytes(D);
  if (nd) {
    if (!(*pack = malloc((size_t)(nd * one)))) return TB_ERR(TB_ERR_MEMORY, "out of memory packing the draws");
    for (int64_t i = 0; i < nd; i++) {
      const tb_policy_result *r = &M->res[Q + i];
      char *at = *pack + i * one;
      memcpy(at, r, sizeof *r);
      memcpy(at + sizeof *r, r->home_exports, 8 * (size_t)D->S);
      memcpy(at + sizeof *r + 8 * D->S, r->home_imports, 8 * (size_t)D->S);
    }
    TB_CALL(items_add(L, *pack, nd * one, "draws.res"));
  }
  for (int p = 0; M->contribs && M->got.pass2 && p < M->nres; p++)
    TB_CALL(items_add(L, M->contribs[p].v, M->contribs[p].n * (int64_t)sizeof(direct_item), "contrib.%d", p));
  return TB_OK;
}

static int save_state(tb_job *J, const tb_config *cfg, market_state *M) {
  item_list L = {0};
  char *pack = NULL;
  int rc = tb_comm_agree(list_state(cfg, &J->D, M, &L, &pack));
  for (int i = 0; !rc && i < L.n; i++) L.v[i].name = L.name[i];
  if (!rc) rc = tb_ckpt_write(J->ck, L.v, L.n);
  free(L.v), free(L.name), free(pack);
  return rc;
}

static int safe_point(tb_job *J, const tb_config *cfg, market_state *M, const char *fmt, ...) {
  int action = TB_CKPT_NO;
  char where[160];
  if (!J->ck) return TB_OK;
  TB_CALL(tb_ckpt_due(J->ck, &action));
  if (action == TB_CKPT_NO) return TB_OK;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(where, sizeof where, fmt, ap);
  va_end(ap);
  TB_CALL(save_state(J, cfg, M));
  if (action == TB_CKPT_STOP) return tb_ckpt_stopped(J->ck, where);
  if (tb_comm_rank() == 0 && cfg->progress != 2) {
    fprintf(stderr, "[checkpoint] %lld written to %s %s (%.2f s)\n", (long long)J->ck->generation, J->ck->dir, where,
            J->ck->write_cost);
    fflush(stderr);
  }
  return TB_OK;
}

/* A saved result struct made usable: its array pointers (meaningless now) cleared, its name the config's. */
static void adopt_result(tb_policy_result *r, const char *name, const tb_input_dims *D, int64_t n, void ***ptr,
                         int64_t *bytes) {
  res_arrays(r, D, n, ptr, bytes);
  for (int a = 0; a < RES_ARRAYS; a++) *ptr[a] = NULL;
  r->name = name;
}

/* Result res[i] (a deterministic run, or a draw's run stopped between period blocks). */
static int restore_result(const tb_ckpt *C, const tb_config *cfg, const tb_input_dims *D, int64_t n, int64_t i,
                          tb_policy_result *r) {
  void **ptr[RES_ARRAYS];
  int64_t bytes[RES_ARRAYS];
  char name[48];
  snprintf(name, sizeof name, "res.%lld", (long long)i);
  TB_CALL(tb_ckpt_get(C, name, r, sizeof *r));
  adopt_result(r, cfg->policy[i % cfg->npolicies].name, D, n, ptr, bytes);
  for (int a = 0; a < RES_ARRAYS; a++) {
    snprintf(name, sizeof name, "res.%lld.%s", (long long)i, RES_NAME[a]);
    if (tb_ckpt_has(C, name)) TB_CALL(tb_ckpt_get_alloc(C, name, ptr[a], &bytes[a]));
  }
  return TB_OK;
}

static int restore_draws(const tb_ckpt *C, const tb_config *cfg, const tb_input_dims *D, market_state *M) {
  const int Q = cfg->npolicies;
  const int64_t nd = draw_runs(Q, &M->from), one = draw_res_bytes(D);
  char *pack = NULL;
  int64_t bytes = nd * one;
  void **ptr[RES_ARRAYS];
  int64_t unused[RES_ARRAYS];
  if (!nd) return TB_OK;
  TB_CALL(tb_ckpt_get_alloc(C, "draws.res", (void **)&pack, &bytes));
  int rc = TB_OK;
  for (int64_t i = 0; i < nd && !rc; i++) {
    tb_policy_result *r = &M->res[Q + i];
    memcpy(r, pack + i * one, sizeof *r);
    adopt_result(r, cfg->policy[i % Q].name, D, 0, ptr, unused);
    r->home_exports = malloc(8 * (size_t)(D->S ? D->S : 1));
    r->home_imports = malloc(8 * (size_t)(D->S ? D->S : 1));
    if (!r->home_exports || !r->home_imports) rc = TB_ERR(TB_ERR_MEMORY, "out of memory restoring the draws");
    else {
      memcpy(r->home_exports, pack + i * one + sizeof *r, 8 * (size_t)D->S);
      memcpy(r->home_imports, pack + i * one + sizeof *r + 8 * D->S, 8 * (size_t)D->S);
    }
    M->nall = Q + (int)i + 1;
  }
  free(pack);
  return rc;
}

static int restore_contribs(const tb_ckpt *C, market_state *M) {
  for (int p = 0; M->from.pass2 && p < M->nres; p++) {
    char name[48];
    int64_t bytes = -1;
    snprintf(name, sizeof name, "contrib.%d", p);
    TB_CALL(tb_ckpt_get_alloc(C, name, (void **)&M->contribs[p].v, &bytes));
    M->contribs[p].n = M->contribs[p].cap = bytes / (int64_t)sizeof(direct_item);
  }
  return TB_OK;
}

/* A resumed run's draw tables, when the checkpoint was taken before every draw's market. */
static int restore_tables(const tb_ckpt *C, market_state *M) {
  const int64_t kn = (int64_t)M->W.K * M->W.n;
  if (!M->W.K || M->from.draws >= M->W.K || !M->from.pass1) return TB_OK;
  TB_CALL(tb_ckpt_get(C, "draws.bid", M->W.bid, 8 * kn));
  TB_CALL(tb_ckpt_get(C, "draws.S", M->W.S, 8 * kn));
  return tb_ckpt_get(C, "draws.status", M->W.status, kn);
}

static int read_base_trade(tb_job *J) {
  int rc = TB_OK, has = 0;
  const tb_input_dims *D = &J->D;
  TB_ALLOC(J->trade, 2 * D->R * D->T);
  TB_GUARD(tb_h5_read(&J->in, "/trade/base_exports", H5T_NATIVE_DOUBLE, 0, D->R, 1, J->trade));
  TB_GUARD(tb_h5_read(&J->in, "/trade/base_imports", H5T_NATIVE_DOUBLE, 0, D->R, 1, J->trade + D->R * D->T));
  TB_GUARD(tb_h5_attr_read_i64(&J->in, "/io", "region", &J->home, &has));
done:
  return rc;
}

/* Policy regions are checked against the input before any deal is evaluated. */
static int check_policy_regions(const tb_config *cfg, const tb_input_dims *D) {
  for (int p = 0; p < cfg->npolicies; p++) TB_CALL(tb_policy_check_regions(&cfg->policy[p], D->R, cfg->input_file));
  return TB_OK;
}

/* Safe points between blocks of a policy run's periods (checkpoint.period_block): res[i] is that run. */
typedef struct {
  tb_job *J;
  const tb_config *cfg;
  market_state *M;
  int64_t i;
} part_ctx;

static int part_safe_point(void *vctx, int64_t periods, const void *state, int64_t bytes) {
  part_ctx *c = vctx;
  market_state *M = c->M;
  const int Q = c->cfg->npolicies;
  char draw[48] = "";
  if (c->i >= Q) snprintf(draw, sizeof draw, " in draw %lld of %d", (long long)(c->i / Q), M->W.K);
  M->got.part = c->i, M->got.periods = periods, M->part_state = state, M->part_bytes = bytes;
  const int rc = safe_point(c->J, c->cfg, M, "after period %lld of %lld of policy %s%s", (long long)periods,
                            (long long)c->J->D.T, c->cfg->policy[c->i % Q].name, draw);
  M->got.periods = 0, M->part_state = NULL;
  return rc;
}

/* The result and packed state of the run a checkpoint stopped between period blocks. */
static int restore_part(tb_job *J, const tb_config *cfg, market_state *M, tb_policy_blocks *k, char **state) {
  k->from = M->from.periods, k->bytes = -1;
  TB_CALL(restore_result(J->ck, cfg, &J->D, M->T.n, M->from.part, &M->res[M->from.part]));
  TB_CALL(tb_ckpt_get_alloc(J->ck, "part.state", (void **)state, &k->bytes));
  k->state = *state;
  return TB_OK;
}

/* Policy run res[i] over book MB, resumed inside when the checkpoint stopped it there. */
static int policy_run(tb_job *J, const tb_config *cfg, market_state *M, const tb_market_book *MB, int64_t i) {
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
static int market_draw(tb_job *J, const tb_config *cfg, market_state *M, int k, uint8_t *funded) {
  int rc = TB_OK;
  const tb_input_dims *D = &J->D;
  const int Q = cfg->npolicies;
  const int64_t first = (int64_t)Q * (k + 1), resumed = M->from.periods ? M->from.part : -1;
  const tb_draw_params DP = draw_params(cfg);
  const tb_funding_params fp = funding_params(cfg, D, 0); /* a draw writes no ranking */
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
  tb_market_book_free(&MB);
  tb_funding_free(&F);
  return rc;
}

/* Section 8: levels of every run, WAR against `none`, the recommended policy. */
static int assess(const tb_config *cfg, market_state *M) {
  int rc = TB_OK;
  const int Q = M->nres, K = M->W.K;
  double *y = NULL;
  TB_ALLOC(y, M->nall);
  for (int i = 0; i < M->nall; i++) y[i] = tb_level(cfg, &M->res[i]);
  TB_GUARD(tb_assess(cfg, Q, K, y, y + Q, &M->A));
  M->best = M->A.best;
done:
  free(y);
  return rc;
}

static int market_stage(tb_job *J, tb_h5 *out, const tb_config *cfg, market_state *M, run_stats *S, int loud) {
  int rc = TB_OK;
  uint8_t *funded = NULL;
  const tb_input_dims *D = &J->D;
  const int Q = cfg->npolicies, K = M->W.K;
  double t = tb_now();
  tb_announce(loud, "funding development opportunities");
  const tb_funding_params fp = funding_params(cfg, D, out != NULL); /* the ranking is an output only */
  TB_GUARD(tb_funding_select(&M->T, &fp, &M->F));
  if (out) TB_GUARD(tb_write_funding(out, D, &M->T, &M->F));
  S->t[ST_FUNDING] += tb_now() - t;
  t = tb_now();
  tb_announce(loud, "running the trade policies");
  TB_GUARD(tb_market_book_build(&M->MB, &M->T, D->R, D->T, D->S, J->home, M->trade, M->trade + D->R * D->T,
                                cfg->elasticity));
  TB_ALLOC(M->res, (int64_t)Q * (K + 1));
  memset(M->res, 0, sizeof(tb_policy_result) * (size_t)Q * (size_t)(K + 1));
  for (int p = 0; p < M->from.policies; p++) { /* a resumed run's */
    TB_GUARD(tb_comm_agree(restore_result(J->ck, cfg, D, M->T.n, p, &M->res[p])));
    M->nres = M->nall = p + 1;
  }
  if (resuming(J)) TB_GUARD(tb_comm_agree(restore_draws(J->ck, cfg, D, M)));
  for (int p = 0; p < Q; p++) {
    char prefix[128];
    M->nres = p + 1;
    M->nall = M->nall > p + 1 ? M->nall : p + 1;
    if (p >= M->from.policies) TB_GUARD(policy_run(J, cfg, M, &M->MB, p));
    snprintf(prefix, sizeof prefix, "/policies/%s", cfg->policy[p].name);
    if (out) TB_GUARD(tb_write_policy(out, D, prefix, &M->res[p], M->T.d0, M->T.n));
    if (p < M->from.policies) continue;
    M->got.policies = p + 1;
    TB_GUARD(safe_point(J, cfg, M, "after policy %s", cfg->policy[p].name));
  }
  if (K) tb_announce(loud, "funding and policies of every draw");
  TB_ALLOC(funded, M->T.n);
  for (int k = (int)M->from.draws; k < K; k++) {
    TB_GUARD(market_draw(J, cfg, M, k, funded));
    M->got.draws = k + 1;
    TB_GUARD(safe_point(J, cfg, M, "after the market of draw %d of %d", k + 1, K));
  }
  tb_announce(loud, "input-output impacts");
  if (!J->have_io) TB_GUARD(tb_io_model_load(&J->io, &J->in, &J->be, D));
  J->have_io = 1;
  if (out) TB_GUARD(tb_io_model_write(&J->io, out));
  TB_GUARD(tb_io_impacts(&J->io, &J->be, cfg->substitution, M->res, M->nall)); /* every run, one factorisation */
  TB_GUARD(assess(cfg, M));
  if (out) TB_GUARD(tb_write_policy(out, D, "", &M->res[M->best], M->T.d0, M->T.n));
  if (out) TB_GUARD(tb_h5_attr_i64(out, "/regions", "home", J->home));
  S->t[ST_MARKET] += tb_now() - t;
done:
  free(funded);
  return rc;
}

/* Section 6 for every policy: direct values summed by entity in deal order (the
 * contributions travel to the entity's owner grouped by source rank, which is deal
 * order), then the Jacobi iteration; the recommended policy's results at the root. */
static int direct_values(const tb_input_dims *D, const contrib *c, int64_t lo, int64_t n, double *b) {
  int rc = TB_OK;
  int *dest = NULL;
  int64_t nrecv = 0;
  direct_item *recv = NULL;
  TB_ALLOC(dest, c->n);
  for (int64_t k = 0; k < c->n; k++) dest[k] = tb_block_owner(D->N, tb_comm_size(), c->v[k].entity);
  TB_GUARD(tb_comm_route(c->v, dest, c->n, sizeof(direct_item), (void **)&recv, &nrecv));
  memset(b, 0, sizeof(double) * (size_t)n);
  for (int64_t k = 0; k < nrecv; k++) b[recv[k].entity - lo] += recv[k].value;
done:
  free(dest), free(recv);
  return rc;
}

static int write_entities(tb_h5 *out, const tb_input_dims *D, const tb_network *G, const double *b,
                          const double *x, const tb_network_stats *st) {
  const char *names[4] = {"/entities/direct_value", "/entities/network_value", "/entities/centrality",
                          "/entities/influence"};
  const double *data[4] = {b, x, G->centrality, G->influence};
  for (int a = 0; a < 4; a++) {
    TB_CALL(tb_h5_new_dataset(out, names[a], H5T_IEEE_F64LE, 1, &D->N));
    TB_CALL(tb_h5_write(out, names[a], H5T_NATIVE_DOUBLE, G->lo, G->n, data[a]));
  }
  TB_CALL(tb_h5_attr_i64(out, "/entities", "network_iterations", st->iterations));
  TB_CALL(tb_h5_attr_i64(out, "/entities", "network_converged", st->converged));
  char res[64];
  snprintf(res, sizeof res, "%.6e", st->residual);
  return tb_h5_attr_str(out, "/entities", "network_residual", res);
}

static int network_stage(tb_job *J, tb_h5 *out, const tb_config *cfg, market_state *M, run_stats *S) {
  int rc = TB_OK;
  const double t = tb_now();
  tb_network *G = &J->G;
  double *b = NULL, *x = NULL;
  if (!J->have_net) TB_GUARD(tb_network_load(&J->in, &J->D, G));
  J->have_net = 1;
  TB_ALLOC(b, G->n);
  TB_ALLOC(x, G->n);
  TB_ALLOC(M->net, M->nres);
  for (int p = 0; p < M->nres; p++) {
    TB_GUARD(direct_values(&J->D, &M->contribs[p], G->lo, G->n, b));
    TB_GUARD(tb_network_solve(&J->be, G, b, cfg->alpha, cfg->net_tol, (int)cfg->net_max_iter, x, &M->net[p]));
    M->res[p].network_multiplier = M->net[p].multiplier;
    if (p == M->best && out) TB_GUARD(write_entities(out, &J->D, G, b, x, &M->net[p]));
  }
  S->t[ST_NETWORK] += tb_now() - t;
done:
  free(b), free(x);
  return rc;
}

static void print_network(const market_state *M) {
  if (tb_comm_rank() != 0 || !M->net) return;
  const tb_network_stats *b = &M->net[M->best];
  printf("  network (recommended policy): multiplier %.6g, %d Jacobi iterations, residual %.2e\n", b->multiplier,
         b->iterations, b->residual);
  for (int p = 0; p < M->nres; p++)
    if (!M->net[p].converged)
      printf("  WARNING: network iteration of policy %s did not converge in %d iterations (residual %.2e > "
             "network.tol); its network values are the last iterate\n", M->res[p].name, M->net[p].iterations,
             M->net[p].residual);
  fflush(stdout);
}

static void market_free(market_state *M) {
  for (int p = 0; M->contribs && p < M->nres; p++) free(M->contribs[p].v);
  free(M->contribs);
  free(M->net);
  for (int p = 0; p < M->nall; p++) tb_policy_result_free(&M->res[p]);
  free(M->W.bid), free(M->W.S), free(M->W.status);
  tb_assessment_free(&M->A);
  free(M->res);
  tb_market_book_free(&M->MB);
  tb_funding_free(&M->F);
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

int tb_job_check_input(const tb_config *cfg, tb_input_dims *D, char sha[65], run_stats *S, int loud) {
  int rc = TB_OK;
  tb_h5 in = {.id = -1};
  TB_CALL(tb_comm_agree(tb_h5_open(&in, cfg->input_file)));
  /* rank 0 hashes the input (input_sha256) while every rank validates it */
  tb_hash_job hash = {0};
  if (tb_comm_rank() == 0) tb_sha256_start(&hash, cfg->input_file);
  tb_announce(loud, "validating the input (and hashing it on rank 0)");
  double t = tb_now();
  rc = tb_input_validate(&in, D);
  S->t[ST_VALIDATE] = tb_now() - t;
  t = tb_now();
  if (tb_comm_rank() == 0) {
    int h = tb_sha256_finish(&hash, rc != 0);
    if (!rc) rc = h;
    memcpy(sha, hash.hex, 65);
  }
  S->t[ST_HASH] = tb_now() - t; /* only the part hashing outlasted validation */
  TB_GUARD(tb_comm_agree(rc));
  TB_GUARD(tb_comm_bcast(sha, 65, 0));
  TB_GUARD(check_policy_regions(cfg, D)); /* same verdict on every rank */
done:
  tb_h5_close(&in);
  return rc;
}

int tb_job_load(tb_job *J, const tb_config *cfg, const tb_input_dims *D, int cache, run_stats *S, int loud) {
  int rc = TB_OK;
  memset(J, 0, sizeof *J);
  J->in.id = -1;
  J->D = *D;
  tb_mem_plan mem;
  TB_CALL(tb_memory_check(cfg, D, cache, &mem)); /* before anything sized by the input */
  if (loud && tb_comm_rank() == 0 && mem.limit > 0)
    fprintf(stderr, "[run] memory: about %.3f GB per rank of %.2f GB allowed\n", mem.total / 1073741824.0,
            mem.limit / 1073741824.0);
  J->cache = cache;
  const int rank = tb_comm_rank(), size = tb_comm_size();
  const int64_t lo = tb_block_lo(D->M, rank, size), hi = tb_block_lo(D->M, rank + 1, size);
  J->nbatch = (hi - lo + cfg->batch_deals - 1) / cfg->batch_deals;
  TB_CALL(tb_comm_allreduce_i64(&J->nbatch, 1, TB_OP_MAX));
  TB_CALL(tb_comm_agree(tb_h5_open(&J->in, cfg->input_file)));
  TB_CALL(tb_comm_agree(tb_backend_open(&J->be, cfg->backend_kind, cfg->threads, tb_comm_local_rank())));
  TB_CALL(tb_comm_agree(tb_memory_device_check(cfg, D, &J->be, cache)));
  tb_announce(loud, "loading entities");
  double t = tb_now();
  TB_CALL(tb_comm_agree(tb_entities_load(&J->in, D, &cfg->deal, &J->E)));
  S->t[ST_ENTITIES] += tb_now() - t;
  TB_CALL(tb_comm_agree(read_base_trade(J)));
  TB_CALL(tb_comm_agree(tb_deal_table_alloc(&J->T, hi - lo, lo)));
  if (cache) {
    rc = (J->slot = calloc((size_t)(J->nbatch ? J->nbatch : 1), sizeof *J->slot)) ? TB_OK
         : TB_ERR(TB_ERR_MEMORY, "out of memory for %lld batches", (long long)J->nbatch);
    TB_CALL(tb_comm_agree(rc));
  }
  return TB_OK;
}

void tb_job_close(tb_job *J) {
  if (J->in.id >= 0) tb_h5_close(&J->in);
  for (int64_t k = 0; J->slot && k < J->ncached; k++) tb_deal_buffers_free(&J->slot[k].B), free(J->slot[k].remote);
  free(J->slot);
  tb_deal_buffers_free(&J->B);
  tb_deal_table_free(&J->T);
  if (J->have_io) tb_io_model_free(&J->io);
  if (J->have_net) tb_network_free(&J->G);
  free(J->trade);
  tb_entities_free(&J->E);
  tb_backend_close(&J->be);
  memset(J, 0, sizeof *J);
  J->in.id = -1;
}

static int solve(tb_job *J, const tb_config *cfg, tb_h5 *out, run_stats *S, int loud, market_state *M) {
  int rc = TB_OK;
  double *charge = NULL;
  M->T = J->T;
  M->trade = J->trade;
  TB_GUARD(tb_comm_agree(draw_tables_alloc(&M->W, (int)cfg->draws, J->T.n)));
  if (resuming(J)) {
    TB_GUARD(tb_comm_agree(tb_ckpt_get(J->ck, "progress", &M->from, sizeof M->from)));
    M->got = M->from;
    M->got.periods = 0; /* the stopped policy run is the first to reach a safe point again */
    TB_GUARD(tb_comm_agree(restore_tables(J->ck, M)));
  }
  loop_pass L1 = {1, &M->W, &M->T, NULL, NULL, 0, 0, NULL, NULL, M};
  TB_GUARD(tb_comm_agree(deal_loop(J, out, cfg, S, &L1)));
  TB_GUARD(tb_comm_agree(market_stage(J, out, cfg, M, S, loud)));
  tb_announce(loud, "applying the recommended policy to every deal");
  rc = tb_comm_agree((charge = malloc(sizeof(double) * (size_t)cfg->batch_deals)) ? TB_OK
                     : TB_ERR(TB_ERR_MEMORY, "out of memory for the import charges"));
  if (rc) goto done;
  rc = tb_comm_agree((M->contribs = calloc((size_t)M->nres, sizeof(contrib))) ? TB_OK
                     : TB_ERR(TB_ERR_MEMORY, "out of memory"));
  if (rc) goto done;
  if (resuming(J)) TB_GUARD(tb_comm_agree(restore_contribs(J->ck, M)));
  loop_pass L2 = {2, &M->W, &M->T, &M->MB, M->res, M->nres, M->best, charge, M->contribs, M};
  S->passes = 1 + M->nres;
  TB_GUARD(tb_comm_agree(deal_loop(J, out, cfg, S, &L2)));
  tb_announce(loud, "network spillovers");
  TB_GUARD(tb_comm_agree(network_stage(J, out, cfg, M, S)));
  if (out) TB_GUARD(tb_comm_agree(tb_write_policy_table(out, cfg, M->res, M->nres, &M->A)));
done:
  free(charge);
  return rc;
}

int tb_job_solve(tb_job *J, const tb_config *cfg, tb_h5 *out, run_stats *S, int loud, tb_run_result **R) {
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
  print_network(R);
}

void tb_run_result_free(tb_run_result *R) {
  if (!R) return;
  market_free(R);
  free(R);
}

/* A single run: every dataset of MODEL.md section 11 (a sweep goes to tb_sweep_run). */
int tb_run(const tb_config *cfg) {
  int rc = TB_OK, have_out = 0;
  run_stats S;
  memset(&S, 0, sizeof S);
  const double t_start = tb_now();
  tb_h5 out = {.id = -1}, none = {.id = -1};
  tb_input_dims D;
  tb_job J;
  tb_ckpt ck;
  memset(&J, 0, sizeof J), memset(&ck, 0, sizeof ck);
  J.in.id = -1;
  char tmp[TB_PATH_MAX + 64], sha[65] = {0};
  tb_run_result *R = NULL;

  TB_CALL(tb_config_check(cfg));
  TB_CALL(tb_output_check(cfg->input_file, cfg->output_file, cfg->overwrite));
  if (tb_comm_rank() == 0) {
    static char text[TB_CONFIG_TEXT_MAX];
    TB_CALL(tb_config_dump(cfg, text, sizeof text));
    printf("# resolved configuration\n%s\n", text);
    fflush(stdout);
  }
  if (cfg->sweep_method != TB_SWEEP_NONE) return tb_sweep_run(cfg);
  const int loud = tb_loud_stages(cfg);
  TB_CALL(tb_job_check_input(cfg, &D, sha, &S, loud));
  TB_GUARD(tb_ckpt_open(cfg, sha, &ck));
  TB_GUARD(tb_job_load(&J, cfg, &D, 0, &S, loud));
  J.ck = &ck;
  TB_GUARD(tb_output_tmpname(cfg->output_file, tmp, sizeof tmp));
  TB_GUARD(tb_comm_agree(tb_h5_create(&out, tmp)));
  out.schema = TB_FILE_RUN;
  have_out = 1;
  TB_GUARD(tb_comm_agree(create_outputs(&out, &D)));
  TB_GUARD(tb_job_solve(&J, cfg, &out, &S, loud, &R));
  TB_GUARD(tb_comm_agree(tb_write_root_attrs(&out, cfg, tb_backend_name(&J.be), sha)));
done:
  rc = tb_output_finish(&out, &none, tmp, cfg->output_file, have_out, rc);
  const char *backend_name = tb_backend_name(&J.be);
  char backend[32];
  snprintf(backend, sizeof backend, "%s", backend_name);
  tb_job_close(&J);
  tb_ckpt_free(&ck);
  if (!rc) rc = tb_ckpt_remove(&ck); /* the output holds everything now */
  if (rc) {
    tb_run_result_free(R);
    return rc;
  }
  S.t[ST_TOTAL] = tb_now() - t_start;
  TB_CALL(reduce_stats(&S));
  if (tb_comm_rank() == 0) print_summary(&S, &D, cfg, backend);
  tb_run_result_print(R);
  tb_run_result_free(R);
  return TB_OK;
}
