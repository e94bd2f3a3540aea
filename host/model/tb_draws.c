#include "tb_draws.h"

#include "tb_rng.h"

#include <math.h>

double tb_draw_normal(const tb_draw_params *P, uint64_t item, int draw, int purpose) {
  return tb_normal(tb_philox(P->seed, item, (uint32_t)draw, (uint32_t)purpose));
}

void tb_draw_probs(const tb_draw_params *P, int draw, int64_t c0, int64_t nc, const double *p, double *out) {
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < nc; c++) {
    const double v = p[c] * exp(P->sigma_p * tb_draw_normal(P, (uint64_t)(c0 + c), draw, TB_DRAW_PROB));
    out[c] = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
  }
}

double tb_draw_rate(const tb_draw_params *P, int draw, int64_t entity, double r) {
  const double v = r + P->sigma_r * tb_draw_normal(P, (uint64_t)entity, draw, TB_DRAW_RATE);
  return v > -0.99 ? v : nextafter(-0.99, 0.0);
}

double tb_draw_epsilon(const tb_draw_params *P, int draw, double epsilon) {
  return epsilon * exp(P->sigma_e * tb_draw_normal(P, 0, draw, TB_DRAW_EPSILON));
}

void tb_draw_discounts(const tb_draw_params *P, int draw, const tb_entity_row *rows, const int64_t *which,
                       const int64_t *entity, int64_t n, double *disc) {
#pragma omp parallel for schedule(static)
  for (int64_t u = 0; u < n; u++) {
    const double v = rows[which[u]].disc;
    /* The row keeps v = 1 / (1 + r); r comes back as 1/v - 1, within an ulp of 1 + r, far below
     * any noise. With sigma_r = 0 the row is untouched, so such a draw is the deterministic run. */
    disc[u] = P->sigma_r != 0.0 ? 1.0 / (1.0 + tb_draw_rate(P, draw, entity[u], 1.0 / v - 1.0)) : v;
  }
}

void tb_draw_party_rows(const tb_deal_batch *b, const int64_t *slot, const double *disc, tb_entity_row *out) {
#pragma omp parallel for schedule(static)
  for (int64_t q = 0; q < b->nparty; q++) {
    out[q] = b->rows[b->party_row[q]];
    out[q].disc = disc[slot[q]];
  }
}
