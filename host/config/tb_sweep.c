#include "tb_sweep.h"

#include "tb_block.h"
#include "tb_error.h"
#include "tb_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef TB_HAVE_LAPACKE
#include <lapacke.h>
#endif

/* Philox purpose of the sweep's own sampling; 0-2 are the Monte Carlo draws of section 8. */
#define SWEEP_PURPOSE 3u

static double sweep_u01(uint64_t seed, int64_t i, int j, uint32_t what) {
  philox4x32_ctr_t x = tb_philox(seed, (uint64_t)i, (uint32_t)j * 2u + what, SWEEP_PURPOSE);
  return tb_u01(x.v[0], x.v[1]);
}

static int64_t npoints(const tb_config *c, const tb_sweep_param *p) { return p->is_range ? c->sweep_points : p->nvalues; }

/* Point l of a parameter's grid: the listed value, or l/(points-1) of the way from lo to hi. */
static double point(const tb_config *c, const tb_sweep_param *p, int64_t l) {
  if (!p->is_range) return p->values[l];
  const int64_t last = c->sweep_points - 1;
  return l == last ? p->hi : p->lo + (p->hi - p->lo) * ((double)l / (double)last);
}

static void fill_grid(const tb_config *c, tb_sweep *S) {
  for (int64_t i = 0; i < S->n; i++) {
    int64_t rest = i;
    for (int j = S->J - 1; j >= 0; j--) {
      const int64_t pts = npoints(c, &c->sweep[j]);
      S->x[i * S->J + j] = point(c, &c->sweep[j], rest % pts);
      rest /= pts;
    }
  }
}

static void fill_oat(const tb_config *c, tb_sweep *S) {
  int64_t i = 1;
  for (int j = 0; j < S->J; j++) S->x[j] = point(c, &c->sweep[j], npoints(c, &c->sweep[j]) / 2);
  for (int j = 0; j < S->J; j++) {
    const int64_t pts = npoints(c, &c->sweep[j]);
    for (int64_t l = 0; l < pts; l++, i++) {
      if (l == pts / 2) {
        i--;
        continue;
      }
      memcpy(S->x + i * S->J, S->x, sizeof(double) * (size_t)S->J);
      S->x[i * S->J + j] = point(c, &c->sweep[j], l);
    }
  }
}

/* Random: uniform on [lo, hi]. Latin hypercube: scenario i falls in stratum perm_j[i] of n
 * equal strata of each parameter (a Fisher-Yates permutation), uniform within it. */
static int fill_sampled(const tb_config *c, tb_sweep *S, int lhs) {
  int rc = TB_OK;
  int64_t *perm = NULL;
  const uint64_t seed = (uint64_t)c->sweep_seed;
  if (lhs) TB_ALLOC(perm, S->n);
  for (int j = 0; j < S->J; j++) {
    const tb_sweep_param *p = &c->sweep[j];
    for (int64_t i = 0; lhs && i < S->n; i++) perm[i] = i;
    for (int64_t k = S->n - 1; lhs && k > 0; k--) {
      int64_t r = (int64_t)(sweep_u01(seed, k, j, 1) * (double)(k + 1));
      r = r > k ? k : r;
      const int64_t t = perm[k];
      perm[k] = perm[r], perm[r] = t;
    }
    for (int64_t i = 0; i < S->n; i++) {
      const double u = sweep_u01(seed, i, j, 0);
      const double f = lhs ? ((double)perm[i] + u) / (double)S->n : u;
      S->x[i * S->J + j] = p->lo + (p->hi - p->lo) * f;
    }
  }
done:
  free(perm);
  return rc;
}

int tb_sweep_build(const tb_config *c, tb_sweep *S) {
  int rc = TB_OK;
  memset(S, 0, sizeof *S);
  S->J = c->nsweep;
  S->n = c->sweep_method == TB_SWEEP_GRID ? 1 : c->sweep_method == TB_SWEEP_OAT ? 1 : c->sweep_samples;
  for (int j = 0; j < S->J; j++) {
    const int64_t pts = npoints(c, &c->sweep[j]);
    if (c->sweep_method == TB_SWEEP_GRID) S->n *= pts;
    if (c->sweep_method == TB_SWEEP_OAT) S->n += pts - 1;
    TB_CALL(tb_config_sweepable(c, c->sweep[j].key, &S->integer[j]));
  }
  TB_ALLOC(S->x, S->n * S->J);
  if (c->sweep_method == TB_SWEEP_GRID) fill_grid(c, S);
  else if (c->sweep_method == TB_SWEEP_OAT) fill_oat(c, S);
  else TB_GUARD(fill_sampled(c, S, c->sweep_method == TB_SWEEP_LHS));
  for (int64_t i = 0; i < S->n; i++)
    for (int j = 0; j < S->J; j++)
      if (S->integer[j]) S->x[i * S->J + j] = (double)llround(S->x[i * S->J + j]);
done:
  if (rc) tb_sweep_free(S);
  return rc;
}

void tb_sweep_free(tb_sweep *S) {
  free(S->x);
  memset(S, 0, sizeof *S);
}

int tb_sweep_scenario(const tb_config *base, const tb_sweep *S, int64_t i, tb_config *out) {
  *out = *base;
  out->sweep_method = TB_SWEEP_NONE; /* a scenario is a plain run: checking it must not re-check the sweep */
  for (int j = 0; j < S->J; j++) {
    char a[256];
    const double v = S->x[i * S->J + j];
    if (S->integer[j]) snprintf(a, sizeof a, "%s=%lld", base->sweep[j].key, (long long)v);
    else snprintf(a, sizeof a, "%s=%.17g", base->sweep[j].key, v);
    TB_CALL(tb_config_set(out, a));
  }
  return TB_OK;
}

void tb_sweep_shard(int64_t n, int64_t shard, int64_t shards, int64_t *lo, int64_t *hi) {
  *lo = tb_block_lo(n, (int)shard, (int)shards);
  *hi = tb_block_lo(n, (int)shard + 1, (int)shards);
}

/* ---- sensitivity ---- */

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
  int px[TB_MAX_SWEEP];
  int *cy = NULL;
  double *A = NULL, *B = NULL;
  for (int64_t k = 0; k < (int64_t)J * C; k++) s->src[k] = NAN;
  for (int c = 0; c < C; c++) s->r2[c] = NAN;
  TB_ALLOC(A, n * J);
  TB_ALLOC(B, n * C);
  TB_ALLOC(cy, C);
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
  free(A), free(B), free(cy);
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
