/* `tradebal generate`: a seeded synthetic input of any size. */
#ifndef TB_GENERATE_H
#define TB_GENERATE_H
#include <stdint.h>
typedef struct {
  int64_t N, M, R, T, S;
  uint64_t seed;
  int64_t batch;  /* deals or entities per write batch */
  double locality; /* share of each entity's links within its region; < 0: the random graph */
  int overwrite;
} tb_gen_params;
/* Write a seeded synthetic input obeying MODEL.md section 1. Collective; the
 * data depend only on the parameters, not on the rank count. */
int tb_generate(const tb_gen_params *g, const char *path);
#endif
