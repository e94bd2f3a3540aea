/* The network of MODEL.md section 6 in files: /network read, /entities written. */
#ifndef TB_NETWORK_FILE_H
#define TB_NETWORK_FILE_H

#include "tb_h5.h"
#include "tb_network.h"
#include "tb_validate.h"

/* Collective: this rank's rows of /network, built into G (tb_network_build). */
int tb_network_read(tb_h5 *f, const tb_input_dims *D, tb_network *G);
/* /entities/direct_value, network_value, centrality, influence and the iteration's attributes. */
int tb_network_write(tb_h5 *out, const tb_input_dims *D, const tb_network *G, const double *b, const double *x,
                     const tb_network_stats *st);

#endif
