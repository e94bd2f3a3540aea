/* MODEL.md section 7 for every run. Collective. */
#ifndef TB_IO_IMPACT_H
#define TB_IO_IMPACT_H

#include "tb_backend.h"
#include "tb_h5.h"
#include "tb_validate.h"
#include "tb_leontief.h"
#include "tb_policy_sim.h"

/* The input-output model, read and factored once per job on rank 0 (other ranks hold sizes only). */
typedef struct {
  int64_t S;
  tb_leontief L;
  double *W, *share, *m; /* W column-major [2, S]: value added and employment per unit output */
} tb_io_model;

/* Rank 0 reads /io and factors I - A on its backend; multipliers m_j. */
int tb_io_model_load(tb_io_model *M, tb_h5 *in, tb_backend *be, const tb_input_dims *D);
void tb_io_model_free(tb_io_model *M);
/* GDP and jobs of q runs: their final demands solved as one multi-column right-hand side,
 * then (GDP, Jobs) = W X as one product; every rank gets them. phi: io.substitution. */
int tb_io_impacts(const tb_io_model *M, tb_backend *be, double phi, tb_policy_result *res, int q);
/* /io/multipliers. */
int tb_io_model_write(const tb_io_model *M, tb_h5 *out);

#endif
