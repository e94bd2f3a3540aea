/* The SQLite job store (see tb_serve_store.h). Statements are built once from TB_RUN_COLUMNS. */
#include "tb_serve_store.h"
#include "tb_error.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tb_store {
  sqlite3 *db;
  pthread_mutex_t lock;
};

#define SQL_TYPE_T "TEXT NOT NULL DEFAULT ''"
#define SQL_TYPE_I "INTEGER NOT NULL DEFAULT 0"
#define SQL_TYPE_D "REAL NOT NULL DEFAULT 0"
#define COL_DECL(name, kind, size) ", " #name " " SQL_TYPE_##kind
#define COL_NAME(name, kind, size) ", " #name
#define COL_PARAM(name, kind, size) ", ?"
#define COL_SET(name, kind, size) #name " = ?, "

static const char *SQL_CREATE = "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT" TB_RUN_COLUMNS(COL_DECL) ")";
static const char *SQL_INDEX = "CREATE INDEX IF NOT EXISTS runs_state ON runs (state, queued, id)";
/* the select list starts with id, then every column in order */
#define SELECT_LIST "id" TB_RUN_COLUMNS(COL_NAME)
static const char *SQL_INSERT = "INSERT INTO runs (id" TB_RUN_COLUMNS(COL_NAME) ") VALUES (NULL" TB_RUN_COLUMNS(COL_PARAM) ")";
static const char *SQL_UPDATE = "UPDATE runs SET " TB_RUN_COLUMNS(COL_SET) "id = id WHERE id = ?";

static int sql_fail(tb_store *st, int rc, const char *what) {
  return TB_ERR(TB_ERR_INTERNAL, "job store: %s: %s (sqlite %d)", what, sqlite3_errmsg(st->db), rc);
}

static int exec_sql(tb_store *st, const char *sql) {
  char *err = NULL;
  int rc = sqlite3_exec(st->db, sql, NULL, NULL, &err);
  if (rc != SQLITE_OK) {
    int e = TB_ERR(TB_ERR_INTERNAL, "job store: %s: %s", sql, err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return e;
  }
  return TB_OK;
}

/* The rows' layout is TB_RUN_COLUMNS of this program: a store written by another layout is refused. */
enum { STORE_VERSION = 1 };

static int check_version(tb_store *st, const char *path) {
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL), v = -1;
  if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) v = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  if (v < 0) return sql_fail(st, rc, "read the store's version");
  if (v == 0) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STORE_VERSION);
    return exec_sql(st, sql);
  }
  if (v != STORE_VERSION)
    return TB_ERR(TB_ERR_USAGE, "job store %s has layout %d; this program reads layout %d", path, v, STORE_VERSION);
  return TB_OK;
}

int tb_store_open(tb_store **out, const char *path) {
  tb_store *st = calloc(1, sizeof *st);
  if (!st) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  pthread_mutex_init(&st->lock, NULL);
  *out = st;
  int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    return TB_ERR(TB_ERR_USAGE, "job store %s: %s", path, st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
  rc = sqlite3_busy_timeout(st->db, 10000);
  if (rc != SQLITE_OK) return sql_fail(st, rc, "busy timeout");
  /* WAL: readers do not block the writer; FULL: a committed submission survives a crash of the machine too */
  TB_CALL(exec_sql(st, "PRAGMA journal_mode = WAL"));
  TB_CALL(exec_sql(st, "PRAGMA synchronous = FULL"));
  TB_CALL(exec_sql(st, SQL_CREATE));
  TB_CALL(exec_sql(st, SQL_INDEX));
  return check_version(st, path);
}

void tb_store_close(tb_store *st) {
  if (!st) return;
  if (st->db) sqlite3_close(st->db);
  pthread_mutex_destroy(&st->lock);
  free(st);
}

/* ---- binding and reading a row ---- */

#define BIND_T(name) rc = sqlite3_bind_text(s, i++, run->name, -1, SQLITE_TRANSIENT);
#define BIND_I(name) rc = sqlite3_bind_int64(s, i++, run->name);
#define BIND_D(name) rc = sqlite3_bind_double(s, i++, run->name);
#define BIND_COL(name, kind, size)                                                                           \
  BIND_##kind(name) if (rc != SQLITE_OK) return rc;

static int bind_columns(sqlite3_stmt *s, const tb_run *run) {
  int i = 1, rc = SQLITE_OK;
  TB_RUN_COLUMNS(BIND_COL)
  return rc;
}

static void read_text(sqlite3_stmt *s, int i, char *out, size_t size) {
  const unsigned char *t = sqlite3_column_text(s, i);
  snprintf(out, size, "%s", t ? (const char *)t : "");
}

#define READ_T(name, size) read_text(s, i++, run->name, size);
#define READ_I(name, size) run->name = sqlite3_column_int64(s, i++);
#define READ_D(name, size) run->name = sqlite3_column_double(s, i++);
#define READ_COL(name, kind, size) READ_##kind(name, size)

static void read_row(sqlite3_stmt *s, tb_run *run) {
  int i = 1;
  memset(run, 0, sizeof *run);
  run->id = sqlite3_column_int64(s, 0);
  TB_RUN_COLUMNS(READ_COL)
}

/* ---- statements (callers hold the lock) ---- */

static int prepare(tb_store *st, const char *sql, sqlite3_stmt **s) {
  int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
  return rc == SQLITE_OK ? TB_OK : sql_fail(st, rc, "prepare");
}

static int get_locked(tb_store *st, int64_t id, tb_run *run, int *found) {
  sqlite3_stmt *s;
  TB_CALL(prepare(st, "SELECT " SELECT_LIST " FROM runs WHERE id = ?", &s));
  int rc = sqlite3_bind_int64(s, 1, id);
  if (rc == SQLITE_OK) rc = sqlite3_step(s);
  *found = rc == SQLITE_ROW;
  if (*found) read_row(s, run);
  sqlite3_finalize(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? TB_OK : sql_fail(st, rc, "read a run");
}

static int update_locked(tb_store *st, const tb_run *run) {
  sqlite3_stmt *s;
  TB_CALL(prepare(st, SQL_UPDATE, &s));
  int rc = bind_columns(s, run), n = 0;
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, sqlite3_bind_parameter_count(s), run->id);
  if (rc == SQLITE_OK) rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) n = sqlite3_changes(st->db);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return sql_fail(st, rc, "update a run");
  return n == 1 ? TB_OK : TB_ERR(TB_ERR_INTERNAL, "job store: run %lld vanished", (long long)run->id);
}

int tb_store_get(tb_store *st, int64_t id, tb_run *run, int *found) {
  pthread_mutex_lock(&st->lock);
  int rc = get_locked(st, id, run, found);
  pthread_mutex_unlock(&st->lock);
  return rc;
}

int tb_store_modify(tb_store *st, int64_t id, int (*fn)(tb_run *run, void *arg), void *arg, int *found) {
  tb_run *run = malloc(sizeof *run);
  if (!run) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  pthread_mutex_lock(&st->lock);
  int rc = get_locked(st, id, run, found), w = 0;
  if (!rc && *found) {
    w = fn(run, arg);
    if (w < 0) rc = TB_ERR(TB_ERR_INTERNAL, "job store: changing run %lld failed", (long long)id);
    else if (w > 0) rc = update_locked(st, run);
  }
  pthread_mutex_unlock(&st->lock);
  free(run);
  return rc;
}

static int insert_locked(tb_store *st, tb_run *run, int (*commit_fn)(void *, tb_run *), void *arg) {
  sqlite3_stmt *s;
  TB_CALL(exec_sql(st, "BEGIN IMMEDIATE"));
  int rc = prepare(st, SQL_INSERT, &s);
  if (rc) return exec_sql(st, "ROLLBACK"), rc;
  int src = bind_columns(s, run);
  if (src == SQLITE_OK) src = sqlite3_step(s);
  sqlite3_finalize(s);
  if (src != SQLITE_DONE) {
    rc = sql_fail(st, src, "insert a run");
    exec_sql(st, "ROLLBACK");
    return rc;
  }
  run->id = sqlite3_last_insert_rowid(st->db);
  if (commit_fn && ((rc = commit_fn(arg, run)) || (rc = update_locked(st, run)))) {
    exec_sql(st, "ROLLBACK");
    return rc;
  }
  return exec_sql(st, "COMMIT");
}

int tb_store_insert(tb_store *st, tb_run *run, int (*commit_fn)(void *arg, tb_run *run), void *arg) {
  pthread_mutex_lock(&st->lock);
  int rc = insert_locked(st, run, commit_fn, arg);
  pthread_mutex_unlock(&st->lock);
  return rc;
}

/* Step s to the end, collecting rows into a growing array. */
static int collect(tb_store *st, sqlite3_stmt *s, tb_run **runs, int *n) {
  int cap = 0, rc;
  *runs = NULL, *n = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? 2 * cap : 16;
      tb_run *g = realloc(*runs, (size_t)cap * sizeof *g);
      if (!g) {
        free(*runs), *runs = NULL, *n = 0;
        return TB_ERR(TB_ERR_MEMORY, "out of memory listing runs");
      }
      *runs = g;
    }
    read_row(s, &(*runs)[(*n)++]);
  }
  if (rc != SQLITE_DONE) {
    free(*runs), *runs = NULL, *n = 0;
    return sql_fail(st, rc, "list runs");
  }
  return TB_OK;
}

int tb_store_list(tb_store *st, const char *state, const char *kind, int64_t before, int limit, tb_run **runs,
                  int *n) {
  sqlite3_stmt *s;
  pthread_mutex_lock(&st->lock);
  int rc = prepare(st, "SELECT " SELECT_LIST " FROM runs WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR kind = ?2)"
                       " AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4", &s);
  if (!rc) {
    int b = sqlite3_bind_text(s, 1, state ? state : "", -1, SQLITE_TRANSIENT);
    if (b == SQLITE_OK) b = sqlite3_bind_text(s, 2, kind ? kind : "", -1, SQLITE_TRANSIENT);
    if (b == SQLITE_OK) b = sqlite3_bind_int64(s, 3, before);
    if (b == SQLITE_OK) b = sqlite3_bind_int(s, 4, limit);
    rc = b == SQLITE_OK ? collect(st, s, runs, n) : sql_fail(st, b, "bind");
    sqlite3_finalize(s);
  }
  pthread_mutex_unlock(&st->lock);
  return rc;
}

int tb_store_active(tb_store *st, tb_run **runs, int *n) {
  sqlite3_stmt *s;
  pthread_mutex_lock(&st->lock);
  int rc = prepare(st, "SELECT " SELECT_LIST " FROM runs WHERE state IN ('queued', 'running') ORDER BY queued, id", &s);
  if (!rc) {
    rc = collect(st, s, runs, n);
    sqlite3_finalize(s);
  }
  pthread_mutex_unlock(&st->lock);
  return rc;
}

int tb_store_count(tb_store *st, const char *const *names, int nnames, int64_t *counts) {
  sqlite3_stmt *s;
  for (int i = 0; i < nnames; i++) counts[i] = 0;
  pthread_mutex_lock(&st->lock);
  int rc = prepare(st, "SELECT state, COUNT(*) FROM runs GROUP BY state", &s), src;
  if (!rc) {
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
      const char *name = (const char *)sqlite3_column_text(s, 0);
      for (int i = 0; name && i < nnames; i++)
        if (!strcmp(name, names[i])) counts[i] = sqlite3_column_int64(s, 1);
    }
    if (src != SQLITE_DONE) rc = sql_fail(st, src, "count runs");
    sqlite3_finalize(s);
  }
  pthread_mutex_unlock(&st->lock);
  return rc;
}
