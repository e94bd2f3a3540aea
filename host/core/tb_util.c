#include "tb_util.h"

#include "tb_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double tb_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double tb_resident_bytes(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  if (f) fclose(f);
  return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

void *tb_alloc_table(size_t bytes) {
  return aligned_alloc(64, bytes ? (bytes + 63) / 64 * 64 : 64);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double tb_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

const char *tb_human(double x, char *buf, size_t size) {
  const char *suf[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (fabs(x) >= 1000.0 && i < 4) x /= 1000.0, i++;
  snprintf(buf, size, i ? "%.2f%s" : "%.0f%s", x, suf[i]);
  return buf;
}

void tb_progress_start(tb_progress *p, const char *what, int mode) {
  p->what = what;
  p->start = p->last = tb_now();
  p->enabled = mode;
}

void tb_progress_update(tb_progress *p, double done, double total, const char *unit) {
  if (!p->enabled) return;
  double now = tb_now(), el = now - p->start;
  int finished = done >= total;
  if (p->enabled == 1 && el < 3.0) return; /* short runs stay quiet */
  if (!finished && now - p->last < 2.0) return;
  p->last = now;
  char a[32], b[32], r[32];
  double rate = el > 0 ? done / el : 0.0;
  double left = rate > 0 ? (total - done) / rate : 0.0;
  fprintf(stderr, "[%s] %s/%s %s (%.1f%%), %s %s/s, %s %.0f s\n", p->what, tb_human(done, a, sizeof a),
          tb_human(total, b, sizeof b), unit, total > 0 ? 100.0 * done / total : 100.0,
          tb_human(rate, r, sizeof r), unit, finished ? "done in" : "about", finished ? el : left);
  fflush(stderr);
}

void tb_cpu_model(char *out, size_t size) {
  char line[512];
  snprintf(out, size, "unknown");
  FILE *fp = fopen("/proc/cpuinfo", "r");
  while (fp && fgets(line, sizeof line, fp))
    if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
      snprintf(out, size, "%s", strchr(line, ':') + 2);
      out[strcspn(out, "\n")] = 0;
      break;
    }
  if (fp) fclose(fp);
}

int tb_grow(void **p, int64_t *cap, int64_t need, size_t elem, const char *what) {
  if (need <= *cap) return TB_OK;
  int64_t c = *cap ? *cap : 1024;
  while (c < need) c *= 2;
  void *q = realloc(*p, (size_t)c * elem);
  if (!q) return TB_ERR(TB_ERR_MEMORY, "out of memory growing %s to %lld items", what, (long long)c);
  *p = q;
  *cap = c;
  return TB_OK;
}
