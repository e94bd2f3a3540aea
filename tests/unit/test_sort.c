/* Radix sort of (key, value) pairs against qsort, including duplicates and wide keys. */
#include "tb_sort.h"
#include "tb_test.h"

#include <stdlib.h>

typedef struct {
  uint64_t k;
  int64_t v;
} pair;

static int cmp_pair(const void *a, const void *b) { /* stable reference: by key, then value */
  const pair *x = a, *y = b;
  if (x->k != y->k) return x->k < y->k ? -1 : 1;
  return (x->v > y->v) - (x->v < y->v);
}

static uint64_t rnd(uint64_t *s) {
  *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
  return *s;
}

int main(void) {
  uint64_t seed = 88172645463325252ull;
  const int64_t sizes[] = {0, 1, 2, 7, 1000, 100003};
  const uint64_t maxkeys[] = {1, 100, 2047, 2048, 1ull << 40, UINT64_MAX};
  for (int si = 0; si < 6; si++)
    for (int mi = 0; mi < 6; mi++) {
      const int64_t n = sizes[si];
      const uint64_t mk = maxkeys[mi];
      uint64_t *k = malloc(sizeof *k * (size_t)(n + 1)), *tk = malloc(sizeof *tk * (size_t)(n + 1));
      int64_t *v = malloc(sizeof *v * (size_t)(n + 1)), *tv = malloc(sizeof *tv * (size_t)(n + 1));
      pair *ref = malloc(sizeof *ref * (size_t)(n + 1));
      for (int64_t i = 0; i < n; i++) {
        k[i] = mk == UINT64_MAX ? rnd(&seed) : rnd(&seed) % (mk + 1);
        v[i] = i;
        ref[i] = (pair){k[i], i};
      }
      tb_radix_sort_pairs(k, v, n, tk, tv, mk);
      qsort(ref, (size_t)n, sizeof *ref, cmp_pair);
      int64_t bad = 0;
      for (int64_t i = 0; i < n; i++) bad += k[i] != ref[i].k || v[i] != ref[i].v;
      CHECK(bad == 0, "n %lld maxkey %llu: %lld pairs out of place", (long long)n, (unsigned long long)mk, (long long)bad);
      free(k), free(tk), free(v), free(tv), free(ref);
    }
  return TEST_SUMMARY();
}
