/* MODEL.md section 5 building blocks with no I/O: the certificate ledger and the
 * uniform-price call auction. The auction asks a callback for the deals' demand, so
 * the same code clears a market held on one rank or spread over many. */
#ifndef TB_CERTIFICATES_H
#define TB_CERTIFICATES_H

#include <stdint.h>

/* Certificates of one region, by last valid period. Order within period t:
 * tb_ledger_consume (during t), then tb_ledger_close_period(t, issue). */
typedef struct {
  int64_t E, T;
  double *tranche;                 /* [T + E]: unused amount whose last valid period is the index */
  double issued, used, expired;    /* cumulative */
  double issued_t, used_t, expired_t; /* this period */
} tb_ledger;

/* The initial allocation `initial` is valid for periods 0..E-1. */
int tb_ledger_init(tb_ledger *L, int64_t T, int64_t E, double initial);
void tb_ledger_free(tb_ledger *L);
double tb_ledger_available(const tb_ledger *L, int64_t t); /* Q: unexpired, unused at t */
/* Use `amount` at period t, earliest expiry first (clamped to what is available). */
void tb_ledger_consume(tb_ledger *L, int64_t t, double amount);
/* End of period t: expire what was valid through t, then issue `amount` valid t+1..t+E. */
void tb_ledger_close_period(tb_ledger *L, int64_t t, double amount);
/* used + expired + outstanding = issued (relative 1e-9) and used_t <= available_t. */
int tb_ledger_check(const tb_ledger *L, int64_t t, double available_t, int region, const char *policy);

/* Base import demand D_base(P) = base (1 + P)^(-epsilon); 0 at P = +inf. */
double tb_base_demand(double base, double P, double epsilon);

/* Global demand of the deals: out[i] = sum of m_d over deals of market i with bid > P[i].
 * Collective when the deals are spread over ranks (every rank calls it the same number of times). */
typedef int (*tb_deal_demand_fn)(void *ctx, int n, const double *P, double *out);

typedef struct {
  double Q, base, floor_price, epsilon;
} tb_auction;

/* P*_i = inf { P >= floor : D_base(P) + deals(P) <= Q } for n markets at once, exact to the
 * double: a bisection over the ordered bit patterns of P (at most 64 demand calls).
 * +inf when no finite price clears (Q = 0 with positive base demand). */
int tb_cert_auction_clear(int n, const tb_auction *A, tb_deal_demand_fn demand, void *ctx, double *Pstar);

#endif
