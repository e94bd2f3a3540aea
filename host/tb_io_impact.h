/* MODEL.md section 7 for every policy's deterministic run. Collective. */
#ifndef TB_IO_IMPACT_H
#define TB_IO_IMPACT_H

#include "backend.h"
#include "tb_h5.h"
#include "tb_input.h"
#include "tb_policy_sim.h"

/* Rank 0 factors I - A once on its backend and solves the final demands of all q policies as
 * one multi-column right-hand side; every rank gets each policy's GDP and jobs.
 * Writes /io/multipliers. phi: io.substitution. */
int tb_io_impacts(tb_h5 *in, tb_h5 *out, tb_backend *be, const tb_input_dims *D, double phi, tb_policy_result *res,
                  int q);

#endif
