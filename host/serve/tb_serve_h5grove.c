/* STUB: replaced by the h5grove implementation. */
#include "tb_serve_h5grove.h"
#include "tb_serve_json.h"

int tb_h_h5grove_meta(tb_srv *S, const tb_req *q, tb_resp *r) { (void)S, (void)q; return tb_resp_problem(r, 501, "todo", "not yet"); }
int tb_h_h5grove_attr(tb_srv *S, const tb_req *q, tb_resp *r) { (void)S, (void)q; return tb_resp_problem(r, 501, "todo", "not yet"); }
int tb_h_h5grove_data(tb_srv *S, const tb_req *q, tb_resp *r) { (void)S, (void)q; return tb_resp_problem(r, 501, "todo", "not yet"); }
