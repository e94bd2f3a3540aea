#include "tb_config.h"

#include "backend.h"
#include "tb_error.h"

#include <errno.h>
#include <stdint.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { K_PATH, K_BOOL, K_INT, K_DOUBLE, K_ENUM };

typedef struct {
  const char *section, *key;
  int kind;
  size_t offset;
  const char *choices; /* K_ENUM: '|'-separated names in the order of their values */
  double lo, hi;       /* K_INT, K_DOUBLE: allowed range */
  const char *def;
} tb_key;

#define OFF(f) offsetof(tb_config, f)
static const tb_key KEYS[] = {
    {"input", "file", K_PATH, OFF(input_file), NULL, 0, 0, ""},
    {"output", "file", K_PATH, OFF(output_file), NULL, 0, 0, ""},
    {"output", "overwrite", K_BOOL, OFF(overwrite), NULL, 0, 1, "false"},
    {"model", "value_rule", K_ENUM, OFF(deal.value_rule), "expected|min_adjusted", 0, 0, "expected"},
    {"model", "other_factor", K_DOUBLE, OFF(deal.other_factor), NULL, -1e300, 1e300, "0.5"},
    {"model", "margin_of_safety", K_DOUBLE, OFF(margin_of_safety), NULL, 0, 0.999999, "0.3"},
    {"split", "rule", K_ENUM, OFF(deal.split_rule), "nash|egalitarian|none", 0, 0, "nash"},
    {"split", "scope", K_ENUM, OFF(deal.split_scope), "repair|all", 0, 0, "repair"},
    {"run", "batch_deals", K_INT, OFF(batch_deals), NULL, 1, 1e12, "1048576"},
    {"run", "device_memory_limit", K_DOUBLE, OFF(device_memory_limit), NULL, 0, 1e9, "0"},
    {"run", "memory_limit", K_DOUBLE, OFF(memory_limit), NULL, 0, 1e9, "0"},
    {"run", "progress", K_ENUM, OFF(progress), "auto|always|never", 0, 0, "auto"},
    {"checkpoint", "dir", K_PATH, OFF(ckpt_dir), NULL, 0, 0, ""},
    {"checkpoint", "every", K_DOUBLE, OFF(ckpt_every), NULL, 0, 1e9, "3600"},
    {"checkpoint", "period_block", K_INT, OFF(ckpt_periods), NULL, 1, 1e9, "1"},
    {"checkpoint", "walltime", K_DOUBLE, OFF(walltime), NULL, 0, 1e9, "0"},
    {"checkpoint", "resume", K_ENUM, OFF(resume), "never|auto", 0, 0, "never"},
    {"backend", "kind", K_ENUM, OFF(backend_kind), "cpu|cuda|auto", 0, 0, "cpu"},
    {"backend", "threads", K_INT, OFF(threads), NULL, 0, 4096, "0"},
    {"funding", "budget", K_DOUBLE, OFF(budget), NULL, 0, INFINITY, "inf"},
    {"funding", "theta", K_DOUBLE, OFF(theta), NULL, -1e300, 1e300, "1.2"},
    {"market", "elasticity", K_DOUBLE, OFF(elasticity), NULL, 0, 1e300, "1.5"},
    {"network", "alpha", K_DOUBLE, OFF(alpha), NULL, 0, 0.999999999, "0.3"},
    {"network", "tol", K_DOUBLE, OFF(net_tol), NULL, 0, 1, "1e-10"},
    {"network", "max_iter", K_INT, OFF(net_max_iter), NULL, 1, 1e9, "1000"},
    {"io", "substitution", K_DOUBLE, OFF(substitution), NULL, 0, 1e300, "1"},
    {"assessment", "w_gdp", K_DOUBLE, OFF(w_gdp), NULL, -1e300, 1e300, "1"},
    {"assessment", "w_jobs", K_DOUBLE, OFF(w_jobs), NULL, -1e300, 1e300, "0"},
    {"assessment", "w_balance", K_DOUBLE, OFF(w_balance), NULL, -1e300, 1e300, "1"},
    {"assessment", "w_surplus", K_DOUBLE, OFF(w_surplus), NULL, -1e300, 1e300, "1"},
    {"assessment", "draws", K_INT, OFF(draws), NULL, 0, 1e6, "0"},
    {"assessment", "seed", K_INT, OFF(seed), NULL, 0, 9007199254740992.0, "20261124"},
    {"assessment", "sigma_p", K_DOUBLE, OFF(sigma_p), NULL, 0, 1e3, "0.2"},
    {"assessment", "sigma_r", K_DOUBLE, OFF(sigma_r), NULL, 0, 1e3, "0.02"},
    {"assessment", "sigma_e", K_DOUBLE, OFF(sigma_e), NULL, 0, 1e3, "0.2"},
    /* section 9; swept parameters follow in the same section as `section.key = lo:hi` or a list */
    {"sweep", "method", K_ENUM, OFF(sweep_method), "none|grid|oat|lhs|random", 0, 0, "none"},
    {"sweep", "samples", K_INT, OFF(sweep_samples), NULL, 1, 1e7, "16"},
    {"sweep", "points", K_INT, OFF(sweep_points), NULL, 2, TB_MAX_SWEEP_VALUES, "3"},
    {"sweep", "seed", K_INT, OFF(sweep_seed), NULL, 0, 9007199254740992.0, "1"},
    {"sweep", "shard", K_INT, OFF(sweep_shard), NULL, 0, 1e9, "0"},
    {"sweep", "shards", K_INT, OFF(sweep_shards), NULL, 1, 1e9, "1"},
    {"sweep", "groups", K_INT, OFF(sweep_groups), NULL, 0, 1e6, "0"},
};
#define NKEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

static const tb_key *find_key(const char *section, const char *key) {
  for (int i = 0; i < NKEYS; i++)
    if (!strcmp(KEYS[i].section, section) && !strcmp(KEYS[i].key, key)) return &KEYS[i];
  return NULL;
}

static int enum_index(const char *choices, const char *v) {
  size_t n = strlen(v);
  int idx = 0;
  for (const char *c = choices; *c; idx++) {
    const char *bar = strchr(c, '|');
    size_t len = bar ? (size_t)(bar - c) : strlen(c);
    if (len == n && !strncmp(c, v, n)) return idx;
    if (!bar) break;
    c = bar + 1;
  }
  return -1;
}

static void enum_name(const char *choices, int idx, char *out, size_t size) {
  const char *c = choices;
  for (int i = 0; i < idx && c; i++) {
    c = strchr(c, '|');
    if (c) c++;
  }
  size_t len = c ? (strchr(c, '|') ? (size_t)(strchr(c, '|') - c) : strlen(c)) : 0;
  if (len >= size) len = size - 1;
  memcpy(out, c ? c : "", len);
  out[len] = 0;
}

/* `where` names the origin for messages: "FILE:LINE" or "--set". */
static int set_value(tb_config *c, const tb_key *k, const char *v, const char *base_dir,
                     const char *where) {
  char *end = NULL;
  void *field = (char *)c + k->offset;
  switch (k->kind) {
  case K_PATH: {
    int rel = v[0] && v[0] != '/' && base_dir && base_dir[0];
    int n = rel ? snprintf(field, TB_PATH_MAX, "%s/%s", base_dir, v)
                : snprintf(field, TB_PATH_MAX, "%s", v);
    if (n >= TB_PATH_MAX) return TB_ERR(TB_ERR_USAGE, "%s: [%s] %s: path too long", where, k->section, k->key);
    return TB_OK;
  }
  case K_BOOL:
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes")) *(int *)field = 1;
    else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no")) *(int *)field = 0;
    else return TB_ERR(TB_ERR_USAGE, "%s: [%s] %s = '%s': expected true or false", where, k->section, k->key, v);
    return TB_OK;
  case K_ENUM: {
    int i = enum_index(k->choices, v);
    if (i < 0) return TB_ERR(TB_ERR_USAGE, "%s: [%s] %s = '%s': expected one of %s", where, k->section, k->key, v, k->choices);
    *(int *)field = i;
    return TB_OK;
  }
  case K_INT: {
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < k->lo || x > k->hi)
      return TB_ERR(TB_ERR_USAGE, "%s: [%s] %s = '%s': expected an integer in %.0f..%.0f", where, k->section, k->key, v, k->lo, k->hi);
    if (k->offset == OFF(threads)) *(int *)field = (int)x;
    else *(int64_t *)field = x;
    return TB_OK;
  }
  case K_DOUBLE: {
    errno = 0;
    double x = strtod(v, &end);
    const int inf_ok = isinf(k->hi) && x == INFINITY; /* e.g. an unlimited budget */
    if (errno || end == v || *end || (!isfinite(x) && !inf_ok) || x < k->lo || x > k->hi)
      return TB_ERR(TB_ERR_USAGE, "%s: [%s] %s = '%s': expected a number in [%g, %g]", where, k->section,
                    k->key, v, k->lo, k->hi);
    *(double *)field = x;
    return TB_OK;
  }
  }
  return TB_ERR(TB_ERR_INTERNAL, "bad key kind");
}

/* ---- policies: sections [policy.NAME] (MODEL.md section 5) ---- */

static const char *POLICY_KINDS = "none|tariff|certificates";

static void policy_defaults(tb_policy *p, const char *name) {
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  p->kind = TB_POLICY_NONE;
  p->region_mode = TB_REGIONS_HOME;
  p->rate = 0.1;
  p->ratio = 1.0;
  p->expiry = 1;
  p->floor_price = 0.0;
}

/* The policy called `name`, created on first mention. */
static int policy_find(tb_config *c, const char *name, const char *where, tb_policy **out) {
  for (int i = 0; i < c->npolicies; i++)
    if (!strcmp(c->policy[i].name, name)) return *out = &c->policy[i], TB_OK;
  size_t n = strlen(name);
  if (n == 0 || n >= sizeof c->policy[0].name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n)
    return TB_ERR(TB_ERR_USAGE, "%s: policy name '%s': use 1-63 letters, digits, '_' or '-'", where, name);
  if (c->npolicies == TB_MAX_POLICIES)
    return TB_ERR(TB_ERR_USAGE, "%s: more than %d policies", where, TB_MAX_POLICIES);
  *out = &c->policy[c->npolicies++];
  policy_defaults(*out, name);
  return TB_OK;
}

/* "home", "all" or a list of region ids separated by commas or spaces. */
static int parse_regions(tb_policy *p, const char *v, const char *where) {
  if (!strcmp(v, "home") || !strcmp(v, "all")) {
    p->region_mode = v[0] == 'h' ? TB_REGIONS_HOME : TB_REGIONS_ALL;
    return TB_OK;
  }
  p->region_mode = TB_REGIONS_LIST;
  p->nregions = 0;
  for (const char *c = v; *c;) {
    if (*c == ',' || *c == ' ' || *c == '\t') {
      c++;
      continue;
    }
    char *end;
    errno = 0;
    long x = strtol(c, &end, 10);
    if (end == c || errno || x < 0 || x > INT32_MAX || p->nregions == TB_MAX_POLICY_REGIONS)
      return TB_ERR(TB_ERR_USAGE, "%s: [policy.%s] regions = '%s': expected home, all, or up to %d region ids",
                    where, p->name, v, TB_MAX_POLICY_REGIONS);
    p->regions[p->nregions++] = (int32_t)x;
    c = end;
  }
  if (!p->nregions) return TB_ERR(TB_ERR_USAGE, "%s: [policy.%s] regions is empty", where, p->name);
  return TB_OK;
}

static int parse_number(const char *v, double lo, double *out) {
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (errno || end == v || *end || !isfinite(x) || x < lo) return -1;
  *out = x;
  return 0;
}

static int policy_set(tb_config *c, const char *name, const char *key, const char *v, const char *where) {
  tb_policy *p = NULL;
  TB_CALL(policy_find(c, name, where, &p));
  double x;
  if (!strcmp(key, "kind")) {
    int i = enum_index(POLICY_KINDS, v);
    if (i < 0) return TB_ERR(TB_ERR_USAGE, "%s: [policy.%s] kind = '%s': expected one of %s", where, name, v, POLICY_KINDS);
    p->kind = i;
  } else if (!strcmp(key, "regions")) {
    return parse_regions(p, v, where);
  } else if (!strcmp(key, "expiry")) {
    if (parse_number(v, 1, &x) || x != floor(x) || x > 1e9)
      return TB_ERR(TB_ERR_USAGE, "%s: [policy.%s] expiry = '%s': expected a whole number of periods >= 1", where, name, v);
    p->expiry = (int64_t)x;
  } else if (!strcmp(key, "rate") || !strcmp(key, "ratio") || !strcmp(key, "floor")) {
    if (parse_number(v, 0, &x))
      return TB_ERR(TB_ERR_USAGE, "%s: [policy.%s] %s = '%s': expected a finite number >= 0", where, name, key, v);
    *(!strcmp(key, "rate") ? &p->rate : !strcmp(key, "ratio") ? &p->ratio : &p->floor_price) = x;
  } else {
    return TB_ERR(TB_ERR_USAGE, "%s: unknown key [policy.%s] %s (kind, regions, rate, ratio, expiry, floor)", where, name, key);
  }
  return TB_OK;
}

/* ---- swept parameters: `[sweep] section.key = lo:hi` or `= v1, v2, ...` (section 9) ---- */

static int sweep_set(tb_config *c, const char *key, const char *v, const char *where) {
  tb_sweep_param *p = NULL;
  for (int i = 0; i < c->nsweep && !p; i++)
    if (!strcmp(c->sweep[i].key, key)) p = &c->sweep[i];
  if (!p) {
    if (strlen(key) >= sizeof p->key) return TB_ERR(TB_ERR_USAGE, "%s: [sweep] %s: key too long", where, key);
    if (c->nsweep == TB_MAX_SWEEP) return TB_ERR(TB_ERR_USAGE, "%s: more than %d swept parameters", where, TB_MAX_SWEEP);
    p = &c->sweep[c->nsweep++];
    snprintf(p->key, sizeof p->key, "%s", key);
  }
  char *end;
  const char *colon = strchr(v, ':');
  p->nvalues = 0;
  p->is_range = colon != NULL;
  if (colon) {
    errno = 0;
    p->lo = strtod(v, &end);
    int bad = errno || end != colon;
    p->hi = strtod(colon + 1, &end);
    bad |= errno || end == colon + 1 || *end || !isfinite(p->lo) || !isfinite(p->hi) || p->lo > p->hi;
    if (bad) return TB_ERR(TB_ERR_USAGE, "%s: [sweep] %s = '%s': expected lo:hi with finite lo <= hi", where, key, v);
    return TB_OK;
  }
  for (const char *q = v; *q;) {
    if (*q == ',' || *q == ' ' || *q == '\t') {
      q++;
      continue;
    }
    errno = 0;
    double x = strtod(q, &end);
    if (end == q || errno || !isfinite(x) || p->nvalues == TB_MAX_SWEEP_VALUES)
      return TB_ERR(TB_ERR_USAGE, "%s: [sweep] %s = '%s': expected lo:hi or a list of up to %d numbers", where,
                    key, v, TB_MAX_SWEEP_VALUES);
    p->values[p->nvalues++] = x;
    q = end;
  }
  if (!p->nvalues) return TB_ERR(TB_ERR_USAGE, "%s: [sweep] %s is empty", where, key);
  p->lo = p->hi = p->values[0];
  for (int i = 1; i < p->nvalues; i++) p->lo = fmin(p->lo, p->values[i]), p->hi = fmax(p->hi, p->values[i]);
  return TB_OK;
}

/* Shortest of %.15g..%.17g that reads back to the same double (0.3, not 0.29999999999999999). */
static void fmt_double(char *out, size_t size, double x) {
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(out, size, "%.*g", prec, x);
    if (strtod(out, NULL) == x) return;
  }
}

static void policy_dump(const tb_policy *p, char *val, size_t size) {
  char regions[4096] = "";
  size_t used = 0;
  if (p->region_mode != TB_REGIONS_LIST) snprintf(regions, sizeof regions, "%s", p->region_mode ? "all" : "home");
  for (int i = 0; p->region_mode == TB_REGIONS_LIST && i < p->nregions && used + 16 < sizeof regions; i++)
    used += (size_t)snprintf(regions + used, sizeof regions - used, "%s%d", i ? ", " : "", (int)p->regions[i]);
  char kind[32];
  enum_name(POLICY_KINDS, p->kind, kind, sizeof kind);
  char rate[32], ratio[32], fl[32];
  fmt_double(rate, sizeof rate, p->rate);
  fmt_double(ratio, sizeof ratio, p->ratio);
  fmt_double(fl, sizeof fl, p->floor_price);
  snprintf(val, size, "\n[policy.%s]\nkind = %s\nregions = %s\nrate = %s\nratio = %s\nexpiry = %lld\nfloor = %s\n",
           p->name, kind, regions, rate, ratio, (long long)p->expiry, fl);
}

static void sweep_dump(const tb_sweep_param *p, char *val, size_t size) {
  char a[32], b[32];
  size_t used = 0;
  if (p->is_range) {
    fmt_double(a, sizeof a, p->lo), fmt_double(b, sizeof b, p->hi);
    snprintf(val, size, "%s = %s:%s\n", p->key, a, b);
    return;
  }
  used += (size_t)snprintf(val, size, "%s =", p->key);
  for (int i = 0; i < p->nvalues && used + 40 < size; i++) {
    fmt_double(a, sizeof a, p->values[i]);
    used += (size_t)snprintf(val + used, size - used, "%s %s", i ? "," : "", a);
  }
  snprintf(val + used, size - used, "\n");
}

int tb_config_sweepable(const tb_config *c, const char *key, int *integer) {
  char sec[64];
  const char *dot = strchr(key, '.');
  if (!dot || (size_t)(dot - key) >= sizeof sec) return TB_ERR(TB_ERR_USAGE, "[sweep] %s: expected section.key", key);
  memcpy(sec, key, (size_t)(dot - key));
  sec[dot - key] = 0;
  if (!strcmp(sec, "policy")) {
    const char *sub = strrchr(key, '.');
    size_t n = (size_t)(sub - dot - 1);
    int found = 0;
    for (int i = 0; i < c->npolicies && !found; i++)
      found = strlen(c->policy[i].name) == n && !strncmp(c->policy[i].name, dot + 1, n);
    if (sub == dot || !found)
      return TB_ERR(TB_ERR_USAGE, "[sweep] %s: no such policy (sweep policy.NAME.rate, ratio, expiry or floor)", key);
    *integer = !strcmp(sub + 1, "expiry");
    if (*integer || !strcmp(sub + 1, "rate") || !strcmp(sub + 1, "ratio") || !strcmp(sub + 1, "floor")) return TB_OK;
    return TB_ERR(TB_ERR_USAGE, "[sweep] %s: a policy's numeric keys are rate, ratio, expiry and floor", key);
  }
  const tb_key *k = find_key(sec, dot + 1);
  if (!k) return TB_ERR(TB_ERR_USAGE, "[sweep] %s: unknown key", key);
  if (k->kind != K_INT && k->kind != K_DOUBLE)
    return TB_ERR(TB_ERR_USAGE, "[sweep] %s: not a numeric key", key);
  if (!strcmp(sec, "run") || !strcmp(sec, "backend") || !strcmp(sec, "sweep") || !strcmp(sec, "checkpoint"))
    return TB_ERR(TB_ERR_USAGE, "[sweep] %s: does not change the model's results, so it cannot be swept", key);
  *integer = k->kind == K_INT;
  return TB_OK;
}

/* Every value a sweep may give `p` must be accepted by the key itself. */
static int sweep_check_param(const tb_config *c, const tb_sweep_param *p) {
  int integer = 0;
  TB_CALL(tb_config_sweepable(c, p->key, &integer));
  tb_config *trial = malloc(sizeof *trial);
  if (!trial) return TB_ERR(TB_ERR_MEMORY, "out of memory checking the sweep");
  int rc = TB_OK;
  const int n = p->is_range ? 2 : p->nvalues;
  for (int i = 0; i < n && !rc; i++) {
    char a[256];
    const double x = p->is_range ? (i ? p->hi : p->lo) : p->values[i];
    if (integer) snprintf(a, sizeof a, "%s=%lld", p->key, (long long)llround(x));
    else snprintf(a, sizeof a, "%s=%.17g", p->key, x);
    *trial = *c;
    rc = tb_config_set(trial, a);
  }
  free(trial);
  if (rc) return TB_ERR(rc, "[sweep] %s: %s", p->key, tb_error_message());
  return TB_OK;
}

static int sweep_check(const tb_config *c) {
  const int m = c->sweep_method;
  if (m == TB_SWEEP_NONE) return TB_OK;
  if (!c->nsweep) return TB_ERR(TB_ERR_USAGE, "[sweep] method is set but no parameter is swept (add section.key = lo:hi)");
  if (c->sweep_shard >= c->sweep_shards)
    return TB_ERR(TB_ERR_USAGE, "sweep.shard = %lld: expected 0..%lld (sweep.shards - 1)", (long long)c->sweep_shard,
                  (long long)c->sweep_shards - 1);
  double count = 1;
  for (int j = 0; j < c->nsweep; j++) {
    const tb_sweep_param *p = &c->sweep[j];
    TB_CALL(sweep_check_param(c, p));
    const int64_t pts = p->is_range ? c->sweep_points : p->nvalues;
    if ((m == TB_SWEEP_LHS || m == TB_SWEEP_RANDOM) && !p->is_range)
      return TB_ERR(TB_ERR_USAGE, "[sweep] %s: method lhs and random sample a range: give lo:hi", p->key);
    if (m == TB_SWEEP_OAT && pts % 2 == 0)
      return TB_ERR(TB_ERR_USAGE, "[sweep] %s: method oat needs an odd number of points (the centre is the middle "
                    "one), got %lld", p->key, (long long)pts);
    count = m == TB_SWEEP_GRID ? count * (double)pts : count + (double)(pts - 1);
  }
  if (m == TB_SWEEP_GRID && count > 1e7)
    return TB_ERR(TB_ERR_USAGE, "[sweep] method grid: %.0f scenarios is too many (at most 10000000)", count);
  return TB_OK;
}

void tb_config_defaults(tb_config *c) {
  memset(c, 0, sizeof *c);
  for (int i = 0; i < NKEYS; i++) set_value(c, &KEYS[i], KEYS[i].def, NULL, "default");
  c->npolicies = 1; /* the baseline every policy is compared with */
  policy_defaults(&c->policy[0], "none");
}

typedef struct {
  tb_config *c;
  const char *path;
  char dir[TB_PATH_MAX];
  int rc;
} load_ctx;

/* Messages name the file only; tb_config_load adds the line inih reports. */
static int on_entry(void *user, const char *section, const char *name, const char *value) {
  load_ctx *L = user;
  if (!strncmp(section, "policy.", 7)) {
    L->rc = policy_set(L->c, section + 7, name, value, L->path);
    return L->rc == TB_OK;
  }
  const tb_key *k = find_key(section, name);
  if (!k && !strcmp(section, "sweep") && strchr(name, '.')) {
    L->rc = sweep_set(L->c, name, value, L->path);
    return L->rc == TB_OK;
  }
  if (!k) {
    L->rc = TB_ERR(TB_ERR_USAGE, "%s: unknown key [%s] %s", L->path, section, name);
    return 0;
  }
  L->rc = set_value(L->c, k, value, L->dir, L->path);
  return L->rc == TB_OK;
}

int tb_config_load(tb_config *c, const char *path) {
  load_ctx L = {c, path, {0}, TB_OK};
  snprintf(L.dir, sizeof L.dir, "%s", path);
  char *slash = strrchr(L.dir, '/');
  if (slash) *slash = 0;
  else L.dir[0] = 0;
  FILE *fp = fopen(path, "r");
  if (!fp) return TB_ERR(TB_ERR_USAGE, "%s: cannot open the config file", path);
  int line = ini_parse_file(fp, on_entry, &L);
  fclose(fp);
  if (L.rc) /* insert the line number after the file name */
    return TB_ERR(L.rc, "%s:%d: %s", path, line, tb_error_message() + strlen(path) + 2);
  if (line > 0) return TB_ERR(TB_ERR_USAGE, "%s:%d: not valid INI syntax", path, line);
  return TB_OK;
}

int tb_config_set(tb_config *c, const char *assignment) {
  char sec[64], key[128];
  const char *dot = strchr(assignment, '.'), *eq = strchr(assignment, '=');
  if (!dot || !eq || dot > eq || (size_t)(dot - assignment) >= sizeof sec ||
      (size_t)(eq - dot - 1) >= sizeof key)
    return TB_ERR(TB_ERR_USAGE, "--set '%s': expected section.key=value", assignment);
  memcpy(sec, assignment, (size_t)(dot - assignment));
  sec[dot - assignment] = 0;
  memcpy(key, dot + 1, (size_t)(eq - dot - 1));
  key[eq - dot - 1] = 0;
  char *sub = strrchr(key, '.');
  if (!strcmp(sec, "policy") && sub) { /* policy.NAME.key=value */
    *sub = 0;
    return policy_set(c, key, sub + 1, eq + 1, "--set");
  }
  const tb_key *k = find_key(sec, key);
  if (!k && !strcmp(sec, "sweep") && strchr(key, '.')) return sweep_set(c, key, eq + 1, "--set");
  if (!k) return TB_ERR(TB_ERR_USAGE, "--set: unknown key %s.%s", sec, key);
  return set_value(c, k, eq + 1, NULL, "--set");
}

int tb_config_check(const tb_config *c) {
  if (!c->input_file[0]) return TB_ERR(TB_ERR_USAGE, "no input: set [input] file in the config or --set input.file=PATH");
  if (!c->output_file[0]) return TB_ERR(TB_ERR_USAGE, "no output: give -o FILE or set [output] file");
  if (c->policy[0].kind != TB_POLICY_NONE)
    return TB_ERR(TB_ERR_USAGE, "[policy.none] is the baseline and must have kind = none");
  if (c->draws == 1)
    return TB_ERR(TB_ERR_USAGE, "assessment.draws = 1: sigma_rep is a sample standard deviation and needs 0 "
                                "(deterministic) or at least 2 draws");
  return sweep_check(c);
}

int tb_config_dump(const tb_config *c, char *buf, size_t size) {
  size_t used = 0;
  const char *last = "";
  buf[0] = 0;
  for (int i = 0; i < NKEYS; i++) {
    const tb_key *k = &KEYS[i];
    const void *field = (const char *)c + k->offset;
    char val[TB_PATH_MAX];
    switch (k->kind) {
    case K_PATH: snprintf(val, sizeof val, "%s", (const char *)field); break;
    case K_BOOL: snprintf(val, sizeof val, "%s", *(const int *)field ? "true" : "false"); break;
    case K_ENUM: enum_name(k->choices, *(const int *)field, val, sizeof val); break;
    case K_INT:
      snprintf(val, sizeof val, "%lld", k->offset == OFF(threads) ? (long long)*(const int *)field
                                                                  : (long long)*(const int64_t *)field);
      break;
    default: fmt_double(val, sizeof val, *(const double *)field); break;
    }
    if (strcmp(last, k->section))
      used += (size_t)snprintf(buf + used, size - used, "%s[%s]\n", i ? "\n" : "", k->section);
    if (used < size) used += (size_t)snprintf(buf + used, size - used, "%s = %s\n", k->key, val);
    if (used + 1 >= size) return TB_ERR(TB_ERR_INTERNAL, "config text buffer too small");
    last = k->section;
  }
  for (int i = 0; i < c->nsweep; i++) { /* under [sweep], the table's last section */
    char val[4096];
    sweep_dump(&c->sweep[i], val, sizeof val);
    used += (size_t)snprintf(buf + used, size - used, "%s", val);
    if (used + 1 >= size) return TB_ERR(TB_ERR_INTERNAL, "config text buffer too small");
  }
  for (int i = 0; i < c->npolicies; i++) {
    char val[8192];
    policy_dump(&c->policy[i], val, sizeof val);
    used += (size_t)snprintf(buf + used, size - used, "%s", val);
    if (used + 1 >= size) return TB_ERR(TB_ERR_INTERNAL, "config text buffer too small");
  }
  return TB_OK;
}
