/* STUB: replaced by the quick-check implementation. */
#include "tb_serve_quick.h"
#include "tb_serve_json.h"

int tb_quick_init(tb_srv *S) { (void)S; return 0; }
void tb_quick_free(tb_srv *S) { (void)S; }
int tb_h_deals_evaluate(tb_srv *S, const tb_req *q, tb_resp *r) { (void)S, (void)q; return tb_resp_problem(r, 501, "todo", "not yet"); }
int tb_h_certificates_validate(tb_srv *S, const tb_req *q, tb_resp *r) { (void)S, (void)q; return tb_resp_problem(r, 501, "todo", "not yet"); }
int tb_h_impacts(tb_srv *S, const tb_req *q, tb_resp *r) { (void)S, (void)q; return tb_resp_problem(r, 501, "todo", "not yet"); }
