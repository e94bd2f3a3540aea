#include "tb_deal_pass.h"

#include "tb_block.h"
#include "tb_comm.h"
#include "tb_draws.h"
#include "tb_error.h"
#include "tb_stage_params.h"
#include "tb_util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  return read ? tb_deal_columns_read(in, d0, n, T) : TB_OK;
}

/* The recommended policy's import charge for the batch: P m_d, NaN where the deal does not trade. */
static void batch_charges(const tb_market_book *MB, const tb_policy_result *r, const tb_deal_buffers *B,
                          int64_t n, double *charge) {
  const int64_t at = n ? B->d0 - MB->deals->d0 : 0;
  for (int64_t i = 0; i < n; i++) charge[i] = tb_policy_premium(MB, r, at + i) * B->trade_value[i]; /* NaN stays NaN */
}

/* Pass 2: the deals of the batch under policy p, and their parties' final values if traded. */
static int apply_policy(const tb_deal_pass *L, int p, tb_backend *be, const tb_config *cfg, const tb_entity_table *E,
                        tb_deal_buffers *B, int64_t n, int keep) {
  const tb_policy_result *r = &L->res[p];
  batch_charges(L->MB, r, B, n, L->charge);
  B->b.charge = L->charge;
  if (n) TB_CALL(tb_backend_deal_stage(be, &cfg->deal, &B->b));
  B->b.values_known = 1; /* a policy changes only the charge: the next one reuses V */
  const int64_t at = n ? B->d0 - L->MB->deals->d0 : 0;
  for (int64_t d = 0; d < n && keep; d++) {
    if (r->outcome[at + d] != 0) continue;
    for (int64_t q = B->b.party_ptr[d]; q < B->b.party_ptr[d + 1]; q++) {
      const int64_t row = B->b.party_row[q];
      TB_CALL(tb_contrib_push(&L->c[p], row < E->nlocal ? E->lo + row : B->ids[row - E->nlocal], B->b.final_value[q]));
    }
  }
  return TB_OK;
}

/* Pass 1's scratch for the draws of a batch. A draw redraws an entity's discount rate
 * (MODEL.md section 8: item = entity id), so the batch's distinct entity rows are found once
 * (`used`, in first-use order) and each draw redraws only those (at 200,000 entities and 2.9
 * million parties a batch, 15 times fewer normals than one a party); the kernel then reads one
 * row per party in party order, as sequential as the deterministic pass. */
typedef struct {
  int64_t cap_u, cap_s, cap_i, cap_r, cap_c, cap_e, cap_d;
  int64_t *used;   /* [nused] the batch's row of each distinct entity */
  int64_t *slot;   /* [max(nrows, nparty)] a row's place in `used`, or -1; then q at q (the draws' party_row) */
  int64_t *ident;  /* [nparty] party q's place in `used` */
  int64_t *entity; /* [nused] global entity ids */
  double *disc;    /* [nused] one draw's discount factors */
  tb_entity_row *rows; /* [nparty] one draw's row of each party */
  double *prob;
  int64_t nused;
} draw_scratch;

static void draw_scratch_free(draw_scratch *X) {
  free(X->used), free(X->slot), free(X->ident), free(X->entity), free(X->disc), free(X->rows), free(X->prob);
  memset(X, 0, sizeof *X);
}

static int draw_scratch_fit(draw_scratch *X, int64_t np, int64_t nrows, int64_t nc) {
  const int64_t nu = np < nrows ? np : nrows;
  TB_CALL(tb_grow((void **)&X->used, &X->cap_u, nu, sizeof(int64_t), "the draws' distinct entities"));
  TB_CALL(tb_grow((void **)&X->slot, &X->cap_s, nrows > np ? nrows : np, sizeof(int64_t), "the draws' row slots"));
  TB_CALL(tb_grow((void **)&X->ident, &X->cap_i, np, sizeof(int64_t), "the draws' party rows"));
  TB_CALL(tb_grow((void **)&X->entity, &X->cap_e, nu, sizeof(int64_t), "the draws' entity ids"));
  TB_CALL(tb_grow((void **)&X->disc, &X->cap_d, nu, sizeof(double), "the draws' discount factors"));
  TB_CALL(tb_grow((void **)&X->rows, &X->cap_r, np, sizeof(tb_entity_row), "the draws' entity rows"));
  TB_CALL(tb_grow((void **)&X->prob, &X->cap_c, nc, sizeof(double), "the draws' probabilities"));
  return TB_OK;
}

/* The batch's distinct entity rows in first-use order, and each party's place among them. */
static void distinct_rows(const tb_entity_table *E, const tb_deal_buffers *B, draw_scratch *X) {
  const tb_deal_batch *b = &B->b;
  int64_t nu = 0;
  for (int64_t r = 0; r < b->nrows; r++) X->slot[r] = -1;
  for (int64_t q = 0; q < b->nparty; q++) {
    const int64_t r = b->party_row[q];
    if (X->slot[r] < 0) {
      X->slot[r] = nu;
      X->used[nu] = r;
      X->entity[nu++] = r < E->nlocal ? E->lo + r : B->ids[r - E->nlocal];
    }
    X->ident[q] = X->slot[r];
  }
  X->nused = nu;
}

/* Every draw's world of the batch (MODEL.md section 8), evaluated on the backend into the
 * draw tables. Runs after the batch's deterministic results are written. */
static int batch_draws(const tb_config *cfg, tb_backend *be, const tb_entity_table *E, tb_deal_buffers *B,
                       int64_t n, tb_draw_tables *W, int64_t at, draw_scratch *X) {
  const tb_draw_params DP = tb_draw_params_of(cfg);
  const int64_t np = B->b.nparty, nc = B->b.ncomp;
  if (!n) return TB_OK;
  TB_CALL(draw_scratch_fit(X, np, B->b.nrows, nc));
  distinct_rows(E, B, X);
  int64_t *self = X->slot; /* the slots are done with: party q reads row q of the draw's rows */
  for (int64_t q = 0; q < np; q++) self[q] = q;
  tb_deal_batch view = B->b;
  view.rows = X->rows, view.nrows = np, view.nrows_static = 0, view.party_row = self;
  view.comp_prob = X->prob, view.charge = NULL;
  for (int k = 0; k < W->K; k++) {
    tb_draw_discounts(&DP, k, B->b.rows, X->used, X->entity, X->nused, X->disc);
    tb_draw_party_rows(&B->b, X->ident, X->disc, X->rows);
    tb_draw_probs(&DP, k, B->c0, nc, B->b.comp_prob, X->prob);
    TB_CALL(tb_backend_deal_stage(be, &cfg->deal, &view));
    const int64_t o = (int64_t)k * W->n + at;
    memcpy(W->bid + o, view.bid, sizeof(double) * (size_t)n);
    memcpy(W->S + o, view.surplus, sizeof(double) * (size_t)n);
    memcpy(W->status + o, view.status, (size_t)n);
    tb_draw_tables_release(W, k, at, n);
  }
  return TB_OK;
}

int tb_deal_pass_run(tb_job *J, tb_h5 *out, const tb_config *cfg, tb_run_stats *S, tb_deal_pass *L) {
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
    /* pass 2 reads the values pass 1 wrote to the output rather than the components and flows */
    TB_GUARD(tb_job_batch(J, k, n ? d0 : 0, n, L->pass == 2 ? out : NULL, &B, S));
    while (tb_fault("hang", tb_comm_world_rank(), k)) pause(); /* a rank stuck, as in a dead file system */
    if (tb_fault("batch", tb_comm_world_rank(), k))
      TB_GUARD(TB_ERR(TB_ERR_INPUT, "%s: injected fault (TB_FAULT) in batch %lld", cfg->input_file, (long long)k));
    B->b.charge = NULL;
    double t0 = tb_now();
    /* a batch a resumed run's state already holds: only what the output needs is redone */
    const int replay = k < tb_run_replayed(L->M, L->pass);
    if (L->pass == 2) { /* the recommended policy last, so its results stay in B for writing */
      for (int p = 0; p < L->nres && !replay; p++)
        if (p != L->best) TB_GUARD(apply_policy(L, p, be, cfg, &J->E, B, n, 1));
      TB_GUARD(apply_policy(L, L->best, be, cfg, &J->E, B, n, !replay));
    } else if (n) {
      TB_GUARD(tb_backend_deal_stage(be, &cfg->deal, &B->b));
    }
    double t1 = tb_now();
    if (out) TB_GUARD(tb_deal_results_write(out, B, L->pass));
    if (L->pass == 1) TB_GUARD(keep_for_market(&J->in, B, n, L->T, !J->T_read));
    S->t[TB_ST_COMPUTE] += t1 - t0;
    S->t[TB_ST_WRITE] += tb_now() - t1;
    if (L->pass == 1) tb_run_stats_tally(S, B);
    if (L->pass == 1 && L->W->K && !replay) {
      t0 = tb_now();
      TB_GUARD(batch_draws(cfg, be, &J->E, B, n, L->W, n ? B->d0 - L->T->d0 : 0, &X));
      S->t[TB_ST_DRAWS] += tb_now() - t0;
    }
    /* batches run in lockstep, so rank 0's fraction is the whole run's */
    tb_progress_update(&prog, (double)(k + 1) / (double)nb * (double)D->M, (double)D->M, "deals");
    for (int p = 0; L->pass == 2 && p < L->nres; p++) tb_contrib_release(&L->c[p]);
    if (replay) continue;
    tb_run_progressed(L->M, L->pass, k + 1);
    TB_GUARD(tb_run_safe_point(J, cfg, L->M, "after batch %lld of %lld of deal pass %d", (long long)(k + 1), (long long)nb,
                        L->pass));
  }
  if (L->pass == 1) J->T_read = 1;
done:
  draw_scratch_free(&X);
  return rc;
}
