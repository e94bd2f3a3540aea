/* Per-deal math of MODEL.md sections 2 and 3, shared verbatim by the CPU backend (C11)
 * and the CUDA kernels: one copy of every formula. The network row of section 6 is
 * tb_network_row.h. */
#ifndef TB_DEAL_MATH_H
#define TB_DEAL_MATH_H

#include <math.h>
#include <stdint.h>

#include "tb_hd.h"

enum { TB_VALUE_EXPECTED = 0, TB_VALUE_MIN_ADJUSTED = 1 };
enum { TB_SPLIT_NASH = 0, TB_SPLIT_EGALITARIAN = 1, TB_SPLIT_NONE = 2 };
enum { TB_SCOPE_REPAIR = 0, TB_SCOPE_ALL = 1 };
enum { TB_WIN_WIN = 0, TB_REPAIRABLE = 1, TB_NOT_WIN_WIN = 2 };

#define TB_MAX_PARTIES 255
#define TB_NDIM 5

typedef struct {
  int value_rule, split_rule, split_scope;
  double other_factor; /* f_e(4) */
} tb_deal_params;

/* What the deal math needs of one entity, precomputed once per entity: 64 bytes,
 * one cache line when the table is 64-byte aligned. */
typedef struct {
  double f[4];  /* translation factors f_e(0..3); kappa_e = f[0] */
  double disc;  /* discount factor 1 / (1 + r_e) */
  double rho1;  /* 1 + rho_e */
  double cap;   /* pay cap, may be +inf */
  double beta;  /* bargaining weight */
} tb_entity_row;

/* One batch of deals in CSR form; pointers are rebased so party_ptr[0] == 0. */
typedef struct {
  int64_t ndeal, nparty, ncomp, nflow;
  const int64_t *party_ptr;   /* [ndeal+1] */
  const int64_t *party_row;   /* [nparty] row of each party in `rows` */
  const int32_t *importer;    /* [ndeal] */
  const double *trade_value;  /* [ndeal] */
  const int64_t *comp_ptr;    /* [nparty+1] */
  const uint8_t *comp_dim;    /* [ncomp] */
  const double *comp_prob;    /* [ncomp] */
  const int64_t *flow_ptr;    /* [ncomp+1] */
  const int32_t *flow_period; /* [nflow] */
  const double *flow_amount;  /* [nflow] */
  const tb_entity_row *rows;
  int64_t nrows;        /* rows in the table */
  int64_t nrows_static; /* leading rows that stay the same from batch to batch (this rank's block) */
  double *value, *transfer, *final_value; /* [nparty] outputs */
  uint8_t *status;                        /* [ndeal] outputs */
  double *surplus, *bid;
  /* Optional: p_c^(1 + rho_e) per component, precomputed by a backend with a faster
   * pow, at comp_pow[c - comp_pow_base]; NULL computes it here with pow(). */
  const double *comp_pow;
  int64_t comp_pow_base;
  /* Optional (section 5): import cost P * m_d charged to the importer before the split,
   * per deal; NaN marks a deal that does not trade (no transfer, final value = V).
   * NULL: no market, the plain section 3 split. value/status/surplus/bid stay pre-cost. */
  const double *charge;
  /* Non-zero: `value` already holds every party's V (a run of this batch before, under any
   * charge), so only the charge and the split are done: a backend whose ops table says
   * reads_values skips the components and flows. */
  int values_known;
} tb_deal_batch;

/* f_e(d) = sum_k T[type][d][k] w_k for d = 0..3 (T is [4][4][4], row-major). */
TB_HD static inline void tb_entity_factors(const double *T, int type, const double *w, double *f) {
  for (int d = 0; d < 4; d++) {
    double acc = 0.0;
    for (int k = 0; k < 4; k++) acc += T[(type * 4 + d) * 4 + k] * w[k];
    f[d] = acc;
  }
}

/* An entity's row from its section 1 fields: factors, discount factor, 1 + rho, cap, beta. */
TB_HD static inline void tb_entity_row_of(const double *T, int type, const double *w, double r, double rho, double cap,
                                          double beta, tb_entity_row *e) {
  tb_entity_factors(T, type, w, e->f);
  e->disc = 1.0 / (1.0 + r);
  e->rho1 = 1.0 + rho;
  e->cap = cap;
  e->beta = beta;
}

/* x^n for n >= 0 by binary powering: exact IEEE multiplies, so CPU and GPU agree bitwise.
 * The two low bits are selects, not branches (periods are small and random, and a
 * mispredicted branch cost more than the multiplies); multiplying by 1.0 is exact, so the
 * bits are those of the plain loop. */
TB_HD static inline double tb_pow_int(double x, int32_t n) {
  double r = n & 1 ? x : 1.0;
  x *= x;
  r *= n & 2 ? x : 1.0;
  for (n >>= 2; n > 0; n >>= 1) {
    x *= x;
    if (n & 1) r *= x;
  }
  return r;
}

/* Translation factors f_e(0..3) and f_e(4), so a component's dimension is an index. */
TB_HD static inline void tb_factors5(const tb_deal_params *P, const tb_entity_row *e, double *f5) {
  for (int k = 0; k < 4; k++) f5[k] = e->f[k];
  f5[4] = P->other_factor;
}

/* Worth of one component to its party under the configured value rule; f is its
 * translation factor f_e(dim) and pw = p_c^(1 + rho_e).
 * Discount factors v^t (v = 1/(1+r)) run as a product along the flows: a flow one
 * period after the previous one costs one multiply, any other period is powered
 * afresh (the first flow always is: v^t from d = 1 and t_prev = 0 is the same bits).
 * Cash flows usually come in consecutive periods, and this was the stage's
 * largest cost; the factor carries at most a few ulps more error than a fresh power. */
TB_HD static inline double tb_component_value(const tb_deal_params *P, double disc, double f, double pw,
                                              const int32_t *t, const double *a, int64_t nf) {
  double pv = 0.0, sum = 0.0, d = nf > 0 ? tb_pow_int(disc, t[0]) : 1.0;
  for (int64_t i = 0; i < nf; i++) {
    if (i > 0) d = t[i] == t[i - 1] + 1 ? d * disc : t[i] == t[i - 1] ? d : tb_pow_int(disc, t[i]);
    pv += a[i] * d;
    sum += a[i];
  }
  if (P->value_rule == TB_VALUE_EXPECTED) return f * pv * pw;
  double g = f * sum;
  double risk = g * pw;
  double time = sum > 0.0 ? g * pv / sum : g;
  return risk < time ? risk : time;
}

/* The surplus split of section 3. The Nash rule (maximise sum_e beta_e log V''_e) and the
 * egalitarian rule (maximise min_e V''_e / beta_e) share the exact solution
 * tau_e(u) = max(g_e u - s_e, -cap_e), u the root of sum_e tau_e(u) = 0 (tb_nash_root);
 * only the slope differs: g_e = beta_e (nash) or beta_e / kappa_e (egalitarian). */
/* Slope g_e of tau_e(u) = max(g_e u - s_e, -cap_e). */
TB_HD static inline double tb_nash_slope(const tb_deal_params *P, const tb_entity_row *e) {
  return P->split_rule == TB_SPLIT_EGALITARIAN ? e->beta / e->f[0] : e->beta;
}

/* Breakpoint (s - cap) / g; -inf for an uncapped party (always on its linear piece). */
TB_HD static inline double tb_nash_breakpoint(double s, double cap, double g) {
  return isinf(cap) ? -INFINITY : (s - cap) / g;
}

/* Entity row of party p (no per-deal array of pointers: it would cost a GPU thread 2 KB
 * of local memory for 255 parties). */
TB_HD static inline const tb_entity_row *tb_party(const tb_deal_batch *B, int64_t p) {
  return &B->rows[B->party_row[p]];
}

/* Sums of the line G u - Sa - Ci that the transfers add up to on the segment just
 * above `cur`: parties with breakpoint <= cur are on their linear piece, the rest capped. */

TB_HD static inline void tb_nash_segment(const tb_deal_params *P, const double *s,
                                          const tb_deal_batch *B, int64_t p0, int64_t n, double cur,
                                          double *G, double *Sa, double *Ci) {
  *G = *Sa = *Ci = 0.0;
  for (int64_t e = 0; e < n; e++) {
    const tb_entity_row *r = tb_party(B, p0 + e);
    double g = tb_nash_slope(P, r);
    if (tb_nash_breakpoint(s[e], r->cap, g) <= cur) {
      *G += g;
      *Sa += s[e];
    } else {
      *Ci += r->cap;
    }
  }
}

/* Root u > 0 of sum_e max(g_e u - s_e, -cap_e) = 0, found exactly by scanning the
 * breakpoints in increasing order. s[] holds the money-equivalent values of the
 * deal's n parties, whose first party is p0 in batch B. Requires F_d > 0. */
TB_HD static inline double tb_nash_root(const tb_deal_params *P, const double *s,
                                         const tb_deal_batch *B, int64_t p0, int64_t n) {
  double cur = 0.0, G, Sa, Ci;
  tb_nash_segment(P, s, B, p0, n, cur, &G, &Sa, &Ci);
  for (;;) { /* on (cur, next] the sum is the line G u - Sa - Ci */
    double next = INFINITY;
    for (int64_t e = 0; e < n; e++) {
      const tb_entity_row *r = tb_party(B, p0 + e);
      double b = tb_nash_breakpoint(s[e], r->cap, tb_nash_slope(P, r));
      if (b > cur && b < next) next = b;
    }
    if (isinf(next) || (G > 0.0 && G * next - Sa - Ci >= 0.0)) break;
    for (int64_t e = 0; e < n; e++) {
      const tb_entity_row *r = tb_party(B, p0 + e);
      double g = tb_nash_slope(P, r);
      if (tb_nash_breakpoint(s[e], r->cap, g) == next) {
        G += g;
        Sa += s[e];
        Ci -= r->cap;
      }
    }
    cur = next;
  }
  /* Final sums in party order over the segment's active set: deterministic and
   * free of the scan's running cancellation. */
  tb_nash_segment(P, s, B, p0, n, cur, &G, &Sa, &Ci);
  return G > 0.0 ? (Sa + Ci) / G : NAN;
}

/* V of party p (section 2): its components' worth summed in component order. */
TB_HD static inline double tb_party_value(const tb_deal_params *P, const tb_deal_batch *B, int64_t p,
                                          const tb_entity_row *e) {
  double V = 0.0, f5[TB_NDIM];
  tb_factors5(P, e, f5);
  for (int64_t c = B->comp_ptr[p]; c < B->comp_ptr[p + 1]; c++) {
    const int64_t f0 = B->flow_ptr[c];
    const double pw = B->comp_pow ? B->comp_pow[c - B->comp_pow_base] : pow(B->comp_prob[c], e->rho1);
    V += tb_component_value(P, e->disc, f5[B->comp_dim[c]], pw, B->flow_period + f0, B->flow_amount + f0,
                            B->flow_ptr[c + 1] - f0);
  }
  return V;
}

/* Sections 2 and 3 for deal d of batch B: values, status, surplus, bid, split. */
TB_HD static inline void tb_deal_eval(const tb_deal_params *P, const tb_deal_batch *B, int64_t d) {
  const int64_t p0 = B->party_ptr[d], n = B->party_ptr[d + 1] - p0;
  const int32_t imp = B->importer[d];
  double *s = B->transfer + p0; /* scratch: s_e lives in the transfer slots until the split */
  double S = 0.0, F = 0.0, bidnum = 0.0;
  int all_pos = 1;
  for (int64_t j = 0; j < n; j++) {
    const int64_t p = p0 + j;
    const tb_entity_row *e = tb_party(B, p);
    const double V = B->values_known ? B->value[p] : tb_party_value(P, B, p, e);
    B->value[p] = V;
    s[j] = V / e->f[0];
    const double capped = s[j] < e->cap ? s[j] : e->cap;
    S += s[j];
    F += capped;
    bidnum += j == imp ? s[j] : capped;
    all_pos &= V > 0.0;
  }
  int status = all_pos ? TB_WIN_WIN : (F > 0.0 ? TB_REPAIRABLE : TB_NOT_WIN_WIN);
  B->status[d] = (uint8_t)status;
  B->surplus[d] = S;
  B->bid[d] = B->trade_value[d] > 0.0 ? bidnum / B->trade_value[d] : INFINITY;
  const double ch = B->charge ? B->charge[d] : 0.0;
  if (ch != 0.0) { /* the importer pays P m_d (money); the split sees the values after it */
    int pos = 1;
    F = 0.0;
    for (int64_t j = 0; j < n; j++) {
      if (j == imp && !isnan(ch)) s[j] -= ch;
      const double cap = tb_party(B, p0 + j)->cap;
      F += s[j] < cap ? s[j] : cap;
      pos &= s[j] > 0.0;
    }
    status = pos ? TB_WIN_WIN : (F > 0.0 ? TB_REPAIRABLE : TB_NOT_WIN_WIN);
  }
  const int split = P->split_rule != TB_SPLIT_NONE && !isnan(ch) &&
                    (status == TB_REPAIRABLE ||
                     (P->split_scope == TB_SCOPE_ALL && status == TB_WIN_WIN && F > 0.0));
  const double u = split ? tb_nash_root(P, s, B, p0, n) : 0.0;
  for (int64_t j = 0; j < n; j++) {
    const int64_t p = p0 + j;
    const tb_entity_row *e = tb_party(B, p);
    double tau = 0.0;
    if (split) {
      tau = tb_nash_slope(P, e) * u - s[j];
      if (tau < -e->cap) tau = -e->cap;
    }
    B->transfer[p] = tau;
    /* V'' = V + kappa (tau - cost paid) */
    const double paid = j == imp && !isnan(ch) ? ch : 0.0;
    B->final_value[p] = paid != 0.0 ? B->value[p] + e->f[0] * (tau - paid) : B->value[p] + e->f[0] * tau;
  }
}

#endif
