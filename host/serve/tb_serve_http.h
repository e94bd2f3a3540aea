/* The HTTP side of tradebal serve (libmicrohttpd): connections, the bounded worker pool and queue, parked
 * long polls, bearer tokens, limits; and tb_http_dispatch, the same path without sockets. */
#ifndef TB_SERVE_HTTP_H
#define TB_SERVE_HTTP_H

#include "tb_serve.h"

/* Listen on cfg.bind:cfg.port; *port receives the bound port. Returns at once; the server runs in its threads. */
int tb_http_start(tb_srv *S, int *port);
/* Stop accepting, answer what is in flight, join the threads. */
void tb_http_stop(tb_srv *S);

/* One request through routing, tokens, limits and the handler, in this thread (the fuzz target and tests):
 * url may carry a query; authorization is the Authorization header's value or NULL. A parked request is run
 * again at once with woken = 1. r is filled as for the network; free its body with tb_resp_free. */
int tb_http_dispatch(tb_srv *S, const char *method, const char *url, const char *body, size_t len,
                     const char *authorization, tb_resp *r);

#endif
