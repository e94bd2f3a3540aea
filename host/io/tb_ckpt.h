/* Checkpoint and restart (docs/user-guide.md, "Checkpoint and restart"). At safe points the run asks
 * tb_ckpt_due whether to write its state now: periodically (checkpoint.every), or to stop
 * because SIGTERM or SIGUSR1 arrived or checkpoint.walltime is near. Every rank writes its
 * own file DIR/rank-NNNNNN.ckpt (temporary file, fsync, rename; the previous one kept as
 * .prev), so a set is consistent at the newest generation every rank holds. A file names
 * the run it belongs to (version, input SHA-256, model config, rank count) and carries a
 * SHA-256 of its payload; resuming refuses any other run's checkpoint. Collective calls act
 * on the current communicator (the world, or a sweep's scenario group). */
#ifndef TB_CKPT_H
#define TB_CKPT_H

#include "tb_util.h" /* TB_PATH_MAX */

#include <stdint.h>

typedef struct {
  const char *name; /* up to 47 characters */
  const void *data;
  int64_t bytes;
} tb_ckpt_item;

enum { TB_CKPT_NO = 0, TB_CKPT_SAVE = 1, TB_CKPT_STOP = 2 };

typedef struct {
  char dir[TB_PATH_MAX];
  char input_sha[65], config_sha[65];
  double every, walltime;
  double t_start, t_safe, t_write, longest_gap, write_cost;
  int64_t generation; /* of the newest set written or loaded; 0: none */
  int stop_reason;    /* the signal, -1 for the walltime, 1000 for the test hook, once stopping */
  int64_t safe_points, stop_after; /* TB_STOP_AFTER_SAFE_POINTS=N (tests): stop at the Nth */
  char *blob;         /* the loaded file's payload (resume) */
  int64_t blob_bytes;
} tb_ckpt;

/* Catch SIGTERM and SIGUSR1 (a flag read at safe points). Call once, early. */
void tb_ckpt_catch_signals(void);
/* What a run's checkpoints need of its configuration ([checkpoint] and the output path) and the
 * identity of its model configuration (host/run/tb_run_state.c computes it). */
typedef struct {
  const char *dir;    /* checkpoint.dir; "" is OUTPUT.ckpt */
  const char *output; /* output.file */
  char config_sha[65];
  double every, walltime;
  int resume;         /* 1: checkpoint.resume = auto */
} tb_ckpt_params;

/* The run's identity and where its files live; nothing is read or written yet. */
int tb_ckpt_init(tb_ckpt *C, const tb_ckpt_params *P, const char *input_sha);
/* With checkpoint.resume = auto: load the newest generation every rank of the current
 * communicator holds, or none (*found 0, a fresh start). A file of another run is an error. */
int tb_ckpt_resume(tb_ckpt *C, int *found);
/* tb_ckpt_init, then with checkpoint.resume = auto tb_ckpt_resume, announced on stderr. */
int tb_ckpt_open(const tb_ckpt_params *P, const char *input_sha, tb_ckpt *C);
int tb_ckpt_has(const tb_ckpt *C, const char *name);
/* A loaded item of exactly `bytes` bytes into data; or into a fresh malloc'd buffer, of exactly
 * *bytes bytes when *bytes >= 0 on entry, of any size when -1 (*bytes is then its size). */
int tb_ckpt_get(const tb_ckpt *C, const char *name, void *data, int64_t bytes);
int tb_ckpt_get_alloc(const tb_ckpt *C, const char *name, void **data, int64_t *bytes);
/* At a safe point: TB_CKPT_NO, _SAVE or _STOP, the same on every rank. Collective. */
int tb_ckpt_due(tb_ckpt *C, int *action);
/* Write this rank's items as the next generation. Collective. */
int tb_ckpt_write(tb_ckpt *C, const tb_ckpt_item *items, int n);
/* The error that ends a stopped run (TB_ERR_STOPPED, owned by rank 0 of the communicator). */
int tb_ckpt_stopped(const tb_ckpt *C, const char *where);
/* After the output is in place: delete this rank's files (rank 0 also the folder). Collective. */
int tb_ckpt_remove(tb_ckpt *C);
void tb_ckpt_free(tb_ckpt *C);

#endif
