#include "tb_spill.h"

#include "tb_error.h"
#include "tb_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *tb_spill_dir(const char *dir, char *out, int size) {
  const char *env = getenv("TMPDIR");
  snprintf(out, (size_t)size, "%s", dir && dir[0] ? dir : env && env[0] ? env : "/tmp");
  return out;
}

int tb_spill_map(tb_spill *s, const char *dir, int64_t bytes, const char *what) {
  char path[TB_PATH_MAX + 32];
  memset(s, 0, sizeof *s);
  s->fd = -1;
  if (bytes <= 0) return TB_OK;
  snprintf(path, sizeof path, "%s/tradebal-spill-XXXXXX", dir);
  s->fd = mkstemp(path);
  if (s->fd < 0)
    return TB_ERR(TB_ERR_OUTPUT, "%s: cannot create a scratch file for %s (%s); set run.scratch_dir", dir, what,
                  strerror(errno));
  unlink(path); /* gone with the last descriptor, whatever ends the run */
  if (ftruncate(s->fd, (off_t)bytes) != 0) {
    const int e = errno;
    close(s->fd), s->fd = -1;
    return TB_ERR(TB_ERR_OUTPUT, "%s: cannot size a %.2f GB scratch file for %s (%s)", dir, (double)bytes / 1073741824.0,
                  what, strerror(e));
  }
  void *p = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
  if (p == MAP_FAILED) {
    const int e = errno;
    close(s->fd), s->fd = -1;
    return TB_ERR(TB_ERR_MEMORY, "%s: cannot map a %.2f GB scratch file for %s (%s)", dir, (double)bytes / 1073741824.0,
                  what, strerror(e));
  }
  s->p = p, s->bytes = bytes;
  return TB_OK;
}

void tb_spill_release(const tb_spill *s, const void *at, int64_t len) {
  if (!s->p || len <= 0) return;
  const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a = (uintptr_t)at, e = a + (uintptr_t)len;
  const uintptr_t lo = (a + page - 1) / page * page, hi = e / page * page; /* whole pages inside only */
  if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED); /* shared file pages: the data stays in the file */
}

void tb_spill_free(tb_spill *s) {
  if (s->p) munmap(s->p, (size_t)s->bytes);
  if (s->fd >= 0) close(s->fd);
  memset(s, 0, sizeof *s);
  s->fd = -1;
}
