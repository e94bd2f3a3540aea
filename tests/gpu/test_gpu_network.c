/* GPU test (label gpu): the CUDA network step (section 6) against the CPU backend on a
 * random graph: bitwise equal rows (both sum in edge order, no FMA contraction), again
 * with a new x (graph resident), and on a second graph (re-sent). Exits 77 without a GPU. */
#include "tb_backend.h"
#include "tb_test.h"

#include <stdlib.h>
#include <string.h>

int tb_cuda_device_count(void);

static uint64_t g_z = 7;
static double u01(void) {
  g_z ^= g_z << 13, g_z ^= g_z >> 7, g_z ^= g_z << 17;
  return (double)(g_z >> 11) * 0x1p-53;
}

typedef struct {
  int64_t *ptr;
  int32_t *src;
  double *w, *b, *x, *c, *g;
  tb_net_view V;
} graph;

static void make(graph *G, int64_t n, int64_t nhalo, int deg) {
  const int64_t nin = n * deg;
  G->ptr = malloc(sizeof(int64_t) * (size_t)(n + 1));
  G->src = malloc(sizeof(int32_t) * (size_t)nin);
  G->w = malloc(sizeof(double) * (size_t)nin);
  G->b = malloc(sizeof(double) * (size_t)n);
  G->x = malloc(sizeof(double) * (size_t)(n + nhalo));
  G->c = malloc(sizeof(double) * (size_t)n);
  G->g = malloc(sizeof(double) * (size_t)n);
  int64_t k = 0;
  for (int64_t j = 0; j < n; j++) {
    G->ptr[j] = k;
    const int d = (int)(u01() * 2 * deg); /* 0 .. 2 deg - 1 in-edges, heavy rows included */
    for (int e = 0; e < d && k < nin; e++, k++) {
      G->src[k] = (int32_t)(u01() * (double)(n + nhalo));
      G->w[k] = u01() / deg;
    }
    G->b[j] = u01() * 100.0 - 20.0;
  }
  G->ptr[n] = k;
  for (int64_t i = 0; i < n + nhalo; i++) G->x[i] = u01() * 50.0;
  G->V = (tb_net_view){n, n + nhalo, G->ptr, G->src, G->w, G->b, 0.3};
}

static void release(graph *G) {
  free(G->ptr), free(G->src), free(G->w), free(G->b), free(G->x), free(G->c), free(G->g);
}

static void compare(tb_backend *cpu, tb_backend *gpu, graph *G, const char *what) {
  memset(G->g, 0xff, sizeof(double) * (size_t)G->V.n); /* poison: every row must be written */
  CHECK(tb_backend_network_step(cpu, &G->V, G->x, G->c) == 0, "%s: cpu step", what);
  CHECK(tb_backend_network_step(gpu, &G->V, G->x, G->g) == 0, "%s: cuda step", what);
  CHECK(!memcmp(G->c, G->g, sizeof(double) * (size_t)G->V.n), "%s: CUDA rows differ from the CPU's", what);
}

int main(void) {
  if (tb_cuda_device_count() <= 0) {
    printf("skip: no CUDA device\n");
    return 77;
  }
  tb_backend cpu, gpu;
  CHECK(tb_backend_open(&cpu, TB_BACKEND_CPU, 0, 0) == 0, "cpu backend");
  CHECK(tb_backend_open(&gpu, TB_BACKEND_CUDA, 0, 0) == 0, "cuda backend");
  graph A, B;
  make(&A, 300000, 50000, 10);
  compare(&cpu, &gpu, &A, "graph A");
  for (int64_t i = 0; i < A.V.nx; i++) A.x[i] *= 0.5; /* a new iterate, graph resident */
  compare(&cpu, &gpu, &A, "graph A, next x");
  make(&B, 1000, 0, 3); /* another graph: re-sent */
  compare(&cpu, &gpu, &B, "graph B");
  release(&A), release(&B);
  tb_backend_close(&cpu), tb_backend_close(&gpu);
  return TEST_SUMMARY();
}
