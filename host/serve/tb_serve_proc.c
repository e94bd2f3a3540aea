/* Processes of the runs (see tb_serve_proc.h). */
#define _GNU_SOURCE
#include "tb_serve_proc.h"
#include "tb_error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The monitor, a POSIX shell script: $1 run folder, $2 status file name, $3 report folder ('' none),
 * $4 tradebal, $5 output, then the run's command (none: only the report). The run is started in the
 * background so the pid file can name it (the API signals it to cancel); `wait` gives its exit code, or
 * 128 + N when a signal N killed it. */
static const char *MONITOR =
    "d=$1 st=$2 rep=$3 tb=$4 out=$5; shift 5\n"
    "rc=0\n"
    "if [ $# -gt 0 ]; then\n"
    "  \"$@\" </dev/null >>\"$d/log\" 2>&1 &\n"
    "  echo $! >\"$d/pid.tmp\" && mv -f \"$d/pid.tmp\" \"$d/pid\"\n"
    "  wait $!; rc=$?\n"
    "fi\n"
    "rrc=-1\n"
    "if [ $rc -eq 0 ] && [ -n \"$rep\" ]; then\n"
    "  echo \"# tradebal serve: report into $rep\" >>\"$d/log\"\n"
    "  \"$tb\" report \"$out\" -o \"$rep\" --overwrite </dev/null >>\"$d/log\" 2>&1; rrc=$?\n"
    "fi\n"
    "printf 'exit %d\\nreport %d\\n' $rc $rrc >\"$d/$st.tmp\" && mv -f \"$d/$st.tmp\" \"$d/$st\"\n";

static int spawn_err(int e, const char *what) {
  return TB_ERR(TB_ERR_INTERNAL, "cannot start %s: %s", what, strerror(e));
}

int tb_monitor_start(const tb_monitor_spec *m, int64_t *mon_pid) {
  int nargs = 0;
  while (m->argv && m->argv[nargs]) nargs++;
  const char **argv = calloc((size_t)nargs + 10, sizeof *argv);
  if (!argv) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  int k = 0;
  argv[k++] = "/bin/sh", argv[k++] = "-c", argv[k++] = MONITOR, argv[k++] = "tradebal-serve-monitor";
  argv[k++] = m->rundir, argv[k++] = m->status, argv[k++] = m->report_dir ? m->report_dir : "";
  argv[k++] = m->tradebal, argv[k++] = m->output;
  for (int i = 0; i < nargs; i++) argv[k++] = m->argv[i];
  argv[k] = NULL;
  char log[4200];
  snprintf(log, sizeof log, "%s/log", m->rundir);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  int e = posix_spawn_file_actions_init(&fa);
  if (!e) e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (!e) e = posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (!e) e = posix_spawn_file_actions_adddup2(&fa, 1, 2);
  if (!e) e = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  if (!e) e = posix_spawn_file_actions_addchdir_np(&fa, m->cwd);
  int ea = posix_spawnattr_init(&at);
  /* its own session: a signal to the server's process group (Ctrl-C, a test's killpg) spares the runs;
   * default signal dispositions and an empty mask, whatever the server's threads block */
  sigset_t none, all;
  sigemptyset(&none), sigfillset(&all);
  if (!ea) ea = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (!ea) ea = posix_spawnattr_setsigmask(&at, &none);
  if (!ea) ea = posix_spawnattr_setsigdefault(&at, &all);
  pid_t pid = 0;
  if (!e && !ea) e = posix_spawn(&pid, "/bin/sh", &fa, &at, (char *const *)argv, m->envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  free(argv);
  if (e || ea) return spawn_err(e ? e : ea, "the run's monitor (/bin/sh)");
  *mon_pid = pid;
  return TB_OK;
}

void tb_proc_reap(int64_t pid) {
  if (pid > 0) (void)waitpid((pid_t)pid, NULL, WNOHANG);
}

int64_t tb_proc_start_time(int64_t pid) {
  char path[64], buf[1024];
  if (pid <= 0) return -1;
  snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
  if (!p || p[1] != ' ') return -1;
  char state = p[2];
  if (state == 'Z' || state == 'X') return -1;
  p += 2; /* field 3 (state) starts here; the start time is field 22 */
  for (int field = 3; field < 22 && p; field++) p = strchr(p, ' '), p = p ? p + 1 : NULL;
  return p ? strtoll(p, NULL, 10) : -1;
}

int tb_proc_alive(int64_t pid, int64_t start) {
  if (pid <= 0 || start < 0) return 0; /* a start time we never saw: it had ended before we looked */
  return tb_proc_start_time(pid) == start;
}

int tb_proc_signal(int64_t pid, int64_t start, int sig) {
  if (!tb_proc_alive(pid, start)) return -1;
  return kill((pid_t)pid, sig) == 0 ? 0 : -1;
}

int tb_status_read(const char *path, int *have, int64_t *exit_code, int64_t *report_code) {
  *have = 0, *exit_code = -1, *report_code = -1;
  FILE *f = fopen(path, "re");
  if (!f) return errno == ENOENT ? TB_OK : TB_ERR(TB_ERR_INTERNAL, "cannot read a status file: %s", strerror(errno));
  char key[32];
  long long v;
  while (fscanf(f, "%31s %lld", key, &v) == 2) {
    if (!strcmp(key, "exit")) *exit_code = v, *have = 1;
    else if (!strcmp(key, "report")) *report_code = v;
  }
  fclose(f);
  return TB_OK;
}

int tb_pid_read(const char *path, int64_t *pid) {
  *pid = 0;
  FILE *f = fopen(path, "re");
  if (!f) return errno == ENOENT ? TB_OK : TB_ERR(TB_ERR_INTERNAL, "cannot read a pid file: %s", strerror(errno));
  long long v = 0;
  if (fscanf(f, "%lld", &v) == 1 && v > 0) *pid = v;
  fclose(f);
  return TB_OK;
}

char **tb_env_with(char *const *extra, int nextra) {
  int n = 0;
  while (environ[n]) n++;
  char **env = calloc((size_t)(n + nextra + 1), sizeof *env);
  if (!env) return NULL;
  int k = 0;
  for (int i = 0; i < n; i++) {
    int replaced = 0;
    for (int j = 0; j < nextra && !replaced; j++) {
      size_t l = strcspn(extra[j], "=");
      replaced = !strncmp(environ[i], extra[j], l) && environ[i][l] == '=';
    }
    if (!replaced) env[k++] = environ[i];
  }
  for (int j = 0; j < nextra; j++) env[k++] = extra[j];
  return env;
}

static void drain(int fd, char *buf, size_t cap, size_t *len, int *open_) {
  char tmp[4096];
  ssize_t r = read(fd, tmp, sizeof tmp);
  if (r <= 0) {
    if (r == 0 || (errno != EINTR && errno != EAGAIN)) *open_ = 0;
    return;
  }
  size_t take = (size_t)r;
  if (*len + take + 1 > cap) take = cap > *len + 1 ? cap - *len - 1 : 0;
  memcpy(buf + *len, tmp, take);
  *len += take;
  buf[*len] = 0;
}

static int start_captured(char *const *argv, char *const *envp, const char *cwd, int po[2], int pe[2], pid_t *pid) {
  posix_spawn_file_actions_t fa;
  int e = posix_spawn_file_actions_init(&fa);
  if (!e) e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (!e) e = posix_spawn_file_actions_adddup2(&fa, po[1], 1);
  if (!e) e = posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
  if (!e) e = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  if (!e && cwd) e = posix_spawn_file_actions_addchdir_np(&fa, cwd);
  if (!e) e = posix_spawnp(pid, argv[0], &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  return e;
}

int tb_proc_capture(char *const *argv, char *const *envp, const char *cwd, double timeout, char *out, size_t n,
                    char *err, size_t nerr, int *status) {
  int po[2], pe[2];
  size_t lo = 0, le = 0;
  out[0] = err[0] = 0, *status = -1;
  if (pipe2(po, O_CLOEXEC)) return TB_ERR(TB_ERR_INTERNAL, "pipe: %s", strerror(errno));
  if (pipe2(pe, O_CLOEXEC)) {
    close(po[0]), close(po[1]);
    return TB_ERR(TB_ERR_INTERNAL, "pipe: %s", strerror(errno));
  }
  pid_t pid;
  int e = start_captured(argv, envp, cwd, po, pe, &pid);
  close(po[1]), close(pe[1]);
  if (e) {
    close(po[0]), close(pe[0]);
    snprintf(err, nerr, "cannot start %s: %s", argv[0], strerror(e));
    return TB_OK;
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int oo = 1, oe = 1, killed = 0;
  while (oo || oe) {
    struct pollfd p[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    if (!oo) p[0].fd = -1;
    if (!oe) p[1].fd = -1;
    int r = poll(p, 2, 200);
    if (r > 0 && p[0].revents) drain(po[0], out, n, &lo, &oo);
    if (r > 0 && p[1].revents) drain(pe[0], err, nerr, &le, &oe);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (!killed && (double)(t.tv_sec - t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - t0.tv_nsec) > timeout) {
      kill(pid, SIGKILL), killed = 1; /* the pipes close when it dies */
    }
  }
  close(po[0]), close(pe[0]);
  int ws;
  while (waitpid(pid, &ws, 0) < 0)
    if (errno != EINTR) return TB_ERR(TB_ERR_INTERNAL, "waitpid: %s", strerror(errno));
  *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  if (killed) snprintf(err, nerr, "%s did not answer within %g s", argv[0], timeout);
  return TB_OK;
}
