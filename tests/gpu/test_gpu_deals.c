/* GPU tests (label gpu): the CUDA backend against the CPU backend on random deals and
 * edge cases (binding caps, infeasible deals, 255 parties, zero trade value, negative
 * values, gaps in cash-flow periods). Values within 1e-12 relative, statuses identical.
 * Exits 77 (skipped) where no CUDA device is visible. */
#include "tb_backend.h"
#include "tb_synth.h"
#include "tb_test.h"

#include <stdlib.h>
#include <string.h>

int tb_cuda_device_count(void);

static void compare(const char *what, const tb_deal_params *P, tb_synth *x) {
  const int64_t n = tb_synth_nout(x);
  double *cpu = malloc(8 * (size_t)n), *gpu = malloc(8 * (size_t)n);
  tb_backend c, g;
  CHECK(tb_backend_open(&c, TB_BACKEND_CPU, 0, 0) == 0, "cpu backend");
  CHECK(tb_backend_open(&g, TB_BACKEND_CUDA, 0, 0) == 0, "cuda backend");
  tb_backend_deal_stage(&c, P, &x->b);
  tb_synth_outputs(x, cpu);
  tb_synth_poison(x); /* every output must be written */
  CHECK(tb_backend_deal_stage(&g, P, &x->b) == 0, "%s: cuda deal stage", what);
  tb_synth_outputs(x, gpu);
  int64_t bad, bads;
  tb_synth_differ(x, cpu, gpu, 1e-12, &bad, &bads);
  CHECK(bad == 0, "%s: %lld values differ beyond 1e-12", what, (long long)bad);
  CHECK(bads == 0, "%s: %lld statuses differ", what, (long long)bads);
  tb_backend_close(&c);
  tb_backend_close(&g);
  free(cpu), free(gpu);
}

int main(void) {
  if (tb_cuda_device_count() <= 0) {
    printf("skip: no CUDA device\n");
    return 77;
  }
  tb_synth x;
  const char *nd = getenv("TB_GPU_TEST_DEALS"); /* fewer under compute-sanitizer */
  tb_synth_batch(&x, nd && atoll(nd) > 0 ? atoll(nd) : 200000, 997, 300);
  const int rules[2] = {TB_VALUE_EXPECTED, TB_VALUE_MIN_ADJUSTED};
  for (int r = 0; r < 2; r++)
    for (int sp = 0; sp < 3; sp++)
      for (int sc = 0; sc < 2; sc++) {
        tb_deal_params P = {rules[r], sp, sc, 0.5};
        char what[64];
        snprintf(what, sizeof what, "rule %d split %d scope %d", r, sp, sc);
        compare(what, &P, &x);
      }
  /* section 5 import charges, some NaN (not traded) */
  double *charge = malloc(sizeof(double) * (size_t)x.b.ndeal);
  for (int64_t d = 0; d < x.b.ndeal; d++) charge[d] = d % 7 == 3 ? NAN : (double)(d % 5) * 0.75;
  x.b.charge = charge;
  tb_deal_params Pc = {TB_VALUE_EXPECTED, TB_SPLIT_EGALITARIAN, TB_SCOPE_ALL, 0.5};
  compare("import charges", &Pc, &x);
  x.b.charge = NULL;
  free(charge);
  /* streaming: tiny device slots force hundreds of sub-batches through both streams */
  setenv("TB_CUDA_SLOT_BYTES", "200000", 1);
  tb_deal_params P = {TB_VALUE_EXPECTED, TB_SPLIT_NASH, TB_SCOPE_ALL, 0.5};
  compare("streamed in small slots", &P, &x);
  tb_synth_free(&x);
  return TEST_SUMMARY();
}
