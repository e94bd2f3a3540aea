/* `tradebal run` without a [sweep]. */
#ifndef TB_RUN_H
#define TB_RUN_H
#include "tb_config.h"
/* One run of a checked config whose output path is checked (the command does both, tb_main.c):
 * validate, evaluate every deal, fund, run the policies, write the output (MODEL.md section 11),
 * print the summary. Collective. */
int tb_run(const tb_config *cfg);
#endif
