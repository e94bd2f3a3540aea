/* Deals in files: reading a block of deals (CSR) and the entity rows they need, the columns
 * funding and the market need, the base trade; writing the per-deal results. */
#ifndef TB_DEAL_FILE_H
#define TB_DEAL_FILE_H

#include "tb_deal_table.h"
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
/* Collective: read deals [d0, d0+n) (n may be 0) and resolve their entity rows. With `values`, a
 * run's output whose /deals/value pass 1 wrote, the components and flows are not read: the
 * parties' values come from there instead (b.values_known set, ncomp = nflow = 0). */
int tb_deals_read(tb_h5 *f, const tb_input_dims *D, tb_entity_table *E, int64_t d0, int64_t n,
                  tb_h5 *values, tb_deal_buffers *B, double *t_read, double *t_fetch);
void tb_deal_buffers_free(tb_deal_buffers *B);

/* The per-deal and per-party datasets of a run (/deals/value, status, surplus, bid, transfer, final_value). */
int tb_deal_outputs_create(tb_h5 *o, const tb_input_dims *D);
/* Pass 1 writes the section 2-3 results, pass 2 the recommended policy's transfers and final values. */
int tb_deal_results_write(tb_h5 *o, const tb_deal_buffers *B, int pass);
/* Deals [d0, d0 + n) of the input's period, sector, regions and cost into the table T (at d0 - T->d0). */
int tb_deal_columns_read(tb_h5 *in, int64_t d0, int64_t n, tb_deal_table *T);
/* /trade/base_exports then /trade/base_imports ([R*T] each) and the home region (/io region). */
int tb_base_trade_read(tb_h5 *in, const tb_input_dims *D, double *trade, int64_t *home);
#endif
