/* Numbers in and out of the quick checks' JSON (tb_serve_quick_num.h). */
#include "tb_serve_quick_num.h"
#include "tb_serve_json.h"

#include <math.h>
#include <string.h>

json_t *tb_qn_real(double x) {
  if (isfinite(x)) return json_real(x);
  return json_string(isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity");
}

json_t *tb_qn_reals(const double *x, int64_t n) {
  json_t *a = json_array();
  for (int64_t i = 0; a && i < n; i++)
    if (json_array_append_new(a, tb_qn_real(x[i]))) json_decref(a), a = NULL;
  return a;
}

json_t *tb_qn_ints(const int64_t *x, int64_t n) {
  json_t *a = json_array();
  for (int64_t i = 0; a && i < n; i++)
    if (json_array_append_new(a, json_integer(x[i]))) json_decref(a), a = NULL;
  return a;
}

int tb_qn_value(const json_t *v, double *x) {
  if (json_is_number(v)) return *x = json_number_value(v), 0;
  const char *s = json_string_value(v);
  if (!s) return -1;
  if (!strcmp(s, "Infinity")) return *x = INFINITY, 0;
  if (!strcmp(s, "-Infinity")) return *x = -INFINITY, 0;
  if (!strcmp(s, "NaN")) return *x = NAN, 0;
  return -1;
}

int tb_qn_f64s(const json_t *a, int64_t n, double *out, const char *where, tb_resp *r) {
  for (int64_t i = 0; i < n; i++)
    if (tb_qn_value(json_array_get(a, (size_t)i), &out[i]))
      return tb_resp_problem(r, 400, "bad-field", "%s[%lld] must be a number (or \"Infinity\", \"-Infinity\", "
                             "\"NaN\")", where, (long long)i), -1;
  return 0;
}

int tb_qn_i64s(const json_t *a, int64_t n, int64_t *out, const char *where, tb_resp *r) {
  for (int64_t i = 0; i < n; i++) {
    const json_t *v = json_array_get(a, (size_t)i);
    if (!json_is_integer(v))
      return tb_resp_problem(r, 400, "bad-field", "%s[%lld] must be an integer", where, (long long)i), -1;
    out[i] = (int64_t)json_integer_value(v);
  }
  return 0;
}

uint8_t tb_qn_u8(int64_t v) { return v >= 0 && v <= 255 ? (uint8_t)v : 255; }

int32_t tb_qn_i32(int64_t v) { return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v; }

int tb_qn_known(json_t *o, const char *const *known, const char *where, tb_resp *r) {
  const char *key;
  json_t *v;
  json_object_foreach(o, key, v) {
    int ok = 0;
    for (const char *const *k = known; *k && !ok; k++) ok = !strcmp(*k, key);
    if (!ok)
      return tb_resp_problem(r, 400, "unknown-field", "%s%s%.64s is not a field of this request", where,
                             *where ? "." : "", key), -1;
  }
  return 0;
}
