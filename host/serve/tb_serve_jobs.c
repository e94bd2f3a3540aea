/* The runs endpoints (docs/api/runs.md): submit, list, state with long polling, cancel, resume, log,
 * summary, files, diff. The store (tb_serve_store.c) keeps the rows, the runner thread (tb_serve_runner.c)
 * starts and watches the processes; handlers only read rows and make short changes to them. */
#define _GNU_SOURCE /* mkdtemp, strverscmp */
#include "tb_serve_jobs.h"
#include "tb_error.h"
#include "tb_serve_json.h"
#include "tb_serve_results.h"
#include "tb_serve_runner.h"
#include "tb_serve_store.h"
#include "tb_serve_submit.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* data root + a run's relative path + a file name always fit */
#define ABS_MAX 8192

const char *const tb_run_state_names[TB_RUN_STATES] = {"queued", "running", "done", "failed", "checkpointed",
                                                       "cancelled", "lost"};

int tb_jobs_start(tb_srv *S) { return tb_runner_open(S); }

void tb_jobs_stop(tb_srv *S) { tb_runner_close(S); }

int tb_jobs_count_by_state(tb_srv *S, int64_t counts[TB_RUN_STATES]) {
  if (!S->jobs) return TB_ERR(TB_ERR_INTERNAL, "no job store");
  return tb_store_count(S->jobs->store, tb_run_state_names, TB_RUN_STATES, counts);
}

/* ---- a run as JSON ---- */

static json_t *iso_time(double t) {
  if (t <= 0) return json_null();
  time_t s = (time_t)t;
  struct tm tm;
  char buf[64];
  gmtime_r(&s, &tm);
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%03dZ", (int)((t - (double)s) * 1000));
  return json_string(buf);
}

/* x to a tenth (counts whole), or null when unknown (< 0) */
static json_t *tenth(double x) { return x < 0 ? json_null() : json_real(round(x * 10) / 10); }
static json_t *count(double x) { return x < 0 ? json_null() : json_integer((json_int_t)llround(x)); }

/* A running run's latest progress line, read from its log's tail at each request (nothing is stored). */
static json_t *progress_json(tb_srv *S, const tb_run *run) {
  tb_runner_progress p;
  double eta = -1;
  if (!tb_runner_progress_of(S, run, &p, &eta)) return json_null();
  return json_pack("{s:s, s:o, s:o, s:o, s:o, s:s}", "stage", p.stage, "done", count(p.done), "total",
                   count(p.total), "percent", tenth(p.percent), "eta_s", tenth(eta), "line", p.line);
}

static json_t *run_json(tb_srv *S, const tb_run *run) {
  json_t *sets = json_loads(run->sets, 0, NULL), *slurm = json_null(), *report = json_null();
  if (!strcmp(run->executor, "slurm"))
    slurm = json_pack("{s:s?, s:s?, s:s?}", "job", run->slurm_job[0] ? run->slurm_job : NULL, "array",
                      run->slurm_array[0] ? run->slurm_array : NULL, "state",
                      run->slurm_state[0] ? run->slurm_state : NULL);
  if (run->report_dir[0]) report = json_sprintf("%s/index.html", run->report_dir);
  return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:b, s:o, s:o, s:o, "
                   "s:o, s:o, s:o}",
                   "id", (json_int_t)run->id, "kind", run->kind, "state", run->state, "executor", run->executor,
                   "input", run->input, "output", run->output, "report", report, "set", sets ? sets : json_object(),
                   "ranks", (json_int_t)run->ranks, "threads", (json_int_t)run->threads, "shards",
                   (json_int_t)run->shards, "attempts", (json_int_t)run->attempts, "exit_code",
                   run->exit_code >= 0 ? json_integer(run->exit_code) : json_null(), "message",
                   run->message[0] ? json_string(run->message) : json_null(), "cancel_requested", run->cancel > 0,
                   "slurm", slurm, "created", iso_time(run->created), "queued", iso_time(run->queued), "started",
                   iso_time(run->started), "finished", iso_time(run->finished), "progress",
                   progress_json(S, run));
}

static int answer_run(tb_srv *S, tb_resp *r, int status, const tb_run *run) {
  json_t *j = run_json(S, run);
  if (!j) return tb_resp_problem(r, 500, "internal", "out of memory");
  return tb_resp_json(r, status, j);
}

/* The run of path argument i: 0, or -1 with a 404 problem. run may be large: the caller mallocs it. */
static int load_run(tb_srv *S, const tb_req *q, int i, tb_run *run, tb_resp *r) {
  const char *a = q->args[i];
  char *end;
  errno = 0;
  long long id = strtoll(a, &end, 10);
  int found = 0;
  if (errno || end == a || *end || id <= 0) return tb_resp_problem(r, 404, "no-run", "no run '%.40s'", a), -1;
  if (tb_store_get(S->jobs->store, id, run, &found)) return -2;
  if (!found) return tb_resp_problem(r, 404, "no-run", "no run %lld", id), -1;
  return 0;
}

/* A server opened without its job store (in process: the fuzz target, tools) has no runs to show. */
static int no_jobs(tb_resp *r) {
  return tb_resp_problem(r, 503, "no-runs", "this server process keeps no job store");
}

/* Handlers that work on one run: fetch it into a malloc'd row, call fn, free. */
static int with_run(tb_srv *S, const tb_req *q, tb_resp *r, int (*fn)(tb_srv *, const tb_req *, tb_resp *, tb_run *)) {
  if (!S->jobs) return no_jobs(r);
  tb_run *run = malloc(sizeof *run);
  if (!run) return tb_resp_problem(r, 503, "busy", "out of memory");
  int rc = load_run(S, q, 0, run, r);
  if (rc == 0) rc = fn(S, q, r, run);
  free(run);
  if (rc == -2) return TB_ERR(TB_ERR_INTERNAL, "job store failure");
  return rc > 0 ? rc : 0; /* a TB_ code: the HTTP layer answers 500 and logs it */
}

/* ---- submit ---- */

typedef struct {
  tb_srv *S;
  const char *tmp;
} commit_arg;

static int make_dir(const char *p) { return mkdir(p, 0755) && errno != EEXIST ? -1 : 0; }

/* runs/ID of the data root, made now; runs/ID-2, -3, ... when another job store (a server over the same data
 * root, or an earlier store) has one of that name: mkdir is atomic, so no two runs ever share a folder. */
static int default_output(tb_srv *S, tb_run *run) {
  char p[ABS_MAX], name[64];
  snprintf(p, sizeof p, "%s/runs", S->data_root);
  if (make_dir(p)) return TB_ERR(TB_ERR_OUTPUT, "cannot create runs/ in the data root: %s", strerror(errno));
  for (int k = 1; k <= 1000; k++) {
    snprintf(name, sizeof name, k == 1 ? "runs/%lld" : "runs/%lld-%d", (long long)run->id, k);
    snprintf(p, sizeof p, "%s/%s", S->data_root, name);
    if (mkdir(p, 0755) == 0) {
      snprintf(run->output, sizeof run->output, "%s/output.h5", name);
      if (run->report_dir[0]) snprintf(run->report_dir, sizeof run->report_dir, "%s/report", name);
      return TB_OK;
    }
    if (errno != EEXIST) break;
  }
  return TB_ERR(TB_ERR_OUTPUT, "cannot create runs/%lld in the data root: %s", (long long)run->id, strerror(errno));
}

/* Inside the insert's transaction: the checked folder becomes the run's, the default output is placed. */
static int commit_fn(void *a, tb_run *run) {
  commit_arg *c = a;
  char dir[4300], p[ABS_MAX];
  TB_CALL(tb_runner_path(c->S, run->id, NULL, dir, sizeof dir));
  if (rename(c->tmp, dir)) { /* a folder left by a submission the store never committed */
    snprintf(p, sizeof p, "%s/orphan-%lld-%ld", c->S->jobs->tmp_dir, (long long)run->id, (long)time(NULL));
    if (rename(dir, p) || rename(c->tmp, dir))
      return TB_ERR(TB_ERR_INTERNAL, "cannot make the run's folder %s: %s", dir, strerror(errno));
  }
  int e = run->output[0] ? TB_OK : default_output(c->S, run);
  if (e) {
    rename(dir, c->tmp); /* the caller removes it */
    return e;
  }
  run->created = run->queued = run->changed = tb_wall();
  return TB_OK;
}

static void remove_tmp(const char *dir) {
  char p[ABS_MAX];
  snprintf(p, sizeof p, "%s/config.ini", dir);
  unlink(p);
  rmdir(dir);
}

static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "we");
  if (!f) return -1;
  int bad = fputs(text, f) < 0;
  return fclose(f) || bad ? -1 : 0;
}

static int submit(tb_srv *S, json_t *body, tb_run *run, tb_resp *r) {
  char dir[4300], p[4400];
  const char *config = tb_json_str(body, "config", 1, "", r);
  if (!config) return 0;
  snprintf(dir, sizeof dir, "%s/submit-XXXXXX", S->jobs->tmp_dir);
  if (!mkdtemp(dir)) return TB_ERR(TB_ERR_OUTPUT, "cannot create a folder in the state folder: %s", strerror(errno));
  snprintf(p, sizeof p, "%s/config.ini", dir);
  if (write_file(p, config)) {
    remove_tmp(dir);
    return TB_ERR(TB_ERR_OUTPUT, "cannot write a config in the state folder: %s", strerror(errno));
  }
  memset(run, 0, sizeof *run);
  if (tb_submit_check(S, body, dir, run, r)) return remove_tmp(dir), 0;
  commit_arg c = {S, dir};
  if (tb_store_insert(S->jobs->store, run, commit_fn, &c)) {
    remove_tmp(dir);
    if (tb_error_code() == TB_ERR_OUTPUT) { /* the data root refuses the run's folder: say so, not a 500 */
      char msg[512];
      snprintf(msg, sizeof msg, "%s", tb_error_message());
      tb_error_clear();
      return tb_resp_problem(r, 403, "forbidden", "%s", msg);
    }
    return -1;
  }
  tb_runner_kick(S);
  tb_srv_changed(S);
  snprintf(r->location, sizeof r->location, "/v1/runs/%lld", (long long)run->id);
  return answer_run(S, r, 202, run);
}

int tb_h_runs_submit(tb_srv *S, const tb_req *q, tb_resp *r) {
  if (!S->jobs) return no_jobs(r);
  json_t *body = tb_json_body(S, q, r);
  if (!body) return 0;
  tb_run *run = malloc(sizeof *run);
  int rc = run ? submit(S, body, run, r) : tb_resp_problem(r, 503, "busy", "out of memory");
  free(run);
  json_decref(body);
  return rc;
}

/* ---- list, state ---- */

static int state_index(const char *s) {
  for (int i = 0; i < TB_RUN_STATES; i++)
    if (!strcmp(s, tb_run_state_names[i])) return i;
  return -1;
}

int tb_h_runs_list(tb_srv *S, const tb_req *q, tb_resp *r) {
  if (!S->jobs) return no_jobs(r);
  const char *state = tb_req_query(q, "state"), *kind = tb_req_query(q, "kind");
  double limit, before;
  if (state && state_index(state) < 0)
    return tb_resp_problem(r, 400, "bad-parameter", "state must be one of queued, running, done, failed, "
                           "checkpointed, cancelled, lost");
  if (kind && strcmp(kind, "run") && strcmp(kind, "sweep"))
    return tb_resp_problem(r, 400, "bad-parameter", "kind must be run or sweep");
  if (tb_req_query_num(q, "limit", 1, 1000, 100, &limit, r) || tb_req_query_num(q, "before", 0, 9e15, 0, &before, r))
    return 0;
  if (limit != (int)limit || before != (int64_t)before)
    return tb_resp_problem(r, 400, "bad-parameter", "limit and before are whole numbers");
  tb_run *runs;
  int n;
  TB_CALL(tb_store_list(S->jobs->store, state, kind, (int64_t)before, (int)limit, &runs, &n));
  json_t *list = json_array(), *next = json_null();
  for (int i = 0; i < n; i++) json_array_append_new(list, run_json(S, &runs[i]));
  if (n == (int)limit && n > 0)
    next = json_sprintf("/v1/runs?before=%lld&limit=%d%s%s%s%s", (long long)runs[n - 1].id, (int)limit,
                        state ? "&state=" : "", state ? state : "", kind ? "&kind=" : "", kind ? kind : "");
  free(runs);
  return tb_resp_json(r, 200, json_pack("{s:o, s:o}", "runs", list, "next", next));
}

/* ?wait=S long poll: answer when the state differs from ?since= (default: the state when asked) or after
 * min(wait, [limits] max_wait). The HTTP layer runs this again (woken) on every change of any run. */
static int get_run(tb_srv *S, const tb_req *q, tb_resp *r, tb_run *run) {
  double wait;
  const char *since = tb_req_query(q, "since");
  if (tb_req_query_num(q, "wait", 0, 86400, 0, &wait, r)) return 0;
  if (since && state_index(since) < 0)
    return tb_resp_problem(r, 400, "bad-parameter", "since must be a run state (queued, running, done, ...)");
  answer_run(S, r, 200, run);
  if (wait <= 0) return 0;
  double deadline = q->t_start + (wait < S->cfg.max_wait ? wait : S->cfg.max_wait);
  double arrived = tb_wall() - (tb_now() - q->t_start);
  int moved = since ? strcmp(run->state, since) != 0 : (q->woken && run->changed > arrived);
  if (!moved && tb_now() < deadline) r->park_until = deadline, r->park_job = run->id;
  return 0;
}

int tb_h_run_get(tb_srv *S, const tb_req *q, tb_resp *r) { return with_run(S, q, r, get_run); }

/* ---- cancel, resume ---- */

typedef struct {
  int status; /* the answer: 200 cancelled now, 202 asked, 409 finished */
  char state[16];
} cancel_arg;

static int cancel_fn(tb_run *run, void *a) {
  cancel_arg *c = a;
  memcpy(c->state, run->state, sizeof c->state);
  if (tb_runner_final(run->state)) return c->status = 409, 0;
  if (!strcmp(run->state, "queued") && !run->launching && !run->slurm_job[0]) {
    snprintf(run->state, sizeof run->state, "cancelled");
    snprintf(run->message, sizeof run->message, "cancelled through the API before it started");
    run->cancel = 1, run->finished = run->changed = tb_wall();
    return c->status = 200, 1;
  }
  c->status = 202;
  if (run->cancel == 0) run->cancel = 1; /* the runner signals it: it stops at a safe point */
  else if (run->cancel == 2) run->cancel = 3; /* asked again: force it */
  return 1;
}

static int cancel_run(tb_srv *S, const tb_req *q, tb_resp *r, tb_run *run) {
  (void)q;
  cancel_arg c = {0, ""};
  int found;
  TB_CALL(tb_store_modify(S->jobs->store, run->id, cancel_fn, &c, &found));
  if (c.status == 409)
    return tb_resp_problem(r, 409, "finished", "run %lld is already %s", (long long)run->id, c.state);
  tb_runner_kick(S);
  tb_srv_changed(S);
  TB_CALL(tb_store_get(S->jobs->store, run->id, run, &found));
  return answer_run(S, r, c.status, run);
}

int tb_h_run_cancel(tb_srv *S, const tb_req *q, tb_resp *r) { return with_run(S, q, r, cancel_run); }

typedef struct {
  int status;
  const char *sets;
} resume_arg;

static int resume_fn(tb_run *run, void *a) {
  resume_arg *c = a;
  if (!strcmp(run->state, "done") || !tb_runner_final(run->state)) return c->status = 409, 0;
  double now = tb_wall();
  snprintf(run->state, sizeof run->state, "queued");
  if (c->sets) snprintf(run->sets, sizeof run->sets, "%s", c->sets);
  run->resume = 1, run->cancel = 0, run->phase = 0, run->launching = 0, run->exit_code = -1, run->epoch++;
  run->message[0] = run->slurm_job[0] = run->slurm_array[0] = run->slurm_state[0] = 0;
  run->mon_pid = run->mon_start = run->pid = run->pid_start = 0;
  run->queued = run->changed = now, run->finished = 0;
  return c->status = 202, 1;
}

/* New overrides for the next attempt, checked against the run's config like a submission's. */
static int resume_sets(tb_srv *S, const tb_req *q, tb_run *run, char **sets, tb_resp *r) {
  *sets = NULL;
  if (!q->body_len) return 0;
  json_t *body = tb_json_body(S, q, r), *set, *old = json_loads(run->sets, 0, NULL), *norm = NULL;
  if (!body) return json_decref(old), -1;
  set = json_object_get(body, "set");
  int rc = -1, sweep, overwrite;
  char in[1100] = "", out[1100] = "", dir[4300];
  if (json_object_size(body) > (set ? 1u : 0u)) tb_resp_problem(r, 400, "bad-field", "resume takes only \"set\"");
  else if (set && !json_is_object(set)) tb_resp_problem(r, 400, "bad-field", "set must be an object");
  else if (set && (json_object_get(set, "input.file") || json_object_get(set, "output.file")))
    tb_resp_problem(r, 422, "bad-config", "a resumed run keeps its input and output");
  else if (!set || !old) rc = 0;
  else if (!json_object_update(old, set) && !tb_runner_path(S, run->id, NULL, dir, sizeof dir) &&
           !tb_submit_config(S, dir, old, &norm, in, out, &sweep, &overwrite, r)) {
    *sets = json_dumps(norm, JSON_COMPACT | JSON_SORT_KEYS);
    rc = *sets && strlen(*sets) < sizeof run->sets ? 0 : (tb_resp_problem(r, 413, "too-large", "set is too long"), -1);
  }
  json_decref(norm), json_decref(old), json_decref(body);
  return rc;
}

static int resume_run(tb_srv *S, const tb_req *q, tb_resp *r, tb_run *run) {
  resume_arg c = {0, NULL};
  char *sets;
  if (!strcmp(run->state, "done") || !tb_runner_final(run->state))
    return tb_resp_problem(r, 409, "not-resumable", "run %lld is %s: only a checkpointed, cancelled, failed or lost "
                           "run resumes", (long long)run->id, run->state);
  if (resume_sets(S, q, run, &sets, r)) return free(sets), 0;
  c.sets = sets;
  int found, rc = tb_store_modify(S->jobs->store, run->id, resume_fn, &c, &found);
  free(sets);
  TB_CALL(rc);
  if (c.status == 409) return tb_resp_problem(r, 409, "not-resumable", "run %lld is no longer resumable", (long long)run->id);
  tb_runner_kick(S);
  tb_srv_changed(S);
  TB_CALL(tb_store_get(S->jobs->store, run->id, run, &found));
  snprintf(r->location, sizeof r->location, "/v1/runs/%lld", (long long)run->id);
  return answer_run(S, r, 202, run);
}

int tb_h_run_resume(tb_srv *S, const tb_req *q, tb_resp *r) { return with_run(S, q, r, resume_run); }

/* ---- log ---- */

static int is_shard_log(const struct dirent *d) {
  return !strncmp(d->d_name, "tradebal-sweep-", 15) || !strncmp(d->d_name, "tradebal-merge-", 15);
}

/* The shards' and the merge's logs, in that order (versionsort: shard 10 after shard 9). */
static int shard_log_order(const struct dirent **a, const struct dirent **b) {
  int ma = (*a)->d_name[9] == 'm', mb = (*b)->d_name[9] == 'm';
  return ma != mb ? ma - mb : strverscmp((*a)->d_name, (*b)->d_name);
}

/* Append a file to a growing buffer (at most cap bytes in all). */
static int append_file(const char *path, char **buf, size_t *len, size_t cap) {
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && *len < cap) {
    if (n > cap - *len) n = cap - *len;
    char *g = realloc(*buf, *len + n + 1);
    if (!g) return fclose(f), -1;
    *buf = g;
    memcpy(*buf + *len, chunk, n);
    *len += n;
  }
  fclose(f);
  return 0;
}

/* A sharded sweep's log: the run's own, then every shard's and the merge's, joined at the time of asking. */
static int joined_log(tb_srv *S, const tb_run *run, double offset, tb_resp *r) {
  char dir[4300], p[4600];
  char *buf = NULL;
  size_t len = 0, cap = 64u << 20;
  tb_runner_path(S, run->id, NULL, dir, sizeof dir);
  snprintf(p, sizeof p, "%s/log", dir);
  int bad = append_file(p, &buf, &len, cap);
  struct dirent **names = NULL;
  int n = scandir(dir, &names, is_shard_log, shard_log_order);
  for (int i = 0; i < n; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, names[i]->d_name);
    if (!bad) bad = append_file(p, &buf, &len, cap);
    free(names[i]);
  }
  free(names);
  if (bad) return free(buf), tb_resp_problem(r, 503, "busy", "out of memory reading the log");
  size_t off = offset < (double)len ? (size_t)offset : len;
  char *out = malloc(len - off + 1);
  if (!out) return free(buf), tb_resp_problem(r, 503, "busy", "out of memory reading the log");
  memcpy(out, buf ? buf + off : "", len - off);
  free(buf);
  return tb_resp_text(r, 200, "text/plain; charset=utf-8", out, len - off);
}

static int log_run(tb_srv *S, const tb_req *q, tb_resp *r, tb_run *run) {
  double offset;
  struct stat st;
  if (tb_req_query_num(q, "offset", 0, 9e15, 0, &offset, r)) return 0;
  if (run->shards > 1) return joined_log(S, run, offset, r);
  TB_CALL(tb_runner_path(S, run->id, "log", r->file, sizeof r->file));
  if (stat(r->file, &st) || (double)st.st_size <= offset) { /* nothing (new) yet */
    r->file[0] = 0;
    return tb_resp_text(r, 200, "text/plain; charset=utf-8", NULL, 0);
  }
  r->status = 200, r->content_type = "text/plain; charset=utf-8";
  r->file_offset = (int64_t)offset, r->file_len = (int64_t)st.st_size - (int64_t)offset;
  return 0;
}

int tb_h_run_log(tb_srv *S, const tb_req *q, tb_resp *r) { return with_run(S, q, r, log_run); }

/* ---- outputs: summary, files, diff ---- */

/* The absolute output of a finished run, or -1 with a 409 problem when it has none yet. */
static int output_of(tb_srv *S, const tb_run *run, char *abs, size_t n, tb_resp *r) {
  struct stat st;
  snprintf(abs, n, "%s/%s", S->data_root, run->output);
  if (strcmp(run->state, "done") || stat(abs, &st) || !S_ISREG(st.st_mode))
    return tb_resp_problem(r, 409, "no-output", "run %lld has no output yet (it is %s)", (long long)run->id,
                           run->state), -1;
  return 0;
}

static int summary_run(tb_srv *S, const tb_req *q, tb_resp *r, tb_run *run) {
  (void)q;
  char abs[ABS_MAX];
  json_t *j = NULL;
  if (output_of(S, run, abs, sizeof abs, r) || tb_results_summary(S, abs, &j, r)) return 0;
  return tb_resp_json(r, 200, j);
}

int tb_h_run_summary(tb_srv *S, const tb_req *q, tb_resp *r) { return with_run(S, q, r, summary_run); }

static int diff_run(tb_srv *S, const tb_req *q, tb_resp *r, tb_run *run) {
  char a[ABS_MAX], b[ABS_MAX];
  tb_run *other = malloc(sizeof *other);
  if (!other) return tb_resp_problem(r, 503, "busy", "out of memory");
  int rc = load_run(S, q, 1, other, r);
  json_t *j = NULL;
  if (!rc && !output_of(S, run, a, sizeof a, r) && !output_of(S, other, b, sizeof b, r) &&
      !tb_results_diff(S, a, b, &j, r))
    tb_resp_json(r, 200, j);
  free(other);
  return rc == -2 ? -2 : 0;
}

int tb_h_run_diff(tb_srv *S, const tb_req *q, tb_resp *r) { return with_run(S, q, r, diff_run); }

static int is_report_file(const struct dirent *d) { return d->d_name[0] != '.'; }

static json_t *file_entry(const char *name, const char *rel, const char *abs, const char *kind) {
  struct stat st;
  if (stat(abs, &st) || !S_ISREG(st.st_mode)) return NULL;
  return json_pack("{s:s, s:s, s:I, s:s}", "name", name, "path", rel, "size", (json_int_t)st.st_size, "kind", kind);
}

static int files_run(tb_srv *S, const tb_req *q, tb_resp *r, tb_run *run) {
  (void)q;
  char abs[ABS_MAX], rel[2048], p[ABS_MAX];
  if (output_of(S, run, abs, sizeof abs, r)) return 0;
  const char *base = strrchr(run->output, '/') ? strrchr(run->output, '/') + 1 : run->output;
  json_t *files = json_array(), *e = file_entry(base, run->output, abs, "output");
  if (e) json_array_append_new(files, e);
  struct dirent **names = NULL;
  snprintf(p, sizeof p, "%s/%s", S->data_root, run->report_dir);
  int n = run->report_dir[0] ? scandir(p, &names, is_report_file, alphasort) : 0;
  for (int i = 0; i < n; i++) {
    snprintf(rel, sizeof rel, "%s/%s", run->report_dir, names[i]->d_name);
    snprintf(p, sizeof p, "%s/%s", S->data_root, rel);
    if ((e = file_entry(names[i]->d_name, rel, p, "report"))) json_array_append_new(files, e);
    free(names[i]);
  }
  free(names);
  return tb_resp_json(r, 200, json_pack("{s:o}", "files", files));
}

int tb_h_run_files(tb_srv *S, const tb_req *q, tb_resp *r) { return with_run(S, q, r, files_run); }

static const char *content_type(const char *name) {
  const char *dot = strrchr(name, '.');
  if (dot && !strcmp(dot, ".h5")) return "application/x-hdf5";
  if (dot && !strcmp(dot, ".html")) return "text/html; charset=utf-8";
  if (dot && !strcmp(dot, ".png")) return "image/png";
  if (dot && !strcmp(dot, ".svg")) return "image/svg+xml";
  if (dot && !strcmp(dot, ".css")) return "text/css";
  return "application/octet-stream";
}

/* /files/NAME: the output by its name, or a file of the report (whose page links its figures by name). */
static int file_run(tb_srv *S, const tb_req *q, tb_resp *r, tb_run *run) {
  char abs[ABS_MAX];
  struct stat st;
  const char *name = q->args[1], *base = strrchr(run->output, '/') ? strrchr(run->output, '/') + 1 : run->output;
  if (output_of(S, run, abs, sizeof abs, r)) return 0;
  if (strcmp(name, base)) {
    if (!run->report_dir[0] || strchr(name, '/') || name[0] == '.' ||
        snprintf(abs, sizeof abs, "%s/%s/%s", S->data_root, run->report_dir, name) >= (int)sizeof abs)
      return tb_resp_problem(r, 404, "not-found", "run %lld has no file '%.100s'", (long long)run->id, name);
  }
  if (stat(abs, &st) || !S_ISREG(st.st_mode))
    return tb_resp_problem(r, 404, "not-found", "run %lld has no file '%.100s'", (long long)run->id, name);
  if (strlen(abs) >= sizeof r->file) return tb_resp_problem(r, 404, "not-found", "the file's path is too long");
  memcpy(r->file, abs, strlen(abs) + 1);
  r->status = 200, r->content_type = content_type(name);
  snprintf(r->disposition, sizeof r->disposition, "%s; filename=\"%.200s\"",
           strcmp(name, base) ? "inline" : "attachment", name);
  return 0;
}

int tb_h_run_file(tb_srv *S, const tb_req *q, tb_resp *r) { return with_run(S, q, r, file_run); }
