/* Request paths inside the data root: no path leaves it (absolute paths, "..", and symbolic links that
 * resolve outside are refused), and answers name files as the caller gave them, never the server's paths. */
#ifndef TB_SERVE_PATH_H
#define TB_SERVE_PATH_H

#include <stddef.h>

#include "tb_serve.h"

enum { TB_PATH_EXISTING = 0, TB_PATH_NEW = 1 };
/* Resolve rel (relative to the data root) into out (absolute). TB_PATH_EXISTING: the file must exist;
 * TB_PATH_NEW: its folder must exist (the file may not). On refusal: -1 and a problem in r naming `field`
 * (400 bad path, 403 outside the data root, 404 missing). */
int tb_path_resolve(const tb_srv *S, const char *rel, int mode, const char *field, char *out, size_t n, tb_resp *r);
/* The part of an absolute path below the data root ("" when it is not below it). */
const char *tb_path_relative(const tb_srv *S, const char *abs);

#endif
