/* MODEL.md section 8: the worlds of the Monte Carlo draws. Draw k perturbs component
 * probabilities, discount rates and epsilon with standard normals from Philox4x32-10 keyed by
 * the seed and counted by (global item id, draw, purpose), so a draw is the same world at any
 * rank count, batch size or backend, and the same for every policy (common random numbers). */
#ifndef TB_DRAWS_H
#define TB_DRAWS_H

#include "tb_deal_math.h"

#include <stdint.h>

enum { TB_DRAW_PROB = 0, TB_DRAW_RATE = 1, TB_DRAW_EPSILON = 2 };

typedef struct {
  uint64_t seed;
  double sigma_p, sigma_r, sigma_e;
} tb_draw_params;

/* z of (item, draw, purpose). */
double tb_draw_normal(const tb_draw_params *P, uint64_t item, int draw, int purpose);
/* p exp(sigma_p z) clipped to [0, 1], for the nc components whose global ids start at c0. */
void tb_draw_probs(const tb_draw_params *P, int draw, int64_t c0, int64_t nc, const double *p, double *out);
/* r + sigma_r z, kept above -0.99 (the smallest double above it when it would not be). */
double tb_draw_rate(const tb_draw_params *P, int draw, int64_t entity, double r);
/* epsilon exp(sigma_e z) with z of item 0. */
double tb_draw_epsilon(const tb_draw_params *P, int draw, double epsilon);
/* disc[u]: the discount factor of entity entity[u] (its row rows[which[u]]) redrawn: each
 * entity once, however many parties it has. */
void tb_draw_discounts(const tb_draw_params *P, int draw, const tb_entity_row *rows, const int64_t *which,
                       const int64_t *entity, int64_t n, double *disc);
/* One row per party of batch b, in party order (the kernel then reads them sequentially): party
 * q's row with the redrawn discount factor disc[slot[q]]. */
void tb_draw_party_rows(const tb_deal_batch *b, const int64_t *slot, const double *disc, tb_entity_row *out);

#endif
