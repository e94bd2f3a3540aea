/* JSON in and out for the handlers (jansson), and problem objects. */
#include "tb_serve_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tb_json_depth(const char *s, size_t n) {
  int depth = 0, max = 0, in_str = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (in_str) {
      if (c == '\\') i++;
      else if (c == '"') in_str = 0;
    } else if (c == '"') {
      in_str = 1;
    } else if (c == '[' || c == '{') {
      if (++depth > max) max = depth;
    } else if (c == ']' || c == '}') {
      if (--depth < 0) return -1;
    }
  }
  return depth ? -1 : max;
}

json_t *tb_json_body(const tb_srv *S, const tb_req *q, tb_resp *r) {
  int depth = tb_json_depth(q->body, q->body_len);
  if (depth > S->cfg.max_json_depth) {
    tb_resp_problem(r, 400, "too-deep", "the request body nests %d levels; the limit is %d ([limits] max_json_depth)",
                    depth, S->cfg.max_json_depth);
    return NULL;
  }
  json_error_t e;
  json_t *j = json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &e);
  if (!j) {
    tb_resp_problem(r, 400, "bad-json", "the request body is not JSON: %s at line %d, column %d", e.text, e.line,
                    e.column);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    tb_resp_problem(r, 400, "bad-json", "the request body must be a JSON object");
    return NULL;
  }
  return j;
}

void tb_resp_free(tb_resp *r) {
  free(r->body);
  r->body = NULL;
}

int tb_resp_text(tb_resp *r, int status, const char *content_type, char *body, size_t len) {
  free(r->body);
  r->status = status, r->body = body, r->len = len, r->content_type = content_type;
  return 0;
}

int tb_resp_json(tb_resp *r, int status, json_t *j) {
  char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17) | JSON_ENSURE_ASCII) : NULL;
  json_decref(j);
  if (!s) return tb_resp_problem(r, 500, "internal", "the answer could not be encoded (out of memory?)");
  return tb_resp_text(r, status, "application/json", s, strlen(s));
}

static const char *title_of(int status) {
  switch (status) {
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 409: return "Conflict";
  case 413: return "Content Too Large";
  case 422: return "Unprocessable Content";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  default: return "Error";
  }
}

/* Replace what is not UTF-8 by '?': details echo callers' bytes (a method, a URL, a file name) and the
 * truncation may split a character, and JSON strings must be UTF-8 (found by tests/fuzz/fuzz_request). */
static void utf8_clean(char *s) {
  for (unsigned char *u = (unsigned char *)s; *u;) {
    unsigned c = *u;
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 2 : (c & 0xF0) == 0xE0 ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    unsigned cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t i = 1; i < len; i++) {
      if ((u[i] & 0xC0) != 0x80) len = 0;
      else cp = cp << 6 | (u[i] & 0x3F);
      if (!len) break;
    }
    if (len > 1 && (cp < (len == 3 ? 0x800u : len == 4 ? 0x10000u : 0x80u) || cp > 0x10FFFF ||
                    (cp >= 0xD800 && cp <= 0xDFFF)))
      len = 0;
    if (!len) *u++ = '?';
    else u += len;
  }
}

int tb_resp_problem(tb_resp *r, int status, const char *type, const char *fmt, ...) {
  char detail[1024], typeuri[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  utf8_clean(detail);
  snprintf(typeuri, sizeof typeuri, "/problems/%s", type);
  json_t *j = json_pack("{s:s, s:s, s:i, s:s}", "type", typeuri, "title", title_of(status), "status", status,
                        "detail", detail);
  char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
  json_decref(j);
  if (!s) s = strdup("{\"type\":\"/problems/internal\",\"title\":\"Internal Server Error\",\"status\":500}");
  tb_resp_text(r, status, "application/problem+json", s, s ? strlen(s) : 0);
  return 0;
}

const char *tb_req_query(const tb_req *q, const char *key) {
  for (int i = 0; i < q->nquery; i++)
    if (!strcmp(q->query[i].key, key)) return q->query[i].value ? q->query[i].value : "";
  return NULL;
}

int tb_req_query_num(const tb_req *q, const char *key, double lo, double hi, double def, double *out, tb_resp *r) {
  const char *v = tb_req_query(q, key);
  char *end;
  if (!v) return *out = def, 0;
  double x = strtod(v, &end);
  if (end == v || *end || !(x >= lo && x <= hi)) {
    tb_resp_problem(r, 400, "bad-parameter", "query parameter %s must be a number in [%g, %g], got '%.64s'", key, lo,
                    hi, v);
    return -1;
  }
  *out = x;
  return 0;
}

/* The 400 problem of a member `key` of `where` that is missing (v NULL) or not `must` ("a number"). */
static void field_problem(tb_resp *r, const json_t *v, const char *where, const char *key, const char *must) {
  if (v) tb_resp_problem(r, 400, "bad-field", "%s%s%s must be %s", where, *where ? "." : "", key, must);
  else tb_resp_problem(r, 400, "missing-field", "%s%s%s is required", where, *where ? "." : "", key);
}

int tb_json_num(json_t *o, const char *key, int required, double def, double *out, const char *where, tb_resp *r) {
  json_t *v = json_object_get(o, key);
  if (!v && !required) return *out = def, 0;
  if (!json_is_number(v)) return field_problem(r, v, where, key, "a number"), -1;
  *out = json_number_value(v);
  return 0;
}

int tb_json_int(json_t *o, const char *key, int required, int64_t def, int64_t *out, const char *where, tb_resp *r) {
  json_t *v = json_object_get(o, key);
  if (!v && !required) return *out = def, 0;
  if (!json_is_integer(v)) return field_problem(r, v, where, key, "an integer"), -1;
  *out = json_integer_value(v);
  return 0;
}

const char *tb_json_str(json_t *o, const char *key, int required, const char *where, tb_resp *r) {
  json_t *v = json_object_get(o, key);
  if (!v && !required) return NULL;
  if (!json_is_string(v)) return field_problem(r, v, where, key, "a string"), NULL;
  return json_string_value(v);
}

json_t *tb_json_array(json_t *o, const char *key, int required, const char *where, int64_t *len, tb_resp *r) {
  json_t *a = json_object_get(o, key);
  *len = -1;
  if (!a && !required) return NULL;
  if (!json_is_array(a)) return field_problem(r, a, where, key, "an array"), NULL;
  *len = (int64_t)json_array_size(a);
  return a;
}
