/* The route table of tradebal serve: every endpoint of docs/openapi.json, once. */
#ifndef TB_SERVE_ROUTES_H
#define TB_SERVE_ROUTES_H

#include <stdio.h>

#include "tb_serve.h"

typedef struct {
  const char *method, *pattern; /* "/v1/runs/{id}": a {name} matches one path segment */
  int scope;                    /* TB_SCOPE_NONE, _READ or _SUBMIT */
  int where;                    /* TB_RUN_INLINE or TB_RUN_WORKER */
  tb_handler handler;
} tb_route;

/* The route for method and url (trailing slash ignored), its {args} stored in q; NULL when none. *path_known
 * tells a wrong method (405) from an unknown path (404). */
const tb_route *tb_route_match(const char *method, const char *url, tb_req *q, char *argbuf, size_t argbuf_len,
                               int *path_known);
int tb_route_count(void);
const tb_route *tb_route_at(int i);
int tb_route_index(const tb_route *r);
/* `tradebal serve --routes`: one "METHOD PATTERN" line each (the OpenAPI test compares them). */
void tb_routes_print(FILE *f);

#endif
