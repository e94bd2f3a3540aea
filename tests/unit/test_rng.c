/* Philox4x32-10 through tb_rng.h against Random123's published known-answer vectors. */
#include "tb_rng.h"
#include "tb_test.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "../shared/data/random123-kat/philox4x32_10.txt";
  FILE *fp = fopen(path, "r");
  if (!fp) {
    fprintf(stderr, "skip: %s not found\n", path);
    return 77;
  }
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, fp)) {
    unsigned c[4], k[2], want[4];
    int rounds;
    if (line[0] == '#' || strncmp(line, "philox4x32", 10)) continue;
    if (sscanf(line + 10, "%d %x %x %x %x %x %x %x %x %x %x", &rounds, &c[0], &c[1], &c[2], &c[3],
               &k[0], &k[1], &want[0], &want[1], &want[2], &want[3]) != 11)
      continue;
    /* tb_philox packs item = (c1 << 32 | c0), seed = (k1 << 32 | k0) */
    uint64_t item = (uint64_t)c[1] << 32 | c[0], seed = (uint64_t)k[1] << 32 | k[0];
    philox4x32_ctr_t x = tb_philox(seed, item, c[2], c[3]);
    for (int i = 0; i < 4; i++)
      CHECK(x.v[i] == want[i], "vector %d word %d: %08x, want %08x", n, i, x.v[i], want[i]);
    n++;
  }
  fclose(fp);
  CHECK(n == 12, "read %d vectors, want 12", n);
  /* MODEL.md's u01 is > 0 always; at the top word 1 - 2^-54 rounds to exactly 1.0,
   * which Box-Muller tolerates (log 1 = 0). */
  CHECK(tb_u01(0, 0) == 0x1p-54, "u01(0) = %.17g", tb_u01(0, 0));
  CHECK(tb_u01(0xffffffffu, 0xffffffffu) == 1.0, "u01(max) = %.17g", tb_u01(0xffffffffu, 0xffffffffu));
  CHECK(tb_u01(0xffffffffu, 0xfffff000u) < 1.0, "u01 below the top word stays < 1");
  return TEST_SUMMARY();
}
