/* MODEL.md section 7: L = (I - A)^-1 through an LU factorisation with partial pivoting, done
 * by the backend (LAPACKE on the CPU, cuSOLVER on a GPU); never an explicit inverse unless L
 * itself is wanted. */
#ifndef TB_LEONTIEF_H
#define TB_LEONTIEF_H

#include "tb_backend.h"

#include <stdint.h>

typedef struct {
  int64_t S;
  tb_backend *be;
  double *m; /* [S*S] I - A row-major, which read column-major is (I - A)^T; the backend's to factor */
  void *lu;  /* the backend's factors of (I - A)^T */
} tb_leontief;

/* Factor I - A (A row-major [S,S], A[i][j] = input of i per unit output of j). Rejects a
 * column sum >= 1 and a singular I - A; `what` names the source in messages. */
int tb_leontief_factor(tb_leontief *L, tb_backend *be, int64_t S, const double *A, const char *what);
void tb_leontief_free(tb_leontief *L);
/* Output multipliers m_j = sum_i L_ij: one transposed solve with a right-hand side of ones. */
int tb_leontief_output_multipliers(const tb_leontief *L, double *m);
/* X = L F in place for nrhs right-hand sides at once; B column-major [S, nrhs]. */
int tb_leontief_solve(const tb_leontief *L, int64_t nrhs, double *B);
/* L itself, row-major [S,S] (for outputs and checks). */
int tb_leontief_inverse(const tb_leontief *L, double *out);

#endif
