/* tradebal serve: the shared types of the REST API (docs/api.md). A request is routed by the table of
 * tb_serve_routes.c to one handler; a handler reads a tb_req and fills a tb_resp, never touching the
 * HTTP library, so the same handlers run under libmicrohttpd and in process (tb_http_dispatch, the fuzz
 * target and the unit tests). Handlers are called from several threads at once. */
#ifndef TB_SERVE_H
#define TB_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "tb_serve_config.h"
#include "tb_util.h" /* tb_now: monotonic seconds */

typedef struct tb_srv tb_srv;

/* Token scopes (docs/api.md "Tokens"): read endpoints need READ, submitting or cancelling runs SUBMIT. */
enum { TB_SCOPE_NONE = 0, TB_SCOPE_READ = 1, TB_SCOPE_SUBMIT = 2 };

/* Where a route's handler runs: INLINE in the HTTP thread (cheap: health, state, lists), or WORKER on the
 * bounded pool (the quick checks, HDF5 reads: anything that can take milliseconds). */
enum { TB_RUN_INLINE = 0, TB_RUN_WORKER = 1 };

#define TB_MAX_PATH_ARGS 4
#define TB_MAX_QUERY 16

typedef struct {
  const char *key, *value;
} tb_kv;

typedef struct {
  const char *method; /* "GET", "POST", "DELETE" */
  const char *url;    /* the path, without the query */
  const char *args[TB_MAX_PATH_ARGS]; /* the {name} parts of the route's pattern, in order */
  int nargs;
  tb_kv query[TB_MAX_QUERY];
  int nquery;
  const char *body; /* NUL-terminated copy of the request body (may be empty) */
  size_t body_len;
  int scopes;       /* the scopes of the caller's token */
  int woken;        /* a parked request run again (tb_resp.park_job): its wait is over or something moved */
  double t_start;   /* tb_now() when the request arrived */
} tb_req;

typedef struct {
  int status;               /* HTTP status */
  char *body;               /* malloc'd, owned by the response */
  size_t len;
  const char *content_type; /* a string literal */
  char location[256];       /* Location header when not empty */
  char disposition[256];    /* Content-Disposition when not empty */
  int retry_after;          /* seconds; a Retry-After header when > 0 */
  char file[4096];          /* serve this file (absolute) instead of body, when not empty */
  int64_t file_offset, file_len;
  /* long polling: a handler that would wait fills r with the current answer and sets park_until (tb_now()
   * time): the HTTP layer then holds the request until a run's state changes (tb_srv_changed) or that time
   * passes, and runs the handler again with req.woken = 1. Where it cannot hold it (too many parked, shutting
   * down, in process) the current answer is sent. park_job names the run waited on (informational). */
  int64_t park_job;
  double park_until;
} tb_resp;

typedef int (*tb_handler)(tb_srv *S, const tb_req *q, tb_resp *r);

typedef struct tb_serve_jobs tb_serve_jobs;   /* tb_serve_jobs.c */
typedef struct tb_serve_cache tb_serve_cache; /* tb_serve_quick.c: loaded entities, holdings, IO tables */

struct tb_srv {
  tb_serve_config cfg;
  char data_root[4096];  /* realpath of cfg.data_root */
  tb_serve_jobs *jobs;
  tb_serve_cache *cache;
  pthread_mutex_t h5_lock; /* this platform's HDF5 is not thread-safe: every HDF5 call holds it */
  /* bumped on every run state change; parked long polls wake on it */
  pthread_mutex_t change_lock;
  pthread_cond_t change_cond;
  uint64_t generation;
  void *http;            /* tb_serve_http.c's state (NULL in process) */
  struct tb_tokens *tokens; /* NULL with auth = none */
  double started;        /* tb_now() at start */
  /* live figures the HTTP layer keeps for /v1/health and /metrics */
  _Atomic int queued, busy, parked, connections;
};

double tb_wall(void); /* seconds since the epoch */
/* Initialise and destroy S's locks (tb_serve_open does it for the server). */
void tb_srv_init(tb_srv *S);
void tb_srv_destroy(tb_srv *S);
/* Tell parked long polls that a run's state changed. */
void tb_srv_changed(tb_srv *S);

#endif
