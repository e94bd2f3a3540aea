/* The server's own endpoints: /v1/health, /metrics and /v1/openapi.json. */
#ifndef TB_SERVE_BASIC_H
#define TB_SERVE_BASIC_H

#include "tb_serve.h"

int tb_h_health(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_metrics(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_openapi(tb_srv *S, const tb_req *q, tb_resp *r);

#endif
