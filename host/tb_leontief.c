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
  lapack_int info = LAPACKE_dgetrf(LAPACK_ROW_MAJOR, (lapack_int)S, (lapack_int)S, L->lu, (lapack_int)S, L->ipiv);
  if (info > 0)
    rc = TB_ERR(TB_ERR_INPUT, "%s: I - A is singular (zero pivot at sector %lld)", what, (long long)info - 1);
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

static int solve(const tb_leontief *L, char trans, int64_t nrhs, double *B) {
  lapack_int info = LAPACKE_dgetrs(LAPACK_ROW_MAJOR, trans, (lapack_int)L->S, (lapack_int)nrhs, L->lu,
                                   (lapack_int)L->S, L->ipiv, B, (lapack_int)nrhs);
  if (info) return TB_ERR(TB_ERR_INTERNAL, "LAPACKE_dgetrs: argument %d is invalid", (int)-info);
  return TB_OK;
}

int tb_leontief_multipliers(const tb_leontief *L, double *m) {
  for (int64_t i = 0; i < L->S; i++) m[i] = 1.0;
  return solve(L, 'T', 1, m); /* (I - A)^T m = 1  <=>  m = L^T 1, m_j = sum_i L_ij */
}

int tb_leontief_solve(const tb_leontief *L, int64_t nrhs, const double *F, double *X) {
  if (X != F) memcpy(X, F, sizeof(double) * (size_t)(L->S * nrhs));
  return solve(L, 'N', nrhs, X);
}

int tb_leontief_inverse(const tb_leontief *L, double *out) {
  memset(out, 0, sizeof(double) * (size_t)(L->S * L->S));
  for (int64_t i = 0; i < L->S; i++) out[i * L->S + i] = 1.0;
  return solve(L, 'N', L->S, out);
}
