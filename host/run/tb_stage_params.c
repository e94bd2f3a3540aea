#include "tb_stage_params.h"

tb_draw_params tb_draw_params_of(const tb_config *cfg) {
  return (tb_draw_params){(uint64_t)cfg->seed, cfg->sigma_p, cfg->sigma_r, cfg->sigma_e};
}

tb_funding_params tb_funding_params_of(const tb_config *cfg, const tb_input_dims *D, int ranked) {
  return (tb_funding_params){cfg->margin_of_safety, cfg->theta, cfg->budget, D->S, ranked};
}

tb_assess_params tb_assess_params_of(const tb_config *cfg) {
  return (tb_assess_params){cfg->w_gdp, cfg->w_jobs, cfg->w_balance, cfg->w_surplus, cfg->margin_of_safety};
}
