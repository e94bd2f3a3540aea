/* libFuzzer target: the config parser (tb_config_load from a file, tb_config_set from a --set
 * string, then the checks and the dump every run writes). Any input must give TB_OK or a
 * usage error, never a crash, a sanitizer report or a message with a newline. */
#include "tb_config.h"
#include "tb_error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  snprintf(g_path, sizeof g_path, "/tmp/tb_fuzz_config_%ld.ini", (long)getpid());
  return 0;
}

static void expect_clean(int rc) {
  if (rc != TB_OK && rc != TB_ERR_USAGE) abort(); /* a config is only ever right or a usage error */
  if (rc && strchr(tb_error_message(), '\n')) abort(); /* the one-line contract */
  tb_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static tb_config c; /* large: not on the stack */
  static char dump[TB_CONFIG_TEXT_MAX];
  FILE *f = fopen(g_path, "wb");
  if (!f) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  tb_config_defaults(&c);
  expect_clean(tb_config_load(&c, g_path));
  expect_clean(tb_config_check(&c));
  if (tb_config_dump(&c, dump, sizeof dump) != TB_OK) tb_error_clear();
  char *set = malloc(size + 1); /* the same bytes as one --set assignment */
  if (!set) return 0;
  memcpy(set, data, size), set[size] = 0;
  tb_config_defaults(&c);
  expect_clean(tb_config_set(&c, set));
  free(set);
  return 0;
}
