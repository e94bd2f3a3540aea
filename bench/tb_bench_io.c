/* HDF5 I/O benchmark: GB/s of writing and reading one chunked 1-D float64 dataset the way
 * tradebal does (tb_h5, parallel HDF5 over MPI-IO, each rank its block of rows), with
 * collective and with independent transfers. Writes end with fsync, as `dd conv=fdatasync`
 * does in bench/run_all, which compares both with dd on the same disk.
 * Usage: [mpiexec -n R] tb_bench_io FILE [MiB] [REPEATS] */
#include "tb_bench.h"
#include "tb_block.h"
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_comm.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* fsync of the finished file (rank 0: the data of every rank is in one file). */
static int sync_file(const char *path) {
  if (tb_comm_rank()) return TB_OK;
  const int fd = open(path, O_RDONLY);
  const int bad = fd < 0 || fsync(fd) != 0;
  if (fd >= 0) close(fd);
  return bad ? TB_ERR(TB_ERR_OUTPUT, "%s: fsync failed", path) : TB_OK;
}

static int write_once(const char *path, int64_t n, int64_t lo, int64_t cnt, int collective, const double *buf) {
  tb_h5 f;
  TB_CALL(tb_h5_create(&f, path));
  int rc = tb_h5_new_dataset(&f, "/x", H5T_IEEE_F64LE, 1, &n);
  if (!rc) rc = tb_h5_write_as(&f, "/x", H5T_NATIVE_DOUBLE, lo, cnt, collective, buf);
  const int rc2 = tb_h5_close(&f);
  TB_CALL(rc ? rc : rc2);
  return sync_file(path);
}

static int read_once(const char *path, int64_t lo, int64_t cnt, int collective, double *buf) {
  tb_h5 f;
  TB_CALL(tb_h5_open(&f, path));
  const int rc = tb_h5_read(&f, "/x", H5T_NATIVE_DOUBLE, lo, cnt, collective, buf);
  const int rc2 = tb_h5_close(&f);
  return rc ? rc : rc2;
}

/* With TB_BENCH_DROP_CACHES=1 (root) reads come from the disk: rank 0 drops the page cache. */
static void drop_caches(void) {
  const char *d = getenv("TB_BENCH_DROP_CACHES");
  if (tb_comm_rank() || !d || strcmp(d, "1")) return;
  sync();
  FILE *f = fopen("/proc/sys/vm/drop_caches", "w");
  if (f) fputs("1\n", f), fclose(f);
}

/* Median seconds of `reps` timed calls (slowest rank each time); reads start from a cold cache
 * where drop_caches can. */
static int timed(int reps, double *median, int (*op)(void *), void *ctx, int reading) {
  double t[64];
  for (int r = 0; r < reps; r++) {
    if (reading) drop_caches();
    TB_CALL(tb_comm_barrier());
    const double t0 = tb_now();
    TB_CALL(tb_comm_agree(op(ctx)));
    t[r] = tb_now() - t0;
    TB_CALL(tb_comm_allreduce_f64(&t[r], 1, TB_OP_MAX));
  }
  *median = tb_median(t, reps);
  return TB_OK;
}

typedef struct {
  const char *path;
  int64_t n, lo, cnt;
  int collective;
  double *buf;
} io_case;
static int do_write(void *c) {
  io_case *k = c;
  return write_once(k->path, k->n, k->lo, k->cnt, k->collective, k->buf);
}
static int do_read(void *c) {
  io_case *k = c;
  return read_once(k->path, k->lo, k->cnt, k->collective, k->buf);
}

int main(int argc, char **argv) {
  if (tb_comm_init(&argc, &argv)) return 6;
  tb_h5_quiet();
  if (argc < 2) {
    fprintf(stderr, "usage: [mpiexec -n R] tb_bench_io FILE [MiB] [REPEATS]\n");
    tb_comm_finalize();
    return 2;
  }
  const int64_t mib = argc > 2 ? atoll(argv[2]) : 2048;
  int reps = argc > 3 ? atoi(argv[3]) : 5;
  reps = reps < 1 ? 1 : reps > 64 ? 64 : reps;
  const int64_t n = mib * (1 << 20) / 8;
  const struct {
    int64_t lo, hi;
  } b = {tb_block_lo(n, tb_comm_rank(), tb_comm_size()), tb_block_lo(n, tb_comm_rank() + 1, tb_comm_size())};
  io_case k = {argv[1], n, b.lo, b.hi - b.lo, 1, malloc(sizeof(double) * (size_t)(b.hi > b.lo ? b.hi - b.lo : 1))};
  int rc = k.buf ? TB_OK : TB_ERR(TB_ERR_MEMORY, "out of memory for %lld doubles", (long long)(b.hi - b.lo));
  for (int64_t i = 0; !rc && i < k.cnt; i++) k.buf[i] = (double)(b.lo + i);
  double sec[4] = {0, 0, 0, 0}; /* write coll, read coll, write ind, read ind */
  for (int c = 0; c < 2 && !rc; c++) {
    k.collective = c == 0;
    rc = timed(reps, &sec[2 * c], do_write, &k, 0);
    if (!rc) rc = timed(reps, &sec[2 * c + 1], do_read, &k, 1);
  }
  rc = tb_comm_agree(rc);
  if (!rc && k.cnt && k.buf[k.cnt - 1] != (double)(b.hi - 1))
    rc = TB_ERR(TB_ERR_INTERNAL, "read back the wrong data");
  if (rc) {
    tb_error_print("tb_bench_io", 0);
    tb_comm_finalize();
    return rc;
  }
  if (tb_comm_rank() == 0) {
    char par[64];
    snprintf(par, sizeof par, "%d ranks", tb_comm_size());
    tb_bench_header("HDF5 I/O", par);
    const char *drop = getenv("TB_BENCH_DROP_CACHES");
    printf("# %s: %lld MiB of float64 in 8 MiB chunks; median of %d; writes end with fsync; reads %s\n", argv[1],
           (long long)mib, reps, drop && !strcmp(drop, "1") ? "after dropping the page cache" : "may hit the page cache");
    const double gb = (double)n * 8.0 / 1e9;
    const char *what[4] = {"HDF5 write, collective", "HDF5 read, collective", "HDF5 write, independent",
                           "HDF5 read, independent"};
    for (int i = 0; i < 4; i++) {
      char name[96];
      snprintf(name, sizeof name, "%s (%d ranks)", what[i], tb_comm_size());
      printf("%-36s %8.3f s %8.2f GB/s\n", name, sec[i], gb / sec[i]);
      tb_bench_row(name, gb / sec[i], "GB/s", 0.0, "-", "-", 0.0, "");
    }
  }
  free(k.buf);
  remove(argv[1]);
  tb_comm_finalize();
  return 0;
}
