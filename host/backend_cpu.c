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

static int cpu_deal_stage(tb_backend *be, const tb_deal_params *P, tb_deal_batch *B) {
  (void)be;
  const int64_t n = B->ndeal;
  /* dynamic chunks: deals differ a lot in size (2..255 parties) */
#pragma omp parallel for schedule(dynamic, 4096)
  for (int64_t d = 0; d < n; d++) tb_deal_eval(P, B, d);
  return TB_OK;
}

static void cpu_finalize(tb_backend *be) { (void)be; }

const tb_backend_ops tb_backend_cpu_ops = {"cpu", cpu_init, cpu_deal_stage, cpu_finalize};
