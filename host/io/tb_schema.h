/* The file formats as data: the input datasets the validator checks (shapes, types and element
 * rules) and the datasets and attributes the writers may create. tb_h5 refuses to create anything
 * a file's table does not declare, and `tradebal docs formats` prints both tables, so the
 * documentation, the validator and the writers cannot drift apart. */
#ifndef TB_SCHEMA_H
#define TB_SCHEMA_H

#include <stdint.h>
#include <stdio.h>

#include "tb_rules.h"

/* The symbolic sizes of MODEL.md section 1; TB_DIM_CONST: a fixed size (`plus` alone). */
enum { TB_DIM_N, TB_DIM_M, TB_DIM_P, TB_DIM_C, TB_DIM_F, TB_DIM_E, TB_DIM_R, TB_DIM_T, TB_DIM_S, TB_DIM_CONST,
       TB_DIM_NSYM, TB_DIM_NONE = -1 };
#define TB_DIM_SYMBOLS "NMPCFERTS"

enum { TB_CLASS_INT = 0, TB_CLASS_FLOAT = 1 }; /* the same codes as TB_H5_INT and TB_H5_FLOAT */

typedef struct {
  const char *name;
  int cls, optional, rank;
  int sym[3], plus[3]; /* dimension k = size of sym[k] + plus[k] */
  /* Element rule the validator checks: lo <= v <= hi (hi = size of hi_dim - 1 when hi_dim is set),
   * lo excluded when lo_open, +-inf allowed only when inf_ok. range = 0: checked by code of its own. */
  int range;
  double lo, hi;
  int hi_dim, lo_open, inf_ok;
  const char *rule; /* the rule as errors and the docs state it */
  const char *meaning;
} tb_input_field;

extern const tb_input_field tb_input_fields[];
extern const int tb_input_nfields;
const tb_input_field *tb_input_field_find(const char *name);
/* The element rule of input field `name` as a value range, for the sizes size[TB_DIM_*] of section 1 (the
 * dataset's rows in *nrows). TB_ERR_INTERNAL when the table has no range rule for it. */
int tb_input_field_range(const char *name, const int64_t *size, tb_rule_range *R, int64_t *nrows);

/* Files tradebal writes, as a mask. */
enum { TB_FILE_INPUT = 1, TB_FILE_RUN = 2, TB_FILE_SWEEP = 4, TB_FILE_MATCH = 8 };

typedef struct {
  int files;        /* TB_FILE_* mask */
  const char *name; /* "/deals/value"; "<policy>" stands for one policy's name; "/group@attr": an attribute */
  const char *type, *shape, *when, *meaning;
} tb_output_item;

extern const tb_output_item tb_output_items[];
extern const int tb_output_nitems;

/* Whether the writers of `file` may create `name` (a dataset path or "OBJ@ATTR"). */
int tb_schema_declared(int file, const char *name);
/* docs/formats.md: the input and output tables as Markdown. */
void tb_schema_doc(FILE *out);
/* The same tables as JSON: input (with rules), run, sweep and match, each a list of items with name, kind
 * (dataset or attribute), type, shape (a list of size symbols), when and meaning. */
void tb_schema_json(FILE *out);

#endif
