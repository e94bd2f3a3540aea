/* MODEL.md section 7 on the CPU: L = (I - A)^-1 through an LU factorisation with partial
 * pivoting (LAPACKE dgetrf), never an explicit inverse unless L itself is wanted. */
#ifndef TB_LEONTIEF_H
#define TB_LEONTIEF_H

#include <stdint.h>

typedef struct {
  int64_t S;
  double *lu; /* [S*S] row-major LU of I - A */
  int *ipiv;  /* [S] */
} tb_leontief;

/* Factor I - A (A row-major [S,S], A[i][j] = input of i per unit output of j). Rejects a
 * column sum >= 1 and a singular I - A; `what` names the source in messages. */
int tb_leontief_factor(tb_leontief *L, int64_t S, const double *A, const char *what);
void tb_leontief_free(tb_leontief *L);
/* Output multipliers m_j = sum_i L_ij: one transposed solve with a right-hand side of ones. */
int tb_leontief_multipliers(const tb_leontief *L, double *m);
/* X = L F for nrhs right-hand sides at once; F and X row-major [S, nrhs] (may alias). */
int tb_leontief_solve(const tb_leontief *L, int64_t nrhs, const double *F, double *X);
/* L itself, row-major [S,S] (for outputs and checks). */
int tb_leontief_inverse(const tb_leontief *L, double *out);

#endif
