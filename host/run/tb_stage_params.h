/* The small parameter structs the model's stages take, built from the whole configuration in
 * one place: the model layer never sees tb_config (host/README.md). */
#ifndef TB_STAGE_PARAMS_H
#define TB_STAGE_PARAMS_H

#include "tb_assess.h"
#include "tb_config.h"
#include "tb_draws.h"
#include "tb_funding.h"
#include "tb_validate.h"

tb_draw_params tb_draw_params_of(const tb_config *cfg);
/* ranked: also the ranking and the sector index (outputs). */
tb_funding_params tb_funding_params_of(const tb_config *cfg, const tb_input_dims *D, int ranked);
tb_assess_params tb_assess_params_of(const tb_config *cfg);

#endif
