/* The quick checks' cache of files loaded by reference (entities, deals, a holdings registry, an
 * input-output table): one entry per (part, file), kept while the file's identity (device, inode, size,
 * modification time) is unchanged, bounded in entries and bytes (least recently used first out), shared by
 * every worker thread. A file is loaded once however many requests ask for it at the same time: the
 * first loads, the others wait for it (a file modified in the last two seconds is loaded afresh for each
 * request, as coarse file-system timestamps could hide a second change). A load that fails on the file's contents (a 4xx problem) is cached
 * too, so a broken file costs one read, not one per request. */
#ifndef TB_SERVE_QUICK_CACHE_H
#define TB_SERVE_QUICK_CACHE_H

#include <stddef.h>

#include "tb_serve.h"

enum { TB_QC_ENTITIES = 0, TB_QC_DEALS = 1, TB_QC_HOLDINGS = 2, TB_QC_IO = 3 };

/* What a loader made: data, its bytes (for the bound) and how to free it. */
typedef struct {
  void *data;
  size_t bytes;
  void (*free_fn)(void *data);
} tb_qc_value;

/* Load file `abs` (named `rel`, relative to the data root, in every message) into v; 0, or -1 with a
 * problem in r. Called without the cache's lock; takes S->h5_lock around its HDF5 calls. */
typedef int (*tb_qc_loader)(tb_srv *S, const char *abs, const char *rel, tb_qc_value *v, tb_resp *r);

typedef struct tb_qc_entry tb_qc_entry;

int tb_qcache_new(tb_serve_cache **c, int max_entries, size_t max_bytes);
void tb_qcache_free(tb_serve_cache *c);
/* Part `kind` of the file abs (absolute, inside the data root): cached, or loaded by `load`. 0 with *e
 * held until tb_qcache_put, or -1 with a problem in r. */
int tb_qcache_get(tb_srv *S, int kind, const char *abs, tb_qc_loader load, tb_qc_entry **e, tb_resp *r);
const void *tb_qcache_data(const tb_qc_entry *e);
void tb_qcache_put(tb_srv *S, tb_qc_entry *e);
/* Entries, bytes held, loads and hits so far (the figures of a test or a log line). */
void tb_qcache_stats(tb_srv *S, int *entries, size_t *bytes, long *loads, long *hits);

#endif
