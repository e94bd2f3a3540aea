/* STUB: replaced by the runs implementation. */
#include "tb_serve_jobs.h"
#include "tb_serve_json.h"

const char *const tb_run_state_names[TB_RUN_STATES] = {"queued", "running", "done", "failed", "checkpointed",
                                                       "cancelled", "lost"};
int tb_jobs_start(tb_srv *S) { (void)S; return 0; }
void tb_jobs_stop(tb_srv *S) { (void)S; }
int tb_jobs_count_by_state(tb_srv *S, int64_t counts[TB_RUN_STATES]) { (void)S, (void)counts; return -1; }
static int todo(tb_srv *S, const tb_req *q, tb_resp *r) { (void)S, (void)q; return tb_resp_problem(r, 501, "todo", "not yet"); }
int tb_h_runs_submit(tb_srv *S, const tb_req *q, tb_resp *r) { return todo(S, q, r); }
int tb_h_runs_list(tb_srv *S, const tb_req *q, tb_resp *r) { return todo(S, q, r); }
int tb_h_run_get(tb_srv *S, const tb_req *q, tb_resp *r) { return todo(S, q, r); }
int tb_h_run_cancel(tb_srv *S, const tb_req *q, tb_resp *r) { return todo(S, q, r); }
int tb_h_run_resume(tb_srv *S, const tb_req *q, tb_resp *r) { return todo(S, q, r); }
int tb_h_run_log(tb_srv *S, const tb_req *q, tb_resp *r) { return todo(S, q, r); }
int tb_h_run_summary(tb_srv *S, const tb_req *q, tb_resp *r) { return todo(S, q, r); }
int tb_h_run_files(tb_srv *S, const tb_req *q, tb_resp *r) { return todo(S, q, r); }
int tb_h_run_file(tb_srv *S, const tb_req *q, tb_resp *r) { return todo(S, q, r); }
int tb_h_run_diff(tb_srv *S, const tb_req *q, tb_resp *r) { return todo(S, q, r); }
