/* MODEL.md section 6 over ranks: the entity graph is block-distributed by entity; each
 * rank keeps the in-edges of its entities (pull formulation) sorted by source, so every
 * x_j is summed in one fixed order, and fetches only the remote x it needs (halo). */
#ifndef TB_NETWORK_H
#define TB_NETWORK_H

#include "tb_backend.h"
#include "tb_comm.h"

#include <stdint.h>

typedef struct {
  int64_t N, lo, n;          /* this rank's entities [lo, lo+n) */
  int64_t nin;               /* in-edges of them */
  int64_t *in_ptr;           /* [n+1] */
  int32_t *src;              /* [nin]: source slot: < n local, else n + index into halo (4 bytes: bandwidth) */
  double *w;                 /* [nin]: W~_ij */
  int64_t *halo, nhalo;      /* sorted remote sources */
  tb_comm_halo *plan;        /* their exchange, agreed once */
  double *centrality, *influence; /* [n] */
} tb_network;

typedef struct {
  int iterations, converged;
  double residual;           /* ||x_new - x||_1 / ||x_new||_1 at the last iteration */
  double network_multiplier; /* sum x / sum b */
  int64_t halo_max, halo_sum; /* remote x fetched each iteration: the most by one rank, by all */
} tb_network_stats;

/* Collective: from this rank's rows [lo, lo + n) of the N-entity graph (CSR: ptr [n + 1] holds
 * the file's global offsets, col and weight [ptr[n] - ptr[0]]): normalise (wt is scaled in
 * place), centrality and influence, move edges to their targets' owners (the reader is
 * host/io/tb_network_file.c). */
int tb_network_build(tb_network *G, int64_t N, int64_t lo, int64_t n, const int64_t *ptr, const int64_t *col,
                     double *wt);
void tb_network_free(tb_network *G);
/* x = b + alpha W~^T x by Jacobi from x = b, each step on the backend. b and x are this
 * rank's block. Collective. */
int tb_network_solve(tb_backend *be, const tb_network *G, const double *b, double alpha, double tol, int max_iter,
                     double *x, tb_network_stats *st);

#endif
