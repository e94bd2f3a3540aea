/* `tradebal run` without a sweep: one job, solved once, every dataset written (MODEL.md
 * section 11), the summary printed. */
#include "tb_run.h"

#include "tb_comm.h"
#include "tb_error.h"
#include "tb_job.h"
#include "tb_output.h"
#include "tb_pipeline.h"
#include "tb_run_state.h"
#include "tb_run_stats.h"
#include "tb_schema.h"
#include "tb_util.h"

#include <stdio.h>
#include <string.h>

static int write_root_attrs(tb_h5 *o, const tb_config *cfg, const char *backend, const char *sha) {
  static char text[TB_CONFIG_TEXT_MAX];
  TB_CALL(tb_config_dump(cfg, text, sizeof text));
  return tb_write_root_attrs_text(o, text, backend, sha, tb_comm_size());
}

/* A single run: every dataset of MODEL.md section 11 (tb_main.c sends a sweep to tb_sweep_run). */
int tb_run(const tb_config *cfg) {
  int rc = TB_OK, have_out = 0;
  tb_run_stats S;
  memset(&S, 0, sizeof S);
  const double t_start = tb_now();
  tb_h5 out = {.id = -1}, none = {.id = -1};
  tb_input_dims D;
  tb_job J;
  tb_ckpt ck;
  memset(&J, 0, sizeof J), memset(&ck, 0, sizeof ck);
  J.in.id = -1;
  char tmp[TB_PATH_MAX + 64], sha[65] = {0};
  tb_run_result *R = NULL;

  tb_ckpt_params cp;
  const int loud = tb_loud_stages(cfg);
  TB_CALL(tb_run_stats_watch());
  rc = tb_job_check_input(cfg, &D, sha, &S, loud);
  if (rc) {
    tb_run_stats_unwatch(&S);
    return rc;
  }
  TB_GUARD(tb_run_ckpt_params(cfg, &cp));
  TB_GUARD(tb_ckpt_open(&cp, sha, &ck));
  TB_GUARD(tb_job_load(&J, cfg, &D, 0, &S, loud));
  J.ck = &ck;
  TB_GUARD(tb_output_tmpname(cfg->output_file, tmp, sizeof tmp));
  TB_GUARD(tb_comm_agree(tb_h5_create(&out, tmp)));
  out.schema = TB_FILE_RUN;
  have_out = 1;
  TB_GUARD(tb_comm_agree(tb_deal_outputs_create(&out, &D)));
  TB_GUARD(tb_job_solve(&J, cfg, &out, &S, loud, &R));
  TB_GUARD(tb_comm_agree(write_root_attrs(&out, cfg, tb_backend_name(&J.be), sha)));
done:
  tb_run_stats_phase(TB_PH_OUTPUT);
  rc = tb_output_finish(&out, &none, tmp, cfg->output_file, have_out, rc);
  tb_run_stats_unwatch(&S);
  const char *backend_name = tb_backend_name(&J.be);
  char backend[32];
  snprintf(backend, sizeof backend, "%s", backend_name);
  tb_job_close(&J);
  tb_ckpt_free(&ck);
  if (!rc) rc = tb_ckpt_remove(&ck); /* the output holds everything now */
  if (rc) {
    tb_run_result_free(R);
    return rc;
  }
  S.t[TB_ST_TOTAL] = tb_now() - t_start;
  TB_CALL(tb_run_stats_reduce(&S));
  if (tb_comm_rank() == 0) tb_run_stats_print(&S, &D, cfg, backend);
  tb_run_result_print(R);
  tb_run_result_free(R);
  return TB_OK;
}
