/* Numbers of the quick checks in JSON. JSON has no infinities (a deal with m_d = 0 bids +inf, a pay cap may be
 * +inf), so answers carry a non-finite number as one of the strings "Infinity", "-Infinity", "NaN", and
 * requests may send them so. Arrays are read into the caller's buffers with the element named on failure
 * ("deals.comp_prob[3]"), and integers are narrowed as HDF5 narrows a file's integers for the run. */
#ifndef TB_SERVE_QUICK_NUM_H
#define TB_SERVE_QUICK_NUM_H

#include <jansson.h>
#include <stdint.h>

#include "tb_serve.h"

/* x as a JSON number, or its string when it is not finite; NULL when out of memory. */
json_t *tb_qn_real(double x);
/* n values as a JSON array (NULL when out of memory). */
json_t *tb_qn_reals(const double *x, int64_t n);
json_t *tb_qn_ints(const int64_t *x, int64_t n);
/* A JSON number or one of the three strings into *x: 0, else -1. */
int tb_qn_value(const json_t *v, double *x);
/* The n elements of array a into out; -1 with a 400 problem naming where[i] when one is not a number (f64)
 * or not an integer (i64). */
int tb_qn_f64s(const json_t *a, int64_t n, double *out, const char *where, tb_resp *r);
int tb_qn_i64s(const json_t *a, int64_t n, int64_t *out, const char *where, tb_resp *r);
/* Integers narrowed as the run reads a file: a value outside the type keeps breaking the same rule (an
 * unsigned byte becomes 255, an int32 its nearest bound). */
uint8_t tb_qn_u8(int64_t v);
int32_t tb_qn_i32(int64_t v);
/* Reject members of o other than the NULL-terminated `known`: 0, or -1 with a 400 problem naming it. */
int tb_qn_known(json_t *o, const char *const *known, const char *where, tb_resp *r);

#endif
