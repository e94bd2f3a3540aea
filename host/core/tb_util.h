/* Small host utilities: wall clock, progress lines, numbers for humans, compensated sums. */
#ifndef TB_UTIL_H
#define TB_UTIL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define TB_PATH_MAX 4096 /* the longest file path tradebal takes */

double tb_now(void); /* seconds, monotonic */
/* Resident bytes of this process now (/proc/self/statm; 0 where it cannot be read). */
double tb_resident_bytes(void);
/* Table of 64-byte rows read at random: 64-byte aligned, so a row is one cache line
 * (huge pages were measured and gave nothing here). free() it. */
void *tb_alloc_table(size_t bytes);
/* Median of v[0..n) (sorts v). */
double tb_median(double *v, int n);
/* "12.3M" style short count. */
const char *tb_human(double x, char *buf, size_t size);
/* Neumaier compensated accumulation. */
static inline void tb_kahan_add(double *sum, double *comp, double x) {
  double t = *sum + x;
  double as = *sum < 0 ? -*sum : *sum, ax = x < 0 ? -x : x;
  *comp += as >= ax ? (*sum - t) + x : (x - t) + *sum;
  *sum = t;
}

/* Double-double accumulation (TwoSum): pair[0] + pair[1] carries the sum to ~1e-32
 * relative; the pair format of tb_comm_sum_dd. */
static inline void tb_dd_add(double *pair, double x) {
  double s = pair[0] + x, v = s - pair[0];
  pair[1] += (pair[0] - (s - v)) + (x - v);
  pair[0] = s;
}

/* Exactly whether pair[0] + pair[1] <= b, without rounding the pair to a double first:
 * TwoSum renormalises it exactly to hi + lo with |lo| <= ulp(hi) / 2, so the sum is <= b
 * exactly when hi < b, or hi == b and lo <= 0 (MODEL.md section 4's budget rule). */
static inline int tb_dd_le(const double *pair, double b) {
  if (b == (double)INFINITY) return 1; /* also when the pair itself overflowed */
  const double hi = pair[0] + pair[1], v = hi - pair[0];
  const double lo = (pair[0] - (hi - v)) + (pair[1] - v);
  return hi < b || (hi == b && lo <= 0.0);
}

/* Running double-double sums: pair k+1 (at p + 2) = pair k (at p) + x. */
static inline void tb_dd_prefix_next(double *p, double x) {
  p[2] = p[0], p[3] = p[1];
  tb_dd_add(p + 2, x);
}

/* Make room for `need` elements of `elem` bytes in *p (capacity *cap), doubling from 1024;
 * on failure *p is kept and the error names `what`. */
int tb_grow(void **p, int64_t *cap, int64_t need, size_t elem, const char *what);

/* CPU model name from /proc/cpuinfo ("unknown" if absent), for benchmark provenance. */
void tb_cpu_model(char *out, size_t size);

/* Rate-limited progress on stderr with an estimate of the time left. */
typedef struct {
  const char *what;
  double start, last;
  int enabled; /* 0 never, 1 after a few seconds, 2 always */
} tb_progress;
void tb_progress_start(tb_progress *p, const char *what, int mode);
void tb_progress_update(tb_progress *p, double done, double total, const char *unit);

#endif
