/* MODEL.md section 9: how strongly each swept parameter moves each metric over a sweep's
 * scenarios: Spearman's rank correlation, standardised regression coefficients (and R^2), and
 * one-at-a-time elasticities. */
#include "tb_sensitivity.h"

#include "tb_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef TB_HAVE_LAPACKE
#include <lapacke.h>
#endif

typedef struct {
  double v;
  int64_t i;
} ranked;

static int by_value(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  return x->v < y->v ? -1 : x->v > y->v ? 1 : (x->i > y->i) - (x->i < y->i);
}

/* Fractional ranks 1..n (ties share their average); 0 if some value is not finite. */
static int ranks_of(int64_t n, const double *x, int64_t sx, ranked *tmp, double *r) {
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(x[i * sx])) return 0;
    tmp[i] = (ranked){x[i * sx], i};
  }
  qsort(tmp, (size_t)n, sizeof *tmp, by_value);
  for (int64_t a = 0, b; a < n; a = b) {
    for (b = a + 1; b < n && tmp[b].v == tmp[a].v; b++) {}
    for (int64_t k = a; k < b; k++) r[tmp[k].i] = 0.5 * (double)(a + 1 + b);
  }
  return 1;
}

static double pearson(int64_t n, const double *x, const double *y) {
  double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
  for (int64_t i = 0; i < n; i++) mx += x[i], my += y[i];
  mx /= (double)n, my /= (double)n;
  for (int64_t i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

double tb_spearman(int64_t n, const double *x, int64_t sx, const double *y, int64_t sy) {
  double rho = NAN;
  ranked *tmp = malloc(sizeof(ranked) * (size_t)(n ? n : 1));
  double *rx = malloc(sizeof(double) * (size_t)(n ? n : 1)), *ry = malloc(sizeof(double) * (size_t)(n ? n : 1));
  if (tmp && rx && ry && n >= 2 && ranks_of(n, x, sx, tmp, rx) && ranks_of(n, y, sy, tmp, ry)) rho = pearson(n, rx, ry);
  free(tmp), free(rx), free(ry);
  return rho;
}

/* Standardise column j of v [n, ld] into out[i * ldo]: 0 if it is constant or not finite. */
static int standardise(int64_t n, const double *v, int ld, int j, double *out, int ldo) {
  double mean = 0, ss = 0;
  int varies = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(v[i * ld + j])) return 0;
    mean += v[i * ld + j];
    varies |= v[i * ld + j] != v[j];
  }
  if (!varies) return 0; /* exactly constant: the rounding of the mean must not make it vary */
  mean /= (double)n;
  for (int64_t i = 0; i < n; i++) ss += (v[i * ld + j] - mean) * (v[i * ld + j] - mean);
  if (!(ss > 0)) return 0;
  const double sd = sqrt(ss / (double)(n - 1));
  for (int64_t i = 0; i < n; i++) out[i * ldo] = (v[i * ld + j] - mean) / sd;
  return 1;
}

/* Standardised regression coefficients: least squares of the standardised metrics on the
 * standardised (non-constant) parameters, all metrics as one multi-column right-hand side. */
static int src_all(int64_t n, int J, const double *x, int C, const double *m, tb_sensitivity *s) {
  int rc = TB_OK, Jx = 0, Cy = 0;
  int *px = NULL;
  int *cy = NULL;
  double *A = NULL, *B = NULL;
  for (int64_t k = 0; k < (int64_t)J * C; k++) s->src[k] = NAN;
  for (int c = 0; c < C; c++) s->r2[c] = NAN;
  TB_ALLOC(A, n * J);
  TB_ALLOC(B, n * C);
  TB_ALLOC(cy, C);
  TB_ALLOC(px, J);
  for (int j = 0; j < J; j++)
    if (standardise(n, x, J, j, A + Jx, J)) px[Jx++] = j;
  for (int c = 0; c < C; c++)
    if (standardise(n, m, C, c, B + Cy, C)) cy[Cy++] = c;
  if (!Jx || !Cy || n <= Jx) goto done; /* nothing to fit, or no residual degree of freedom */
  for (int64_t i = 0; i < n; i++) /* compact the kept columns to leading dimensions Jx, Cy */
    memmove(A + i * Jx, A + i * J, sizeof(double) * (size_t)Jx), memmove(B + i * Cy, B + i * C, sizeof(double) * (size_t)Cy);
#ifdef TB_HAVE_LAPACKE
  {
    const lapack_int info = LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', (lapack_int)n, Jx, Cy, A, Jx, B, Cy);
    if (info < 0) TB_GUARD(TB_ERR(TB_ERR_INTERNAL, "LAPACKE_dgels: argument %d is invalid", (int)-info));
    if (info > 0) goto done; /* collinear parameters: the coefficients are not identified */
  }
#else
  TB_GUARD(TB_ERR(TB_ERR_USAGE, "sensitivity regression needs LAPACKE (this build has none)"));
#endif
  for (int c = 0; c < Cy; c++) {
    double rss = 0;
    for (int j = 0; j < Jx; j++) s->src[px[j] * C + cy[c]] = B[j * Cy + c];
    for (int64_t i = Jx; i < n; i++) rss += B[i * Cy + c] * B[i * Cy + c];
    s->r2[cy[c]] = 1.0 - rss / (double)(n - 1);
  }
done:
  free(A), free(B), free(cy), free(px);
  return rc;
}

/* One-at-a-time: ((m+ - m-) / m0) / ((x+ - x-) / x0) with x+- the nearest points either side
 * of the centre x0 (row 0) among the rows that move parameter j alone. */
static double elasticity(int64_t n, int J, const double *x, int C, const double *m, int j, int c) {
  const double x0 = x[j], m0 = m[c];
  int64_t lo = -1, hi = -1;
  for (int64_t i = 1; i < n; i++) {
    int alone = 1;
    for (int k = 0; k < J && alone; k++) alone = k == j || x[i * J + k] == x[k];
    const double v = x[i * J + j];
    if (!alone || v == x0) continue;
    if (v < x0 && (lo < 0 || v > x[lo * J + j])) lo = i;
    if (v > x0 && (hi < 0 || v < x[hi * J + j])) hi = i;
  }
  if (lo < 0 || hi < 0 || x0 == 0 || m0 == 0) return NAN;
  const double e = ((m[hi * C + c] - m[lo * C + c]) / m0) / ((x[hi * J + j] - x[lo * J + j]) / x0);
  return isfinite(e) ? e : NAN;
}

int tb_sensitivity_compute(int64_t n, int J, const double *x, int C, const double *m, int oat, tb_sensitivity *s) {
  int rc = TB_OK;
  memset(s, 0, sizeof *s);
  s->J = J, s->C = C;
  TB_ALLOC(s->spearman, (int64_t)J * C);
  TB_ALLOC(s->src, (int64_t)J * C);
  TB_ALLOC(s->r2, C);
  if (oat) TB_ALLOC(s->elasticity, (int64_t)J * C);
  for (int j = 0; j < J; j++)
    for (int c = 0; c < C; c++) {
      s->spearman[j * C + c] = tb_spearman(n, x + j, J, m + c, C);
      if (oat) s->elasticity[j * C + c] = elasticity(n, J, x, C, m, j, c);
    }
  TB_GUARD(src_all(n, J, x, C, m, s));
done:
  if (rc) tb_sensitivity_free(s);
  return rc;
}

void tb_sensitivity_free(tb_sensitivity *s) {
  free(s->spearman), free(s->src), free(s->elasticity), free(s->r2);
  memset(s, 0, sizeof *s);
}
