/* Network benchmark (MODEL.md section 6): Jacobi iterations per second and edges per second
 * of tradebal's distributed pull iteration on an input's entity graph, next to SciPy's CSR
 * product (bench/peers/scipy_jacobi.py) and SuiteSparse:GraphBLAS (tb_peer_graphblas) on the
 * same file in the same run. Usage: [mpiexec -n R] tb_bench_network INPUT [ITERS] [cpu|cuda|auto] */
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_validate.h"
#include "tb_network_file.h"
#include "tb_bench.h"
#include "tb_util.h"
#include "tb_version.h"
#include "tb_comm.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

/* A peer prints "seconds_per_iteration X" on its last line. */
static double peer(const char *cmd) {
  char line[1024];
  double s = 0.0;
  FILE *p = popen(cmd, "r");
  if (!p) return 0.0;
  while (fgets(line, sizeof line, p))
    if (!strncmp(line, "seconds_per_iteration ", 22)) s = atof(line + 22);
  pclose(p);
  return s;
}

int main(int argc, char **argv) {
  if (tb_comm_init(&argc, &argv)) return 6;
  tb_h5_quiet();
  const char *input = argc > 1 ? argv[1] : "bench/data/network.h5";
  const int iters = argc > 2 ? atoi(argv[2]) : 20;
  tb_h5 f;
  tb_input_dims D;
  tb_network G;
  tb_network_stats st;
  tb_backend be;
  const char *kind = argc > 3 ? argv[3] : "cpu"; /* cpu, cuda or auto */
  int rc = tb_comm_agree(tb_h5_open(&f, input));
  if (!rc) rc = tb_input_validate(&f, &D);
  if (!rc) rc = tb_comm_agree(tb_network_read(&f, &D, &G));
  if (!rc)
    rc = tb_comm_agree(tb_backend_open(&be, !strcmp(kind, "cuda") ? TB_BACKEND_CUDA : !strcmp(kind, "auto") ? TB_BACKEND_AUTO
                                                                                                      : TB_BACKEND_CPU,
                                       0, tb_comm_local_rank()));
  if (rc) {
    tb_error_print("tb_bench_network", 0);
    tb_comm_finalize();
    return rc;
  }
  double *b = malloc(sizeof(double) * (size_t)(G.n ? G.n : 1)), *x = malloc(sizeof(double) * (size_t)(G.n ? G.n : 1));
  for (int64_t i = 0; i < G.n; i++) b[i] = 1.0;
  tb_network_solve(&be, &G, b, 0.3, 0.0, 2, x, &st); /* warm-up */
  double runs[5];
  for (int k = 0; k < 5; k++) { /* median of 5 timings: the VM is noisy */
    tb_comm_barrier();
    double t0 = tb_now();
    tb_network_solve(&be, &G, b, 0.3, -1.0, iters, x, &st); /* tol < 0: exactly `iters` iterations */
    runs[k] = (tb_now() - t0) / iters;
    tb_comm_allreduce_f64(&runs[k], 1, TB_OP_MAX);
  }
  const double sec = tb_median(runs, 5);
  if (tb_comm_rank() == 0) {
    char cmd[4200], a[32], e[32], par[128];
    snprintf(par, sizeof par, "%d ranks x %d OpenMP threads, backend %s", tb_comm_size(), omp_get_max_threads(),
             tb_backend_name(&be));
    tb_bench_header("network (Jacobi)", par);
    printf("# input %s: %lld entities, %lld edges; median of 5 x %d iterations after a warm-up; alpha 0.3\n", input,
           (long long)D.N, (long long)D.E, iters);
    printf("%-28s %16s %16s %10s\n", "implementation", "iterations/s", "edges/s", "ratio");
    printf("%-28s %16.4g %16s %10s\n", be.ops == &tb_backend_cpu_ops ? "tradebal cpu (pull, halo)" : "tradebal cuda (pull, halo)", 1.0 / sec, tb_human((double)D.E / sec, e, sizeof e), "1.00");
    const char *py = getenv("TB_PYTHON") ? getenv("TB_PYTHON") : "/usr/bin/python3";
    snprintf(cmd, sizeof cmd, "%s %s/bench/peers/scipy_jacobi.py %s %d", py, TB_SOURCE_DIR, input, iters);
    const int peers = !getenv("TB_BENCH_PEERS") || strcmp(getenv("TB_BENCH_PEERS"), "0");
    double s1 = peers ? peer(cmd) : 0.0;
    if (s1 > 0)
      printf("%-28s %16.4g %16s %10.2f\n", "SciPy CSR (W~^T @ x)", 1.0 / s1, tb_human((double)D.E / s1, a, sizeof a), s1 / sec);
    snprintf(cmd, sizeof cmd, "%s/tb_peer_graphblas %s %d", TB_BINARY_DIR, input, iters);
    double s2 = peers ? peer(cmd) : 0.0;
    if (s2 > 0)
      printf("%-28s %16.4g %16s %10.2f\n", "SuiteSparse:GraphBLAS vxm", 1.0 / s2, tb_human((double)D.E / s2, a, sizeof a), s2 / sec);
    printf("# ratio = peer seconds per iteration / tradebal's (> 1: tradebal is faster)\n");
    /* compulsory bytes of an iteration: w and src per edge; in_ptr, b, x and x_new per row */
    const double gbs = (12.0 * (double)D.E + 32.0 * (double)D.N) / sec / 1e9;
    char name[96];
    snprintf(name, sizeof name, "spillover iteration (%s, %d ranks x %d threads)", tb_backend_name(&be), tb_comm_size(),
             omp_get_max_threads());
    tb_bench_row(name, (double)D.E / sec, "edges/s", gbs, "copy", "SciPy", s1 > 0 ? s1 / sec : 0.0, "");
    tb_bench_row(name, (double)D.E / sec, "edges/s", gbs, "copy", "GraphBLAS", s2 > 0 ? s2 / sec : 0.0, "");
  }
  free(b), free(x);
  tb_backend_close(&be);
  tb_network_free(&G);
  tb_h5_close(&f);
  tb_comm_finalize();
  return 0;
}
