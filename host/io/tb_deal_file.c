#include "tb_deal_file.h"

#include "tb_block.h"
#include "tb_error.h"
#include "tb_sort.h"
#include "tb_util.h"
#include "tb_comm.h"

#include <stdlib.h>
#include <string.h>

#define ENT_CHUNK ((int64_t)1 << 20)

int tb_entities_load(tb_h5 *f, const tb_input_dims *D, const tb_deal_params *P, tb_entity_table *E) {
  (void)P;
  int rc = TB_OK;
  const int rank = tb_comm_rank(), size = tb_comm_size();
  memset(E, 0, sizeof *E);
  E->lo = tb_block_lo(D->N, rank, size);
  E->nlocal = tb_block_lo(D->N, rank + 1, size) - E->lo;
  E->cap = E->nlocal;
  int32_t *type = NULL;
  double *w = NULL, *r = NULL, *rho = NULL, *cap = NULL, *beta = NULL;
  E->rows = tb_alloc_table((size_t)(E->cap ? E->cap : 1) * sizeof *E->rows);
  if (!E->rows) {
    rc = TB_ERR(TB_ERR_MEMORY, "out of memory for %lld entity rows", (long long)E->cap);
    goto done;
  }
  TB_ALLOC(type, ENT_CHUNK);
  TB_ALLOC(w, 4 * ENT_CHUNK);
  TB_ALLOC(r, ENT_CHUNK);
  TB_ALLOC(rho, ENT_CHUNK);
  TB_ALLOC(cap, ENT_CHUNK);
  TB_ALLOC(beta, ENT_CHUNK);
  /* lockstep chunks: every rank makes the same number of collective reads */
  int64_t nchunks = (E->nlocal + ENT_CHUNK - 1) / ENT_CHUNK;
  TB_GUARD(tb_comm_allreduce_i64(&nchunks, 1, TB_OP_MAX));
  for (int64_t k = 0; k < nchunks; k++) {
    int64_t i0 = k * ENT_CHUNK, n = E->nlocal - i0;
    n = n < 0 ? 0 : n > ENT_CHUNK ? ENT_CHUNK : n;
    int64_t g = E->lo + (n ? i0 : 0);
    TB_GUARD(tb_h5_read(f, "/entities/type", H5T_NATIVE_INT32, g, n, 1, type));
    TB_GUARD(tb_h5_read(f, "/entities/weights", H5T_NATIVE_DOUBLE, g, n, 1, w));
    TB_GUARD(tb_h5_read(f, "/entities/discount_rate", H5T_NATIVE_DOUBLE, g, n, 1, r));
    TB_GUARD(tb_h5_read(f, "/entities/risk_aversion", H5T_NATIVE_DOUBLE, g, n, 1, rho));
    TB_GUARD(tb_h5_read(f, "/entities/pay_cap", H5T_NATIVE_DOUBLE, g, n, 1, cap));
    if (D->has_beta) TB_GUARD(tb_h5_read(f, "/entities/bargaining_weight", H5T_NATIVE_DOUBLE, g, n, 1, beta));
    for (int64_t i = 0; i < n; i++) {
      tb_entity_row_of(D->translation, type[i], w + 4 * i, r[i], rho[i], cap[i], D->has_beta ? beta[i] : 1.0,
                       &E->rows[i0 + i]);
    }
  }
done:
  free(type);
  free(w);
  free(r);
  free(rho);
  free(cap);
  free(beta);
  return rc;
}

void tb_entities_free(tb_entity_table *E) {
  free(E->rows);
  memset(E, 0, sizeof *E);
}

/* Grow every array of one group (per deal, party, component or flow) to hold n items. */
typedef struct {
  void **ptr;
  size_t elem;
} tb_array;

static int grow_group(tb_array *arr, int narr, int64_t *cap, int64_t n) {
  if (n <= *cap) return TB_OK;
  int64_t c = n + n / 4 + 16;
  for (int i = 0; i < narr; i++) {
    void *p = realloc(*arr[i].ptr, (size_t)c * arr[i].elem);
    if (!p) return TB_ERR(TB_ERR_MEMORY, "out of memory growing deal buffers to %lld items", (long long)c);
    *arr[i].ptr = p;
  }
  *cap = c;
  return TB_OK;
}
#define A(field) {(void **)&B->field, sizeof(*B->field)}

/* Turn entity ids into rows of E: local ids index directly; remote ones are sorted
 * with their party (radix), deduplicated in one sweep that also assigns each party
 * its slot, fetched from their owners (collective) and appended after the local block. */
static int resolve_entities(const tb_input_dims *D, tb_entity_table *E, tb_deal_buffers *B) {
  const int64_t np = B->b.nparty, lo = E->lo, hi = E->lo + E->nlocal;
  int64_t *id = B->party_row;
  int64_t nrem = 0;
  for (int64_t p = 0; p < np; p++) nrem += id[p] < lo || id[p] >= hi;
  if (nrem && tb_comm_size() == 1)
    return TB_ERR(TB_ERR_INTERNAL, "entity outside the local table on a single rank");
  tb_array scratch[] = {A(ids), A(rkey), A(rval), A(tkey), A(tval)};
  TB_CALL(grow_group(scratch, 5, &B->cap_ids, nrem + 1));
  int64_t k = 0;
  for (int64_t p = 0; p < np; p++) {
    if (id[p] >= lo && id[p] < hi) id[p] -= lo;
    else B->rkey[k] = (uint64_t)id[p], B->rval[k++] = p;
  }
  tb_radix_sort_pairs(B->rkey, B->rval, nrem, B->tkey, B->tval, (uint64_t)(D->N ? D->N - 1 : 0));
  int64_t nid = 0;
  for (int64_t i = 0; i < nrem; i++) {
    if (!nid || (int64_t)B->rkey[i] != B->ids[nid - 1]) B->ids[nid++] = (int64_t)B->rkey[i];
    id[B->rval[i]] = E->nlocal + nid - 1;
  }
  if (E->nlocal + nid > E->cap) {
    int64_t c = E->nlocal + nid + nid / 4;
    tb_entity_row *r = tb_alloc_table((size_t)(c ? c : 1) * sizeof *r);
    if (!r) return TB_ERR(TB_ERR_MEMORY, "out of memory for %lld remote entity rows", (long long)nid);
    memcpy(r, E->rows, (size_t)E->nlocal * sizeof *r);
    free(E->rows);
    E->rows = r;
    E->cap = c;
  }
  if (tb_comm_size() > 1)
    TB_CALL(tb_comm_fetch_rows(D->N, E->rows, E->lo, sizeof(tb_entity_row), B->ids, nid,
                               E->rows + E->nlocal));
  E->nremote = nid;
  return TB_OK;
}

static int finish_read(const tb_input_dims *D, tb_entity_table *E, tb_deal_buffers *B, double t0, double *t_read,
                       double *t_fetch);

static void rebase(int64_t *ptr, int64_t n) {
  const int64_t base = ptr[0];
  for (int64_t i = 0; i <= n; i++) ptr[i] -= base;
}

int tb_deals_read(tb_h5 *f, const tb_input_dims *D, tb_entity_table *E, int64_t d0, int64_t n,
                  tb_h5 *values, tb_deal_buffers *B, double *t_read, double *t_fetch) {
  double t0 = tb_now();
  tb_array deal[] = {A(party_ptr), A(importer), A(trade_value), A(status), A(surplus), A(bid)};
  TB_CALL(grow_group(deal, 6, &B->cap_d, n + 1));
  TB_CALL(tb_h5_read(f, "/deals/party_ptr", H5T_NATIVE_INT64, d0, n ? n + 1 : 0, 1, B->party_ptr));
  if (!n) B->party_ptr[0] = 0;
  B->d0 = d0;
  B->p0 = B->party_ptr[0];
  const int64_t np = B->party_ptr[n] - B->p0;
  TB_CALL(tb_h5_read(f, "/deals/importer", H5T_NATIVE_INT32, d0, n, 1, B->importer));
  TB_CALL(tb_h5_read(f, "/deals/trade_value", H5T_NATIVE_DOUBLE, d0, n, 1, B->trade_value));
  rebase(B->party_ptr, n);

  tb_array party[] = {A(party_row), A(comp_ptr), A(value), A(transfer), A(final_value)};
  TB_CALL(grow_group(party, 5, &B->cap_p, np + 1));
  TB_CALL(tb_h5_read(f, "/deals/party_entity", H5T_NATIVE_INT64, B->p0, np, 1, B->party_row));
  B->b.values_known = values != NULL;
  if (values) { /* the values of pass 1: most of a deal's bytes (components, flows) stay on disk */
    TB_CALL(tb_h5_read(values, "/deals/value", H5T_NATIVE_DOUBLE, B->p0, np, 1, B->value));
    memset(B->comp_ptr, 0, sizeof(int64_t) * (size_t)(np + 1)); /* no components: nothing stale to read */
    B->c0 = B->f0 = 0;
    B->b.ndeal = n, B->b.nparty = np, B->b.ncomp = B->b.nflow = 0;
    return finish_read(D, E, B, t0, t_read, t_fetch);
  }
  TB_CALL(tb_h5_read(f, "/deals/comp_ptr", H5T_NATIVE_INT64, B->p0, n ? np + 1 : 0, 1, B->comp_ptr));
  if (!n) B->comp_ptr[0] = 0;
  B->c0 = B->comp_ptr[0];
  const int64_t nc = B->comp_ptr[np] - B->c0;
  rebase(B->comp_ptr, np);

  tb_array comp[] = {A(flow_ptr), A(comp_dim), A(comp_prob)};
  TB_CALL(grow_group(comp, 3, &B->cap_c, nc + 1));
  TB_CALL(tb_h5_read(f, "/deals/comp_dim", H5T_NATIVE_UINT8, B->c0, nc, 1, B->comp_dim));
  TB_CALL(tb_h5_read(f, "/deals/comp_prob", H5T_NATIVE_DOUBLE, B->c0, nc, 1, B->comp_prob));
  TB_CALL(tb_h5_read(f, "/deals/flow_ptr", H5T_NATIVE_INT64, B->c0, n ? nc + 1 : 0, 1, B->flow_ptr));
  if (!n) B->flow_ptr[0] = 0;
  B->f0 = B->flow_ptr[0];
  const int64_t nf = B->flow_ptr[nc] - B->f0;
  rebase(B->flow_ptr, nc);

  tb_array flow[] = {A(flow_period), A(flow_amount)};
  TB_CALL(grow_group(flow, 2, &B->cap_f, nf));
  TB_CALL(tb_h5_read(f, "/deals/flow_period", H5T_NATIVE_INT32, B->f0, nf, 1, B->flow_period));
  TB_CALL(tb_h5_read(f, "/deals/flow_amount", H5T_NATIVE_DOUBLE, B->f0, nf, 1, B->flow_amount));

  B->b.ndeal = n, B->b.nparty = np, B->b.ncomp = nc, B->b.nflow = nf;
  return finish_read(D, E, B, t0, t_read, t_fetch);
}

/* The batch's entity rows, and its view of the buffers. */
static int finish_read(const tb_input_dims *D, tb_entity_table *E, tb_deal_buffers *B, double t0, double *t_read,
                       double *t_fetch) {
  tb_deal_batch *b = &B->b;
  double t1 = tb_now();
  *t_read += t1 - t0;
  TB_CALL(resolve_entities(D, E, B));
  *t_fetch += tb_now() - t1;
  b->party_ptr = B->party_ptr, b->party_row = B->party_row, b->importer = B->importer;
  b->trade_value = B->trade_value, b->comp_ptr = B->comp_ptr, b->comp_dim = B->comp_dim;
  b->comp_prob = B->comp_prob, b->flow_ptr = B->flow_ptr, b->flow_period = B->flow_period;
  b->flow_amount = B->flow_amount, b->rows = E->rows;
  b->nrows = E->nlocal + E->nremote, b->nrows_static = E->nlocal;
  b->value = B->value, b->transfer = B->transfer, b->final_value = B->final_value;
  b->status = B->status, b->surplus = B->surplus, b->bid = B->bid;
  return TB_OK;
}

void tb_deal_buffers_free(tb_deal_buffers *B) {
  free(B->party_ptr);
  free(B->party_row);
  free(B->comp_ptr);
  free(B->flow_ptr);
  free(B->ids);
  free(B->rkey);
  free(B->rval);
  free(B->tkey);
  free(B->tval);
  free(B->importer);
  free(B->flow_period);
  free(B->comp_dim);
  free(B->status);
  free(B->trade_value);
  free(B->comp_prob);
  free(B->flow_amount);
  free(B->value);
  free(B->transfer);
  free(B->final_value);
  free(B->surplus);
  free(B->bid);
  memset(B, 0, sizeof *B);
}

int tb_deal_outputs_create(tb_h5 *o, const tb_input_dims *D) {
  const int64_t M = D->M, P = D->P;
  TB_CALL(tb_h5_new_dataset(o, "/deals/value", H5T_IEEE_F64LE, 1, &P));
  TB_CALL(tb_h5_new_dataset(o, "/deals/status", H5T_STD_U8LE, 1, &M));
  TB_CALL(tb_h5_new_dataset(o, "/deals/surplus", H5T_IEEE_F64LE, 1, &M));
  TB_CALL(tb_h5_new_dataset(o, "/deals/bid", H5T_IEEE_F64LE, 1, &M));
  TB_CALL(tb_h5_new_dataset(o, "/deals/transfer", H5T_IEEE_F64LE, 1, &P));
  TB_CALL(tb_h5_new_dataset(o, "/deals/final_value", H5T_IEEE_F64LE, 1, &P));
  return TB_OK;
}

/* Pass 1 writes the section 2-3 results, pass 2 the recommended policy's transfers. */
int tb_deal_results_write(tb_h5 *o, const tb_deal_buffers *B, int pass) {
  const int64_t n = B->b.ndeal, np = B->b.nparty, d0 = n ? B->d0 : 0, p0 = np ? B->p0 : 0;
  if (pass == 2) {
    TB_CALL(tb_h5_write(o, "/deals/transfer", H5T_NATIVE_DOUBLE, p0, np, B->transfer));
    return tb_h5_write(o, "/deals/final_value", H5T_NATIVE_DOUBLE, p0, np, B->final_value);
  }
  TB_CALL(tb_h5_write(o, "/deals/value", H5T_NATIVE_DOUBLE, p0, np, B->value));
  TB_CALL(tb_h5_write(o, "/deals/status", H5T_NATIVE_UINT8, d0, n, B->status));
  TB_CALL(tb_h5_write(o, "/deals/surplus", H5T_NATIVE_DOUBLE, d0, n, B->surplus));
  return tb_h5_write(o, "/deals/bid", H5T_NATIVE_DOUBLE, d0, n, B->bid);
}

int tb_deal_columns_read(tb_h5 *in, int64_t d0, int64_t n, tb_deal_table *T) {
  const int64_t at = d0 - T->d0;
  TB_CALL(tb_h5_read(in, "/deals/period", H5T_NATIVE_INT32, d0, n, 1, T->period + at));
  TB_CALL(tb_h5_read(in, "/deals/sector", H5T_NATIVE_INT32, d0, n, 1, T->sector + at));
  TB_CALL(tb_h5_read(in, "/deals/export_region", H5T_NATIVE_INT32, d0, n, 1, T->exp + at));
  TB_CALL(tb_h5_read(in, "/deals/import_region", H5T_NATIVE_INT32, d0, n, 1, T->imp + at));
  return tb_h5_read(in, "/deals/cost", H5T_NATIVE_DOUBLE, d0, n, 1, T->k + at);
}

int tb_base_trade_read(tb_h5 *in, const tb_input_dims *D, double *trade, int64_t *home) {
  int has = 0;
  TB_CALL(tb_h5_read(in, "/trade/base_exports", H5T_NATIVE_DOUBLE, 0, D->R, 1, trade));
  TB_CALL(tb_h5_read(in, "/trade/base_imports", H5T_NATIVE_DOUBLE, 0, D->R, 1, trade + D->R * D->T));
  return tb_h5_attr_read_i64(in, "/io", "region", home, &has);
}
