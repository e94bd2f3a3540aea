/* GPU tests (label gpu): the CUDA backend against the CPU backend on random deals and
 * edge cases (binding caps, infeasible deals, 255 parties, zero trade value, negative
 * values, gaps in cash-flow periods). Values within 1e-12 relative, statuses identical.
 * Exits 77 (skipped) where no CUDA device is visible. */
#include "backend.h"
#include "tb_model.h"
#include "tb_test.h"

#include <stdlib.h>
#include <string.h>

int tb_cuda_device_count(void);

typedef struct {
  tb_deal_batch b;
  int64_t *pp, *pr, *cp, *fp;
  int32_t *imp, *ft;
  uint8_t *cd, *st;
  double *tv, *cpr, *fa, *val, *tr, *fv, *sur, *bid;
  tb_entity_row *rows;
} batch;

static uint64_t g_seed = 0x9E3779B97F4A7C15ull;
static double ur(void) { /* uniform [0,1) */
  g_seed ^= g_seed << 13, g_seed ^= g_seed >> 7, g_seed ^= g_seed << 17;
  return (double)(g_seed >> 11) * 0x1p-53;
}

/* nd deals; every `wide`-th deal has 255 parties; nent entity rows. */
static void make_batch(batch *x, int64_t nd, int wide, int64_t nent) {
  memset(x, 0, sizeof *x);
  int64_t np = 0, nc = 0, nf = 0;
  x->pp = malloc(sizeof(int64_t) * (nd + 1));
  x->imp = malloc(sizeof(int32_t) * nd);
  x->tv = malloc(sizeof(double) * nd);
  int64_t capp = nd * 8 + 300, capc = capp * 4, capf = capc * 10;
  x->pr = malloc(sizeof(int64_t) * capp);
  x->cp = malloc(sizeof(int64_t) * (capp + 1));
  x->cd = malloc(capc);
  x->cpr = malloc(sizeof(double) * capc);
  x->fp = malloc(sizeof(int64_t) * (capc + 1));
  x->ft = malloc(sizeof(int32_t) * capf);
  x->fa = malloc(sizeof(double) * capf);
  for (int64_t d = 0; d < nd; d++) {
    x->pp[d] = np;
    int n = (wide && d % wide == 0) ? TB_MAX_PARTIES : 2 + (int)(ur() * 7);
    if (np + n > capp) n = 2;
    x->imp[d] = (int32_t)(ur() * n);
    x->tv[d] = ur() < 0.1 ? 0.0 : 10 * ur();
    for (int j = 0; j < n; j++, np++) {
      x->pr[np] = (d * 7 + j) % nent; /* distinct within a deal while n < nent */
      x->cp[np] = nc;
      int k = (n > 8) ? 1 : 1 + (int)(ur() * 4);
      for (int c = 0; c < k && nc < capc; c++, nc++) {
        x->cd[nc] = (uint8_t)(ur() * 5);
        x->cpr[nc] = ur() < 0.1 ? (ur() < 0.5 ? 0.0 : 1.0) : ur();
        x->fp[nc] = nf;
        int m = 1 + (int)(ur() * 10), t = (int)(ur() * 3);
        for (int f = 0; f < m; f++, nf++) {
          t += ur() < 0.8 ? 1 : (int)(ur() * 40); /* consecutive mostly, with gaps */
          x->ft[nf] = f == 0 && ur() < 0.3 ? 0 : t;
          x->fa[nf] = (ur() - 0.3) * 50;
        }
      }
    }
  }
  x->pp[nd] = np;
  x->cp[np] = nc;
  x->fp[nc] = nf;
  x->rows = malloc(sizeof(tb_entity_row) * nent);
  for (int64_t e = 0; e < nent; e++) {
    double w[4] = {ur() + .01, ur(), ur(), ur()}, s = w[0] + w[1] + w[2] + w[3];
    for (int k = 0; k < 4; k++) w[k] /= s;
    tb_entity_factors(tb_default_translation, (int)(ur() * 4), w, x->rows[e].f);
    x->rows[e].disc = 1.0 / (1.0 + 0.2 * ur());
    x->rows[e].rho1 = 1.0 + ur();
    double u = ur();
    x->rows[e].cap = u < 0.3 ? INFINITY : u < 0.4 ? 0.0 : 30 * ur(); /* binding and zero caps */
    x->rows[e].beta = 0.2 + 2 * ur();
  }
  x->val = malloc(sizeof(double) * np);
  x->tr = malloc(sizeof(double) * np);
  x->fv = malloc(sizeof(double) * np);
  x->st = malloc(nd);
  x->sur = malloc(sizeof(double) * nd);
  x->bid = malloc(sizeof(double) * nd);
  x->b = (tb_deal_batch){nd, np, nc, nf, x->pp, x->pr, x->imp, x->tv, x->cp, x->cd, x->cpr, x->fp,
                         x->ft, x->fa, x->rows, nent, nent, x->val, x->tr, x->fv, x->st, x->sur, x->bid,
                         NULL, 0};
}

static void copy_outputs(const batch *x, double *out, uint8_t *st) {
  const int64_t np = x->b.nparty, nd = x->b.ndeal;
  memcpy(out, x->val, 8 * np), memcpy(out + np, x->tr, 8 * np), memcpy(out + 2 * np, x->fv, 8 * np);
  memcpy(out + 3 * np, x->sur, 8 * nd), memcpy(out + 3 * np + nd, x->bid, 8 * nd);
  memcpy(st, x->st, nd);
}

static void compare(const char *what, const tb_deal_params *P, batch *x) {
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
  batch x;
  make_batch(&x, 200000, 997, 300);
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
  return TEST_SUMMARY();
}
