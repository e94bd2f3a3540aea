#include "tb_leontief.h"

#include "tb_error.h"

#include <stdlib.h>
#include <string.h>

/* M = I - A (row-major), checking every column sum < 1 (MODEL.md section 1) on the way. The
 * sums run row by row, so A is read once in memory order; each sum still adds i = 0, 1, ... */
static int build_i_minus_a(int64_t S, const double *A, double *M, double *colsum, const char *what) {
  memset(colsum, 0, sizeof(double) * (size_t)S);
  for (int64_t i = 0; i < S; i++) {
    const double *a = A + i * S;
    double *m = M + i * S;
    for (int64_t j = 0; j < S; j++) colsum[j] += a[j], m[j] = -a[j];
    m[i] += 1.0;
  }
  for (int64_t j = 0; j < S; j++)
    if (!(colsum[j] < 1.0))
      return TB_ERR(TB_ERR_INPUT, "%s: column %lld sums to %.17g, breaks rule: every column sum < 1", what,
                    (long long)j, colsum[j]);
  return TB_OK;
}

int tb_leontief_factor(tb_leontief *L, tb_backend *be, int64_t S, const double *A, const char *what) {
  int rc = TB_OK;
  double *colsum = NULL;
  int64_t zero_pivot = -1;
  memset(L, 0, sizeof *L);
  if (S > 100000) return TB_ERR(TB_ERR_INPUT, "%s: %lld sectors: at most 100000", what, (long long)S);
  L->S = S, L->be = be;
  TB_ALLOC(L->m, S * S);
  TB_ALLOC(colsum, S);
  TB_GUARD(build_i_minus_a(S, A, L->m, colsum, what));
  /* Factoring the column-major view (I - A)^T needs no transposed copies (LAPACKE's row-major
   * path makes two); solves with I - A itself use the transposed solve. */
  TB_GUARD(tb_backend_lu_factor(be, S, L->m, &L->lu, &zero_pivot));
  if (zero_pivot >= 0)
    rc = TB_ERR(TB_ERR_INPUT, "%s: I - A is singular (zero pivot at step %lld of the LU)", what, (long long)zero_pivot);
done:
  free(colsum);
  if (rc) tb_leontief_free(L);
  return rc;
}

void tb_leontief_free(tb_leontief *L) {
  if (L->lu) tb_backend_lu_free(L->be, L->lu);
  free(L->m);
  memset(L, 0, sizeof *L);
}

int tb_leontief_output_multipliers(const tb_leontief *L, double *m) {
  for (int64_t i = 0; i < L->S; i++) m[i] = 1.0;
  return tb_backend_lu_solve(L->be, L->lu, 0, 1, m); /* (I - A)^T m = 1  <=>  m = L^T 1, m_j = sum_i L_ij */
}

int tb_leontief_solve(const tb_leontief *L, int64_t nrhs, double *B) {
  return tb_backend_lu_solve(L->be, L->lu, 1, nrhs, B); /* (I - A) X = B */
}

int tb_leontief_inverse(const tb_leontief *L, double *out) {
  /* (I - A)^T Y = I gives Y = L^T column-major, which is L row-major */
  memset(out, 0, sizeof(double) * (size_t)(L->S * L->S));
  for (int64_t i = 0; i < L->S; i++) out[i * L->S + i] = 1.0;
  return tb_backend_lu_solve(L->be, L->lu, 0, L->S, out);
}
