/* The input contract of MODEL.md section 1: the validator and the sizes it finds. */
#ifndef TB_VALIDATE_H
#define TB_VALIDATE_H

#include <stdint.h>

#include "tb_h5.h"
#include "tb_translation.h"

typedef struct {
  int64_t N, M, P, C, F, E, R, T, S;
  int has_beta, has_translation;
  double translation[64]; /* T[type][dim][k], the file's or the default */
} tb_input_dims;

/* Check every rule of section 1, streaming each dataset in bounded chunks
 * (nothing is allocated from an unchecked size). Collective; on failure every
 * rank returns TB_ERR_INPUT with the same one-line message. */
int tb_input_validate(tb_h5 *f, tb_input_dims *D);

#endif
