/* Processes for the runs of tradebal serve: a detached monitor per local run, identity checks through
 * /proc (a pid is ours only while its start time is the one recorded at launch), status files, and short
 * commands (sbatch, squeue, scancel) run with their output captured. Everything is spawned with
 * posix_spawn, never a bare fork of the multithreaded server, and inherits no descriptor but 0, 1, 2. */
#ifndef TB_SERVE_PROC_H
#define TB_SERVE_PROC_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *cwd;        /* the data root: the run's relative paths are relative to it */
  const char *rundir;     /* absolute: the log, the pid file and the status file go there */
  const char *status;     /* the status file's name in rundir */
  const char *tradebal;   /* for the report */
  const char *output;     /* the run's output, for the report */
  const char *report_dir; /* "" or NULL: no report */
  char *const *argv;      /* the run's command; NULL: only the report */
  char *const *envp;
} tb_monitor_spec;

/* Start the monitor: /bin/sh in a new session (the server may die, the run goes on) that runs argv with
 * its output appended to rundir/log, writes the run's pid to rundir/pid, waits, makes the report when asked
 * and the run succeeded, and writes "exit N\nreport M\n" to the status file (tmp + rename). */
int tb_monitor_start(const tb_monitor_spec *m, int64_t *mon_pid);
/* Reap the monitor if it is our child and has ended (never blocks). */
void tb_proc_reap(int64_t pid);
/* Start time of a live process (/proc/PID/stat field 22); -1 when there is none or it is a zombie. */
int64_t tb_proc_start_time(int64_t pid);
/* 1 when pid is alive and still the process that started at `start` (< 0: it had ended when looked at). */
int tb_proc_alive(int64_t pid, int64_t start);
/* Send sig to pid if it is still that process; 0 when sent. */
int tb_proc_signal(int64_t pid, int64_t start, int sig);
/* A status file: *have = 0 when absent; else exit code and report code (-1: none). */
int tb_status_read(const char *path, int *have, int64_t *exit_code, int64_t *report_code);
/* The pid file rundir/pid: *pid = 0 when absent. */
int tb_pid_read(const char *path, int64_t *pid);
/* The environment plus extra "KEY=VALUE" entries (they replace same-named ones); free with free(). */
char **tb_env_with(char *const *extra, int nextra);
/* Run argv (PATH searched) in cwd with env, wait at most timeout seconds; stdout into out (NUL-terminated,
 * truncated to n), stderr into err. *status: the exit code, 128 + N when killed by signal N, -1 when it
 * could not start (err says why). */
int tb_proc_capture(char *const *argv, char *const *envp, const char *cwd, double timeout, char *out, size_t n,
                    char *err, size_t nerr, int *status);

#endif
