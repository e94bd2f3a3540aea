#include "tb_certificates.h"

#include "tb_error.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int tb_ledger_init(tb_ledger *L, int64_t T, int64_t E, double initial) {
  int rc = TB_OK;
  memset(L, 0, sizeof *L);
  L->T = T, L->E = E;
  TB_ALLOC(L->tranche, T + E);
  memset(L->tranche, 0, sizeof(double) * (size_t)(T + E));
  L->tranche[E - 1] = initial;
  L->issued = L->issued_t = initial;
done:
  return rc;
}

void tb_ledger_free(tb_ledger *L) {
  free(L->tranche);
  L->tranche = NULL;
}

double tb_ledger_available(const tb_ledger *L, int64_t t) {
  double q = 0.0;
  for (int64_t l = t; l < L->T + L->E; l++) q += L->tranche[l];
  return q;
}

void tb_ledger_consume(tb_ledger *L, int64_t t, double amount) {
  L->used_t = 0.0;
  for (int64_t l = t; l < L->T + L->E && amount > 0.0; l++) {
    double take = amount < L->tranche[l] ? amount : L->tranche[l];
    L->tranche[l] -= take;
    amount -= take;
    L->used_t += take;
  }
  L->used += L->used_t;
}

void tb_ledger_close_period(tb_ledger *L, int64_t t, double amount) {
  L->expired_t = L->tranche[t];
  L->expired += L->expired_t;
  L->tranche[t] = 0.0;
  L->tranche[t + L->E] += amount;
  L->issued_t = amount;
  L->issued += amount;
}

int tb_ledger_check(const tb_ledger *L, int64_t t, double available_t, int region, const char *policy) {
  const double out = tb_ledger_available(L, t + 1 < L->T + L->E ? t + 1 : L->T + L->E);
  const double lhs = L->used + L->expired + out, tol = 1e-9 * (L->issued > 1.0 ? L->issued : 1.0);
  if (fabs(lhs - L->issued) > tol)
    return TB_ERR(TB_ERR_INTERNAL, "policy %s, region %d, period %lld: certificate ledger broken: used %.17g + "
                  "expired %.17g + outstanding %.17g != issued %.17g", policy, region, (long long)t,
                  L->used, L->expired, out, L->issued);
  if (L->used_t > available_t * (1 + 1e-12))
    return TB_ERR(TB_ERR_INTERNAL, "policy %s, region %d, period %lld: used %.17g > available %.17g", policy,
                  region, (long long)t, L->used_t, available_t);
  return TB_OK;
}

double tb_base_demand(double base, double P, double epsilon) {
  if (isinf(P)) return 0.0;
  return base * pow(1.0 + P, -epsilon);
}

/* Non-negative doubles are ordered like their bit patterns. */
static uint64_t bits_of(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}
static double double_of(uint64_t u) {
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

static int feasible(const tb_auction *a, double P, double deals) {
  return tb_base_demand(a->base, P, a->epsilon) + deals <= a->Q;
}

int tb_cert_auction_clear(int n, const tb_auction *A, tb_deal_demand_fn demand, void *ctx, double *Pstar) {
  int rc = TB_OK;
  uint64_t *lo = NULL, *hi = NULL;
  double *P = NULL, *D = NULL;
  TB_ALLOC(lo, n);
  TB_ALLOC(hi, n);
  TB_ALLOC(P, n);
  TB_ALLOC(D, n);
  /* bracket: the floor itself, then the largest finite price */
  for (int i = 0; i < n; i++) P[i] = A[i].floor_price + 0.0;
  TB_GUARD(demand(ctx, n, P, D));
  for (int i = 0; i < n; i++) {
    Pstar[i] = NAN;
    if (feasible(&A[i], P[i], D[i])) Pstar[i] = P[i];
    else if (A[i].Q <= 0.0 && A[i].base > 0.0) Pstar[i] = INFINITY; /* nothing can be served */
    lo[i] = bits_of(P[i]);
    hi[i] = bits_of(DBL_MAX);
    P[i] = DBL_MAX;
  }
  TB_GUARD(demand(ctx, n, P, D));
  for (int i = 0; i < n; i++)
    if (isnan(Pstar[i]) && !feasible(&A[i], P[i], D[i])) Pstar[i] = INFINITY;
  /* invariant: lo infeasible, hi feasible; every rank runs the same number of rounds */
  for (int round = 0; round < 64; round++) {
    int open = 0;
    for (int i = 0; i < n; i++) {
      const int active = isnan(Pstar[i]) && hi[i] - lo[i] > 1;
      P[i] = active ? double_of(lo[i] + (hi[i] - lo[i]) / 2) : 0.0;
      open |= active;
    }
    if (!open) break;
    TB_GUARD(demand(ctx, n, P, D));
    for (int i = 0; i < n; i++) {
      if (!isnan(Pstar[i]) || hi[i] - lo[i] <= 1) continue;
      if (feasible(&A[i], P[i], D[i])) hi[i] = bits_of(P[i]);
      else lo[i] = bits_of(P[i]);
    }
  }
  for (int i = 0; i < n; i++)
    if (isnan(Pstar[i])) Pstar[i] = double_of(hi[i]);
done:
  free(lo), free(hi), free(P), free(D);
  return rc;
}
