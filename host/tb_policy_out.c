#include "tb_policy_out.h"

#include "tb_error.h"
#include "../mpi/tb_comm.h"

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
  TB_CALL(put(o, "/opportunities/ratio", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &no, F->o0, F->no, F->ratio));
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

static double level(const tb_config *cfg, const tb_policy_result *r) {
  return cfg->w_gdp * r->gdp + cfg->w_jobs * r->jobs + cfg->w_balance * r->home_balance + cfg->w_surplus * r->surplus;
}

int tb_recommend(const tb_config *cfg, const tb_policy_result *r, int q) {
  int best = 0;
  const double base = level(cfg, &r[0]);
  for (int p = 1; p < q; p++) /* WAR_B = (1 - margin)(Y_p - Y_none): same order as Y_p - Y_none */
    if (level(cfg, &r[p]) - base > level(cfg, &r[best]) - base) best = p;
  return best;
}

enum { NCOL = 13 };
static const char *const COLUMNS[NCOL] = {"GDP",     "Jobs",    "Balance",        "Surplus",
                                          "traded",  "blocked", "unfunded",       "tariff_revenue",
                                          "network_multiplier", "WAR", "WAR_B", "not_win_win", "mean_cert_price"};

int tb_write_policy_table(tb_h5 *o, const tb_config *cfg, const tb_policy_result *r, int q, int best) {
  int rc = TB_OK;
  double *metrics = NULL;
  char *names = NULL;
  const int me = tb_comm_rank() == 0;
  TB_ALLOC(metrics, q * NCOL);
  TB_ALLOC(names, q * 64);
  memset(names, 0, (size_t)q * 64);
  const double base = level(cfg, &r[0]);
  for (int p = 0; p < q; p++) {
    const double war = level(cfg, &r[p]) - base; /* K = 0: sigma_rep = 1 */
    const double row[NCOL] = {r[p].gdp, r[p].jobs, r[p].home_balance, r[p].surplus, (double)r[p].traded,
                              (double)(r[p].cert_blocked + r[p].tariff_blocked), (double)r[p].unfunded,
                              r[p].tariff_revenue, r[p].network_multiplier, war, (1.0 - cfg->margin_of_safety) * war,
                              (double)r[p].not_win_win, r[p].mean_cert_price};
    memcpy(metrics + p * NCOL, row, sizeof row);
    snprintf(names + p * 64, 64, "%s", r[p].name);
  }
  const int64_t dims[2] = {q, NCOL}, nq = q;
  TB_GUARD(put(o, "/policies/metrics", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, 0, me ? q : 0, metrics));
  TB_GUARD(tb_h5_attr_strings(o, "/policies/metrics", "columns", NCOL, COLUMNS));
  hid_t st = tb_h5_string_type(64);
  rc = put(o, "/policies/names", st, st, 1, &nq, 0, me ? q : 0, names);
  H5Tclose(st);
  if (rc) goto done;
  TB_GUARD(tb_h5_attr_str(o, "/policies", "recommended", r[best].name));
done:
  free(metrics), free(names);
  return rc;
}

void tb_print_policies(const tb_policy_result *r, int q, int best) {
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
           "GDP change %+.6g%s\n", r[p].name, KIND[r[p].kind], (long long)r[p].traded,
           (long long)(r[p].cert_blocked + r[p].tariff_blocked), price, r[p].home_balance - r[0].home_balance,
           r[p].gdp - r[0].gdp, p == best ? "  <- recommended" : "");
  }
  fflush(stdout);
}
