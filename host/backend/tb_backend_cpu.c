/* CPU reference backend: the shared per-deal math (tb_deal_math.h) in an OpenMP loop.
 * Deals go in chunks: first the chunk's p_c^(1+rho_e) through glibc's vector pow
 * (libmvec, AVX2) where available, then tb_deal_eval on each deal. */
#include "tb_backend.h"
#include "tb_error.h"

#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef TB_HAVE_LAPACKE
#include <cblas.h>
#include <lapacke.h>
#endif

#define TB_CHUNK 1024 /* deals per chunk: its entity rows and powers stay in cache */
/* Parties ahead whose entity row is prefetched while gathering rho: the rows are random
 * over the whole table, and 16 ahead measured 8-10% faster than none (32-48: no better). */
#define TB_PREFETCH 16

#if defined(TB_HAVE_MVEC) && defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4vv_pow(__m256d x, __m256d y); /* glibc libmvec */

/* out[i] = x[i]^y[i] for n a multiple of 4. Every element goes through the same vector
 * routine, so a result never depends on its position (rank counts, batch sizes). */
__attribute__((target("avx2,fma"))) static void pow_avx2(const double *x, const double *y, double *out, int64_t n) {
  for (int64_t i = 0; i < n; i += 4)
    _mm256_storeu_pd(out + i, _ZGVdN4vv_pow(_mm256_loadu_pd(x + i), _mm256_loadu_pd(y + i)));
}
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
#if defined(TB_HAVE_LAPACKE) && defined(OPENBLAS_VERSION)
  /* OpenBLAS (Debian's is the pthreads build) keeps its own thread pool, sized from
   * OPENBLAS_NUM_THREADS, else OMP_NUM_THREADS, else all cores; backend.threads never reached it.
   * With `threads = 1` a rank at 2 ranks a node then ran its LU on 2 more threads per rank, and
   * its workers busy-wait after each call on cores the OpenMP loops need next. One budget for
   * both: a rank's BLAS gets the threads its OpenMP loops get. */
  openblas_set_num_threads(omp_get_max_threads());
#endif
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
    if (p + TB_PREFETCH < p1) __builtin_prefetch(&B->rows[B->party_row[p + TB_PREFETCH]]);
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
      if (st->vector_pow && !B->values_known) {
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

#ifdef TB_HAVE_LAPACKE
typedef struct {
  lapack_int n;
  double *a; /* the caller's M, factored in place */
  lapack_int *ipiv;
} cpu_lu;

static int cpu_lu_factor(tb_backend *be, int64_t n, double *M, void **lu, int64_t *zero_pivot) {
  (void)be;
  if (n > INT32_MAX) return TB_ERR(TB_ERR_INPUT, "LU of order %lld: LAPACKE takes at most 2^31 - 1", (long long)n);
  cpu_lu *f = calloc(1, sizeof *f);
  if (f) f->ipiv = malloc(sizeof(lapack_int) * (size_t)(n ? n : 1));
  if (!f || !f->ipiv) {
    free(f);
    return TB_ERR(TB_ERR_MEMORY, "out of memory for the pivots of an LU of order %lld", (long long)n);
  }
  f->n = (lapack_int)n, f->a = M;
  const lapack_int info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, f->n, f->n, M, f->n, f->ipiv);
  *zero_pivot = info > 0 ? (int64_t)info - 1 : -1;
  *lu = f;
  if (info < 0) return TB_ERR(TB_ERR_INTERNAL, "LAPACKE_dgetrf: argument %d is invalid", (int)-info);
  return TB_OK;
}

static int cpu_lu_solve(tb_backend *be, void *lu, int trans, int64_t nrhs, double *B) {
  (void)be;
  const cpu_lu *f = lu;
  const lapack_int info =
      LAPACKE_dgetrs(LAPACK_COL_MAJOR, trans ? 'T' : 'N', f->n, (lapack_int)nrhs, f->a, f->n, f->ipiv, B, f->n);
  if (info) return TB_ERR(TB_ERR_INTERNAL, "LAPACKE_dgetrs: argument %d is invalid", (int)-info);
  return TB_OK;
}

static void cpu_lu_free(tb_backend *be, void *lu) {
  (void)be;
  if (lu) free(((cpu_lu *)lu)->ipiv);
  free(lu);
}

static int cpu_gemm(tb_backend *be, int64_t m, int64_t n, int64_t k, const double *A, const double *B, double *C) {
  (void)be;
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (blasint)m, (blasint)n, (blasint)k, 1.0, A,
              (blasint)(m ? m : 1), B, (blasint)(k ? k : 1), 0.0, C, (blasint)(m ? m : 1));
  return TB_OK;
}
#else /* a bare build (no LAPACKE): section 7 needs a GPU backend or a rebuild */
static int no_lapacke(void) {
  return TB_ERR(TB_ERR_USAGE, "the CPU backend of this build has no LAPACKE/OpenBLAS (install liblapacke-dev "
                              "libopenblas-dev and rebuild) and cannot do section 7");
}
static int cpu_lu_factor(tb_backend *be, int64_t n, double *M, void **lu, int64_t *zero_pivot) {
  (void)be, (void)n, (void)M, *lu = NULL, *zero_pivot = -1;
  return no_lapacke();
}
static int cpu_lu_solve(tb_backend *be, void *lu, int trans, int64_t nrhs, double *B) {
  (void)be, (void)lu, (void)trans, (void)nrhs, (void)B;
  return no_lapacke();
}
static void cpu_lu_free(tb_backend *be, void *lu) { (void)be, (void)lu; }
static int cpu_gemm(tb_backend *be, int64_t m, int64_t n, int64_t k, const double *A, const double *B, double *C) {
  (void)be, (void)m, (void)n, (void)k, (void)A, (void)B, (void)C;
  return no_lapacke();
}
#endif

static void cpu_finalize(tb_backend *be) {
  free(be->state);
  be->state = NULL;
}

const tb_backend_ops tb_backend_cpu_ops = {
    .name = "cpu",
    .init = cpu_init,
    .deal_stage = cpu_deal_stage,
    .network_step = cpu_network_step,
    .lu_factor = cpu_lu_factor,
    .lu_solve = cpu_lu_solve,
    .lu_free = cpu_lu_free,
    .gemm = cpu_gemm,
    .finalize = cpu_finalize,
    .device_memory = NULL, /* no device */
    .reads_values = 1,
};
