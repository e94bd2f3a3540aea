/* The solver of MODEL.md sections 2-8 over one job under one configuration: deal pass 1,
 * funding and the policy markets, deal pass 2, the network stage, the policy table. */
#ifndef TB_PIPELINE_H
#define TB_PIPELINE_H

#include "tb_config.h"
#include "tb_h5.h"
#include "tb_job.h"
#include "tb_run_stats.h"

typedef struct tb_run_result tb_run_result;
/* Sections 2-8 under cfg. With out, writes every dataset of a run (the root attributes
 * aside); without, computes only. *R is the caller's to free. Collective. */
int tb_job_solve(tb_job *J, const tb_config *cfg, tb_h5 *out, tb_run_stats *S, int loud, tb_run_result **R);
/* The run's /policies/metrics rows, [Q * TB_POLICY_NCOL], and its recommended policy. */
void tb_run_result_metrics(const tb_run_result *R, double *rows, int *best);
void tb_run_result_print(const tb_run_result *R);
void tb_run_result_free(tb_run_result *R);

#endif
