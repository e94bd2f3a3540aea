/* `tradebal generate`: synthetic national-scale inputs. Every value is a pure
 * function of (seed, item), so any rank count writes the same file, and each rank
 * only ever holds one batch. */
#include "tb_schema.h"
#include "tb_generate.h"

#include "tb_block.h"
#include "tb_deal_math.h"
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_rng.h"
#include "tb_output.h"
#include "tb_util.h"
#include "tb_version.h"
#include "tb_comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { G_ENT = 100, G_DEAL, G_PARTY, G_COMP, G_FLOW, G_DEG, G_EDGE, G_TRADE, G_IO };

static const double TYPE_W[4][4] = {{.3, .3, .3, .1}, {.4, .3, .2, .1}, {.5, .3, .1, .1}, {.5, .3, .1, .1}};

static int entity_type(uint64_t seed, int64_t e) {
  philox4x32_ctr_t x = tb_philox(seed, (uint64_t)e, 0, G_ENT);
  double u = tb_u01(x.v[0], x.v[1]);
  return u < .05 ? 0 : u < .55 ? 1 : u < .65 ? 2 : 3;
}
/* The random graph draws each entity's region; the locality graph gives regions contiguous
 * id blocks, so a block distribution of entities over ranks follows regions. */
static int32_t entity_region(const tb_gen_params *g, int64_t e) {
  if (g->locality >= 0) return (int32_t)tb_block_owner(g->N, (int)g->R, e);
  return (int32_t)(tb_philox(g->seed, (uint64_t)e, 0, G_ENT).v[2] % (uint32_t)g->R);
}

/* Popular entities take part in many deals and links: half the picks are skewed to low ids. */
static int64_t pick_entity(philox4x32_ctr_t x, int64_t N) {
  double u = tb_u01(x.v[0], x.v[1]);
  int64_t id = (int64_t)((x.v[2] & 1) ? u * (double)N : (double)N * u * u * u);
  return id < N ? id : N - 1;
}

typedef struct { /* fill cursors; NULL arrays just count */
  int64_t np, nc, nf;
  int64_t *party_entity, *comp_ptr, *flow_ptr;
  int32_t *flow_period;
  uint8_t *comp_dim;
  double *comp_prob, *flow_amount;
  int64_t cbase, fbase; /* global offsets of this batch's first component and flow */
} deal_cursor;

static int nparties_of(uint64_t seed, int64_t d, int64_t N) {
  static const double cum[7] = {.55, .80, .88, .93, .96, .98, 1.0};
  philox4x32_ctr_t x = tb_philox(seed, (uint64_t)d, 0, G_DEAL);
  double u = tb_u01(x.v[0], x.v[1]);
  int k = 0;
  while (k < 6 && u >= cum[k]) k++;
  int n = 2 + k;
  return n <= N ? n : (int)N;
}

/* One deal's parties, components and flows, appended at the cursor. */
static void gen_deal(uint64_t seed, int64_t d, int64_t N, deal_cursor *c, int64_t *ents) {
  const int n = nparties_of(seed, d, N);
  for (int j = 0; j < n; j++) {
    philox4x32_ctr_t x;
    int64_t id = 0;
    for (int att = 0;; att++) {
      x = tb_philox(seed, (uint64_t)d, (uint32_t)(j << 8 | (att & 255)), G_PARTY);
      id = att < 64 ? pick_entity(x, N) : (id + 1) % N;
      int dup = 0;
      for (int i = 0; i < j; i++) dup |= ents[i] == id;
      if (!dup) break;
    }
    ents[j] = id;
    if (c->party_entity) c->party_entity[c->np] = id;
    if (c->comp_ptr) c->comp_ptr[c->np] = c->cbase + c->nc;
    c->np++;
    double uc = tb_u01(x.v[3], x.v[0]);
    int ncomp = uc < .4 ? 1 : uc < .75 ? 2 : uc < .9 ? 3 : 4;
    for (int k = 0; k < ncomp; k++) {
      philox4x32_ctr_t y = tb_philox(seed, (uint64_t)d, (uint32_t)(j << 16 | k << 8), G_COMP);
      double ud = tb_u01(y.v[0], y.v[1]), un = tb_u01(y.v[2], y.v[3]);
      int dim = ud < .45 ? 0 : ud < .6 ? 1 : ud < .7 ? 2 : ud < .8 ? 3 : 4;
      int nflow = 1 + (int)(-log(un) * 2.5);
      nflow = nflow > 10 ? 10 : nflow;
      int t0 = (int)(y.v[2] % 3u);
      double sign = (y.v[3] % 5u) == 0 ? -1.0 : 1.0; /* one component in five is a cost */
      if (c->comp_dim) {
        c->comp_dim[c->nc] = (uint8_t)dim;
        c->comp_prob[c->nc] = 0.3 + 0.7 * tb_u01(y.v[1], y.v[0]);
        c->flow_ptr[c->nc] = c->fbase + c->nf;
      }
      c->nc++;
      for (int f = 0; f < nflow; f++) {
        if (c->flow_period) {
          philox4x32_ctr_t z = tb_philox(seed, (uint64_t)d, (uint32_t)(j << 16 | k << 8 | f), G_FLOW);
          c->flow_period[c->nf] = t0 + f;
          c->flow_amount[c->nf] = sign * exp(1.0 + 0.8 * tb_normal(z));
        }
        c->nf++;
      }
    }
  }
}

static int grow_to(void **p, int64_t *cap, int64_t n, size_t elem) {
  if (n <= *cap && *p) return TB_OK;
  void *q = realloc(*p, (size_t)n * elem);
  if (!q) return TB_ERR(TB_ERR_MEMORY, "out of memory for a generator batch of %lld items", (long long)n);
  *p = q;
  *cap = n;
  return TB_OK;
}

/* ---- entities ---------------------------------------------------------- */

static int write_entities(tb_h5 *o, const tb_gen_params *g) {
  int rc = TB_OK;
  const int rank = tb_comm_rank(), size = tb_comm_size();
  const int64_t lo = tb_block_lo(g->N, rank, size), hi = tb_block_lo(g->N, rank + 1, size);
  const int64_t bs = g->batch;
  uint8_t *type = NULL;
  int32_t *region = NULL;
  double *w = NULL, *r = NULL, *rho = NULL, *cap = NULL, *beta = NULL;
  TB_ALLOC(type, bs);
  TB_ALLOC(region, bs);
  TB_ALLOC(w, 4 * bs);
  TB_ALLOC(r, bs);
  TB_ALLOC(rho, bs);
  TB_ALLOC(cap, bs);
  TB_ALLOC(beta, bs);
  int64_t nb = (hi - lo + bs - 1) / bs;
  TB_GUARD(tb_comm_allreduce_i64(&nb, 1, TB_OP_MAX));
  for (int64_t b = 0; b < nb; b++) {
    int64_t e0 = lo + b * bs, n = hi - e0;
    n = n < 0 ? 0 : n > bs ? bs : n;
    for (int64_t i = 0; i < n; i++) {
      const int64_t e = e0 + i;
      const int t = entity_type(g->seed, e);
      type[i] = (uint8_t)t;
      region[i] = entity_region(g, e);
      philox4x32_ctr_t x = tb_philox(g->seed, (uint64_t)e, 1, G_ENT);
      double s = 0.0;
      for (int k = 0; k < 4; k++) s += w[4 * i + k] = TYPE_W[t][k] * (0.5 + x.v[k] * 0x1p-32);
      for (int k = 0; k < 4; k++) w[4 * i + k] /= s;
      philox4x32_ctr_t y = tb_philox(g->seed, (uint64_t)e, 2, G_ENT);
      r[i] = 0.02 + 0.10 * tb_u01(y.v[0], y.v[1]);
      rho[i] = 0.8 * tb_u01(y.v[2], y.v[3]);
      philox4x32_ctr_t z = tb_philox(g->seed, (uint64_t)e, 3, G_ENT);
      cap[i] = (t == 0 && (z.v[0] & 1)) ? INFINITY : exp(3.0 + 1.5 * tb_normal(z));
      beta[i] = exp(0.3 * tb_normal(tb_philox(g->seed, (uint64_t)e, 4, G_ENT)));
    }
    int64_t at = n ? e0 : 0;
    TB_GUARD(tb_h5_write(o, "/entities/type", H5T_NATIVE_UINT8, at, n, type));
    TB_GUARD(tb_h5_write(o, "/entities/region", H5T_NATIVE_INT32, at, n, region));
    TB_GUARD(tb_h5_write(o, "/entities/weights", H5T_NATIVE_DOUBLE, at, n, w));
    TB_GUARD(tb_h5_write(o, "/entities/discount_rate", H5T_NATIVE_DOUBLE, at, n, r));
    TB_GUARD(tb_h5_write(o, "/entities/risk_aversion", H5T_NATIVE_DOUBLE, at, n, rho));
    TB_GUARD(tb_h5_write(o, "/entities/pay_cap", H5T_NATIVE_DOUBLE, at, n, cap));
    TB_GUARD(tb_h5_write(o, "/entities/bargaining_weight", H5T_NATIVE_DOUBLE, at, n, beta));
  }
done:
  free(type);
  free(region);
  free(w);
  free(r);
  free(rho);
  free(cap);
  free(beta);
  return rc;
}

/* ---- deals ------------------------------------------------------------- */

typedef struct {
  int64_t P, C, F;       /* global totals */
  int64_t p0, c0, f0;    /* this rank's first party, component, flow */
} deal_sizes;

static int count_deals(const tb_gen_params *g, int64_t lo, int64_t hi, deal_sizes *z) {
  deal_cursor c;
  memset(&c, 0, sizeof c);
  int64_t ents[TB_MAX_PARTIES];
  for (int64_t d = lo; d < hi; d++) gen_deal(g->seed, d, g->N, &c, ents);
  TB_CALL(tb_comm_exscan_i64(c.np, &z->p0));
  TB_CALL(tb_comm_exscan_i64(c.nc, &z->c0));
  TB_CALL(tb_comm_exscan_i64(c.nf, &z->f0));
  int64_t tot[3] = {c.np, c.nc, c.nf};
  TB_CALL(tb_comm_allreduce_i64(tot, 3, TB_OP_SUM));
  z->P = tot[0], z->C = tot[1], z->F = tot[2];
  return TB_OK;
}

typedef struct {
  int64_t *party_ptr, *party_entity, *comp_ptr, *flow_ptr;
  int32_t *importer, *period, *sector, *exp_region, *imp_region, *flow_period;
  uint8_t *comp_dim;
  double *trade_value, *cost, *comp_prob, *flow_amount;
} deal_arrays;

static void free_deal_arrays(deal_arrays *a) {
  void **p = (void **)a;
  for (size_t i = 0; i < sizeof *a / sizeof(void *); i++) free(p[i]);
  memset(a, 0, sizeof *a);
}

static int write_deal_batch(tb_h5 *o, const deal_arrays *a, int64_t d0, int64_t n,
                            const deal_cursor *c, int64_t p0, int64_t last) {
  /* pointer arrays carry one extra entry (the end) in the rank's last batch */
  int64_t at = n ? d0 : 0, pat = c->np ? p0 : 0, cat = c->nc ? c->cbase : 0, fat = c->nf ? c->fbase : 0;
  TB_CALL(tb_h5_write(o, "/deals/party_ptr", H5T_NATIVE_INT64, (n || last) ? d0 : 0, n + last, a->party_ptr));
  TB_CALL(tb_h5_write(o, "/deals/importer", H5T_NATIVE_INT32, at, n, a->importer));
  TB_CALL(tb_h5_write(o, "/deals/period", H5T_NATIVE_INT32, at, n, a->period));
  TB_CALL(tb_h5_write(o, "/deals/sector", H5T_NATIVE_INT32, at, n, a->sector));
  TB_CALL(tb_h5_write(o, "/deals/export_region", H5T_NATIVE_INT32, at, n, a->exp_region));
  TB_CALL(tb_h5_write(o, "/deals/import_region", H5T_NATIVE_INT32, at, n, a->imp_region));
  TB_CALL(tb_h5_write(o, "/deals/trade_value", H5T_NATIVE_DOUBLE, at, n, a->trade_value));
  TB_CALL(tb_h5_write(o, "/deals/cost", H5T_NATIVE_DOUBLE, at, n, a->cost));
  TB_CALL(tb_h5_write(o, "/deals/party_entity", H5T_NATIVE_INT64, pat, c->np, a->party_entity));
  TB_CALL(tb_h5_write(o, "/deals/comp_ptr", H5T_NATIVE_INT64, (c->np || last) ? p0 : 0, c->np + last, a->comp_ptr));
  TB_CALL(tb_h5_write(o, "/deals/comp_dim", H5T_NATIVE_UINT8, cat, c->nc, a->comp_dim));
  TB_CALL(tb_h5_write(o, "/deals/comp_prob", H5T_NATIVE_DOUBLE, cat, c->nc, a->comp_prob));
  TB_CALL(tb_h5_write(o, "/deals/flow_ptr", H5T_NATIVE_INT64, (c->nc || last) ? c->cbase : 0, c->nc + last, a->flow_ptr));
  TB_CALL(tb_h5_write(o, "/deals/flow_period", H5T_NATIVE_INT32, fat, c->nf, a->flow_period));
  TB_CALL(tb_h5_write(o, "/deals/flow_amount", H5T_NATIVE_DOUBLE, fat, c->nf, a->flow_amount));
  return TB_OK;
}

static void fill_deal_scalars(const tb_gen_params *g, int64_t d, int n, const int64_t *ents,
                              deal_arrays *a, int64_t i) {
  philox4x32_ctr_t x = tb_philox(g->seed, (uint64_t)d, 0, G_DEAL);
  const int imp = (int)(x.v[2] % (uint32_t)n);
  a->importer[i] = imp;
  a->sector[i] = (int32_t)(x.v[3] % (uint32_t)g->S);
  philox4x32_ctr_t y = tb_philox(g->seed, (uint64_t)d, 1, G_DEAL);
  a->period[i] = (int32_t)(y.v[0] % (uint32_t)g->T);
  a->trade_value[i] = exp(1.5 + 1.2 * tb_normal(tb_philox(g->seed, (uint64_t)d, 2, G_DEAL)));
  philox4x32_ctr_t z = tb_philox(g->seed, (uint64_t)d, 3, G_DEAL);
  a->cost[i] = tb_u01(z.v[0], z.v[1]) < 0.1 ? exp(1.0 + tb_normal(tb_philox(g->seed, (uint64_t)d, 4, G_DEAL))) : 0.0;
  int32_t er = entity_region(g, ents[imp == 0 ? 1 : 0]);
  int32_t ir = entity_region(g, ents[imp]);
  a->exp_region[i] = er;
  a->imp_region[i] = ir == er ? -1 : ir;
}

static int write_deals(tb_h5 *o, const tb_gen_params *g, const deal_sizes *z, int64_t lo, int64_t hi) {
  int rc = TB_OK;
  const int64_t bs = g->batch;
  deal_arrays a;
  memset(&a, 0, sizeof a);
  int64_t capp = 0, capc = 0, capf = 0;
  TB_ALLOC(a.party_ptr, bs + 1);
  TB_ALLOC(a.importer, bs);
  TB_ALLOC(a.period, bs);
  TB_ALLOC(a.sector, bs);
  TB_ALLOC(a.exp_region, bs);
  TB_ALLOC(a.imp_region, bs);
  TB_ALLOC(a.trade_value, bs);
  TB_ALLOC(a.cost, bs);
  int64_t nb = (hi - lo + bs - 1) / bs, mynb = nb;
  TB_GUARD(tb_comm_allreduce_i64(&nb, 1, TB_OP_MAX));
  nb = nb ? nb : 1; /* the closing pointers are written even with no deals */
  const int lastrank = tb_comm_rank() == tb_comm_size() - 1;
  int64_t pcur = z->p0, ccur = z->c0, fcur = z->f0;
  tb_progress prog;
  tb_progress_start(&prog, "generate", tb_comm_rank() == 0);
  for (int64_t b = 0; b < nb; b++) {
    int64_t d0 = lo + b * bs, n = hi - d0;
    n = n < 0 ? 0 : n > bs ? bs : n;
    deal_cursor c;
    memset(&c, 0, sizeof c);
    int64_t ents[TB_MAX_PARTIES];
    for (int64_t i = 0; i < n; i++) gen_deal(g->seed, d0 + i, g->N, &c, ents); /* count */
    TB_GUARD(grow_to((void **)&a.party_entity, &capp, c.np + 1, sizeof(int64_t)));
    capp = 0;
    TB_GUARD(grow_to((void **)&a.comp_ptr, &capp, c.np + 1, sizeof(int64_t)));
    TB_GUARD(grow_to((void **)&a.comp_dim, &capc, c.nc + 1, 1));
    capc = 0;
    TB_GUARD(grow_to((void **)&a.comp_prob, &capc, c.nc + 1, sizeof(double)));
    capc = 0;
    TB_GUARD(grow_to((void **)&a.flow_ptr, &capc, c.nc + 1, sizeof(int64_t)));
    TB_GUARD(grow_to((void **)&a.flow_period, &capf, c.nf + 1, sizeof(int32_t)));
    capf = 0;
    TB_GUARD(grow_to((void **)&a.flow_amount, &capf, c.nf + 1, sizeof(double)));
    c = (deal_cursor){0, 0, 0, a.party_entity, a.comp_ptr, a.flow_ptr, a.flow_period, a.comp_dim,
                     a.comp_prob, a.flow_amount, ccur, fcur};
    for (int64_t i = 0; i < n; i++) {
      a.party_ptr[i] = pcur + c.np;
      gen_deal(g->seed, d0 + i, g->N, &c, ents);
      fill_deal_scalars(g, d0 + i, (int)(pcur + c.np - a.party_ptr[i]), ents, &a, i);
    }
    /* the globally last rank-with-deals appends the closing pointers in its last batch */
    const int64_t last = lastrank && b == (mynb ? mynb - 1 : 0);
    a.party_ptr[n] = pcur + c.np;
    a.comp_ptr[c.np] = ccur + c.nc;
    a.flow_ptr[c.nc] = fcur + c.nf;
    TB_GUARD(write_deal_batch(o, &a, d0, n, &c, pcur, last));
    pcur += c.np, ccur += c.nc, fcur += c.nf;
    tb_progress_update(&prog, (double)(b + 1) / (double)nb * (double)g->M, (double)g->M, "deals");
  }
done:
  free_deal_arrays(&a);
  return rc;
}

/* ---- network, trade and IO tables -------------------------------------- */

static int64_t degree_of(uint64_t seed, int64_t e, int64_t N) {
  philox4x32_ctr_t x = tb_philox(seed, (uint64_t)e, 0, G_DEG);
  double k = 3.6 * pow(tb_u01(x.v[0], x.v[1]), -1.0 / 1.5); /* Pareto (shape 1.5) floored and capped: mean ~10 */
  int64_t d = k > 1000.0 ? 1000 : (int64_t)k;
  return d < N - 1 ? d : N - 1;
}

/* Target of entity e's j-th link. The random graph picks among all entities; the locality
 * graph keeps a link in e's region with probability `locality`, else sends it to another
 * region drawn uniformly, each region with its own popular (low-id) entities. */
static int64_t edge_target(const tb_gen_params *g, int64_t e, int64_t j) {
  philox4x32_ctr_t x = tb_philox(g->seed, (uint64_t)e, (uint32_t)j, G_EDGE);
  if (g->locality < 0) {
    int64_t t = pick_entity(x, g->N);
    return t == e ? (t + 1) % g->N : t;
  }
  const int R = (int)g->R, r = tb_block_owner(g->N, R, e);
  philox4x32_ctr_t y = tb_philox(g->seed, (uint64_t)e, (uint32_t)j | 0x40000000u, G_EDGE);
  const int inside = R == 1 || tb_u01(y.v[0], y.v[1]) < g->locality;
  const int to = inside ? r : (r + 1 + (int)(y.v[2] % (uint32_t)(R - 1))) % R;
  const int64_t lo = tb_block_lo(g->N, to, R), n = tb_block_lo(g->N, to + 1, R) - lo;
  const int64_t t = lo + pick_entity(x, n);
  return t == e ? lo + (t - lo + 1) % n : t;
}

static int write_network(tb_h5 *o, const tb_gen_params *g, int64_t *E_out) {
  int rc = TB_OK;
  const int rank = tb_comm_rank(), size = tb_comm_size();
  const int64_t lo = tb_block_lo(g->N, rank, size), hi = tb_block_lo(g->N, rank + 1, size);
  int64_t mine = 0, base = 0;
  for (int64_t e = lo; e < hi; e++) mine += degree_of(g->seed, e, g->N);
  TB_CALL(tb_comm_exscan_i64(mine, &base));
  int64_t E = mine;
  TB_CALL(tb_comm_allreduce_i64(&E, 1, TB_OP_SUM));
  *E_out = E;
  TB_CALL(tb_h5_new_dataset(o, "/network/ptr", H5T_STD_I64LE, 1, (int64_t[]){g->N + 1}));
  TB_CALL(tb_h5_new_dataset(o, "/network/col", H5T_STD_I64LE, 1, &E));
  TB_CALL(tb_h5_new_dataset(o, "/network/weight", H5T_IEEE_F64LE, 1, &E));
  const int64_t bs = g->batch;
  int64_t *ptr = NULL, *col = NULL;
  double *w = NULL;
  int64_t cap_e = 16 * bs + 1000;
  TB_ALLOC(ptr, bs + 1);
  TB_ALLOC(col, cap_e);
  TB_ALLOC(w, cap_e);
  int64_t nb = (hi - lo + bs - 1) / bs, mynb = nb;
  TB_GUARD(tb_comm_allreduce_i64(&nb, 1, TB_OP_MAX));
  const int lastrank = rank == size - 1;
  int64_t cur = base;
  for (int64_t b = 0; b < nb; b++) {
    int64_t e0 = lo + b * bs, n = hi - e0, k = 0;
    n = n < 0 ? 0 : n > bs ? bs : n;
    for (int64_t i = 0; i < n; i++) {
      const int64_t e = e0 + i, deg = degree_of(g->seed, e, g->N);
      ptr[i] = cur + k;
      if (k + deg > cap_e) {
        cap_e = 2 * (k + deg);
        int64_t *c2 = realloc(col, (size_t)cap_e * sizeof *col);
        double *w2 = c2 ? realloc(w, (size_t)cap_e * sizeof *w) : NULL;
        if (c2) col = c2;
        if (!c2 || !w2) {
          rc = TB_ERR(TB_ERR_MEMORY, "out of memory for a batch of network edges");
          goto done;
        }
        w = w2;
      }
      for (int64_t j = 0; j < deg; j++, k++) {
        col[k] = edge_target(g, e, j);
        w[k] = exp(0.5 * tb_normal(tb_philox(g->seed, (uint64_t)e, (uint32_t)j | 0x80000000u, G_EDGE)));
      }
    }
    const int64_t last = lastrank && b == (mynb ? mynb - 1 : 0);
    ptr[n] = cur + k;
    TB_GUARD(tb_h5_write(o, "/network/ptr", H5T_NATIVE_INT64, (n || last) ? e0 : 0, n + last, ptr));
    TB_GUARD(tb_h5_write(o, "/network/col", H5T_NATIVE_INT64, k ? cur : 0, k, col));
    TB_GUARD(tb_h5_write(o, "/network/weight", H5T_NATIVE_DOUBLE, k ? cur : 0, k, w));
    cur += k;
  }
done:
  free(ptr);
  free(col);
  free(w);
  return rc;
}

/* Small tables: rank 0 writes, the others join the collective with empty selections. */
static int write_tables(tb_h5 *o, const tb_gen_params *g) {
  int rc = TB_OK;
  const int me = tb_comm_rank() == 0;
  const int64_t R = g->R, T = g->T, S = g->S;
  double *ex = NULL, *im = NULL, *A = NULL, *col = NULL, *va = NULL, *emp = NULL, *share = NULL;
  TB_ALLOC(ex, R * T);
  TB_ALLOC(im, R * T);
  TB_ALLOC(A, S);
  TB_ALLOC(col, S);
  TB_ALLOC(va, S);
  TB_ALLOC(emp, S);
  TB_ALLOC(share, S);
  for (int64_t i = 0; i < R * T; i++) {
    double grow = pow(1.02, (double)(i % T));
    ex[i] = 1e4 * grow * exp(0.5 * tb_normal(tb_philox(g->seed, (uint64_t)i, 0, G_TRADE)));
    im[i] = 1e4 * grow * exp(0.5 * tb_normal(tb_philox(g->seed, (uint64_t)i, 1, G_TRADE)));
  }
  TB_GUARD(tb_h5_write(o, "/trade/base_exports", H5T_NATIVE_DOUBLE, 0, me ? R : 0, ex));
  TB_GUARD(tb_h5_write(o, "/trade/base_imports", H5T_NATIVE_DOUBLE, 0, me ? R : 0, im));
  /* A: sparse positive entries, each column scaled to a sum in [0.2, 0.6) */
#define AIJ(i, j) (tb_u01(tb_philox(g->seed, (uint64_t)((i) * S + (j)), 0, G_IO).v[0], 0) < 0.3 \
                       ? tb_u01(tb_philox(g->seed, (uint64_t)((i) * S + (j)), 0, G_IO).v[1], 0) : 0.0)
  double share_sum = 0.0;
  for (int64_t j = 0; j < S; j++) {
    col[j] = 0.0;
    for (int64_t i = 0; i < S; i++) col[j] += AIJ(i, j);
    philox4x32_ctr_t x = tb_philox(g->seed, (uint64_t)j, 1, G_IO);
    double target = 0.2 + 0.4 * tb_u01(x.v[0], x.v[1]);
    col[j] = col[j] > 0 ? target / col[j] : 0.0; /* scale factor */
    va[j] = col[j] > 0 ? 1.0 - target : 1.0;
    emp[j] = exp(1.5 + 0.5 * tb_normal(tb_philox(g->seed, (uint64_t)j, 2, G_IO)));
    share[j] = tb_u01(x.v[2], x.v[3]);
    share_sum += share[j];
  }
  for (int64_t j = 0; j < S; j++) share[j] /= share_sum;
  for (int64_t i = 0; i < S; i++) {
    for (int64_t j = 0; j < S; j++) A[j] = AIJ(i, j) * col[j];
    TB_GUARD(tb_h5_write(o, "/io/A", H5T_NATIVE_DOUBLE, i, me ? 1 : 0, A));
  }
#undef AIJ
  TB_GUARD(tb_h5_write(o, "/io/value_added", H5T_NATIVE_DOUBLE, 0, me ? S : 0, va));
  TB_GUARD(tb_h5_write(o, "/io/employment", H5T_NATIVE_DOUBLE, 0, me ? S : 0, emp));
  TB_GUARD(tb_h5_write(o, "/io/import_share", H5T_NATIVE_DOUBLE, 0, me ? S : 0, share));
done:
  free(ex);
  free(im);
  free(A);
  free(col);
  free(va);
  free(emp);
  free(share);
  return rc;
}

static int create_datasets(tb_h5 *o, const tb_gen_params *g, const deal_sizes *z) {
  const int64_t N = g->N, M = g->M, M1 = g->M + 1, P1 = z->P + 1, C1 = z->C + 1;
  struct { const char *name; hid_t type; int rank; int64_t d0, d1; } spec[] = {
      {"/entities/type", H5T_STD_U8LE, 1, N, 0},
      {"/entities/region", H5T_STD_I32LE, 1, N, 0},
      {"/entities/weights", H5T_IEEE_F64LE, 2, N, 4},
      {"/entities/discount_rate", H5T_IEEE_F64LE, 1, N, 0},
      {"/entities/risk_aversion", H5T_IEEE_F64LE, 1, N, 0},
      {"/entities/pay_cap", H5T_IEEE_F64LE, 1, N, 0},
      {"/entities/bargaining_weight", H5T_IEEE_F64LE, 1, N, 0},
      {"/deals/party_ptr", H5T_STD_I64LE, 1, M1, 0},
      {"/deals/party_entity", H5T_STD_I64LE, 1, z->P, 0},
      {"/deals/importer", H5T_STD_I32LE, 1, M, 0},
      {"/deals/comp_ptr", H5T_STD_I64LE, 1, P1, 0},
      {"/deals/comp_dim", H5T_STD_U8LE, 1, z->C, 0},
      {"/deals/comp_prob", H5T_IEEE_F64LE, 1, z->C, 0},
      {"/deals/flow_ptr", H5T_STD_I64LE, 1, C1, 0},
      {"/deals/flow_period", H5T_STD_I32LE, 1, z->F, 0},
      {"/deals/flow_amount", H5T_IEEE_F64LE, 1, z->F, 0},
      {"/deals/period", H5T_STD_I32LE, 1, M, 0},
      {"/deals/sector", H5T_STD_I32LE, 1, M, 0},
      {"/deals/export_region", H5T_STD_I32LE, 1, M, 0},
      {"/deals/import_region", H5T_STD_I32LE, 1, M, 0},
      {"/deals/trade_value", H5T_IEEE_F64LE, 1, M, 0},
      {"/deals/cost", H5T_IEEE_F64LE, 1, M, 0},
      {"/trade/base_exports", H5T_IEEE_F64LE, 2, g->R, g->T},
      {"/trade/base_imports", H5T_IEEE_F64LE, 2, g->R, g->T},
      {"/io/A", H5T_IEEE_F64LE, 2, g->S, g->S},
      {"/io/value_added", H5T_IEEE_F64LE, 1, g->S, 0},
      {"/io/employment", H5T_IEEE_F64LE, 1, g->S, 0},
      {"/io/import_share", H5T_IEEE_F64LE, 1, g->S, 0},
  };
  for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++)
    TB_CALL(tb_h5_new_dataset(o, spec[i].name, spec[i].type, spec[i].rank, (int64_t[]){spec[i].d0, spec[i].d1}));
  return TB_OK;
}

static int check_params(const tb_gen_params *g) {
  if (g->N < 2 || g->M < 1 || g->R < 1 || g->T < 1 || g->S < 1 || g->batch < 1)
    return TB_ERR(TB_ERR_USAGE, "generate: need entities >= 2 and deals, regions, periods, sectors and batch >= 1 "
                                "(MODEL.md section 1: M >= 1)");
  if (g->R > INT32_MAX || g->T > INT32_MAX || g->S > 100000)
    return TB_ERR(TB_ERR_USAGE, "generate: regions and periods must fit in int32 and sectors <= 100000");
  if (g->locality > 1 || (g->locality >= 0 && g->N < 2 * g->R))
    return TB_ERR(TB_ERR_USAGE, "generate: --locality needs a share in [0, 1] and entities >= 2 x regions "
                                "(a within-region link needs two entities in the region)");
  return TB_OK;
}

int tb_generate(const tb_gen_params *g, const char *path) {
  int rc = TB_OK;
  char tmp[4160];
  tb_h5 o = {.id = -1};
  TB_CALL(check_params(g));
  TB_CALL(tb_output_check(NULL, path, g->overwrite));
  TB_CALL(tb_output_tmpname(path, tmp, sizeof tmp));
  const int rank = tb_comm_rank(), size = tb_comm_size();
  const int64_t lo = tb_block_lo(g->M, rank, size), hi = tb_block_lo(g->M, rank + 1, size);
  deal_sizes z;
  int64_t E = 0;
  const double t0 = tb_now();
  if (rank == 0 && g->M >= 10000000) /* the sizing pass is silent otherwise, and takes a while */
    fprintf(stderr, "[generate] sizing %lld deals (pass 1 of 2)\n", (long long)g->M);
  TB_CALL(count_deals(g, lo, hi, &z));
  rc = tb_comm_agree(tb_h5_create(&o, tmp));
  if (rc) return tb_output_commit(tmp, path, rc);
  o.schema = TB_FILE_INPUT;
  TB_GUARD(tb_comm_agree(create_datasets(&o, g, &z)));
  TB_GUARD(tb_comm_agree(write_entities(&o, g)));
  TB_GUARD(tb_comm_agree(write_deals(&o, g, &z, lo, hi)));
  TB_GUARD(tb_comm_agree(write_network(&o, g, &E)));
  TB_GUARD(tb_comm_agree(write_tables(&o, g)));
  TB_GUARD(tb_h5_attr_i32(&o, "/io", "region", 0));
  TB_GUARD(tb_h5_attr_str(&o, "/", "software", "tradebal generate"));
  TB_GUARD(tb_h5_attr_str(&o, "/", "version", TB_VERSION));
  TB_GUARD(tb_h5_attr_i64(&o, "/", "seed", (int64_t)g->seed));
done:
  if (o.id >= 0) {
    int c = tb_h5_close(&o);
    if (!rc) rc = c;
  }
  rc = tb_comm_agree(rc);
  TB_CALL(tb_output_commit(tmp, path, rc));
  if (rank == 0)
    printf("tradebal generate: %s: %lld entities, %lld deals, %lld parties, %lld components, %lld flows, "
           "%lld edges, seed %llu, %.2f s\n", path, (long long)g->N, (long long)g->M, (long long)z.P,
           (long long)z.C, (long long)z.F, (long long)E, (unsigned long long)g->seed, tb_now() - t0);
  return TB_OK;
}
