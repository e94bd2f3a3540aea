/* libFuzzer target: the input reader and validator (MODEL.md section 1 and README "Input and
 * output"). The bytes are written as a file and validated as `tradebal validate` does; every
 * input must validate or give the invalid-input code with one line, never crash, hang or
 * allocate past libFuzzer's -rss_limit_mb / -malloc_limit_mb (dimensions are checked first). */
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_validate.h"
#include "tb_comm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  snprintf(g_path, sizeof g_path, "/tmp/tb_fuzz_input_%ld.h5", (long)getpid());
  tb_h5_quiet();
  return tb_comm_init(argc, argv) == TB_OK ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FILE *f = fopen(g_path, "wb");
  if (!f) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  tb_h5 h;
  tb_input_dims D;
  int rc = tb_h5_open(&h, g_path);
  if (!rc) rc = tb_input_validate(&h, &D);
  if (h.id >= 0) tb_h5_close(&h);
  if (rc != TB_OK && rc != TB_ERR_INPUT) abort(); /* a file is only ever valid or invalid input */
  if (rc && strchr(tb_error_message(), '\n')) abort();
  tb_error_clear();
  return 0;
}
