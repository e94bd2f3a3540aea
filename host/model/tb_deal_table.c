#include "tb_deal_table.h"

#include "tb_error.h"

#include <stdlib.h>
#include <string.h>

int tb_deal_table_alloc(tb_deal_table *T, int64_t n, int64_t d0) {
  int rc = TB_OK;
  memset(T, 0, sizeof *T);
  T->n = n, T->d0 = d0;
  const int64_t c = n ? n : 1;
  TB_ALLOC(T->bid, c);
  TB_ALLOC(T->m, c);
  TB_ALLOC(T->S, c);
  TB_ALLOC(T->k, c);
  TB_ALLOC(T->period, c);
  TB_ALLOC(T->imp, c);
  TB_ALLOC(T->exp, c);
  TB_ALLOC(T->sector, c);
  TB_ALLOC(T->status, c);
  TB_ALLOC(T->funded, c);
done:
  return rc;
}

void tb_deal_table_free(tb_deal_table *T) {
  free(T->bid), free(T->m), free(T->S), free(T->k), free(T->period), free(T->imp), free(T->exp);
  free(T->sector), free(T->status), free(T->funded);
  memset(T, 0, sizeof *T);
}
