#ifndef TB_RUN_H
#define TB_RUN_H
#include "tb_config.h"
/* `tradebal run` without a [sweep]: validate, evaluate every deal, fund, run the policies,
 * write the output (MODEL.md section 11). Collective. */
int tb_run(const tb_config *cfg);
#endif
