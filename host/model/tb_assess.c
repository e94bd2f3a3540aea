#include "tb_assess.h"

#include "tb_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double tb_level(const tb_assess_params *P, const tb_policy_result *r) {
  return P->w_gdp * r->gdp + P->w_jobs * r->jobs + P->w_balance * r->home_balance + P->w_surplus * r->surplus;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double tb_quantile(double *v, int n, double q) {
  if (n <= 0) return NAN;
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  const double h = (double)(n - 1) * q;
  const int lo = (int)floor(h), hi = lo + 1 < n ? lo + 1 : lo;
  return v[lo] + (h - (double)lo) * (v[hi] - v[lo]);
}

/* Sample standard deviation of Y_none over the draws (two-pass, so a constant gives exactly 0). */
static double sigma_of_none(int Q, int K, const double *ydraw) {
  double mean = 0.0, ss = 0.0;
  for (int k = 0; k < K; k++) mean += ydraw[(int64_t)k * Q];
  mean /= K;
  for (int k = 0; k < K; k++) ss += (ydraw[(int64_t)k * Q] - mean) * (ydraw[(int64_t)k * Q] - mean);
  return sqrt(ss / (K - 1));
}

int tb_assess(const tb_assess_params *P, int Q, int K, const double *ydet, const double *ydraw, tb_assessment *A) {
  int rc = TB_OK;
  double *z = NULL;
  memset(A, 0, sizeof *A);
  A->Q = Q, A->K = K, A->sigma_rep = 1.0;
  const int n = K > 0 ? K : 1;
  TB_ALLOC(A->war, Q);
  TB_ALLOC(A->war_b, Q);
  TB_ALLOC(A->q05, Q);
  TB_ALLOC(A->q95, Q);
  TB_ALLOC(A->mean_z, Q);
  TB_ALLOC(z, n);
  if (K > 0) {
    TB_ALLOC(A->levels, (int64_t)K * Q);
    memcpy(A->levels, ydraw, sizeof(double) * (size_t)K * (size_t)Q);
  }
  if (K >= 2) A->sigma_rep = sigma_of_none(Q, K, ydraw);
  const double sigma = A->sigma_rep > 0.0 ? A->sigma_rep : 1.0;
  A->sigma_fallback = !(A->sigma_rep > 0.0);
  for (int p = 0; p < Q; p++) {
    double sum = 0.0; /* common random numbers: draw k is the same world for p and none */
    for (int k = 0; k < n; k++) {
      z[k] = K > 0 ? ydraw[(int64_t)k * Q + p] - ydraw[(int64_t)k * Q] : ydet[p] - ydet[0];
      sum += z[k];
    }
    A->mean_z[p] = sum / n;
    A->war[p] = A->mean_z[p] / sigma;
    A->war_b[p] = (1.0 - P->margin_of_safety) * A->war[p];
    for (int k = 0; k < n; k++) z[k] /= sigma;
    A->q05[p] = tb_quantile(z, n, 0.05);
    A->q95[p] = tb_quantile(z, n, 0.95);
    if (A->war_b[p] > A->war_b[A->best]) A->best = p;
  }
done:
  free(z);
  if (rc) tb_assessment_free(A);
  return rc;
}

void tb_assessment_free(tb_assessment *A) {
  free(A->war), free(A->war_b), free(A->q05), free(A->q95), free(A->mean_z), free(A->levels);
  memset(A, 0, sizeof *A);
}
