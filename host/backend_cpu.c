/* CPU reference backend: the shared per-deal math in an OpenMP loop. */
#include "backend.h"
#include "tb_error.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static int cpu_init(tb_backend *be) {
#ifdef _OPENMP
  if (be->threads > 0) omp_set_num_threads(be->threads);
#endif
  return TB_OK;
}

/* Entity rows are a random gather (one cache line each): ask for the rows of a deal
 * a few deals ahead so the misses overlap with the arithmetic of the current one. */
#define TB_PREFETCH_AHEAD 8

static inline void prefetch_rows(const tb_deal_batch *B, int64_t d) {
  for (int64_t p = B->party_ptr[d]; p < B->party_ptr[d + 1]; p++)
    __builtin_prefetch(&B->rows[B->party_row[p]]);
}

static int cpu_deal_stage(tb_backend *be, const tb_deal_params *P, tb_deal_batch *B) {
  (void)be;
  const int64_t n = B->ndeal, chunk = 4096;
  /* dynamic chunks: deals differ a lot in size (2..255 parties) */
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t c = 0; c < n; c += chunk) {
    const int64_t end = c + chunk < n ? c + chunk : n;
    for (int64_t d = c; d < end && d < c + TB_PREFETCH_AHEAD; d++) prefetch_rows(B, d);
    for (int64_t d = c; d < end; d++) {
      if (d + TB_PREFETCH_AHEAD < end) prefetch_rows(B, d + TB_PREFETCH_AHEAD);
      tb_deal_eval(P, B, d);
    }
  }
  return TB_OK;
}

static void cpu_finalize(tb_backend *be) { (void)be; }

const tb_backend_ops tb_backend_cpu_ops = {"cpu", cpu_init, cpu_deal_stage, cpu_finalize};
