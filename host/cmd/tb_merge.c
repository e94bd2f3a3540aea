/* `tradebal merge -o OUT SHARD...`: the shard files of one sweep joined into the file an
 * unsharded run writes, its sensitivities computed over every scenario (MODEL.md section 9). */
#include "tb_merge.h"

#include "tb_comm.h"
#include "tb_config.h"
#include "tb_error.h"
#include "tb_output.h"
#include "tb_policy_file.h"
#include "tb_schema.h"
#include "tb_sensitivity.h"
#include "tb_sweep.h"
#include "tb_sweep_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *config, *backend;
  char sha[65];
  int64_t ranks;
} shard_meta;

/* A string attribute of `obj`, malloc'd. */
static int read_str_attr(tb_h5 *f, const char *obj, const char *name, char **out) {
  int exists = 0;
  TB_CALL(tb_h5_attr_read_str(f, obj, name, out, &exists));
  return exists ? TB_OK
                : TB_ERR(TB_ERR_INPUT, "%s: attribute %s of %s is missing (not a tradebal sweep file)", f->path, name, obj);
}

static int read_i64_attr(tb_h5 *f, const char *obj, const char *name, int64_t *v) {
  int exists = 0;
  TB_CALL(tb_h5_attr_read_i64(f, obj, name, v, &exists));
  return exists ? TB_OK
                : TB_ERR(TB_ERR_INPUT, "%s: attribute %s of %s is missing (not a tradebal sweep file)", f->path, name, obj);
}

/* The dims of a dataset the sweep layout has at this rank. */
static int dims_of(tb_h5 *f, const char *name, int rank, int64_t *dims) {
  tb_h5_info in;
  TB_CALL(tb_h5_info_of(f, name, &in));
  if (!in.exists || in.rank != rank)
    return TB_ERR(TB_ERR_INPUT, "%s: %s is missing or not of rank %d (not a tradebal sweep file)", f->path, name, rank);
  memcpy(dims, in.dims, sizeof(int64_t) * (size_t)rank);
  return TB_OK;
}

/* The string array attribute `name` of dataset `obj` into fixed-width slots. */
static int read_names(tb_h5 *f, const char *obj, const char *name, int n, char *slots, size_t width) {
  hid_t a = H5Aopen_by_name(f->id, obj, name, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0) return TB_ERR(TB_ERR_INPUT, "%s: attribute %s of %s is missing", f->path, name, obj);
  hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
  const size_t w = H5Tget_size(t);
  const hssize_t cnt = H5Sget_simple_extent_npoints(sp);
  int rc = TB_OK;
  char *buf = cnt == n ? calloc((size_t)n ? (size_t)n : 1, w + 1) : NULL;
  if (cnt != n) rc = TB_ERR(TB_ERR_INPUT, "%s: %s of %s has %lld names, expected %d", f->path, name, obj, (long long)cnt, n);
  else if (!buf) rc = TB_ERR(TB_ERR_MEMORY, "out of memory");
  else if (H5Aread(a, t, buf) < 0) rc = TB_ERR(TB_ERR_INPUT, "%s: cannot read %s of %s", f->path, name, obj);
  for (int i = 0; !rc && i < n; i++) snprintf(slots + (size_t)i * width, width, "%.*s", (int)w, buf + (size_t)i * w);
  free(buf);
  H5Sclose(sp), H5Tclose(t), H5Aclose(a);
  return rc;
}

/* The config lines that decide the data: [output], [run], [backend] and [checkpoint] are dropped, and so
 * are the sweep's shard and groups, which only place the work. */
static void model_config(const char *text, char *out, size_t size) {
  size_t used = 0;
  int skip = 0;
  out[0] = 0;
  for (const char *l = text; *l;) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l) : strlen(l);
    if (l[0] == '[') skip = !strncmp(l, "[output]", 8) || !strncmp(l, "[run]", 5) || !strncmp(l, "[backend]", 9) ||
                              !strncmp(l, "[checkpoint]", 12);
    int drop = skip || !strncmp(l, "shard = ", 8) || !strncmp(l, "groups = ", 9);
    if (!drop && used + len + 2 < size) {
      memcpy(out + used, l, len);
      used += len;
      out[used++] = '\n';
      out[used] = 0;
    }
    l += len + (e ? 1 : 0);
  }
}

/* shard = i, shards = n of a config text rewritten to 0 and 1: the unsharded run's text. */
static void unsharded_config(const char *text, char *out, size_t size) {
  size_t used = 0;
  out[0] = 0;
  for (const char *l = text; *l && used + 2 < size;) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l) : strlen(l);
    if (!strncmp(l, "shard = ", 8)) used += (size_t)snprintf(out + used, size - used, "shard = 0\n");
    else if (!strncmp(l, "shards = ", 9)) used += (size_t)snprintf(out + used, size - used, "shards = 1\n");
    else used += (size_t)snprintf(out + used, size - used, "%.*s\n", (int)len, l);
    l += len + (e ? 1 : 0);
  }
}

/* Every rank reads the whole (small) shard file. Collective. */
static int read_shard(const char *file, tb_sweep_table *T, shard_meta *meta) {
  int rc = TB_OK;
  int64_t xd[2] = {0, 0}, md[2] = {0, 0}, q = 0;
  char *method = NULL, *sha = NULL;
  tb_h5 f = {.id = -1};
  TB_CALL(tb_comm_agree(tb_h5_open(&f, file)));
  TB_GUARD(dims_of(&f, "/scenarios/params", 2, xd));
  TB_GUARD(dims_of(&f, "/scenarios/metrics", 2, md));
  TB_GUARD(dims_of(&f, "/policies/names", 1, &q));
  if (md[1] != q * TB_POLICY_NCOL || xd[1] > TB_MAX_SWEEP || md[0] != xd[0])
    TB_GUARD(TB_ERR(TB_ERR_INPUT, "%s: /scenarios/metrics is [%lld, %lld], expected [%lld, %lld]", file,
                    (long long)md[0], (long long)md[1], (long long)xd[0], (long long)(q * TB_POLICY_NCOL)));
  TB_GUARD(tb_sweep_table_alloc(T, xd[0], (int)xd[1], (int)q));
  TB_GUARD(read_i64_attr(&f, "/scenarios", "scenarios", &T->total));
  TB_GUARD(read_i64_attr(&f, "/scenarios", "shard", &T->shard));
  TB_GUARD(read_i64_attr(&f, "/scenarios", "shards", &T->shards));
  TB_GUARD(read_str_attr(&f, "/scenarios", "method", &method));
  T->method = tb_sweep_method_of(method);
  if (T->method < 0) TB_GUARD(TB_ERR(TB_ERR_INPUT, "%s: unknown sweep method '%s'", file, method));
  TB_GUARD(tb_h5_read(&f, "/scenarios/index", H5T_NATIVE_INT64, 0, T->n, 1, T->index));
  TB_GUARD(tb_h5_read(&f, "/scenarios/recommended", H5T_NATIVE_INT64, 0, T->n, 1, T->best));
  TB_GUARD(tb_h5_read(&f, "/scenarios/params", H5T_NATIVE_DOUBLE, 0, T->n, 1, T->x));
  TB_GUARD(tb_h5_read(&f, "/scenarios/metrics", H5T_NATIVE_DOUBLE, 0, T->n, 1, T->m));
  TB_GUARD(read_names(&f, "/scenarios/params", "names", T->J, &T->pname[0][0], sizeof T->pname[0]));
  TB_GUARD(read_names(&f, "/scenarios/recommended", "policies", T->Q, &T->qname[0][0], sizeof T->qname[0]));
  TB_GUARD(read_str_attr(&f, "/", "config", &meta->config));
  TB_GUARD(read_str_attr(&f, "/", "backend", &meta->backend));
  TB_GUARD(read_i64_attr(&f, "/", "ranks", &meta->ranks));
  TB_GUARD(read_str_attr(&f, "/", "input_sha256", &sha));
  snprintf(meta->sha, sizeof meta->sha, "%s", sha);
done:
  free(method), free(sha);
  tb_h5_close(&f);
  return rc;
}

/* Shard i must be the i-th slice of the same sweep: same input, same model config. */
static int check_shard(const char *file, const tb_sweep_table *T, const shard_meta *m, const char *file0,
                       const tb_sweep_table *T0, const shard_meta *m0, int64_t next) {
  static char a[TB_CONFIG_TEXT_MAX], b[TB_CONFIG_TEXT_MAX];
  if (strcmp(m->sha, m0->sha))
    return TB_ERR(TB_ERR_INPUT, "%s: input_sha256 differs from %s's: the shards ran on different inputs", file, file0);
  model_config(m->config, a, sizeof a);
  model_config(m0->config, b, sizeof b);
  if (strcmp(a, b)) return TB_ERR(TB_ERR_INPUT, "%s: config differs from %s's: the shards are not one sweep", file, file0);
  if (T->shards != T0->shards || T->total != T0->total || T->J != T0->J || T->Q != T0->Q)
    return TB_ERR(TB_ERR_INPUT, "%s: sweep size differs from %s's", file, file0);
  int64_t lo, hi;
  tb_sweep_shard(T->total, T->shard, T->shards, &lo, &hi);
  if (lo != next || T->n != hi - lo || (T->n && (T->index[0] != lo || T->index[T->n - 1] != hi - 1)))
    return TB_ERR(TB_ERR_INPUT, "%s: shard %lld of %lld holds scenarios %lld..%lld, but %lld comes next (give every "
                  "shard once, in order)", file, (long long)T->shard, (long long)T->shards, (long long)lo,
                  (long long)hi - 1, (long long)next);
  return TB_OK;
}

static int merge_into(const char *const *files, int nfiles, tb_sweep_table *all, shard_meta *m0) {
  int rc = TB_OK;
  tb_sweep_table T0, T;
  shard_meta m;
  memset(&T0, 0, sizeof T0), memset(&T, 0, sizeof T), memset(&m, 0, sizeof m);
  TB_GUARD(read_shard(files[0], &T0, m0));
  if (T0.shards != nfiles)
    TB_GUARD(TB_ERR(TB_ERR_USAGE, "merge: %s is shard %lld of %lld, but %d file(s) were given", files[0],
                    (long long)T0.shard, (long long)T0.shards, nfiles));
  TB_GUARD(tb_sweep_table_alloc(all, T0.total, T0.J, T0.Q));
  all->total = T0.total, all->shard = 0, all->shards = 1, all->method = T0.method;
  memcpy(all->pname, T0.pname, sizeof(*T0.pname) * (size_t)T0.J);
  memcpy(all->qname, T0.qname, sizeof(*T0.qname) * (size_t)T0.Q);
  for (int i = 0, next = 0; i < nfiles; i++) {
    tb_sweep_table *S = i ? &T : &T0;
    if (i) TB_GUARD(read_shard(files[i], &T, &m));
    TB_GUARD(check_shard(files[i], S, i ? &m : m0, files[0], &T0, m0, next));
    memcpy(all->index + next, S->index, sizeof(int64_t) * (size_t)S->n);
    memcpy(all->best + next, S->best, sizeof(int64_t) * (size_t)S->n);
    memcpy(all->x + next * all->J, S->x, sizeof(double) * (size_t)(S->n * S->J));
    memcpy(all->m + next * all->C, S->m, sizeof(double) * (size_t)(S->n * S->C));
    next += (int)S->n;
    if (i) tb_sweep_table_free(&T), free(m.config), free(m.backend), memset(&m, 0, sizeof m);
  }
done:
  tb_sweep_table_free(&T0), tb_sweep_table_free(&T);
  free(m.config), free(m.backend);
  return rc;
}

int tb_merge(const char *out, int nfiles, char *const *files, int overwrite) {
  int rc = TB_OK, have_out = 0, have_sens = 0;
  tb_sweep_table all;
  tb_sensitivity sens;
  shard_meta m0;
  tb_h5 o = {.id = -1}, none = {.id = -1};
  char tmp[4200];
  static char config[TB_CONFIG_TEXT_MAX];
  memset(&all, 0, sizeof all), memset(&m0, 0, sizeof m0);
  if (nfiles < 1) return TB_ERR(TB_ERR_USAGE, "merge: usage: tradebal merge -o OUT SHARD... [--overwrite]");
  for (int i = 0; i < nfiles; i++) TB_CALL(tb_output_check(files[i], out, overwrite));
  TB_GUARD(tb_comm_agree(merge_into((const char *const *)files, nfiles, &all, &m0))); /* every rank reads */
  unsharded_config(m0.config, config, sizeof config);
  TB_GUARD(tb_output_tmpname(out, tmp, sizeof tmp));
  TB_GUARD(tb_comm_agree(tb_h5_create(&o, tmp)));
  o.schema = TB_FILE_SWEEP;
  have_out = 1;
  TB_GUARD(tb_comm_agree(tb_sensitivity_compute(all.n, all.J, all.x, all.C, all.m, all.method == TB_SWEEP_OAT, &sens)));
  have_sens = 1;
  TB_GUARD(tb_comm_agree(tb_sweep_table_write(&o, &all, &sens)));
  TB_GUARD(tb_comm_agree(tb_write_root_attrs_text(&o, config, m0.backend, m0.sha, m0.ranks)));
done:
  rc = tb_output_finish(&o, &none, tmp, out, have_out, rc);
  if (!rc && tb_comm_rank() == 0)
    printf("tradebal merge: %d shard(s), %lld scenarios, sensitivity of %d metric(s) to %d parameter(s) -> %s\n",
           nfiles, (long long)all.total, all.C, all.J, out);
  if (have_sens) tb_sensitivity_free(&sens);
  tb_sweep_table_free(&all);
  free(m0.config), free(m0.backend);
  return rc;
}
