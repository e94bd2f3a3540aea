/* Every MPI call of tradebal lives behind this interface (mpi/tb_comm.c).
 * Without MPI (TB_MPI=OFF) the same calls act on a single rank. */
#ifndef TB_COMM_H
#define TB_COMM_H

#include <stddef.h>
#include <stdint.h>

int tb_comm_init(int *argc, char ***argv);
void tb_comm_finalize(void);
void tb_comm_abort(int code);
int tb_comm_rank(void);
int tb_comm_size(void);
int tb_comm_local_rank(void); /* rank within this node (shared-memory communicator) */
int tb_comm_local_size(void); /* world ranks on this node */
int tb_comm_barrier(void);

/* Scenario groups (MODEL.md section 9): after tb_comm_split(color) every call above, and the
 * HDF5 files opened meanwhile, act on this rank's group (ranks of one color, in world order);
 * tb_comm_unsplit returns to the world. The world rank and size stay available. */
int tb_comm_split(int color);
int tb_comm_unsplit(void);
int tb_comm_world_rank(void);
int tb_comm_world_size(void);

/* Collective agreement on a status: returns the largest code raised on any rank;
 * a rank that raised none records a silent "remote" error with that code. */
int tb_comm_agree(int rc);
/* A rank that raised an error waits TB_ABORT_AFTER seconds (10) for the others to agree; if
 * they do not come (blocked in another collective), it prints its error, runs the abort hook
 * (removing the partial output) and calls MPI_Abort with the code: no hang until the time limit. */
void tb_comm_on_abort(void (*hook)(void));
void tb_comm_fatal(int code);

enum { TB_OP_SUM = 0, TB_OP_MAX = 1, TB_OP_MIN = 2 };
int tb_comm_allreduce_i64(int64_t *v, int n, int op);
int tb_comm_allreduce_f64(double *v, int n, int op);
int tb_comm_exscan_i64(int64_t v, int64_t *before); /* sum over lower ranks */
int tb_comm_bcast(void *buf, size_t bytes, int root);
/* Global sum of per-rank compensated partial sums, added in rank order so every
 * rank count gives the same answer to ~1 ulp (MODEL.md section 10). */
int tb_comm_sum_compensated(double sum, double comp, double *out);
/* In-place global sum of n double-double values (pairs[2i] + pairs[2i+1]): each addition
 * is exact to ~1e-32 relative, so any rank count rounds to the same double but in ties. */
int tb_comm_sum_dd(double *pairs, int n);
/* Every rank's `bytes` bytes, in rank order. */
int tb_comm_allgather(const void *mine, size_t bytes, void *all);
/* All-to-all of fixed-size items: send holds scount[r] items for rank r, grouped in rank
 * order; *recv (malloc'd, caller frees) gets *nrecv items grouped by source rank. */
int tb_comm_exchange(const void *send, const int64_t *scount, size_t item_bytes, void **recv,
                     int64_t *nrecv);
/* Send item i to rank dest[i]: a stable counting sort by destination (each rank receives
 * a source's items in their original order, sources in rank order), then tb_comm_exchange. */
int tb_comm_route(const void *items, const int *dest, int64_t n, size_t item_bytes, void **recv, int64_t *nrecv);
/* First failing index of a check across ranks: min over ranks of `first`
 * (INT64_MAX = none) and the rank that owns it. */
int tb_comm_first_index(int64_t first, int64_t *global_first, int *owner);

/* Fetch fixed-size rows of a block-distributed table (n_global rows, this rank
 * holds rows [lo, lo+nlocal) in `local`). `ids` are sorted unique ids owned by
 * other ranks; their rows land in `out` in the same order. Collective. */
int tb_comm_fetch_rows(int64_t n_global, const void *local, int64_t lo, size_t row_bytes,
                       const int64_t *ids, int64_t nids, void *out);

/* A fixed halo of such a table (an iteration's remote rows): the ids are sent once, at create,
 * and every fetch then moves only the rows, point to point between ranks that share any.
 * Create and fetch are collective; `ids` as for tb_comm_fetch_rows. */
typedef struct tb_comm_halo tb_comm_halo;
int tb_comm_halo_create(int64_t n_global, int64_t lo, size_t row_bytes, const int64_t *ids, int64_t nids,
                        tb_comm_halo **out);
int tb_comm_halo_fetch(tb_comm_halo *h, const void *local, void *out);
void tb_comm_halo_free(tb_comm_halo *h);

/* Bytes this rank moved through the calls above since it started (always counted, a few adds a call).
 * The payload, whatever MPI's algorithm: an allreduce, exscan or agree its vector once each way; an
 * allgather its block to and from each other rank; a bcast (size-1) blocks from the root and one to the
 * others; all-to-alls and halo fetches the items for other ranks (a rank's own items are a memcpy), with
 * their count plans. Nothing on one rank. halo: the bytes of halo fetches alone, included in sent.
 * Parallel HDF5's own traffic (MPI-IO) is not counted. */
typedef struct {
  int64_t sent, recv, halo;
} tb_comm_bytes;
void tb_comm_bytes_get(tb_comm_bytes *b);

#endif
