/* CPU reference backend: the shared per-deal math (tb_math.h) in an OpenMP loop.
 * Deals go in chunks: first the chunk's p_c^(1+rho_e) through glibc's vector pow
 * (libmvec, AVX2) where available, then tb_deal_eval on each deal. */
#include "backend.h"
#include "tb_error.h"

#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define TB_CHUNK 1024 /* deals per chunk: its entity rows and powers stay in cache */

#if defined(TB_HAVE_MVEC) && defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include <immintrin.h>
__m256d _ZGVdN4vv_pow(__m256d x, __m256d y); /* glibc libmvec */

/* out[i] = x[i]^y[i] for n a multiple of 4. Every element goes through the same vector
 * routine, so a result never depends on its position (rank counts, batch sizes). */
static void pow_avx2(const double *x, const double *y, double *out, int64_t n) {
  for (int64_t i = 0; i < n; i += 4)
    _mm256_storeu_pd(out + i, _ZGVdN4vv_pow(_mm256_loadu_pd(x + i), _mm256_loadu_pd(y + i)));
}
#pragma GCC pop_options
static int have_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#else
static void pow_avx2(const double *x, const double *y, double *out, int64_t n) {
  (void)x, (void)y, (void)out, (void)n;
}
static int have_avx2(void) { return 0; }
#endif

typedef struct {
  int vector_pow;
} cpu_state;

static int cpu_init(tb_backend *be) {
#ifdef _OPENMP
  if (be->threads > 0) omp_set_num_threads(be->threads);
#endif
  cpu_state *st = calloc(1, sizeof *st);
  if (!st) return TB_ERR(TB_ERR_MEMORY, "out of memory for the CPU backend");
  st->vector_pow = have_avx2() && !getenv("TB_NO_VECTOR_POW");
  be->state = st;
  return TB_OK;
}

/* comp_pow for the components of deals [d0, d1), into pw (room for nc + 4). */
static void chunk_powers(const tb_deal_batch *B, int64_t d0, int64_t d1, double *rho, double *x,
                         double *pw) {
  const int64_t p0 = B->party_ptr[d0], p1 = B->party_ptr[d1], c0 = B->comp_ptr[p0];
  const int64_t nc = B->comp_ptr[p1] - c0, padded = (nc + 3) / 4 * 4;
  for (int64_t p = p0; p < p1; p++) {
    const double r = B->rows[B->party_row[p]].rho1;
    for (int64_t c = B->comp_ptr[p]; c < B->comp_ptr[p + 1]; c++) rho[c - c0] = r;
  }
  memcpy(x, B->comp_prob + c0, (size_t)nc * sizeof *x);
  for (int64_t i = nc; i < padded; i++) x[i] = rho[i] = 1.0;
  pow_avx2(x, rho, pw, padded);
}

static int cpu_deal_stage(tb_backend *be, const tb_deal_params *P, tb_deal_batch *B) {
  const cpu_state *st = be->state;
  const int64_t n = B->ndeal;
#pragma omp parallel
  {
    double *buf = NULL; /* rho, x and pw, each of `cap` doubles */
    int64_t cap = 0;
    tb_deal_batch view = *B;
    /* dynamic: deals differ a lot in size (2..255 parties) */
#pragma omp for schedule(dynamic, 1)
    for (int64_t d0 = 0; d0 < n; d0 += TB_CHUNK) {
      const int64_t d1 = d0 + TB_CHUNK < n ? d0 + TB_CHUNK : n;
      view.comp_pow = NULL;
      if (st->vector_pow) {
        const int64_t c0 = B->comp_ptr[B->party_ptr[d0]];
        const int64_t need = B->comp_ptr[B->party_ptr[d1]] - c0 + 4;
        if (need > cap) {
          free(buf);
          cap = need + need / 2;
          buf = malloc(3 * (size_t)cap * sizeof *buf);
        }
        if (buf) {
          chunk_powers(B, d0, d1, buf, buf + cap, buf + 2 * cap);
          view.comp_pow = buf + 2 * cap;
          view.comp_pow_base = c0;
        } else {
          cap = 0; /* fall back to scalar pow for this chunk */
        }
      }
      for (int64_t d = d0; d < d1; d++) tb_deal_eval(P, &view, d);
    }
    free(buf);
  }
  return TB_OK;
}

static int cpu_network_step(tb_backend *be, const tb_net_view *V, const double *x, double *xn) {
  (void)be;
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < V->n; j++) xn[j] = tb_network_row(V, x, j);
  return TB_OK;
}

static void cpu_finalize(tb_backend *be) {
  free(be->state);
  be->state = NULL;
}

const tb_backend_ops tb_backend_cpu_ops = {"cpu", cpu_init, cpu_deal_stage, cpu_network_step, cpu_finalize};
