/* Between the two deal passes: funding (MODEL.md section 4), every policy's market (section 5)
 * deterministic and in every draw, the input-output impacts (section 7) and the assessment
 * (section 8). */
#ifndef TB_MARKET_STAGE_H
#define TB_MARKET_STAGE_H

#include "tb_config.h"
#include "tb_h5.h"
#include "tb_job.h"
#include "tb_run_state.h"
#include "tb_run_stats.h"

/* Collective; out may be NULL (a sweep's scenario). */
int tb_market_stage(tb_job *J, tb_h5 *out, const tb_config *cfg, tb_run_result *M, tb_run_stats *S, int loud);

#endif
