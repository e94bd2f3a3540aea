/* Deal math (MODEL.md sections 2-3) against hand-computed values, closed forms,
 * the published prototype case, and an independent bisection solve (KKT). */
#include "tb_translation.h"
#include "tb_deal_math.h"
#include "tb_test.h"
#include "tb_util.h"

#include <stdlib.h>
#include <string.h>

/* A deal built by hand: up to 8 parties, 4 components each, 4 flows each. */
typedef struct {
  int n, imp;
  double m;
  tb_entity_row row[TB_MAX_PARTIES];
  int ncomp[TB_MAX_PARTIES];
  int dim[8][4];
  double prob[8][4];
  int nflow[8][4];
  int t[8][4][4];
  double a[8][4][4];
} deal_spec;

typedef struct {
  int64_t party_ptr[2], party_row[TB_MAX_PARTIES], comp_ptr[TB_MAX_PARTIES + 1], flow_ptr[1025];
  int32_t importer, flow_period[1024];
  uint8_t comp_dim[1024], status;
  double trade_value, comp_prob[1024], flow_amount[1024];
  double value[TB_MAX_PARTIES], transfer[TB_MAX_PARTIES], final_value[TB_MAX_PARTIES], surplus, bid;
  tb_deal_batch b;
} deal_out;

static void eval(const tb_deal_params *P, const deal_spec *s, deal_out *o) {
  memset(o, 0, sizeof *o);
  int c = 0, f = 0;
  o->party_ptr[1] = s->n;
  for (int j = 0; j < s->n; j++) {
    o->party_row[j] = j;
    o->comp_ptr[j] = c;
    for (int k = 0; j < 8 && k < s->ncomp[j]; k++, c++) {
      o->comp_dim[c] = (uint8_t)s->dim[j][k];
      o->comp_prob[c] = s->prob[j][k];
      o->flow_ptr[c] = f;
      for (int i = 0; i < s->nflow[j][k]; i++, f++) {
        o->flow_period[f] = s->t[j][k][i];
        o->flow_amount[f] = s->a[j][k][i];
      }
    }
  }
  o->comp_ptr[s->n] = c;
  o->flow_ptr[c] = f;
  o->importer = s->imp;
  o->trade_value = s->m;
  o->b = (tb_deal_batch){1, s->n, c, f, o->party_ptr, o->party_row, &o->importer, &o->trade_value,
                         o->comp_ptr, o->comp_dim, o->comp_prob, o->flow_ptr, o->flow_period,
                         o->flow_amount, s->row, s->n, 0, o->value, o->transfer, o->final_value, &o->status,
                         &o->surplus, &o->bid, NULL, 0, NULL, 0};
  tb_deal_eval(P, &o->b, 0);
}

static tb_entity_row entity(int type, const double *w, double r, double rho) {
  tb_entity_row e;
  tb_entity_factors(tb_default_translation, type, w, e.f);
  e.disc = 1.0 / (1.0 + r);
  e.rho1 = 1.0 + rho;
  e.cap = INFINITY;
  e.beta = 1.0;
  return e;
}

static void add_comp(deal_spec *s, int j, int dim, double p, int nf, const int *t, const double *a) {
  int k = s->ncomp[j]++;
  s->dim[j][k] = dim;
  s->prob[j][k] = p;
  s->nflow[j][k] = nf;
  for (int i = 0; i < nf; i++) s->t[j][k][i] = t[i], s->a[j][k][i] = a[i];
}

static const double GOV[4] = {.3, .3, .3, .1}, CORP[4] = {.4, .3, .2, .1};

/* Hand-computed: government, r = .1, rho = 1; economic flows 100, 110, 121 at t = 0..2
 * with p = .5 give PV 300 and 0.28 * 300 * .25 = 21; other (55 at t = 1, p = 1) gives
 * .5 * 50 = 25. min_adjusted: min(.28*331*.25, .28*300) = 23.17 and min(27.5, 25) = 25. */
static void test_value_rules(void) {
  deal_spec s;
  memset(&s, 0, sizeof s);
  s.n = 2;
  s.m = 1;
  s.row[0] = entity(0, GOV, 0.1, 1.0);
  s.row[1] = entity(0, GOV, 0.1, 1.0);
  CHECK_NEAR(s.row[0].f[0], 0.28, 1e-15);
  CHECK_NEAR(s.row[0].f[1], 0.28, 1e-15);
  CHECK_NEAR(s.row[0].f[2], 0.26, 1e-15);
  CHECK_NEAR(s.row[0].f[3], 0.24, 1e-15);
  add_comp(&s, 0, 0, 0.5, 3, (int[]){0, 1, 2}, (double[]){100, 110, 121});
  add_comp(&s, 0, 4, 1.0, 1, (int[]){1}, (double[]){55});
  add_comp(&s, 1, 0, 0.5, 1, (int[]){0}, (double[]){-10}); /* A <= 0 branch */
  tb_deal_params P = {TB_VALUE_EXPECTED, TB_SPLIT_NONE, TB_SCOPE_REPAIR, 0.5};
  deal_out o;
  eval(&P, &s, &o);
  CHECK_NEAR(o.value[0], 21.0 + 25.0, 1e-13);
  CHECK_NEAR(o.value[1], 0.28 * -10 * 0.25, 1e-14);
  P.value_rule = TB_VALUE_MIN_ADJUSTED;
  eval(&P, &s, &o);
  CHECK_NEAR(o.value[0], 0.28 * 331 * 0.25 + 25.0, 1e-13);
  CHECK_NEAR(o.value[1], 0.28 * -10, 1e-14); /* A <= 0: min(g p^2, g) = g */
  CHECK(o.status == TB_REPAIRABLE, "one party loses but F > 0: status %d", o.status);
}

/* The published Python prototype's case (issue 2), min_adjusted, other_factor .5. */
static void test_prototype(void) {
  deal_spec s;
  memset(&s, 0, sizeof s);
  s.n = 4;
  s.m = 100;
  s.row[0] = entity(0, GOV, .05, .3);  /* ustda */
  s.row[1] = entity(0, GOV, .05, .3);  /* usitc */
  s.row[2] = entity(1, CORP, .10, .4); /* us_company */
  s.row[3] = entity(1, CORP, .12, .5); /* foreign_supplier */
  add_comp(&s, 0, 0, .9, 3, (int[]){0, 1, 2}, (double[]){20, 30, 30});
  add_comp(&s, 0, 4, .8, 2, (int[]){1, 2}, (double[]){20, 20});
  add_comp(&s, 1, 0, .85, 2, (int[]){0, 1}, (double[]){20, 40});
  add_comp(&s, 2, 0, .8, 3, (int[]){0, 1, 2}, (double[]){40, 40, 40});
  add_comp(&s, 2, 4, .9, 3, (int[]){0, 1, 2}, (double[]){-10, -10, -10});
  add_comp(&s, 3, 0, .7, 3, (int[]){0, 1, 2}, (double[]){10, 20, 20});
  add_comp(&s, 3, 4, .8, 2, (int[]){1, 2}, (double[]){10, 10});
  tb_deal_params P = {TB_VALUE_MIN_ADJUSTED, TB_SPLIT_NASH, TB_SCOPE_REPAIR, 0.5};
  deal_out o;
  eval(&P, &s, &o);
  const double want[4] = {34.4967, 13.6005, 13.0968, 16.5260};
  for (int j = 0; j < 4; j++)
    CHECK(fabs(o.value[j] - want[j]) <= 0.5e-4, "prototype party %d: %.6f, published %.4f", j,
          o.value[j], want[j]);
  CHECK(o.status == TB_WIN_WIN, "prototype status %d", o.status);
  for (int j = 0; j < 4; j++) CHECK(o.transfer[j] == 0.0 && o.final_value[j] == o.value[j], "no split under repair scope");
}

/* Parties with given money values: V_e = s_e * kappa_e via one certain flow at t = 0. */
static void money_deal(deal_spec *s, int n, const double *sv, const double *kappa,
                       const double *cap, const double *beta) {
  memset(s, 0, sizeof *s);
  s->n = n;
  s->m = 2;
  for (int j = 0; j < n; j++) {
    tb_entity_row *e = &s->row[j];
    e->f[0] = kappa[j];
    e->f[1] = e->f[2] = e->f[3] = 0.5;
    e->disc = 1.0 / 1.05;
    e->rho1 = 1.0;
    e->cap = cap ? cap[j] : INFINITY;
    e->beta = beta ? beta[j] : 1.0;
    if (j < 8) add_comp(s, j, 0, 1.0, 1, (int[]){0}, (double[]){sv[j]});
  }
}

static void test_split_closed_forms(void) {
  tb_deal_params P = {TB_VALUE_EXPECTED, TB_SPLIT_NASH, TB_SCOPE_REPAIR, 0.5};
  deal_spec s;
  deal_out o;
  /* s = (10, -4) with kappa (1, .5): V = (10, -2), S = 6; nash beta 1: u = S/2 = 3 */
  money_deal(&s, 2, (double[]){10, -4}, (double[]){1, .5}, NULL, NULL);
  eval(&P, &s, &o);
  CHECK(o.status == TB_REPAIRABLE, "status %d", o.status);
  CHECK_NEAR(o.surplus, 6.0, 1e-15);
  CHECK_NEAR(o.transfer[0], -7.0, 1e-14);
  CHECK_NEAR(o.transfer[1], 7.0, 1e-14);
  CHECK_NEAR(o.final_value[0], 3.0, 1e-14);
  CHECK_NEAR(o.final_value[1], 1.5, 1e-14);
  /* nash with beta (2, 1): u = 6/3 = 2, V' = kappa beta u = (4, 1) */
  money_deal(&s, 2, (double[]){10, -4}, (double[]){1, .5}, NULL, (double[]){2, 1});
  eval(&P, &s, &o);
  CHECK_NEAR(o.final_value[0], 4.0, 1e-14);
  CHECK_NEAR(o.final_value[1], 1.0, 1e-14);
  /* egalitarian, g = beta/kappa = (1, 2): u = 6/3 = 2, equal final values 2 and 2 */
  P.split_rule = TB_SPLIT_EGALITARIAN;
  money_deal(&s, 2, (double[]){10, -4}, (double[]){1, .5}, NULL, NULL);
  eval(&P, &s, &o);
  CHECK_NEAR(o.final_value[0], 2.0, 1e-14);
  CHECK_NEAR(o.final_value[1], 2.0, 1e-14);
  P.split_rule = TB_SPLIT_NASH;
  /* binding cap 5 on party 0: tau = (-5, 5), u = 1, V' = (5, .5) */
  money_deal(&s, 2, (double[]){10, -4}, (double[]){1, .5}, (double[]){5, INFINITY}, NULL);
  eval(&P, &s, &o);
  CHECK_NEAR(o.transfer[0], -5.0, 1e-14);
  CHECK_NEAR(o.final_value[1], 0.5, 1e-14);
  /* feasibility boundary: cap 4 gives F = 0 (NOT_WIN_WIN, no transfers); 4 + 1e-9 repairs */
  money_deal(&s, 2, (double[]){10, -4}, (double[]){1, .5}, (double[]){4, INFINITY}, NULL);
  eval(&P, &s, &o);
  CHECK(o.status == TB_NOT_WIN_WIN && o.transfer[0] == 0.0 && o.final_value[1] == -2.0, "F = 0");
  money_deal(&s, 2, (double[]){10, -4}, (double[]){1, .5}, (double[]){4 + 1e-9, INFINITY}, NULL);
  eval(&P, &s, &o);
  CHECK(o.status == TB_REPAIRABLE, "F > 0 status %d", o.status);
  CHECK_NEAR(o.transfer[0], -(4 + 1e-9), 1e-15);
  CHECK(o.final_value[1] > 0.0, "repaired value %.3g > 0", o.final_value[1]);
  /* 3 parties s = (10, 6, -4), kappa (1, 1, .5): u = 4, tau = (-6, -2, 8), V' = (4, 4, 2) */
  money_deal(&s, 3, (double[]){10, 6, -4}, (double[]){1, 1, .5}, NULL, NULL);
  s.imp = 1;
  eval(&P, &s, &o);
  CHECK_NEAR(o.transfer[0], -6.0, 1e-14);
  CHECK_NEAR(o.transfer[1], -2.0, 1e-14);
  CHECK_NEAR(o.final_value[2], 2.0, 1e-14);
  CHECK_NEAR(o.bid, (10 + 6 - 4) / 2.0, 1e-15);
  /* 3 parties, cap 3 binds on party 0: -3 + (u-6) + (u+4) = 0, u = 2.5 */
  money_deal(&s, 3, (double[]){10, 6, -4}, (double[]){1, 1, .5}, (double[]){3, INFINITY, INFINITY}, NULL);
  s.imp = 1;
  eval(&P, &s, &o);
  CHECK_NEAR(o.transfer[0], -3.0, 1e-14);
  CHECK_NEAR(o.transfer[1], -3.5, 1e-14);
  CHECK_NEAR(o.final_value[2], 1.25, 1e-14);
  CHECK_NEAR(o.bid, (3 + 6 - 4) / 2.0, 1e-15); /* importer's own value is uncapped */
  s.m = 0;
  eval(&P, &s, &o);
  CHECK(isinf(o.bid) && o.bid > 0, "bid with zero trade value is +inf");
  /* WIN_WIN: scope repair leaves it, scope all splits to V' = (6, 6) */
  money_deal(&s, 2, (double[]){10, 2}, (double[]){1, 1}, NULL, NULL);
  eval(&P, &s, &o);
  CHECK(o.status == TB_WIN_WIN && o.transfer[0] == 0.0, "repair scope leaves WIN_WIN");
  P.split_scope = TB_SCOPE_ALL;
  eval(&P, &s, &o);
  CHECK_NEAR(o.final_value[0], 6.0, 1e-14);
  CHECK_NEAR(o.final_value[1], 6.0, 1e-14);
  /* WIN_WIN with zero caps everywhere: F = 0, so no transfers even in scope all */
  money_deal(&s, 2, (double[]){10, 2}, (double[]){1, 1}, (double[]){0, 0}, NULL);
  eval(&P, &s, &o);
  CHECK(o.status == TB_WIN_WIN && o.transfer[0] == 0.0 && o.transfer[1] == 0.0, "F = 0 in scope all");
  P.split_rule = TB_SPLIT_NONE;
  money_deal(&s, 2, (double[]){10, -4}, (double[]){1, .5}, NULL, NULL);
  eval(&P, &s, &o);
  CHECK(o.status == TB_REPAIRABLE && o.transfer[0] == 0.0 && o.final_value[1] == -2.0, "split none");
}

static double urand(unsigned *st) {
  *st = *st * 1664525u + 1013904223u;
  return (*st >> 8) * (1.0 / 16777216.0);
}

/* Independent oracle: bisection on the monotone sum of transfers. */
static double bisect_root(const tb_deal_params *P, const double *s, const tb_entity_row *r, int n) {
  double lo = 0.0, hi = 1.0;
  for (;;) {
    double h = 0.0;
    for (int e = 0; e < n; e++) h += fmax(tb_nash_slope(P, &r[e]) * hi - s[e], -r[e].cap);
    if (h >= 0) break;
    hi *= 2;
  }
  for (int it = 0; it < 200; it++) {
    double mid = 0.5 * (lo + hi), h = 0.0;
    for (int e = 0; e < n; e++) h += fmax(tb_nash_slope(P, &r[e]) * mid - s[e], -r[e].cap);
    if (h < 0) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

static void test_kkt_random(void) {
  unsigned st = 12345;
  int checked = 0;
  for (int trial = 0; trial < 4000; trial++) {
    const int n = trial % 50 == 0 ? TB_MAX_PARTIES : 2 + (int)(urand(&st) * 7);
    tb_deal_params P = {TB_VALUE_EXPECTED, trial % 2 ? TB_SPLIT_EGALITARIAN : TB_SPLIT_NASH, TB_SCOPE_ALL, .5};
    static deal_spec s;
    static deal_out o;
    double sv[TB_MAX_PARTIES], kap[TB_MAX_PARTIES], cap[TB_MAX_PARTIES], beta[TB_MAX_PARTIES];
    for (int j = 0; j < n; j++) {
      sv[j] = (urand(&st) - 0.35) * 100;
      kap[j] = 0.05 + urand(&st);
      cap[j] = urand(&st) < 0.3 ? INFINITY : urand(&st) * 40;
      beta[j] = 0.2 + 2 * urand(&st);
    }
    money_deal(&s, n, sv, kap, cap, beta);
    if (n > 8) { /* parties past 8 carry no components in deal_spec: give them s via V = 0 */
      for (int j = 8; j < n; j++) sv[j] = 0.0;
    }
    eval(&P, &s, &o);
    double F = 0.0, scale = 0.0, sum = 0.0, sabs = 0.0;
    for (int j = 0; j < n; j++) {
      double sj = o.value[j] / kap[j];
      F += fmin(sj, cap[j]);
      scale = fmax(scale, fabs(sj));
      sum += o.transfer[j];
      sabs += fabs(o.transfer[j]);
    }
    if (!(F > 1e-6)) continue;
    checked++;
    CHECK(fabs(sum) <= 1e-12 * fmax(1.0, sabs), "trial %d: sum of transfers %.3g", trial, sum);
    double s_e[TB_MAX_PARTIES];
    for (int j = 0; j < n; j++) s_e[j] = o.value[j] / kap[j];
    const double u = bisect_root(&P, s_e, s.row, n);
    for (int j = 0; j < n; j++) {
      const double g = tb_nash_slope(&P, &s.row[j]);
      /* stationarity: V'_e = kappa_e g_e u off the cap, above it on the cap */
      const double ratio = o.final_value[j] / (kap[j] * g);
      CHECK(o.final_value[j] > 0.0, "trial %d party %d: final value %.3g", trial, j, o.final_value[j]);
      CHECK(o.transfer[j] >= -cap[j] * (1 + 1e-15), "trial %d: transfer below -cap", trial);
      if (o.transfer[j] > -cap[j] + 1e-9 * scale)
        CHECK(fabs(ratio - u) <= 1e-12 * fmax(1.0, u), "trial %d party %d: V'/(kappa g) %.17g vs u %.17g",
              trial, j, ratio, u);
      else
        CHECK(ratio >= u * (1 - 1e-12), "trial %d party %d: capped ratio %.17g below u %.17g", trial, j, ratio, u);
    }
  }
  CHECK(checked > 1000, "only %d random deals were feasible", checked);
}

/* Section 5: the importer pays P m_d, then the split is recomputed on the values after it. */
static void test_import_charge(void) {
  tb_deal_params P = {TB_VALUE_EXPECTED, TB_SPLIT_NASH, TB_SCOPE_REPAIR, 0.5};
  deal_spec s;
  deal_out o;
  /* s = (10, 2), kappa (1, .5), importer 1, m = 4: bid = (10 + 2) / 4 = 3. Premium 1 costs 4:
   * s' = (10, -2), REPAIRABLE, nash u = 8/2 = 4, tau = (-6, 6); V''_1 = 1 + .5 (6 - 4) = 2 */
  money_deal(&s, 2, (double[]){10, 2}, (double[]){1, .5}, NULL, NULL);
  s.imp = 1;
  s.m = 4;
  double charge = 4.0;
  eval(&P, &s, &o);
  CHECK(o.status == TB_WIN_WIN && o.transfer[0] == 0.0, "pre-cost: WIN_WIN, no split in scope repair");
  CHECK_NEAR(o.bid, 3.0, 1e-15);
  o.b.charge = &charge;
  tb_deal_eval(&P, &o.b, 0);
  CHECK(o.status == TB_WIN_WIN, "status stays pre-cost");
  CHECK_NEAR(o.value[1], 1.0, 1e-14);
  CHECK_NEAR(o.surplus, 12.0, 1e-14);
  CHECK_NEAR(o.transfer[0], -6.0, 1e-14);
  CHECK_NEAR(o.transfer[1], 6.0, 1e-14);
  CHECK_NEAR(o.final_value[0], 4.0, 1e-14);
  CHECK_NEAR(o.final_value[1], 2.0, 1e-14);
  /* a small cost keeps both positive: no transfer, the importer just pays (V'' = 1 - .5 * 1) */
  charge = 1.0;
  tb_deal_eval(&P, &o.b, 0);
  CHECK(o.transfer[1] == 0.0 && o.transfer[0] == 0.0, "cost without split");
  CHECK_NEAR(o.final_value[1], 0.5, 1e-14);
  /* NaN: not traded, transfer 0 and final value V */
  charge = NAN;
  tb_deal_eval(&P, &o.b, 0);
  CHECK(o.transfer[0] == 0.0 && o.transfer[1] == 0.0 && o.final_value[0] == o.value[0] &&
            o.final_value[1] == o.value[1], "not traded");
  /* zero charge is the plain section 3 split, bitwise */
  money_deal(&s, 3, (double[]){10, 6, -4}, (double[]){1, 1, .5}, NULL, NULL);
  eval(&P, &s, &o);
  double t0[3] = {o.transfer[0], o.transfer[1], o.transfer[2]};
  charge = 0.0;
  o.b.charge = &charge;
  tb_deal_eval(&P, &o.b, 0);
  CHECK(!memcmp(t0, o.transfer, sizeof t0), "zero charge changes nothing");
}

/* MODEL.md section 4's budget rule compares a double-double running cost with B exactly: costs
 * 2^-53 then 1 sum to 1 + 2^-53, which rounds to 1 but is over a budget of 1. */
static void test_budget_compare(void) {
  const double tiny = ldexp(1.0, -53);
  double pair[2] = {0.0, 0.0};
  tb_dd_add(pair, tiny);
  tb_dd_add(pair, 1.0);
  CHECK(pair[0] + pair[1] == 1.0, "the rounded sum is 1 (the trap)");
  CHECK(!tb_dd_le(pair, 1.0), "1 + 2^-53 <= 1 must be false");
  CHECK(tb_dd_le(pair, nextafter(1.0, 2.0)), "1 + 2^-53 <= 1 + 2^-52");
  CHECK(tb_dd_le(pair, INFINITY), "anything <= +inf");
  const double under[2] = {1.0, -tiny / 2}, exact[2] = {1.0, 0.0}, split[2] = {0.5, 0.5};
  CHECK(tb_dd_le(under, 1.0) && !tb_dd_le(under, nextafter(1.0, 0.0)), "1 - 2^-54 is within 1, over 1 - 2^-53");
  CHECK(tb_dd_le(exact, 1.0) && tb_dd_le(split, 1.0), "equal totals are within the budget");
  CHECK(!tb_dd_le(exact, 0.0) && tb_dd_le((const double[2]){0.0, 0.0}, 0.0), "budget 0");
}

int main(void) {
  test_budget_compare();
  test_import_charge();
  test_value_rules();
  test_prototype();
  test_split_closed_forms();
  test_kkt_random();
  return TEST_SUMMARY();
}
