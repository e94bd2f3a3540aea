/* Helpers every handler uses: JSON bodies in, JSON and problem objects (RFC 9457) out, query values. */
#ifndef TB_SERVE_JSON_H
#define TB_SERVE_JSON_H

#include <jansson.h>

#include "tb_serve.h"

/* Nesting depth of a JSON text (brackets outside strings); -1 when it is not balanced. Bounds the parser. */
int tb_json_depth(const char *s, size_t n);
/* The body as a JSON object, or NULL with a 400 problem in r (not JSON, too deep, not an object). */
json_t *tb_json_body(const tb_srv *S, const tb_req *q, tb_resp *r);
/* Answer j (stolen) with status; doubles printed with 17 significant digits so they read back bitwise. */
int tb_resp_json(tb_resp *r, int status, json_t *j);
/* Answer a problem: {"type": "/problems/TYPE", "title", "status", "detail"}; detail never names a server path. */
int tb_resp_problem(tb_resp *r, int status, const char *type, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Free the answer's body. */
void tb_resp_free(tb_resp *r);
/* Answer a malloc'd text (stolen). */
int tb_resp_text(tb_resp *r, int status, const char *content_type, char *body, size_t len);
/* A query parameter's value or NULL. */
const char *tb_req_query(const tb_req *q, const char *key);
/* A query parameter as a number in [lo, hi] (def when absent); 0, or -1 with a 400 problem in r. */
int tb_req_query_num(const tb_req *q, const char *key, double lo, double hi, double def, double *out, tb_resp *r);
/* Read a member as a number / integer / string / array of numbers, or put a 400 problem naming the field
 * (e.g. "deals.comp_prob[3]") in r and return -1. */
int tb_json_num(json_t *o, const char *key, int required, double def, double *out, const char *where, tb_resp *r);
int tb_json_int(json_t *o, const char *key, int required, int64_t def, int64_t *out, const char *where, tb_resp *r);
const char *tb_json_str(json_t *o, const char *key, int required, const char *where, tb_resp *r);
/* An array member and its length; NULL when absent and not required (*len = -1), or with a 400 problem in r. */
json_t *tb_json_array(json_t *o, const char *key, int required, const char *where, int64_t *len, tb_resp *r);

#endif
