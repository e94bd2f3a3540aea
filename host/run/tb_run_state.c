#include "tb_run_state.h"

#include "tb_comm.h"
#include "tb_error.h"
#include "tb_sha256.h"
#include "tb_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tb_contrib_push(tb_contrib *c, int64_t e, double v) {
  if (c->f.p && c->n == c->cap) return TB_ERR(TB_ERR_INTERNAL, "more direct values than the input has parties");
  if (!c->f.p) TB_CALL(tb_grow((void **)&c->v, &c->cap, c->n + 1, sizeof(tb_direct_item), "the direct values"));
  c->v[c->n++] = (tb_direct_item){e, v};
  return TB_OK;
}

int tb_contrib_spill(tb_contrib *c, const char *dir, int64_t cap) {
  /* a sparse file: only the items pushed take disk, and only those not yet released take memory */
  TB_CALL(tb_spill_map(&c->f, dir, (cap > 0 ? cap : 1) * (int64_t)sizeof(tb_direct_item), "the direct values"));
  c->v = c->f.p, c->cap = cap > 0 ? cap : 1, c->n = c->released = 0;
  return TB_OK;
}

void tb_contrib_release(tb_contrib *c) {
  tb_spill_release(&c->f, c->v + c->released, (c->n - c->released) * (int64_t)sizeof(tb_direct_item));
  c->released = c->n;
}

void tb_contrib_free(tb_contrib *c) {
  if (c->f.p) tb_spill_free(&c->f);
  else free(c->v);
  c->v = NULL, c->n = c->cap = c->released = 0;
}

int tb_draw_tables_alloc(tb_draw_tables *W, int K, int64_t n, const char *dir) {
  int rc = TB_OK;
  memset(W, 0, sizeof *W);
  W->f.fd = -1;
  W->K = K, W->n = n;
  if (!K) return TB_OK;
  const int64_t kn = (int64_t)K * n;
  if ((double)K * (double)n * 17.0 > 0.5 * (double)INT64_MAX)
    return TB_ERR(TB_ERR_USAGE, "assessment.draws = %d over %lld deals on a rank is too large", K, (long long)n);
  if (dir) { /* zero-filled, like the file; bid, S, then status, each [K * n] */
    TB_CALL(tb_spill_map(&W->f, dir, 17 * (kn > 0 ? kn : 1), "the draw tables"));
    W->bid = W->f.p, W->S = W->bid + kn, W->status = (uint8_t *)(W->S + kn);
    return TB_OK;
  }
  TB_ALLOC(W->bid, kn);
  TB_ALLOC(W->S, kn);
  TB_ALLOC(W->status, kn);
  /* zeroed: a checkpoint taken part way through pass 1 saves the tables whole */
  memset(W->bid, 0, sizeof(double) * (size_t)kn), memset(W->S, 0, sizeof(double) * (size_t)kn);
  memset(W->status, 0, sizeof(uint8_t) * (size_t)kn);
done:
  return rc;
}

void tb_draw_tables_release(const tb_draw_tables *W, int k, int64_t at, int64_t len) {
  const int64_t o = (int64_t)k * W->n + at;
  tb_spill_release(&W->f, W->bid + o, 8 * len);
  tb_spill_release(&W->f, W->S + o, 8 * len);
  tb_spill_release(&W->f, W->status + o, len);
}

void tb_draw_tables_free(tb_draw_tables *W) {
  if (W->f.p) tb_spill_free(&W->f);
  else free(W->bid), free(W->S), free(W->status);
  W->bid = W->S = NULL, W->status = NULL;
}

void tb_run_result_free_parts(tb_run_result *M) {
  for (int p = 0; M->contribs && p < M->nres; p++) tb_contrib_free(&M->contribs[p]);
  free(M->contribs);
  free(M->net);
  for (int p = 0; p < M->nall; p++) tb_policy_result_free(&M->res[p]);
  tb_draw_tables_free(&M->W);
  tb_assessment_free(&M->A);
  free(M->res);
  tb_market_book_free(&M->MB);
  tb_funding_free(&M->F);
}

/* The config lines that change results: paths, output, progress, backend and checkpoint
 * settings do not (CPU and GPU give the same bits, MODEL.md section 10). */
static int config_identity(const tb_config *cfg, char hex[65]) {
  int rc = TB_OK;
  tb_config *c = NULL;
  char *text = NULL;
  TB_ALLOC(c, 1);
  TB_ALLOC(text, TB_CONFIG_TEXT_MAX);
  *c = *cfg;
  c->input_file[0] = c->output_file[0] = c->ckpt_dir[0] = 0;
  c->overwrite = c->progress = c->backend_kind = c->threads = c->resume = 0;
  c->ckpt_every = c->walltime = 0;
  c->ckpt_periods = 0;
  c->memory_limit = c->device_memory_limit = 0;
  c->spill = 0, c->scratch_dir[0] = 0; /* where state is kept does not change results */
  TB_GUARD(tb_config_dump(c, text, TB_CONFIG_TEXT_MAX));
  tb_sha256_mem(text, strlen(text), hex);
done:
  free(c), free(text);
  return rc;
}

int tb_run_ckpt_params(const tb_config *cfg, tb_ckpt_params *P) {
  memset(P, 0, sizeof *P);
  P->dir = cfg->ckpt_dir, P->output = cfg->output_file;
  P->every = cfg->ckpt_every, P->walltime = cfg->walltime, P->resume = cfg->resume;
  return config_identity(cfg, P->config_sha);
}

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
static int64_t draw_runs(int Q, const tb_run_progress *g) {
  return g->periods && g->part >= Q ? g->part - Q : (int64_t)Q * g->draws;
}

static int list_result(const tb_input_dims *D, tb_run_result *M, int64_t i, item_list *L) {
  void **ptr[RES_ARRAYS];
  int64_t bytes[RES_ARRAYS];
  res_arrays(&M->res[i], D, M->T.n, ptr, bytes);
  TB_CALL(items_add(L, &M->res[i], sizeof M->res[i], "res.%lld", (long long)i));
  for (int a = 0; a < RES_ARRAYS; a++)
    if (*ptr[a]) TB_CALL(items_add(L, *ptr[a], bytes[a], "res.%lld.%s", (long long)i, RES_NAME[a]));
  return TB_OK;
}

static int list_state(const tb_config *cfg, const tb_input_dims *D, tb_run_result *M, item_list *L, char **pack) {
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
    TB_CALL(items_add(L, M->contribs[p].v, M->contribs[p].n * (int64_t)sizeof(tb_direct_item), "contrib.%d", p));
  return TB_OK;
}

static int save_state(tb_job *J, const tb_config *cfg, tb_run_result *M) {
  item_list L = {0};
  char *pack = NULL;
  int rc = tb_comm_agree(list_state(cfg, &J->D, M, &L, &pack));
  for (int i = 0; !rc && i < L.n; i++) L.v[i].name = L.name[i];
  if (!rc) rc = tb_ckpt_write(J->ck, L.v, L.n);
  for (int k = 0; k < M->W.K && M->W.f.p; k++) tb_draw_tables_release(&M->W, k, 0, M->W.n); /* read to write */
  for (int p = 0; M->contribs && p < M->nres; p++) M->contribs[p].released = 0, tb_contrib_release(&M->contribs[p]);
  free(L.v), free(L.name), free(pack);
  return rc;
}

int tb_run_safe_point(tb_job *J, const tb_config *cfg, tb_run_result *M, const char *fmt, ...) {
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

int tb_run_restore_result(const tb_ckpt *C, const tb_config *cfg, const tb_input_dims *D, int64_t n, int64_t i,
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

int tb_run_restore_draws(const tb_ckpt *C, const tb_config *cfg, const tb_input_dims *D, tb_run_result *M) {
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

int tb_run_restore_contribs(const tb_ckpt *C, tb_run_result *M) {
  for (int p = 0; M->from.pass2 && p < M->nres; p++) {
    char name[48];
    int64_t bytes = -1;
    snprintf(name, sizeof name, "contrib.%d", p);
    tb_contrib *c = &M->contribs[p];
    if (c->f.p) { /* spilled: into the mapping (its capacity is every party of the input) */
      if (!tb_ckpt_has(C, name)) return TB_ERR(TB_ERR_INPUT, "checkpoint: %s missing", name);
      void *tmp = NULL;
      TB_CALL(tb_ckpt_get_alloc(C, name, &tmp, &bytes));
      c->n = bytes / (int64_t)sizeof(tb_direct_item);
      if (c->n > c->cap) c->n = 0, bytes = -1;
      else memcpy(c->v, tmp, (size_t)bytes);
      free(tmp);
      if (bytes < 0) return TB_ERR(TB_ERR_INPUT, "checkpoint: %s holds more direct values than parties", name);
      tb_contrib_release(c);
      continue;
    }
    TB_CALL(tb_ckpt_get_alloc(C, name, (void **)&c->v, &bytes));
    c->n = c->cap = bytes / (int64_t)sizeof(tb_direct_item);
  }
  return TB_OK;
}

int tb_run_restore_tables(const tb_ckpt *C, tb_run_result *M) {
  const int64_t kn = (int64_t)M->W.K * M->W.n;
  if (!M->W.K || M->from.draws >= M->W.K || !M->from.pass1) return TB_OK;
  TB_CALL(tb_ckpt_get(C, "draws.bid", M->W.bid, 8 * kn));
  TB_CALL(tb_ckpt_get(C, "draws.S", M->W.S, 8 * kn));
  TB_CALL(tb_ckpt_get(C, "draws.status", M->W.status, kn));
  for (int k = 0; k < M->W.K; k++) tb_draw_tables_release(&M->W, k, 0, M->W.n);
  return TB_OK;
}
