#include "tb_leontief.h"

#include "tb_error.h"

#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

int tb_leontief_factor(tb_leontief *L, int64_t S, const double *A, const char *what) {
  int rc = TB_OK;
  memset(L, 0, sizeof *L);
  if (S > 100000) return TB_ERR(TB_ERR_INPUT, "%s: %lld sectors: at most 100000", what, (long long)S);
  for (int64_t j = 0; j < S; j++) { /* every column sum < 1 (MODEL.md section 1) */
    double c = 0.0;
    for (int64_t i = 0; i < S; i++) c += A[i * S + j];
    if (!(c < 1.0))
      return TB_ERR(TB_ERR_INPUT, "%s: column %lld sums to %.17g, breaks rule: every column sum < 1", what,
                    (long long)j, c);
  }
  L->S = S;
  TB_ALLOC(L->lu, S * S);
  TB_ALLOC(L->ipiv, S);
  for (int64_t i = 0; i < S * S; i++) L->lu[i] = -A[i];
  for (int64_t i = 0; i < S; i++) L->lu[i * S + i] += 1.0;
  /* The row-major I - A read column-major is (I - A)^T: factoring that needs no transposed
   * copies (LAPACKE's row-major path makes two), and solves with I - A use trans = 'T'. */
  lapack_int info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, (lapack_int)S, (lapack_int)S, L->lu, (lapack_int)S, L->ipiv);
  if (info > 0)
    rc = TB_ERR(TB_ERR_INPUT, "%s: I - A is singular (zero pivot at step %lld of the LU)", what, (long long)info - 1);
  else if (info < 0)
    rc = TB_ERR(TB_ERR_INTERNAL, "LAPACKE_dgetrf: argument %d is invalid", (int)-info);
done:
  if (rc) tb_leontief_free(L);
  return rc;
}

void tb_leontief_free(tb_leontief *L) {
  free(L->lu), free(L->ipiv);
  memset(L, 0, sizeof *L);
}

/* Column-major solve with the factors of (I - A)^T: trans 'N' solves (I - A)^T y = b, 'T' solves (I - A) x = b.
 * B is column-major [S, nrhs]. */
static int solve(const tb_leontief *L, char trans, int64_t nrhs, double *B) {
  lapack_int info = LAPACKE_dgetrs(LAPACK_COL_MAJOR, trans, (lapack_int)L->S, (lapack_int)nrhs, L->lu,
                                   (lapack_int)L->S, L->ipiv, B, (lapack_int)L->S);
  if (info) return TB_ERR(TB_ERR_INTERNAL, "LAPACKE_dgetrs: argument %d is invalid", (int)-info);
  return TB_OK;
}

int tb_leontief_multipliers(const tb_leontief *L, double *m) {
  for (int64_t i = 0; i < L->S; i++) m[i] = 1.0;
  return solve(L, 'N', 1, m); /* (I - A)^T m = 1  <=>  m = L^T 1, m_j = sum_i L_ij */
}

int tb_leontief_solve(const tb_leontief *L, int64_t nrhs, const double *F, double *X) {
  int rc = TB_OK;
  const int64_t S = L->S;
  double *B = NULL; /* F row-major [S, nrhs] -> column-major */
  TB_ALLOC(B, S * nrhs);
  for (int64_t i = 0; i < S; i++)
    for (int64_t k = 0; k < nrhs; k++) B[k * S + i] = F[i * nrhs + k];
  TB_GUARD(solve(L, 'T', nrhs, B));
  for (int64_t i = 0; i < S; i++)
    for (int64_t k = 0; k < nrhs; k++) X[i * nrhs + k] = B[k * S + i];
done:
  free(B);
  return rc;
}

int tb_leontief_inverse(const tb_leontief *L, double *out) {
  /* (I - A)^T Y = I gives Y = L^T column-major, which is L row-major */
  memset(out, 0, sizeof(double) * (size_t)(L->S * L->S));
  for (int64_t i = 0; i < L->S; i++) out[i * L->S + i] = 1.0;
  return solve(L, 'N', L->S, out);
}
