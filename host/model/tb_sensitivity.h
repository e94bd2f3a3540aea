/* MODEL.md section 9: the sensitivity of every metric to every swept parameter. */
#ifndef TB_SENSITIVITY_H
#define TB_SENSITIVITY_H

#include <stdint.h>

/* Sensitivity of C metrics (m [n, C] row-major) to J parameters (x [n, J]): [J, C] each.
 * NaN where undefined: a constant parameter or metric, too few scenarios for the
 * regression, or (elasticity) no neighbour on both sides of the centre or a zero centre. */
typedef struct {
  int J, C;
  double *spearman, *src, *elasticity; /* elasticity: oat sweeps only, else NULL */
  double *r2;                          /* [C] the regression's coefficient of determination */
} tb_sensitivity;

int tb_sensitivity_compute(int64_t n, int J, const double *x, int C, const double *m, int oat, tb_sensitivity *out);
void tb_sensitivity_free(tb_sensitivity *s);

/* Spearman's rank correlation (ties get their average rank); NaN if either side is constant. */
double tb_spearman(int64_t n, const double *x, int64_t sx, const double *y, int64_t sy);

#endif
