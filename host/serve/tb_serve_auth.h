/* Bearer tokens: the token file keeps each token's SHA-256 (never the token), its scopes and a name. */
#ifndef TB_SERVE_AUTH_H
#define TB_SERVE_AUTH_H

typedef struct tb_tokens tb_tokens; /* also named in tb_serve.h */

/* Read "HEX64 scope[,scope] name" lines (# comments); a bad line is an error naming file and line (exit 2). */
int tb_tokens_load(tb_tokens **T, const char *path);
void tb_tokens_free(tb_tokens *T);
/* The scopes (TB_SCOPE_* bits) of an Authorization header's value, 0 when it names no known token. */
int tb_tokens_scopes(const tb_tokens *T, const char *authorization);
/* `tradebal serve token`: make a random token, append its hash line to path (created 0600), print the token. */
int tb_tokens_new(const char *path, const char *scopes, const char *name);

#endif
