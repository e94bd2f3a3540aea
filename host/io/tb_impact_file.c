/* The input-output table of MODEL.md section 7 in files: /io read on rank 0 and factored
 * there, /io/multipliers written. */
#include "tb_impact_file.h"

#include "tb_comm.h"
#include "tb_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Value added and employment as the rows of W, column-major [2, S]. */
static int read_weights(tb_h5 *in, int64_t S, int me, double *W) {
  int rc = TB_OK;
  double *row = NULL;
  const char *name[2] = {"/io/value_added", "/io/employment"};
  TB_ALLOC(row, S);
  for (int r = 0; r < 2; r++) {
    TB_GUARD(tb_h5_read(in, name[r], H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, row));
    for (int64_t s = 0; me && s < S; s++) W[2 * s + r] = row[s];
  }
done:
  free(row);
  return rc;
}

static int read_on_root(tb_impact_model *M, tb_h5 *in, tb_backend *be) {
  int rc = TB_OK;
  const int64_t S = M->S, me = tb_comm_rank() == 0;
  double *A = NULL;
  TB_ALLOC(A, me ? S * S : 1);
  TB_ALLOC(M->W, 2 * S);
  TB_ALLOC(M->share, S);
  TB_ALLOC(M->output_multiplier, S);
  TB_GUARD(tb_h5_read(in, "/io/A", H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, A));
  TB_GUARD(read_weights(in, S, (int)me, M->W));
  TB_GUARD(tb_h5_read(in, "/io/import_share", H5T_NATIVE_DOUBLE, 0, me ? S : 0, 1, M->share));
  if (!me) goto done;
  char what[4200];
  snprintf(what, sizeof what, "%s: /io/A", in->path);
  TB_GUARD(tb_impact_model_factor(M, be, A, what));
done:
  free(A);
  return rc;
}

int tb_impact_model_read(tb_impact_model *M, tb_h5 *in, tb_backend *be, const tb_input_dims *D) {
  memset(M, 0, sizeof *M);
  M->S = D->S;
  const int rc = tb_comm_agree(read_on_root(M, in, be));
  if (rc) tb_impact_model_free(M); /* the job frees only a model it has */
  return rc;
}

int tb_impact_model_write(const tb_impact_model *M, tb_h5 *out) {
  TB_CALL(tb_h5_new_dataset(out, "/io/multipliers", H5T_IEEE_F64LE, 1, &M->S));
  return tb_h5_write(out, "/io/multipliers", H5T_NATIVE_DOUBLE, 0, tb_comm_rank() == 0 ? M->S : 0, M->output_multiplier);
}
