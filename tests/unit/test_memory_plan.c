/* The device half of the memory plan (README "Memory"), worked by hand: the estimate's parts for
 * given dimensions, and the verdict against a device's free memory and run.device_memory_limit.
 * (The host half is checked against measured peak memory by test_memory.py.) */
#include "tb_memory.h"
#include "tb_error.h"
#include "tb_test.h"

#include <string.h>

int main(void) {
  tb_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.batch_deals = 500;
  tb_input_dims D;
  memset(&D, 0, sizeof D);
  D.N = 1000, D.M = 2000, D.P = 5000, D.E = 3000, D.S = 10;
  double part[TB_DEV_NPARTS];
  /* 2 ranks: 1000 deals and 500 entities each; a batch of 500 deals has 1250 parties, at most 500 of them
   * remote; rows (500 + 500) x 1.25 x 64; two smallest slots 2 x 1.25 x 65536; network 501 x 8 pointers,
   * 1500 x 16 edges, 2 x 1000 x 8 iterates; LU 2 x 10^2 x 8 */
  const double need = tb_memory_device_estimate(&cfg, &D, 2, 0, part);
  CHECK_NEAR(part[TB_DEV_ROWS], 80000.0, 0);
  CHECK_NEAR(part[TB_DEV_BUFFERS], 163840.0, 0);
  CHECK_NEAR(part[TB_DEV_NETWORK], 44008.0, 0);
  CHECK_NEAR(part[TB_DEV_LU], 1600.0, 0);
  CHECK_NEAR(need, 289448.0, 0);
  /* a sweep keeps every batch: all 1000 deals' parties, still at most the 500 entities of the others */
  tb_memory_device_estimate(&cfg, &D, 2, 1, part);
  CHECK_NEAR(part[TB_DEV_ROWS], 80000.0, 0);
  tb_memory_device_estimate(&cfg, &D, 2, 0, part);

  /* 1 GiB free shared by 4 ranks: 0.9 x 268 MB each, plenty */
  CHECK(tb_memory_device_verdict(&cfg, part, 1073741824.0, 4) == TB_OK, "fits: %s", tb_error_message());
  /* 1.2 MB free over 4 ranks: 0.27 MB each < 0.29 MB */
  int rc = tb_memory_device_verdict(&cfg, part, 1200000.0, 4);
  CHECK(rc == TB_ERR_MEMORY && strstr(tb_error_message(), "about 0.000 GB per rank on its GPU") &&
        strstr(tb_error_message(), "over the 4 rank(s) sharing it") && strstr(tb_error_message(), "more ranks"),
        "over the device: %s", tb_error_message());
  tb_error_clear();
  /* the configured limit wins over the device's free memory, either way */
  cfg.device_memory_limit = 0.0002; /* 214748 bytes */
  rc = tb_memory_device_verdict(&cfg, part, 1073741824.0, 1);
  CHECK(rc == TB_ERR_MEMORY && strstr(tb_error_message(), "run.device_memory_limit = 0.0002 GB"),
        "over the limit: %s", tb_error_message());
  tb_error_clear();
  cfg.device_memory_limit = 0.001;
  CHECK(tb_memory_device_verdict(&cfg, part, 1000.0, 8) == TB_OK, "a configured limit above the estimate passes");
  return TEST_SUMMARY();
}
