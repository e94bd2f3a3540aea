/* The quick checks of tradebal serve (tb_serve_quick.h): the cache they share, and the three handlers, each
 * a JSON body handed to its module (tb_serve_quick_eval.c, _cert.c, _io.c). */
#include "tb_serve_quick.h"
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_serve_json.h"
#include "tb_serve_quick_cache.h"
#include "tb_serve_quick_cert.h"
#include "tb_serve_quick_eval.h"
#include "tb_serve_quick_io.h"

#include <unistd.h>

/* The cache's bounds: files are national-scale inputs, so a quarter of the machine's memory at most. */
#define TB_QUICK_CACHE_FILES 32
#define TB_QUICK_CACHE_GIB 4.0

int tb_quick_init(tb_srv *S) {
  const double phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
  double bytes = TB_QUICK_CACHE_GIB * 1073741824.0;
  if (phys > 0 && phys / 4 < bytes) bytes = phys / 4;
  pthread_mutex_lock(&S->h5_lock);
  tb_h5_quiet(); /* HDF5 failures become problems, not stack dumps on stderr */
  pthread_mutex_unlock(&S->h5_lock);
  if (tb_qcache_new(&S->cache, TB_QUICK_CACHE_FILES, (size_t)bytes))
    return TB_ERR(TB_ERR_MEMORY, "out of memory for the quick checks' cache");
  return TB_OK;
}

void tb_quick_free(tb_srv *S) {
  tb_qcache_free(S->cache);
  S->cache = NULL;
}

/* The body as a JSON object for fn, or the 400 problem tb_json_body made. */
static int with_body(tb_srv *S, const tb_req *q, tb_resp *r, int (*fn)(tb_srv *, json_t *, tb_resp *)) {
  json_t *body = tb_json_body(S, q, r);
  if (!body) return 0;
  const int rc = fn(S, body, r);
  json_decref(body);
  return rc;
}

int tb_h_deals_evaluate(tb_srv *S, const tb_req *q, tb_resp *r) { return with_body(S, q, r, tb_quick_evaluate); }

int tb_h_certificates_validate(tb_srv *S, const tb_req *q, tb_resp *r) {
  return with_body(S, q, r, tb_quick_certificates);
}

int tb_h_impacts(tb_srv *S, const tb_req *q, tb_resp *r) { return with_body(S, q, r, tb_quick_impacts); }
