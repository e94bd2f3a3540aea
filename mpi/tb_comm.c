#include "tb_comm.h"

#include "tb_block.h"
#include "tb_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static tb_comm_bytes g_bytes; /* this rank's payload, tb_comm_bytes_get */

#ifdef TB_HAVE_MPI
#include <mpi.h>

#define MPI_CHECK(call)                                                                            \
  do {                                                                                             \
    int mpi_rc_ = (call);                                                                          \
    if (mpi_rc_ != MPI_SUCCESS) {                                                                  \
      char mpi_msg_[MPI_MAX_ERROR_STRING];                                                         \
      int mpi_len_ = 0;                                                                            \
      MPI_Error_string(mpi_rc_, mpi_msg_, &mpi_len_);                                              \
      return TB_ERR(TB_ERR_MPI, "%s failed: %s", #call, mpi_msg_);                                 \
    }                                                                                              \
  } while (0)

/* Collectives act on g_comm: the world, or this rank's scenario group after tb_comm_split. */
static int g_rank = 0, g_size = 1, g_local = 0, g_local_size = 1, g_inited = 0, g_world_rank = 0, g_world_size = 1;
static MPI_Comm g_comm;

/* A call's payload, as tb_comm.h defines it; one rank moves nothing. */
static void count(int64_t sent, int64_t recv) {
  if (g_size < 2) return;
  g_bytes.sent += sent, g_bytes.recv += recv;
}
/* Items of counts c[] to or from ranks other than `me`, in bytes. */
static int64_t others(const int *c, int P, int me, size_t unit) {
  int64_t n = 0;
  for (int r = 0; r < P; r++) n += r == me ? 0 : c[r];
  return n * (int64_t)unit;
}

int tb_comm_init(int *argc, char ***argv) {
  int provided = 0;
  MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
  g_inited = 1;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &g_rank));
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &g_size));
  g_comm = MPI_COMM_WORLD;
  g_world_rank = g_rank, g_world_size = g_size;
  MPI_Comm node;
  MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_rank, MPI_INFO_NULL, &node));
  MPI_CHECK(MPI_Comm_rank(node, &g_local));
  MPI_CHECK(MPI_Comm_size(node, &g_local_size));
  MPI_Comm_free(&node);
  return TB_OK;
}

void tb_comm_finalize(void) {
  if (g_inited) MPI_Finalize();
  g_inited = 0;
}
void tb_comm_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
MPI_Comm tb_comm_current(void) { return g_comm; }
int tb_comm_world_rank(void) { return g_world_rank; }
int tb_comm_world_size(void) { return g_world_size; }

int tb_comm_split(int color) {
  MPI_Comm c;
  if (g_comm != MPI_COMM_WORLD) return TB_ERR(TB_ERR_INTERNAL, "tb_comm_split: already split");
  MPI_CHECK(MPI_Comm_split(MPI_COMM_WORLD, color, g_world_rank, &c));
  MPI_Comm_set_errhandler(c, MPI_ERRORS_RETURN);
  g_comm = c;
  MPI_CHECK(MPI_Comm_rank(c, &g_rank));
  MPI_CHECK(MPI_Comm_size(c, &g_size));
  return TB_OK;
}

int tb_comm_unsplit(void) {
  if (g_comm != MPI_COMM_WORLD) MPI_Comm_free(&g_comm);
  g_comm = MPI_COMM_WORLD;
  g_rank = g_world_rank, g_size = g_world_size;
  return TB_OK;
}

int tb_comm_rank(void) { return g_rank; }
int tb_comm_size(void) { return g_size; }
int tb_comm_local_rank(void) { return g_local; }
int tb_comm_local_size(void) { return g_local_size; }
int tb_comm_barrier(void) {
  MPI_CHECK(MPI_Barrier(g_comm));
  return TB_OK;
}

static void (*g_abort_hook)(void) = NULL;
void tb_comm_on_abort(void (*hook)(void)) { g_abort_hook = hook; }

void tb_comm_fatal(int code) {
  tb_error_print("tradebal", 0);
  if (g_abort_hook) g_abort_hook();
  MPI_Abort(MPI_COMM_WORLD, code);
}

/* Seconds a rank with an error waits for the others to agree before it aborts them all:
 * they may be blocked in another collective and never come. */
static double abort_after(void) {
  const char *v = getenv("TB_ABORT_AFTER");
  return v && atof(v) > 0 ? atof(v) : 10.0;
}

int tb_comm_agree(int rc) {
  int global = rc, done = 0;
  MPI_Request req;
  if (MPI_Iallreduce(&rc, &global, 1, MPI_INT, MPI_MAX, g_comm, &req) != MPI_SUCCESS)
    return TB_ERR(TB_ERR_MPI, "MPI_Iallreduce failed while agreeing on an error");
  count(sizeof rc, sizeof rc);
  if (!rc) MPI_Wait(&req, MPI_STATUS_IGNORE);
  const double t0 = MPI_Wtime(), limit = rc ? abort_after() : 0;
  while (rc && !done) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (!done && MPI_Wtime() - t0 > limit) tb_comm_fatal(rc);
    if (!done) usleep(1000);
  }
  if (global && !rc) tb_error_set_remote(global);
  return global;
}

static MPI_Op op_of(int op) { return op == TB_OP_SUM ? MPI_SUM : op == TB_OP_MAX ? MPI_MAX : MPI_MIN; }

int tb_comm_allreduce_i64(int64_t *v, int n, int op) {
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT64_T, op_of(op), g_comm));
  count(8 * n, 8 * n);
  return TB_OK;
}
int tb_comm_allreduce_f64(double *v, int n, int op) {
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, op_of(op), g_comm));
  count(8 * n, 8 * n);
  return TB_OK;
}
int tb_comm_exscan_i64(int64_t v, int64_t *before) {
  *before = 0;
  MPI_CHECK(MPI_Exscan(&v, before, 1, MPI_INT64_T, MPI_SUM, g_comm));
  count(8, 8);
  if (g_rank == 0) *before = 0; /* MPI leaves rank 0's result undefined */
  return TB_OK;
}
int tb_comm_bcast(void *buf, size_t bytes, int root) {
  MPI_CHECK(MPI_Bcast(buf, (int)bytes, MPI_BYTE, root, g_comm));
  if (g_rank == root) count((int64_t)bytes * (g_size - 1), 0);
  else count(0, (int64_t)bytes);
  return TB_OK;
}

int tb_comm_sum_compensated(double sum, double comp, double *out) {
  double mine[2] = {sum, comp};
  double *all = malloc(sizeof(double) * 2 * (size_t)g_size);
  if (!all) return TB_ERR(TB_ERR_MEMORY, "out of memory in tb_comm_sum_compensated");
  int rc = MPI_Allgather(mine, 2, MPI_DOUBLE, all, 2, MPI_DOUBLE, g_comm);
  if (rc != MPI_SUCCESS) {
    free(all);
    return TB_ERR(TB_ERR_MPI, "MPI_Allgather failed in tb_comm_sum_compensated");
  }
  double s = 0.0, c = 0.0; /* Neumaier over the partials, in rank order */
  for (int i = 0; i < 2 * g_size; i++) {
    double x = all[i], t = s + x;
    c += (fabs(s) >= fabs(x)) ? (s - t) + x : (x - t) + s;
    s = t;
  }
  free(all);
  count(16 * (g_size - 1), 16 * (g_size - 1));
  *out = s + c;
  return TB_OK;
}

/* Double-double addition (TwoSum, then renormalise): the user op of tb_comm_sum_dd. */
static void dd_add(void *in, void *inout, int *len, MPI_Datatype *type) {
  (void)type;
  const double *a = in;
  double *b = inout;
  for (int i = 0; i < *len; i++) {
    double ah = a[2 * i], al = a[2 * i + 1], bh = b[2 * i], bl = b[2 * i + 1];
    double s = ah + bh, v = s - ah, e = (ah - (s - v)) + (bh - v);
    e += al + bl;
    b[2 * i] = s + e;
    b[2 * i + 1] = e - (b[2 * i] - s);
  }
}

int tb_comm_sum_dd(double *pairs, int n) {
  MPI_Datatype dd;
  MPI_Op op;
  MPI_CHECK(MPI_Type_contiguous(2, MPI_DOUBLE, &dd));
  MPI_CHECK(MPI_Type_commit(&dd));
  MPI_CHECK(MPI_Op_create(dd_add, 1, &op));
  int rc = MPI_Allreduce(MPI_IN_PLACE, pairs, n, dd, op, g_comm);
  MPI_Op_free(&op);
  MPI_Type_free(&dd);
  if (rc != MPI_SUCCESS) return TB_ERR(TB_ERR_MPI, "MPI_Allreduce of double-double sums failed");
  count(16 * n, 16 * n);
  return TB_OK;
}

int tb_comm_allgather(const void *mine, size_t bytes, void *all) {
  MPI_CHECK(MPI_Allgather(mine, (int)bytes, MPI_BYTE, all, (int)bytes, MPI_BYTE, g_comm));
  count((int64_t)bytes * (g_size - 1), (int64_t)bytes * (g_size - 1));
  return TB_OK;
}

/* The other side of an all-to-all: receive counts, both displacements and the total. */
static int count_plan(const int *sc, int *rcnt, int *sd, int *rd, int64_t *total, const char *what) {
  if (MPI_Alltoall(sc, 1, MPI_INT, rcnt, 1, MPI_INT, g_comm) != MPI_SUCCESS)
    return TB_ERR(TB_ERR_MPI, "MPI_Alltoall of %s counts failed", what);
  count(4 * (g_size - 1), 4 * (g_size - 1));
  *total = 0;
  for (int r = 0; r < g_size; r++) {
    sd[r] = r ? sd[r - 1] + sc[r - 1] : 0;
    rd[r] = r ? rd[r - 1] + rcnt[r - 1] : 0;
    *total += rcnt[r];
  }
  return TB_OK;
}

int tb_comm_exchange(const void *send, const int64_t *scount, size_t item_bytes, void **recv,
                     int64_t *nrecv) {
  int rc = TB_OK;
  const int P = g_size;
  int *sc = NULL, *sd = NULL, *rc_ = NULL, *rd = NULL;
  MPI_Datatype item = MPI_DATATYPE_NULL;
  *recv = NULL;
  TB_ALLOC(sc, P);
  TB_ALLOC(sd, P);
  TB_ALLOC(rc_, P);
  TB_ALLOC(rd, P);
  for (int r = 0; r < P; r++) {
    if (scount[r] > INT32_MAX) {
      rc = TB_ERR(TB_ERR_MPI, "tb_comm_exchange: %lld items for one rank exceed MPI's int counts", (long long)scount[r]);
      goto done;
    }
    sc[r] = (int)scount[r];
  }
  int64_t n = 0;
  TB_GUARD(count_plan(sc, rc_, sd, rd, &n, "item"));
  *recv = malloc(item_bytes * (size_t)(n ? n : 1));
  if (!*recv) {
    rc = TB_ERR(TB_ERR_MEMORY, "out of memory receiving %lld items", (long long)n);
    goto done;
  }
  /* a rank's items for itself by memcpy: Open MPI moves them through its point-to-point layer, several
   * times slower, and with a local graph they are most of the items */
  memcpy((char *)*recv + (size_t)rd[g_rank] * item_bytes, (const char *)send + (size_t)sd[g_rank] * item_bytes,
         (size_t)sc[g_rank] * item_bytes);
  sc[g_rank] = rc_[g_rank] = 0;
  MPI_Type_contiguous((int)item_bytes, MPI_BYTE, &item);
  MPI_Type_commit(&item);
  if (MPI_Alltoallv(send, sc, sd, item, *recv, rc_, rd, item, g_comm) != MPI_SUCCESS)
    rc = TB_ERR(TB_ERR_MPI, "MPI_Alltoallv of items failed");
  count(others(sc, P, g_rank, item_bytes), others(rc_, P, g_rank, item_bytes));
  MPI_Type_free(&item);
  *nrecv = n;
done:
  if (rc) {
    free(*recv);
    *recv = NULL;
  }
  free(sc), free(sd), free(rc_), free(rd);
  return rc;
}

int tb_comm_first_index(int64_t first, int64_t *global_first, int *owner) {
  int64_t v = first;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, MPI_MIN, g_comm));
  int64_t r = (first == v && v != INT64_MAX) ? g_rank : INT64_MAX;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &r, 1, MPI_INT64_T, MPI_MIN, g_comm));
  *global_first = v;
  *owner = r == INT64_MAX ? 0 : (int)r;
  return TB_OK;
}

int tb_comm_fetch_rows(int64_t n_global, const void *local, int64_t lo, size_t row_bytes,
                       const int64_t *ids, int64_t nids, void *out) {
  int rc = TB_OK;
  const int P = g_size;
  int *scount = NULL, *sdispl = NULL, *rcount = NULL, *rdispl = NULL;
  int64_t *req = NULL;
  char *reply = NULL;
  TB_ALLOC(scount, P);
  TB_ALLOC(sdispl, P);
  TB_ALLOC(rcount, P);
  TB_ALLOC(rdispl, P);
  memset(scount, 0, sizeof(int) * (size_t)P);
  for (int64_t i = 0; i < nids; i++) scount[tb_block_owner(n_global, P, ids[i])]++;
  int64_t nreq = 0;
  TB_GUARD(count_plan(scount, rcount, sdispl, rdispl, &nreq, "request"));
  /* ids are sorted and owners are contiguous blocks, so ids are already grouped by owner */
  TB_ALLOC(req, nreq);
  if (MPI_Alltoallv(ids, scount, sdispl, MPI_INT64_T, req, rcount, rdispl, MPI_INT64_T,
                    g_comm) != MPI_SUCCESS) {
    rc = TB_ERR(TB_ERR_MPI, "MPI_Alltoallv of requested ids failed");
    goto done;
  }
  count(others(scount, P, g_rank, 8), others(rcount, P, g_rank, 8));
  TB_ALLOC(reply, (size_t)nreq * row_bytes);
  for (int64_t i = 0; i < nreq; i++)
    memcpy(reply + (size_t)i * row_bytes, (const char *)local + (size_t)(req[i] - lo) * row_bytes,
           row_bytes);
  MPI_Datatype row;
  MPI_Type_contiguous((int)row_bytes, MPI_BYTE, &row);
  MPI_Type_commit(&row);
  int mrc = MPI_Alltoallv(reply, rcount, rdispl, row, out, scount, sdispl, row, g_comm);
  MPI_Type_free(&row);
  if (mrc != MPI_SUCCESS) rc = TB_ERR(TB_ERR_MPI, "MPI_Alltoallv of entity rows failed");
  count(others(rcount, P, g_rank, row_bytes), others(scount, P, g_rank, row_bytes));
done:
  free(scount);
  free(sdispl);
  free(rcount);
  free(rdispl);
  free(req);
  free(reply);
  return rc;
}

struct tb_comm_halo {
  MPI_Comm comm;
  int P, rank;
  size_t row_bytes;
  int *scount, *sdispl, *rcount, *rdispl; /* rows to and from each rank */
  int64_t *rows, nrows;                   /* local rows others need, grouped by rank */
  char *buf;
  MPI_Request *req;
};

void tb_comm_halo_free(tb_comm_halo *h) {
  if (!h) return;
  free(h->scount), free(h->sdispl), free(h->rcount), free(h->rdispl), free(h->rows), free(h->buf), free(h->req);
  free(h);
}

/* Counts in bytes must fit MPI's int. */
static int halo_check(const tb_comm_halo *h) {
  for (int r = 0; r < h->P; r++)
    if ((double)h->scount[r] * (double)h->row_bytes > INT32_MAX || (double)h->rcount[r] * (double)h->row_bytes > INT32_MAX)
      return TB_ERR(TB_ERR_MPI, "a halo between two ranks exceeds MPI's int counts");
  return TB_OK;
}

int tb_comm_halo_create(int64_t n_global, int64_t lo, size_t row_bytes, const int64_t *ids, int64_t nids,
                        tb_comm_halo **out) {
  int rc = TB_OK;
  tb_comm_halo *h = calloc(1, sizeof *h);
  *out = NULL;
  if (!h) return TB_ERR(TB_ERR_MEMORY, "out of memory for a halo plan");
  h->comm = g_comm, h->P = g_size, h->rank = g_rank, h->row_bytes = row_bytes;
  TB_ALLOC(h->scount, h->P);
  TB_ALLOC(h->sdispl, h->P);
  TB_ALLOC(h->rcount, h->P);
  TB_ALLOC(h->rdispl, h->P);
  TB_ALLOC(h->req, 2 * h->P);
  memset(h->rcount, 0, sizeof(int) * (size_t)h->P);
  for (int64_t i = 0; i < nids; i++) h->rcount[tb_block_owner(n_global, h->P, ids[i])]++;
  /* the requests are the other side's rows: counts and ids travel the opposite way */
  TB_GUARD(count_plan(h->rcount, h->scount, h->rdispl, h->sdispl, &h->nrows, "halo"));
  TB_GUARD(halo_check(h));
  TB_ALLOC(h->rows, h->nrows);
  TB_ALLOC(h->buf, (size_t)h->nrows * row_bytes);
  if (MPI_Alltoallv(ids, h->rcount, h->rdispl, MPI_INT64_T, h->rows, h->scount, h->sdispl, MPI_INT64_T,
                    g_comm) != MPI_SUCCESS) {
    rc = TB_ERR(TB_ERR_MPI, "MPI_Alltoallv of halo ids failed");
    goto done;
  }
  count(others(h->rcount, h->P, h->rank, 8), others(h->scount, h->P, h->rank, 8));
  for (int64_t i = 0; i < h->nrows; i++) h->rows[i] -= lo;
  *out = h, h = NULL;
done:
  tb_comm_halo_free(h);
  return rc;
}

int tb_comm_halo_fetch(tb_comm_halo *h, const void *local, void *out) {
  const size_t rb = h->row_bytes;
  int n = 0;
  for (int64_t i = 0; i < h->nrows; i++) memcpy(h->buf + (size_t)i * rb, (const char *)local + (size_t)h->rows[i] * rb, rb);
  for (int r = 0; r < h->P; r++)
    if (h->rcount[r])
      MPI_CHECK(MPI_Irecv((char *)out + (size_t)h->rdispl[r] * rb, h->rcount[r] * (int)rb, MPI_BYTE, r, 0, h->comm,
                          &h->req[n++]));
  for (int r = 0; r < h->P; r++)
    if (h->scount[r])
      MPI_CHECK(MPI_Isend(h->buf + (size_t)h->sdispl[r] * rb, h->scount[r] * (int)rb, MPI_BYTE, r, 0, h->comm,
                          &h->req[n++]));
  MPI_CHECK(MPI_Waitall(n, h->req, MPI_STATUSES_IGNORE));
  const int64_t sent = others(h->scount, h->P, h->rank, rb);
  count(sent, others(h->rcount, h->P, h->rank, rb));
  g_bytes.halo += sent; /* 0 on one rank: nothing goes to others */
  return TB_OK;
}

#else /* single-process build */

int tb_comm_init(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return TB_OK;
}
void tb_comm_finalize(void) {}
void tb_comm_abort(int code) { exit(code); }
int tb_comm_rank(void) { return 0; }
int tb_comm_size(void) { return 1; }
int tb_comm_local_rank(void) { return 0; }
int tb_comm_local_size(void) { return 1; }
int tb_comm_world_rank(void) { return 0; }
int tb_comm_world_size(void) { return 1; }
int tb_comm_split(int color) {
  (void)color;
  return TB_OK;
}
int tb_comm_unsplit(void) { return TB_OK; }
int tb_comm_barrier(void) { return TB_OK; }
int tb_comm_agree(int rc) { return rc; }
void tb_comm_on_abort(void (*hook)(void)) { (void)hook; }
void tb_comm_fatal(int code) { exit(code); }
int tb_comm_allreduce_i64(int64_t *v, int n, int op) {
  (void)v, (void)n, (void)op;
  return TB_OK;
}
int tb_comm_allreduce_f64(double *v, int n, int op) {
  (void)v, (void)n, (void)op;
  return TB_OK;
}
int tb_comm_exscan_i64(int64_t v, int64_t *before) {
  (void)v;
  *before = 0;
  return TB_OK;
}
int tb_comm_bcast(void *buf, size_t bytes, int root) {
  (void)buf, (void)bytes, (void)root;
  return TB_OK;
}
int tb_comm_sum_dd(double *pairs, int n) {
  (void)pairs, (void)n;
  return TB_OK;
}
int tb_comm_allgather(const void *mine, size_t bytes, void *all) {
  memcpy(all, mine, bytes);
  return TB_OK;
}
int tb_comm_exchange(const void *send, const int64_t *scount, size_t item_bytes, void **recv,
                     int64_t *nrecv) {
  *nrecv = scount[0];
  *recv = malloc(item_bytes * (size_t)(scount[0] ? scount[0] : 1));
  if (!*recv) return TB_ERR(TB_ERR_MEMORY, "out of memory receiving %lld items", (long long)scount[0]);
  memcpy(*recv, send, item_bytes * (size_t)scount[0]);
  return TB_OK;
}
int tb_comm_sum_compensated(double sum, double comp, double *out) {
  *out = sum + comp;
  return TB_OK;
}
int tb_comm_first_index(int64_t first, int64_t *global_first, int *owner) {
  *global_first = first;
  *owner = 0;
  return TB_OK;
}
int tb_comm_fetch_rows(int64_t n_global, const void *local, int64_t lo, size_t row_bytes,
                       const int64_t *ids, int64_t nids, void *out) {
  (void)n_global, (void)local, (void)lo, (void)row_bytes, (void)ids, (void)out;
  return nids ? TB_ERR(TB_ERR_INTERNAL, "remote rows requested in a single-process build") : TB_OK;
}
struct tb_comm_halo {
  int unused;
};
int tb_comm_halo_create(int64_t n_global, int64_t lo, size_t row_bytes, const int64_t *ids, int64_t nids,
                        tb_comm_halo **out) {
  (void)n_global, (void)lo, (void)row_bytes, (void)ids;
  *out = NULL;
  if (nids) return TB_ERR(TB_ERR_INTERNAL, "remote rows requested in a single-process build");
  *out = calloc(1, sizeof **out);
  return *out ? TB_OK : TB_ERR(TB_ERR_MEMORY, "out of memory for a halo plan");
}
int tb_comm_halo_fetch(tb_comm_halo *h, const void *local, void *out) {
  (void)h, (void)local, (void)out;
  return TB_OK;
}
void tb_comm_halo_free(tb_comm_halo *h) { free(h); }
#endif

/* ---- both builds ---- */

void tb_comm_bytes_get(tb_comm_bytes *b) { *b = g_bytes; }

int tb_comm_route(const void *items, const int *dest, int64_t n, size_t item_bytes, void **recv, int64_t *nrecv) {
  int rc = TB_OK;
  const int size = tb_comm_size();
  int64_t *count = NULL, *at = NULL;
  char *send = NULL;
  *recv = NULL;
  TB_ALLOC(count, size);
  TB_ALLOC(at, size);
  TB_ALLOC(send, (int64_t)item_bytes * n);
  memset(count, 0, sizeof(int64_t) * (size_t)size);
  for (int64_t i = 0; i < n; i++) count[dest[i]]++;
  for (int r = 0; r < size; r++) at[r] = r ? at[r - 1] + count[r - 1] : 0;
  for (int64_t i = 0; i < n; i++)
    memcpy(send + (size_t)at[dest[i]]++ * item_bytes, (const char *)items + (size_t)i * item_bytes, item_bytes);
  rc = tb_comm_exchange(send, count, item_bytes, recv, nrecv);
done:
  free(count), free(at), free(send);
  return rc;
}
