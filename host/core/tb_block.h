/* Block distribution of n global items over `size` ranks (int64 global ids). */
#ifndef TB_BLOCK_H
#define TB_BLOCK_H
#include <stdint.h>

static inline int64_t tb_block_lo(int64_t n, int rank, int size) {
  /* n * rank may overflow for n near 2^63 / size; split to stay exact */
  return (n / size) * rank + ((n % size) * rank) / size;
}

static inline int tb_block_owner(int64_t n, int size, int64_t i) {
  int r = (int)((double)i / (double)(n ? n : 1) * size);
  if (r >= size) r = size - 1;
  if (r < 0) r = 0;
  while (r > 0 && tb_block_lo(n, r, size) > i) r--;
  while (r + 1 < size && tb_block_lo(n, r + 1, size) <= i) r++;
  return r;
}
#endif
