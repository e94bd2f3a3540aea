#include "tb_sort.h"

#include <string.h>

#define RADIX_BITS 11
#define RADIX (1 << RADIX_BITS)

void tb_radix_sort_pairs(uint64_t *key, int64_t *val, int64_t n, uint64_t *tk, int64_t *tv,
                         uint64_t maxkey) {
  int bits = 0;
  while (bits < 64 && (maxkey >> bits)) bits++;
  uint64_t *k0 = key, *k1 = tk;
  int64_t *v0 = val, *v1 = tv;
  for (int shift = 0; shift < bits; shift += RADIX_BITS) {
    int64_t count[RADIX];
    memset(count, 0, sizeof count);
    for (int64_t i = 0; i < n; i++) count[(k0[i] >> shift) & (RADIX - 1)]++;
    int64_t sum = 0;
    for (int b = 0; b < RADIX; b++) {
      int64_t c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (int64_t i = 0; i < n; i++) {
      int64_t at = count[(k0[i] >> shift) & (RADIX - 1)]++;
      k1[at] = k0[i];
      v1[at] = v0[i];
    }
    uint64_t *tkp = k0;
    k0 = k1, k1 = tkp;
    int64_t *tvp = v0;
    v0 = v1, v1 = tvp;
  }
  if (k0 != key) { /* an odd number of passes left the result in the scratch */
    memcpy(key, k0, (size_t)n * sizeof *key);
    memcpy(val, v0, (size_t)n * sizeof *val);
  }
}
