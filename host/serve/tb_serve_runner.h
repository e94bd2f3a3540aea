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

#endif
