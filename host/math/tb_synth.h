/* Synthetic in-memory deal batches for tests and benchmarks that must run without
 * HDF5 (the GPU machine has no packages): random deals with binding and zero caps,
 * zero trade values, negative amounts, gaps in periods and, optionally, 255-party deals. */
#ifndef TB_SYNTH_H
#define TB_SYNTH_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tb_deal_math.h"
#include "tb_translation.h"

typedef struct {
  tb_deal_batch b;
  int64_t *pp, *pr, *cp, *fp;
  int32_t *imp, *ft;
  uint8_t *cd, *st;
  double *tv, *cpr, *fa, *val, *tr, *fv, *sur, *bid;
  tb_entity_row *rows;
} tb_synth;

static uint64_t tb_synth_seed = 0x9E3779B97F4A7C15ull;
static inline double tb_synth_u(void) { /* uniform [0,1) */
  tb_synth_seed ^= tb_synth_seed << 13, tb_synth_seed ^= tb_synth_seed >> 7, tb_synth_seed ^= tb_synth_seed << 17;
  return (double)(tb_synth_seed >> 11) * 0x1p-53;
}

/* nd deals; every `wide`-th deal (0: none) has 255 parties; nent entity rows. */
static inline void tb_synth_batch(tb_synth *x, int64_t nd, int wide, int64_t nent) {
  memset(x, 0, sizeof *x);
  int64_t np = 0, nc = 0, nf = 0;
  x->pp = malloc(sizeof(int64_t) * (nd + 1));
  x->imp = malloc(sizeof(int32_t) * nd);
  x->tv = malloc(sizeof(double) * nd);
  int64_t capp = nd * 8 + 300, capc = capp * 4, capf = capc * 10;
  x->pr = malloc(sizeof(int64_t) * capp);
  x->cp = malloc(sizeof(int64_t) * (capp + 1));
  x->cd = malloc(capc);
  x->cpr = malloc(sizeof(double) * capc);
  x->fp = malloc(sizeof(int64_t) * (capc + 1));
  x->ft = malloc(sizeof(int32_t) * capf);
  x->fa = malloc(sizeof(double) * capf);
  for (int64_t d = 0; d < nd; d++) {
    x->pp[d] = np;
    int n = (wide && d % wide == 0) ? TB_MAX_PARTIES : 2 + (int)(tb_synth_u() * 7);
    if (np + n > capp) n = 2;
    x->imp[d] = (int32_t)(tb_synth_u() * n);
    x->tv[d] = tb_synth_u() < 0.1 ? 0.0 : 10 * tb_synth_u();
    for (int j = 0; j < n; j++, np++) {
      x->pr[np] = (d * 7 + j) % nent; /* distinct within a deal while n < nent */
      x->cp[np] = nc;
      int k = (n > 8) ? 1 : 1 + (int)(tb_synth_u() * 4);
      for (int c = 0; c < k && nc < capc; c++, nc++) {
        x->cd[nc] = (uint8_t)(tb_synth_u() * 5);
        x->cpr[nc] = tb_synth_u() < 0.1 ? (tb_synth_u() < 0.5 ? 0.0 : 1.0) : tb_synth_u();
        x->fp[nc] = nf;
        int m = 1 + (int)(tb_synth_u() * 10), t = (int)(tb_synth_u() * 3);
        for (int f = 0; f < m; f++, nf++) {
          t += tb_synth_u() < 0.8 ? 1 : (int)(tb_synth_u() * 40); /* consecutive mostly, with gaps */
          x->ft[nf] = f == 0 && tb_synth_u() < 0.3 ? 0 : t;
          x->fa[nf] = (tb_synth_u() - 0.3) * 50;
        }
      }
    }
  }
  x->pp[nd] = np;
  x->cp[np] = nc;
  x->fp[nc] = nf;
  x->rows = malloc(sizeof(tb_entity_row) * nent);
  for (int64_t e = 0; e < nent; e++) {
    double w[4] = {tb_synth_u() + .01, tb_synth_u(), tb_synth_u(), tb_synth_u()}, s = w[0] + w[1] + w[2] + w[3];
    for (int k = 0; k < 4; k++) w[k] /= s;
    tb_entity_factors(tb_default_translation, (int)(tb_synth_u() * 4), w, x->rows[e].f);
    x->rows[e].disc = 1.0 / (1.0 + 0.2 * tb_synth_u());
    x->rows[e].rho1 = 1.0 + tb_synth_u();
    double u = tb_synth_u();
    x->rows[e].cap = u < 0.3 ? INFINITY : u < 0.4 ? 0.0 : 30 * tb_synth_u(); /* binding and zero caps */
    x->rows[e].beta = 0.2 + 2 * tb_synth_u();
  }
  x->val = malloc(sizeof(double) * np);
  x->tr = malloc(sizeof(double) * np);
  x->fv = malloc(sizeof(double) * np);
  x->st = malloc(nd);
  x->sur = malloc(sizeof(double) * nd);
  x->bid = malloc(sizeof(double) * nd);
  x->b = (tb_deal_batch){nd, np, nc, nf, x->pp, x->pr, x->imp, x->tv, x->cp, x->cd, x->cpr, x->fp,
                         x->ft, x->fa, x->rows, nent, nent, x->val, x->tr, x->fv, x->st, x->sur, x->bid,
                         NULL, 0, NULL, 0};
}

/* Every output in one array: value, transfer, final_value [P each], surplus, bid [M each],
 * then status [M] as doubles. */
static inline int64_t tb_synth_nout(const tb_synth *x) { return 3 * x->b.nparty + 3 * x->b.ndeal; }

static inline void tb_synth_outputs(const tb_synth *x, double *o) {
  const int64_t np = x->b.nparty, nd = x->b.ndeal;
  memcpy(o, x->val, 8 * (size_t)np), memcpy(o + np, x->tr, 8 * (size_t)np);
  memcpy(o + 2 * np, x->fv, 8 * (size_t)np), memcpy(o + 3 * np, x->sur, 8 * (size_t)nd);
  memcpy(o + 3 * np + nd, x->bid, 8 * (size_t)nd);
  for (int64_t d = 0; d < nd; d++) o[3 * np + 2 * nd + d] = x->st[d];
}

/* Fill every output with garbage, so a test sees any output a backend failed to write. */
static inline void tb_synth_poison(tb_synth *x) {
  const size_t np = (size_t)x->b.nparty, nd = (size_t)x->b.ndeal;
  memset(x->val, 0xff, 8 * np), memset(x->tr, 0xff, 8 * np), memset(x->fv, 0xff, 8 * np);
  memset(x->st, 0xff, nd), memset(x->sur, 0xff, 8 * nd), memset(x->bid, 0xff, 8 * nd);
}

/* Count outputs (see tb_synth_outputs) of a and b that differ: values by more than rtol
 * relative to max(1, |a|) (rtol 0: any bit), statuses by any amount. */
static inline void tb_synth_differ(const tb_synth *x, const double *a, const double *b, double rtol,
                                   int64_t *values, int64_t *statuses) {
  const int64_t nv = 3 * x->b.nparty + 2 * x->b.ndeal, n = tb_synth_nout(x);
  *values = *statuses = 0;
  for (int64_t i = 0; i < nv; i++) {
    int same = rtol == 0.0 ? !memcmp(&a[i], &b[i], sizeof(double))
                           : a[i] == b[i] || (isnan(a[i]) && isnan(b[i])) ||
                                 fabs(a[i] - b[i]) <= rtol * fmax(1.0, fabs(a[i]));
    *values += !same;
  }
  for (int64_t i = nv; i < n; i++) *statuses += a[i] != b[i];
}

static inline void tb_synth_free(tb_synth *x) {
  free(x->pp), free(x->pr), free(x->cp), free(x->fp), free(x->imp), free(x->ft), free(x->cd);
  free(x->st), free(x->tv), free(x->cpr), free(x->fa), free(x->val), free(x->tr), free(x->fv);
  free(x->sur), free(x->bid), free(x->rows);
}

#endif
