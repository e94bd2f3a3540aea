/* libtradebal: the public C API of tradebal (docs/python.md, "The C library"). The only symbols the shared
 * library exports are the tb_api_* functions below. Every call works on the caller's arrays: no MPI, no HDF5,
 * no global state, so several threads may call at once. A call returns 0 or an error code (the exit codes of
 * the README: 2 usage, 3 invalid input, 8 out of memory, 1 internal) and, when err is not NULL, fills it with
 * the code and the one-line message. Arrays are C order; sizes are int64. */
#ifndef TRADEBAL_H
#define TRADEBAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TB_API_VERSION_MAJOR 0
#define TB_API_VERSION_MINOR 1
#define TB_API_VERSION_PATCH 0

typedef struct {
  int code;          /* 0: no error */
  char message[1024]; /* one line, as `tradebal` prints it */
} tb_api_error;

/* "0.1.0"; *major etc. receive the numbers (any may be NULL). */
const char *tb_api_version(int *major, int *minor, int *patch);

/* The entities of MODEL.md section 1, [N] each (weights [N, 4]); bargaining_weight NULL: all 1;
 * translation NULL: the default table of section 2, else T[type][dim][k], 64 doubles. */
typedef struct {
  int64_t n;
  const uint8_t *type;
  const double *weights, *discount_rate, *risk_aversion, *pay_cap, *bargaining_weight;
  const double *translation;
} tb_api_entities;

/* A batch of deals in the input file's own CSR layout (section 1): M deals, P parties, C components,
 * F cash flows. party_ptr [M + 1] and the other pointers start at 0. */
typedef struct {
  int64_t n_deals, n_parties, n_components, n_flows;
  const int64_t *party_ptr;    /* [M + 1] */
  const int64_t *party_entity; /* [P] */
  const int32_t *importer;     /* [M] */
  const double *trade_value;   /* [M] */
  const int64_t *comp_ptr;     /* [P + 1] */
  const uint8_t *comp_dim;     /* [C] */
  const double *comp_prob;     /* [C] */
  const int64_t *flow_ptr;     /* [C + 1] */
  const int32_t *flow_period;  /* [F] */
  const double *flow_amount;   /* [F] */
} tb_api_deals;

/* Sections 2-3's configuration ([model] and [split] of docs/config.md). */
enum { TB_API_VALUE_EXPECTED = 0, TB_API_VALUE_MIN_ADJUSTED = 1 };
enum { TB_API_SPLIT_NASH = 0, TB_API_SPLIT_EGALITARIAN = 1, TB_API_SPLIT_NONE = 2 };
enum { TB_API_SCOPE_REPAIR = 0, TB_API_SCOPE_ALL = 1 };
typedef struct {
  int value_rule, split_rule, split_scope;
  double other_factor; /* f_e(4), default 0.5 */
  int threads;         /* CPU threads; 0: OpenMP's default */
} tb_api_params;

/* The caller's output arrays: value, transfer, final_value [P]; status, surplus, bid [M]. */
typedef struct {
  double *value, *transfer, *final_value;
  uint8_t *status;
  double *surplus, *bid;
} tb_api_results;

/* The defaults of docs/config.md (expected, nash, repair, 0.5, threads 0). */
tb_api_params tb_api_params_default(void);
/* Check the arrays against the rules of section 1 that concern them; the message names the array (as its
 * input dataset, e.g. /deals/comp_prob), the first bad index and the rule, as `tradebal validate` does. */
int tb_api_check(const tb_api_entities *E, const tb_api_deals *D, tb_api_error *err);
/* The deals' rules alone, against n_entities entities already checked (a server keeps a checked entity
 * table and checks each request's deals): the same messages as tb_api_check. */
int tb_api_check_deals(int64_t n_entities, const tb_api_deals *D, tb_api_error *err);
/* Sections 2-3 for every deal (after tb_api_check): the numbers `tradebal run` writes for the same deals,
 * bitwise (pass 1; with `charge`, the import cost P m_d each deal's importer pays before the split, NaN for a
 * deal that does not trade, as under a policy of section 5). charge may be NULL. */
int tb_api_evaluate(const tb_api_params *par, const tb_api_entities *E, const tb_api_deals *D, const double *charge,
                    tb_api_results *out, tb_api_error *err);

/* One certificate call auction of section 5: P* = inf { P >= floor : base (1 + P)^-epsilon + sum_{bid_d > P}
 * m_d <= Q } over n deals with bids and import values m; +inf when nothing can be served. */
int tb_api_cert_auction(double Q, double base_imports, double floor_price, double epsilon, int64_t n,
                        const double *bid, const double *m, double *price, tb_api_error *err);

/* Section 7 for S sectors: A [S, S] row-major (A[i][j]: input of i per unit of j), value_added and
 * employment [S], q final-demand vectors f [q, S]; out: output multipliers m [S] (may be NULL), outputs
 * x [q, S] (may be NULL), gdp and jobs [q]. */
int tb_api_leontief(int64_t S, const double *A, const double *value_added, const double *employment, int64_t q,
                    const double *final_demand, double *multipliers, double *output, double *gdp, double *jobs,
                    tb_api_error *err);

/* The exchange's check of one arriving order (section 5): 0 valid, 1 quantity <= 0, 2 price < 0, 3 a sell
 * of more than the seller's available certificates. side: 0 buy, 1 sell. */
int tb_api_order_check(int side, double quantity, double price, double available);

#ifdef __cplusplus
}
#endif

#endif
