/* `tradebal run` with a [sweep] (MODEL.md section 9). */
#ifndef TB_SWEEP_RUN_H
#define TB_SWEEP_RUN_H
#include "tb_config.h"
/* Every scenario of a checked config whose output path is checked (the command does both, tb_main.c),
 * solved on its rank group, then /scenarios and /sensitivity. Collective. */
int tb_sweep_run(const tb_config *cfg);
#endif
