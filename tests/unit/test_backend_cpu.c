/* The CPU backend (chunks, vector pow) against plain scalar tb_deal_eval on synthetic
 * batches with 255-party deals, binding and zero caps, zero trade values and period gaps:
 * values within 1e-12, statuses identical. Also exercises tb_synth.h, which the GPU test uses. */
#include "tb_backend.h"
#include "tb_synth.h"
#include "tb_test.h"

int main(void) {
  tb_synth x;
  tb_synth_batch(&x, 50000, 499, 300);
  const int64_t nd = x.b.ndeal, n = tb_synth_nout(&x);
  double *ref = malloc(8 * (size_t)n), *got = malloc(8 * (size_t)n);
  tb_backend be;
  CHECK(tb_backend_open(&be, TB_BACKEND_CPU, 0, 0) == 0, "cpu backend");
  for (int rule = 0; rule < 2; rule++)
    for (int split = 0; split < 3; split++) {
      tb_deal_params P = {rule, split, TB_SCOPE_ALL, 0.5};
      for (int64_t d = 0; d < nd; d++) tb_deal_eval(&P, &x.b, d); /* scalar pow, one deal at a time */
      tb_synth_outputs(&x, ref);
      tb_synth_poison(&x);
      CHECK(tb_backend_deal_stage(&be, &P, &x.b) == 0, "deal stage");
      tb_synth_outputs(&x, got);
      int64_t bad, sbad;
      tb_synth_differ(&x, ref, got, 1e-12, &bad, &sbad);
      CHECK(bad == 0 && sbad == 0, "rule %d split %d: %lld values, %lld statuses differ", rule, split,
            (long long)bad, (long long)sbad);
    }
  int wide = 0;
  for (int64_t d = 0; d < nd; d++) wide += x.pp[d + 1] - x.pp[d] == TB_MAX_PARTIES;
  CHECK(wide >= 50, "synthetic batch has %d deals of 255 parties", wide);
  tb_backend_close(&be);
  tb_synth_free(&x);
  free(ref), free(got);
  return TEST_SUMMARY();
}
