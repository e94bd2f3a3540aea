/* LSD radix sort of (key, value) pairs: O(n) for the integer ids tradebal sorts. */
#ifndef TB_SORT_H
#define TB_SORT_H
#include <stdint.h>
/* Sorts key[] ascending (stable), carrying val[] along. tk/tv: scratch of n each.
 * maxkey bounds the keys, so only the digits it needs are sorted. */
void tb_radix_sort_pairs(uint64_t *key, int64_t *val, int64_t n, uint64_t *tk, int64_t *tv,
                         uint64_t maxkey);
#endif
