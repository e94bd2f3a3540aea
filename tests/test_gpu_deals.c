/* GPU tests (label gpu): the CUDA backend against the CPU backend on random deals and
 * edge cases (binding caps, infeasible deals, 255 parties, zero trade value, negative
 * values, gaps in cash-flow periods). Values within 1e-12 relative, statuses identical.
 * Exits 77 (skipped) where no CUDA device is visible. */
#include "backend.h"
#include "tb_synth.h"
#include "tb_test.h"

#include <stdlib.h>
#include <string.h>

int tb_cuda_device_count(void);

static void copy_outputs(const tb_synth *x, double *out, uint8_t *st) {
  const int64_t np = x->b.nparty, nd = x->b.ndeal;
  memcpy(out, x->val, 8 * np), memcpy(out + np, x->tr, 8 * np), memcpy(out + 2 * np, x->fv, 8 * np);
  memcpy(out + 3 * np, x->sur, 8 * nd), memcpy(out + 3 * np + nd, x->bid, 8 * nd);
  memcpy(st, x->st, nd);
}

static void compare(const char *what, const tb_deal_params *P, tb_synth *x) {
  const int64_t np = x->b.nparty, nd = x->b.ndeal, nout = 3 * np + 2 * nd;
  double *cpu = malloc(8 * nout), *gpu = malloc(8 * nout);
  uint8_t *scpu = malloc(nd), *sgpu = malloc(nd);
  tb_backend c, g;
  CHECK(tb_backend_open(&c, TB_BACKEND_CPU, 0, 0) == 0, "cpu backend");
  CHECK(tb_backend_open(&g, TB_BACKEND_CUDA, 0, 0) == 0, "cuda backend");
  c.ops->deal_stage(&c, P, &x->b);
  copy_outputs(x, cpu, scpu);
  memset(x->val, 0xff, 8 * np); /* poison: every output must be written */
  memset(x->st, 0xff, nd);
  CHECK(g.ops->deal_stage(&g, P, &x->b) == 0, "%s: cuda deal stage", what);
  copy_outputs(x, gpu, sgpu);
  int64_t bad = 0, bads = 0;
  for (int64_t i = 0; i < nout; i++) {
    double a = cpu[i], b = gpu[i];
    int same = (a == b) || (isnan(a) && isnan(b)) || fabs(a - b) <= 1e-12 * fmax(1.0, fabs(a));
    if (!same && bad++ < 3) fprintf(stderr, "%s: output %lld cpu %.17g gpu %.17g\n", what, (long long)i, a, b);
  }
  for (int64_t d = 0; d < nd; d++) bads += scpu[d] != sgpu[d];
  CHECK(bad == 0, "%s: %lld values differ beyond 1e-12", what, (long long)bad);
  CHECK(bads == 0, "%s: %lld statuses differ", what, (long long)bads);
  tb_backend_close(&c);
  tb_backend_close(&g);
  free(cpu), free(gpu), free(scpu), free(sgpu);
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
  /* streaming: tiny device slots force hundreds of sub-batches through both streams */
  setenv("TB_CUDA_SLOT_BYTES", "200000", 1);
  tb_deal_params P = {TB_VALUE_EXPECTED, TB_SPLIT_NASH, TB_SCOPE_ALL, 0.5};
  compare("streamed in small slots", &P, &x);
  tb_synth_free(&x);
  return TEST_SUMMARY();
}
