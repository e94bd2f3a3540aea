/* SHA-256 (nettle) of a file and of a buffer, for provenance and checkpoint identity. */
#ifndef TB_SHA256_H
#define TB_SHA256_H

#include <pthread.h>
#include <stddef.h>

/* Hex SHA-256 of a file (hex: 64 digits and the terminator), in a helper thread so hashing
 * overlaps other work; finish joins it and, unless quiet (another error is being reported
 * already), reports a failure. */
typedef struct {
  const char *path;
  char hex[65];
  int raw, started;
  pthread_t thread;
} tb_hash_job;
int tb_sha256_start(tb_hash_job *j, const char *path);
int tb_sha256_finish(tb_hash_job *j, int quiet);
/* Hex SHA-256 of a buffer. */
void tb_sha256_mem(const void *data, size_t bytes, char hex[65]);

#endif
