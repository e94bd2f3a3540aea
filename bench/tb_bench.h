/* The provenance header every benchmark prints first (nccl-tests style). */
#ifndef TB_BENCH_H
#define TB_BENCH_H

#include "tb_util.h"
#include "tb_version.h"

#include <stdio.h>
#include <sys/utsname.h>
#include <time.h>

/* "# tradebal V TITLE benchmark, DATE" and "# host H (OS), cpu C, PARALLEL". */
static inline void tb_bench_header(const char *title, const char *parallel) {
  struct utsname u;
  char model[256], date[64];
  uname(&u);
  tb_cpu_model(model, sizeof model);
  time_t now = time(NULL);
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  printf("# tradebal %s %s benchmark, %s\n", TB_VERSION, title, date);
  printf("# host %s (%s %s), cpu %s, %s\n", u.nodename, u.sysname, u.release, model, parallel);
}

#endif
