/* POST /v1/certificates/validate (tb_serve_quick_cert.h). After the registry's first load a check is one
 * array lookup and libtradebal's order check: O(1). */
#include "tb_serve_quick_cert.h"
#include "tb_serve_json.h"
#include "tb_serve_path.h"
#include "tb_serve_quick_cache.h"
#include "tb_serve_quick_load.h"
#include "tradebal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The exchange's reason codes (tb_cda.h, /orders/status of a match output) and their names (the SDK's). */
static const char *const REASONS[4] = {"valid", "quantity <= 0", "price < 0", "not enough certificates"};

typedef struct {
  int kind; /* 0 use, 1 order */
  int side; /* 0 buy, 1 sell */
  int64_t entity, region;
  double quantity, price, reserved;
} check;

static int kind_of(json_t *o, check *c, const char *where, tb_resp *r) {
  const char *k = tb_json_str(o, "kind", 1, where, r);
  if (!k) return -1;
  if (!strcmp(k, "use") || !strcmp(k, "order")) return c->kind = !strcmp(k, "order"), 0;
  return tb_resp_problem(r, 400, "bad-field", "%s%skind must be \"use\" or \"order\"", where, *where ? "." : ""), -1;
}

/* An order's side and limit price; a use has neither (its certificates leave the holder, as a sale's do). */
static int order_fields(json_t *o, check *c, const char *where, tb_resp *r) {
  const char *dot = *where ? "." : "";
  if (!c->kind) {
    if (json_object_get(o, "side") || json_object_get(o, "price"))
      return tb_resp_problem(r, 400, "bad-field", "%s%sside and price belong to an order, not a use", where, dot), -1;
    return c->side = 1, c->price = 0.0, 0;
  }
  const char *side = tb_json_str(o, "side", 1, where, r);
  if (!side) return -1;
  if (strcmp(side, "buy") && strcmp(side, "sell"))
    return tb_resp_problem(r, 400, "bad-field", "%s%sside must be \"buy\" or \"sell\"", where, dot), -1;
  c->side = !strcmp(side, "sell");
  return tb_json_num(o, "price", 1, 0.0, &c->price, where, r);
}

/* The first member of o named neither in `known` nor in `also` (either may be NULL), or NULL. */
static const char *stranger(json_t *o, const char *const *known, const char *const *also) {
  const char *key;
  json_t *v;
  json_object_foreach(o, key, v) {
    int ok = 0;
    for (const char *const *n = known; n && *n && !ok; n++) ok = !strcmp(*n, key);
    for (const char *const *n = also; n && *n && !ok; n++) ok = !strcmp(*n, key);
    if (!ok) return key;
  }
  return NULL;
}

static const char *const CHECK_KEYS[] = {"kind", "entity", "region", "quantity", "side", "price", "reserved", NULL};
static const char *const REQUEST_KEYS[] = {"holdings", "checks", NULL};

static int parse_check(json_t *o, check *c, const char *where, tb_resp *r) {
  const char *dot = *where ? "." : "", *odd;
  if (!json_is_object(o)) return tb_resp_problem(r, 400, "bad-field", "%s must be an object", where), -1;
  if ((odd = stranger(o, CHECK_KEYS, *where ? NULL : REQUEST_KEYS)))
    return tb_resp_problem(r, 400, "unknown-field", "%s%s%.64s is not a field of a check", where, dot, odd), -1;
  if (kind_of(o, c, where, r) || tb_json_int(o, "entity", 1, 0, &c->entity, where, r) ||
      tb_json_int(o, "region", 1, 0, &c->region, where, r) || tb_json_num(o, "quantity", 1, 0, &c->quantity, where, r) ||
      order_fields(o, c, where, r) || tb_json_num(o, "reserved", 0, 0.0, &c->reserved, where, r))
    return -1;
  if (!(c->reserved >= 0.0))
    return tb_resp_problem(r, 400, "bad-field", "%s%sreserved must be >= 0", where, dot), -1;
  return 0;
}

/* The holder's row and the region's column must exist in the registry (tradebal match's rules for an
 * order's entity and region). */
static int in_registry(const tb_q_holdings *h, const check *c, const char *where, const char *rel, tb_resp *r) {
  const char *dot = *where ? "." : "";
  if (c->entity < 0 || c->entity >= h->N)
    return tb_resp_problem(r, 422, "invalid-input", "%s%sentity: value %lld breaks rule: 0..N-1 with N = %lld (the rows "
                           "of %s: /market/holdings)", where, dot, (long long)c->entity, (long long)h->N, rel), -1;
  if (c->region < 0 || c->region >= h->R)
    return tb_resp_problem(r, 422, "invalid-input", "%s%sregion: value %lld breaks rule: 0..R-1 with R = %lld (the "
                           "columns of %s: /market/holdings)", where, dot, (long long)c->region, (long long)h->R, rel), -1;
  return 0;
}

/* The exchange's verdict on c: code, its name, the holding and what is available to sell or use. */
static json_t *verdict(const tb_q_holdings *h, const check *c) {
  const double held = h->hold[c->entity * h->R + c->region], available = held - c->reserved;
  const int code = tb_api_order_check(c->side, c->quantity, c->price, available);
  return json_pack("{s:b, s:i, s:s, s:f, s:f}", "valid", code == 0, "code", code, "reason",
                   REASONS[code >= 0 && code < 4 ? code : 0], "holding", held, "available", available);
}

static int one(const tb_q_holdings *h, json_t *body, const char *rel, json_t **out, tb_resp *r) {
  check c;
  if (parse_check(body, &c, "", r) || in_registry(h, &c, "", rel, r)) return -1;
  *out = verdict(h, &c);
  return 0;
}

static int many(tb_srv *S, const tb_q_holdings *h, json_t *body, const char *rel, json_t **out, tb_resp *r) {
  json_t *checks = json_object_get(body, "checks"), *v;
  size_t i;
  if (!json_is_array(checks)) return tb_resp_problem(r, 400, "bad-field", "checks must be an array of checks"), -1;
  if ((int64_t)json_array_size(checks) > S->cfg.max_batch)
    return tb_resp_problem(r, 413, "too-large", "%zu checks; the limit is %lld ([limits] max_batch)",
                           json_array_size(checks), (long long)S->cfg.max_batch), -1;
  const char *odd = stranger(body, REQUEST_KEYS, NULL);
  if (odd) return tb_resp_problem(r, 400, "unknown-field", "%.64s: with checks, each check holds its fields", odd), -1;
  *out = json_array();
  json_array_foreach(checks, i, v) {
    char where[32];
    check c;
    snprintf(where, sizeof where, "checks[%zu]", i);
    if (parse_check(v, &c, where, r) || in_registry(h, &c, where, rel, r)) return json_decref(*out), -1;
    if (json_array_append_new(*out, verdict(h, &c))) return json_decref(*out), -1;
  }
  return 0;
}

int tb_quick_certificates(tb_srv *S, json_t *body, tb_resp *r) {
  char abs[PATH_MAX];
  tb_qc_entry *e = NULL;
  json_t *res = NULL;
  const char *rel = tb_json_str(body, "holdings", 1, "", r);
  if (!rel || tb_path_resolve(S, rel, TB_PATH_EXISTING, "holdings", abs, sizeof abs, r) ||
      tb_qcache_get(S, TB_QC_HOLDINGS, abs, tb_qload_holdings, &e, r))
    return 0;
  const tb_q_holdings *h = tb_qcache_data(e);
  const char *name = tb_path_relative(S, abs);
  const int batch = json_object_get(body, "checks") != NULL;
  if (!(batch ? many(S, h, body, name, &res, r) : one(h, body, name, &res, r))) {
    json_t *j = batch ? json_pack("{s:s, s:o}", "registry", h->from_match ? "match" : "input", "results", res) : res;
    if (j && !batch) json_object_set_new(j, "registry", json_string(h->from_match ? "match" : "input"));
    if (j) tb_resp_json(r, 200, j);
    else tb_resp_problem(r, 503, "busy", "out of memory");
  }
  tb_qcache_put(S, e);
  return 0;
}
