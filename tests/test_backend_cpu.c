/* The CPU backend (chunks, vector pow) against plain scalar tb_deal_eval on synthetic
 * batches with 255-party deals, binding and zero caps, zero trade values and period gaps:
 * values within 1e-12, statuses identical. Also exercises tb_synth.h, which the GPU test uses. */
#include "backend.h"
#include "tb_synth.h"
#include "tb_test.h"

int main(void) {
  tb_synth x;
  tb_synth_batch(&x, 50000, 499, 300);
  const int64_t np = x.b.nparty, nd = x.b.ndeal;
  double *ref = malloc(sizeof(double) * (3 * np + 2 * nd));
  uint8_t *st = malloc(nd);
  tb_backend be;
  CHECK(tb_backend_open(&be, TB_BACKEND_CPU, 0, 0) == 0, "cpu backend");
  for (int rule = 0; rule < 2; rule++)
    for (int split = 0; split < 3; split++) {
      tb_deal_params P = {rule, split, TB_SCOPE_ALL, 0.5};
      for (int64_t d = 0; d < nd; d++) tb_deal_eval(&P, &x.b, d); /* scalar pow, one deal at a time */
      memcpy(ref, x.val, 8 * np), memcpy(ref + np, x.tr, 8 * np), memcpy(ref + 2 * np, x.fv, 8 * np);
      memcpy(ref + 3 * np, x.sur, 8 * nd), memcpy(ref + 3 * np + nd, x.bid, 8 * nd), memcpy(st, x.st, nd);
      memset(x.val, 0xff, 8 * np);
      CHECK(be.ops->deal_stage(&be, &P, &x.b) == 0, "deal stage");
      const double *got[5] = {x.val, x.tr, x.fv, x.sur, x.bid};
      const int64_t len[5] = {np, np, np, nd, nd};
      int64_t bad = 0, off = 0, sbad = 0;
      for (int k = 0; k < 5; off += len[k], k++)
        for (int64_t i = 0; i < len[k]; i++) {
          double a = ref[off + i], b = got[k][i];
          bad += !(a == b || fabs(a - b) <= 1e-12 * fmax(1.0, fabs(a)));
        }
      for (int64_t d = 0; d < nd; d++) sbad += st[d] != x.st[d];
      CHECK(bad == 0 && sbad == 0, "rule %d split %d: %lld values, %lld statuses differ", rule, split,
            (long long)bad, (long long)sbad);
    }
  int wide = 0;
  for (int64_t d = 0; d < nd; d++) wide += x.pp[d + 1] - x.pp[d] == TB_MAX_PARTIES;
  CHECK(wide >= 50, "synthetic batch has %d deals of 255 parties", wide);
  tb_backend_close(&be);
  tb_synth_free(&x);
  free(ref), free(st);
  return TEST_SUMMARY();
}
