/* MODEL.md section 5, secondary trading: a continuous double auction per region with
 * price-time priority. Pure computation: the `match` command feeds it each region's
 * orders in arrival order and the region's holdings column. */
#ifndef TB_CDA_H
#define TB_CDA_H

#include <stdint.h>

enum { TB_BUY = 0, TB_SELL = 1 };
/* Order status (reason codes of rejected orders) */
enum { TB_ORDER_OK = 0, TB_ORDER_BAD_QUANTITY = 1, TB_ORDER_BAD_PRICE = 2, TB_ORDER_NO_CERTIFICATES = 3 };

typedef struct {
  int64_t index;  /* position in the input stream (global) */
  int64_t entity;
  double quantity, price, time;
  uint8_t side;
} tb_order;

typedef struct {
  int64_t buy, sell; /* order indices */
  double price, quantity, time;
} tb_trade;

typedef struct {
  int64_t ntrades, cap;
  tb_trade *trades;
  double volume, notional; /* sum q and sum p q */
} tb_cda_result;

/* Match one region's orders (already in arrival order) against each other. `hold` is the
 * region's holdings column [N], updated in place; status[i] and filled[i] receive order i's
 * outcome. Needs N doubles of scratch for certificates reserved by resting sell orders. */
int tb_cda_match(const tb_order *orders, int64_t n, double *hold, int64_t N, uint8_t *status,
                 double *filled, tb_cda_result *out);
void tb_cda_result_free(tb_cda_result *r);
/* An order's reason code on arrival: quantity <= 0 (1), price < 0 or NaN (2), a sell of more than the
 * seller's `available` certificates, holdings less those its resting sells reserve (3); else TB_ORDER_OK. */
uint8_t tb_cda_order_check(const tb_order *o, double available);

#endif
