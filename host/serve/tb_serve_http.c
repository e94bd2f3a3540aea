/* libmicrohttpd glue. HTTP threads (epoll) read requests and answer the cheap routes; the costly ones go to
 * a bounded queue served by a fixed worker pool, the connection suspended meanwhile, so a burst never
 * starts more work than the pool can do: beyond workers + queue, 503 with Retry-After at once. Long polls
 * are parked (suspended, no thread held) until a run changes state or their time passes. */
#include "tb_serve_http.h"
#include "tb_error.h"
#include "tb_serve_auth.h"
#include "tb_serve_json.h"
#include "tb_serve_metrics.h"
#include "tb_serve_routes.h"
#include "tb_serve_static.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

enum { C_READING, C_QUEUED, C_ANSWER, C_PARKED, C_WOKEN };

typedef struct conn_ctx {
  const tb_route *route;
  tb_req q;
  char argbuf[1024];
  char *url, *method;
  char *body;
  size_t len, cap;
  int too_big, state, sent_status;
  tb_resp r;
  struct MHD_Connection *conn;
  double enqueued;
  uint64_t gen_before;
  struct conn_ctx *next;
  char *qstore[2 * TB_MAX_QUERY];
} conn_ctx;

typedef struct {
  struct MHD_Daemon *d;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  conn_ctx *head, *tail, *parked;
  int stop;
  pthread_t *workers, parker;
  int nworkers, parker_started;
} http_state;

static uint64_t generation(tb_srv *S) {
  pthread_mutex_lock(&S->change_lock);
  uint64_t g = S->generation;
  pthread_mutex_unlock(&S->change_lock);
  return g;
}

/* Run the route's handler; a failure without an answer becomes a 500 that names no server internals. */
static void run_handler(tb_srv *S, const tb_route *route, tb_req *q, tb_resp *r) {
  tb_resp_free(r);
  memset(r, 0, sizeof *r);
  int rc = route->handler(S, q, r);
  if (rc || !r->status) {
    fprintf(stderr, "tradebal serve: %s %s failed: %s\n", q->method, q->url, rc ? tb_error_message() : "no answer");
    tb_error_clear();
    tb_resp_problem(r, 500, "internal", "the server failed on this request; its log has the details");
  }
}

/* Routing, tokens and limits: 0 when the handler may run, else the problem is in r. */
static int admit(tb_srv *S, const char *method, const char *url, const char *authorization, tb_req *q,
                 char *argbuf, size_t cap, const tb_route **route, tb_resp *r) {
  int known = 0;
  q->method = method, q->url = url;
  *route = tb_route_match(method, url, q, argbuf, cap, &known);
  if (!*route) {
    if (known) return tb_resp_problem(r, 405, "method-not-allowed", "%s is not allowed on %.200s", method, url), -1;
    return tb_resp_problem(r, 404, "no-route", "no endpoint %.200s (the API is described at /v1/openapi.json)", url), -1;
  }
  q->scopes = S->cfg.auth_none ? TB_SCOPE_READ | TB_SCOPE_SUBMIT : tb_tokens_scopes(S->tokens, authorization);
  if ((*route)->scope == TB_SCOPE_NONE) return 0;
  if (!q->scopes)
    return tb_resp_problem(r, 401, "unauthorized", "a bearer token is required (Authorization: Bearer TOKEN)"), -1;
  if (!(q->scopes & (*route)->scope))
    return tb_resp_problem(r, 403, "forbidden", "this token lacks the %s scope",
                           (*route)->scope == TB_SCOPE_SUBMIT ? "submit" : "read"), -1;
  return 0;
}

/* ---- in process ---- */

static int split_query(char *query, tb_req *q) {
  q->nquery = 0;
  for (char *save = NULL, *kv = strtok_r(query, "&", &save); kv && q->nquery < TB_MAX_QUERY;
       kv = strtok_r(NULL, "&", &save)) {
    char *eq = strchr(kv, '=');
    if (eq) *eq = 0;
    MHD_http_unescape(kv);
    if (eq) MHD_http_unescape(eq + 1);
    q->query[q->nquery].key = kv;
    q->query[q->nquery++].value = eq ? eq + 1 : "";
  }
  return 0;
}

int tb_http_dispatch(tb_srv *S, const char *method, const char *url, const char *body, size_t len,
                     const char *authorization, tb_resp *r) {
  tb_req q;
  memset(&q, 0, sizeof q);
  memset(r, 0, sizeof *r);
  char *path = strdup(url ? url : ""), *copy = malloc(len + 1), argbuf[1024];
  if (!path || !copy) {
    free(path), free(copy);
    return TB_ERR(TB_ERR_MEMORY, "out of memory");
  }
  memcpy(copy, body ? body : "", len);
  copy[len] = 0;
  char *qm = strchr(path, '?');
  if (qm) *qm++ = 0;
  if (qm) split_query(qm, &q);
  q.body = copy, q.body_len = len, q.t_start = tb_now();
  const tb_route *route;
  if ((int64_t)len > S->cfg.max_body)
    tb_resp_problem(r, 413, "too-large", "the request body has %zu bytes; the limit is %lld ([limits] max_body)", len,
                    (long long)S->cfg.max_body);
  else if (!admit(S, method, path, authorization, &q, argbuf, sizeof argbuf, &route, r)) {
    run_handler(S, route, &q, r); /* a parked answer is sent as it is: there is nothing to wait with here */
    r->park_until = 0;
  }
  free(path), free(copy);
  return TB_OK;
}

/* ---- over the network ---- */

static enum MHD_Result send_resp(struct MHD_Connection *conn, conn_ctx *c) {
  tb_resp *r = &c->r;
  struct MHD_Response *resp = NULL;
  if (r->file[0]) {
    int fd = open(r->file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0) {
      int64_t len = r->file_len > 0 ? r->file_len : (int64_t)st.st_size - r->file_offset;
      resp = MHD_create_response_from_fd_at_offset64((uint64_t)len, fd, (uint64_t)r->file_offset);
    }
    if (!resp) {
      if (fd >= 0) close(fd);
      tb_resp_problem(r, 404, "not-found", "the file is gone");
      r->file[0] = 0;
    }
  }
  if (!resp) {
    resp = MHD_create_response_from_buffer(r->len, r->body ? r->body : (void *)"", r->body ? MHD_RESPMEM_MUST_FREE
                                                                                          : MHD_RESPMEM_PERSISTENT);
    if (resp) r->body = NULL; /* MHD frees it */
  }
  if (!resp) return MHD_NO;
  if (r->content_type) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
  if (r->location[0]) MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
  if (r->disposition[0]) MHD_add_response_header(resp, "Content-Disposition", r->disposition);
  if (r->status == 401) MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
  if (r->status == 503 && r->retry_after <= 0) r->retry_after = 1;
  if (r->retry_after > 0) {
    char v[32];
    snprintf(v, sizeof v, "%d", r->retry_after);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, v);
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  c->sent_status = r->status;
  enum MHD_Result ok = MHD_queue_response(conn, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return ok;
}

static void busy_answer(tb_srv *S, conn_ctx *c, const char *why) {
  tb_resp_problem(&c->r, 503, "busy", "%s; retry after the Retry-After seconds", why);
  c->r.retry_after = 1 + (int)(S->cfg.queue_timeout > 1 ? 1 : 0);
}

static void *worker_main(void *arg) {
  tb_srv *S = arg;
  http_state *H = S->http;
  for (;;) {
    pthread_mutex_lock(&H->lock);
    while (!H->head && !H->stop) pthread_cond_wait(&H->cond, &H->lock);
    conn_ctx *c = H->head;
    if (!c) {
      pthread_mutex_unlock(&H->lock);
      return NULL;
    }
    H->head = c->next;
    if (!H->head) H->tail = NULL;
    S->queued--;
    S->busy++;
    pthread_mutex_unlock(&H->lock);
    if (H->stop) busy_answer(S, c, "the server is shutting down");
    else if (tb_now() - c->enqueued > S->cfg.queue_timeout) busy_answer(S, c, "the request waited too long for a worker");
    else run_handler(S, c->route, &c->q, &c->r);
    c->r.park_until = 0; /* worker routes answer at once */
    c->state = C_ANSWER;
    pthread_mutex_lock(&H->lock);
    S->busy--;
    pthread_mutex_unlock(&H->lock);
    MHD_resume_connection(c->conn);
  }
}

static void *parker_main(void *arg) {
  tb_srv *S = arg;
  http_state *H = S->http;
  for (;;) {
    pthread_mutex_lock(&S->change_lock);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_cond_timedwait(&S->change_cond, &S->change_lock, &ts);
    uint64_t g = S->generation;
    pthread_mutex_unlock(&S->change_lock);
    double now = tb_now();
    pthread_mutex_lock(&H->lock);
    int stop = H->stop;
    for (conn_ctx **p = &H->parked; *p;) {
      conn_ctx *c = *p;
      if (stop || c->gen_before != g || now >= c->r.park_until) {
        *p = c->next;
        S->parked--;
        c->state = C_WOKEN;
        MHD_resume_connection(c->conn);
      } else {
        p = &c->next;
      }
    }
    pthread_mutex_unlock(&H->lock);
    if (stop) return NULL;
  }
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  (void)kind;
  conn_ctx *c = cls;
  if (c->q.nquery == TB_MAX_QUERY) return MHD_NO;
  char *k = strdup(key), *v = strdup(value ? value : "");
  c->qstore[2 * c->q.nquery] = k, c->qstore[2 * c->q.nquery + 1] = v;
  if (!k || !v) return MHD_NO;
  c->q.query[c->q.nquery].key = k;
  c->q.query[c->q.nquery++].value = v;
  return MHD_YES;
}

/* Run an inline route in this thread, parking it when it asks to wait and there is room. */
static enum MHD_Result run_inline(tb_srv *S, struct MHD_Connection *conn, conn_ctx *c) {
  http_state *H = S->http;
  c->gen_before = generation(S);
  run_handler(S, c->route, &c->q, &c->r);
  if (c->r.park_until > tb_now()) {
    pthread_mutex_lock(&H->lock);
    if (!H->stop && S->parked < S->cfg.max_parked) {
      c->state = C_PARKED;
      c->next = H->parked, H->parked = c;
      S->parked++;
      MHD_suspend_connection(conn);
      pthread_mutex_unlock(&H->lock);
      return MHD_YES;
    }
    pthread_mutex_unlock(&H->lock);
  }
  c->state = C_ANSWER;
  return send_resp(conn, c);
}

static enum MHD_Result enqueue(tb_srv *S, struct MHD_Connection *conn, conn_ctx *c) {
  http_state *H = S->http;
  pthread_mutex_lock(&H->lock);
  if (H->stop || S->queued + S->busy >= S->cfg.workers + S->cfg.queue) {
    pthread_mutex_unlock(&H->lock);
    busy_answer(S, c, H->stop ? "the server is shutting down" : "every worker is busy and the queue is full");
    return send_resp(conn, c);
  }
  c->state = C_QUEUED, c->enqueued = tb_now(), c->next = NULL;
  MHD_suspend_connection(conn); /* before a worker can resume it */
  if (H->tail) H->tail->next = c;
  else H->head = c;
  H->tail = c;
  S->queued++;
  pthread_cond_signal(&H->cond);
  pthread_mutex_unlock(&H->lock);
  return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls) {
  (void)version;
  tb_srv *S = cls;
  conn_ctx *c = *con_cls;
  if (!c) { /* headers are in: route, tokens, declared size */
    c = calloc(1, sizeof *c);
    if (!c) return MHD_NO;
    *con_cls = c;
    c->conn = conn;
    c->q.t_start = tb_now();
    c->url = strdup(url), c->method = strdup(method);
    if (!c->url || !c->method) return MHD_NO;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, c);
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (admit(S, c->method, c->url, auth, &c->q, c->argbuf, sizeof c->argbuf, &c->route, &c->r)) {
      if (c->r.status == 404 && tb_serve_static(S, c->method, c->url, &c->r)) c->route = NULL; /* the dashboard */
      c->state = C_ANSWER;
      return send_resp(conn, c);
    }
    if (clen && strtoll(clen, NULL, 10) > S->cfg.max_body) {
      tb_resp_problem(&c->r, 413, "too-large", "the request body has %s bytes; the limit is %lld ([limits] max_body)",
                      clen, (long long)S->cfg.max_body);
      c->state = C_ANSWER;
      return send_resp(conn, c);
    }
    return MHD_YES;
  }
  if (*upload_size) {
    size_t n = *upload_size;
    *upload_size = 0;
    if (c->too_big || c->len + n > (size_t)S->cfg.max_body) {
      c->too_big = 1;
      return MHD_YES;
    }
    if (c->len + n + 1 > c->cap) {
      size_t cap = c->cap ? c->cap : 4096;
      while (cap < c->len + n + 1) cap *= 2;
      char *g = realloc(c->body, cap);
      if (!g) return MHD_NO;
      c->body = g, c->cap = cap;
    }
    memcpy(c->body + c->len, upload, n);
    c->len += n;
    return MHD_YES;
  }
  switch (c->state) {
  case C_READING:
    c->q.body = c->body ? c->body : "", c->q.body_len = c->len;
    if (c->body) c->body[c->len] = 0;
    if (c->too_big) {
      tb_resp_problem(&c->r, 413, "too-large", "the request body exceeds %lld bytes ([limits] max_body)",
                      (long long)S->cfg.max_body);
      c->state = C_ANSWER;
      return send_resp(conn, c);
    }
    return c->route->where == TB_RUN_WORKER ? enqueue(S, conn, c) : run_inline(S, conn, c);
  case C_WOKEN:
    c->q.woken = 1;
    return run_inline(S, conn, c);
  case C_ANSWER:
    return send_resp(conn, c);
  default: /* queued or parked: MHD does not call a suspended connection */
    return MHD_YES;
  }
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls, (void)conn, (void)toe;
  conn_ctx *c = *con_cls;
  if (!c) return;
  tb_metrics_observe(tb_route_index(c->route), c->sent_status, tb_now() - c->q.t_start);
  tb_resp_free(&c->r);
  for (int i = 0; i < 2 * TB_MAX_QUERY; i++) free(c->qstore[i]);
  free(c->body), free(c->url), free(c->method), free(c);
  *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code) {
  (void)conn, (void)socket_ctx;
  tb_srv *S = cls;
  atomic_fetch_add(&S->connections, code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  fputs("tradebal serve: http: ", stderr);
  vfprintf(stderr, fmt, ap);
}

int tb_http_start(tb_srv *S, int *port) {
  http_state *H = calloc(1, sizeof *H);
  if (!H) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  static const char *methods[64], *patterns[64];
  int nr = tb_route_count() < 64 ? tb_route_count() : 64;
  for (int i = 0; i < nr; i++) methods[i] = tb_route_at(i)->method, patterns[i] = tb_route_at(i)->pattern;
  tb_metrics_name_routes(nr, methods, patterns);
  pthread_mutex_init(&H->lock, NULL);
  pthread_cond_init(&H->cond, NULL);
  S->http = H;
  struct sockaddr_storage sa;
  memset(&sa, 0, sizeof sa);
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  if (strchr(S->cfg.bind, ':')) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
    a->sin6_family = AF_INET6, a->sin6_port = htons((uint16_t)S->cfg.port);
    if (inet_pton(AF_INET6, S->cfg.bind, &a->sin6_addr) != 1)
      return TB_ERR(TB_ERR_USAGE, "[server] bind: '%s' is not an IP address", S->cfg.bind);
    flags |= MHD_USE_IPv6;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&sa;
    a->sin_family = AF_INET, a->sin_port = htons((uint16_t)S->cfg.port);
    const char *b = strcmp(S->cfg.bind, "localhost") ? S->cfg.bind : "127.0.0.1";
    if (inet_pton(AF_INET, b, &a->sin_addr) != 1)
      return TB_ERR(TB_ERR_USAGE, "[server] bind: '%s' is not an IP address", S->cfg.bind);
  }
  H->nworkers = S->cfg.workers;
  H->workers = calloc((size_t)H->nworkers, sizeof *H->workers);
  if (!H->workers) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  for (int i = 0; i < H->nworkers; i++)
    if (pthread_create(&H->workers[i], NULL, worker_main, S)) {
      H->nworkers = i;
      return TB_ERR(TB_ERR_INTERNAL, "cannot start worker threads");
    }
  if (pthread_create(&H->parker, NULL, parker_main, S)) return TB_ERR(TB_ERR_INTERNAL, "cannot start a thread");
  H->parker_started = 1;
  H->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, S, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                          MHD_OPTION_THREAD_POOL_SIZE, (unsigned)S->cfg.io_threads, MHD_OPTION_CONNECTION_LIMIT,
                          (unsigned)S->cfg.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
                          (unsigned)S->cfg.connection_timeout, MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
                          MHD_OPTION_NOTIFY_COMPLETED, on_done, S, MHD_OPTION_NOTIFY_CONNECTION, on_connection, S,
                          MHD_OPTION_END);
  if (!H->d)
    return TB_ERR(TB_ERR_USAGE, "cannot listen on %s:%d (%s): is the port taken?", S->cfg.bind, S->cfg.port,
                  strerror(errno));
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(H->d, MHD_DAEMON_INFO_BIND_PORT);
  *port = info ? info->port : S->cfg.port;
  return TB_OK;
}

void tb_http_stop(tb_srv *S) {
  http_state *H = S->http;
  if (!H) return;
  pthread_mutex_lock(&H->lock);
  H->stop = 1;
  pthread_cond_broadcast(&H->cond);
  pthread_mutex_unlock(&H->lock);
  tb_srv_changed(S);
  for (int i = 0; i < H->nworkers; i++) pthread_join(H->workers[i], NULL);
  if (H->parker_started) pthread_join(H->parker, NULL);
  if (H->d) {
    usleep(100 * 1000); /* let the resumed connections be answered */
    MHD_stop_daemon(H->d);
  }
  free(H->workers);
  pthread_mutex_destroy(&H->lock);
  pthread_cond_destroy(&H->cond);
  free(H);
  S->http = NULL;
}
