#include "tb_network_stage.h"

#include "tb_block.h"
#include "tb_comm.h"
#include "tb_error.h"
#include "tb_network_file.h"
#include "tb_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Items a rank routes at once: 64 MiB of (entity, value), so routing needs no copy of the whole list. */
#define TB_ROUTE_CHUNK ((int64_t)1 << 22)

/* b_e: a policy's direct values summed by entity in deal order. Source ranks take turns (rank 0's
 * items, in its deal order, then rank 1's...), each in chunks, and the owner adds them as they
 * come: the order of the whole list at any rank count, in bounded memory. */
static int direct_values(const tb_input_dims *D, tb_contrib *c, int64_t lo, int64_t n, double *b) {
  int rc = TB_OK;
  const int size = tb_comm_size(), rank = tb_comm_rank();
  int *dest = NULL;
  int64_t *chunks = NULL;
  TB_ALLOC(dest, c->n < TB_ROUTE_CHUNK ? (c->n ? c->n : 1) : TB_ROUTE_CHUNK);
  TB_ALLOC(chunks, size);
  memset(chunks, 0, sizeof(int64_t) * (size_t)size);
  chunks[rank] = (c->n + TB_ROUTE_CHUNK - 1) / TB_ROUTE_CHUNK;
  TB_GUARD(tb_comm_allreduce_i64(chunks, size, TB_OP_SUM));
  memset(b, 0, sizeof(double) * (size_t)n);
  for (int src = 0; src < size; src++)
    for (int64_t j = 0; j < chunks[src]; j++) {
      const int64_t at = j * TB_ROUTE_CHUNK, m = src != rank ? 0 : c->n - at < TB_ROUTE_CHUNK ? c->n - at : TB_ROUTE_CHUNK;
      const tb_direct_item *items = c->v + (src == rank ? at : 0);
      tb_direct_item *recv = NULL;
      int64_t nrecv = 0;
      for (int64_t k = 0; k < m; k++) dest[k] = tb_block_owner(D->N, size, items[k].entity);
      TB_GUARD(tb_comm_route(items, dest, m, sizeof(tb_direct_item), (void **)&recv, &nrecv));
      for (int64_t k = 0; k < nrecv; k++) b[recv[k].entity - lo] += recv[k].value;
      free(recv);
      if (c->f.p && m) tb_spill_release(&c->f, items, m * (int64_t)sizeof(tb_direct_item));
    }
done:
  free(dest), free(chunks);
  return rc;
}

/* Section 6 for every policy: direct values, then the Jacobi iteration; the recommended
 * policy's entity values written. */
int tb_network_stage(tb_job *J, tb_h5 *out, const tb_config *cfg, tb_run_result *M, tb_run_stats *S) {
  int rc = TB_OK;
  const double t = tb_now();
  tb_network *G = &J->G;
  double *b = NULL, *x = NULL;
  if (!J->have_net) TB_GUARD(tb_network_read(&J->in, &J->D, G));
  J->have_net = 1;
  TB_ALLOC(b, G->n);
  TB_ALLOC(x, G->n);
  TB_ALLOC(M->net, M->nres);
  for (int p = 0; p < M->nres; p++) {
    TB_GUARD(direct_values(&J->D, &M->contribs[p], G->lo, G->n, b));
    TB_GUARD(tb_network_solve(&J->be, G, b, cfg->alpha, cfg->net_tol, (int)cfg->net_max_iter, x, &M->net[p]));
    M->res[p].network_multiplier = M->net[p].network_multiplier;
    if (p == M->best && out) TB_GUARD(tb_network_write(out, &J->D, G, b, x, &M->net[p]));
  }
  S->t[TB_ST_NETWORK] += tb_now() - t;
done:
  free(b), free(x);
  return rc;
}

void tb_network_stage_print(const tb_run_result *M) {
  if (tb_comm_rank() != 0 || !M->net) return;
  const tb_network_stats *b = &M->net[M->best];
  printf("  network (recommended policy): multiplier %.6g, %d Jacobi iterations, residual %.2e\n", b->network_multiplier,
         b->iterations, b->residual);
  if (tb_comm_size() > 1)
    printf("  network halo: %lld entities fetched from other ranks each iteration (%lld on the busiest rank)\n",
           (long long)b->halo_sum, (long long)b->halo_max);
  for (int p = 0; p < M->nres; p++)
    if (!M->net[p].converged)
      printf("  WARNING: network iteration of policy %s did not converge in %d iterations (residual %.2e > "
             "network.tol); its network values are the last iterate\n", M->res[p].name, M->net[p].iterations,
             M->net[p].residual);
  fflush(stdout);
}
