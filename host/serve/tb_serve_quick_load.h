/* What the quick checks load from files under the data root (input files, `tradebal match` outputs) and
 * build from requests: entities and deals as libtradebal takes them, a holdings registry, a factored
 * input-output table. Files are opened read-only without MPI (H5Fopen with default properties) under
 * S->h5_lock; what is read is checked against MODEL.md section 1's rules once, at load, with the messages
 * of `tradebal validate` (the file named relative to the data root). */
#ifndef TB_SERVE_QUICK_LOAD_H
#define TB_SERVE_QUICK_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "tb_leontief.h"
#include "tb_serve.h"
#include "tb_serve_quick_cache.h"
#include "tradebal.h"

/* Entities: E views the arrays below (bargaining_weight and translation NULL when absent). */
typedef struct {
  tb_api_entities E;
  uint8_t *type;
  double *weights, *discount_rate, *risk_aversion, *pay_cap, *bargaining_weight, *translation;
} tb_q_entities;

/* Deals in the input file's CSR layout: D views the arrays below. */
typedef struct {
  tb_api_deals D;
  int64_t *party_ptr, *party_entity, *comp_ptr, *flow_ptr;
  int32_t *importer, *flow_period;
  uint8_t *comp_dim;
  double *trade_value, *comp_prob, *flow_amount;
} tb_q_deals;

/* A holdings registry [N, R] (row-major: entity e's certificates of region r at e * R + r). */
typedef struct {
  int64_t N, R;
  double *hold;
  int from_match; /* 1: the final holdings of a `tradebal match` output; 0: an input's /market/holdings */
} tb_q_holdings;

/* An input-output table of section 7, factored once (the run's and libtradebal's LU on the CPU backend). */
typedef struct {
  int64_t S;
  tb_backend be;
  tb_leontief L;
  double *W;           /* column-major [2, S]: value added and employment per unit of output */
  double *multipliers; /* [S] output multipliers m_j = sum_i L_ij */
} tb_q_io;

/* Arrays for n entities (bargaining weights when with_beta, a translation table when with_T), or for a
 * batch of M deals with P parties, C components and F flows; NULL when out of memory. */
tb_q_entities *tb_q_entities_new(int64_t n, int with_beta, int with_T);
void tb_q_entities_free(void *q);
tb_q_deals *tb_q_deals_new(int64_t M, int64_t P, int64_t C, int64_t F);
void tb_q_deals_free(void *q);

/* The loaders of the cache (tb_qc_loader): /entities and /model/translation of an input; its /deals (checked
 * against its entity count); /market/holdings of an input or a match output; /io of an input. */
int tb_qload_entities(tb_srv *S, const char *abs, const char *rel, tb_qc_value *v, tb_resp *r);
int tb_qload_deals(tb_srv *S, const char *abs, const char *rel, tb_qc_value *v, tb_resp *r);
int tb_qload_holdings(tb_srv *S, const char *abs, const char *rel, tb_qc_value *v, tb_resp *r);
int tb_qload_io(tb_srv *S, const char *abs, const char *rel, tb_qc_value *v, tb_resp *r);
/* A library or loader error code as the client's problem: an input rule 422, memory 503, else 500 (the
 * message logged, not sent). The data root never appears in the detail. Returns -1. */
int tb_q_problem(tb_srv *S, int code, const char *message, tb_resp *r);

#endif
