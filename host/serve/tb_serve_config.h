/* The config of `tradebal serve` (docs/api.md "Configuration"): an INI file, every key with a default. */
#ifndef TB_SERVE_CONFIG_H
#define TB_SERVE_CONFIG_H

#include <stdint.h>

typedef struct {
  /* [server] */
  char bind[64];          /* 127.0.0.1: loopback unless the operator says otherwise */
  int port;               /* 8080; 0: any free port (printed and written to port_file) */
  char data_root[4096];   /* inputs, configs and outputs live under it; no path leaves it */
  char state_dir[4096];   /* the job store (SQLite) and each run's folder; default DATA_ROOT/.tradebal-serve */
  char token_file[4096];  /* "sha256-hex scopes name" lines; empty: no tokens, only with auth = none */
  int auth_none;          /* auth = none: every caller has every scope (loopback binds only) */
  char port_file[4096];   /* when set, the bound port is written here once the server listens */
  char web_root[4096];    /* static files served at / (the dashboard); empty: none (after the check: the
                           * build's dashboard when web_root was not given) */
  /* [limits] */
  int64_t max_body;       /* bytes of a request body (16 MiB) */
  int64_t max_batch;      /* deals in one /v1/deals/evaluate batch (100000) */
  int max_json_depth;     /* nesting of a request body (32) */
  int workers;            /* threads of the worker pool (CPUs) */
  int queue;              /* requests waiting for a worker beyond the busy ones (256); then 503 */
  int io_threads;         /* HTTP threads (2) */
  int max_connections;    /* open connections (8192) */
  int connection_timeout; /* seconds an idle connection is kept (30) */
  double queue_timeout;   /* seconds a request may wait for a worker before a 503 (5) */
  double max_wait;        /* the longest ?wait= of a long poll (60) */
  int max_parked;         /* long polls held at once (4096) */
  int64_t max_slice;      /* elements of one h5grove data answer (4 Mi) */
  /* [runs] */
  char executor[16];      /* local or slurm */
  int max_running;        /* local runs at once (1) */
  int ranks;              /* MPI ranks of a run (1: no mpiexec) */
  int threads;            /* backend.threads of a run (0: the program's default) */
  char mpiexec[256];      /* mpiexec */
  char sbatch_args[1024]; /* extra sbatch options, e.g. "-p debug" */
  char jobs_dir[4096];    /* the Slurm scripts (default: jobs/ of the source tree) */
  char tradebal[4096];    /* the program runs use (default: this program) */
  double poll_interval;   /* seconds between sacct polls (2) */
} tb_serve_config;

void tb_serve_config_defaults(tb_serve_config *c);
/* Read an INI file over the defaults; an unknown key is an error naming file, line and key (exit 2). */
int tb_serve_config_load(tb_serve_config *c, const char *path);
/* One "section.key=value" override (the --set of the command line). */
int tb_serve_config_set(tb_serve_config *c, const char *kv);
/* Resolve paths and check ranges (exit 2). */
int tb_serve_config_check(tb_serve_config *c);
/* The key table as markdown (docs/api.md's configuration section). */
void tb_serve_config_doc(void *file);

#endif
