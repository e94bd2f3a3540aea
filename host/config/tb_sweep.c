#include "tb_sweep.h"

#include "tb_block.h"
#include "tb_error.h"
#include "tb_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
