#include "tb_job.h"

#include "tb_spill.h"

#include "tb_block.h"
#include "tb_comm.h"
#include "tb_error.h"
#include "tb_impact.h"
#include "tb_memory.h"
#include "tb_network.h"
#include "tb_policy_sim.h"
#include "tb_sha256.h"
#include "tb_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_base_trade(tb_job *J) {
  int rc = TB_OK;
  TB_ALLOC(J->trade, 2 * J->D.R * J->D.T);
  TB_GUARD(tb_base_trade_read(&J->in, &J->D, J->trade, &J->home));
done:
  return rc;
}

/* Policy regions are checked against the input before any deal is evaluated. */
static int check_policy_regions(const tb_config *cfg, const tb_input_dims *D) {
  for (int p = 0; p < cfg->npolicies; p++) TB_CALL(tb_policy_check_regions(&cfg->policy[p], D->R, cfg->input_file));
  return TB_OK;
}

int tb_job_check_input(const tb_config *cfg, tb_input_dims *D, char sha[65], tb_run_stats *S, int loud) {
  int rc = TB_OK;
  tb_h5 in = {.id = -1};
  TB_CALL(tb_comm_agree(tb_h5_open(&in, cfg->input_file)));
  /* rank 0 hashes the input (input_sha256) while every rank validates it */
  tb_hash_job hash = {0};
  if (tb_comm_rank() == 0) tb_sha256_start(&hash, cfg->input_file);
  tb_announce(loud, "validating the input (and hashing it on rank 0)");
  double t = tb_now();
  rc = tb_input_validate(&in, D);
  S->t[TB_ST_VALIDATE] = tb_now() - t;
  t = tb_now();
  if (tb_comm_rank() == 0) {
    int h = tb_sha256_finish(&hash, rc != 0);
    if (!rc) rc = h;
    memcpy(sha, hash.hex, 65);
  }
  S->t[TB_ST_HASH] = tb_now() - t; /* only the part hashing outlasted validation */
  TB_GUARD(tb_comm_agree(rc));
  TB_GUARD(tb_comm_bcast(sha, 65, 0));
  TB_GUARD(check_policy_regions(cfg, D)); /* same verdict on every rank */
done:
  tb_h5_close(&in);
  return rc;
}

int tb_job_load(tb_job *J, const tb_config *cfg, const tb_input_dims *D, int cache, tb_run_stats *S, int loud) {
  int rc = TB_OK;
  memset(J, 0, sizeof *J);
  J->in.id = -1;
  J->D = *D;
  tb_mem_plan mem;
  TB_CALL(tb_memory_check(cfg, D, cache, &mem)); /* before anything sized by the input */
  if (mem.spill) J->spill = tb_spill_dir(cfg->scratch_dir, J->spill_dir, sizeof J->spill_dir);
  if (loud && tb_comm_rank() == 0 && mem.limit > 0)
    fprintf(stderr, "[run] memory: about %.3f GB per rank of %.2f GB allowed\n", mem.total / 1073741824.0,
            mem.limit / 1073741824.0);
  if (loud && tb_comm_rank() == 0 && mem.spill)
    fprintf(stderr, "[run] spilling the draw tables and direct values (up to %.3f GB per rank) to files in %s\n",
            mem.spill_bytes / 1073741824.0, J->spill);
  J->cache = cache;
  const int rank = tb_comm_rank(), size = tb_comm_size();
  const int64_t lo = tb_block_lo(D->M, rank, size), hi = tb_block_lo(D->M, rank + 1, size);
  J->nbatch = (hi - lo + cfg->batch_deals - 1) / cfg->batch_deals;
  TB_CALL(tb_comm_allreduce_i64(&J->nbatch, 1, TB_OP_MAX));
  TB_CALL(tb_comm_agree(tb_h5_open(&J->in, cfg->input_file)));
  TB_CALL(tb_comm_agree(tb_backend_open(&J->be, cfg->backend_kind, cfg->threads, tb_comm_local_rank())));
  TB_CALL(tb_comm_agree(tb_memory_device_check(cfg, D, &J->be, cache)));
  tb_run_stats_phase(TB_PH_LOAD);
  tb_announce(loud, "loading entities");
  double t = tb_now();
  TB_CALL(tb_comm_agree(tb_entities_load(&J->in, D, &cfg->deal, &J->E)));
  S->t[TB_ST_ENTITIES] += tb_now() - t;
  TB_CALL(tb_comm_agree(read_base_trade(J)));
  TB_CALL(tb_comm_agree(tb_deal_table_alloc(&J->T, hi - lo, lo)));
  if (cache) {
    rc = (J->slot = calloc((size_t)(J->nbatch ? J->nbatch : 1), sizeof *J->slot)) ? TB_OK
         : TB_ERR(TB_ERR_MEMORY, "out of memory for %lld batches", (long long)J->nbatch);
    TB_CALL(tb_comm_agree(rc));
  }
  return TB_OK;
}

void tb_job_close(tb_job *J) {
  if (J->in.id >= 0) tb_h5_close(&J->in);
  for (int64_t k = 0; J->slot && k < J->ncached; k++) tb_deal_buffers_free(&J->slot[k].B), free(J->slot[k].remote);
  free(J->slot);
  tb_deal_buffers_free(&J->B);
  tb_deal_table_free(&J->T);
  if (J->have_impact) tb_impact_model_free(&J->impact);
  if (J->have_net) tb_network_free(&J->G);
  free(J->trade);
  tb_entities_free(&J->E);
  tb_backend_close(&J->be);
  memset(J, 0, sizeof *J);
  J->in.id = -1;
}

int tb_job_batch(tb_job *J, int64_t k, int64_t d0, int64_t n, tb_h5 *values, tb_deal_buffers **out,
                 tb_run_stats *S) {
  tb_entity_table *E = &J->E;
  if (!J->cache) {
    *out = &J->B;
    if (!tb_backend_reads_values(&J->be)) values = NULL;
    return tb_deals_read(&J->in, &J->D, E, d0, n, values, &J->B, &S->t[TB_ST_READ], &S->t[TB_ST_FETCH]);
  }
  tb_batch_slot *s = &J->slot[k];
  *out = &s->B;
  s->B.b.values_known = 0; /* a kept batch has its components: evaluated afresh */
  if (k < J->ncached) {
    if (s->nremote) memcpy(E->rows + E->nlocal, s->remote, sizeof(tb_entity_row) * (size_t)s->nremote);
    E->nremote = s->nremote;
    s->B.b.rows = E->rows, s->B.b.nrows = E->nlocal + E->nremote;
    return TB_OK;
  }
  TB_CALL(tb_deals_read(&J->in, &J->D, E, d0, n, NULL, &s->B, &S->t[TB_ST_READ], &S->t[TB_ST_FETCH]));
  s->nremote = E->nremote;
  s->remote = malloc(sizeof(tb_entity_row) * (size_t)(s->nremote ? s->nremote : 1));
  if (!s->remote) return TB_ERR(TB_ERR_MEMORY, "out of memory keeping the deals in memory for the sweep");
  memcpy(s->remote, E->rows + E->nlocal, sizeof(tb_entity_row) * (size_t)s->nremote);
  J->ncached = k + 1;
  return TB_OK;
}
