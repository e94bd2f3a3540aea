#include "tb_policy_file.h"

#include "tb_error.h"
#include "tb_comm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put(tb_h5 *o, const char *name, hid_t ftype, hid_t mtype, int rank, const int64_t *dims,
               int64_t row0, int64_t nrows, const void *buf) {
  TB_CALL(tb_h5_new_dataset(o, name, ftype, rank, dims));
  return tb_h5_write(o, name, mtype, row0, nrows, buf);
}

/* A small array that every rank holds: rank 0 writes it. */
static int put_replicated(tb_h5 *o, const char *name, int rank, const int64_t *dims, const double *v) {
  const int me = tb_comm_rank() == 0;
  return put(o, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, rank, dims, 0, me ? dims[0] : 0, v);
}

int tb_write_funding(tb_h5 *o, const tb_input_dims *D, const tb_deal_table *T, const tb_funding *F) {
  int64_t m = D->M, no = F->nunder, ns = D->S;
  TB_CALL(put(o, "/deals/funded", H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &m, T->d0, T->n, T->funded));
  TB_CALL(put(o, "/opportunities/deal", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &no, F->o0, F->no, F->deal));
  TB_CALL(put(o, "/opportunities/ratio", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &no, F->o0, F->no, F->value_ratio));
  TB_CALL(put(o, "/opportunities/funded", H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &no, F->o0, F->no, F->funded));
  TB_CALL(put_replicated(o, "/opportunities/sector_index", 1, &ns, F->sector_index));
  TB_CALL(tb_h5_attr_i64(o, "/opportunities", "opportunities", F->nopp));
  TB_CALL(tb_h5_attr_i64(o, "/opportunities", "funded_count", F->nfunded));
  return TB_OK;
}

int tb_write_policy(tb_h5 *o, const tb_input_dims *D, const char *prefix, const tb_policy_result *r,
                    int64_t d0, int64_t n) {
  int rc = TB_OK;
  const int64_t dims[2] = {D->R, D->T}, m = D->M, RT = D->R * D->T;
  double *cert = NULL;
  TB_ALLOC(cert, RT);
  for (int64_t i = 0; i < RT; i++) /* the certificate price only where certificates trade */
    cert[i] = r->kind == TB_POLICY_CERTIFICATES && r->covered[i / D->T] ? r->price[i] : 0.0;
  const char *names[] = {"exports", "imports", "balance", "cert_price", "cert_issued", "cert_used",
                         "cert_expired", "base_imports_served"};
  const double *data[] = {r->exports, r->imports, r->balance, cert, r->issued, r->used, r->expired, r->base_served};
  char path[256];
  for (int a = 0; a < 8; a++) {
    snprintf(path, sizeof path, "%s/regions/%s", prefix, names[a]);
    TB_GUARD(put_replicated(o, path, 2, dims, data[a]));
  }
  snprintf(path, sizeof path, "%s/deals/outcome", prefix);
  TB_GUARD(put(o, path, H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &m, d0, n, r->outcome));
done:
  free(cert);
  return rc;
}

enum { NCOL = TB_POLICY_NCOL, NDELTA = 8 };
const char *const TB_POLICY_COLUMNS[NCOL] = {"GDP",     "Jobs",    "Balance",  "Surplus",  "traded",
                                          "blocked", "unfunded", "tariff_revenue", "network_multiplier",
                                          "WAR",     "WAR_B",   "q05",      "q95",      "not_win_win",
                                          "mean_cert_price"};

/* One policy's row of /policies/metrics: its deterministic run, then section 8's assessment. */
void tb_policy_metrics_row(const tb_policy_result *r, const tb_assessment *A, int p, double *row) {
  const double v[NCOL] = {r->gdp, r->jobs, r->home_balance, r->surplus, (double)r->traded,
                          (double)(r->cert_blocked + r->tariff_blocked), (double)r->unfunded, r->tariff_revenue,
                          r->network_multiplier, A->war[p], A->war_b[p], A->q05[p], A->q95[p],
                          (double)r->not_win_win, r->mean_cert_price};
  memcpy(row, v, sizeof v);
}

static int write_draw_levels(tb_h5 *o, int64_t seed, const tb_assessment *A, int me) {
  char sigma[64];
  snprintf(sigma, sizeof sigma, "%.17g", A->sigma_rep);
  TB_CALL(tb_h5_attr_i64(o, "/policies", "draws", A->K));
  TB_CALL(tb_h5_attr_i64(o, "/policies", "seed", seed));
  TB_CALL(tb_h5_attr_str(o, "/policies", "sigma_rep", sigma));
  TB_CALL(tb_h5_attr_i64(o, "/policies", "sigma_rep_fallback", A->sigma_fallback));
  if (!A->K) return TB_OK;
  const int64_t dims[2] = {A->K, A->Q};
  return put(o, "/policies/draw_levels", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, 0, me ? A->K : 0, A->levels);
}

int tb_write_policy_table(tb_h5 *o, int64_t seed, const tb_policy_result *r, int q, const tb_assessment *A) {
  int rc = TB_OK;
  double *metrics = NULL, *delta = NULL;
  char *names = NULL;
  const int me = tb_comm_rank() == 0;
  TB_ALLOC(metrics, q * NCOL);
  TB_ALLOC(delta, q * NDELTA);
  TB_ALLOC(names, q * 64);
  memset(names, 0, (size_t)q * 64);
  for (int p = 0; p < q; p++) {
    tb_policy_metrics_row(&r[p], A, p, metrics + p * NCOL);
    for (int c = 0; c < NDELTA; c++) delta[p * NDELTA + c] = metrics[p * NCOL + c] - metrics[c];
    snprintf(names + p * 64, 64, "%s", r[p].name);
  }
  const int64_t dims[2] = {q, NCOL}, ddims[2] = {q, NDELTA}, nq = q;
  TB_GUARD(put(o, "/policies/metrics", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, 0, me ? q : 0, metrics));
  TB_GUARD(tb_h5_attr_strings(o, "/policies/metrics", "columns", NCOL, TB_POLICY_COLUMNS));
  TB_GUARD(put(o, "/policies/deltas", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, ddims, 0, me ? q : 0, delta));
  TB_GUARD(tb_h5_attr_strings(o, "/policies/deltas", "columns", NDELTA, TB_POLICY_COLUMNS));
  hid_t st = tb_h5_string_type(64);
  rc = put(o, "/policies/names", st, st, 1, &nq, 0, me ? q : 0, names);
  H5Tclose(st);
  if (rc) goto done;
  TB_GUARD(tb_h5_attr_str(o, "/policies", "recommended", r[A->best].name));
  TB_GUARD(write_draw_levels(o, seed, A, me));
done:
  free(metrics), free(delta), free(names);
  return rc;
}

void tb_print_policies(const tb_policy_result *r, int q, const tb_assessment *A) {
  const int best = A->best;
  if (tb_comm_rank() != 0) return;
  static const char *KIND[] = {"none", "tariff", "certificates"};
  for (int p = 0; p < q; p++) {
    char price[64] = "-";
    if (r[p].kind == TB_POLICY_CERTIFICATES) {
      if (isnan(r[p].mean_cert_price)) snprintf(price, sizeof price, "closed");
      else snprintf(price, sizeof price, "%.6g", r[p].mean_cert_price);
      if (r[p].cert_markets_closed)
        snprintf(price + strlen(price), sizeof price - strlen(price), " (%lld closed)",
                 (long long)r[p].cert_markets_closed);
    }
    printf("  policy %-14s %-12s traded %lld, blocked %lld, avg certificate price %s, home balance change %+.6g, "
           "GDP change %+.6g, WAR %+.4g (WAR_B %+.4g, 5%%-95%% %+.3g..%+.3g)%s\n", r[p].name, KIND[r[p].kind],
           (long long)r[p].traded, (long long)(r[p].cert_blocked + r[p].tariff_blocked), price,
           r[p].home_balance - r[0].home_balance, r[p].gdp - r[0].gdp, A->war[p], A->war_b[p], A->q05[p], A->q95[p],
           p == best ? "  <- recommended" : "");
  }
  if (A->K) printf("  assessment: %d Monte Carlo draws, sigma_rep %.6g\n", A->K, A->sigma_rep);
  if (A->sigma_fallback)
    printf("  WARNING: sigma_rep = 0 (the `none` policy's level is the same in every draw); WAR uses sigma_rep = 1\n");
  fflush(stdout);
}
