#include "tb_backend.h"
#include "tb_block.h"
#include "tb_error.h"
#include "tb_validate.h"
#include "tb_rules.h"
#include "tb_translation.h"
#include "tb_schema.h"
#include "tb_comm.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_ROWS ((int64_t)1 << 20)
#define TB_MAX_SECTORS 100000

typedef struct {
  tb_h5 *f;
  tb_input_dims *D;
  tb_rule_report rep; /* the first bad global index seen on this rank, and its message */
} vstate;

static void vfail(vstate *V, int64_t idx, const char *fmt, ...) {
  if (idx >= V->rep.first) return;
  V->rep.first = idx;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(V->rep.msg, sizeof V->rep.msg, fmt, ap);
  va_end(ap);
}

/* Collective: if any rank found a violation, all ranks return the owner's message. */
static int vreport(vstate *V) {
  int64_t g;
  int owner;
  char msg[1024]; /* "FILE: " and the rule's message, as the owning rank words it */
  TB_CALL(tb_comm_first_index(V->rep.first, &g, &owner));
  if (g == INT64_MAX) return TB_OK;
  if (snprintf(msg, sizeof msg, "%s: %s", V->f->path, V->rep.msg) >= (int)sizeof msg) msg[sizeof msg - 1] = 0;
  TB_CALL(tb_comm_bcast(msg, sizeof msg, owner));
  tb_error_adopt(TB_ERR_INPUT, msg);
  return TB_ERR_INPUT;
}

/* ---- shapes: tb_input_fields (tb_schema.c), the table docs/formats.md is generated from ---- */

enum { D_N = TB_DIM_N, D_M = TB_DIM_M, D_P = TB_DIM_P, D_C = TB_DIM_C, D_F = TB_DIM_F, D_E = TB_DIM_E,
       D_R = TB_DIM_R, D_T = TB_DIM_T, D_S = TB_DIM_S, D_CONST = TB_DIM_CONST, D_NSYM = TB_DIM_NSYM };
static const char *SYM = TB_DIM_SYMBOLS;
typedef tb_input_field vshape;
#define SHAPES tb_input_fields
#define NSHAPES ((size_t)tb_input_nfields)

/* ---- structure: hard links to the model's datasets, nothing unknown in its groups ---- */

static const char *const GROUPS[] = {"/entities", "/deals", "/model", "/network", "/trade", "/io"};
#define HARD_LINKS_ONLY "rule: hard links only; tradebal reads this one file"

static int known_dataset(const char *name) {
  for (size_t i = 0; i < NSHAPES; i++)
    if (!strcmp(SHAPES[i].name, name)) return 1;
  return 0;
}

typedef struct {
  const char *group;
  char bad[1024];
} link_walk;

static herr_t link_seen(hid_t g, const char *name, const H5L_info_t *info, void *op) {
  (void)g;
  link_walk *w = op;
  char full[512];
  snprintf(full, sizeof full, "%s/%s", w->group, name);
  if (info->type != H5L_TYPE_HARD)
    snprintf(w->bad, sizeof w->bad, "%s: %s link (" HARD_LINKS_ONLY ")", full,
             info->type == H5L_TYPE_SOFT ? "a soft" : "an external");
  else if (!known_dataset(full))
    snprintf(w->bad, sizeof w->bad, "%s: not a dataset of the model (rule: only MODEL.md section 1's datasets in "
             "its groups; a misspelt optional dataset would silently take its default)", full);
  return w->bad[0] ? 1 : 0;
}

static int check_links(vstate *V) {
  const hid_t id = V->f->id;
  for (size_t i = 0; i < sizeof GROUPS / sizeof GROUPS[0]; i++) {
    link_walk w = {GROUPS[i], ""};
    H5L_info_t li;
    H5O_info_t oi;
    if (H5Lexists(id, w.group, H5P_DEFAULT) <= 0) continue;
    if (H5Lget_info(id, w.group, &li, H5P_DEFAULT) < 0 || li.type != H5L_TYPE_HARD)
      return TB_ERR(TB_ERR_INPUT, "%s: %s: a soft or external link (" HARD_LINKS_ONLY ")", V->f->path, w.group);
    if (H5Oget_info_by_name2(id, w.group, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_GROUP)
      return TB_ERR(TB_ERR_INPUT, "%s: %s: not a group (rule: MODEL.md section 1's layout)", V->f->path, w.group);
    if (H5Lvisit_by_name(id, w.group, H5_INDEX_NAME, H5_ITER_INC, link_seen, &w, H5P_DEFAULT) < 0 && !w.bad[0])
      return TB_ERR(TB_ERR_INPUT, "%s: %s: its links cannot be listed (HDF5: %s)", V->f->path, w.group,
                    tb_h5_reason());
    if (w.bad[0]) return TB_ERR(TB_ERR_INPUT, "%s: %s", V->f->path, w.bad);
  }
  return TB_OK;
}

/* One dataset's own properties: data in this file, a type HDF5 converts exactly, and the bytes its
 * dimensions claim (a header announcing 2^40 rows it does not hold would be read as 2^40 fill values). */
static int check_dataset(vstate *V, const char *name, const tb_h5_info *in) {
  const char *path = V->f->path;
  if (in->refuse[0])
    return TB_ERR(TB_ERR_INPUT, "%s: %s: %s (rule: data stored in this file, readable here)", path, name, in->refuse);
  if ((in->cls == TB_H5_INT && in->type_size > 8) || (in->cls == TB_H5_FLOAT && in->type_size != 8 &&
                                                      in->type_size != 4))
    return TB_ERR(TB_ERR_INPUT, "%s: %s: elements of %lld bytes (rule: integers of at most 8 bytes, 8-byte or "
                  "4-byte floats)", path, name, (long long)in->type_size);
  double want = (double)in->type_size;
  for (int k = 0; k < in->rank; k++) want *= (double)in->dims[k];
  if ((double)in->stored * (in->filtered ? 1100.0 : 1.0) >= want) return TB_OK;
  return TB_ERR(TB_ERR_INPUT, "%s: %s: %lld bytes stored for the %.0f its dimensions claim (rule: every element "
                "stored in the file%s)", path, name, (long long)in->stored, want,
                in->filtered ? ", compressed at most 1100:1" : "");
}

static int check_shapes(vstate *V) {
  int64_t sym[D_NSYM];
  TB_CALL(check_links(V));
  for (int i = 0; i < D_NSYM; i++) sym[i] = -1;
  const char *def[D_NSYM] = {0};
  for (size_t i = 0; i < NSHAPES; i++) {
    const vshape *s = &SHAPES[i];
    tb_h5_info in;
    TB_CALL(tb_h5_info_of(V->f, s->name, &in));
    if (!in.exists) {
      if (s->optional) continue;
      return TB_ERR(TB_ERR_INPUT, "%s: %s: missing (rule: required dataset)", V->f->path, s->name);
    }
    if (in.cls != s->cls || in.rank != s->rank)
      return TB_ERR(TB_ERR_INPUT, "%s: %s: %s of rank %d (rule: %s of rank %d)", V->f->path, s->name,
                    in.cls == TB_H5_INT ? "integer" : in.cls == TB_H5_FLOAT ? "float" : "non-numeric",
                    in.rank, s->cls == TB_H5_INT ? "integer" : "float", s->rank);
    TB_CALL(check_dataset(V, s->name, &in));
    for (int k = 0; k < s->rank; k++) {
      int y = s->sym[k];
      int64_t want = y == D_CONST ? s->plus[k] : sym[y] < 0 ? -1 : sym[y] + s->plus[k];
      if (want < 0) { /* first dataset to carry this size defines it */
        const int least = y == D_N || y == D_M || y == D_R || y == D_T || y == D_S; /* E, P, C, F may be 0 */
        sym[y] = in.dims[k] - s->plus[k];
        def[y] = s->name;
        if (sym[y] < least)
          return TB_ERR(TB_ERR_INPUT, "%s: %s: dimension %d is %lld (rule: %c%s >= %lld)", V->f->path,
                        s->name, k, (long long)in.dims[k], SYM[y], s->plus[k] ? "+1" : "",
                        (long long)(least + s->plus[k]));
        continue;
      }
      if (in.dims[k] != want)
        return TB_ERR(TB_ERR_INPUT, "%s: %s: dimension %d is %lld (rule: %c%s = %lld, set by %s)",
                      V->f->path, s->name, k, (long long)in.dims[k], y == D_CONST ? '#' : SYM[y],
                      s->plus[k] ? "+1" : "", (long long)want, y == D_CONST ? "the model" : def[y]);
    }
  }
  if (sym[D_S] > TB_MAX_SECTORS) /* the IO checks hold S-long rows: bound S before allocating */
    return TB_ERR(TB_ERR_INPUT, "%s: /io/A: %lld sectors (rule: at most %d)", V->f->path,
                  (long long)sym[D_S], TB_MAX_SECTORS);
  tb_input_dims *D = V->D;
  D->N = sym[D_N], D->M = sym[D_M], D->P = sym[D_P], D->C = sym[D_C], D->F = sym[D_F];
  D->E = sym[D_E], D->R = sym[D_R], D->T = sym[D_T], D->S = sym[D_S];
  TB_CALL(tb_h5_exists(V->f, "/entities/bargaining_weight", &D->has_beta));
  TB_CALL(tb_h5_exists(V->f, "/model/translation", &D->has_translation));
  return TB_OK;
}

/* ---- streaming over a rank's block ------------------------------------- */

/* Calls fn on chunks of this rank's block of `nrows` rows; `overlap` extra rows are
 * read past each chunk (CSR pointers need ptr[i+1]). Buffers hold int64 or double. */
typedef void (*chunk_fn)(vstate *V, int64_t row0, int64_t n, const void *buf, void *ctx);

static int scan(vstate *V, const char *name, int is_int, int64_t rowlen, int64_t nrows,
                int64_t overlap, chunk_fn fn, void *ctx) {
  int rc = TB_OK;
  const int rank = tb_comm_rank(), size = tb_comm_size();
  const int64_t lo = tb_block_lo(nrows, rank, size), hi = tb_block_lo(nrows, rank + 1, size);
  const int64_t step = CHUNK_ROWS / rowlen > 0 ? CHUNK_ROWS / rowlen : 1;
  char *buf = NULL;
  TB_ALLOC(buf, (size_t)(step + overlap) * (size_t)rowlen * 8);
  for (int64_t r = lo; r < hi && V->rep.first == INT64_MAX; r += step) {
    int64_t n = hi - r < step ? hi - r : step;
    TB_GUARD(tb_h5_read(V->f, name, is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, r, n + overlap,
                        0, buf));
    fn(V, r, n, buf, ctx);
  }
done:
  free(buf);
  return tb_comm_agree(rc); /* a failed read on one rank must not strand the others */
}

typedef tb_rule_range vrange;

static void range_chunk(vstate *V, int64_t row0, int64_t n, const void *buf, void *ctx) {
  tb_rules_range(&V->rep, ctx, row0, n, buf);
}

static int check_range(vstate *V, vrange R, int64_t nrows) {
  if (R.ncols <= 0) return TB_OK; /* zero columns: nothing to check */
  TB_CALL(scan(V, R.name, R.is_int, R.ncols, nrows, 0, range_chunk, &R));
  return vreport(V);
}

/* The element rule of an input field, from its table entry (the same text as docs/formats.md). */
static int check_field(vstate *V, const char *name) {
  const tb_input_dims *D = V->D;
  const int64_t size[D_NSYM] = {D->N, D->M, D->P, D->C, D->F, D->E, D->R, D->T, D->S, 0};
  vrange R;
  int64_t nrows;
  TB_CALL(tb_input_field_range(name, size, &R, &nrows));
  return check_range(V, R, nrows);
}

/* ---- CSR pointers ------------------------------------------------------ */

typedef tb_rule_csr vcsr;

static void csr_chunk(vstate *V, int64_t row0, int64_t n, const void *buf, void *ctx) {
  tb_rules_csr(&V->rep, ctx, row0, n, buf);
}

static int check_csr(vstate *V, vcsr C) {
  if (C.nitems == 0) { /* the lone pointer must still be 0 == nchild */
    int64_t p0 = 0;
    int rc = tb_comm_rank() == 0 ? tb_h5_read(V->f, C.name, H5T_NATIVE_INT64, 0, 1, 0, &p0) : TB_OK;
    TB_CALL(tb_comm_agree(rc));
    if (tb_comm_rank() == 0) tb_rules_csr(&V->rep, &C, 0, 0, &p0);
    return vreport(V);
  }
  TB_CALL(scan(V, C.name, 1, 1, C.nitems, 1, csr_chunk, &C));
  return vreport(V);
}

/* ---- row rules --------------------------------------------------------- */

static void weights_chunk(vstate *V, int64_t row0, int64_t n, const void *buf, void *ctx) {
  (void)ctx;
  tb_rules_weights(&V->rep, row0, n, buf);
}

/* kappa_e = f_e(0) > 0 (section 3) needs type and weights together: read both per chunk. */
static int check_kappa(vstate *V) {
  int rc = TB_OK;
  const int64_t N = V->D->N, lo = tb_block_lo(N, tb_comm_rank(), tb_comm_size()),
                hi = tb_block_lo(N, tb_comm_rank() + 1, tb_comm_size());
  int64_t *type = NULL;
  double *w = NULL;
  TB_ALLOC(type, CHUNK_ROWS);
  TB_ALLOC(w, 4 * CHUNK_ROWS);
  for (int64_t r = lo; r < hi && V->rep.first == INT64_MAX; r += CHUNK_ROWS) {
    int64_t n = hi - r < CHUNK_ROWS ? hi - r : CHUNK_ROWS;
    TB_GUARD(tb_h5_read(V->f, "/entities/type", H5T_NATIVE_INT64, r, n, 0, type));
    TB_GUARD(tb_h5_read(V->f, "/entities/weights", H5T_NATIVE_DOUBLE, r, n, 0, w));
    tb_rules_kappa(&V->rep, V->D->translation, r, n, type, w);
  }
done:
  free(type);
  free(w);
  rc = tb_comm_agree(rc);
  if (rc) return rc;
  return vreport(V);
}

/* Per deal: no entity twice, importer indexes a party. party_ptr is already valid. */
static int check_deal_parties(vstate *V) {
  int rc = TB_OK;
  const int64_t M = V->D->M, lo = tb_block_lo(M, tb_comm_rank(), tb_comm_size()),
                hi = tb_block_lo(M, tb_comm_rank() + 1, tb_comm_size());
  const int64_t step = CHUNK_ROWS / 8; /* <= 255 parties per deal bounds the entity buffer */
  int64_t *ptr = NULL, *ent = NULL, *imp = NULL;
  TB_ALLOC(ptr, step + 1);
  TB_ALLOC(imp, step);
  TB_ALLOC(ent, step * TB_MAX_PARTIES);
  for (int64_t r = lo; r < hi && V->rep.first == INT64_MAX; r += step) {
    int64_t n = hi - r < step ? hi - r : step;
    TB_GUARD(tb_h5_read(V->f, "/deals/party_ptr", H5T_NATIVE_INT64, r, n + 1, 0, ptr));
    TB_GUARD(tb_h5_read(V->f, "/deals/importer", H5T_NATIVE_INT64, r, n, 0, imp));
    TB_GUARD(tb_h5_read(V->f, "/deals/party_entity", H5T_NATIVE_INT64, ptr[0], ptr[n] - ptr[0], 0, ent));
    tb_rules_deal_parties(&V->rep, r, n, ptr, imp, ent);
  }
done:
  free(ptr);
  free(ent);
  free(imp);
  rc = tb_comm_agree(rc);
  if (rc) return rc;
  return vreport(V);
}

/* Small tables (translation, IO) are checked on rank 0 and the verdict shared. */
static int check_translation(vstate *V) {
  tb_input_dims *D = V->D;
  memcpy(D->translation, tb_default_translation, sizeof D->translation);
  if (!D->has_translation) return TB_OK;
  TB_CALL(tb_comm_agree(tb_h5_read(V->f, "/model/translation", H5T_NATIVE_DOUBLE, 0, 4, 0, D->translation)));
  tb_rules_translation(&V->rep, D->translation);
  return vreport(V);
}

static int check_io_tables(vstate *V) {
  int rc = TB_OK;
  const int64_t S = V->D->S;
  double *row = NULL, *col = NULL;
  TB_ALLOC(row, S);
  TB_ALLOC(col, S);
  if (tb_comm_rank() == 0) {
    memset(col, 0, sizeof(double) * (size_t)S);
    for (int64_t i = 0; i < S && V->rep.first == INT64_MAX; i++) {
      TB_GUARD(tb_h5_read(V->f, "/io/A", H5T_NATIVE_DOUBLE, i, 1, 0, row));
      for (int64_t j = 0; j < S; j++) {
        if (!(row[j] >= 0.0) || isinf(row[j])) {
          vfail(V, 0, "/io/A[%lld,%lld]: value %.17g breaks rule: A >= 0 and finite", (long long)i,
                (long long)j, row[j]);
          break;
        }
        col[j] += row[j];
      }
    }
    for (int64_t j = 0; j < S && V->rep.first == INT64_MAX; j++)
      if (!(col[j] < 1.0))
        vfail(V, 0, "/io/A[:,%lld]: column sum %.17g breaks rule: every column sum < 1", (long long)j, col[j]);
    if (V->rep.first == INT64_MAX) {
      TB_GUARD(tb_h5_read(V->f, "/io/import_share", H5T_NATIVE_DOUBLE, 0, S, 0, row));
      double s = 0.0;
      for (int64_t j = 0; j < S; j++) s += row[j];
      if (S > 0 && fabs(s - 1.0) > 1e-6)
        vfail(V, 0, "/io/import_share: sum %.17g breaks rule: shares sum to 1 within 1e-6", s);
    }
    int64_t reg = 0;
    int has = 0;
    if (V->rep.first == INT64_MAX) TB_GUARD(tb_h5_attr_read_i64(V->f, "/io", "region", &reg, &has));
    if (V->rep.first == INT64_MAX && (!has || reg < 0 || reg >= V->D->R))
      vfail(V, 0, "/io: attribute region %s breaks rule: present, 0..R-1 with R = %lld",
            has ? "out of range" : "missing", (long long)V->D->R);
  }
done:
  free(row);
  free(col);
  rc = tb_comm_agree(rc);
  if (rc) return rc;
  return vreport(V);
}

int tb_input_validate(tb_h5 *f, tb_input_dims *D) {
  memset(D, 0, sizeof *D);
  vstate V = {f, D, {INT64_MAX, {0}}};
  int rc = check_shapes(&V); /* metadata only: every rank reaches the same verdict */
  if (rc) {
    tb_error_adopt(rc, tb_error_message());
    return rc;
  }
  TB_CALL(check_translation(&V));
  TB_CALL(check_field(&V, "/entities/type"));
  TB_CALL(check_field(&V, "/entities/region"));
  TB_CALL(scan(&V, "/entities/weights", 0, 4, D->N, 0, weights_chunk, NULL));
  TB_CALL(vreport(&V));
  TB_CALL(check_kappa(&V));
  TB_CALL(check_field(&V, "/entities/discount_rate"));
  TB_CALL(check_field(&V, "/entities/risk_aversion"));
  TB_CALL(check_field(&V, "/entities/pay_cap"));
  if (D->has_beta)
    TB_CALL(check_field(&V, "/entities/bargaining_weight"));
  TB_CALL(check_csr(&V, (vcsr){"/deals/party_ptr", D->M, D->P, 2, TB_MAX_PARTIES, "/deals/party_entity"}));
  TB_CALL(check_field(&V, "/deals/party_entity"));
  TB_CALL(check_deal_parties(&V));
  TB_CALL(check_csr(&V, (vcsr){"/deals/comp_ptr", D->P, D->C, 0, INT64_MAX, "/deals/comp_dim"}));
  TB_CALL(check_field(&V, "/deals/comp_dim"));
  TB_CALL(check_field(&V, "/deals/comp_prob"));
  TB_CALL(check_csr(&V, (vcsr){"/deals/flow_ptr", D->C, D->F, 0, INT64_MAX, "/deals/flow_period"}));
  TB_CALL(check_field(&V, "/deals/flow_period"));
  TB_CALL(check_field(&V, "/deals/flow_amount"));
  TB_CALL(check_field(&V, "/deals/period"));
  TB_CALL(check_field(&V, "/deals/sector"));
  TB_CALL(check_field(&V, "/deals/export_region"));
  TB_CALL(check_field(&V, "/deals/import_region"));
  TB_CALL(check_field(&V, "/deals/trade_value"));
  TB_CALL(check_field(&V, "/deals/cost"));
  TB_CALL(check_csr(&V, (vcsr){"/network/ptr", D->N, D->E, 0, INT64_MAX, "/network/col"}));
  TB_CALL(check_field(&V, "/network/col"));
  TB_CALL(check_field(&V, "/network/weight"));
  TB_CALL(check_field(&V, "/trade/base_exports"));
  TB_CALL(check_field(&V, "/trade/base_imports"));
  TB_CALL(check_field(&V, "/io/value_added"));
  TB_CALL(check_field(&V, "/io/employment"));
  TB_CALL(check_field(&V, "/io/import_share"));
  TB_CALL(check_io_tables(&V));
  return TB_OK;
}
