/* Bearer tokens, stored hashed. */
#include "tb_serve_auth.h"
#include "tb_error.h"
#include "tb_serve.h"
#include "tb_sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

typedef struct {
  char hex[65];
  int scopes;
} token;

struct tb_tokens {
  int n;
  token *t;
};

static int parse_scopes(const char *s, int *out) {
  *out = 0;
  char buf[128];
  snprintf(buf, sizeof buf, "%s", s);
  for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
    if (!strcmp(w, "read")) *out |= TB_SCOPE_READ;
    else if (!strcmp(w, "submit")) *out |= TB_SCOPE_SUBMIT | TB_SCOPE_READ;
    else return -1;
  }
  return *out ? 0 : -1;
}

int tb_tokens_load(tb_tokens **T, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return TB_ERR(TB_ERR_USAGE, "[server] token_file %s: %s", path, strerror(errno));
  tb_tokens *t = calloc(1, sizeof *t);
  char line[512];
  int lineno = 0, rc = TB_OK;
  while (t && fgets(line, sizeof line, f)) {
    lineno++;
    char hex[80], scopes[128];
    if (line[strspn(line, " \t")] == '#' || line[strspn(line, " \t\r\n")] == 0) continue;
    token k;
    if (sscanf(line, "%79s %127s", hex, scopes) != 2 || strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64 ||
        parse_scopes(scopes, &k.scopes)) {
      rc = TB_ERR(TB_ERR_USAGE, "%s:%d: expected 'SHA256-HEX read|submit[,..] NAME' (make lines with `tradebal "
                                "serve token`)", path, lineno);
      break;
    }
    memcpy(k.hex, hex, 65);
    token *grown = realloc(t->t, (size_t)(t->n + 1) * sizeof *grown);
    if (!grown) {
      rc = TB_ERR(TB_ERR_MEMORY, "out of memory reading %s", path);
      break;
    }
    t->t = grown;
    t->t[t->n++] = k;
  }
  fclose(f);
  if (!t) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  if (!rc && !t->n) rc = TB_ERR(TB_ERR_USAGE, "[server] token_file %s holds no token", path);
  if (rc) return tb_tokens_free(t), rc;
  *T = t;
  return TB_OK;
}

void tb_tokens_free(tb_tokens *T) {
  if (T) free(T->t);
  free(T);
}

static int same(const char *a, const char *b) { /* constant time over the 64 digits */
  unsigned char d = 0;
  for (int i = 0; i < 64; i++) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

int tb_tokens_scopes(const tb_tokens *T, const char *authorization) {
  if (!T || !authorization || strncasecmp(authorization, "Bearer ", 7)) return 0;
  const char *tok = authorization + 7;
  while (*tok == ' ') tok++;
  size_t n = strlen(tok);
  if (!n || n > 256) return 0;
  char hex[65];
  tb_sha256_mem(tok, n, hex);
  int scopes = 0;
  for (int i = 0; i < T->n; i++)
    if (same(hex, T->t[i].hex)) scopes = T->t[i].scopes;
  return scopes;
}

int tb_tokens_new(const char *path, const char *scopes, const char *name) {
  int s;
  if (!path || !*path) return TB_ERR(TB_ERR_USAGE, "serve token: --file TOKEN_FILE is required");
  if (parse_scopes(scopes, &s)) return TB_ERR(TB_ERR_USAGE, "serve token: --scopes must be read, submit or read,submit");
  if (strpbrk(name, " \t\n\r") || !*name) return TB_ERR(TB_ERR_USAGE, "serve token: --name must be one word");
  unsigned char raw[32];
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
    return TB_ERR(TB_ERR_INTERNAL, "serve token: getrandom failed: %s", strerror(errno));
  char tok[80] = "tb_";
  for (int i = 0; i < 32; i++) snprintf(tok + 3 + 2 * i, 3, "%02x", raw[i]);
  char hex[65];
  tb_sha256_mem(tok, strlen(tok), hex);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (fd < 0) return TB_ERR(TB_ERR_OUTPUT, "%s: %s", path, strerror(errno));
  char line[512];
  int len = snprintf(line, sizeof line, "%s %s %s\n", hex, scopes, name);
  int ok = write(fd, line, (size_t)len) == len;
  ok = close(fd) == 0 && ok;
  if (!ok) return TB_ERR(TB_ERR_OUTPUT, "%s: writing failed: %s", path, strerror(errno));
  printf("%s\n", tok);
  return TB_OK;
}
