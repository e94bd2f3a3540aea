#include "tb_util.h"

#include "tb_error.h"

#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <time.h>

double tb_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int tb_sha256_file(const char *path, char hex[65]) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return TB_ERR(TB_ERR_INPUT, "%s: cannot open for hashing", path);
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  static unsigned char buf[1 << 20];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0) sha256_update(&ctx, n, buf);
  int bad = ferror(fp);
  fclose(fp);
  if (bad) return TB_ERR(TB_ERR_INPUT, "%s: read error while hashing", path);
  uint8_t dig[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof dig, dig);
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) snprintf(hex + 2 * i, 3, "%02x", dig[i]);
  return TB_OK;
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
