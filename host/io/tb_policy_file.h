/* Writing the section 4-5 results: funding, every policy's regions and outcomes, the
 * policy table, and the recommended policy's root datasets. Collective. */
#ifndef TB_POLICY_FILE_H
#define TB_POLICY_FILE_H

#include "tb_assess.h"
#include "tb_funding.h"
#include "tb_h5.h"
#include "tb_validate.h"
#include "tb_policy_sim.h"

/* The columns of /policies/metrics, and one policy's row of it. */
#define TB_POLICY_NCOL 15
extern const char *const TB_POLICY_COLUMNS[TB_POLICY_NCOL];
void tb_policy_metrics_row(const tb_policy_result *r, const tb_assessment *A, int p, double *row);

int tb_write_funding(tb_h5 *o, const tb_input_dims *D, const tb_deal_table *T, const tb_funding *F);
/* Under `prefix` ("" for the root, "/policies/NAME" otherwise). */
int tb_write_policy(tb_h5 *o, const tb_input_dims *D, const char *prefix, const tb_policy_result *r,
                    int64_t d0, int64_t n);
/* /policies/names, /policies/metrics (the deterministic runs and section 8's assessment) and,
 * with draws, /policies/draw_levels [K, Q]; seed: assessment.seed, an attribute. */
int tb_write_policy_table(tb_h5 *o, int64_t seed, const tb_policy_result *r, int q, const tb_assessment *A);
/* One line per policy on stdout (rank 0), and the sigma_rep warning. */
void tb_print_policies(const tb_policy_result *r, int q, const tb_assessment *A);

#endif
