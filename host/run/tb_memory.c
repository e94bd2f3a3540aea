#include "tb_memory.h"

#include "tb_error.h"
#include "tb_deal_math.h"
#include "tb_stream.h"
#include "tb_comm.h"
#include "tb_spill.h"
#include "tb_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const char *const PART[TB_MEM_NPARTS] = {"deal table", "markets and draw tables", "deal batch", "entities",
                                                "policy results", "direct values", "network", "IO tables"};
static const double GB = 1073741824.0;

static double ceil_div(double a, double b) { return ceil(a / (b > 0 ? b : 1)); }

static double sum(const double *v, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += v[i];
  return s;
}

/* One rank's share of the input, as both estimates see it. */
typedef struct {
  double n, ne, p, b; /* deals, entities, mean parties per deal, deals of a batch held at once */
} rank_share;

static rank_share share_of(const tb_config *cfg, const tb_input_dims *D, int ranks, int cache) {
  rank_share r = {ceil_div((double)D->M, ranks), ceil_div((double)D->N, ranks), 0, 0};
  r.p = (double)D->P / (D->M > 0 ? (double)D->M : 1.0);
  r.b = cache ? r.n : fmin((double)cfg->batch_deals, r.n);
  return r;
}

/* Bytes of a batch of b deals with the input's mean parties, components and flows per deal: the host
 * buffers of tb_deal_buffers and the remote entity rows its parties fetch (none on one rank). */
static double batch_bytes(const tb_input_dims *D, double b, double remote_max) {
  const double M = D->M > 0 ? (double)D->M : 1.0;
  const double p = (double)D->P / M, c = (double)D->C / M, f = (double)D->F / M;
  return b * (37.0 + p * 80.0 + c * 17.0 + f * 12.0) + sizeof(tb_entity_row) * fmin(b * p, remote_max);
}

/* A run's memory comes in three phases, each with what it adds to the parts every phase holds (the deal
 * table and market book, a batch, the entities, the policy results, the IO tables):
 *   deals    pass 1: the draw tables as they fill (spilled: a batch's share) and the draws' scratch
 *            (a row, slot and id a party, a probability a component: about 200 bytes a deal of a batch)
 *   markets  funding and every policy: a book's deal records and, while one is built, its sort keys
 *            (about 60 bytes a deal: 80 an eligible one, 3 in 4 are), and the draw tables
 *   network  pass 2 and section 6: the direct values (16 bytes a party of a traded deal, about 3 in 4;
 *            spilled: a batch's, and a routed chunk) and the network, whose edges are read, routed to
 *            their targets' owners and sorted (about 100 bytes an edge at the peak, 64 on one rank, 16 after)
 * The plan is the largest phase, measured within 10% at 2*10^5, 2*10^6, 10^7 and 10^8 deals (issue 25). */
void tb_memory_estimate(const tb_config *cfg, const tb_input_dims *D, int ranks, int cache, int spill,
                        tb_mem_plan *P) {
  memset(P, 0, sizeof *P);
  P->spill = spill;
  const rank_share r = share_of(cfg, D, ranks, cache);
  const double n = r.n, ne = r.ne, p = r.p, b = r.b, K = (double)cfg->draws;
  const double Q = (double)cfg->npolicies, RT = (double)D->R * (double)D->T, S = (double)D->S;
  const double scratch = K > 0 ? 200.0 * fmin((double)cfg->batch_deals, n) : 0.0;
  P->part[TB_MEM_DEALS] = n * (50.0 + 24.0); /* tb_deal_table; the book's order and prefix sums (kept for pass 2) */
  P->part[TB_MEM_BATCH] = batch_bytes(D, b, (double)D->N - ne);
  P->part[TB_MEM_ENTITIES] = ne * sizeof(tb_entity_row);
  P->part[TB_MEM_POLICIES] = Q * (64.0 * RT + n + 16.0 * S) + Q * K * (400.0 + 16.0 * S); /* draws keep totals */
  P->part[TB_MEM_IO] = 4.0 * S * S * 8.0;
  const double pass1 = (spill ? K * fmin((double)cfg->batch_deals, n) * 17.0 : K * n * 17.0) + scratch;
  const double markets = 60.0 * n + (spill ? fmin(K, 1.0) * n * 17.0 + K * b * 17.0 : K * n * 17.0);
  P->part[TB_MEM_DRAWS] = fmax(pass1, markets);
  P->part[TB_MEM_DIRECT] = spill ? Q * b * p * 16.0 + 36.0 * fmin(4194304.0, n * p) : 0.76 * Q * n * p * 16.0;
  P->part[TB_MEM_NETWORK] = ceil_div((double)D->E, ranks) * (ranks > 1 ? 100.0 : 64.0) + ne * 64.0;
  /* spilled files: every draw's tables, later at most every party's direct value for each policy */
  P->spill_bytes = spill ? fmax(K * n * 17.0, Q * n * p * 16.0) : 0.0; /* the tables' file is gone before pass 2 */
  const double second = P->part[TB_MEM_DIRECT] + P->part[TB_MEM_NETWORK];
  P->data = sum(P->part, TB_MEM_NPARTS) - fmin(P->part[TB_MEM_DRAWS], second);
}

/* Bytes this node can still give: MemAvailable, or less when a cgroup (a Slurm job) caps it. */
static double node_available(char *from, size_t size) {
  double avail = 0, kb = 0, max = 0, cur = 0;
  char key[64];
  FILE *f = fopen("/proc/meminfo", "r");
  while (f && fscanf(f, "%63s %lf kB", key, &kb) == 2)
    if (!strcmp(key, "MemAvailable:")) avail = kb * 1024.0;
  if (f) fclose(f);
  snprintf(from, size, "MemAvailable");
  f = fopen("/sys/fs/cgroup/memory.max", "r");
  const int capped = f && fscanf(f, "%lf", &max) == 1;
  if (f) fclose(f);
  f = fopen("/sys/fs/cgroup/memory.current", "r");
  if (capped && f && fscanf(f, "%lf", &cur) == 1 && max - cur < avail) {
    avail = max - cur;
    snprintf(from, size, "the job's cgroup memory.max less its use");
  }
  if (f) fclose(f);
  return avail;
}

static void find_limit(const tb_config *cfg, tb_mem_plan *P) {
  if (cfg->memory_limit > 0) {
    P->limit = cfg->memory_limit * GB;
    snprintf(P->limit_from, sizeof P->limit_from, "run.memory_limit = %g GB", cfg->memory_limit);
    return;
  }
  char from[64];
  const double avail = node_available(from, sizeof from);
  const int local = tb_comm_local_size();
  /* available memory excludes what the ranks hold already: their base comes back on top */
  P->limit = avail > 0 ? 0.9 * avail / local + P->base : 0;
  snprintf(P->limit_from, sizeof P->limit_from, "auto: 90%% of %.2f GB available (%s) over %d rank(s) on this "
           "node, plus the %.2f GB each holds already; set run.memory_limit to override", avail / GB, from, local,
           P->base / GB);
}

static void describe(const tb_mem_plan *P, char *out, size_t size) {
  size_t used = 0;
  out[0] = 0;
  for (int i = 0; i < TB_MEM_NPARTS && used < size; i++)
    if (P->part[i] >= 0.01 * P->data)
      used += (size_t)snprintf(out + used, size - used, "%s%s %.2f GB", used ? ", " : "", PART[i],
                               P->part[i] / GB);
  if (used < size) snprintf(out + used, size - used, "%slibraries and input metadata %.2f GB", used ? ", " : "",
                            P->base / GB);
}

/* A way out: the ranks that would fit (data falls about as 1/ranks), fewer draws, smaller batches. */
static void remedy(const tb_config *cfg, const tb_input_dims *D, const tb_mem_plan *P, char *out, size_t size) {
  const double room = P->limit - P->base, ranks = tb_comm_size();
  size_t used = (size_t)snprintf(out, size, "use more ranks (about %.0f)", ceil(ranks * P->data / fmax(room, 1.0)));
  if (P->part[TB_MEM_DRAWS] > 0.25 * P->data && used < size)
    used += (size_t)snprintf(out + used, size - used, ", fewer assessment.draws (%lld take %.2f GB a rank)",
                             (long long)cfg->draws, P->part[TB_MEM_DRAWS] / GB);
  const double other = P->data - P->part[TB_MEM_BATCH], per = batch_bytes(D, 1.0, 1.0);
  if (P->part[TB_MEM_BATCH] > 0.25 * P->data && room > other && used < size)
    snprintf(out + used, size - used, " or run.batch_deals = %.0f", fmax(1.0, floor((room - other) / per)));
}

/* Free bytes of the scratch folder, the smallest over the ranks; < 0 when it cannot be read. */
static int scratch_free(const tb_config *cfg, double *bytes, char *dir, int size) {
  struct statvfs v;
  tb_spill_dir(cfg->scratch_dir, dir, size);
  *bytes = statvfs(dir, &v) == 0 ? (double)v.f_bavail * (double)v.f_frsize : -1.0;
  return tb_comm_allreduce_f64(bytes, 1, TB_OP_MIN);
}

int tb_memory_check(const tb_config *cfg, const tb_input_dims *D, int cache, tb_mem_plan *P) {
  tb_memory_estimate(cfg, D, tb_comm_size(), cache, cfg->spill == 1, P);
  double base = tb_resident_bytes(); /* the libraries and what is loaded already */
  TB_CALL(tb_comm_allreduce_f64(&base, 1, TB_OP_MAX));
  find_limit(cfg, P);
  TB_CALL(tb_comm_allreduce_f64(&P->limit, 1, TB_OP_MIN)); /* the tightest node decides, on every rank alike */
  P->base = base, P->total = P->data + base;
  if (cfg->spill == 0 && P->limit > 0 && P->total > P->limit) { /* auto: spill when that is what fits */
    tb_mem_plan S = *P;
    tb_memory_estimate(cfg, D, tb_comm_size(), cache, 1, &S);
    S.base = base, S.total = S.data + base, S.limit = P->limit;
    memcpy(S.limit_from, P->limit_from, sizeof S.limit_from);
    if (S.total < P->total) *P = S;
  }
  if (P->spill) {
    char dir[TB_PATH_MAX];
    double avail = 0;
    TB_CALL(scratch_free(cfg, &avail, dir, sizeof dir));
    const double need = P->spill_bytes * tb_comm_local_size();
    if (avail >= 0 && need > avail)
      return TB_ERR(TB_ERR_MEMORY, "%s: the run spills up to %.2f GB per rank to %s (run.scratch_dir) but it has "
                    "%.2f GB free for the node's %d rank(s); free space there, set run.scratch_dir, or use more nodes",
                    cfg->input_file, P->spill_bytes / GB, dir, avail / GB, tb_comm_local_size());
  }
  if (P->limit <= 0 || P->total <= P->limit) return TB_OK;
  char parts[512], way[320];
  describe(P, parts, sizeof parts);
  remedy(cfg, D, P, way, sizeof way);
  return TB_ERR(TB_ERR_MEMORY, "%s: the run needs about %.2f GB per rank (%s) but may use %.2f GB (%s); %s",
                cfg->input_file, P->total / GB, parts, P->limit / GB, P->limit_from, way);
}

/* ---- the device ---- */

double tb_memory_device_estimate(const tb_config *cfg, const tb_input_dims *D, int ranks, int cache,
                                 double part[TB_DEV_NPARTS]) {
  const rank_share r = share_of(cfg, D, ranks, cache);
  const double ne = r.ne, S = (double)D->S, remote = fmin(r.b * r.p, (double)D->N - ne);
  part[TB_DEV_ROWS] = (ne + remote) * 1.25 * sizeof(tb_entity_row); /* the table grows by a quarter */
  part[TB_DEV_BUFFERS] = 2.0 * 1.25 * TB_STREAM_MIN_SLOT_BYTES;
  part[TB_DEV_NETWORK] = (ne + 1.0) * 8.0 + ceil_div((double)D->E, ranks) * 16.0 + 2.0 * (double)D->N * 8.0;
  part[TB_DEV_LU] = 2.0 * S * S * 8.0;
  return sum(part, TB_DEV_NPARTS);
}

int tb_memory_device_verdict(const tb_config *cfg, const double part[TB_DEV_NPARTS], double free_bytes,
                             int sharers) {
  static const char *const DEV[TB_DEV_NPARTS] = {"entity rows", "deal buffers at their smallest", "network",
                                                 "LU factors"};
  const double need = sum(part, TB_DEV_NPARTS);
  char from[160];
  double limit = cfg->device_memory_limit * GB;
  if (limit > 0) snprintf(from, sizeof from, "run.device_memory_limit = %g GB", cfg->device_memory_limit);
  else {
    limit = 0.9 * free_bytes / (sharers > 0 ? sharers : 1);
    snprintf(from, sizeof from, "auto: 90%% of the device's %.2f GB free over the %d rank(s) sharing it",
             free_bytes / GB, sharers);
  }
  if (need <= limit) return TB_OK;
  char parts[400];
  size_t used = 0;
  for (int i = 0; i < TB_DEV_NPARTS && used < sizeof parts; i++)
    used += (size_t)snprintf(parts + used, sizeof parts - used, "%s%s %.3f GB", i ? ", " : "", DEV[i], part[i] / GB);
  return TB_ERR(TB_ERR_MEMORY, "device memory: the run needs about %.3f GB per rank on its GPU (%s) but may use "
                "%.3f GB (%s); use more ranks over more GPUs, fewer ranks per GPU, or backend.kind = cpu",
                need / GB, parts, limit / GB, from);
}

int tb_memory_device_check(const tb_config *cfg, const tb_input_dims *D, tb_backend *be, int cache) {
  size_t free_b = 0, total = 0;
  int devices = 0, has_device = 0;
  TB_CALL(tb_backend_device_memory(be, &has_device, &free_b, &total, &devices));
  if (!has_device) return TB_OK;
  double part[TB_DEV_NPARTS];
  tb_memory_device_estimate(cfg, D, tb_comm_size(), cache, part);
  const int local = tb_comm_local_size(), sharers = (local + devices - 1) / (devices > 0 ? devices : 1);
  return tb_memory_device_verdict(cfg, part, (double)free_b, sharers);
}
