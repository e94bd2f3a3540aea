/* libtradebal: the public API (tradebal.h) over the same core the `tradebal` program runs: the deal math of
 * host/math through the CPU backend, the certificate auction, Leontief and the exchange's order check of
 * host/model. No MPI and no HDF5 here; errors are per thread (tb_error.c), copied into the caller's struct. */
#include "tradebal.h"

#include "tb_backend.h"
#include "tb_cda.h"
#include "tb_certificates.h"
#include "tb_deal_math.h"
#include "tb_error.h"
#include "tb_leontief.h"
#include "tb_rules.h"
#include "tb_schema.h"
#include "tb_translation.h"
#include "tb_util.h"
#include "tb_version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert((int)TB_API_VALUE_MIN_ADJUSTED == (int)TB_VALUE_MIN_ADJUSTED &&
                   (int)TB_API_SPLIT_EGALITARIAN == (int)TB_SPLIT_EGALITARIAN && (int)TB_API_SPLIT_NONE == (int)TB_SPLIT_NONE &&
                   (int)TB_API_SCOPE_ALL == (int)TB_SCOPE_ALL,
               "tradebal.h's enums are the core's");

/* The call's result: rc, and the thread's error message in *err. */
static int finish(int rc, tb_api_error *err) {
  if (err) {
    err->code = rc;
    snprintf(err->message, sizeof err->message, "%s", rc ? tb_error_message() : "");
  }
  tb_error_clear();
  return rc;
}

const char *tb_api_version(int *major, int *minor, int *patch) {
  if (major) *major = TB_API_VERSION_MAJOR;
  if (minor) *minor = TB_API_VERSION_MINOR;
  if (patch) *patch = TB_API_VERSION_PATCH;
  return TB_VERSION;
}

tb_api_params tb_api_params_default(void) {
  return (tb_api_params){TB_API_VALUE_EXPECTED, TB_API_SPLIT_NASH, TB_API_SCOPE_REPAIR, 0.5, 0};
}

/* Every entity's row, as the program builds them from the file (tb_deal_file.c). */
static int entity_rows(const tb_api_entities *E, tb_entity_row **rows) {
  const double *T = E->translation ? E->translation : tb_default_translation;
  *rows = tb_alloc_table(sizeof(tb_entity_row) * (size_t)(E->n ? E->n : 1));
  if (!*rows) return TB_ERR(TB_ERR_MEMORY, "out of memory for %lld entity rows", (long long)E->n);
  for (int64_t i = 0; i < E->n; i++)
    tb_entity_row_of(T, E->type[i], E->weights + 4 * i, E->discount_rate[i], E->risk_aversion[i], E->pay_cap[i],
                     E->bargaining_weight ? E->bargaining_weight[i] : 1.0, &(*rows)[i]);
  return TB_OK;
}

static tb_deal_batch batch_of(const tb_api_deals *D, const tb_entity_row *rows, int64_t nrows,
                              const double *charge, tb_api_results *out) {
  tb_deal_batch b;
  memset(&b, 0, sizeof b);
  b.ndeal = D->n_deals, b.nparty = D->n_parties, b.ncomp = D->n_components, b.nflow = D->n_flows;
  b.party_ptr = D->party_ptr, b.party_row = D->party_entity, b.importer = D->importer;
  b.trade_value = D->trade_value, b.comp_ptr = D->comp_ptr, b.comp_dim = D->comp_dim, b.comp_prob = D->comp_prob;
  b.flow_ptr = D->flow_ptr, b.flow_period = D->flow_period, b.flow_amount = D->flow_amount;
  b.rows = rows, b.nrows = nrows, b.nrows_static = nrows;
  b.value = out->value, b.transfer = out->transfer, b.final_value = out->final_value;
  b.status = out->status, b.surplus = out->surplus, b.bid = out->bid;
  b.charge = charge;
  return b;
}

static int evaluate(const tb_api_params *par, const tb_api_entities *E, const tb_api_deals *D, const double *charge,
                    tb_api_results *out) {
  int rc = TB_OK;
  tb_entity_row *rows = NULL;
  tb_backend be;
  memset(&be, 0, sizeof be);
  const tb_deal_params P = {par->value_rule, par->split_rule, par->split_scope, par->other_factor};
  TB_CALL(entity_rows(E, &rows));
  TB_GUARD(tb_backend_open(&be, TB_BACKEND_CPU, par->threads, 0));
  tb_deal_batch b = batch_of(D, rows, E->n, charge, out);
  if (b.ndeal) TB_GUARD(tb_backend_deal_stage(&be, &P, &b));
done:
  if (be.ops) tb_backend_close(&be);
  free(rows);
  return rc;
}

int tb_api_evaluate(const tb_api_params *par, const tb_api_entities *E, const tb_api_deals *D, const double *charge,
                    tb_api_results *out, tb_api_error *err) {
  const tb_api_params def = tb_api_params_default();
  return finish(evaluate(par ? par : &def, E, D, charge, out), err);
}

/* ---- section 1's rules on the caller's arrays: the validator's checks (tb_rules.c) in its order ---- */

typedef struct {
  int64_t size[TB_DIM_NSYM];
  tb_rule_report rep;
} arrays_check;

/* The verdict so far: an input error with the rule's message (no file: the arrays are the caller's). */
static int verdict(const arrays_check *A) {
  return A->rep.first == INT64_MAX ? TB_OK : TB_ERR(TB_ERR_INPUT, "%s", A->rep.msg);
}

/* Field `name` against its range rule; an integer field arrives as int64. */
static int field(arrays_check *A, const char *name, const void *data) {
  tb_rule_range R;
  int64_t nrows;
  TB_CALL(tb_input_field_range(name, A->size, &R, &nrows));
  tb_rules_range(&A->rep, &R, 0, nrows, data);
  return verdict(A);
}

static int csr(arrays_check *A, tb_rule_csr C, const int64_t *p) {
  tb_rules_csr(&A->rep, &C, 0, C.nitems, p);
  return verdict(A);
}

/* An integer array of any width as int64, the validator's reading type. */
#define AS_I64(dst, src, n)                                                                        \
  do {                                                                                             \
    TB_ALLOC(dst, n);                                                                              \
    for (int64_t i_ = 0; i_ < (n); i_++) (dst)[i_] = (int64_t)(src)[i_];                            \
  } while (0)

static int check_entities(arrays_check *A, const tb_api_entities *E, const double *T) {
  int rc = TB_OK;
  int64_t *type = NULL;
  const int64_t N = E->n;
  if (E->translation) {
    tb_rules_translation(&A->rep, T);
    TB_GUARD(verdict(A));
  }
  AS_I64(type, E->type, N);
  TB_GUARD(field(A, "/entities/type", type));
  tb_rules_weights(&A->rep, 0, N, E->weights);
  TB_GUARD(verdict(A));
  tb_rules_kappa(&A->rep, T, 0, N, type, E->weights);
  TB_GUARD(verdict(A));
  TB_GUARD(field(A, "/entities/discount_rate", E->discount_rate));
  TB_GUARD(field(A, "/entities/risk_aversion", E->risk_aversion));
  TB_GUARD(field(A, "/entities/pay_cap", E->pay_cap));
  if (E->bargaining_weight) TB_GUARD(field(A, "/entities/bargaining_weight", E->bargaining_weight));
done:
  free(type);
  return rc;
}

static int check_deals(arrays_check *A, const tb_api_deals *D) {
  int rc = TB_OK;
  int64_t *imp = NULL, *dim = NULL, *period = NULL;
  const int64_t M = D->n_deals, P = D->n_parties, C = D->n_components, F = D->n_flows;
  TB_GUARD(csr(A, (tb_rule_csr){"/deals/party_ptr", M, P, 2, TB_MAX_PARTIES, "/deals/party_entity"}, D->party_ptr));
  TB_GUARD(field(A, "/deals/party_entity", D->party_entity));
  AS_I64(imp, D->importer, M);
  tb_rules_deal_parties(&A->rep, 0, M, D->party_ptr, imp, D->party_entity);
  TB_GUARD(verdict(A));
  TB_GUARD(csr(A, (tb_rule_csr){"/deals/comp_ptr", P, C, 0, INT64_MAX, "/deals/comp_dim"}, D->comp_ptr));
  AS_I64(dim, D->comp_dim, C);
  TB_GUARD(field(A, "/deals/comp_dim", dim));
  TB_GUARD(field(A, "/deals/comp_prob", D->comp_prob));
  TB_GUARD(csr(A, (tb_rule_csr){"/deals/flow_ptr", C, F, 0, INT64_MAX, "/deals/flow_period"}, D->flow_ptr));
  AS_I64(period, D->flow_period, F);
  TB_GUARD(field(A, "/deals/flow_period", period));
  TB_GUARD(field(A, "/deals/flow_amount", D->flow_amount));
  TB_GUARD(field(A, "/deals/trade_value", D->trade_value));
done:
  free(imp), free(dim), free(period);
  return rc;
}

static int sizes(arrays_check *A, int64_t N, const tb_api_deals *D) {
  memset(A, 0, sizeof *A);
  tb_rule_report_init(&A->rep);
  A->size[TB_DIM_N] = N, A->size[TB_DIM_M] = D->n_deals, A->size[TB_DIM_P] = D->n_parties;
  A->size[TB_DIM_C] = D->n_components, A->size[TB_DIM_F] = D->n_flows;
  if (N < 0 || D->n_deals < 0 || D->n_parties < 0 || D->n_components < 0 || D->n_flows < 0)
    return TB_ERR(TB_ERR_USAGE, "check: a negative size");
  return TB_OK;
}

static int check(const tb_api_entities *E, const tb_api_deals *D) {
  arrays_check A;
  TB_CALL(sizes(&A, E->n, D));
  TB_CALL(check_entities(&A, E, E->translation ? E->translation : tb_default_translation));
  return check_deals(&A, D);
}

int tb_api_check(const tb_api_entities *E, const tb_api_deals *D, tb_api_error *err) {
  return finish(check(E, D), err);
}

static int check_deals_only(int64_t N, const tb_api_deals *D) {
  arrays_check A;
  TB_CALL(sizes(&A, N, D));
  return check_deals(&A, D);
}

int tb_api_check_deals(int64_t n_entities, const tb_api_deals *D, tb_api_error *err) {
  return finish(check_deals_only(n_entities, D), err);
}

/* The deals' side of one auction: sum of m over bids > P, bids sorted descending, a running sum. */
typedef struct {
  int64_t n;
  const double *bid; /* descending */
  const double *sum; /* sum[k] = m of the first k bids */
} one_market;

static int demand(void *ctx, int n, const double *P, double *out) {
  const one_market *mk = ctx;
  for (int i = 0; i < n; i++) {
    int64_t lo = 0, hi = mk->n;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (mk->bid[mid] > P[i]) lo = mid + 1;
      else hi = mid;
    }
    out[i] = mk->sum[lo];
  }
  return TB_OK;
}

typedef struct {
  double bid, m;
} bid_m;

static int by_bid_desc(const void *a, const void *b) {
  const double x = ((const bid_m *)a)->bid, y = ((const bid_m *)b)->bid;
  return x > y ? -1 : x < y;
}

static int auction(double Q, double base, double floor_price, double epsilon, int64_t n, const double *bid,
                   const double *m, double *price) {
  int rc = TB_OK;
  bid_m *v = NULL;
  double *b = NULL, *sum = NULL;
  TB_ALLOC(v, n);
  TB_ALLOC(b, n);
  TB_ALLOC(sum, n + 1);
  for (int64_t i = 0; i < n; i++) v[i] = (bid_m){bid[i], m[i]};
  qsort(v, (size_t)n, sizeof *v, by_bid_desc);
  sum[0] = 0.0;
  for (int64_t i = 0; i < n; i++) b[i] = v[i].bid, sum[i + 1] = sum[i] + v[i].m;
  one_market mk = {n, b, sum};
  const tb_auction A = {Q, base, floor_price, epsilon};
  TB_GUARD(tb_cert_auction_clear(1, &A, demand, &mk, price));
done:
  free(v), free(b), free(sum);
  return rc;
}

int tb_api_cert_auction(double Q, double base_imports, double floor_price, double epsilon, int64_t n,
                        const double *bid, const double *m, double *price, tb_api_error *err) {
  if (n < 0) return finish(TB_ERR(TB_ERR_USAGE, "cert_auction: n = %lld < 0", (long long)n), err);
  return finish(auction(Q, base_imports, floor_price, epsilon, n, bid, m, price), err);
}

/* Section 7 on the CPU backend, as the run does it (tb_impact.c): factor I - A once, the output multipliers,
 * every run's x = L f as one multi-column solve, then (GDP, Jobs) = W x as one product. */
static int leontief(int64_t S, const double *A, const double *va, const double *emp, int64_t q, const double *f,
                    double *mult, double *x, double *gdp, double *jobs) {
  int rc = TB_OK;
  tb_backend be;
  tb_leontief L;
  double *X = NULL, *m = NULL, *W = NULL, *gj = NULL;
  memset(&be, 0, sizeof be), memset(&L, 0, sizeof L);
  TB_ALLOC(X, S * q);
  TB_ALLOC(m, S);
  TB_ALLOC(W, 2 * S);
  TB_ALLOC(gj, 2 * q);
  memcpy(X, f, sizeof(double) * (size_t)(S * q)); /* column-major [S, q]: run p's demand is column p */
  for (int64_t s = 0; s < S; s++) W[2 * s] = va[s], W[2 * s + 1] = emp[s];
  TB_GUARD(tb_backend_open(&be, TB_BACKEND_CPU, 0, 0));
  TB_GUARD(tb_leontief_factor(&L, &be, S, A, "A")); /* the file's row-major A, as the run passes it */
  TB_GUARD(tb_leontief_output_multipliers(&L, m));
  if (q) TB_GUARD(tb_leontief_solve(&L, q, X));
  if (q) TB_GUARD(tb_backend_gemm(&be, 2, q, S, W, X, gj));
  for (int64_t p = 0; p < q; p++) gdp[p] = gj[2 * p], jobs[p] = gj[2 * p + 1];
  if (mult) memcpy(mult, m, sizeof(double) * (size_t)S);
  if (x) memcpy(x, X, sizeof(double) * (size_t)(S * q));
done:
  tb_leontief_free(&L);
  if (be.ops) tb_backend_close(&be);
  free(X), free(m), free(W), free(gj);
  return rc;
}

int tb_api_leontief(int64_t S, const double *A, const double *value_added, const double *employment, int64_t q,
                    const double *final_demand, double *multipliers, double *output, double *gdp, double *jobs,
                    tb_api_error *err) {
  if (S < 1 || q < 0) return finish(TB_ERR(TB_ERR_USAGE, "leontief: S = %lld, q = %lld", (long long)S, (long long)q), err);
  return finish(leontief(S, A, value_added, employment, q, final_demand, multipliers, output, gdp, jobs), err);
}

int tb_api_order_check(int side, double quantity, double price, double available) {
  const tb_order o = {0, 0, quantity, price, 0.0, (uint8_t)(side ? TB_SELL : TB_BUY)};
  return tb_cda_order_check(&o, available);
}
