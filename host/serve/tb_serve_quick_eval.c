/* POST /v1/deals/evaluate (tb_serve_quick_eval.h): the request's forms into libtradebal's arrays, the
 * rules of section 1, tb_api_evaluate, and the answer in the form the deals came in. */
#include "tb_serve_quick_eval.h"
#include "tb_serve_json.h"
#include "tb_serve_path.h"
#include "tb_serve_quick_cache.h"
#include "tb_serve_quick_load.h"
#include "tb_serve_quick_num.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { FORM_ONE, FORM_LIST, FORM_COLUMNS, FORM_FILE };
static const char *const STATUS_NAMES[3] = {"WIN_WIN", "REPAIRABLE", "NOT_WIN_WIN"};
static const char *const VALUE_RULES[] = {"expected", "min_adjusted", NULL};
static const char *const SPLIT_RULES[] = {"nash", "egalitarian", "none", NULL};
static const char *const SCOPES[] = {"repair", "all", NULL};

typedef struct {
  tb_api_params par;
  int form;
  json_t *nested;           /* FORM_ONE: the deal; FORM_LIST: the list */
  tb_qc_entry *ent_entry;   /* entities from a file, held */
  tb_qc_entry *deal_entry;  /* FORM_FILE: the file's deals, held */
  tb_q_entities *ent_own;   /* inline entities */
  tb_q_deals *deals;        /* the batch evaluated (owned) */
  const tb_api_entities *E;
  double *charge;           /* [M] or NULL */
} eval_req;

static void req_free(tb_srv *S, eval_req *q) {
  tb_qcache_put(S, q->ent_entry);
  tb_qcache_put(S, q->deal_entry);
  tb_q_entities_free(q->ent_own);
  tb_q_deals_free(q->deals);
  free(q->charge);
}

/* ---- params: [model] value_rule, other_factor and [split] rule, scope of docs/config.md ---- */

static int choice(json_t *o, const char *key, const char *const *names, int *out, const char *where, tb_resp *r) {
  json_t *v = json_object_get(o, key);
  if (!v) return 0;
  const char *s = json_string_value(v);
  for (int i = 0; s && names[i]; i++)
    if (!strcmp(s, names[i])) return *out = i, 0;
  char list[128] = "";
  for (int i = 0; names[i]; i++) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "/" : "", names[i]);
  return tb_resp_problem(r, 400, "bad-field", "%s.%s must be one of %s", where, key, list), -1;
}

static int section(json_t *body, const char *name, const char *const *known, json_t **o, tb_resp *r) {
  *o = json_object_get(body, name);
  if (!*o) return 0;
  if (!json_is_object(*o)) return tb_resp_problem(r, 400, "bad-field", "%s must be an object", name), -1;
  return tb_qn_known(*o, known, name, r);
}

static int parse_params(json_t *body, tb_api_params *p, tb_resp *r) {
  static const char *const model_keys[] = {"value_rule", "other_factor", NULL}, *const split_keys[] = {"rule", "scope", NULL};
  json_t *model, *split;
  *p = tb_api_params_default();
  if (section(body, "model", model_keys, &model, r) || section(body, "split", split_keys, &split, r)) return -1;
  if (model && (choice(model, "value_rule", VALUE_RULES, &p->value_rule, "model", r) ||
                tb_json_num(model, "other_factor", 0, 0.5, &p->other_factor, "model", r)))
    return -1;
  if (split && (choice(split, "rule", SPLIT_RULES, &p->split_rule, "split", r) ||
                choice(split, "scope", SCOPES, &p->split_scope, "split", r)))
    return -1;
  return 0;
}

/* ---- inline entities ---- */

/* Numbers of a (nested arrays flattened in order) into out[0..cap); *n how many there were. */
static int flatten(const json_t *a, double *out, int64_t cap, int64_t *n, int depth) {
  if (!json_is_array(a)) {
    double x;
    if (tb_qn_value(a, &x)) return -1;
    if (*n < cap) out[*n] = x;
    return ++*n, 0;
  }
  if (depth > 3) return -1;
  size_t i;
  const json_t *v;
  json_array_foreach(a, i, v) if (flatten(v, out, cap, n, depth + 1)) return -1;
  return 0;
}

static int oom(tb_resp *r) {
  r->retry_after = 1;
  return tb_resp_problem(r, 503, "busy", "out of memory for this request; retry later"), -1;
}

/* entities.KEY into out: `count` numbers, nested rows or flat (the file's [N,4] reads either way); a wrong
 * count is a shape error named as the file's dataset would be. */
static int entity_floats(json_t *o, const char *key, const char *dataset, int64_t count, const char *rule,
                         double *out, tb_resp *r) {
  json_t *a = json_object_get(o, key);
  int64_t n = 0;
  if (!json_is_array(a) || flatten(a, out, count, &n, 1))
    return tb_resp_problem(r, 400, a ? "bad-field" : "missing-field", "entities.%s %s", key,
                           a ? "must be an array of numbers (or \"Infinity\", \"-Infinity\", \"NaN\")" : "is required"), -1;
  if (n != count)
    return tb_resp_problem(r, 422, "invalid-input", "%s: %lld values (rule: %s = %lld)", dataset, (long long)n, rule,
                           (long long)count), -1;
  return 0;
}

static int entity_rows(json_t *o, tb_q_entities *e, int64_t n, tb_resp *r) {
  const char *key[4] = {"discount_rate", "risk_aversion", "pay_cap", "bargaining_weight"};
  const char *set[4] = {"/entities/discount_rate", "/entities/risk_aversion", "/entities/pay_cap", "/entities/bargaining_weight"};
  double *out[4] = {e->discount_rate, e->risk_aversion, e->pay_cap, e->bargaining_weight};
  if (entity_floats(o, "weights", "/entities/weights", 4 * n, "N x 4, N set by /entities/type", e->weights, r))
    return -1;
  for (int i = 0; i < 4; i++)
    if (out[i] && entity_floats(o, key[i], set[i], n, "N, set by /entities/type", out[i], r)) return -1;
  if (e->translation && entity_floats(o, "translation", "/model/translation", 64, "4 x 4 x 4", e->translation, r))
    return -1;
  return 0;
}

static int parse_entities(json_t *o, eval_req *q, tb_resp *r) {
  static const char *const keys[] = {"type", "weights", "discount_rate", "risk_aversion", "pay_cap",
                                     "bargaining_weight", "translation", NULL};
  int64_t n;
  if (!json_is_object(o)) return tb_resp_problem(r, 400, "bad-field", "entities must be an object"), -1;
  if (tb_qn_known(o, keys, "entities", r)) return -1;
  json_t *type = tb_json_array(o, "type", 1, "entities", &n, r);
  if (!type) return -1;
  if (n < 1) return tb_resp_problem(r, 422, "invalid-input", "/entities/type: dimension 0 is 0 (rule: N >= 1)"), -1;
  q->ent_own = tb_q_entities_new(n, json_object_get(o, "bargaining_weight") != NULL,
                                 json_object_get(o, "translation") != NULL);
  int64_t *t = malloc(sizeof *t * (size_t)n);
  if (!q->ent_own || !t) return free(t), oom(r);
  int rc = tb_qn_i64s(type, n, t, "entities.type", r);
  for (int64_t i = 0; !rc && i < n; i++) q->ent_own->type[i] = tb_qn_u8(t[i]);
  free(t);
  if (rc || entity_rows(o, q->ent_own, n, r)) return -1;
  q->E = &q->ent_own->E;
  return 0;
}

/* ---- the columnar batch: the input file's /deals arrays by their dataset names ---- */

enum { C_PARTY_PTR, C_PARTY_ENTITY, C_IMPORTER, C_TRADE_VALUE, C_COMP_PTR, C_COMP_DIM, C_COMP_PROB, C_FLOW_PTR,
       C_FLOW_PERIOD, C_FLOW_AMOUNT, C_N };
static const char *const COLUMNS[C_N + 1] = {"party_ptr", "party_entity", "importer", "trade_value", "comp_ptr",
                                             "comp_dim", "comp_prob", "flow_ptr", "flow_period", "flow_amount", NULL};

/* Every column's length against the sizes the CSR pointers set, as the validator words a file's shapes. */
static int column_shapes(const int64_t *len, tb_resp *r) {
  const int64_t M = len[C_PARTY_PTR] - 1, P = len[C_PARTY_ENTITY], C = len[C_COMP_DIM], F = len[C_FLOW_AMOUNT];
  const struct {
    int col;
    int64_t want;
    const char *rule, *by;
  } rows[] = {{C_IMPORTER, M, "M", "party_ptr"}, {C_TRADE_VALUE, M, "M", "party_ptr"},
              {C_COMP_PTR, P + 1, "P+1", "party_entity"}, {C_COMP_PROB, C, "C", "comp_dim"},
              {C_FLOW_PTR, C + 1, "C+1", "comp_dim"}, {C_FLOW_PERIOD, F, "F", "flow_amount"}};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    if (len[rows[i].col] != rows[i].want)
      return tb_resp_problem(r, 422, "invalid-input", "/deals/%s: dimension 0 is %lld (rule: %s = %lld, set by "
                             "/deals/%s)", COLUMNS[rows[i].col], (long long)len[rows[i].col], rows[i].rule,
                             (long long)rows[i].want, rows[i].by), -1;
  return 0;
}

/* An integer column into a narrower type through int64 (narrowed as the run narrows a file's integers). */
static int narrow_column(json_t *a, int64_t n, int32_t *i32, uint8_t *u8, const char *where, tb_resp *r) {
  int64_t *t = malloc(sizeof *t * (size_t)(n ? n : 1));
  if (!t) return oom(r);
  int rc = tb_qn_i64s(a, n, t, where, r);
  for (int64_t i = 0; !rc && i < n; i++)
    if (i32) i32[i] = tb_qn_i32(t[i]);
    else u8[i] = tb_qn_u8(t[i]);
  free(t);
  return rc;
}

static int column_values(json_t **a, tb_q_deals *q, tb_resp *r) {
  const tb_api_deals *D = &q->D;
  if (tb_qn_i64s(a[C_PARTY_PTR], D->n_deals + 1, q->party_ptr, "deals.party_ptr", r) ||
      tb_qn_i64s(a[C_PARTY_ENTITY], D->n_parties, q->party_entity, "deals.party_entity", r) ||
      narrow_column(a[C_IMPORTER], D->n_deals, q->importer, NULL, "deals.importer", r) ||
      tb_qn_f64s(a[C_TRADE_VALUE], D->n_deals, q->trade_value, "deals.trade_value", r) ||
      tb_qn_i64s(a[C_COMP_PTR], D->n_parties + 1, q->comp_ptr, "deals.comp_ptr", r) ||
      narrow_column(a[C_COMP_DIM], D->n_components, NULL, q->comp_dim, "deals.comp_dim", r) ||
      tb_qn_f64s(a[C_COMP_PROB], D->n_components, q->comp_prob, "deals.comp_prob", r) ||
      tb_qn_i64s(a[C_FLOW_PTR], D->n_components + 1, q->flow_ptr, "deals.flow_ptr", r) ||
      narrow_column(a[C_FLOW_PERIOD], D->n_flows, q->flow_period, NULL, "deals.flow_period", r) ||
      tb_qn_f64s(a[C_FLOW_AMOUNT], D->n_flows, q->flow_amount, "deals.flow_amount", r))
    return -1;
  return 0;
}

static int parse_columns(tb_srv *S, json_t *o, eval_req *q, tb_resp *r) {
  json_t *a[C_N];
  int64_t len[C_N];
  if (tb_qn_known(o, COLUMNS, "deals", r)) return -1;
  for (int i = 0; i < C_N; i++)
    if (!(a[i] = tb_json_array(o, COLUMNS[i], 1, "deals", &len[i], r))) return -1;
  if (len[C_PARTY_PTR] < 1)
    return tb_resp_problem(r, 422, "invalid-input", "/deals/party_ptr: dimension 0 is 0 (rule: M+1 >= 1)"), -1;
  if (len[C_PARTY_PTR] - 1 > S->cfg.max_batch)
    return tb_resp_problem(r, 413, "too-large", "a batch of %lld deals; the limit is %lld ([limits] max_batch)",
                           (long long)(len[C_PARTY_PTR] - 1), (long long)S->cfg.max_batch), -1;
  if (column_shapes(len, r)) return -1;
  q->deals = tb_q_deals_new(len[C_PARTY_PTR] - 1, len[C_PARTY_ENTITY], len[C_COMP_DIM], len[C_FLOW_AMOUNT]);
  if (!q->deals) return oom(r);
  return column_values(a, q->deals, r);
}

/* ---- nested deals: {importer, trade_value, parties: [{entity, components: [{dim, prob, flows:
 * [{period, amount}]}]}]}, flattened in order into the CSR layout ---- */

typedef struct {
  int list;           /* 1: deals[d], 0: deal */
  int64_t i[4];       /* deal, party, component, flow */
  int level;          /* how many of i name the place */
} place;

static const char *place_str(const place *L, char *buf, size_t n) {
  static const char *const part[4] = {"", ".parties[%lld]", ".components[%lld]", ".flows[%lld]"};
  size_t k = L->list ? (size_t)snprintf(buf, n, "deals[%lld]", (long long)L->i[0]) : (size_t)snprintf(buf, n, "deal");
  for (int l = 1; l <= L->level && k < n; l++) k += (size_t)snprintf(buf + k, n - k, part[l], (long long)L->i[l]);
  return buf;
}

/* Member `key` of o: an integer (kind 'i'), a number ('n') or an optional array ('a', *len 0 when absent);
 * an object o itself, with no member outside `known`. */
static int member(json_t *o, const char *key, int kind, const place *L, tb_resp *r) {
  char where[160];
  json_t *v = json_object_get(o, key);
  double x;
  if (kind == 'i' ? json_is_integer(v) : kind == 'n' ? !tb_qn_value(v, &x) : (!v || json_is_array(v))) return 0;
  return tb_resp_problem(r, 400, v ? "bad-field" : "missing-field", "%s.%s %s", place_str(L, where, sizeof where),
                         key, !v ? "is required" : kind == 'i' ? "must be an integer" : kind == 'n' ?
                         "must be a number" : "must be an array"), -1;
}

static int object_of(json_t *o, const char *const *known, const place *L, tb_resp *r) {
  char where[160];
  if (!json_is_object(o))
    return tb_resp_problem(r, 400, "bad-field", "%s must be an object", place_str(L, where, sizeof where)), -1;
  return tb_qn_known(o, known, place_str(L, where, sizeof where), r);
}

/* One component: its fields, and its flows counted into *F. */
static int check_component(json_t *c, place *L, int64_t *F, tb_resp *r) {
  static const char *const keys[] = {"dim", "prob", "flows", NULL}, *const fkeys[] = {"period", "amount", NULL};
  if (object_of(c, keys, L, r) || member(c, "dim", 'i', L, r) || member(c, "prob", 'n', L, r) ||
      member(c, "flows", 'a', L, r))
    return -1;
  L->level = 3;
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(c, "flows"), i, f) {
    L->i[3] = (int64_t)i;
    if (object_of(f, fkeys, L, r) || member(f, "period", 'i', L, r) || member(f, "amount", 'n', L, r)) return -1;
  }
  *F += (int64_t)i;
  return 0;
}

/* One deal's fields, its parties, components and flows counted into P, C, F. */
static int check_deal(json_t *d, place *L, int64_t *P, int64_t *C, int64_t *F, tb_resp *r) {
  static const char *const keys[] = {"importer", "trade_value", "parties", NULL}, *const pkeys[] = {"entity", "components", NULL};
  L->level = 0;
  if (object_of(d, keys, L, r) || member(d, "importer", 'i', L, r) || member(d, "trade_value", 'n', L, r))
    return -1;
  json_t *parties = json_object_get(d, "parties");
  if (!json_is_array(parties)) {
    char w[160];
    return tb_resp_problem(r, 400, parties ? "bad-field" : "missing-field", "%s.parties %s",
                           place_str(L, w, sizeof w), parties ? "must be an array" : "is required"), -1;
  }
  size_t p, c;
  json_t *party, *comp;
  json_array_foreach(parties, p, party) {
    L->level = 1, L->i[1] = (int64_t)p;
    if (object_of(party, pkeys, L, r) || member(party, "entity", 'i', L, r) || member(party, "components", 'a', L, r))
      return -1;
    json_array_foreach(json_object_get(party, "components"), c, comp) {
      L->level = 2, L->i[2] = (int64_t)c;
      if (check_component(comp, L, F, r)) return -1;
    }
    *C += (int64_t)c;
  }
  *P += (int64_t)p;
  return 0;
}

/* Deal m of the batch from its checked JSON; p, c, f: the next party, component and flow. */
static void fill_deal(json_t *d, tb_q_deals *q, int64_t m, int64_t *p, int64_t *c, int64_t *f) {
  double x;
  q->importer[m] = tb_qn_i32((int64_t)json_integer_value(json_object_get(d, "importer")));
  tb_qn_value(json_object_get(d, "trade_value"), &x), q->trade_value[m] = x;
  size_t i, j, k;
  json_t *party, *comp, *flow;
  json_array_foreach(json_object_get(d, "parties"), i, party) {
    q->party_entity[*p] = (int64_t)json_integer_value(json_object_get(party, "entity"));
    json_array_foreach(json_object_get(party, "components"), j, comp) {
      q->comp_dim[*c] = tb_qn_u8((int64_t)json_integer_value(json_object_get(comp, "dim")));
      tb_qn_value(json_object_get(comp, "prob"), &x), q->comp_prob[*c] = x;
      json_array_foreach(json_object_get(comp, "flows"), k, flow) {
        q->flow_period[*f] = tb_qn_i32((int64_t)json_integer_value(json_object_get(flow, "period")));
        tb_qn_value(json_object_get(flow, "amount"), &x), q->flow_amount[(*f)++] = x;
      }
      q->flow_ptr[++*c] = *f;
    }
    q->comp_ptr[++*p] = *c;
  }
  q->party_ptr[m + 1] = *p;
}

static int parse_nested(tb_srv *S, json_t *deals, int list, eval_req *q, tb_resp *r) {
  const int64_t M = list ? (int64_t)json_array_size(deals) : 1;
  int64_t P = 0, C = 0, F = 0, p = 0, c = 0, f = 0;
  if (M > S->cfg.max_batch)
    return tb_resp_problem(r, 413, "too-large", "a batch of %lld deals; the limit is %lld ([limits] max_batch)",
                           (long long)M, (long long)S->cfg.max_batch), -1;
  for (int64_t m = 0; m < M; m++) {
    place L = {list, {m, 0, 0, 0}, 0};
    if (check_deal(list ? json_array_get(deals, (size_t)m) : deals, &L, &P, &C, &F, r)) return -1;
  }
  if (!(q->deals = tb_q_deals_new(M, P, C, F))) return oom(r);
  q->deals->party_ptr[0] = q->deals->comp_ptr[0] = q->deals->flow_ptr[0] = 0;
  for (int64_t m = 0; m < M; m++) fill_deal(list ? json_array_get(deals, (size_t)m) : deals, q->deals, m, &p, &c, &f);
  return 0;
}

/* ---- deals of an input file by index ---- */

/* deal_indices: a list of deal indices, or {"start": a, "stop": b} for a..b-1; each below M. */
static int parse_indices(tb_srv *S, json_t *v, int64_t M, int64_t **idx, int64_t *n, tb_resp *r) {
  int64_t a = 0, b = 0;
  if (json_is_object(v)) {
    static const char *const keys[] = {"start", "stop", NULL};
    if (tb_qn_known(v, keys, "deal_indices", r) || tb_json_int(v, "start", 0, 0, &a, "deal_indices", r) ||
        tb_json_int(v, "stop", 0, M, &b, "deal_indices", r))
      return -1;
    if (a < 0 || b > M || a > b)
      return tb_resp_problem(r, 400, "bad-field", "deal_indices: start %lld, stop %lld: need 0 <= start <= stop <= "
                             "%lld (the input's deals)", (long long)a, (long long)b, (long long)M), -1;
    *n = b - a;
  } else if (json_is_array(v)) {
    *n = (int64_t)json_array_size(v);
  } else {
    return tb_resp_problem(r, 400, "bad-field", "deal_indices must be an array of deal indices or {\"start\", \"stop\"}"), -1;
  }
  if (*n > S->cfg.max_batch)
    return tb_resp_problem(r, 413, "too-large", "a batch of %lld deals; the limit is %lld ([limits] max_batch)",
                           (long long)*n, (long long)S->cfg.max_batch), -1;
  if (!(*idx = malloc(sizeof **idx * (size_t)(*n ? *n : 1)))) return oom(r);
  if (json_is_object(v)) {
    for (int64_t i = 0; i < *n; i++) (*idx)[i] = a + i;
    return 0;
  }
  if (tb_qn_i64s(v, *n, *idx, "deal_indices", r)) return -1;
  for (int64_t i = 0; i < *n; i++)
    if ((*idx)[i] < 0 || (*idx)[i] >= M)
      return tb_resp_problem(r, 400, "bad-field", "deal_indices[%lld] = %lld: the input has deals 0..%lld", (long long)i,
                             (long long)(*idx)[i], (long long)(M - 1)), -1;
  return 0;
}

/* The selected deals of D as a batch of their own (pointers rebased). */
static tb_q_deals *gather(const tb_api_deals *D, const int64_t *idx, int64_t n) {
  const int64_t *pp = D->party_ptr, *cp = D->comp_ptr, *fp = D->flow_ptr;
  int64_t P = 0, C = 0, F = 0;
  for (int64_t i = 0; i < n; i++) {
    const int64_t d = idx[i];
    P += pp[d + 1] - pp[d], C += cp[pp[d + 1]] - cp[pp[d]], F += fp[cp[pp[d + 1]]] - fp[cp[pp[d]]];
  }
  tb_q_deals *q = tb_q_deals_new(n, P, C, F);
  if (!q) return NULL;
  int64_t p = 0, c = 0, f = 0;
  q->party_ptr[0] = q->comp_ptr[0] = q->flow_ptr[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    const int64_t d = idx[i];
    q->importer[i] = D->importer[d], q->trade_value[i] = D->trade_value[d];
    for (int64_t a = pp[d]; a < pp[d + 1]; a++, p++) {
      q->party_entity[p] = D->party_entity[a];
      for (int64_t b = cp[a]; b < cp[a + 1]; b++, c++) {
        q->comp_dim[c] = D->comp_dim[b], q->comp_prob[c] = D->comp_prob[b];
        for (int64_t e = fp[b]; e < fp[b + 1]; e++, f++)
          q->flow_period[f] = D->flow_period[e], q->flow_amount[f] = D->flow_amount[e];
        q->flow_ptr[c + 1] = f;
      }
      q->comp_ptr[p + 1] = c;
    }
    q->party_ptr[i + 1] = p;
  }
  return q;
}

static int parse_file_deals(tb_srv *S, const char *abs, json_t *v, eval_req *q, tb_resp *r) {
  int64_t *idx = NULL, n = 0;
  if (tb_qcache_get(S, TB_QC_DEALS, abs, tb_qload_deals, &q->deal_entry, r)) return -1;
  const tb_q_deals *all = tb_qcache_data(q->deal_entry);
  int rc = parse_indices(S, v, all->D.n_deals, &idx, &n, r);
  if (!rc && !(q->deals = gather(&all->D, idx, n))) rc = oom(r);
  free(idx);
  return rc;
}

/* ---- charge: the import cost P m_d each deal's importer pays; null (or "NaN"): the deal does not trade ---- */

static int charge_value(const json_t *v, double *x) {
  if (json_is_null(v)) return *x = NAN, 0;
  return tb_qn_value(v, x);
}

static int parse_charge(json_t *body, eval_req *q, tb_resp *r) {
  json_t *v = json_object_get(body, "charge");
  const int64_t M = q->deals->D.n_deals;
  if (!v) return 0;
  if (!(q->charge = malloc(sizeof(double) * (size_t)(M ? M : 1)))) return oom(r);
  if (q->form == FORM_ONE) {
    if (charge_value(v, &q->charge[0]))
      return tb_resp_problem(r, 400, "bad-field", "charge must be a number or null (the deal does not trade)"), -1;
    return 0;
  }
  if (!json_is_array(v) || (int64_t)json_array_size(v) != M)
    return tb_resp_problem(r, 400, "bad-field", "charge must be an array of %lld numbers or nulls, one per deal",
                           (long long)M), -1;
  for (int64_t i = 0; i < M; i++)
    if (charge_value(json_array_get(v, (size_t)i), &q->charge[i]))
      return tb_resp_problem(r, 400, "bad-field", "charge[%lld] must be a number or null", (long long)i), -1;
  return 0;
}

/* ---- the rules, then the evaluation ---- */

/* Section 1's rules: inline entities with the deals (tb_api_check); entities of a file passed theirs when
 * loaded, so only the deals (a file's deals too were checked at load). */
static int check(tb_srv *S, const eval_req *q, tb_resp *r) {
  tb_api_error err;
  int rc = 0;
  if (q->ent_own) rc = tb_api_check(q->E, &q->deals->D, &err);
  else if (q->form != FORM_FILE) rc = tb_api_check_deals(q->E->n, &q->deals->D, &err);
  return rc ? tb_q_problem(S, err.code, err.message, r) : 0;
}

static int by_value(const void *a, const void *b) {
  const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* The entities the deals name, alone, and the deals' parties renumbered into them: libtradebal builds a row
 * for every entity it is given, so one deal against a national table would otherwise cost a pass over all
 * of it. Each party's row is built from the same numbers, so the answer is bitwise the same. */
static int compact(const tb_api_entities *E, const tb_api_deals *D, tb_q_entities **sub, int64_t **ent) {
  int64_t *u = malloc(sizeof *u * (size_t)(D->n_parties ? D->n_parties : 1)), k = 0;
  *ent = malloc(sizeof **ent * (size_t)(D->n_parties ? D->n_parties : 1));
  if (!u || !*ent) return free(u), -1;
  memcpy(u, D->party_entity, sizeof *u * (size_t)D->n_parties);
  qsort(u, (size_t)D->n_parties, sizeof *u, by_value);
  for (int64_t i = 0; i < D->n_parties; i++)
    if (!k || u[i] != u[k - 1]) u[k++] = u[i];
  if (!(*sub = tb_q_entities_new(k, E->bargaining_weight != NULL, 0))) return free(u), -1;
  tb_q_entities *s = *sub;
  for (int64_t j = 0; j < k; j++) {
    const int64_t e = u[j];
    s->type[j] = E->type[e], s->discount_rate[j] = E->discount_rate[e], s->risk_aversion[j] = E->risk_aversion[e];
    s->pay_cap[j] = E->pay_cap[e];
    memcpy(s->weights + 4 * j, E->weights + 4 * e, 4 * sizeof(double));
    if (E->bargaining_weight) s->bargaining_weight[j] = E->bargaining_weight[e];
  }
  s->E.translation = E->translation;
  for (int64_t i = 0; i < D->n_parties; i++)
    (*ent)[i] = (int64_t *)bsearch(&D->party_entity[i], u, (size_t)k, sizeof *u, by_value) - u;
  free(u);
  return 0;
}

typedef struct {
  double *value, *transfer, *final_value, *surplus, *bid;
  uint8_t *status;
} results;

static void results_free(results *o) {
  free(o->value), free(o->transfer), free(o->final_value), free(o->surplus), free(o->bid), free(o->status);
}

static int evaluate(tb_srv *S, eval_req *q, results *o, tb_resp *r) {
  const tb_api_deals *D = &q->deals->D;
  const size_t M = (size_t)(D->n_deals ? D->n_deals : 1), P = (size_t)(D->n_parties ? D->n_parties : 1);
  o->value = malloc(P * 8), o->transfer = malloc(P * 8), o->final_value = malloc(P * 8);
  o->surplus = malloc(M * 8), o->bid = malloc(M * 8), o->status = malloc(M);
  if (!o->value || !o->transfer || !o->final_value || !o->surplus || !o->bid || !o->status) return oom(r);
  tb_api_deals view = *D;
  tb_q_entities *sub = NULL;
  int64_t *ent = NULL;
  const tb_api_entities *E = q->E;
  if (D->n_parties * 4 < q->E->n) {
    if (compact(q->E, D, &sub, &ent)) return free(ent), oom(r);
    view.party_entity = ent, E = &sub->E;
  }
  /* A worker is one of several: one thread per batch, unless the batch is large enough to pay for a team */
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  q->par.threads = D->n_deals >= 16384 && cpus > 1 ? (int)cpus : 1;
  tb_api_results res = {o->value, o->transfer, o->final_value, o->status, o->surplus, o->bid};
  tb_api_error err;
  const int rc = tb_api_evaluate(&q->par, E, &view, q->charge, &res, &err);
  tb_q_entities_free(sub);
  free(ent);
  return rc ? tb_q_problem(S, err.code, err.message, r) : 0;
}

/* ---- the answer, in the form the deals came in ---- */

static json_t *params_json(const tb_api_params *p) {
  return json_pack("{s:{s:s, s:f}, s:{s:s, s:s}}", "model", "value_rule", VALUE_RULES[p->value_rule],
                   "other_factor", p->other_factor, "split", "rule", SPLIT_RULES[p->split_rule], "scope",
                   SCOPES[p->split_scope]);
}

static const char *status_name(uint8_t s) { return s < 3 ? STATUS_NAMES[s] : "UNKNOWN"; }

/* Deal m as nested JSON: status, its name, surplus, bid, and each party's entity, value, transfer and final
 * value. */
static json_t *deal_json(const tb_api_deals *D, const results *o, int64_t m) {
  json_t *parties = json_array();
  for (int64_t p = D->party_ptr[m]; parties && p < D->party_ptr[m + 1]; p++)
    if (json_array_append_new(parties, json_pack("{s:I, s:o, s:o, s:o}", "entity", (json_int_t)D->party_entity[p],
                                                 "value", tb_qn_real(o->value[p]), "transfer",
                                                 tb_qn_real(o->transfer[p]), "final_value",
                                                 tb_qn_real(o->final_value[p]))))
      json_decref(parties), parties = NULL;
  if (!parties) return NULL;
  return json_pack("{s:i, s:s, s:o, s:o, s:o}", "status", (int)o->status[m], "status_name",
                   status_name(o->status[m]), "surplus", tb_qn_real(o->surplus[m]), "bid", tb_qn_real(o->bid[m]),
                   "parties", parties);
}

/* The batch as columns named as the output file's /deals datasets; a file's selection also gets its CSR
 * pointers and entities, which the caller did not send. */
static json_t *columns_json(const tb_api_deals *D, const results *o, int with_csr) {
  json_t *names = json_array(), *status = json_array();
  for (int64_t m = 0; names && status && m < D->n_deals; m++)
    if (json_array_append_new(status, json_integer(o->status[m])) ||
        json_array_append_new(names, json_string(status_name(o->status[m]))))
      break;
  json_t *c = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "status", status, "status_name", names, "surplus",
                        tb_qn_reals(o->surplus, D->n_deals), "bid", tb_qn_reals(o->bid, D->n_deals), "value",
                        tb_qn_reals(o->value, D->n_parties), "transfer", tb_qn_reals(o->transfer, D->n_parties),
                        "final_value", tb_qn_reals(o->final_value, D->n_parties));
  if (c && with_csr &&
      (json_object_set_new(c, "party_ptr", tb_qn_ints(D->party_ptr, D->n_deals + 1)) ||
       json_object_set_new(c, "party_entity", tb_qn_ints(D->party_entity, D->n_parties))))
    json_decref(c), c = NULL;
  return c;
}

static int answer(const eval_req *q, const results *o, tb_resp *r) {
  const tb_api_deals *D = &q->deals->D;
  json_t *deals = NULL;
  if (q->form == FORM_ONE) {
    deals = deal_json(D, o, 0);
  } else if (q->form == FORM_LIST) {
    deals = json_array();
    for (int64_t m = 0; deals && m < D->n_deals; m++)
      if (json_array_append_new(deals, deal_json(D, o, m))) json_decref(deals), deals = NULL;
  } else {
    deals = columns_json(D, o, q->form == FORM_FILE);
  }
  json_t *j = json_pack("{s:I, s:I, s:o, s:o}", "n_deals", (json_int_t)D->n_deals, "n_parties",
                        (json_int_t)D->n_parties, "params", params_json(&q->par),
                        q->form == FORM_ONE ? "deal" : "deals", deals);
  if (!j) return oom(r);
  return tb_resp_json(r, 200, j);
}

/* ---- the request ---- */

/* Which form the deals come in: exactly one of deal, deals (a list or columns), deal_indices. */
static int form_of(json_t *body, eval_req *q, tb_resp *r) {
  json_t *one = json_object_get(body, "deal"), *many = json_object_get(body, "deals");
  json_t *idx = json_object_get(body, "deal_indices");
  if (!!one + !!many + !!idx != 1)
    return tb_resp_problem(r, 400, "bad-field", "give exactly one of deal (one nested deal), deals (a list of "
                           "nested deals, or the input file's CSR columns) and deal_indices (deals of input)"), -1;
  if (many && !json_is_array(many) && !json_is_object(many))
    return tb_resp_problem(r, 400, "bad-field", "deals must be a list of deals or an object of CSR columns"), -1;
  q->form = one ? FORM_ONE : idx ? FORM_FILE : json_is_array(many) ? FORM_LIST : FORM_COLUMNS;
  q->nested = one ? one : many;
  return 0;
}

/* Entities inline, or those of input (a file under the data root); resolved input path into abs. */
static int entities_of(tb_srv *S, json_t *body, eval_req *q, char *abs, size_t n, tb_resp *r) {
  json_t *inline_e = json_object_get(body, "entities");
  const char *input = NULL;
  if (json_object_get(body, "input") && !(input = tb_json_str(body, "input", 1, "", r))) return -1;
  if (!!inline_e == !!input)
    return tb_resp_problem(r, 400, "bad-field", "give the entities either inline (entities) or by reference (input: "
                           "an input file under the data root), not %s", input ? "both" : "neither"), -1;
  if (q->form == FORM_FILE && !input)
    return tb_resp_problem(r, 400, "bad-field", "deal_indices select deals of input: give input, not entities"), -1;
  if (inline_e) return parse_entities(inline_e, q, r);
  if (tb_path_resolve(S, input, TB_PATH_EXISTING, "input", abs, n, r)) return -1;
  if (tb_qcache_get(S, TB_QC_ENTITIES, abs, tb_qload_entities, &q->ent_entry, r)) return -1;
  q->E = &((const tb_q_entities *)tb_qcache_data(q->ent_entry))->E;
  return 0;
}

static int deals_of(tb_srv *S, json_t *body, const char *abs, eval_req *q, tb_resp *r) {
  if (q->form == FORM_FILE) return parse_file_deals(S, abs, json_object_get(body, "deal_indices"), q, r);
  if (q->form == FORM_COLUMNS) return parse_columns(S, q->nested, q, r);
  return parse_nested(S, q->nested, q->form == FORM_LIST, q, r);
}

int tb_quick_evaluate(tb_srv *S, json_t *body, tb_resp *r) {
  static const char *const keys[] = {"input", "entities", "deal", "deals", "deal_indices", "model", "split",
                                     "charge", NULL};
  char abs[PATH_MAX] = "";
  eval_req q;
  results o;
  memset(&q, 0, sizeof q), memset(&o, 0, sizeof o);
  if (!tb_qn_known(body, keys, "", r) && !parse_params(body, &q.par, r) && !form_of(body, &q, r) &&
      !entities_of(S, body, &q, abs, sizeof abs, r) && !deals_of(S, body, abs, &q, r) && !parse_charge(body, &q, r) &&
      !check(S, &q, r) && !evaluate(S, &q, &o, r))
    answer(&q, &o, r);
  results_free(&o);
  req_free(S, &q);
  return 0;
}
