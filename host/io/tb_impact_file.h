/* The input-output table of MODEL.md section 7 in files: /io read and factored, /io/multipliers written. */
#ifndef TB_IMPACT_FILE_H
#define TB_IMPACT_FILE_H

#include "tb_backend.h"
#include "tb_h5.h"
#include "tb_impact.h"
#include "tb_validate.h"

/* Rank 0 reads /io and factors I - A on its backend (tb_impact_model_factor); other ranks hold
 * sizes only. Collective. */
int tb_impact_model_read(tb_impact_model *M, tb_h5 *in, tb_backend *be, const tb_input_dims *D);
/* /io/multipliers: the output multipliers m_j. */
int tb_impact_model_write(const tb_impact_model *M, tb_h5 *out);

#endif
