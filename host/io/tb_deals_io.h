/* Reading a block of deals (CSR) and the entity rows they need. */
#ifndef TB_DEALS_IO_H
#define TB_DEALS_IO_H

#include "tb_h5.h"
#include "tb_validate.h"
#include "tb_deal_math.h"

/* This rank's block of entities as deal-math rows, plus room for fetched remote rows. */
typedef struct {
  int64_t lo, nlocal, nremote, cap;
  tb_entity_row *rows;
} tb_entity_table;

/* Host buffers of one batch; capacities grow as needed and are reused. */
typedef struct {
  tb_deal_batch b;
  int64_t d0; /* global index of the batch's first deal */
  int64_t p0, c0, f0;
  int64_t cap_d, cap_p, cap_c, cap_f, cap_ids;
  int64_t *party_ptr, *party_row, *comp_ptr, *flow_ptr, *ids;
  uint64_t *rkey, *tkey; /* remote entity ids of the batch's parties, sorted, and scratch */
  int64_t *rval, *tval;  /* the party of each */
  int32_t *importer, *flow_period;
  uint8_t *comp_dim, *status;
  double *trade_value, *comp_prob, *flow_amount, *value, *transfer, *final_value, *surplus, *bid;
} tb_deal_buffers;

int tb_entities_load(tb_h5 *f, const tb_input_dims *D, const tb_deal_params *P, tb_entity_table *E);
void tb_entities_free(tb_entity_table *E);
/* Collective: read deals [d0, d0+n) (n may be 0) and resolve their entity rows. */
int tb_deals_read(tb_h5 *f, const tb_input_dims *D, tb_entity_table *E, int64_t d0, int64_t n,
                  tb_deal_buffers *B, double *t_read, double *t_fetch);
void tb_deal_buffers_free(tb_deal_buffers *B);

#endif
