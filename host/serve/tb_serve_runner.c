/* The runs' thread: start, watch, cancel, finish (see tb_serve_runner.h). Nothing slow (spawning, sbatch,
 * squeue) happens under the store's lock: each change is a short tb_store_modify that re-checks the row, so
 * a cancel or resume arriving meanwhile is never overwritten. */
#define _GNU_SOURCE /* vasprintf */
#include "tb_serve_runner.h"
#include "tb_error.h"
#include "tb_serve_proc.h"
#include "tb_serve_slurm.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef TB_JOBS_DIR
#define TB_JOBS_DIR "jobs"
#endif

/* ---- paths, messages ---- */

int tb_runner_path(const tb_srv *S, int64_t id, const char *name, char *out, size_t n) {
  int w = snprintf(out, n, "%s/%lld%s%s", S->jobs->runs_dir, (long long)id, name ? "/" : "", name ? name : "");
  return w > 0 && (size_t)w < n ? TB_OK : TB_ERR(TB_ERR_USAGE, "[server] state_dir: path too long");
}

int tb_runner_final(const char *state) { return strcmp(state, "queued") && strcmp(state, "running"); }

static void replace_all(char *text, size_t n, const char *from, const char *to) {
  size_t lf = strlen(from), lt = strlen(to);
  if (!lf) return;
  for (char *p = strstr(text, from); p; p = strstr(p + lt, from)) {
    size_t rest = strlen(p + lf);
    if ((size_t)(p - text) + lt + rest + 1 > n) return;
    memmove(p + lt, p + lf, rest + 1);
    memcpy(p, to, lt);
  }
}

void tb_runner_scrub(const tb_srv *S, int64_t id, char *text, size_t n) {
  char dir[4200], root[4200];
  if (S->jobs) {
    tb_runner_path(S, id, NULL, dir, sizeof dir);
    strncat(dir, "/", sizeof dir - strlen(dir) - 1);
    replace_all(text, n, dir, "");
    replace_all(text, n, S->cfg.state_dir, "(state folder)");
    replace_all(text, n, S->jobs->tradebal, "tradebal");
    replace_all(text, n, S->jobs->jobs_dir, "jobs");
  }
  snprintf(root, sizeof root, "%s/", S->data_root);
  replace_all(text, n, root, "");
  replace_all(text, n, S->data_root, ".");
}

static int line_matches(const char *line, int pass) {
  if (pass == 0) return !strncmp(line, "tradebal", 8) && strstr(line, ": error: ");
  if (pass == 1) return strstr(line, "error: ") != NULL;
  return line[0] && line[0] != '#' && strspn(line, "-* \t") < strlen(line); /* mpiexec frames notes in dashes */
}

void tb_runner_error_line(const tb_srv *S, int64_t id, const char *log, int64_t offset, char *out, size_t n) {
  enum { TAIL = 65536 };
  out[0] = 0;
  FILE *f = fopen(log, "re");
  if (!f) return;
  if (fseek(f, 0, SEEK_END) == 0) {
    long size = ftell(f), from = size - TAIL > offset ? size - TAIL : (long)offset;
    if (from < 0 || from > size) from = 0;
    if (fseek(f, from, SEEK_SET)) from = 0;
  }
  char *buf = malloc(TAIL + 1), line[1024];
  size_t len = buf ? fread(buf, 1, TAIL, f) : 0;
  fclose(f);
  if (!buf) return;
  buf[len] = 0;
  for (int pass = 0; pass < 3 && !out[0]; pass++) {
    for (const char *s = buf; *s;) { /* the last matching line wins */
      size_t l = strcspn(s, "\n");
      snprintf(line, sizeof line, "%.*s", (int)(l < sizeof line ? l : sizeof line - 1), s);
      if (line_matches(line, pass)) {
        const char *e = pass < 2 ? strstr(line, "error: ") : NULL;
        snprintf(out, n, "%s", e ? e + 7 : line);
      }
      s += l + (s[l] == '\n');
    }
  }
  free(buf);
  tb_runner_scrub(S, id, out, n);
}

/* ---- progress ---- */

/* "84.00k" (tb_human) -> 84000; -1 when it is not one. */
static double human_number(const char *s) {
  char *end;
  double x = strtod(s, &end);
  if (end == s || !(x >= 0)) return -1;
  static const char SUF[] = "kMGT";
  const char *k = *end ? strchr(SUF, *end) : NULL;
  for (const char *i = SUF; k && i <= k; i++) x *= 1000.0;
  return end[k ? 1 : 0] ? -1 : x;
}

/* One line (NUL-terminated, without its newline) as progress: 1 and *p, or 0. */
static int parse_progress_line(const char *l, tb_runner_progress *p) {
  static const char NAME[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ ";
  size_t n = l[0] == '[' ? strspn(l + 1, NAME) : 0;
  if (n == 0 || n >= sizeof p->stage || l[n + 1] != ']' || l[n + 2] != ' ' || !l[n + 3]) return 0;
  tb_runner_progress q = {.done = -1, .total = -1, .percent = -1, .left = -1, .each = -1};
  snprintf(q.stage, sizeof q.stage, "%.*s", (int)n, l + 1);
  const char *rest = l + n + 3;
  char a[32], b[32], unit[32];
  long long scen, k, total;
  int group, used = 0;
  double pct, x;
  if (!strcmp(q.stage, "checkpoint")) return 0; /* written during a stage: it says nothing of how far */
  if (!strcmp(q.stage, "sweep")) {
    if (sscanf(rest, "group %d: scenario %lld (%lld of %lld) in %lf s%n", &group, &scen, &k, &total, &x, &used) != 5 ||
        !used || k < 0 || total <= 0 || k > total || !(x >= 0))
      return 0;
    q.done = (double)k, q.total = (double)total, q.percent = 100.0 * (double)k / (double)total, q.each = x;
  } else if (sscanf(rest, "%31[0-9.kMGT]/%31[0-9.kMGT] %31s (%lf%%)%n", a, b, unit, &pct, &used) == 4 && used) {
    q.done = human_number(a), q.total = human_number(b), q.percent = pct;
    if (q.done < 0 || q.total < 0 || !(pct >= 0 && pct <= 100)) return 0;
    const char *about = strstr(rest + used, ", about ");
    if (strstr(rest + used, ", done in ")) q.left = 0;
    else if (about && sscanf(about, ", about %lf s", &x) == 1 && x >= 0) q.left = x;
  } else if (strcmp(q.stage, "run") && strcmp(q.stage, "generate")) {
    return 0; /* another bracketed line: not the program's progress */
  }
  /* ASCII only: a path in it may be in any encoding, and the answer is JSON */
  size_t i = 0;
  for (; l[i] && i + 1 < sizeof q.line; i++)
    q.line[i] = (unsigned char)l[i] < 0x20 || (unsigned char)l[i] > 0x7e ? '?' : l[i];
  q.line[i] = 0;
  *p = q;
  return 1;
}

int tb_runner_progress_parse(const char *text, size_t len, tb_runner_progress *p) {
  char line[512];
  int found = 0;
  for (size_t at = 0; at < len;) {
    const char *nl = memchr(text + at, '\n', len - at);
    if (!nl) break; /* still being written */
    size_t l = (size_t)(nl - (text + at));
    if (l && text[at + l - 1] == '\r') l--;
    snprintf(line, sizeof line, "%.*s", (int)(l < sizeof line ? l : sizeof line - 1), text + at);
    if (parse_progress_line(line, p)) found = 1; /* the last one wins */
    at += (size_t)(nl - (text + at)) + 1;
  }
  return found;
}

double tb_runner_progress_eta(const tb_runner_progress *p, double age, double elapsed) {
  if (age < 0) age = 0;
  if (p->left >= 0) return p->left > age ? p->left - age : 0;
  if (p->each < 0 || p->done < 0 || p->total < p->done) return -1;
  if (p->done >= p->total) return 0;
  /* the pace of the attempt so far (done scenarios in the time up to the line), else of the last scenario;
   * the scenario under way has run for `age` already */
  double per = elapsed - age > 0 && p->done > 0 ? (elapsed - age) / p->done : p->each;
  double left = per * (p->total - p->done) - age;
  return left > 0 ? left : 0;
}

int tb_runner_progress_of(const tb_srv *S, const tb_run *run, tb_runner_progress *p, double *eta) {
  enum { TAIL = 16384 }; /* progress lines come every few seconds: the latest is near the end */
  char path[4300];
  if (!S->jobs || strcmp(run->state, "running") || run->shards > 1) return 0;
  if (tb_runner_path(S, run->id, "log", path, sizeof path)) return tb_error_clear(), 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat st;
  char *buf = malloc(TAIL);
  if (!buf || fstat(fd, &st)) return free(buf), close(fd), 0;
  int64_t size = (int64_t)st.st_size, from = size - TAIL > run->log_offset ? size - TAIL : run->log_offset;
  ssize_t n = from >= 0 && from < size ? pread(fd, buf, (size_t)(size - from), (off_t)from) : 0;
  close(fd);
  const char *text = buf;
  size_t len = n > 0 ? (size_t)n : 0;
  if (len && from > run->log_offset) { /* the tail starts inside a line: from the first whole one */
    const char *nl = memchr(buf, '\n', len);
    len = nl ? len - (size_t)(nl + 1 - buf) : 0;
    text = nl ? nl + 1 : buf;
  }
  int found = tb_runner_progress_parse(text, len, p);
  free(buf);
  if (!found) return 0;
  tb_runner_scrub(S, run->id, p->line, sizeof p->line);
  double now = tb_wall(), written = (double)st.st_mtim.tv_sec + 1e-9 * (double)st.st_mtim.tv_nsec;
  /* a resumed attempt's counts include what its checkpoint had done: pace it by its last scenario instead */
  double elapsed = run->started > 0 && !run->resume && now > run->started ? now - run->started : 0;
  *eta = tb_runner_progress_eta(p, now - written, elapsed);
  return 1;
}

static void now_iso(char *out, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- row changes ---- */

typedef struct {
  const char *state;
  int64_t attempts, epoch, exit_code;
  char message[1024];
} finish_arg;

static int finish_fn(tb_run *run, void *a) {
  finish_arg *f = a;
  if (tb_runner_final(run->state) || run->attempts != f->attempts || run->epoch != f->epoch)
    return 0; /* ended or resumed since: the decision was about an older row */
  double now = tb_wall();
  snprintf(run->state, sizeof run->state, "%s", f->state);
  snprintf(run->message, sizeof run->message, "%s", f->message);
  run->exit_code = f->exit_code;
  run->finished = run->changed = now;
  run->launching = 0;
  return 1;
}

static void finish(tb_srv *S, const tb_run *run, const char *state, int64_t exit_code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static void finish(tb_srv *S, const tb_run *run, const char *state, int64_t exit_code, const char *fmt, ...) {
  finish_arg f = {state, run->attempts, run->epoch, exit_code, ""};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f.message, sizeof f.message, fmt, ap);
  va_end(ap);
  tb_runner_scrub(S, run->id, f.message, sizeof f.message);
  for (int i = 0; i < TB_RUNNER_SLURM_SEEN; i++)
    if (S->jobs->gone[i].id == run->id) S->jobs->gone[i].id = 0;
  int found;
  if (tb_store_modify(S->jobs->store, run->id, finish_fn, &f, &found)) {
    fprintf(stderr, "tradebal serve: run %lld: %s\n", (long long)run->id, tb_error_message());
    tb_error_clear();
  }
  fprintf(stderr, "tradebal serve: run %lld %s%s%s\n", (long long)run->id, state, f.message[0] ? ": " : "", f.message);
  tb_srv_changed(S);
}

/* The final state of an attempt that ended with exit code rc (128 + N: killed by signal N). */
static void decide(tb_srv *S, const tb_run *run, int64_t rc, int64_t report_rc, const char *slurm_state) {
  char log[4300], line[1024];
  tb_runner_path(S, run->id, "log", log, sizeof log);
  tb_runner_error_line(S, run->id, log, run->log_offset, line, sizeof line);
  if (rc == 0 && report_rc > 0)
    return finish(S, run, "done", rc, "the run succeeded but its report failed (exit %lld): %s", (long long)report_rc, line);
  if (rc == 0) return finish(S, run, "done", rc, "%s", "");
  if (slurm_state && !strcmp(slurm_state, "CANCELLED") && !run->cancel)
    return finish(S, run, "cancelled", rc, "cancelled from outside the API (Slurm state CANCELLED)%s%s",
                  rc == 7 ? ": stopped at a safe point with a checkpoint, resume continues it" : "",
                  rc == 7 ? "" : "; resume continues from its last checkpoint, if any");
  if (rc == 7 && run->cancel) return finish(S, run, "cancelled", rc, "cancelled through the API: %s", line);
  if (rc == 7) return finish(S, run, "checkpointed", rc, "%s", line);
  if (rc > 128 && run->cancel)
    return finish(S, run, "cancelled", rc, "cancelled through the API: killed by signal %lld before it reached a "
                  "safe point", (long long)(rc - 128));
  if (rc > 128)
    return finish(S, run, "failed", rc, "killed by signal %lld%s%s%s%s%s", (long long)(rc - 128),
                  slurm_state ? " (Slurm state " : "", slurm_state ? slurm_state : "", slurm_state ? ")" : "",
                  line[0] ? ": " : "", line);
  if (line[0]) return finish(S, run, "failed", rc, "%s", line);
  finish(S, run, "failed", rc, "exit code %lld", (long long)rc);
}

/* ---- local runs ---- */

typedef struct {
  char **v;
  int n, cap, failed;
} argv_t;

static void arg(argv_t *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void arg(argv_t *a, const char *fmt, ...) {
  if (a->n + 2 > a->cap) {
    int cap = a->cap ? 2 * a->cap : 32;
    char **g = realloc(a->v, (size_t)cap * sizeof *g);
    if (!g) {
      a->failed = 1;
      return;
    }
    a->v = g, a->cap = cap;
  }
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&a->v[a->n], fmt, ap) < 0) a->failed = 1;
  else a->v[++a->n] = NULL;
  va_end(ap);
}

static void argv_free(argv_t *a) {
  for (int i = 0; i < a->n; i++) free(a->v[i]);
  free(a->v);
  memset(a, 0, sizeof *a);
}

static int is_path_key(const char *k) {
  return !strcmp(k, "input.file") || !strcmp(k, "output.file") || !strcmp(k, "checkpoint.dir");
}

/* The run's arguments after CONFIG and OUTPUT: the input, the threads, the overrides, --overwrite and
 * --resume. Paths are data-root-relative (the run's working folder), absolute when abs. */
static void run_args(const tb_srv *S, const tb_run *run, int abs, argv_t *a) {
  const char *pre = abs ? S->data_root : "", *sep = abs ? "/" : "";
  arg(a, "--set");
  arg(a, "input.file=%s%s%s", pre, sep, run->input);
  if (run->threads > 0) arg(a, "--set"), arg(a, "backend.threads=%lld", (long long)run->threads);
  json_t *sets = json_loads(run->sets, 0, NULL), *v;
  const char *k;
  json_object_foreach(sets, k, v) {
    arg(a, "--set");
    if (is_path_key(k)) arg(a, "%s=%s%s%s", k, pre, sep, json_string_value(v));
    else arg(a, "%s=%s", k, json_string_value(v));
  }
  json_decref(sets);
  if (run->overwrite) arg(a, "--overwrite");
  if (run->resume) arg(a, "--resume"), arg(a, "auto");
}

/* Mark the start (launching, one more attempt) unless the row changed since it was read. */
static int begin_fn(tb_run *run, void *a) {
  const tb_run *seen = a;
  if (strcmp(run->state, "queued") || run->launching || run->attempts != seen->attempts || run->cancel) return 0;
  run->launching = 1, run->attempts++;
  return 1;
}

typedef struct {
  int ok;
  int64_t mon_pid, mon_start, log_offset;
  const char *state;
  char job[32], array[32], message[1024];
} launched_arg;

static int launched_fn(tb_run *run, void *a) {
  launched_arg *l = a;
  run->launching = 0;
  if (!l->ok) {
    snprintf(run->state, sizeof run->state, "failed");
    snprintf(run->message, sizeof run->message, "%s", l->message);
    run->finished = run->changed = tb_wall();
    return 1;
  }
  double now = tb_wall();
  if (strcmp(run->state, l->state)) run->changed = now;
  snprintf(run->state, sizeof run->state, "%s", l->state);
  run->mon_pid = l->mon_pid, run->mon_start = l->mon_start, run->pid = 0, run->pid_start = 0;
  run->log_offset = l->log_offset;
  if (run->phase) return 1; /* the report of a Slurm run: the rest stays */
  snprintf(run->slurm_job, sizeof run->slurm_job, "%s", l->job);
  snprintf(run->slurm_array, sizeof run->slurm_array, "%s", l->array);
  run->slurm_state[0] = 0;
  if (!strcmp(l->state, "running")) run->started = now;
  return 1;
}

/* Clear the previous attempt's pid and status files and start this attempt's part of the log. */
static int64_t fresh_attempt(tb_srv *S, const tb_run *run, int attempt) {
  char p[4300];
  static const char *OLD[] = {"pid", "status", "report.status"};
  for (int i = 0; i < 3; i++)
    if (!tb_runner_path(S, run->id, OLD[i], p, sizeof p)) unlink(p);
  tb_runner_path(S, run->id, "log", p, sizeof p);
  struct stat st; /* this attempt's part of the log starts where the file ends now */
  int64_t off = stat(p, &st) == 0 ? (int64_t)st.st_size : 0;
  FILE *f = fopen(p, "ae");
  if (!f) return 0;
  char when[64];
  now_iso(when, sizeof when);
  fprintf(f, "# tradebal serve: run %lld, attempt %d%s, %s executor, at %s\n", (long long)run->id, attempt,
          run->resume ? " (resuming from its checkpoint)" : "", run->executor, when);
  fclose(f);
  return off;
}

static int start_monitor(tb_srv *S, const tb_run *run, char *const *argv, const char *status, launched_arg *l) {
  char dir[4300];
  tb_runner_path(S, run->id, NULL, dir, sizeof dir);
  /* mpiexec refuses root unless told; the monitor's environment is the server's plus these */
  char *extra[] = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"};
  char **env = tb_env_with(extra, geteuid() == 0 ? 2 : 0);
  if (!env) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  tb_monitor_spec m = {S->data_root, dir, status, S->jobs->tradebal, run->output,
                       run->report_dir[0] ? run->report_dir : NULL, argv, env};
  int rc = tb_monitor_start(&m, &l->mon_pid);
  free(env);
  if (!rc) l->mon_start = tb_proc_start_time(l->mon_pid);
  return rc;
}

static void start_local(tb_srv *S, const tb_run *run) {
  argv_t a = {0};
  char cfg[4300];
  tb_runner_path(S, run->id, "config.ini", cfg, sizeof cfg);
  if (run->ranks > 1)
    arg(&a, "%s", S->cfg.mpiexec), arg(&a, "-n"), arg(&a, "%lld", (long long)run->ranks), arg(&a, "--oversubscribe");
  arg(&a, "%s", S->jobs->tradebal), arg(&a, "run"), arg(&a, "-c"), arg(&a, "%s", cfg), arg(&a, "-o");
  arg(&a, "%s", run->output);
  run_args(S, run, 0, &a);
  launched_arg l = {.ok = 1, .state = "running"};
  l.log_offset = fresh_attempt(S, run, (int)run->attempts);
  if (a.failed || start_monitor(S, run, a.v, "status", &l)) {
    l.ok = 0;
    snprintf(l.message, sizeof l.message, "could not start: %s", a.failed ? "out of memory" : tb_error_message());
    tb_error_clear();
  }
  argv_free(&a);
  int found;
  if (tb_store_modify(S->jobs->store, run->id, launched_fn, &l, &found)) tb_error_clear();
  tb_srv_changed(S);
}

/* ---- Slurm runs ---- */

static void slurm_env(tb_srv *S, const tb_run *run, char **extra, int *n, char *bufs, size_t each) {
  char st[4300];
  tb_runner_path(S, run->id, "status", st, sizeof st);
  char root[4096];
  snprintf(root, sizeof root, "%s", S->jobs->jobs_dir);
  char *slash = strrchr(root, '/');
  if (slash) *slash = 0; /* the scripts find tb_job_env.sh under TB_ROOT/jobs */
  snprintf(bufs, each, "TB_STATUS_FILE=%s", st);
  snprintf(bufs + each, each, "TRADEBAL=%s", S->jobs->tradebal);
  snprintf(bufs + 2 * each, each, "TB_ROOT=%s", root);
  snprintf(bufs + 3 * each, each, "SBATCH_ARGS=%s%s-c %lld -J tbserve-%lld", S->cfg.sbatch_args,
           S->cfg.sbatch_args[0] ? " " : "", (long long)(run->threads > 0 ? run->threads : 1), (long long)run->id);
  for (int i = 0; i < 4; i++) extra[i] = bufs + (size_t)i * each;
  *n = 4;
}

static void slurm_argv(tb_srv *S, const tb_run *run, argv_t *a) {
  char cfg[4300], log[4300];
  tb_runner_path(S, run->id, "config.ini", cfg, sizeof cfg);
  tb_runner_path(S, run->id, "log", log, sizeof log);
  if (run->shards > 1) { /* an array of shards and the merge after them; paths absolute (it runs in the run folder) */
    arg(a, "%s/submit_sweep.sh", S->jobs->jobs_dir), arg(a, "%s", cfg), arg(a, "%lld", (long long)run->shards);
    arg(a, "%s/%s", S->data_root, run->output);
    run_args(S, run, 1, a);
    return;
  }
  arg(a, "sbatch"), arg(a, "--parsable"), arg(a, "--export=ALL"), arg(a, "-J"), arg(a, "tbserve-%lld", (long long)run->id);
  arg(a, "-n"), arg(a, "%lld", (long long)run->ranks), arg(a, "-c"), arg(a, "%lld", (long long)(run->threads > 0 ? run->threads : 1));
  arg(a, "--open-mode=append"), arg(a, "-o"), arg(a, "%s", log);
  char extra[1024];
  snprintf(extra, sizeof extra, "%s", S->cfg.sbatch_args);
  for (char *save = NULL, *t = strtok_r(extra, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) arg(a, "%s", t);
  arg(a, "%s/solve.sbatch", S->jobs->jobs_dir), arg(a, "%s", cfg), arg(a, "%s", run->output);
  run_args(S, run, 0, a);
}

static void start_slurm(tb_srv *S, const tb_run *run) {
  argv_t a = {0};
  slurm_argv(S, run, &a);
  char *extra[4], bufs[4 * 4400], dir[4300], err[1024];
  int nextra;
  slurm_env(S, run, extra, &nextra, bufs, 4400);
  char **env = tb_env_with(extra, nextra);
  launched_arg l = {.ok = 1, .state = "queued"};
  l.log_offset = fresh_attempt(S, run, (int)run->attempts);
  tb_runner_path(S, run->id, NULL, dir, sizeof dir);
  if (a.failed || !env) {
    l.ok = 0;
    snprintf(l.message, sizeof l.message, "could not submit: out of memory");
  } else if (tb_slurm_submit(a.v, env, run->shards > 1 ? dir : S->data_root, l.job, sizeof l.job, l.array,
                             sizeof l.array, err, sizeof err)) {
    l.ok = 0;
    tb_error_clear();
    tb_runner_scrub(S, run->id, err, sizeof err);
    snprintf(l.message, sizeof l.message, "sbatch refused the job: %.900s", err);
  }
  free(env);
  argv_free(&a);
  int found;
  if (tb_store_modify(S->jobs->store, run->id, launched_fn, &l, &found)) tb_error_clear();
  tb_srv_changed(S);
}

/* ---- watching ---- */

typedef struct {
  int64_t attempts, epoch, pid, pid_start, cancel;
  const char *state, *slurm_state;
  int phase;
} note_arg;

static int note_fn(tb_run *run, void *a) {
  note_arg *o = a;
  if (tb_runner_final(run->state) || run->attempts != o->attempts || run->epoch != o->epoch) return 0;
  if (o->pid) run->pid = o->pid, run->pid_start = o->pid_start;
  if (o->cancel && run->cancel < o->cancel) run->cancel = o->cancel;
  if (o->state && strcmp(run->state, o->state)) {
    snprintf(run->state, sizeof run->state, "%s", o->state);
    run->changed = tb_wall();
    if (!run->started) run->started = run->changed;
  }
  if (o->slurm_state) snprintf(run->slurm_state, sizeof run->slurm_state, "%s", o->slurm_state);
  if (o->phase) run->phase = o->phase, run->mon_pid = run->pid = 0;
  return 1;
}

static void note(tb_srv *S, const tb_run *run, note_arg o) {
  int found;
  o.attempts = run->attempts, o.epoch = run->epoch;
  if (tb_store_modify(S->jobs->store, run->id, note_fn, &o, &found)) tb_error_clear();
}

static void cancel_local(tb_srv *S, const tb_run *run) {
  if (!run->pid || (run->cancel != 1 && run->cancel != 3)) return;
  /* a run stops at its next safe point on SIGTERM; mpiexec forwards SIGUSR1 (not SIGTERM) to its ranks.
   * Forced (a second cancel): SIGKILL, or SIGTERM to mpiexec, which then kills its ranks */
  int force = run->cancel == 3, sig = run->ranks > 1 ? (force ? SIGTERM : SIGUSR1) : (force ? SIGKILL : SIGTERM);
  tb_proc_signal(run->pid, run->pid_start, sig);
  note(S, run, (note_arg){.cancel = run->cancel + 1});
}

static void watch_local(tb_srv *S, const tb_run *run, int *running) {
  char p[4300];
  int have;
  int64_t rc, report_rc;
  tb_proc_reap(run->mon_pid);
  const char *status = run->phase ? "report.status" : "status";
  if (!run->phase && !run->pid) {
    int64_t pid;
    tb_runner_path(S, run->id, "pid", p, sizeof p);
    if (!tb_pid_read(p, &pid) && pid) {
      note(S, run, (note_arg){.pid = pid, .pid_start = tb_proc_start_time(pid)});
      (*running)++;
      return; /* look again with the pid recorded */
    }
    tb_error_clear();
  }
  cancel_local(S, run);
  tb_runner_path(S, run->id, status, p, sizeof p);
  for (int look = 0; look < 2; look++) { /* again after the liveness check: it may have ended in between */
    if (tb_status_read(p, &have, &rc, &report_rc)) tb_error_clear();
    if (have) return decide(S, run, run->phase ? 0 : rc, report_rc, NULL);
    if (tb_proc_alive(run->mon_pid, run->mon_start) || tb_proc_alive(run->pid, run->pid_start)) {
      (*running)++;
      return;
    }
  }
  finish(S, run, "lost", -1, "its process ended without a status file (the monitor was killed, or the machine "
                             "restarted); resume continues from its last checkpoint, if any");
}

/* The report of a Slurm run, made here once the job succeeded. */
static void start_report(tb_srv *S, const tb_run *run) {
  note(S, run, (note_arg){.phase = 1});
  launched_arg l = {.ok = 1, .state = "running"};
  if (start_monitor(S, run, NULL, "report.status", &l)) {
    finish(S, run, "done", 0, "the run succeeded but its report could not start: %s", tb_error_message());
    tb_error_clear();
    return;
  }
  l.log_offset = run->log_offset;
  snprintf(l.job, sizeof l.job, "%s", run->slurm_job);
  snprintf(l.array, sizeof l.array, "%s", run->slurm_array);
  int found;
  if (tb_store_modify(S->jobs->store, run->id, launched_fn, &l, &found)) tb_error_clear();
}

/* Slurm: the status file the job script wrote decides, as soon as it is there (0..8 are tradebal's codes;
 * others, such as srun's for a killed task, wait for Slurm's state). */
static int slurm_status(tb_srv *S, const tb_run *run, const char *slurm_final) {
  char p[4300];
  int have;
  int64_t rc, report_rc;
  tb_runner_path(S, run->id, "status", p, sizeof p);
  if (tb_status_read(p, &have, &rc, &report_rc)) tb_error_clear();
  if (!have || ((rc < 0 || rc > 8) && !slurm_final)) return 0;
  if (rc == 0 && run->report_dir[0]) start_report(S, run);
  else decide(S, run, rc, -1, slurm_final);
  return 1;
}

static int *gone_count(tb_srv *S, int64_t id) {
  tb_serve_jobs *J = S->jobs;
  int free_slot = -1;
  for (int i = 0; i < TB_RUNNER_SLURM_SEEN; i++) {
    if (J->gone[i].id == id) return &J->gone[i].count;
    if (!J->gone[i].id && free_slot < 0) free_slot = i;
  }
  if (free_slot < 0) free_slot = (int)(id % TB_RUNNER_SLURM_SEEN);
  J->gone[free_slot].id = id, J->gone[free_slot].count = 0;
  return &J->gone[free_slot].count;
}

static const char *find_state(const tb_slurm_job *jobs, int n, const char *id) {
  for (int i = 0; i < n; i++)
    if (!strcmp(jobs[i].id, id)) return jobs[i].state;
  return NULL;
}

/* A sharded sweep whose array has a failed task: its merge never runs. The task's index, or -1. */
static int failed_task(const tb_slurm_job *jobs, int n, const char *array, const char **state) {
  size_t l = strlen(array);
  for (int i = 0; i < n; i++)
    if (!strncmp(jobs[i].id, array, l) && jobs[i].id[l] == '_' && !tb_slurm_active(jobs[i].state) &&
        strcmp(jobs[i].state, "COMPLETED"))
      return *state = jobs[i].state, atoi(jobs[i].id + l + 1);
  return -1;
}

static void sweep_failed(tb_srv *S, const tb_run *run, int task, const char *state) {
  char log[4300], name[128], line[1024];
  snprintf(name, sizeof name, "tradebal-sweep-%s_%d.log", run->slurm_array, task);
  tb_runner_path(S, run->id, name, log, sizeof log);
  tb_runner_error_line(S, run->id, log, 0, line, sizeof line);
  tb_slurm_cancel(run->slurm_job, NULL); /* the merge waits for a dependency that can no longer be met */
  if (!strcmp(state, "CANCELLED") && run->cancel)
    return finish(S, run, "cancelled", -1, "cancelled through the API (shard %d: Slurm state %s)", task, state);
  if (!strcmp(state, "CANCELLED"))
    return finish(S, run, "cancelled", -1, "cancelled from outside the API (shard %d: Slurm state CANCELLED)", task);
  finish(S, run, "failed", -1, "shard %d failed (Slurm state %s): %s", task, state, line[0] ? line : "see the log");
}

static void watch_slurm(tb_srv *S, const tb_run *run, const tb_slurm_job *jobs, int n, int ok) {
  if (!run->slurm_job[0]) return;
  const char *st = find_state(jobs, n, run->slurm_job), *task_state = NULL;
  if (st && strcmp(st, run->slurm_state)) {
    int active = !strcmp(st, "PENDING") || !strcmp(st, "REQUEUED");
    note(S, run, (note_arg){.slurm_state = st, .state = active ? NULL : "running"});
    tb_srv_changed(S);
  }
  int *gone = gone_count(S, run->id);
  if (st && tb_slurm_active(st)) {
    int task = run->shards > 1 ? failed_task(jobs, n, run->slurm_array, &task_state) : -1;
    if (task >= 0) sweep_failed(S, run, task, task_state);
    *gone = 0;
    return;
  }
  /* ended: give the status file one more poll to appear; absent from Slurm's answer: accounting can lag
   * behind a fresh job by seconds, so only after many polls */
  if (!ok || ++*gone < (st ? 2 : 20)) return;
  *gone = 0;
  if (slurm_status(S, run, st ? st : "UNKNOWN")) return;
  if (!st) return finish(S, run, "lost", -1, "Slurm no longer knows job %s and it left no status file", run->slurm_job);
  int task = run->shards > 1 ? failed_task(jobs, n, run->slurm_array, &task_state) : -1;
  if (task >= 0) return sweep_failed(S, run, task, task_state);
  if (!strcmp(st, "CANCELLED"))
    return finish(S, run, "cancelled", -1, "cancelled %s (Slurm state CANCELLED); resume continues from its last "
                  "checkpoint, if any", run->cancel ? "through the API" : "from outside the API");
  char log[4300], line[1024];
  tb_runner_path(S, run->id, "log", log, sizeof log);
  tb_runner_error_line(S, run->id, log, run->log_offset, line, sizeof line);
  finish(S, run, "failed", -1, "Slurm state %s without a status file: %s", st, line[0] ? line : "see the log");
}

static void cancel_slurm(tb_srv *S, const tb_run *run) {
  if (!run->slurm_job[0] || (run->cancel != 1 && run->cancel != 3)) return;
  char ids[128];
  snprintf(ids, sizeof ids, "%s%s%s", run->slurm_array, run->slurm_array[0] ? " " : "", run->slurm_job);
  /* running: SIGTERM to the steps, tradebal checkpoints and the script writes exit 7; pending, forced or a
   * sweep: scancel outright */
  int signal_only = run->cancel == 1 && !run->slurm_array[0] && !strcmp(run->slurm_state, "RUNNING");
  tb_slurm_cancel(ids, signal_only ? "TERM" : NULL);
  note(S, run, (note_arg){.cancel = run->cancel + 1});
}

/* One call for every active Slurm job, every poll_interval. */
static void poll_slurm(tb_srv *S, tb_run *runs, int n) {
  char ids[8192] = "";
  size_t used = 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(runs[i].executor, "slurm") || runs[i].phase || !runs[i].slurm_job[0]) continue;
    used += (size_t)snprintf(ids + used, used < sizeof ids ? sizeof ids - used : 0, "%s%s%s%s", used ? "," : "",
                             runs[i].slurm_job, runs[i].slurm_array[0] ? "," : "", runs[i].slurm_array);
  }
  if (!used || used >= sizeof ids) return;
  tb_slurm_job *jobs = NULL;
  int nj = 0, ok = 0;
  if (tb_slurm_query(ids, &jobs, &nj, &ok)) tb_error_clear();
  for (int i = 0; i < n; i++)
    if (!strcmp(runs[i].executor, "slurm") && !runs[i].phase && runs[i].slurm_job[0])
      watch_slurm(S, &runs[i], jobs, nj, ok);
  free(jobs);
}

static int cancel_queued_fn(tb_run *run, void *a) {
  (void)a;
  if (strcmp(run->state, "queued") || run->launching || run->slurm_job[0]) return 0;
  snprintf(run->state, sizeof run->state, "cancelled");
  snprintf(run->message, sizeof run->message, "cancelled through the API before it started");
  run->finished = run->changed = tb_wall();
  return 1;
}

static void step(tb_srv *S) {
  tb_serve_jobs *J = S->jobs;
  tb_run *runs = NULL;
  int n = 0, running = 0;
  if (tb_store_active(J->store, &runs, &n)) {
    fprintf(stderr, "tradebal serve: %s\n", tb_error_message());
    tb_error_clear();
    return;
  }
  int poll = tb_now() - J->last_poll >= S->cfg.poll_interval;
  for (int i = 0; i < n; i++) {
    tb_run *r = &runs[i];
    int slurm = !strcmp(r->executor, "slurm");
    if (!strcmp(r->state, "queued") && r->cancel && !r->slurm_job[0] && !r->launching) {
      int found;
      if (tb_store_modify(J->store, r->id, cancel_queued_fn, NULL, &found)) tb_error_clear();
      tb_srv_changed(S);
    } else if (r->launching) {
      continue;
    } else if (!strcmp(r->state, "running") && (!slurm || r->phase)) {
      watch_local(S, r, &running);
    } else if (slurm && r->slurm_job[0]) {
      cancel_slurm(S, r);
      slurm_status(S, r, NULL);
    }
  }
  if (poll) {
    J->last_poll = tb_now();
    poll_slurm(S, runs, n);
  }
  for (int i = 0; i < n; i++) { /* start queued runs in queue order */
    tb_run *r = &runs[i];
    if (strcmp(r->state, "queued") || r->launching || r->slurm_job[0] || r->cancel) continue;
    int slurm = !strcmp(r->executor, "slurm");
    if (!slurm && running >= S->cfg.max_running) continue;
    int found;
    if (tb_store_modify(J->store, r->id, begin_fn, r, &found)) tb_error_clear();
    tb_run now;
    if (tb_store_get(J->store, r->id, &now, &found) || !found || !now.launching || now.attempts != r->attempts + 1) {
      tb_error_clear();
      continue;
    }
    if (slurm) start_slurm(S, &now);
    else start_local(S, &now), running++;
  }
  free(runs);
}

static void *runner_main(void *arg) {
  tb_srv *S = arg;
  tb_serve_jobs *J = S->jobs;
  for (;;) {
    step(S);
    pthread_mutex_lock(&J->lock);
    if (!J->stop && !J->kick) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 200 * 1000 * 1000; /* a run's end is seen within 0.2 s */
      if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
      pthread_cond_timedwait(&J->cond, &J->lock, &ts);
    }
    J->kick = 0;
    int stop = J->stop;
    pthread_mutex_unlock(&J->lock);
    if (stop) return NULL;
  }
}

void tb_runner_kick(tb_srv *S) {
  tb_serve_jobs *J = S->jobs;
  pthread_mutex_lock(&J->lock);
  J->kick = 1;
  pthread_cond_signal(&J->cond);
  pthread_mutex_unlock(&J->lock);
}

/* ---- opening ---- */

static int make_dir(const char *p) {
  if (mkdir(p, 0755) && errno != EEXIST) return TB_ERR(TB_ERR_USAGE, "cannot create %s: %s", p, strerror(errno));
  return TB_OK;
}

/* A start was under way when the server stopped: what the run folder says it got to. */
static int reconcile_fn(tb_run *run, void *a) {
  const int *started = a;
  run->launching = 0;
  if (*started) snprintf(run->state, sizeof run->state, "running"), run->started = run->changed = tb_wall();
  else run->attempts--; /* never started: it keeps its place in the queue */
  return 1;
}

static int reconcile(tb_srv *S) {
  tb_run *runs;
  int n;
  TB_CALL(tb_store_active(S->jobs->store, &runs, &n));
  for (int i = 0; i < n; i++) {
    if (!runs[i].launching) continue;
    char p[4300], q[4300];
    tb_runner_path(S, runs[i].id, "pid", p, sizeof p);
    tb_runner_path(S, runs[i].id, "status", q, sizeof q);
    int started = strcmp(runs[i].executor, "slurm") && (!access(p, F_OK) || !access(q, F_OK)), found;
    int rc = tb_store_modify(S->jobs->store, runs[i].id, reconcile_fn, &started, &found);
    if (rc) return free(runs), rc;
  }
  free(runs);
  return TB_OK;
}

static int lock_state(tb_srv *S) {
  char p[4200];
  snprintf(p, sizeof p, "%s/lock", S->cfg.state_dir);
  S->jobs->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (S->jobs->lock_fd < 0) return TB_ERR(TB_ERR_USAGE, "[server] state_dir: cannot open %s: %s", p, strerror(errno));
  if (flock(S->jobs->lock_fd, LOCK_EX | LOCK_NB))
    return TB_ERR(TB_ERR_USAGE, "[server] state_dir %s is in use by another tradebal serve (one server per job "
                                "store: two would start the same queued runs)", S->cfg.state_dir);
  return TB_OK;
}

static int find_programs(tb_srv *S) {
  tb_serve_jobs *J = S->jobs;
  if (S->cfg.tradebal[0]) {
    if (!realpath(S->cfg.tradebal, J->tradebal))
      return TB_ERR(TB_ERR_USAGE, "[runs] tradebal %s: %s", S->cfg.tradebal, strerror(errno));
  } else {
    ssize_t n = readlink("/proc/self/exe", J->tradebal, sizeof J->tradebal - 1);
    if (n <= 0) return TB_ERR(TB_ERR_INTERNAL, "cannot find this program (/proc/self/exe): %s", strerror(errno));
    J->tradebal[n] = 0;
  }
  const char *jd = S->cfg.jobs_dir[0] ? S->cfg.jobs_dir : TB_JOBS_DIR;
  if (!realpath(jd, J->jobs_dir)) {
    if (!strcmp(S->cfg.executor, "slurm"))
      return TB_ERR(TB_ERR_USAGE, "[runs] jobs_dir %s: %s (the Slurm executor needs jobs/solve.sbatch)", jd, strerror(errno));
    snprintf(J->jobs_dir, sizeof J->jobs_dir, "%s", jd);
  }
  return TB_OK;
}

int tb_runner_open(tb_srv *S) {
  tb_serve_jobs *J = calloc(1, sizeof *J);
  if (!J) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  J->lock_fd = -1;
  pthread_mutex_init(&J->lock, NULL);
  pthread_cond_init(&J->cond, NULL);
  S->jobs = J;
  char db[4200];
  snprintf(J->runs_dir, sizeof J->runs_dir, "%s/runs", S->cfg.state_dir);
  snprintf(J->tmp_dir, sizeof J->tmp_dir, "%s/tmp", S->cfg.state_dir);
  snprintf(db, sizeof db, "%s/jobs.db", S->cfg.state_dir);
  TB_CALL(make_dir(S->cfg.state_dir));
  TB_CALL(make_dir(J->runs_dir));
  TB_CALL(make_dir(J->tmp_dir));
  TB_CALL(lock_state(S));
  TB_CALL(find_programs(S));
  TB_CALL(tb_store_open(&J->store, db));
  TB_CALL(reconcile(S));
  if (pthread_create(&J->thread, NULL, runner_main, S)) return TB_ERR(TB_ERR_INTERNAL, "cannot start the runs thread");
  J->thread_started = 1;
  return TB_OK;
}

void tb_runner_close(tb_srv *S) {
  tb_serve_jobs *J = S->jobs;
  if (!J) return;
  if (J->thread_started) {
    pthread_mutex_lock(&J->lock);
    J->stop = 1;
    pthread_cond_signal(&J->cond);
    pthread_mutex_unlock(&J->lock);
    pthread_join(J->thread, NULL);
  }
  tb_store_close(J->store);
  if (J->lock_fd >= 0) close(J->lock_fd);
  pthread_mutex_destroy(&J->lock);
  pthread_cond_destroy(&J->cond);
  free(J);
  S->jobs = NULL;
}
