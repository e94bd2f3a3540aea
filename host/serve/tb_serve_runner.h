/* The runs' life outside the requests: one thread starts queued runs (local: at most [runs] max_running at
 * once, in queue order; Slurm: sbatch at once), watches the running ones (local: status and pid files of a
 * detached monitor, /proc; Slurm: status files and one sacct or squeue call per [runs] poll_interval for
 * all jobs), sends the cancels, and turns each end into a final state from tradebal's own exit code:
 *
 *   queued -> running -> done | failed | checkpointed | cancelled | lost;  queued -> cancelled
 *   checkpointed | cancelled | failed | lost --resume--> queued
 *
 * exit 0 done; 7 checkpointed (cancelled when the API asked); another code failed with the program's
 * one-line error; no status file and no process left: lost. A restart re-reads the store and carries on
 * from what the run folders and /proc say (tb_runner_open). */
#ifndef TB_SERVE_RUNNER_H
#define TB_SERVE_RUNNER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "tb_serve.h"
#include "tb_serve_store.h"

#define TB_RUNNER_SLURM_SEEN 64

struct tb_serve_jobs {
  tb_store *store;
  char runs_dir[4200];  /* STATE_DIR/runs: one folder per run (config.ini, log, pid, status) */
  char tmp_dir[4200];   /* STATE_DIR/tmp: submissions being checked */
  char tradebal[4096];  /* the program runs use */
  char jobs_dir[4096];  /* the Slurm scripts */
  int lock_fd;          /* flock of STATE_DIR/lock: one server per store */
  pthread_t thread;
  int thread_started, stop, kick;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  double last_poll;
  /* Slurm: how many polls in a row saw a job ended (or gone) without its status file */
  struct {
    int64_t id;
    int count;
  } gone[TB_RUNNER_SLURM_SEEN];
};

/* Create the state folders, lock the store against a second server, open it, reconcile runs a start was
 * under way for, and start the thread. */
int tb_runner_open(tb_srv *S);
void tb_runner_close(tb_srv *S);
/* Wake the thread (a run was submitted, cancelled or resumed). */
void tb_runner_kick(tb_srv *S);
/* STATE_DIR/runs/ID[/name] */
int tb_runner_path(const tb_srv *S, int64_t id, const char *name, char *out, size_t n);
/* Whether a state is final (not queued or running). */
int tb_runner_final(const char *state);
/* Replace the server's own paths in a text (data root, state folder, program) by relative or neutral names. */
void tb_runner_scrub(const tb_srv *S, int64_t id, char *text, size_t n);
/* The program's one-line error in a log after offset (the last "tradebal: error:" line, else the last
 * "error:" line, else the last line), scrubbed; "" when the log has nothing. */
void tb_runner_error_line(const tb_srv *S, int64_t id, const char *log, int64_t offset, char *out, size_t n);

/* A progress line of the program's stderr (host/core/tb_util.c tb_progress_update, tb_sweep_run.c, tb_announce):
 *   [deals] 84.00k/200.00k deals (42.0%), 41.02k deals/s, about 3 s       a bar (its own estimate of the rest)
 *   [sweep] group 0: scenario 3 (4 of 10) in 1.25 s, recommended t10      one scenario of a sweep
 *   [run] loading entities                                                a stage without numbers
 * Numbers a line does not give are -1. */
typedef struct {
  char stage[64]; /* deals, apply policy, generate, sweep, run */
  double done, total, percent;
  double left;    /* a bar: the program's estimate of the stage's rest when it printed the line; 0 when done */
  double each;    /* a sweep: the seconds of the scenario the line reports */
  char line[512];
} tb_runner_progress;

/* The latest progress line of text[0, len) (whole lines only: a line still being written is not read; a
 * [checkpoint] line is not progress): 1 and *p, or 0 when there is none. */
int tb_runner_progress_parse(const char *text, size_t len, tb_runner_progress *p);
/* The seconds left of p's stage: a bar's own estimate less the age of the line (seconds since the log was
 * written); a sweep's scenarios left at the pace since the attempt started (elapsed seconds, 0 when unknown,
 * then at the pace of the last scenario). -1 when the line gives no way to tell. */
double tb_runner_progress_eta(const tb_runner_progress *p, double age, double elapsed);
/* The progress of a running run from the last 16 KB of its log (this attempt's part only): 1 and *p with
 * *eta (tb_runner_progress_eta), or 0 when it has printed none (or is not running, or is a sharded sweep,
 * whose progress is in its shards' logs). */
int tb_runner_progress_of(const tb_srv *S, const tb_run *run, tb_runner_progress *p, double *eta);

#endif
