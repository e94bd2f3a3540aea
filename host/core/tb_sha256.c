/* SHA-256 of the input file for the output's input_sha256 attribute (nettle). */
#include "tb_error.h"
#include "tb_sha256.h"

#include <nettle/sha2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Thread-safe core: 0 ok, 1 cannot open, 2 read error. No global error state touched. */
static int sha256_raw(const char *path, char hex[65]) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return 1;
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  enum { BUF = 1 << 20 };
  unsigned char *buf = malloc(BUF);
  size_t n;
  int bad = !buf;
  while (!bad && (n = fread(buf, 1, BUF, fp)) > 0) sha256_update(&ctx, n, buf);
  bad = bad || ferror(fp);
  fclose(fp);
  free(buf);
  if (bad) return 2;
  uint8_t dig[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof dig, dig);
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) snprintf(hex + 2 * i, 3, "%02x", dig[i]);
  return 0;
}

void tb_sha256_mem(const void *data, size_t bytes, char hex[65]) {
  struct sha256_ctx ctx;
  uint8_t dig[SHA256_DIGEST_SIZE];
  sha256_init(&ctx);
  sha256_update(&ctx, bytes, data);
  sha256_digest(&ctx, sizeof dig, dig);
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) snprintf(hex + 2 * i, 3, "%02x", dig[i]);
}

static int report(const char *path, int raw) {
  if (raw == 1) return TB_ERR(TB_ERR_INPUT, "%s: cannot open for hashing", path);
  if (raw == 2) return TB_ERR(TB_ERR_INPUT, "%s: read error while hashing", path);
  return TB_OK;
}

static void *hash_main(void *arg) {
  tb_hash_job *j = arg;
  j->raw = sha256_raw(j->path, j->hex);
  return NULL;
}

int tb_sha256_start(tb_hash_job *j, const char *path) {
  j->path = path;
  j->raw = 0;
  j->hex[0] = 0;
  j->started = pthread_create(&j->thread, NULL, hash_main, j) == 0;
  if (!j->started) j->raw = sha256_raw(path, j->hex); /* no thread: hash now */
  return TB_OK;
}

int tb_sha256_finish(tb_hash_job *j, int quiet) {
  if (j->started) pthread_join(j->thread, NULL);
  j->started = 0;
  return quiet ? (j->raw ? TB_ERR_INPUT : TB_OK) : report(j->path, j->raw);
}
