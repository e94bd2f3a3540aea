/* What a run counts and times (by stage), its announcements of long stages, and the summary
 * `tradebal run` prints. */
#ifndef TB_RUN_STATS_H
#define TB_RUN_STATS_H

#include "tb_config.h"
#include "tb_deal_file.h"
#include "tb_validate.h"

#include <stdint.h>

enum { TB_ST_VALIDATE, TB_ST_HASH, TB_ST_ENTITIES, TB_ST_READ, TB_ST_FETCH, TB_ST_COMPUTE, TB_ST_WRITE, TB_ST_DRAWS, TB_ST_FUNDING, TB_ST_MARKET,
       TB_ST_NETWORK, TB_ST_TOTAL, TB_ST_N };

typedef struct {
  int64_t passes; /* deal evaluations per deal: 1 + one per policy */
  int64_t status[3];
  double surplus, surplus_c;
  double t[TB_ST_N];
} tb_run_stats;

/* Count a batch's statuses and surpluses (pass 1). */
void tb_run_stats_tally(tb_run_stats *S, const tb_deal_buffers *B);
/* Sum the counts over ranks; the slowest rank's times. Collective. */
int tb_run_stats_reduce(tb_run_stats *S);
/* The run's summary on stdout (rank 0). */
void tb_run_stats_print(const tb_run_stats *S, const tb_input_dims *D, const tb_config *cfg, const char *backend);
/* Whether to announce stages on stderr (progress=always, or auto with an input of 1 GiB or more). */
int tb_loud_stages(const tb_config *cfg);
void tb_announce(int loud, const char *what);

#endif
