/* POST /v1/certificates/validate (docs/api.md "Validate a certificate use or order"): a certificate use or
 * a secondary-market order checked as the exchange checks an arriving order (MODEL.md section 5,
 * tb_cda_order_check) against a holdings registry loaded by reference: the /market/holdings of an input, or
 * the final holdings of a `tradebal match` output. Valid, or the exchange's reason code and its name. */
#ifndef TB_SERVE_QUICK_CERT_H
#define TB_SERVE_QUICK_CERT_H

#include <jansson.h>

#include "tb_serve.h"

/* Answer the request body (a JSON object, borrowed) in r. 0 (the answer or a problem is in r). */
int tb_quick_certificates(tb_srv *S, json_t *body, tb_resp *r);

#endif
