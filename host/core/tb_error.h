/* Error codes and PETSc-style propagation: every call is checked, an error
 * records one message plus a traceback, and only main() turns it into an exit. */
#ifndef TB_ERROR_H
#define TB_ERROR_H

#include <stddef.h>

/* The exit-code contract (README "Exit codes"). */
enum tb_code {
  TB_OK = 0,
  TB_ERR_INTERNAL = 1, /* a bug or an unexpected library failure */
  TB_ERR_USAGE = 2,    /* bad command line or config */
  TB_ERR_INPUT = 3,    /* input file missing, unreadable or breaking a rule */
  TB_ERR_OUTPUT = 4,   /* output cannot be created or written */
  TB_ERR_GPU = 5,      /* CUDA device or library failure */
  TB_ERR_MPI = 6,      /* MPI failure */
  TB_ERR_STOPPED = 7,  /* stopped by a signal, resubmit to continue */
  TB_ERR_MEMORY = 8    /* out of host memory */
};

int tb_error_set(int code, const char *file, int line, const char *func, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
void tb_error_trace(const char *file, int line, const char *func);
const char *tb_error_message(void);
int tb_error_code(void);
/* An error another rank raised: this rank stays silent, the owner prints. */
void tb_error_set_remote(int code);
int tb_error_is_remote(void);
int tb_error_is_shared(void);
/* Replace the message (used when the owning rank broadcasts it to all). */
void tb_error_adopt(int code, const char *msg);
void tb_error_print(const char *prog, int verbose);
void tb_error_clear(void);

#define TB_ERR(code, ...) tb_error_set((code), __FILE__, __LINE__, __func__, __VA_ARGS__)
/* Propagate an error upward with a traceback frame. */
#define TB_CALL(x)                                                                                 \
  do {                                                                                             \
    int tb_rc_ = (x);                                                                              \
    if (tb_rc_) {                                                                                  \
      tb_error_trace(__FILE__, __LINE__, __func__);                                                \
      return tb_rc_;                                                                               \
    }                                                                                              \
  } while (0)
/* Same, but jump to the function's cleanup label `done` with `rc` set. */
#define TB_GUARD(x)                                                                                \
  do {                                                                                             \
    rc = (x);                                                                                      \
    if (rc) {                                                                                      \
      tb_error_trace(__FILE__, __LINE__, __func__);                                                \
      goto done;                                                                                   \
    }                                                                                              \
  } while (0)

/* Fault injection for tests: true when TB_FAULT lists "where:rank:index" (comma-separated) for this point. */
int tb_fault(const char *where, int rank, long long index);

void *tb_malloc(size_t bytes); /* NULL on failure; callers report TB_ERR_MEMORY */
#define TB_ALLOC(ptr, count)                                                                       \
  do {                                                                                             \
    size_t tb_n_ = (size_t)(count);                                                              \
    tb_n_ = tb_n_ ? tb_n_ : 1;                                                                                                               \
    (ptr) = tb_malloc(tb_n_ * sizeof(*(ptr)));                                                     \
    if (!(ptr)) {                                                                                  \
      rc = TB_ERR(TB_ERR_MEMORY, "out of memory allocating %zu bytes for %s", tb_n_ * sizeof(*(ptr)), #ptr); \
      goto done;                                                                                   \
    }                                                                                              \
  } while (0)

#endif
