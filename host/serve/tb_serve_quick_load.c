/* Files and arrays of the quick checks (tb_serve_quick_load.h). HDF5 through host/io's helpers on a file
 * opened here without MPI: tb_h5 with default transfer properties is plain serial HDF5, and its path field
 * holds the name relative to the data root, so every message it makes is fit for a client. */
#include "tb_serve_quick_load.h"
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_rules.h"
#include "tb_schema.h"
#include "tb_serve_json.h"
#include "tb_serve_quick_num.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TB_Q_MAX_SECTORS 100000 /* the validator's bound on S */

/* ---- arrays ---- */

tb_q_entities *tb_q_entities_new(int64_t n, int with_beta, int with_T) {
  tb_q_entities *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  const size_t k = (size_t)(n > 0 ? n : 1);
  q->type = malloc(k);
  q->weights = malloc(4 * k * sizeof(double));
  q->discount_rate = malloc(k * sizeof(double));
  q->risk_aversion = malloc(k * sizeof(double));
  q->pay_cap = malloc(k * sizeof(double));
  if (with_beta) q->bargaining_weight = malloc(k * sizeof(double));
  if (with_T) q->translation = malloc(64 * sizeof(double));
  if (!q->type || !q->weights || !q->discount_rate || !q->risk_aversion || !q->pay_cap ||
      (with_beta && !q->bargaining_weight) || (with_T && !q->translation)) {
    tb_q_entities_free(q);
    return NULL;
  }
  q->E = (tb_api_entities){n, q->type, q->weights, q->discount_rate, q->risk_aversion, q->pay_cap,
                           q->bargaining_weight, q->translation};
  return q;
}

void tb_q_entities_free(void *p) {
  tb_q_entities *q = p;
  if (!q) return;
  free(q->type), free(q->weights), free(q->discount_rate), free(q->risk_aversion), free(q->pay_cap);
  free(q->bargaining_weight), free(q->translation);
  free(q);
}

tb_q_deals *tb_q_deals_new(int64_t M, int64_t P, int64_t C, int64_t F) {
  tb_q_deals *q = calloc(1, sizeof *q);
  if (!q) return NULL;
#define TB_Q_ARRAY(field, n) q->field = malloc(sizeof(*q->field) * (size_t)((n) > 0 ? (n) : 1))
  TB_Q_ARRAY(party_ptr, M + 1);
  TB_Q_ARRAY(party_entity, P);
  TB_Q_ARRAY(importer, M);
  TB_Q_ARRAY(trade_value, M);
  TB_Q_ARRAY(comp_ptr, P + 1);
  TB_Q_ARRAY(comp_dim, C);
  TB_Q_ARRAY(comp_prob, C);
  TB_Q_ARRAY(flow_ptr, C + 1);
  TB_Q_ARRAY(flow_period, F);
  TB_Q_ARRAY(flow_amount, F);
#undef TB_Q_ARRAY
  if (!q->party_ptr || !q->party_entity || !q->importer || !q->trade_value || !q->comp_ptr || !q->comp_dim ||
      !q->comp_prob || !q->flow_ptr || !q->flow_period || !q->flow_amount) {
    tb_q_deals_free(q);
    return NULL;
  }
  q->D = (tb_api_deals){M,           P,           C,           F,          q->party_ptr, q->party_entity,
                        q->importer, q->trade_value, q->comp_ptr, q->comp_dim, q->comp_prob, q->flow_ptr,
                        q->flow_period, q->flow_amount};
  return q;
}

void tb_q_deals_free(void *p) {
  tb_q_deals *q = p;
  if (!q) return;
  free(q->party_ptr), free(q->party_entity), free(q->importer), free(q->trade_value), free(q->comp_ptr);
  free(q->comp_dim), free(q->comp_prob), free(q->flow_ptr), free(q->flow_period), free(q->flow_amount);
  free(q);
}

/* ---- problems ---- */

int tb_q_problem(tb_srv *S, int code, const char *message, tb_resp *r) {
  char detail[1200];
  snprintf(detail, sizeof detail, "%s", message);
  const size_t n = strlen(S->data_root);
  for (char *p; n && (p = strstr(detail, S->data_root));) /* belt and braces: never a server path */
    memmove(p, p + n + (p[n] == '/'), strlen(p + n + (p[n] == '/')) + 1);
  if (code == TB_ERR_INPUT) return tb_resp_problem(r, 422, "invalid-input", "%s", detail), -1;
  if (code == TB_ERR_MEMORY) {
    r->retry_after = 1;
    return tb_resp_problem(r, 503, "busy", "out of memory: %s", detail), -1;
  }
  fprintf(stderr, "tradebal serve: quick check failed: %s\n", message);
  return tb_resp_problem(r, 500, "internal", "the server failed on this request; its log has the details"), -1;
}

/* The pending error (a TB_* code from host/io or the model) as the client's problem. */
static int pending_problem(tb_srv *S, int rc, tb_resp *r) {
  char msg[1100];
  snprintf(msg, sizeof msg, "%s", tb_error_message());
  tb_error_clear();
  return tb_q_problem(S, rc, msg, r);
}

/* ---- HDF5 ---- */

/* The file, read-only, serial (S->h5_lock held). */
static int open_file(const char *abs, const char *rel, tb_h5 *f) {
  memset(f, 0, sizeof *f);
  f->dxpl_coll = f->dxpl_ind = H5P_DEFAULT;
  f->errcode = TB_ERR_INPUT;
  snprintf(f->path, sizeof f->path, "%s", rel);
  f->id = H5Fopen(abs, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f->id < 0) return TB_ERR(TB_ERR_INPUT, "%s: not an HDF5 file, or damaged", rel);
  return TB_OK;
}

static void close_file(tb_h5 *f) {
  if (f->id >= 0) H5Fclose(f->id);
  f->id = -1;
}

/* Dataset `name`: present (unless optional: *exists 0), of class cls and rank, its bytes in this file (the
 * validator's rules); dims receives its dimensions. */
static int shape(tb_h5 *f, const char *name, int cls, int rank, int optional, int64_t *dims, int *exists) {
  tb_h5_info in;
  dims[0] = dims[1] = dims[2] = 0;
  TB_CALL(tb_h5_info_of(f, name, &in));
  if (exists) *exists = in.exists;
  if (!in.exists) return optional ? TB_OK : TB_ERR(TB_ERR_INPUT, "%s: %s: missing (rule: required dataset)", f->path, name);
  if (in.cls != cls || in.rank != rank)
    return TB_ERR(TB_ERR_INPUT, "%s: %s: %s of rank %d (rule: %s of rank %d)", f->path, name,
                  in.cls == TB_H5_INT ? "integer" : in.cls == TB_H5_FLOAT ? "float" : "non-numeric", in.rank,
                  cls == TB_H5_INT ? "integer" : "float", rank);
  if (in.refuse[0])
    return TB_ERR(TB_ERR_INPUT, "%s: %s: %s (rule: data stored in this file, readable here)", f->path, name, in.refuse);
  if ((in.cls == TB_H5_INT && in.type_size > 8) || (in.cls == TB_H5_FLOAT && in.type_size != 8 && in.type_size != 4))
    return TB_ERR(TB_ERR_INPUT, "%s: %s: elements of %lld bytes (rule: integers of at most 8 bytes, 8-byte or "
                  "4-byte floats)", f->path, name, (long long)in.type_size);
  double want = (double)in.type_size;
  for (int k = 0; k < rank; k++) want *= (double)(dims[k] = in.dims[k]);
  if ((double)in.stored * (in.filtered ? 1100.0 : 1.0) < want)
    return TB_ERR(TB_ERR_INPUT, "%s: %s: %lld bytes stored for the %.0f its dimensions claim (rule: every element "
                  "stored in the file%s)", f->path, name, (long long)in.stored, want,
                  in.filtered ? ", compressed at most 1100:1" : "");
  return TB_OK;
}

/* Dimension k of `name` must be `want` (the size `sym` that `by` set). */
static int dim_is(tb_h5 *f, const char *name, int k, int64_t got, int64_t want, const char *sym, const char *by) {
  if (got == want) return TB_OK;
  return TB_ERR(TB_ERR_INPUT, "%s: %s: dimension %d is %lld (rule: %s = %lld, set by %s)", f->path, name, k,
                (long long)got, sym, (long long)want, by);
}

/* A one-dimensional dataset of n rows (the size `sym` set by `by`). */
static int shape1(tb_h5 *f, const char *name, int cls, int64_t n, const char *sym, const char *by) {
  int64_t d[3];
  TB_CALL(shape(f, name, cls, 1, 0, d, NULL));
  return dim_is(f, name, 0, d[0], n, sym, by);
}

/* An integer dataset of n values read as int64 (the validator's reading type). */
static int read_i64(tb_h5 *f, const char *name, int64_t n, int64_t *out) {
  return tb_h5_read(f, name, H5T_NATIVE_INT64, 0, n, 0, out);
}

static int read_f64(tb_h5 *f, const char *name, int64_t rows, double *out) {
  return tb_h5_read(f, name, H5T_NATIVE_DOUBLE, 0, rows, 0, out);
}

/* ---- entities ---- */

static int entity_sizes(tb_h5 *f, int64_t *N, int *beta, int *T) {
  int64_t d[3];
  TB_CALL(shape(f, "/entities/type", TB_H5_INT, 1, 0, d, NULL));
  *N = d[0];
  if (*N < 1) return TB_ERR(TB_ERR_INPUT, "%s: /entities/type: dimension 0 is %lld (rule: N >= 1)", f->path, (long long)*N);
  TB_CALL(shape(f, "/entities/weights", TB_H5_FLOAT, 2, 0, d, NULL));
  TB_CALL(dim_is(f, "/entities/weights", 0, d[0], *N, "N", "/entities/type"));
  TB_CALL(dim_is(f, "/entities/weights", 1, d[1], 4, "#", "the model"));
  const char *rows[3] = {"/entities/discount_rate", "/entities/risk_aversion", "/entities/pay_cap"};
  for (int i = 0; i < 3; i++) TB_CALL(shape1(f, rows[i], TB_H5_FLOAT, *N, "N", "/entities/type"));
  TB_CALL(shape(f, "/entities/bargaining_weight", TB_H5_FLOAT, 1, 1, d, beta));
  if (*beta) TB_CALL(dim_is(f, "/entities/bargaining_weight", 0, d[0], *N, "N", "/entities/type"));
  TB_CALL(shape(f, "/model/translation", TB_H5_FLOAT, 3, 1, d, T));
  for (int k = 0; *T && k < 3; k++) TB_CALL(dim_is(f, "/model/translation", k, d[k], 4, "#", "the model"));
  return TB_OK;
}

static int read_entities(tb_h5 *f, tb_q_entities **out) {
  int rc = TB_OK, beta = 0, T = 0;
  int64_t N = 0, *type = NULL;
  TB_CALL(entity_sizes(f, &N, &beta, &T));
  tb_q_entities *q = tb_q_entities_new(N, beta, T);
  if (!q) return TB_ERR(TB_ERR_MEMORY, "out of memory for %lld entities", (long long)N);
  TB_ALLOC(type, N);
  TB_GUARD(read_i64(f, "/entities/type", N, type));
  for (int64_t i = 0; i < N; i++) q->type[i] = tb_qn_u8(type[i]);
  TB_GUARD(read_f64(f, "/entities/weights", N, q->weights));
  TB_GUARD(read_f64(f, "/entities/discount_rate", N, q->discount_rate));
  TB_GUARD(read_f64(f, "/entities/risk_aversion", N, q->risk_aversion));
  TB_GUARD(read_f64(f, "/entities/pay_cap", N, q->pay_cap));
  if (beta) TB_GUARD(read_f64(f, "/entities/bargaining_weight", N, q->bargaining_weight));
  if (T) TB_GUARD(read_f64(f, "/model/translation", 4, q->translation));
done:
  free(type);
  if (rc) tb_q_entities_free(q), q = NULL;
  *out = q;
  return rc;
}

/* Entities pass their rules once, here: requests then check only their deals against them. */
static int check_entities(const tb_q_entities *q, const char *rel) {
  const int64_t zero = 0;
  const tb_api_deals none = {0, 0, 0, 0, &zero, NULL, NULL, NULL, &zero, NULL, NULL, &zero, NULL, NULL};
  tb_api_error err;
  if (!tb_api_check(&q->E, &none, &err)) return TB_OK;
  return TB_ERR(err.code, "%s: %s", rel, err.message);
}

int tb_qload_entities(tb_srv *S, const char *abs, const char *rel, tb_qc_value *v, tb_resp *r) {
  tb_h5 f;
  tb_q_entities *q = NULL;
  pthread_mutex_lock(&S->h5_lock);
  int rc = open_file(abs, rel, &f);
  if (!rc) rc = read_entities(&f, &q);
  close_file(&f);
  pthread_mutex_unlock(&S->h5_lock);
  if (!rc) rc = check_entities(q, rel);
  if (rc) {
    tb_q_entities_free(q);
    return pending_problem(S, rc, r);
  }
  v->data = q, v->free_fn = tb_q_entities_free;
  v->bytes = (size_t)q->E.n * (1 + 8 * (7 + (q->bargaining_weight != NULL)));
  return 0;
}

/* ---- deals ---- */

typedef struct {
  int64_t N, M, P, C, F;
} deal_sizes;

static int deal_shapes(tb_h5 *f, deal_sizes *z) {
  int64_t d[3];
  TB_CALL(shape(f, "/entities/type", TB_H5_INT, 1, 0, d, NULL));
  z->N = d[0];
  TB_CALL(shape(f, "/deals/party_ptr", TB_H5_INT, 1, 0, d, NULL));
  if (d[0] < 2) return TB_ERR(TB_ERR_INPUT, "%s: /deals/party_ptr: dimension 0 is %lld (rule: M+1 >= 2)", f->path, (long long)d[0]);
  z->M = d[0] - 1;
  TB_CALL(shape(f, "/deals/party_entity", TB_H5_INT, 1, 0, d, NULL));
  z->P = d[0];
  TB_CALL(shape(f, "/deals/comp_dim", TB_H5_INT, 1, 0, d, NULL));
  z->C = d[0];
  TB_CALL(shape(f, "/deals/flow_amount", TB_H5_FLOAT, 1, 0, d, NULL));
  z->F = d[0];
  TB_CALL(shape1(f, "/deals/importer", TB_H5_INT, z->M, "M", "/deals/party_ptr"));
  TB_CALL(shape1(f, "/deals/trade_value", TB_H5_FLOAT, z->M, "M", "/deals/party_ptr"));
  TB_CALL(shape1(f, "/deals/comp_ptr", TB_H5_INT, z->P + 1, "P+1", "/deals/party_entity"));
  TB_CALL(shape1(f, "/deals/comp_prob", TB_H5_FLOAT, z->C, "C", "/deals/comp_dim"));
  TB_CALL(shape1(f, "/deals/flow_ptr", TB_H5_INT, z->C + 1, "C+1", "/deals/comp_dim"));
  return shape1(f, "/deals/flow_period", TB_H5_INT, z->F, "F", "/deals/flow_amount");
}

/* The narrow integer columns, read as int64 and narrowed as the run's reading narrows them. */
static int read_narrow(tb_h5 *f, tb_q_deals *q, int64_t *tmp) {
  TB_CALL(read_i64(f, "/deals/importer", q->D.n_deals, tmp));
  for (int64_t i = 0; i < q->D.n_deals; i++) q->importer[i] = tb_qn_i32(tmp[i]);
  TB_CALL(read_i64(f, "/deals/comp_dim", q->D.n_components, tmp));
  for (int64_t i = 0; i < q->D.n_components; i++) q->comp_dim[i] = tb_qn_u8(tmp[i]);
  TB_CALL(read_i64(f, "/deals/flow_period", q->D.n_flows, tmp));
  for (int64_t i = 0; i < q->D.n_flows; i++) q->flow_period[i] = tb_qn_i32(tmp[i]);
  return TB_OK;
}

static int read_deals(tb_h5 *f, tb_q_deals **out, int64_t *N) {
  int rc = TB_OK;
  deal_sizes z = {0, 0, 0, 0, 0};
  int64_t *tmp = NULL;
  TB_CALL(deal_shapes(f, &z));
  *N = z.N;
  tb_q_deals *q = tb_q_deals_new(z.M, z.P, z.C, z.F);
  if (!q) return TB_ERR(TB_ERR_MEMORY, "out of memory for %lld deals", (long long)z.M);
  const int64_t most = z.M > z.C ? (z.M > z.F ? z.M : z.F) : (z.C > z.F ? z.C : z.F);
  TB_ALLOC(tmp, most);
  TB_GUARD(read_i64(f, "/deals/party_ptr", z.M + 1, q->party_ptr));
  TB_GUARD(read_i64(f, "/deals/party_entity", z.P, q->party_entity));
  TB_GUARD(read_f64(f, "/deals/trade_value", z.M, q->trade_value));
  TB_GUARD(read_i64(f, "/deals/comp_ptr", z.P + 1, q->comp_ptr));
  TB_GUARD(read_f64(f, "/deals/comp_prob", z.C, q->comp_prob));
  TB_GUARD(read_i64(f, "/deals/flow_ptr", z.C + 1, q->flow_ptr));
  TB_GUARD(read_f64(f, "/deals/flow_amount", z.F, q->flow_amount));
  TB_GUARD(read_narrow(f, q, tmp));
done:
  free(tmp);
  if (rc) tb_q_deals_free(q), q = NULL;
  *out = q;
  return rc;
}

int tb_qload_deals(tb_srv *S, const char *abs, const char *rel, tb_qc_value *v, tb_resp *r) {
  tb_h5 f;
  tb_q_deals *q = NULL;
  int64_t N = 0;
  tb_api_error err;
  pthread_mutex_lock(&S->h5_lock);
  int rc = open_file(abs, rel, &f);
  if (!rc) rc = read_deals(&f, &q, &N);
  close_file(&f);
  pthread_mutex_unlock(&S->h5_lock);
  if (rc) return pending_problem(S, rc, r);
  if (tb_api_check_deals(N, &q->D, &err)) { /* once for the file: a selection of valid deals is valid */
    char msg[1200];
    snprintf(msg, sizeof msg, "%s: %s", rel, err.message);
    tb_q_deals_free(q);
    return tb_q_problem(S, err.code, msg, r);
  }
  const tb_api_deals *D = &q->D;
  v->data = q, v->free_fn = tb_q_deals_free;
  v->bytes = (size_t)(D->n_deals * 20 + D->n_parties * 16 + D->n_components * 17 + D->n_flows * 12);
  return 0;
}

/* ---- holdings ---- */

/* Whether the root attribute `command` says "match": the file is a `tradebal match` output. */
static int is_match_output(tb_h5 *f) {
  char *cmd = NULL;
  int exists = 0, match = !tb_h5_attr_read_str(f, "/", "command", &cmd, &exists) && cmd && !strcmp(cmd, "match");
  tb_error_clear(); /* an unreadable attribute just means: not a match output */
  free(cmd);
  return match;
}

static int read_holdings(tb_h5 *f, tb_q_holdings **out) {
  int rc = TB_OK;
  int64_t d[3];
  tb_q_holdings *q = calloc(1, sizeof *q);
  if (!q) return TB_ERR(TB_ERR_MEMORY, "out of memory for a holdings registry");
  int exists = 0;
  TB_GUARD(shape(f, "/market/holdings", TB_H5_FLOAT, 2, 1, d, &exists));
  if (!exists) {
    rc = TB_ERR(TB_ERR_INPUT, "%s: /market/holdings: missing (rule: an input with a certificate market, or a "
                "`tradebal match` output)", f->path);
    goto done;
  }
  q->N = d[0], q->R = d[1], q->from_match = is_match_output(f);
  TB_ALLOC(q->hold, q->N * q->R);
  TB_GUARD(read_f64(f, "/market/holdings", q->N, q->hold));
done:
  if (rc) free(q ? q->hold : NULL), free(q), q = NULL;
  *out = q;
  return rc;
}

static void holdings_free(void *p) {
  tb_q_holdings *q = p;
  if (q) free(q->hold);
  free(q);
}

/* tradebal match's rule for holdings, in its words: the first bad one in row-major order. */
static int check_holdings(const tb_q_holdings *q, const char *rel) {
  for (int64_t i = 0; i < q->N * q->R; i++)
    if (!(isfinite(q->hold[i]) && q->hold[i] >= 0.0))
      return TB_ERR(TB_ERR_INPUT, "%s: /market/holdings: index [%lld,%lld] value %g breaks rule: finite and >= 0",
                    rel, (long long)(i / q->R), (long long)(i % q->R), q->hold[i]);
  return TB_OK;
}

int tb_qload_holdings(tb_srv *S, const char *abs, const char *rel, tb_qc_value *v, tb_resp *r) {
  tb_h5 f;
  tb_q_holdings *q = NULL;
  pthread_mutex_lock(&S->h5_lock);
  int rc = open_file(abs, rel, &f);
  if (!rc) rc = read_holdings(&f, &q);
  close_file(&f);
  pthread_mutex_unlock(&S->h5_lock);
  if (!rc) rc = check_holdings(q, rel);
  if (rc) {
    holdings_free(q);
    return pending_problem(S, rc, r);
  }
  v->data = q, v->free_fn = holdings_free, v->bytes = (size_t)(q->N * q->R) * sizeof(double);
  return 0;
}

/* ---- the input-output table ---- */

static int io_shapes(tb_h5 *f, int64_t *S) {
  int64_t d[3];
  TB_CALL(shape(f, "/io/A", TB_H5_FLOAT, 2, 0, d, NULL));
  *S = d[0];
  if (*S < 1) return TB_ERR(TB_ERR_INPUT, "%s: /io/A: dimension 0 is %lld (rule: S >= 1)", f->path, (long long)*S);
  if (*S > TB_Q_MAX_SECTORS)
    return TB_ERR(TB_ERR_INPUT, "%s: /io/A: %lld sectors (rule: at most %d)", f->path, (long long)*S, TB_Q_MAX_SECTORS);
  TB_CALL(dim_is(f, "/io/A", 1, d[1], *S, "S", "/io/A"));
  TB_CALL(shape1(f, "/io/value_added", TB_H5_FLOAT, *S, "S", "/io/A"));
  return shape1(f, "/io/employment", TB_H5_FLOAT, *S, "S", "/io/A");
}

static int read_io(tb_h5 *f, int64_t *S, double **A, double **va, double **emp) {
  int rc = TB_OK;
  TB_CALL(io_shapes(f, S));
  TB_ALLOC(*A, *S * *S);
  TB_ALLOC(*va, *S);
  TB_ALLOC(*emp, *S);
  TB_GUARD(read_f64(f, "/io/A", *S, *A));
  TB_GUARD(read_f64(f, "/io/value_added", *S, *va));
  TB_GUARD(read_f64(f, "/io/employment", *S, *emp));
done:
  return rc;
}

/* The validator's rules for /io/A, in its words: every element >= 0 and finite (row by row), then every
 * column sum < 1 (summed in the validator's order, so the same verdict at the edge). */
static int check_io_a(int64_t S, const double *A, const char *rel) {
  for (int64_t i = 0; i < S * S; i++)
    if (!(A[i] >= 0.0) || isinf(A[i]))
      return TB_ERR(TB_ERR_INPUT, "%s: /io/A[%lld,%lld]: value %.17g breaks rule: A >= 0 and finite", rel,
                    (long long)(i / S), (long long)(i % S), A[i]);
  for (int64_t j = 0; j < S; j++) {
    double sum = 0.0;
    for (int64_t i = 0; i < S; i++) sum += A[i * S + j]; /* i = 0, 1, ...: the validator's order */
    if (!(sum < 1.0))
      return TB_ERR(TB_ERR_INPUT, "%s: /io/A[:,%lld]: column sum %.17g breaks rule: every column sum < 1", rel,
                    (long long)j, sum);
  }
  return TB_OK;
}

/* /io/A's rules, then those of value_added and employment from the validator's table. */
static int check_io(int64_t S, const double *A, const double *va, const double *emp, const char *rel) {
  const char *name[2] = {"/io/value_added", "/io/employment"};
  const double *data[2] = {va, emp};
  int64_t size[TB_DIM_NSYM] = {0};
  size[TB_DIM_S] = S;
  TB_CALL(check_io_a(S, A, rel));
  for (int i = 0; i < 2; i++) {
    tb_rule_range R;
    tb_rule_report rep;
    int64_t nrows;
    tb_rule_report_init(&rep);
    TB_CALL(tb_input_field_range(name[i], size, &R, &nrows));
    tb_rules_range(&rep, &R, 0, nrows, data[i]);
    if (rep.first != INT64_MAX) return TB_ERR(TB_ERR_INPUT, "%s: %s", rel, rep.msg);
  }
  return TB_OK;
}

static void io_free(void *p) {
  tb_q_io *q = p;
  if (!q) return;
  tb_leontief_free(&q->L);
  if (q->be.ops) tb_backend_close(&q->be);
  free(q->W), free(q->multipliers), free(q);
}

/* Factor I - A on the CPU backend as tb_api_leontief does, and the output multipliers from it. */
static int factor_io(tb_q_io *q, const double *A, const double *va, const double *emp, const char *rel) {
  int rc = TB_OK;
  char what[1100];
  snprintf(what, sizeof what, "%s: /io/A", rel);
  TB_ALLOC(q->W, 2 * q->S);
  TB_ALLOC(q->multipliers, q->S);
  for (int64_t s = 0; s < q->S; s++) q->W[2 * s] = va[s], q->W[2 * s + 1] = emp[s];
  TB_GUARD(tb_backend_open(&q->be, TB_BACKEND_CPU, 0, 0));
  TB_GUARD(tb_leontief_factor(&q->L, &q->be, q->S, A, what));
  TB_GUARD(tb_leontief_output_multipliers(&q->L, q->multipliers));
done:
  return rc;
}

int tb_qload_io(tb_srv *S, const char *abs, const char *rel, tb_qc_value *v, tb_resp *r) {
  tb_h5 f;
  double *A = NULL, *va = NULL, *emp = NULL;
  tb_q_io *q = calloc(1, sizeof *q);
  if (!q) return tb_q_problem(S, TB_ERR_MEMORY, "an input-output table", r);
  pthread_mutex_lock(&S->h5_lock);
  int rc = open_file(abs, rel, &f);
  if (!rc) rc = read_io(&f, &q->S, &A, &va, &emp);
  close_file(&f);
  pthread_mutex_unlock(&S->h5_lock);
  if (!rc) rc = check_io(q->S, A, va, emp, rel);
  if (!rc) rc = factor_io(q, A, va, emp, rel);
  free(A), free(va), free(emp);
  if (rc) {
    io_free(q);
    return pending_problem(S, rc, r);
  }
  v->data = q, v->free_fn = io_free, v->bytes = (size_t)(q->S * q->S + 3 * q->S) * sizeof(double);
  return 0;
}
