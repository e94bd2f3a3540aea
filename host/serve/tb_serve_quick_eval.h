/* POST /v1/deals/evaluate (docs/api.md "Evaluate deals"): deals in one of four forms (one nested deal, a
 * list of nested deals, a columnar batch in the input file's CSR layout, or deal indices of an input file)
 * with entities inline or from an input file, evaluated by libtradebal (MODEL.md sections 2-3): the numbers
 * `tradebal run` writes for the same deals, bitwise. */
#ifndef TB_SERVE_QUICK_EVAL_H
#define TB_SERVE_QUICK_EVAL_H

#include <jansson.h>

#include "tb_serve.h"

/* Answer the request body (a JSON object, borrowed) in r. 0 (the answer or a problem is in r). */
int tb_quick_evaluate(tb_srv *S, json_t *body, tb_resp *r);

#endif
