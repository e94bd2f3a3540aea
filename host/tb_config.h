/* Run configuration: INI file (inih) plus --set overrides; every key is
 * declared once in a table (tb_config.c) that drives parsing, checks and dumping. */
#ifndef TB_CONFIG_H
#define TB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "tb_math.h"

#define TB_PATH_MAX 4096

typedef struct {
  char input_file[TB_PATH_MAX];
  char output_file[TB_PATH_MAX];
  int overwrite;
  tb_deal_params deal;
  int64_t batch_deals;
  int progress; /* 0 auto, 1 always, 2 never */
  int backend_kind;
  int threads;
} tb_config;

void tb_config_defaults(tb_config *c);
/* Parse an INI file; relative paths in it are taken relative to the file's folder. */
int tb_config_load(tb_config *c, const char *path);
/* Apply one "section.key=value" override (relative paths: to the working directory). */
int tb_config_set(tb_config *c, const char *assignment);
int tb_config_check(const tb_config *c);
/* The resolved configuration as INI text (stored in the output, printed by rank 0). */
int tb_config_dump(const tb_config *c, char *buf, size_t size);

#endif
