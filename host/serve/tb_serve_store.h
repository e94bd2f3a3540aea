/* The job store of tradebal serve: one SQLite row per run or sweep (WAL, so readers never wait for the
 * writer and a killed server loses nothing it had committed). Every column is listed once, in
 * TB_RUN_COLUMNS, which drives the table, the struct and the statements. Thread-safe: one connection
 * behind a mutex; a change is a read-modify-write under that mutex (tb_store_modify), so a handler and the
 * runner thread never overwrite each other's fields. */
#ifndef TB_SERVE_STORE_H
#define TB_SERVE_STORE_H

#include <stdint.h>

/* X(name, kind, size): T text (char[size]), I integer (int64_t), D real (double). */
#define TB_RUN_COLUMNS(X)                                                                                    \
  X(kind, T, 8)            /* run | sweep */                                                                 \
  X(state, T, 16)          /* tb_run_state_names */                                                          \
  X(executor, T, 8)        /* local | slurm */                                                               \
  X(input, T, 1100)        /* data-root-relative paths */                                                    \
  X(output, T, 1100)                                                                                         \
  X(report_dir, T, 1100)   /* "" when no report was asked for */                                             \
  X(sets, T, 16384)        /* the run's --set overrides as a JSON object (paths data-root-relative) */      \
  X(ranks, I, 0)                                                                                             \
  X(threads, I, 0)                                                                                           \
  X(shards, I, 0)                                                                                            \
  X(overwrite, I, 0)                                                                                         \
  X(attempts, I, 0)        /* starts so far */                                                               \
  X(epoch, I, 0)           /* bumped by a resume: what the runner decided about an earlier row is stale */  \
  X(launching, I, 0)       /* 1 while a start is under way (a restart then looks for what it started) */    \
  X(phase, I, 0)           /* 0 the run; 1 its report, made locally after a Slurm run */                     \
  X(resume, I, 0)          /* the next start continues from the checkpoint (--resume auto) */               \
  X(cancel, I, 0)          /* 0 none, 1 asked through the API, 2 signal sent */                              \
  X(mon_pid, I, 0)         /* local: the monitor shell and its start time (/proc/PID/stat field 22) */      \
  X(mon_start, I, 0)                                                                                         \
  X(pid, I, 0)             /* local: the run (tradebal or mpiexec) and its start time */                     \
  X(pid_start, I, 0)                                                                                         \
  X(log_offset, I, 0)      /* size of the log when this attempt started: its error line is after it */      \
  X(slurm_job, T, 32)      /* the job (a sharded sweep: its merge job) */                                   \
  X(slurm_array, T, 32)    /* a sharded sweep's array job */                                                 \
  X(slurm_state, T, 32)    /* Slurm's own state name, as last polled */                                      \
  X(exit_code, I, 0)       /* tradebal's exit code (128 + N: killed by signal N); -1 unknown */             \
  X(message, T, 1024)      /* why it failed, was lost or cancelled; never a server path */                  \
  X(created, D, 0)         /* wall-clock seconds; 0 when not yet */                                          \
  X(queued, D, 0)          /* when it (re)entered the queue: the local queue starts runs in this order */  \
  X(started, D, 0)                                                                                           \
  X(finished, D, 0)                                                                                          \
  X(changed, D, 0)         /* the last change of state (long polls compare it with their arrival) */

#define TB_COL_T(name, size) char name[size];
#define TB_COL_I(name, size) int64_t name;
#define TB_COL_D(name, size) double name;
#define TB_COL_FIELD(name, kind, size) TB_COL_##kind(name, size)

typedef struct {
  int64_t id;
  TB_RUN_COLUMNS(TB_COL_FIELD)
} tb_run;

typedef struct tb_store tb_store;

/* Open or create the store at path (WAL, busy timeout, synchronous writes). */
int tb_store_open(tb_store **out, const char *path);
void tb_store_close(tb_store *st);
/* Insert run (its id is set); then, inside the same transaction, commit_fn(arg, run) may complete the row
 * from its id (written back) or fail, and then the row is not kept. */
int tb_store_insert(tb_store *st, tb_run *run, int (*commit_fn)(void *arg, tb_run *run), void *arg);
/* Read one run; *found = 0 when there is no such id. */
int tb_store_get(tb_store *st, int64_t id, tb_run *run, int *found);
/* Read, change with fn (return 1 to write the row back, 0 to leave it, -1 for an error) and write, under the
 * store's lock: fn must be quick (no processes). */
int tb_store_modify(tb_store *st, int64_t id, int (*fn)(tb_run *run, void *arg), void *arg, int *found);
/* Runs newest first, optionally of one state and kind, with ids below `before` (0: any); at most limit.
 * *runs is malloc'd. */
int tb_store_list(tb_store *st, const char *state, const char *kind, int64_t before, int limit, tb_run **runs,
                  int *n);
/* The unfinished runs (queued, running), in queue order. *runs is malloc'd. */
int tb_store_active(tb_store *st, tb_run **runs, int *n);
/* Rows per state: counts[i] for names[i]. */
int tb_store_count(tb_store *st, const char *const *names, int nnames, int64_t *counts);

#endif
