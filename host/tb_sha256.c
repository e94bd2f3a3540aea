/* SHA-256 of the input file for the output's input_sha256 attribute (nettle). */
#include "tb_error.h"
#include "tb_util.h"

#include <nettle/sha2.h>
#include <stdio.h>

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

