#include "tb_rules.h"

#include "tb_deal_math.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

void tb_rule_report_init(tb_rule_report *r) {
  r->first = INT64_MAX;
  r->msg[0] = 0;
}

void tb_rule_fail(tb_rule_report *r, int64_t idx, const char *fmt, ...) {
  if (idx >= r->first) return;
  r->first = idx;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->msg, sizeof r->msg, fmt, ap);
  va_end(ap);
}

void tb_rules_range(tb_rule_report *r, const tb_rule_range *R, int64_t row0, int64_t n, const void *buf) {
  const int64_t m = n * R->ncols;
  for (int64_t i = 0; i < m; i++) {
    double v = R->is_int ? (double)((const int64_t *)buf)[i] : ((const double *)buf)[i];
    int bad = isnan(v) || (!R->inf_ok && isinf(v)) || v < R->lo || v > R->hi ||
              (R->lo_open && v == R->lo);
    if (!bad) continue;
    int64_t row = row0 + i / R->ncols, g = row0 * R->ncols + i;
    char val[64];
    if (R->is_int) snprintf(val, sizeof val, "%lld", (long long)((const int64_t *)buf)[i]);
    else snprintf(val, sizeof val, "%.17g", v);
    if (R->ncols > 1)
      tb_rule_fail(r, g, "%s[%lld,%lld]: value %s breaks rule: %s", R->name, (long long)row,
                   (long long)(i % R->ncols), val, R->rule);
    else
      tb_rule_fail(r, g, "%s[%lld]: value %s breaks rule: %s", R->name, (long long)row, val, R->rule);
    return;
  }
}

void tb_rules_csr(tb_rule_report *r, const tb_rule_csr *C, int64_t row0, int64_t n, const int64_t *p) {
  if (C->nitems == 0) { /* the lone pointer must still be 0 == nchild */
    if (p[0] != 0 || C->nchild != 0)
      tb_rule_fail(r, 0, "%s[0]: value %lld breaks rule: CSR pointers start at 0 and end at the length of %s",
                   C->name, (long long)p[0], C->child);
    return;
  }
  if (row0 == 0 && p[0] != 0) {
    tb_rule_fail(r, 0, "%s[0]: value %lld breaks rule: CSR pointers start at 0", C->name, (long long)p[0]);
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t cnt = p[i + 1] - p[i];
    if (cnt < C->minc || cnt > C->maxc || p[i + 1] < p[i]) {
      char rule[96];
      if (C->maxc == INT64_MAX) snprintf(rule, sizeof rule, "CSR pointers are non-decreasing");
      else snprintf(rule, sizeof rule, "%lld to %lld entries per item", (long long)C->minc, (long long)C->maxc);
      tb_rule_fail(r, row0 + i + 1, "%s[%lld]: value %lld after %lld breaks rule: %s", C->name,
            (long long)(row0 + i + 1), (long long)p[i + 1], (long long)p[i], rule);
      return;
    }
  }
  if (row0 + n == C->nitems && p[n] != C->nchild)
    tb_rule_fail(r, C->nitems, "%s[%lld]: value %lld breaks rule: last pointer equals the length of %s (%lld)",
          C->name, (long long)C->nitems, (long long)p[n], C->child, (long long)C->nchild);
}

void tb_rules_weights(tb_rule_report *r, int64_t row0, int64_t n, const double *w) {
  for (int64_t i = 0; i < n; i++) {
    double s = 0.0;
    for (int k = 0; k < 4; k++) {
      double x = w[4 * i + k];
      if (!(x >= 0.0) || isinf(x)) {
        tb_rule_fail(r, row0 + i, "/entities/weights[%lld,%d]: value %.17g breaks rule: weights are finite and >= 0",
              (long long)(row0 + i), k, x);
        return;
      }
      s += x;
    }
    if (fabs(s - 1.0) > 1e-6) {
      tb_rule_fail(r, row0 + i, "/entities/weights[%lld]: row sum %.17g breaks rule: row sum 1 within 1e-6",
            (long long)(row0 + i), s);
      return;
    }
  }
}

void tb_rules_kappa(tb_rule_report *r, const double *T, int64_t row0, int64_t n, const int64_t *type,
                    const double *w) {
  for (int64_t i = 0; i < n; i++) {
    double f[4];
    tb_entity_factors(T, (int)type[i], w + 4 * i, f);
    if (!(f[0] > 0.0)) {
      tb_rule_fail(r, row0 + i, "/entities/weights[%lld]: economic factor kappa = %.17g breaks rule: "
                   "kappa_e = f_e(0) > 0 (MODEL.md section 3)", (long long)(row0 + i), f[0]);
      return;
    }
  }
}

void tb_rules_deal_parties(tb_rule_report *r, int64_t d0, int64_t n, const int64_t *ptr, const int64_t *imp,
                           const int64_t *ent) {
  for (int64_t d = 0; d < n && r->first == INT64_MAX; d++) {
    const int64_t *e = ent + (ptr[d] - ptr[0]), k = ptr[d + 1] - ptr[d];
    if (imp[d] < 0 || imp[d] >= k) {
      tb_rule_fail(r, d0 + d, "/deals/importer[%lld]: value %lld breaks rule: a party index 0..%lld of the deal",
                   (long long)(d0 + d), (long long)imp[d], (long long)(k - 1));
      return;
    }
    for (int64_t a = 1; a < k; a++)
      for (int64_t b = 0; b < a; b++)
        if (e[a] == e[b]) {
          tb_rule_fail(r, d0 + d, "/deals/party_entity[%lld]: entity %lld breaks rule: no entity twice in one deal "
                       "(deal %lld)", (long long)(ptr[d] + a), (long long)e[a], (long long)(d0 + d));
          return;
        }
  }
}

void tb_rules_translation(tb_rule_report *r, const double *T) {
  for (int i = 0; i < 64; i++)
    if (!(T[i] >= 0.0) || isinf(T[i])) {
      tb_rule_fail(r, i, "/model/translation[%d,%d,%d]: value %.17g breaks rule: finite and >= 0", i / 16,
                   (i / 4) % 4, i % 4, T[i]);
      return;
    }
}
