/* Minimal test harness: CHECK macros count results; main returns nonzero on failure. */
#ifndef TB_TEST_H
#define TB_TEST_H
#include <math.h>
#include <stdio.h>

static int tb_pass = 0, tb_fail = 0;
#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (cond) tb_pass++;                                                                           \
    else {                                                                                         \
      tb_fail++;                                                                                   \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                         \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fputc('\n', stderr);                                                                         \
    }                                                                                              \
  } while (0)
/* |got - want| <= tol * max(1, |want|) */
#define CHECK_NEAR(got, want, tol)                                                                 \
  do {                                                                                             \
    double g_ = (got), w_ = (want);                                                                \
    CHECK(fabs(g_ - w_) <= (tol) * fmax(1.0, fabs(w_)), "%s = %.17g, want %.17g (tol %g)", #got,  \
          g_, w_, (double)(tol));                                                                  \
  } while (0)
#define TEST_SUMMARY()                                                                             \
  (printf("%d passed, %d failed\n", tb_pass, tb_fail), tb_fail ? 1 : 0)
#endif
