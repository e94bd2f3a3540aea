/* Host memory a run needs per rank, estimated from the validated dimensions before anything large
 * is allocated, and checked against run.memory_limit (docs/user-guide.md, "Memory"). */
#ifndef TB_MEMORY_H
#define TB_MEMORY_H

#include "tb_config.h"
#include "tb_validate.h"
#include "tb_backend.h"

enum { TB_MEM_DEALS, TB_MEM_DRAWS, TB_MEM_BATCH, TB_MEM_ENTITIES, TB_MEM_POLICIES, TB_MEM_DIRECT, TB_MEM_NETWORK,
       TB_MEM_IO, TB_MEM_NPARTS };

typedef struct {
  double part[TB_MEM_NPARTS]; /* bytes per rank of each kind of data (the largest rank's share) */
  double data, base, total;   /* the peak of the parts (below); what the process holds already (libraries); both */
  double limit;               /* bytes per rank allowed; <= 0: no limit known */
  char limit_from[320];       /* where the limit comes from, for messages */
  int spill;                  /* the draw tables and direct values go to scratch files (run.spill) */
  double spill_bytes;         /* the most those files may hold per rank */
} tb_mem_plan;

/* The estimate for this communicator's ranks; `cache` when every batch stays in memory (sweeps). */
void tb_memory_estimate(const tb_config *cfg, const tb_input_dims *D, int ranks, int cache, int spill,
                        tb_mem_plan *P);
/* Estimate (spilling when run.spill says so, or when `auto` and only spilling fits), find the limit (run.memory_limit, else 90% of what this node has available shared by
 * its ranks) and refuse with TB_ERR_MEMORY, the numbers and a way out when over it. Collective. */
int tb_memory_check(const tb_config *cfg, const tb_input_dims *D, int cache, tb_mem_plan *P);

/* Device bytes per rank: its entity rows (with a batch's remote rows), the smallest deal buffers (they
 * grow into free memory), the network's resident view and the LU factors of section 7. */
enum { TB_DEV_ROWS, TB_DEV_BUFFERS, TB_DEV_NETWORK, TB_DEV_LU, TB_DEV_NPARTS };
double tb_memory_device_estimate(const tb_config *cfg, const tb_input_dims *D, int ranks, int cache,
                                 double part[TB_DEV_NPARTS]);
/* TB_ERR_MEMORY with the numbers when `need` is over run.device_memory_limit, else over 90% of the
 * device's free bytes shared by the `sharers` ranks that use the device. */
int tb_memory_device_verdict(const tb_config *cfg, const double part[TB_DEV_NPARTS], double free_bytes,
                             int sharers);
/* Both for this run's backend: nothing to check without a device. Collective. */
int tb_memory_device_check(const tb_config *cfg, const tb_input_dims *D, tb_backend *be, int cache);

#endif
