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

/* Phases of a run whose peak resident memory is reported (the largest rank's). */
enum { TB_PH_VALIDATE, TB_PH_LOAD, TB_PH_DEALS, TB_PH_MARKETS, TB_PH_POLICIES, TB_PH_NETWORK, TB_PH_OUTPUT, TB_PH_N };

typedef struct {
  int64_t passes; /* deal evaluations per deal: 1 + one per policy */
  int64_t status[3];
  double surplus, surplus_c;
  double t[TB_ST_N];
  double peak[TB_PH_N]; /* bytes; 0: the phase did not run or was not watched */
  /* bytes through tb_comm (tb_comm_bytes) while watched; this rank's until tb_run_stats_reduce */
  int64_t sent[TB_PH_N]; /* sent, by phase: reduced, the busiest rank's in each */
  int64_t busiest[2];    /* sent and received: reduced, the busiest rank's */
  int64_t all[2];        /* sent, and sent by halo fetches: reduced, summed over ranks */
} tb_run_stats;

/* Watch this process's resident memory and its bytes through tb_comm by phase (a thread samples /proc/self/statm every 10 ms;
 * a phase that raises the high-water mark gets it exactly) until tb_run_stats_unwatch. */
int tb_run_stats_watch(void);
/* From now on the memory is phase `phase`'s (TB_PH_*); nothing without tb_run_stats_watch. */
void tb_run_stats_phase(int phase);
/* Stop watching; each phase's peak and bytes into S. */
void tb_run_stats_unwatch(tb_run_stats *S);

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
