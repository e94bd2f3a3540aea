/* Read-only browsing of HDF5 files under the data root in h5grove's protocol (meta, attr, data with
 * slices), so H5Web's H5GroveProvider can show a run's output. */
#ifndef TB_SERVE_H5GROVE_H
#define TB_SERVE_H5GROVE_H

#include "tb_serve.h"

int tb_h_h5grove_meta(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_h5grove_attr(tb_srv *S, const tb_req *q, tb_resp *r);
int tb_h_h5grove_data(tb_srv *S, const tb_req *q, tb_resp *r);

#endif
