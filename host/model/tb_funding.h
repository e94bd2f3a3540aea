/* MODEL.md section 4: which development opportunities to fund, across ranks. */
#ifndef TB_FUNDING_H
#define TB_FUNDING_H

#include "tb_deal_table.h"

typedef struct {
  double margin_of_safety, theta, budget;
  int64_t nsectors;
  int ranked; /* 1: also the ranked opportunities and the sector index (outputs); 0: T->funded and totals only */
} tb_funding_params;

typedef struct {
  int64_t nopp, nunder, nfunded; /* global: opportunities, undervalued, funded */
  double cost_funded;
  /* this rank's slice [o0, o0 + no) of the undervalued opportunities ranked by u^B */
  int64_t o0, no;
  int64_t *deal;
  double *value_ratio;
  uint8_t *funded;
  double *sector_index; /* [nsectors], NaN for a sector without opportunities */
} tb_funding;

/* Sets T->funded (1 also for deals that need no funding) and the global totals; with
 * P->ranked, also this rank's slice of the ranking and the sector index. Collective. */
int tb_funding_select(tb_deal_table *T, const tb_funding_params *P, tb_funding *out);
void tb_funding_free(tb_funding *F);

#endif
