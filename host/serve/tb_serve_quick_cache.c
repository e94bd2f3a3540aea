/* The cache of files the quick checks load by reference (tb_serve_quick_cache.h). A linked list under one
 * mutex: it holds tens of entries, and a lookup is a few string compares next to a request's JSON. */
#include "tb_serve_quick_cache.h"
#include "tb_serve_json.h"
#include "tb_serve_path.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { LOADING = 0, READY = 1, FAILED = 2 };
/* A file modified this close (seconds) to its load may change again without its modification time moving
 * on a filesystem with coarse timestamps (git's "racily clean" index entries): such an entry serves only
 * the requests waiting for its load, and the next request loads the file again. */
#define TB_QC_RACY_S 2

struct tb_qc_entry {
  tb_qc_entry *next;
  int kind, state, refs, detached;
  int racy; /* the file changed within TB_QC_RACY_S of its load: a change in the same tick would not show */
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  char path[PATH_MAX];
  unsigned long used; /* tick of the last use: the least recently used goes first */
  tb_qc_value v;
  int fail_status;    /* FAILED: the problem every request for this file gets */
  char *fail_body;
};

struct tb_serve_cache {
  pthread_mutex_t lock;
  pthread_cond_t loaded;
  tb_qc_entry *head;
  int n, max_n;
  size_t bytes, max_bytes;
  unsigned long tick;
  long loads, hits;
};

int tb_qcache_new(tb_serve_cache **c, int max_entries, size_t max_bytes) {
  *c = calloc(1, sizeof **c);
  if (!*c) return -1;
  pthread_mutex_init(&(*c)->lock, NULL);
  pthread_cond_init(&(*c)->loaded, NULL);
  (*c)->max_n = max_entries, (*c)->max_bytes = max_bytes;
  return 0;
}

static void entry_free(tb_qc_entry *e) {
  if (e->v.free_fn) e->v.free_fn(e->v.data);
  free(e->fail_body);
  free(e);
}

void tb_qcache_free(tb_serve_cache *c) {
  if (!c) return;
  for (tb_qc_entry *e = c->head, *next; e; e = next) next = e->next, entry_free(e);
  pthread_cond_destroy(&c->loaded);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

/* Take e out of the list (lock held); it is freed now or by its last holder. */
static void detach(tb_serve_cache *c, tb_qc_entry *e) {
  for (tb_qc_entry **p = &c->head; *p; p = &(*p)->next)
    if (*p == e) {
      *p = e->next;
      break;
    }
  c->n--, c->bytes -= e->v.bytes;
  e->detached = 1;
  if (!e->refs) entry_free(e);
}

/* Drop least recently used entries (never `keep`, never one loading) until within the bounds. */
static void evict(tb_serve_cache *c, const tb_qc_entry *keep) {
  while (c->n > c->max_n || c->bytes > c->max_bytes) {
    tb_qc_entry *lru = NULL;
    for (tb_qc_entry *e = c->head; e; e = e->next)
      if (e != keep && e->state != LOADING && (!lru || e->used < lru->used)) lru = e;
    if (!lru) return;
    detach(c, lru);
  }
}

static int same_file(const tb_qc_entry *e, const struct stat *st) {
  return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
         e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* The answer to a request for e once it is no longer loading (lock held): 0, or -1 with its problem. */
static int outcome(tb_serve_cache *c, tb_qc_entry *e, tb_resp *r) {
  while (e->state == LOADING) pthread_cond_wait(&c->loaded, &c->lock);
  if (e->state == READY) return 0;
  char *body = e->fail_body ? strdup(e->fail_body) : NULL;
  if (body) tb_resp_text(r, e->fail_status, "application/problem+json", body, strlen(body));
  else tb_resp_problem(r, 503, "busy", "out of memory");
  if (!--e->refs && e->detached) entry_free(e);
  return -1;
}

static tb_qc_entry *new_entry(tb_serve_cache *c, int kind, const char *abs, const struct stat *st) {
  tb_qc_entry *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->kind = kind, e->state = LOADING, e->refs = 1;
  e->dev = st->st_dev, e->ino = st->st_ino, e->size = st->st_size, e->mtime = st->st_mtim;
  e->racy = st->st_mtim.tv_sec + TB_QC_RACY_S >= time(NULL);
  snprintf(e->path, sizeof e->path, "%s", abs);
  e->used = ++c->tick;
  e->next = c->head, c->head = e, c->n++;
  return e;
}

/* The loader's result into e (lock held). A problem with the request's file (4xx) stays cached; a server
 * failure (5xx: memory) does not, so the next request tries again. */
static void settle(tb_serve_cache *c, tb_qc_entry *e, int rc, const tb_qc_value *v, const tb_resp *r) {
  if (!rc) {
    e->v = *v, e->state = READY;
    c->bytes += v->bytes;
  } else {
    e->state = FAILED, e->fail_status = r->status;
    e->fail_body = r->body ? strndup(r->body, r->len) : NULL;
    if (r->status >= 500 || !e->fail_body) detach(c, e);
  }
  pthread_cond_broadcast(&c->loaded);
  evict(c, e);
}

int tb_qcache_get(tb_srv *S, int kind, const char *abs, tb_qc_loader load, tb_qc_entry **out, tb_resp *r) {
  tb_serve_cache *c = S->cache;
  const char *rel = tb_path_relative(S, abs);
  struct stat st;
  if (stat(abs, &st) || !S_ISREG(st.st_mode))
    return tb_resp_problem(r, 404, "not-found", "%s: %s", rel, errno == ENOENT ? "no such file" : "not a file"), -1;
  pthread_mutex_lock(&c->lock);
  tb_qc_entry *e = c->head;
  while (e && (e->kind != kind || strcmp(e->path, abs))) e = e->next;
  if (e && (!same_file(e, &st) || (e->racy && e->state != LOADING))) detach(c, e), e = NULL; /* load it again */
  if (e) {
    e->refs++, e->used = ++c->tick, c->hits++;
    const int rc = outcome(c, e, r);
    pthread_mutex_unlock(&c->lock);
    return rc ? -1 : (*out = e, 0);
  }
  e = new_entry(c, kind, abs, &st);
  c->loads++;
  pthread_mutex_unlock(&c->lock);
  if (!e) return tb_resp_problem(r, 503, "busy", "out of memory for the file cache"), -1;
  tb_qc_value v = {NULL, 0, NULL};
  const int rc = load(S, abs, rel, &v, r);
  pthread_mutex_lock(&c->lock);
  settle(c, e, rc, &v, r);
  if (rc && !--e->refs && e->detached) entry_free(e);
  pthread_mutex_unlock(&c->lock);
  return rc ? -1 : (*out = e, 0);
}

const void *tb_qcache_data(const tb_qc_entry *e) { return e->v.data; }

void tb_qcache_put(tb_srv *S, tb_qc_entry *e) {
  if (!e) return;
  tb_serve_cache *c = S->cache;
  pthread_mutex_lock(&c->lock);
  if (!--e->refs && e->detached) entry_free(e);
  pthread_mutex_unlock(&c->lock);
}

void tb_qcache_stats(tb_srv *S, int *entries, size_t *bytes, long *loads, long *hits) {
  tb_serve_cache *c = S->cache;
  pthread_mutex_lock(&c->lock);
  *entries = c->n, *bytes = c->bytes, *loads = c->loads, *hits = c->hits;
  pthread_mutex_unlock(&c->lock);
}
