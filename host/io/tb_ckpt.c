/* Checkpoint files: a fixed header naming the run, then named items, checked by SHA-256. */
#include "tb_ckpt.h"

#include "tb_error.h"
#include "tb_sha256.h"
#include "tb_util.h"
#include "tb_version.h"
#include "tb_comm.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t g_signal = 0;

static void on_signal(int sig) { g_signal = sig; }

void tb_ckpt_catch_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
}

enum { NAME_LEN = 48 };
static const char MAGIC[8] = {'T', 'B', 'C', 'K', 'P', 'T', '0', '1'};

typedef struct {
  char magic[8];
  char version[32];
  char input_sha[65], config_sha[65], payload_sha[65];
  char pad[5];
  int64_t generation, nitems, payload_bytes, world_size, rank;
} file_header;

int tb_ckpt_init(tb_ckpt *C, const tb_ckpt_params *P, const char *input_sha) {
  memset(C, 0, sizeof *C);
  if (P->dir[0]) snprintf(C->dir, sizeof C->dir, "%s", P->dir);
  else if ((size_t)snprintf(C->dir, sizeof C->dir, "%s.ckpt", P->output) >= sizeof C->dir)
    return TB_ERR(TB_ERR_USAGE, "%s: output path too long for its checkpoint folder", P->output);
  snprintf(C->input_sha, sizeof C->input_sha, "%s", input_sha);
  memcpy(C->config_sha, P->config_sha, sizeof C->config_sha);
  C->every = P->every, C->walltime = P->walltime;
  const char *stop = getenv("TB_STOP_AFTER_SAFE_POINTS"); /* tests: stop as if signalled at the Nth */
  C->stop_after = stop ? atoll(stop) : 0;
  C->t_start = C->t_safe = C->t_write = tb_now();
  return TB_OK;
}

static void file_path(const tb_ckpt *C, const char *suffix, char *path, size_t size) {
  snprintf(path, size, "%s/rank-%06d.ckpt%s", C->dir, tb_comm_world_rank(), suffix);
}

/* ---- reading ---- */

enum { F_MISSING, F_DAMAGED, F_FOREIGN, F_VALID };

/* Another run's file: say which part of the identity differs. */
static int foreign(const tb_ckpt *C, const char *path, const file_header *h) {
  if (strcmp(h->version, TB_VERSION))
    return TB_ERR(TB_ERR_USAGE, "%s: checkpoint written by tradebal %s, this is %s; it cannot be resumed "
                  "(remove %s or set checkpoint.dir)", path, h->version, TB_VERSION, C->dir);
  if (strcmp(h->input_sha, C->input_sha))
    return TB_ERR(TB_ERR_USAGE, "%s: checkpoint of another input (sha256 %.12s..., this input %.12s...); "
                  "remove %s or set checkpoint.dir", path, h->input_sha, C->input_sha, C->dir);
  if (strcmp(h->config_sha, C->config_sha))
    return TB_ERR(TB_ERR_USAGE, "%s: checkpoint of another configuration (a model, policy, sweep or "
                  "run.batch_deals value differs); remove %s or set checkpoint.dir", path, C->dir);
  return TB_ERR(TB_ERR_USAGE, "%s: checkpoint written by %lld ranks, this run has %d; resume with %lld",
                path, (long long)h->world_size, tb_comm_world_size(), (long long)h->world_size);
}

/* One file: its state, and with F_VALID its generation and payload (malloc'd). */
static int read_file(const tb_ckpt *C, const char *path, int *state, int64_t *gen, char **blob, int64_t *bytes) {
  file_header h;
  *state = F_MISSING, *blob = NULL, *bytes = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return errno == ENOENT ? TB_OK : TB_ERR(TB_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
  *state = F_DAMAGED;
  if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, MAGIC, 8) || h.payload_bytes < 0 ||
      memchr(h.version, 0, sizeof h.version) == NULL || h.input_sha[64] || h.config_sha[64] || h.payload_sha[64]) {
    fclose(f);
    return TB_OK;
  }
  if (strcmp(h.version, TB_VERSION) || strcmp(h.input_sha, C->input_sha) || strcmp(h.config_sha, C->config_sha) ||
      h.world_size != tb_comm_world_size() || h.rank != tb_comm_world_rank()) {
    fclose(f);
    *state = F_FOREIGN;
    return foreign(C, path, &h);
  }
  char *b = malloc((size_t)(h.payload_bytes ? h.payload_bytes : 1));
  if (!b) {
    fclose(f);
    return TB_ERR(TB_ERR_MEMORY, "%s: out of memory reading %lld bytes", path, (long long)h.payload_bytes);
  }
  char hex[65];
  const int ok = fread(b, 1, (size_t)h.payload_bytes, f) == (size_t)h.payload_bytes;
  fclose(f);
  if (ok) tb_sha256_mem(b, (size_t)h.payload_bytes, hex);
  if (!ok || strcmp(hex, h.payload_sha)) {
    free(b);
    return TB_OK;
  }
  *state = F_VALID, *gen = h.generation, *blob = b, *bytes = h.payload_bytes;
  return TB_OK;
}

/* This rank's current and previous file; warns about a damaged one. */
static int read_both(const tb_ckpt *C, int64_t gen[2], char *blob[2], int64_t bytes[2]) {
  const char *suffix[2] = {"", ".prev"};
  for (int i = 0; i < 2; i++) {
    char path[TB_PATH_MAX + 32];
    int state;
    gen[i] = 0;
    file_path(C, suffix[i], path, sizeof path);
    TB_CALL(read_file(C, path, &state, &gen[i], &blob[i], &bytes[i]));
    if (state == F_DAMAGED) fprintf(stderr, "tradebal: warning: %s: damaged checkpoint (bad header or checksum), ignored\n", path);
  }
  return TB_OK;
}

int tb_ckpt_resume(tb_ckpt *C, int *found) {
  int rc = TB_OK;
  char *blob[2] = {NULL, NULL};
  int64_t gen[2] = {0, 0}, bytes[2] = {0, 0};
  *found = 0;
  TB_GUARD(tb_comm_agree(read_both(C, gen, blob, bytes)));
  int64_t newest = gen[0] > gen[1] ? gen[0] : gen[1], lo = newest, hi = newest;
  TB_GUARD(tb_comm_allreduce_i64(&lo, 1, TB_OP_MIN));
  TB_GUARD(tb_comm_allreduce_i64(&hi, 1, TB_OP_MAX));
  if (hi == 0) goto done; /* nothing to resume */
  const int pick = gen[0] == lo ? 0 : gen[1] == lo ? 1 : -1;
  rc = lo == 0 ? TB_ERR(TB_ERR_USAGE, "%s: incomplete checkpoint: world rank %d has no valid file; remove the "
                        "folder to start afresh", C->dir, tb_comm_world_rank())
       : pick < 0 ? TB_ERR(TB_ERR_USAGE, "%s: world rank %d holds checkpoint generations %lld and %lld, not %lld "
                           "which every rank needs", C->dir, tb_comm_world_rank(), (long long)gen[0],
                           (long long)gen[1], (long long)lo)
                  : TB_OK;
  TB_GUARD(tb_comm_agree(rc));
  C->blob = blob[pick], C->blob_bytes = bytes[pick], blob[pick] = NULL;
  C->generation = lo;
  *found = 1;
done:
  free(blob[0]), free(blob[1]);
  return rc;
}

/* The item `name` in the loaded payload: its data and size, or NULL. */
static const char *find_item(const tb_ckpt *C, const char *name, int64_t *bytes) {
  int64_t at = 0;
  while (C->blob && at + NAME_LEN + 8 <= C->blob_bytes) {
    int64_t n;
    memcpy(&n, C->blob + at + NAME_LEN, 8);
    if (n < 0 || n > C->blob_bytes - at - NAME_LEN - 8) return NULL;
    if (!strncmp(C->blob + at, name, NAME_LEN)) {
      *bytes = n;
      return C->blob + at + NAME_LEN + 8;
    }
    at += NAME_LEN + 8 + n;
  }
  return NULL;
}

int tb_ckpt_open(const tb_ckpt_params *P, const char *sha, tb_ckpt *C) {
  int found = 0;
  TB_CALL(tb_ckpt_init(C, P, sha));
  if (!P->resume) return TB_OK;
  TB_CALL(tb_ckpt_resume(C, &found));
  if (tb_comm_world_rank() == 0) { /* a sweep's groups resume alike: one line */
    if (found) fprintf(stderr, "[run] resuming from checkpoint %lld in %s\n", (long long)C->generation, C->dir);
    else fprintf(stderr, "[run] no checkpoint in %s: starting from the beginning\n", C->dir);
    fflush(stderr);
  }
  return TB_OK;
}

int tb_ckpt_has(const tb_ckpt *C, const char *name) {
  int64_t n;
  return find_item(C, name, &n) != NULL;
}

int tb_ckpt_get(const tb_ckpt *C, const char *name, void *data, int64_t bytes) {
  int64_t n = 0;
  const char *p = find_item(C, name, &n);
  if (!p || n != bytes)
    return TB_ERR(TB_ERR_INPUT, "%s: checkpoint generation %lld of world rank %d: item '%s' %s", C->dir,
                  (long long)C->generation, tb_comm_world_rank(), name, p ? "has the wrong size" : "is missing");
  memcpy(data, p, (size_t)n);
  return TB_OK;
}

int tb_ckpt_get_alloc(const tb_ckpt *C, const char *name, void **data, int64_t *bytes) {
  int64_t n = 0;
  const char *p = find_item(C, name, &n);
  if (!p || (*bytes >= 0 && n != *bytes))
    return TB_ERR(TB_ERR_INPUT, "%s: checkpoint generation %lld of world rank %d: item '%s' %s", C->dir,
                  (long long)C->generation, tb_comm_world_rank(), name, p ? "has the wrong size" : "is missing");
  if (!(*data = malloc((size_t)(n ? n : 1)))) return TB_ERR(TB_ERR_MEMORY, "out of memory restoring '%s'", name);
  memcpy(*data, p, (size_t)n);
  *bytes = n;
  return TB_OK;
}

/* ---- writing ---- */

int tb_ckpt_due(tb_ckpt *C, int *action) {
  const double now = tb_now(), gap = now - C->t_safe;
  C->t_safe = now;
  if (gap > C->longest_gap) C->longest_gap = gap;
  int64_t v[2] = {g_signal, 0};
  C->safe_points++;
  if (C->stop_after > 0 && C->safe_points == C->stop_after) v[0] = v[0] ? v[0] : 1000;
  /* rank 0's clock decides, so the ranks agree; stop while the next step and a write still fit */
  if (tb_comm_rank() == 0) {
    if (C->walltime > 0 && now - C->t_start + 2 * (C->longest_gap + C->write_cost) >= C->walltime) v[1] = 2;
    else if (C->every > 0 && now - C->t_write >= C->every) v[1] = 1;
  }
  TB_CALL(tb_comm_allreduce_i64(v, 2, TB_OP_MAX));
  *action = v[0] || v[1] == 2 ? TB_CKPT_STOP : v[1] ? TB_CKPT_SAVE : TB_CKPT_NO;
  if (*action == TB_CKPT_STOP) C->stop_reason = v[0] ? (int)v[0] : -1;
  return TB_OK;
}

static int write_items(FILE *f, const tb_ckpt_item *items, int n) {
  for (int i = 0; i < n; i++) {
    char name[NAME_LEN] = {0};
    snprintf(name, sizeof name, "%s", items[i].name);
    if (fwrite(name, NAME_LEN, 1, f) != 1 || fwrite(&items[i].bytes, 8, 1, f) != 1 ||
        (items[i].bytes && fwrite(items[i].data, (size_t)items[i].bytes, 1, f) != 1))
      return 1;
  }
  return 0;
}

static int write_file(const tb_ckpt *C, const char *path, int64_t gen, const tb_ckpt_item *items, int n) {
  file_header h;
  struct sha256_ctx ctx;
  uint8_t dig[SHA256_DIGEST_SIZE];
  memset(&h, 0, sizeof h);
  memcpy(h.magic, MAGIC, 8);
  snprintf(h.version, sizeof h.version, "%s", TB_VERSION);
  memcpy(h.input_sha, C->input_sha, 65), memcpy(h.config_sha, C->config_sha, 65);
  h.generation = gen, h.nitems = n, h.world_size = tb_comm_world_size(), h.rank = tb_comm_world_rank();
  sha256_init(&ctx);
  for (int i = 0; i < n; i++) {
    char name[NAME_LEN] = {0};
    if (strlen(items[i].name) >= NAME_LEN) return TB_ERR(TB_ERR_INTERNAL, "checkpoint item name '%s' too long", items[i].name);
    snprintf(name, sizeof name, "%s", items[i].name);
    sha256_update(&ctx, NAME_LEN, (const uint8_t *)name);
    sha256_update(&ctx, 8, (const uint8_t *)&items[i].bytes);
    if (items[i].bytes) sha256_update(&ctx, (size_t)items[i].bytes, items[i].data);
    h.payload_bytes += NAME_LEN + 8 + items[i].bytes;
  }
  sha256_digest(&ctx, sizeof dig, dig);
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) snprintf(h.payload_sha + 2 * i, 3, "%02x", dig[i]);
  FILE *f = fopen(path, "wb");
  if (!f) return TB_ERR(TB_ERR_OUTPUT, "%s: cannot create the checkpoint: %s", path, strerror(errno));
  int bad = fwrite(&h, sizeof h, 1, f) != 1 || write_items(f, items, n) || fflush(f) || fsync(fileno(f));
  bad |= fclose(f) != 0;
  if (bad) {
    remove(path);
    return TB_ERR(TB_ERR_OUTPUT, "%s: cannot write the checkpoint (disk full?)", path);
  }
  return TB_OK;
}

int tb_ckpt_write(tb_ckpt *C, const tb_ckpt_item *items, int n) {
  const double t = tb_now();
  char cur[TB_PATH_MAX + 32], prev[TB_PATH_MAX + 32], tmp[TB_PATH_MAX + 32];
  file_path(C, "", cur, sizeof cur), file_path(C, ".prev", prev, sizeof prev), file_path(C, ".tmp", tmp, sizeof tmp);
  int rc = mkdir(C->dir, 0777) && errno != EEXIST
           ? TB_ERR(TB_ERR_OUTPUT, "%s: cannot create the checkpoint folder: %s", C->dir, strerror(errno)) : TB_OK;
  if (!rc) rc = write_file(C, tmp, C->generation + 1, items, n);
  TB_CALL(tb_comm_agree(rc));
  /* every rank holds the new generation in full before any previous one is retired */
  struct stat st;
  if (C->generation == 0) /* an earlier run's files: this run did not resume them */
    remove(prev), remove(cur);
  else if (stat(cur, &st) == 0 && rename(cur, prev)) rc = TB_ERR(TB_ERR_OUTPUT, "%s: cannot keep the previous checkpoint: %s", cur, strerror(errno));
  if (!rc && rename(tmp, cur)) rc = TB_ERR(TB_ERR_OUTPUT, "%s: cannot rename the checkpoint into place: %s", tmp, strerror(errno));
  TB_CALL(tb_comm_agree(rc));
  C->generation++;
  C->t_write = tb_now();
  C->write_cost = C->t_write - t;
  return TB_OK;
}

int tb_ckpt_stopped(const tb_ckpt *C, const char *where) {
  if (tb_comm_rank() != 0) {
    tb_error_set_remote(TB_ERR_STOPPED);
    return TB_ERR_STOPPED;
  }
  char why[64];
  if (C->stop_reason == 1000) snprintf(why, sizeof why, "TB_STOP_AFTER_SAFE_POINTS=%lld", (long long)C->stop_after);
  else if (C->stop_reason > 0) snprintf(why, sizeof why, "%s", C->stop_reason == SIGTERM ? "SIGTERM" : C->stop_reason == SIGUSR1 ? "SIGUSR1" : "a signal");
  else snprintf(why, sizeof why, "checkpoint.walltime = %g s", C->walltime);
  return TB_ERR(TB_ERR_STOPPED, "stopped by %s %s: checkpoint %lld written to %s; run again with --resume auto to "
                "continue (exit code 7: resubmit)", why, where, (long long)C->generation, C->dir);
}

int tb_ckpt_remove(tb_ckpt *C) {
  const char *suffix[3] = {"", ".prev", ".tmp"};
  for (int i = 0; i < 3; i++) {
    char path[TB_PATH_MAX + 32];
    file_path(C, suffix[i], path, sizeof path);
    remove(path);
  }
  TB_CALL(tb_comm_barrier());
  if (tb_comm_rank() == 0) rmdir(C->dir); /* kept if something else lives there */
  return TB_OK;
}

void tb_ckpt_free(tb_ckpt *C) {
  free(C->blob);
  C->blob = NULL, C->blob_bytes = 0;
}
