#include "tb_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TB_TRACE_MAX 32

static _Thread_local struct { /* per thread: libtradebal may be called from several threads at once */
  int code;
  int remote;
  int shared; /* every rank holds the same message: only rank 0 prints it */
  char msg[2048];
  int ntrace;
  char trace[TB_TRACE_MAX][160];
} g_err;

static void add_frame(const char *file, int line, const char *func) {
  if (g_err.ntrace < TB_TRACE_MAX)
    snprintf(g_err.trace[g_err.ntrace++], sizeof g_err.trace[0], "%s() at %s:%d", func, file, line);
}

int tb_error_set(int code, const char *file, int line, const char *func, const char *fmt, ...) {
  char msg[sizeof g_err.msg]; /* formatted aside: an argument may be the previous message */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  memcpy(g_err.msg, msg, sizeof msg);
  /* one-line contract: fold any newline a library message carried */
  for (char *c = g_err.msg; *c; c++)
    if (*c == '\n' || *c == '\r') *c = ' ';
  g_err.code = code ? code : TB_ERR_INTERNAL;
  g_err.remote = 0;
  g_err.shared = 0;
  g_err.ntrace = 0;
  add_frame(file, line, func);
  return g_err.code;
}

void tb_error_trace(const char *file, int line, const char *func) {
  if (g_err.code) add_frame(file, line, func);
}

const char *tb_error_message(void) { return g_err.msg; }
int tb_error_code(void) { return g_err.code; }
int tb_error_is_remote(void) { return g_err.remote; }
int tb_error_is_shared(void) { return g_err.shared; }

void tb_error_set_remote(int code) {
  if (g_err.code && !g_err.remote) return; /* keep our own, more specific error */
  g_err.code = code ? code : TB_ERR_INTERNAL;
  g_err.remote = 1;
  snprintf(g_err.msg, sizeof g_err.msg, "error on another rank");
  g_err.ntrace = 0;
}

void tb_error_adopt(int code, const char *msg) {
  g_err.code = code;
  g_err.remote = 0;
  g_err.shared = 1;
  if (msg != g_err.msg) snprintf(g_err.msg, sizeof g_err.msg, "%s", msg);
}

void tb_error_print(const char *prog, int verbose) {
  fprintf(stderr, "%s: error: %s\n", prog, g_err.msg);
  if (verbose)
    for (int i = 0; i < g_err.ntrace; i++) fprintf(stderr, "  [%d] %s\n", i, g_err.trace[i]);
}

void tb_error_clear(void) { memset(&g_err, 0, sizeof g_err); }

void *tb_malloc(size_t bytes) { return malloc(bytes ? bytes : 1); }

int tb_fault(const char *where, int rank, long long index) {
  const char *v = getenv("TB_FAULT");
  for (; v && *v; v = strchr(v, ',') ? strchr(v, ',') + 1 : NULL) { /* "where:rank:index[,...]" */
    char w[32];
    int r;
    long long i;
    if (sscanf(v, "%31[^:,]:%d:%lld", w, &r, &i) == 3 && !strcmp(w, where) && r == rank && i == index) return 1;
  }
  return 0;
}
