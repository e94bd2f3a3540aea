/* Runs and sweeps of tradebal serve: the SQLite job store (WAL), the executors (local processes, Slurm
 * through sbatch/sacct with one poller), and the endpoints that submit, follow, cancel, resume, summarise,
 * list the files of and compare runs. */
#ifndef TB_SERVE_JOBS_H
#define TB_SERVE_JOBS_H

#include "tb_serve.h"

#define TB_RUN_STATES 7
extern const char *const tb_run_state_names[TB_RUN_STATES]; /* the run states of docs/api.md */

/* Open (or create) the store under cfg.state_dir, reconcile every unfinished run with what really happened
 * while no server watched it, and start the monitor thread. */
int tb_jobs_start(tb_srv *S);
void tb_jobs_stop(tb_srv *S);
/* Runs per state (tb_run_state_names order) for /metrics. */
int tb_jobs_count_by_state(tb_srv *S, int64_t counts[TB_RUN_STATES]);

int tb_h_runs_submit(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_runs_list(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_run_get(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_run_cancel(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_run_resume(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_run_log(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_run_summary(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_run_files(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_run_file(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_run_diff(tb_srv *S, const tb_req *q, tb_resp *r);

#endif
