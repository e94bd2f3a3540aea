#include "tb_config.h"

#include "tb_backend.h"
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
  const char *unit, *doc; /* for the reference (tradebal docs config) */
} tb_key;

#define OFF(f) offsetof(tb_config, f)
static const tb_key KEYS[] = {
    {"input", "file", K_PATH, OFF(input_file), NULL, 0, 0, "", "path",
     "input HDF5 file (MODEL.md section 1); required"},
    {"output", "file", K_PATH, OFF(output_file), NULL, 0, 0, "", "path",
     "output HDF5 file (section 11); required here or as -o"},
    {"output", "overwrite", K_BOOL, OFF(overwrite), NULL, 0, 1, "false", "",
     "replace an existing output (also --overwrite)"},
    {"model", "value_rule", K_ENUM, OFF(deal.value_rule), "expected|min_adjusted", 0, 0, "expected", "",
     "`expected` or `min_adjusted` (section 2)"},
    {"model", "other_factor", K_DOUBLE, OFF(deal.other_factor), NULL, -1e300, 1e300, "0.5", "value per unit",
     "translation factor f_e(4) of dimension 4, \"other\" (section 2)"},
    {"model", "margin_of_safety", K_DOUBLE, OFF(margin_of_safety), NULL, 0, 0.999999, "0.3", "fraction",
     "u^B = (1 - margin) u (section 4) and WAR_B = (1 - margin) WAR (section 8)"},
    {"split", "rule", K_ENUM, OFF(deal.split_rule), "nash|egalitarian|none", 0, 0, "nash", "",
     "surplus split: `nash`, `egalitarian` or `none` (section 3)"},
    {"split", "scope", K_ENUM, OFF(deal.split_scope), "repair|all", 0, 0, "repair", "",
     "`repair`: transfers for REPAIRABLE deals only; `all`: WIN_WIN deals too"},
    {"run", "batch_deals", K_INT, OFF(batch_deals), NULL, 1, 1e12, "1048576", "deals",
     "deals per rank per batch of the deal stage; bounds that stage's memory"},
    {"run", "device_memory_limit", K_DOUBLE, OFF(device_memory_limit), NULL, 0, 1e9, "0", "GB",
     "GPU memory per rank; 0: 90% of the device's free memory shared by the ranks using it"},
    {"run", "memory_limit", K_DOUBLE, OFF(memory_limit), NULL, 0, 1e9, "0", "GB",
     "host memory per rank the run may use (checked before allocating, exit 8); 0: 90% of the node's available memory (or its cgroup's) shared by its ranks"},
    {"run", "progress", K_ENUM, OFF(progress), "auto|always|never", 0, 0, "auto", "",
     "progress lines on stderr: `auto` (after a few seconds), `always` or `never`"},
    {"run", "spill", K_ENUM, OFF(spill), "auto|always|never", 0, 0, "auto", "",
     "keep the draw tables and the direct values in scratch files (run.scratch_dir) rather than in memory: `auto` when the memory plan is over run.memory_limit without it, `always`, `never`"},
    {"run", "scratch_dir", K_PATH, OFF(scratch_dir), NULL, 0, 0, "", "path",
     "node-local folder of the spill files (unlinked at once, so nothing is left behind); empty: $TMPDIR, else /tmp"},
    {"checkpoint", "dir", K_PATH, OFF(ckpt_dir), NULL, 0, 0, "", "path",
     "folder of the checkpoint files; empty: OUT.ckpt beside the output"},
    {"checkpoint", "every", K_DOUBLE, OFF(ckpt_every), NULL, 0, 1e9, "3600", "seconds",
     "time between checkpoints at safe points; 0: only when stopping"},
    {"checkpoint", "period_block", K_INT, OFF(ckpt_periods), NULL, 1, 1e9, "1", "periods",
     "periods of a policy's market between two safe points inside it"},
    {"checkpoint", "walltime", K_DOUBLE, OFF(walltime), NULL, 0, 1e9, "0", "seconds",
     "stop at a safe point with a checkpoint (exit 7) after this long (also --walltime); 0: no limit"},
    {"checkpoint", "resume", K_ENUM, OFF(resume), "never|auto", 0, 0, "never", "",
     "`auto`: continue from the newest valid checkpoint, if any (also --resume auto)"},
    {"backend", "kind", K_ENUM, OFF(backend_kind), "cpu|cuda|auto", 0, 0, "cpu", "",
     "`cpu`, `cuda` or `auto` (CUDA when a device is present, else CPU)"},
    {"backend", "threads", K_INT, OFF(threads), NULL, 0, 4096, "0", "threads",
     "OpenMP threads per rank; 0: OMP_NUM_THREADS or all cores"},
    {"funding", "budget", K_DOUBLE, OFF(budget), NULL, 0, INFINITY, "inf", "million USD",
     "budget B for development opportunities (section 4); `inf`: fund every undervalued one"},
    {"funding", "theta", K_DOUBLE, OFF(theta), NULL, -1e300, 1e300, "1.2", "ratio",
     "an opportunity is undervalued when u^B >= theta (section 4)"},
    {"market", "elasticity", K_DOUBLE, OFF(elasticity), NULL, 0, 1e300, "1.5", "",
     "epsilon of base import demand D_base(P) = base_imports (1 + P)^-epsilon (section 5)"},
    {"network", "alpha", K_DOUBLE, OFF(alpha), NULL, 0, 0.999999999, "0.3", "",
     "spillover weight alpha of x = b + alpha W~^T x (section 6), in [0, 1)"},
    {"network", "tol", K_DOUBLE, OFF(net_tol), NULL, 0, 1, "1e-10", "relative",
     "Jacobi stops when the relative L1 change <= tol (section 6)"},
    {"network", "max_iter", K_INT, OFF(net_max_iter), NULL, 1, 1e9, "1000", "iterations",
     "most Jacobi iterations; not converging is a warning, not an error"},
    {"io", "substitution", K_DOUBLE, OFF(substitution), NULL, 0, 1e300, "1", "fraction",
     "phi: share of imports that domestic output would replace (section 7)"},
    {"assessment", "w_gdp", K_DOUBLE, OFF(w_gdp), NULL, -1e300, 1e300, "1", "per million USD",
     "weight of GDP in the level Y (section 8)"},
    {"assessment", "w_jobs", K_DOUBLE, OFF(w_jobs), NULL, -1e300, 1e300, "0", "per job",
     "weight of Jobs in Y"},
    {"assessment", "w_balance", K_DOUBLE, OFF(w_balance), NULL, -1e300, 1e300, "1", "per million USD",
     "weight of the home trade balance in Y"},
    {"assessment", "w_surplus", K_DOUBLE, OFF(w_surplus), NULL, -1e300, 1e300, "1", "per million USD",
     "weight of the deal surplus in Y"},
    {"assessment", "draws", K_INT, OFF(draws), NULL, 0, 1e6, "0", "draws",
     "K Monte Carlo draws (section 8); 0: the deterministic runs only; 1 is refused (sigma_rep needs 2)"},
    {"assessment", "seed", K_INT, OFF(seed), NULL, 0, 9007199254740992.0, "20261124", "",
     "Philox key of the draws"},
    {"assessment", "sigma_p", K_DOUBLE, OFF(sigma_p), NULL, 0, 1e3, "0.2", "log-sd",
     "noise of component probabilities, p exp(sigma_p z) clipped to [0, 1]"},
    {"assessment", "sigma_r", K_DOUBLE, OFF(sigma_r), NULL, 0, 1e3, "0.02", "rate",
     "noise of discount rates, r + sigma_r z (kept > -0.99)"},
    {"assessment", "sigma_e", K_DOUBLE, OFF(sigma_e), NULL, 0, 1e3, "0.2", "log-sd",
     "noise of the elasticity, epsilon exp(sigma_e z)"},
    /* section 9; swept parameters follow in the same section as `section.key = lo:hi` or a list */
    {"sweep", "method", K_ENUM, OFF(sweep_method), "none|grid|oat|lhs|random", 0, 0, "none", "",
     "`none`, `grid` (every combination, last parameter fastest), `oat` (one at a time around the centre), `lhs` (Latin hypercube) or `random` (section 9)"},
    {"sweep", "samples", K_INT, OFF(sweep_samples), NULL, 1, 1e7, "16", "scenarios",
     "scenarios of `lhs` and `random`"},
    {"sweep", "points", K_INT, OFF(sweep_points), NULL, 2, TB_MAX_SWEEP_VALUES, "3", "points",
     "points of a range in `grid` and `oat`: lo + (hi - lo) l / (points - 1); `oat` needs an odd count"},
    {"sweep", "seed", K_INT, OFF(sweep_seed), NULL, 0, 9007199254740992.0, "1", "",
     "Philox key of `lhs` and `random`"},
    {"sweep", "shard", K_INT, OFF(sweep_shard), NULL, 0, 1e9, "0", "",
     "this run's shard, 0..shards-1 (merge the shard files with tradebal merge)"},
    {"sweep", "shards", K_INT, OFF(sweep_shards), NULL, 1, 1e9, "1", "",
     "shards the scenarios are split into"},
    {"sweep", "groups", K_INT, OFF(sweep_groups), NULL, 0, 1e6, "0", "groups",
     "scenario groups the ranks form (each group runs whole scenarios); 0: one group per rank up to the scenario count"},
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

/* The keys of a [policy.NAME] section: defaults, units and meaning in one place. */
static const struct {
  const char *key, *def, *unit, *doc;
} POLICY_KEYS[] = {
    {"kind", "none", "", "`none`, `tariff` or `certificates` (section 5)"},
    {"regions", "home", "", "`home` (the /io region attribute), `all`, or a list of region ids"},
    {"rate", "0.1", "fraction", "tariff: ad valorem rate tau; deals with bid b_d > tau trade and pay tau m_d"},
    {"ratio", "1", "certificates per USD", "certificates: q, issued per unit of the region's exports"},
    {"expiry", "1", "periods", "certificates: E, periods a certificate stays valid (whole number >= 1)"},
    {"floor", "0", "premium per unit", "certificates: floor price P_min of the call auction"},
};
#define NPOLICY_KEYS ((int)(sizeof POLICY_KEYS / sizeof POLICY_KEYS[0]))

static int policy_assign(tb_policy *p, const char *key, const char *v, const char *where);

static void policy_defaults(tb_policy *p, const char *name) {
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  for (int i = 0; i < NPOLICY_KEYS; i++) policy_assign(p, POLICY_KEYS[i].key, POLICY_KEYS[i].def, "default");
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

static int policy_assign(tb_policy *p, const char *key, const char *v, const char *where) {
  const char *name = p->name;
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
    *(!strcmp(key, "rate") ? &p->rate : !strcmp(key, "ratio") ? &p->issue_ratio : &p->floor_price) = x;
  } else {
    return TB_ERR(TB_ERR_USAGE, "%s: unknown key [policy.%s] %s (kind, regions, rate, ratio, expiry, floor)", where, name, key);
  }
  return TB_OK;
}

static int policy_set(tb_config *c, const char *name, const char *key, const char *v, const char *where) {
  tb_policy *p = NULL;
  TB_CALL(policy_find(c, name, where, &p));
  return policy_assign(p, key, v, where);
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
  fmt_double(ratio, sizeof ratio, p->issue_ratio);
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

/* Markdown reference of every key, from KEYS and POLICY_KEYS (docs/config.md is this text). */
static void doc_key(FILE *out, const char *name, const char *def, const char *unit, const char *doc) {
  fprintf(out, "| `%s` | %s%s%s | %s | %s |\n", name, def[0] ? "`" : "(none)", def, def[0] ? "`" : "",
          unit[0] ? unit : "-", doc);
}

void tb_config_doc(FILE *out) {
  const char *last = "";
  fprintf(out, "# Configuration reference\n\n"
               "Generated by `tradebal docs config` from the option table in `host/config/tb_config.c`; the test\n"
               "`docs_current` fails when this file and the code differ.\n\n"
               "INI files (read with inih). Unknown sections or keys are errors. `--set section.key=value`\n"
               "overrides a key after the file is read. Relative paths in a file are relative to the file's\n"
               "folder; relative paths given with `--set` or `-o` are relative to the working directory.\n"
               "Money is in millions of USD, as in the model. The resolved configuration is printed and stored\n"
               "in the output (root attribute `config`).\n");
  for (int i = 0; i < NKEYS; i++) {
    const tb_key *k = &KEYS[i];
    if (strcmp(last, k->section))
      fprintf(out, "\n## [%s]\n\n| key | default | unit | meaning |\n|---|---|---|---|\n", k->section);
    char name[160], range[128] = "";
    snprintf(name, sizeof name, "%s.%s", k->section, k->key);
    if (k->kind == K_INT || k->kind == K_DOUBLE) {
      if (k->lo > -1e299 && k->hi < 1e299) snprintf(range, sizeof range, "; range [%g, %g]", k->lo, k->hi);
      else if (k->lo > -1e299) snprintf(range, sizeof range, "; at least %g", k->lo);
      if (k->kind == K_INT) snprintf(range + strlen(range), sizeof range - strlen(range), "; integer");
    } else if (k->kind == K_ENUM) {
      snprintf(range, sizeof range, "; one of %s", k->choices);
      for (char *c = range; *c; c++)
        if (*c == '|') *c = '/';
    }
    char doc[1024];
    snprintf(doc, sizeof doc, "%s%s", k->doc, range);
    doc_key(out, name, k->def, k->unit, doc);
    last = k->section;
  }
  fprintf(out, "\nSwept parameters: every other key of `[sweep]` names a numeric key outside `[run]`, `[backend]`,\n"
               "`[checkpoint]` and `[sweep]` (policy keys included) with a range `lo:hi` or a list `v1, v2, ...`,\n"
               "e.g. `market.elasticity = 0.5:3` or `policy.tariff10.rate = 0.05, 0.1, 0.2`.\n"
               "\n## [policy.NAME]\n\nOne section per trade policy; NAME is 1-63 letters, digits, `_` or `-`. The "
               "baseline `none`\n(kind none) always exists and runs first; at most %d policies.\n\n"
               "| key | default | unit | meaning |\n|---|---|---|---|\n", TB_MAX_POLICIES);
  for (int i = 0; i < NPOLICY_KEYS; i++)
    doc_key(out, POLICY_KEYS[i].key, POLICY_KEYS[i].def, POLICY_KEYS[i].unit, POLICY_KEYS[i].doc);
}
