/* `tradebal serve` config: one table of keys drives the parser, the --set overrides and the docs. */
#include "tb_serve_config.h"
#include "tb_error.h"

#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TB_WEB_ROOT /* CMake defines it: web/dashboard/dist of the source tree */
#define TB_WEB_ROOT ""
#endif

enum { K_STR, K_INT, K_I64, K_DBL, K_BOOL };

typedef struct {
  const char *section, *key;
  int kind;
  size_t offset, size;
  double lo, hi;
  const char *def, *meaning;
} key_spec;

#define S(f) offsetof(tb_serve_config, f), sizeof(((tb_serve_config *)0)->f)
static const key_spec KEYS[] = {
    {"server", "bind", K_STR, S(bind), 0, 0, "127.0.0.1", "address to listen on (loopback by default)"},
    {"server", "port", K_INT, S(port), 0, 65535, "8080", "TCP port; 0 picks a free one (see port_file)"},
    {"server", "data_root", K_STR, S(data_root), 0, 0, ".", "folder holding inputs, configs and outputs; no request path leaves it"},
    {"server", "state_dir", K_STR, S(state_dir), 0, 0, "DATA_ROOT/.tradebal-serve", "job store (SQLite, WAL) and one folder per run"},
    {"server", "token_file", K_STR, S(token_file), 0, 0, "", "bearer tokens, one `sha256 scopes name` line each (`tradebal serve token`)"},
    {"server", "auth", K_STR, 0, 0, 0, 0, "tokens", "tokens, or none (every caller may do everything; loopback binds only)"},
    {"server", "port_file", K_STR, S(port_file), 0, 0, "", "write the bound port here once listening"},
    {"server", "web_root", K_STR, S(web_root), 0, 0, "web/dashboard/dist of the source tree, when built",
     "static files served at / (the dashboard, docs/dashboard.md); none serves none"},
    {"limits", "max_body", K_I64, S(max_body), 1024, 1e10, "16777216", "bytes of a request body (413 beyond)"},
    {"limits", "max_batch", K_I64, S(max_batch), 1, 1e8, "100000", "deals in one evaluate batch (413 beyond)"},
    {"limits", "max_json_depth", K_INT, S(max_json_depth), 2, 1000, "32", "nesting of a JSON body (400 beyond)"},
    {"limits", "workers", K_INT, S(workers), 0, 1024, "0", "worker threads for the quick checks and file reads (0: one per CPU)"},
    {"limits", "queue", K_INT, S(queue), 0, 1e6, "256", "requests waiting for a worker; beyond it 503 with Retry-After"},
    {"limits", "io_threads", K_INT, S(io_threads), 1, 64, "2", "HTTP threads"},
    {"limits", "max_connections", K_INT, S(max_connections), 16, 1e6, "8192", "open connections"},
    {"limits", "connection_timeout", K_INT, S(connection_timeout), 1, 86400, "30", "seconds an idle connection is kept"},
    {"limits", "queue_timeout", K_DBL, S(queue_timeout), 0.001, 3600, "5", "seconds a request may wait for a worker (then 503)"},
    {"limits", "max_wait", K_DBL, S(max_wait), 0, 3600, "60", "longest ?wait= of a long poll, seconds"},
    {"limits", "max_parked", K_INT, S(max_parked), 0, 1e6, "4096", "long polls held at once; beyond it a long poll answers at once"},
    {"limits", "max_slice", K_I64, S(max_slice), 1, 1e10, "4194304", "elements of one h5grove data answer (413 beyond)"},
    {"runs", "executor", K_STR, S(executor), 0, 0, "local", "local (child processes, mpiexec for ranks > 1) or slurm (sbatch, sacct)"},
    {"runs", "max_running", K_INT, S(max_running), 1, 1024, "1", "local runs at once; more wait queued"},
    {"runs", "ranks", K_INT, S(ranks), 1, 65536, "1", "MPI ranks of a run"},
    {"runs", "threads", K_INT, S(threads), 0, 1024, "0", "backend.threads of a run (0: the program's default)"},
    {"runs", "mpiexec", K_STR, S(mpiexec), 0, 0, "mpiexec", "launcher for ranks > 1"},
    {"runs", "sbatch_args", K_STR, S(sbatch_args), 0, 0, "", "extra sbatch options, e.g. -p debug"},
    {"runs", "jobs_dir", K_STR, S(jobs_dir), 0, 0, "jobs/ of the source tree", "the Slurm job scripts"},
    {"runs", "tradebal", K_STR, S(tradebal), 0, 0, "this program", "the tradebal program runs use"},
    {"runs", "poll_interval", K_DBL, S(poll_interval), 0.05, 3600, "2", "seconds between Slurm polls (one sacct call for all jobs)"},
};
#undef S
#define NKEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

static int set_key(tb_serve_config *c, const key_spec *k, const char *v, const char *where) {
  char *p = (char *)c + k->offset, *end;
  if (!strcmp(k->key, "auth")) {
    if (strcmp(v, "none") && strcmp(v, "tokens"))
      return TB_ERR(TB_ERR_USAGE, "%s: [server] auth must be tokens or none, got '%s'", where, v);
    c->auth_none = !strcmp(v, "none");
    return TB_OK;
  }
  errno = 0;
  if (k->kind == K_STR) {
    if (strlen(v) >= k->size) return TB_ERR(TB_ERR_USAGE, "%s: [%s] %s is too long", where, k->section, k->key);
    memcpy(p, v, strlen(v) + 1);
    return TB_OK;
  }
  double x = strtod(v, &end);
  if (end == v || *end || errno || x < k->lo || x > k->hi || (k->kind != K_DBL && x != (double)(int64_t)x))
    return TB_ERR(TB_ERR_USAGE, "%s: [%s] %s must be %s in [%g, %g], got '%s'", where, k->section, k->key,
                  k->kind == K_DBL ? "a number" : "an integer", k->lo, k->hi, v);
  int i = (int)x; /* memcpy: the field's type is known only from the table */
  int64_t l = (int64_t)x;
  if (k->kind == K_INT) memcpy(p, &i, sizeof i);
  else if (k->kind == K_I64) memcpy(p, &l, sizeof l);
  else memcpy(p, &x, sizeof x);
  return TB_OK;
}

static const key_spec *find(const char *section, const char *key) {
  for (int i = 0; i < NKEYS; i++)
    if (!strcmp(KEYS[i].section, section) && !strcmp(KEYS[i].key, key)) return &KEYS[i];
  return NULL;
}

void tb_serve_config_defaults(tb_serve_config *c) {
  memset(c, 0, sizeof *c);
  for (int i = 0; i < NKEYS; i++) /* "this program", "DATA_ROOT/..." are described, resolved later */
    if (!strchr(KEYS[i].def, ' ') && strncmp(KEYS[i].def, "DATA_ROOT", 9))
      (void)set_key(c, &KEYS[i], KEYS[i].def, "defaults");
}

static int is_path_key(const key_spec *k) {
  static const char *const PATHS[] = {"data_root", "state_dir", "token_file", "port_file", "web_root", "jobs_dir",
                                      "tradebal"};
  for (size_t i = 0; i < sizeof PATHS / sizeof PATHS[0]; i++)
    if (!strcmp(k->key, PATHS[i])) return 1;
  return 0;
}

typedef struct {
  tb_serve_config *c;
  const char *path;
  int rc;
} load_ctx;

static int on_key(void *user, const char *section, const char *key, const char *value) {
  load_ctx *L = user;
  char where[4200];
  snprintf(where, sizeof where, "%s", L->path);
  const key_spec *k = find(section, key);
  char joined[8192];
  int word = !strcmp(k ? k->key : "", "web_root") && !strcmp(value, "none"); /* a value, not a file */
  if (k && is_path_key(k) && !word && value[0] && value[0] != '/' && (strcmp(k->key, "tradebal") || strchr(value, '/'))) {
    /* relative paths are relative to the config's folder, as in a run's config */
    const char *slash = strrchr(L->path, '/');
    snprintf(joined, sizeof joined, "%.*s%s", slash ? (int)(slash - L->path + 1) : 0, L->path, value);
    value = joined;
  }
  if (!k) L->rc = TB_ERR(TB_ERR_USAGE, "%s: unknown key [%s] %s (see docs/api.md, Configuration)", where, section, key);
  else L->rc = set_key(L->c, k, value, where);
  return L->rc == TB_OK;
}

int tb_serve_config_load(tb_serve_config *c, const char *path) {
  load_ctx L = {c, path, TB_OK};
  int r = ini_parse(path, on_key, &L);
  if (L.rc) return L.rc;
  if (r < 0) return TB_ERR(TB_ERR_USAGE, "%s: cannot read the config (%s)", path, strerror(errno));
  if (r > 0) return TB_ERR(TB_ERR_USAGE, "%s:%d: not an INI line", path, r);
  return TB_OK;
}

int tb_serve_config_set(tb_serve_config *c, const char *kv) {
  char sec[64], key[64];
  const char *dot = strchr(kv, '.'), *eq = strchr(kv, '=');
  if (!dot || !eq || dot > eq || dot - kv >= 64 || eq - dot - 1 >= 64)
    return TB_ERR(TB_ERR_USAGE, "--set needs section.key=value, got '%s'", kv);
  snprintf(sec, sizeof sec, "%.*s", (int)(dot - kv), kv);
  snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
  const key_spec *k = find(sec, key);
  if (!k) return TB_ERR(TB_ERR_USAGE, "--set: unknown key [%s] %s (see docs/api.md, Configuration)", sec, key);
  return set_key(c, k, eq + 1, "--set");
}

static int is_loopback(const char *a) {
  return !strncmp(a, "127.", 4) || !strcmp(a, "::1") || !strcmp(a, "localhost");
}

/* A function, not the macro in place: "" (no dashboard built) would make a constant operand of && there. */
static const char *built_web_root(void) { return TB_WEB_ROOT; }

int tb_serve_config_check(tb_serve_config *c) {
  char real[4096];
  if (!realpath(c->data_root, real))
    return TB_ERR(TB_ERR_USAGE, "[server] data_root %s: %s", c->data_root, strerror(errno));
  snprintf(c->data_root, sizeof c->data_root, "%s", real);
  if (!c->state_dir[0] && snprintf(c->state_dir, sizeof c->state_dir, "%s/.tradebal-serve", real) >= (int)sizeof c->state_dir)
    return TB_ERR(TB_ERR_USAGE, "[server] state_dir: path too long");
  if (strcmp(c->executor, "local") && strcmp(c->executor, "slurm"))
    return TB_ERR(TB_ERR_USAGE, "[runs] executor must be local or slurm, got '%s'", c->executor);
  if (c->auth_none && !is_loopback(c->bind))
    return TB_ERR(TB_ERR_USAGE, "[server] auth = none is refused on a non-loopback bind (%s): give a token_file", c->bind);
  if (!c->auth_none && !c->token_file[0])
    return TB_ERR(TB_ERR_USAGE, "[server] token_file is required (or auth = none on loopback); "
                                "make one with `tradebal serve token`");
  /* the dashboard this build made (`npm run build` of web/, by CMake), used when it is there */
  struct stat st;
  const char *built = built_web_root();
  if (!strcmp(c->web_root, "none")) c->web_root[0] = 0;
  else if (!c->web_root[0] && built[0] && !stat(built, &st) && S_ISDIR(st.st_mode) &&
           snprintf(c->web_root, sizeof c->web_root, "%s", built) >= (int)sizeof c->web_root)
    c->web_root[0] = 0;
  if (c->workers == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    c->workers = n > 0 ? (int)n : 1;
  }
  return TB_OK;
}

void tb_serve_config_doc(void *file) {
  FILE *f = file;
  fprintf(f, "| section | key | default | meaning |\n|---|---|---|---|\n");
  for (int i = 0; i < NKEYS; i++)
    fprintf(f, "| [%s] | %s | %s | %s |\n", KEYS[i].section, KEYS[i].key, KEYS[i].def, KEYS[i].meaning);
}
