/* The serve command: config, tokens, job store, listening, and a clean stop on SIGTERM or SIGINT. */
#include "tb_serve_server.h"
#include "tb_error.h"
#include "tb_serve_auth.h"
#include "tb_serve_http.h"
#include "tb_serve_jobs.h"
#include "tb_serve_json.h"
#include "tb_serve_quick.h"
#include "tb_serve_results.h"
#include "tb_serve_routes.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { g_stop = sig; }

int tb_serve_open(tb_srv *S, const tb_serve_config *cfg, int with_jobs) {
  memset(S, 0, sizeof *S);
  S->cfg = *cfg;
  snprintf(S->data_root, sizeof S->data_root, "%s", cfg->data_root);
  tb_srv_init(S);
  if (!cfg->auth_none) TB_CALL(tb_tokens_load(&S->tokens, cfg->token_file));
  TB_CALL(tb_quick_init(S));
  if (with_jobs) TB_CALL(tb_jobs_start(S));
  return TB_OK;
}

void tb_serve_close(tb_srv *S) {
  if (S->jobs) tb_jobs_stop(S);
  tb_quick_free(S);
  tb_tokens_free(S->tokens);
  S->tokens = NULL;
  tb_srv_destroy(S);
}

static void raise_fd_limit(void) { /* thousands of concurrent clients need as many descriptors */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static int write_port(const char *path, int port) {
  char tmp[PATH_MAX + 8];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) || rename(tmp, path))
    return TB_ERR(TB_ERR_OUTPUT, "[server] port_file %s: %s", path, strerror(errno));
  return TB_OK;
}

static int serve(tb_serve_config *cfg) {
  static tb_srv S;
  TB_CALL(tb_serve_config_check(cfg));
  raise_fd_limit();
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  int rc = tb_serve_open(&S, cfg, 1), port = 0;
  if (!rc) rc = tb_http_start(&S, &port);
  if (!rc && cfg->port_file[0]) rc = write_port(cfg->port_file, port);
  if (!rc) {
    fprintf(stderr, "tradebal serve: listening on http://%s%s%s:%d/v1 (data root %s, %s executor, %d workers, "
                    "queue %d)\n", strchr(cfg->bind, ':') ? "[" : "", cfg->bind, strchr(cfg->bind, ':') ? "]" : "",
            port, S.data_root, cfg->executor, cfg->workers, cfg->queue);
    if (cfg->web_root[0])
      fprintf(stderr, "tradebal serve: the dashboard at http://%s%s%s:%d/ (from %s)\n", strchr(cfg->bind, ':') ? "[" : "",
              cfg->bind, strchr(cfg->bind, ':') ? "]" : "", port, cfg->web_root);
    /* not pause(): a signal that lands between the test and the call, or on another thread, would be lost */
    struct timespec tick = {0, 100 * 1000 * 1000};
    while (!g_stop) nanosleep(&tick, NULL);
    fprintf(stderr, "tradebal serve: signal %d: stopping (runs keep going; a restart picks them up)\n", (int)g_stop);
  }
  tb_http_stop(&S);
  tb_serve_close(&S);
  return rc;
}

/* `tradebal serve summary OUT.h5` and `serve diff A.h5 B.h5 [--tolerance T]`: the JSON the runs endpoints
 * answer, printed, for nightly scripts (no server: files are named relative to the working folder). */
static int results_cli(int argc, char **argv) {
  static tb_srv S;
  char real[2][PATH_MAX];
  double tol = TB_RESULTS_TOLERANCE;
  int nfiles = !strcmp(argv[0], "diff") ? 2 : 1, n = 0;
  for (int i = 1; i < argc; i++) {
    char *end;
    if (!strcmp(argv[i], "--tolerance") && nfiles == 2 && i + 1 < argc) {
      tol = strtod(argv[++i], &end);
      if (*end || end == argv[i] || !(tol >= 0))
        return TB_ERR(TB_ERR_USAGE, "serve diff: --tolerance takes a number >= 0, got '%s'", argv[i]);
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return TB_ERR(TB_ERR_USAGE, "serve %s: unknown option '%s'", argv[0], argv[i]);
    } else if (n == nfiles) {
      return TB_ERR(TB_ERR_USAGE, "serve %s: one file too many ('%s')", argv[0], argv[i]);
    } else if (!realpath(argv[i], real[n++])) {
      return TB_ERR(TB_ERR_INPUT, "%s: %s", argv[i], strerror(errno));
    }
  }
  if (n != nfiles)
    return TB_ERR(TB_ERR_USAGE, nfiles == 2 ? "usage: tradebal serve diff A.h5 B.h5 [--tolerance T]"
                                            : "usage: tradebal serve summary OUT.h5");
  memset(&S, 0, sizeof S);
  tb_srv_init(&S);
  if (!realpath(".", S.data_root)) S.data_root[0] = 0;
  json_t *j = NULL;
  tb_resp r;
  memset(&r, 0, sizeof r);
  int rc = nfiles == 2 ? tb_results_diff_tol(&S, real[0], real[1], tol, &j, &r) : tb_results_summary(&S, real[0], &j, &r);
  tb_srv_destroy(&S);
  if (rc) {
    json_t *p = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
    const char *d = json_string_value(json_object_get(p, "detail"));
    rc = TB_ERR(r.status == 404 || r.status == 422 ? TB_ERR_INPUT : TB_ERR_USAGE, "%s", d ? d : "failed");
    json_decref(p);
    tb_resp_free(&r);
    return rc;
  }
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17) | JSON_ENSURE_ASCII);
  json_decref(j);
  if (!text) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  int bad = printf("%s\n", text) < 0 || fflush(stdout);
  free(text);
  return bad ? TB_ERR(TB_ERR_OUTPUT, "cannot write to standard output") : TB_OK;
}

int tb_serve_main(int argc, char **argv) {
  tb_serve_config cfg;
  tb_serve_config_defaults(&cfg);
  if (argc > 0 && !strcmp(argv[0], "token")) {
    const char *file = NULL, *scopes = "read", *name = "user";
    for (int i = 1; i < argc; i++) {
      if (!strcmp(argv[i], "--file") && i + 1 < argc) file = argv[++i];
      else if (!strcmp(argv[i], "--scopes") && i + 1 < argc) scopes = argv[++i];
      else if (!strcmp(argv[i], "--name") && i + 1 < argc) name = argv[++i];
      else return TB_ERR(TB_ERR_USAGE, "serve token: unknown option '%s'", argv[i]);
    }
    return tb_tokens_new(file, scopes, name);
  }
  if (argc > 0 && (!strcmp(argv[0], "summary") || !strcmp(argv[0], "diff"))) return results_cli(argc, argv);
  if (argc > 0 && !strcmp(argv[0], "--routes")) {
    tb_routes_print(stdout);
    return TB_OK;
  }
  if (argc > 0 && !strcmp(argv[0], "--config-doc")) {
    tb_serve_config_doc(stdout);
    return TB_OK;
  }
  for (int i = 0; i < argc; i++) /* the file first, so --set wins */
    if (!strcmp(argv[i], "-c") && i + 1 < argc) TB_CALL(tb_serve_config_load(&cfg, argv[++i]));
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "-c")) i++;
    else if (!strcmp(argv[i], "--set") && i + 1 < argc) TB_CALL(tb_serve_config_set(&cfg, argv[++i]));
    else if (strcmp(argv[i], "-v")) return TB_ERR(TB_ERR_USAGE, "serve: unknown option '%s'", argv[i]);
  }
  return serve(&cfg);
}
