/* The quick checks of tradebal serve, in process through libtradebal (host/api): one deal or a columnar
 * batch evaluated (MODEL.md sections 2-3), a certificate use or exchange order checked against a holdings
 * registry (section 5), final demand through an input-output table (section 7). */
#ifndef TB_SERVE_QUICK_H
#define TB_SERVE_QUICK_H

#include "tb_serve.h"

int tb_quick_init(tb_srv *S);  /* the cache of loaded entities, registries and tables */
void tb_quick_free(tb_srv *S);
int tb_h_deals_evaluate(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_certificates_validate(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_impacts(tb_srv *S, const tb_req *q, tb_resp *r);

#endif
