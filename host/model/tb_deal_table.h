/* This rank's deals as the funding and market stages see them (struct of arrays,
 * local deal i is global deal d0 + i): filled by the deal pass, one entry per deal. */
#ifndef TB_DEAL_TABLE_H
#define TB_DEAL_TABLE_H

#include <stdint.h>

enum { TB_OUT_TRADED = 0, TB_OUT_NOT_WIN_WIN = 1, TB_OUT_UNFUNDED = 2, TB_OUT_CERT_BLOCKED = 3,
       TB_OUT_TARIFF_BLOCKED = 4 };

typedef struct {
  int64_t n, d0;
  double *bid, *m, *S, *k;
  int32_t *period, *imp, *exp, *sector;
  uint8_t *status, *funded;
} tb_deal_table;

int tb_deal_table_alloc(tb_deal_table *T, int64_t n, int64_t d0);
void tb_deal_table_free(tb_deal_table *T);

#endif
