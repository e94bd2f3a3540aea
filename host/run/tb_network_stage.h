/* MODEL.md section 6 for every policy: direct values summed by entity, then the spillover
 * iteration; the recommended policy's entity values written. */
#ifndef TB_NETWORK_STAGE_H
#define TB_NETWORK_STAGE_H

#include "tb_config.h"
#include "tb_h5.h"
#include "tb_job.h"
#include "tb_run_state.h"
#include "tb_run_stats.h"

/* Collective; out may be NULL. */
int tb_network_stage(tb_job *J, tb_h5 *out, const tb_config *cfg, tb_run_result *M, tb_run_stats *S);
/* The recommended policy's network multiplier and any policy that did not converge (rank 0). */
void tb_network_stage_print(const tb_run_result *M);

#endif
