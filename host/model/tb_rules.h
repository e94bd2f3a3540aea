/* The element rules of MODEL.md section 1 on arrays in memory: what `tradebal validate` checks chunk by chunk
 * in a file (host/io/tb_validate.c) and libtradebal checks in the caller's arrays (tb_api_check), with one text
 * per rule. A report keeps the first bad index seen and its message (the dataset, the index, the rule; the
 * caller puts the file's name in front). */
#ifndef TB_RULES_H
#define TB_RULES_H

#include <stdint.h>

typedef struct {
  int64_t first; /* the first bad global index seen, INT64_MAX: none */
  char msg[1024];
} tb_rule_report;

void tb_rule_report_init(tb_rule_report *r);
/* Record a violation at global index idx unless an earlier one is recorded. */
void tb_rule_fail(tb_rule_report *r, int64_t idx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A value range: [lo, hi] (lo excluded when lo_open), NaN never, +-inf only with inf_ok; ncols > 1 for a
 * rank-2 dataset. buf holds n rows of ncols int64 (is_int) or double values from row0. */
typedef struct {
  const char *name;
  int is_int;
  double lo, hi;
  int lo_open, inf_ok;
  const char *rule;
  int64_t ncols;
} tb_rule_range;
void tb_rules_range(tb_rule_report *r, const tb_rule_range *R, int64_t row0, int64_t n, const void *buf);

/* CSR pointers of nitems items into nchild children, minc..maxc children per item: p holds pointers
 * row0 .. row0 + n (n + 1 values); with no items, the lone pointer p[0] must be 0 == nchild. */
typedef struct {
  const char *name;
  int64_t nitems, nchild, minc, maxc;
  const char *child;
} tb_rule_csr;
void tb_rules_csr(tb_rule_report *r, const tb_rule_csr *C, int64_t row0, int64_t n, const int64_t *p);

/* /entities/weights rows row0 .. row0 + n ([n, 4]): finite, >= 0, row sum 1 within 1e-6. */
void tb_rules_weights(tb_rule_report *r, int64_t row0, int64_t n, const double *w);
/* kappa_e = f_e(0) > 0 (section 3) for entities row0 .. row0 + n, T the translation table. */
void tb_rules_kappa(tb_rule_report *r, const double *T, int64_t row0, int64_t n, const int64_t *type,
                    const double *w);
/* Deals d0 .. d0 + n: the importer indexes a party, no entity twice. ptr holds their n + 1 (global) party
 * pointers, imp their importers, ent the parties' entities from ptr[0] on. */
void tb_rules_deal_parties(tb_rule_report *r, int64_t d0, int64_t n, const int64_t *ptr, const int64_t *imp,
                           const int64_t *ent);
/* /model/translation, 64 values: finite and >= 0. */
void tb_rules_translation(tb_rule_report *r, const double *T);

#endif
