/* The checks of a submission (see tb_serve_submit.h). */
#include "tb_serve_submit.h"
#include "tb_config.h"
#include "tb_error.h"
#include "tb_serve_json.h"
#include "tb_serve_path.h"
#include "tb_serve_runner.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REL_MAX 1100

static int is_path_key(const char *k) {
  return !strcmp(k, "input.file") || !strcmp(k, "output.file") || !strcmp(k, "checkpoint.dir");
}

/* Copy a path; one too long for REL_MAX keeps more than tb_path_resolve accepts, so it is refused there. */
static void copy_rel(char *out, const char *value) {
  size_t l = strlen(value);
  if (l >= REL_MAX) l = REL_MAX - 1;
  memcpy(out, value, l);
  out[l] = 0;
}

/* The config parser joined a relative path of the file with the file's folder: take it back off. */
static void from_config(const char *dir, const char *value, char *out) {
  size_t l = strlen(dir);
  if (!strncmp(value, dir, l) && value[l] == '/') value += l + 1;
  copy_rel(out, value);
}

/* A problem from the config parser, naming the config and the override, never the folder it sits in. */
static int config_problem(tb_srv *S, const char *dir, tb_resp *r) {
  char msg[1024], path[4200];
  snprintf(msg, sizeof msg, "%s", tb_error_message());
  tb_error_clear();
  snprintf(path, sizeof path, "%s/config.ini", dir);
  size_t l = strlen(path);
  for (char *p = strstr(msg, path); p; p = strstr(p, path)) { /* "DIR/config.ini:3: ..." -> "config:3: ..." */
    memmove(p + 6, p + l, strlen(p + l) + 1);
    memcpy(p, "config", 6);
  }
  if (!strncmp(msg, "--set", 5)) memmove(msg, msg + 2, strlen(msg + 2) + 1);
  tb_runner_scrub(S, 0, msg, sizeof msg);
  return tb_resp_problem(r, 422, "bad-config", "%s", msg), -1;
}

static int value_text(const char *key, json_t *v, char *out, size_t n, tb_resp *r) {
  if (json_is_string(v)) snprintf(out, n, "%s", json_string_value(v));
  else if (json_is_integer(v)) snprintf(out, n, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v)) snprintf(out, n, "%.17g", json_real_value(v));
  else if (json_is_boolean(v)) snprintf(out, n, "%s", json_is_true(v) ? "true" : "false");
  else return tb_resp_problem(r, 400, "bad-field", "set.%.100s must be a string, number or boolean", key), -1;
  if (strchr(out, '\n') || strlen(out) >= n - 1)
    return tb_resp_problem(r, 400, "bad-field", "set.%.100s: one line of at most %zu characters", key, n - 2), -1;
  return 0;
}

/* Apply the overrides that are not paths; remember the paths (checked against the data root later). */
static int apply_sets(tb_srv *S, const char *dir, tb_config *c, json_t *set, json_t *norm, char *input,
                      char *output, tb_resp *r) {
  const char *k;
  json_t *v;
  char text[4096], kv[4300];
  json_object_foreach(set, k, v) {
    if (value_text(k, v, text, sizeof text, r)) return -1;
    if (!strcmp(k, "input.file")) copy_rel(input, text);
    else if (!strcmp(k, "output.file")) copy_rel(output, text);
    else if (!strcmp(k, "checkpoint.dir")) snprintf(c->ckpt_dir, sizeof c->ckpt_dir, "%s", text);
    else {
      snprintf(kv, sizeof kv, "%s=%s", k, text);
      if (tb_config_set(c, kv)) return config_problem(S, dir, r);
    }
    if (!is_path_key(k) && json_object_set_new(norm, k, json_string(text)))
      return tb_resp_problem(r, 500, "internal", "out of memory"), -1;
  }
  return 0;
}

/* A path inside the data root and outside the state folder, as its normalised relative form. */
static int checked_path(tb_srv *S, const char *rel, int mode, const char *field, char *out, tb_resp *r) {
  char abs[PATH_MAX], state[PATH_MAX];
  if (tb_path_resolve(S, rel, mode, field, abs, sizeof abs, r)) return -1;
  if (realpath(S->cfg.state_dir, state)) {
    size_t l = strlen(state);
    if (!strncmp(abs, state, l) && (abs[l] == '/' || !abs[l]))
      return tb_resp_problem(r, 403, "outside-data-root", "%s '%.200s' is inside the server's own state folder",
                             field, rel), -1;
  }
  copy_rel(out, tb_path_relative(S, abs));
  return 0;
}

int tb_submit_config(tb_srv *S, const char *dir, json_t *set, json_t **norm, char *input, char *output, int *sweep,
                     int *overwrite, tb_resp *r) {
  char path[4200], ckpt[REL_MAX] = "";
  *norm = json_object();
  tb_config *c = malloc(sizeof *c);
  if (!c || !*norm) return free(c), tb_resp_problem(r, 500, "internal", "out of memory"), -1;
  snprintf(path, sizeof path, "%s/config.ini", dir);
  tb_config_defaults(c);
  int rc = -1;
  if (tb_config_load(c, path)) {
    config_problem(S, dir, r);
    goto done;
  }
  from_config(dir, c->input_file, input);
  from_config(dir, c->output_file, output);
  if (apply_sets(S, dir, c, set, *norm, input, output, r)) goto done;
  from_config(dir, c->ckpt_dir, ckpt);
  snprintf(c->input_file, sizeof c->input_file, "x"); /* the paths are checked here, against the data root */
  snprintf(c->output_file, sizeof c->output_file, "x");
  if (tb_config_check(c)) {
    config_problem(S, dir, r);
    goto done;
  }
  if (ckpt[0]) {
    char norm_ckpt[REL_MAX];
    if (checked_path(S, ckpt, TB_PATH_NEW, "checkpoint.dir", norm_ckpt, r)) goto done;
    json_object_set_new(*norm, "checkpoint.dir", json_string(norm_ckpt));
  }
  *sweep = c->sweep_method != TB_SWEEP_NONE;
  *overwrite = c->overwrite;
  rc = 0;
done:
  free(c);
  if (rc) json_decref(*norm), *norm = NULL;
  return rc;
}

/* ---- the body ---- */

static const char *FIELDS[] = {"kind", "config", "input", "output", "set", "report", "ranks", "threads", "shards",
                               "overwrite"};

static int known_fields(json_t *body, tb_resp *r) {
  const char *k;
  json_t *v;
  json_object_foreach(body, k, v) {
    size_t i = 0;
    while (i < sizeof FIELDS / sizeof FIELDS[0] && strcmp(k, FIELDS[i])) i++;
    if (i == sizeof FIELDS / sizeof FIELDS[0])
      return tb_resp_problem(r, 400, "bad-field", "unknown field '%.100s' (fields: kind, config, input, output, set, "
                             "report, ranks, threads, shards, overwrite)", k), -1;
  }
  return 0;
}

static int flag(json_t *body, const char *key, int *out, tb_resp *r) {
  json_t *v = json_object_get(body, key);
  if (v && !json_is_boolean(v)) return tb_resp_problem(r, 400, "bad-field", "%s must be true or false", key), -1;
  *out = v && json_is_true(v);
  return 0;
}

static int whole(json_t *body, const char *key, int64_t lo, int64_t hi, int64_t def, int64_t *out, tb_resp *r) {
  if (tb_json_int(body, key, 0, def, out, "", r)) return -1;
  if (*out < lo || *out > hi)
    return tb_resp_problem(r, 400, "bad-field", "%s must be in [%lld, %lld]", key, (long long)lo, (long long)hi), -1;
  return 0;
}

/* Sizes and the executor's reach: ranks, threads, shards (a sharded sweep runs on Slurm only). */
static int check_sizes(tb_srv *S, json_t *body, int sweep, tb_run *run, tb_resp *r) {
  int rep;
  if (whole(body, "ranks", 1, 4096, S->cfg.ranks, &run->ranks, r) ||
      whole(body, "threads", 0, 1024, S->cfg.threads, &run->threads, r) ||
      whole(body, "shards", 1, 4096, 1, &run->shards, r) || flag(body, "report", &rep, r))
    return -1;
  if (run->shards > 1 && !sweep)
    return tb_resp_problem(r, 422, "bad-shards", "shards > 1 splits a sweep: the config has no [sweep]"), -1;
  if (run->shards > 1 && strcmp(S->cfg.executor, "slurm"))
    return tb_resp_problem(r, 422, "bad-shards", "shards > 1 needs the slurm executor (jobs/submit_sweep.sh); with "
                           "the local executor give ranks instead"), -1;
  if (run->shards > 1 && run->ranks > 1)
    return tb_resp_problem(r, 422, "bad-shards", "a sharded sweep runs one rank per shard: give shards or ranks"), -1;
  run->report_dir[0] = rep ? '-' : 0; /* placed beside the output below */
  return 0;
}

static int check_kind(json_t *body, int sweep, tb_run *run, tb_resp *r) {
  const char *kind = tb_json_str(body, "kind", 0, "", r);
  if (!kind && json_object_get(body, "kind")) return -1;
  if (kind && strcmp(kind, "run") && strcmp(kind, "sweep"))
    return tb_resp_problem(r, 400, "bad-field", "kind must be run or sweep"), -1;
  if (kind && (!strcmp(kind, "sweep")) != sweep)
    return tb_resp_problem(r, 422, "kind-mismatch", "kind is %s but the config %s", kind,
                           sweep ? "has a [sweep] method" : "has no [sweep] method"), -1;
  strcpy(run->kind, sweep ? "sweep" : "run");
  return 0;
}

/* Input must exist; an explicit output must not, unless overwrite; the report goes beside the output. */
static int check_files(tb_srv *S, json_t *body, const char *cfg_input, const char *cfg_output, int overwrite,
                       tb_run *run, tb_resp *r) {
  const char *in = tb_json_str(body, "input", 0, "", r), *out = tb_json_str(body, "output", 0, "", r);
  if ((!in && json_object_get(body, "input")) || (!out && json_object_get(body, "output"))) return -1;
  in = in ? in : cfg_input[0] ? cfg_input : NULL;
  out = out ? out : cfg_output[0] ? cfg_output : NULL;
  if (!in) return tb_resp_problem(r, 400, "missing-field", "input is required (or [input] file in the config)"), -1;
  if (checked_path(S, in, TB_PATH_EXISTING, "input", run->input, r)) return -1;
  int report = run->report_dir[0] == '-';
  run->report_dir[0] = 0, run->output[0] = 0;
  run->overwrite = overwrite;
  if (!out) { /* runs/ID/output.h5, made when the id is known; it belongs to the run */
    run->overwrite = 1;
    if (report) snprintf(run->report_dir, sizeof run->report_dir, "-");
    return 0;
  }
  if (checked_path(S, out, TB_PATH_NEW, "output", run->output, r)) return -1;
  if (!strcmp(run->output, run->input)) return tb_resp_problem(r, 409, "exists", "output would replace the input"), -1;
  char abs[8192];
  snprintf(abs, sizeof abs, "%s/%s", S->data_root, run->output);
  if (!overwrite && !access(abs, F_OK))
    return tb_resp_problem(r, 409, "exists", "output '%.200s' exists: pass \"overwrite\": true to replace it", out), -1;
  if (report) {
    size_t l = strlen(run->output);
    int h5 = l > 3 && !strcmp(run->output + l - 3, ".h5");
    snprintf(run->report_dir, sizeof run->report_dir, "%.*s.report", (int)(h5 ? l - 3 : l), run->output);
  }
  return 0;
}

int tb_submit_check(tb_srv *S, json_t *body, const char *dir, tb_run *run, tb_resp *r) {
  char cfg_in[REL_MAX] = "", cfg_out[REL_MAX] = "";
  int sweep = 0, overwrite = 0, ow_body = 0;
  json_t *set = json_object_get(body, "set"), *norm = NULL;
  if (known_fields(body, r) || flag(body, "overwrite", &ow_body, r)) return -1;
  if (set && !json_is_object(set))
    return tb_resp_problem(r, 400, "bad-field", "set must be an object of \"section.key\": value"), -1;
  if (tb_submit_config(S, dir, set, &norm, cfg_in, cfg_out, &sweep, &overwrite, r)) return -1;
  char *sets = json_dumps(norm, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(norm);
  if (!sets) return tb_resp_problem(r, 500, "internal", "out of memory"), -1;
  int too_long = strlen(sets) >= sizeof run->sets;
  snprintf(run->sets, sizeof run->sets, "%s", sets);
  free(sets);
  if (too_long) return tb_resp_problem(r, 413, "too-large", "set is too long (at most %zu characters)", sizeof run->sets - 1), -1;
  if (check_kind(body, sweep, run, r) || check_sizes(S, body, sweep, run, r) ||
      check_files(S, body, cfg_in, cfg_out, overwrite || ow_body, run, r))
    return -1;
  strcpy(run->executor, strcmp(S->cfg.executor, "slurm") ? "local" : "slurm");
  snprintf(run->state, sizeof run->state, "queued");
  run->exit_code = -1;
  return 0;
}
