/* The per-entity row of MODEL.md section 6's spillover iteration, shared verbatim by the CPU
 * backend and the CUDA kernel (kernels/tb_network_kernels.cu). */
#ifndef TB_NETWORK_ROW_H
#define TB_NETWORK_ROW_H

#include <stdint.h>

#include "tb_hd.h"

/* Section 6: the in-edges of a block of entities in CSR form, sorted by source, with W~. */
typedef struct {
  int64_t n;            /* rows (this rank's entities) */
  int64_t nx;           /* entries of x: n local, then the halo */
  const int64_t *in_ptr; /* [n+1] */
  const int32_t *src;   /* [nin] slot in x */
  const double *w;      /* [nin] W~_ij */
  const double *b;      /* [n] direct values */
  double alpha;
} tb_net_view;

/* One row of the pull iteration, x_new_j = b_j + alpha sum_k w_k x[src_k], summed in k order
 * so every backend and rank count gives the same bits. (Four partial sums over k mod 4 measured
 * 1.4x slower on a 2-core EPYC: the random row lengths mispredict the remainder's branches.) */
TB_HD static inline double tb_network_row(const tb_net_view *V, const double *x, int64_t j) {
  double s = 0.0;
  for (int64_t k = V->in_ptr[j]; k < V->in_ptr[j + 1]; k++) s += V->w[k] * x[V->src[k]];
  return V->b[j] + V->alpha * s;
}

#endif
