/* Scratch arrays that may outgrow the memory limit: a shared mapping of a file under the
 * run's scratch folder (run.scratch_dir, else $TMPDIR, else /tmp). The file is unlinked as
 * soon as it is mapped, so it disappears on every exit path (errors, signals, SIGKILL). Code
 * uses the mapping as ordinary memory; tb_spill_release hands written pages back to the page
 * cache, so they leave the process's resident set and the kernel writes them to the file. */
#ifndef TB_SPILL_H
#define TB_SPILL_H

#include <stdint.h>

typedef struct {
  void *p;       /* the mapping, or NULL */
  int64_t bytes; /* its size */
  int fd;
} tb_spill;

/* The scratch folder of `dir` (empty: $TMPDIR, else /tmp), into out. */
const char *tb_spill_dir(const char *dir, char *out, int size);
/* A zero-filled mapping of `bytes` in folder dir (tb_spill_dir's), for `what` (errors). */
int tb_spill_map(tb_spill *s, const char *dir, int64_t bytes, const char *what);
/* Drop [at, at + len) from this process's resident set (page-aligned inside); the data stays. */
void tb_spill_release(const tb_spill *s, const void *at, int64_t len);
void tb_spill_free(tb_spill *s);

#endif
