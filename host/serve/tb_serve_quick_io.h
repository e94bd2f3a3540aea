/* POST /v1/impacts (docs/api.md "Input-output impacts"): final demand, one vector [S] or several [q][S],
 * through the input-output table of an input file (MODEL.md section 7): output x = L f, GDP and jobs, and
 * the output multipliers. The table is factored once when loaded and cached; each request is one
 * multi-column solve and one product, the operations of tb_api_leontief, so the same numbers, bitwise. */
#ifndef TB_SERVE_QUICK_IO_H
#define TB_SERVE_QUICK_IO_H

#include <jansson.h>

#include "tb_serve.h"

/* Answer the request body (a JSON object, borrowed) in r. 0 (the answer or a problem is in r). */
int tb_quick_impacts(tb_srv *S, json_t *body, tb_resp *r);

#endif
