#include "tb_network.h"

#include "tb_block.h"
#include "tb_error.h"
#include "tb_sort.h"
#include "tb_util.h"
#include "tb_comm.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { TB_NET_CHUNK = 4096 };

typedef struct {
  int64_t j, i; /* target, source */
  double w;
} edge;

/* Sorted unique ids (< N) of v[0..n) outside [lo, hi) (malloc'd), by the radix sort. */
static int remote_ids(const int64_t *v, int64_t n, int64_t N, int64_t lo, int64_t hi, int64_t **out,
                      int64_t *nout) {
  int rc = TB_OK;
  int64_t k = 0, *ids = NULL, *val = NULL, *tv = NULL;
  uint64_t *key = NULL, *tk = NULL;
  TB_ALLOC(ids, n);
  TB_ALLOC(key, n);
  TB_ALLOC(tk, n);
  TB_ALLOC(val, n);
  TB_ALLOC(tv, n);
  for (int64_t e = 0; e < n; e++)
    if (v[e] < lo || v[e] >= hi) key[k] = (uint64_t)v[e], val[k++] = 0;
  tb_radix_sort_pairs(key, val, k, tk, tv, (uint64_t)(N ? N - 1 : 0));
  int64_t u = 0;
  for (int64_t e = 0; e < k; e++)
    if (!u || (int64_t)key[e] != ids[u - 1]) ids[u++] = (int64_t)key[e];
  *out = ids, *nout = u;
  ids = NULL;
done:
  free(ids), free(key), free(tk), free(val), free(tv);
  return rc;
}

static int64_t find(const int64_t *v, int64_t n, int64_t x) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (v[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* C_i = out-strength / total weight; I_i = C_i sqrt(sum over out-edges of C_j). */
static int strengths(tb_network *G, const int64_t *ptr, const int64_t *col, const double *rowsum) {
  int rc = TB_OK;
  int64_t *ids = NULL, nids = 0;
  double *cr = NULL, tot[2] = {0, 0};
  const int64_t ne = ptr[G->n] - ptr[0];
  for (int64_t i = 0; i < G->n; i++) tb_dd_add(tot, rowsum[i]);
  TB_GUARD(tb_comm_sum_dd(tot, 1));
  const double total = tot[0] + tot[1];
  for (int64_t i = 0; i < G->n; i++) G->centrality[i] = total > 0 ? rowsum[i] / total : 0.0;
  TB_GUARD(remote_ids(col, ne, G->N, G->lo, G->lo + G->n, &ids, &nids));
  TB_ALLOC(cr, nids);
  if (tb_comm_size() > 1) TB_GUARD(tb_comm_fetch_rows(G->N, G->centrality, G->lo, sizeof(double), ids, nids, cr));
  for (int64_t i = 0; i < G->n; i++) {
    double s = 0.0;
    for (int64_t e = ptr[i] - ptr[0]; e < ptr[i + 1] - ptr[0]; e++) {
      const int64_t j = col[e];
      s += j >= G->lo && j < G->lo + G->n ? G->centrality[j - G->lo] : cr[find(ids, nids, j)];
    }
    G->influence[i] = G->centrality[i] * sqrt(s);
  }
done:
  free(ids), free(cr);
  return rc;
}

/* Send every edge to its target's owner; there, in-edges sorted by (target, source, edge).
 * Edges arrive in (source, edge) order (sources are block-distributed in rank order and
 * tb_comm_route keeps each sender's order), so a stable placement by target sorts them. */
static int to_targets(tb_network *G, const int64_t *ptr, const int64_t *col, const double *wn) {
  int rc = TB_OK;
  const int64_t ne = ptr[G->n] - ptr[0];
  int64_t nrecv = 0, *srcid = NULL, *place = NULL;
  int *dest = NULL;
  edge *send = NULL, *recv = NULL;
  TB_ALLOC(send, ne);
  TB_ALLOC(dest, ne);
  for (int64_t i = 0; i < G->n; i++)
    for (int64_t e = ptr[i] - ptr[0]; e < ptr[i + 1] - ptr[0]; e++) {
      send[e] = (edge){col[e], G->lo + i, wn[e]};
      dest[e] = tb_block_owner(G->N, tb_comm_size(), col[e]);
    }
  TB_GUARD(tb_comm_route(send, dest, ne, sizeof(edge), (void **)&recv, &nrecv));
  G->nin = nrecv;
  TB_ALLOC(G->in_ptr, G->n + 1);
  TB_ALLOC(G->src, nrecv);
  TB_ALLOC(G->w, nrecv);
  TB_ALLOC(srcid, nrecv);
  TB_ALLOC(place, G->n);
  memset(G->in_ptr, 0, sizeof(int64_t) * (size_t)(G->n + 1));
  for (int64_t k = 0; k < nrecv; k++) G->in_ptr[recv[k].j - G->lo + 1]++;
  for (int64_t j = 0; j < G->n; j++) G->in_ptr[j + 1] += G->in_ptr[j];
  memcpy(place, G->in_ptr, sizeof(int64_t) * (size_t)G->n);
  for (int64_t k = 0; k < nrecv; k++) { /* stable: arrival order within each target */
    const int64_t at = place[recv[k].j - G->lo]++;
    srcid[at] = recv[k].i;
    G->w[at] = recv[k].w;
  }
  TB_GUARD(remote_ids(srcid, nrecv, G->N, G->lo, G->lo + G->n, &G->halo, &G->nhalo));
  if (G->n + G->nhalo > INT32_MAX) {
    rc = TB_ERR(TB_ERR_USAGE, "network: %lld entities and halo on one rank; use more ranks", (long long)(G->n + G->nhalo));
    goto done;
  }
  TB_GUARD(tb_comm_halo_create(G->N, G->lo, sizeof(double), G->halo, G->nhalo, &G->plan));
  for (int64_t k = 0; k < nrecv; k++) {
    const int64_t i = srcid[k];
    G->src[k] = (int32_t)(i >= G->lo && i < G->lo + G->n ? i - G->lo : G->n + find(G->halo, G->nhalo, i));
  }
done:
  free(dest), free(send), free(recv), free(srcid), free(place);
  return rc;
}

int tb_network_build(tb_network *G, int64_t N, int64_t lo, int64_t n, const int64_t *ptr, const int64_t *col,
                     double *wt) {
  int rc = TB_OK;
  double *rowsum = NULL;
  memset(G, 0, sizeof *G);
  G->N = N, G->lo = lo, G->n = n;
  TB_ALLOC(rowsum, G->n);
  TB_ALLOC(G->centrality, G->n);
  TB_ALLOC(G->influence, G->n);
  for (int64_t i = 0; i < G->n; i++) { /* W~_ij = w_ij / max(1, sum_j w_ij) */
    double s = 0.0;
    for (int64_t e = ptr[i] - ptr[0]; e < ptr[i + 1] - ptr[0]; e++) s += wt[e];
    rowsum[i] = s;
  }
  TB_GUARD(strengths(G, ptr, col, rowsum));
  for (int64_t i = 0; i < G->n; i++)
    for (int64_t e = ptr[i] - ptr[0]; e < ptr[i + 1] - ptr[0]; e++) wt[e] /= rowsum[i] > 1.0 ? rowsum[i] : 1.0;
  TB_GUARD(to_targets(G, ptr, col, wt));
done:
  free(rowsum);
  if (rc) tb_network_free(G);
  return rc;
}

void tb_network_free(tb_network *G) {
  free(G->in_ptr), free(G->src), free(G->w), free(G->halo), free(G->centrality), free(G->influence);
  tb_comm_halo_free(G->plan);
  memset(G, 0, sizeof *G);
}

int tb_network_solve(tb_backend *be, const tb_network *G, const double *b, double alpha, double tol, int max_iter,
                     double *x, tb_network_stats *st) {
  int rc = TB_OK;
  double *xs = NULL, *xn = NULL, *part = NULL; /* xs: [local x | halo x] */
  const int64_t nchunk = (G->n + TB_NET_CHUNK - 1) / TB_NET_CHUNK;
  memset(st, 0, sizeof *st);
  int64_t halo[2] = {G->nhalo, G->nhalo};
  TB_GUARD(tb_comm_allreduce_i64(halo, 1, TB_OP_MAX));
  TB_GUARD(tb_comm_allreduce_i64(halo + 1, 1, TB_OP_SUM));
  st->halo_max = halo[0], st->halo_sum = halo[1];
  TB_ALLOC(xs, G->n + G->nhalo);
  TB_ALLOC(xn, G->n);
  TB_ALLOC(part, 4 * nchunk);
  const tb_net_view V = {G->n, G->n + G->nhalo, G->in_ptr, G->src, G->w, b, alpha};
  memcpy(xs, b, sizeof(double) * (size_t)G->n);
  for (int it = 1; it <= max_iter; it++) {
    TB_GUARD(tb_comm_halo_fetch(G->plan, xs, xs + G->n));
    TB_GUARD(tb_backend_network_step(be, &V, xs, xn));
    /* the norms in fixed chunks: each chunk's double-double partials are added in chunk
     * order, so the result does not depend on the thread count */
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < nchunk; c++) {
      double p[4] = {0, 0, 0, 0}; /* ||x_new - x||_1, ||x_new||_1 */
      const int64_t j1 = (c + 1) * TB_NET_CHUNK < G->n ? (c + 1) * TB_NET_CHUNK : G->n;
      for (int64_t j = c * TB_NET_CHUNK; j < j1; j++) {
        tb_dd_add(p, fabs(xn[j] - xs[j]));
        tb_dd_add(p + 2, fabs(xn[j]));
      }
      memcpy(part + 4 * c, p, sizeof p);
    }
    double norms[4] = {0, 0, 0, 0};
    for (int64_t c = 0; c < nchunk; c++) {
      tb_dd_add(norms, part[4 * c]), tb_dd_add(norms, part[4 * c + 1]);
      tb_dd_add(norms + 2, part[4 * c + 2]), tb_dd_add(norms + 2, part[4 * c + 3]);
    }
    TB_GUARD(tb_comm_sum_dd(norms, 2));
    memcpy(xs, xn, sizeof(double) * (size_t)G->n);
    const double diff = norms[0] + norms[1], norm = norms[2] + norms[3];
    st->iterations = it;
    st->residual = norm > 0 ? diff / norm : 0.0;
    if (diff <= tol * norm) {
      st->converged = 1;
      break;
    }
  }
  memcpy(x, xs, sizeof(double) * (size_t)G->n);
  double sums[4] = {0, 0, 0, 0};
  for (int64_t j = 0; j < G->n; j++) tb_dd_add(sums, x[j]), tb_dd_add(sums + 2, b[j]);
  TB_GUARD(tb_comm_sum_dd(sums, 2));
  st->network_multiplier = (sums[0] + sums[1]) / (sums[2] + sums[3]);
done:
  free(xs), free(xn), free(part);
  return rc;
}
