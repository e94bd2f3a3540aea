/* What bench/run_all's ratios depend on that the version numbers do not say (issue 25): the
 * OpenMP threads, the BLAS/LAPACK tradebal actually calls (OpenBLAS's build, the kernel it chose
 * for this CPU, its thread count and threading model) and the library its dgetrf_ resolves to,
 * all as the CPU backend leaves them after tb_backend_open (which ties OpenBLAS's threads to
 * backend.threads). One line a fact, "key: value", for run_all's provenance header.
 * Usage: tb_bench_env */
#define _GNU_SOURCE /* dladdr */
#include "tb_backend.h"

#include <dlfcn.h>
#include <stdio.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef TB_HAVE_LAPACKE
#include <cblas.h> /* OpenBLAS's: openblas_get_config and friends */
#endif

/* The file that defines symbol `sym` in this process ("not found" when none does). */
static const char *defined_in(const char *sym) {
  Dl_info info;
  void *p = dlsym(RTLD_DEFAULT, sym);
  return p && dladdr(p, &info) && info.dli_fname ? info.dli_fname : "not found";
}

int main(void) {
  tb_backend be;
  const int opened = tb_backend_open(&be, TB_BACKEND_CPU, 0, 0) == 0;
#ifdef _OPENMP
  printf("openmp: %d threads (omp_get_max_threads after opening the cpu backend)\n", omp_get_max_threads());
#else
  printf("openmp: none (built without OpenMP)\n");
#endif
#ifdef TB_HAVE_LAPACKE
  const int par = openblas_get_parallel();
  printf("openblas: %s; core %s; %d threads, %s\n", openblas_get_config(), openblas_get_corename(),
         openblas_get_num_threads(), par == 0 ? "sequential" : par == 1 ? "pthreads" : par == 2 ? "openmp" : "?");
  printf("dgetrf_: %s\ndgemm_: %s\n", defined_in("dgetrf_"), defined_in("dgemm_"));
#else
  printf("openblas: none (built without LAPACKE/OpenBLAS)\n");
#endif
  if (opened) tb_backend_close(&be);
  return 0;
}
