/* tradebal: command-line entry. Only main() exits; everything else returns codes. */
#include "tb_ckpt.h"
#include "tb_config.h"
#include "tb_error.h"
#include "tb_generate.h"
#include "tb_h5.h"
#include "tb_input.h"
#include "tb_match.h"
#include "tb_run.h"
#include "tb_sweep_out.h"
#include "tb_version.h"
#include "../mpi/tb_comm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "usage: tradebal <command> [options]\n"
    "commands:\n"
    "  run -c CONFIG [--set section.key=value]... [-o OUT] [--overwrite]\n"
    "      [--resume auto|never] [--walltime SECONDS|[D-]HH:MM:SS]\n"
    "      evaluate every deal and assess the policies (MODEL.md sections 2-8), write OUT (HDF5);\n"
    "      with a [sweep] (section 9): one metrics row per scenario and the sensitivity tables;\n"
    "      SIGTERM, SIGUSR1 or the walltime: checkpoint at the next safe point and exit 7\n"
    "  generate -o OUT [--entities N] [--deals M] [--regions R] [--periods T]\n"
    "           [--sectors S] [--seed X] [--batch B] [--overwrite]\n"
    "      write a seeded synthetic input (the same file at any rank count)\n"
    "  merge -o OUT SHARD... [--overwrite]\n"
    "      join the shard files of one sweep (sweep.shard=i of sweep.shards=n, in order) into\n"
    "      the file an unsharded run writes\n"
    "  validate FILE   check every rule of MODEL.md section 1\n"
    "  match INPUT -o OUT [--overwrite]\n"
    "      the certificate exchange: continuous double auction of /market/orders per region\n"
    "  version         print the version\n"
    "options for every command: -v (traceback on errors)\n"
    "exit codes: 0 ok, 1 internal, 2 usage/config, 3 invalid input, 4 output, 5 GPU, 6 MPI,\n"
    "            7 stopped at a safe point with a checkpoint (resubmit with --resume auto), 8 out of memory\n";

static int parse_i64(const char *opt, const char *v, int64_t *out) {
  char *end;
  errno = 0;
  long long x = v ? strtoll(v, &end, 10) : 0;
  if (!v || errno || end == v || *end || x < 0)
    return TB_ERR(TB_ERR_USAGE, "%s needs a non-negative integer, got '%s'", opt, v ? v : "");
  *out = x;
  return TB_OK;
}

/* Seconds from "3600", "90:00" (MM:SS), "1:30:00" or "2-01:30:00" (Slurm's forms). */
static int parse_walltime(const char *v, double *out) {
  long long f[4] = {0, 0, 0, 0}, days = 0;
  int n = 0;
  const char *p = v ? v : "";
  char *end;
  if (strchr(p, '-')) {
    days = strtoll(p, &end, 10);
    if (end == p || *end != '-' || days < 0) goto bad;
    p = end + 1;
  }
  for (;;) {
    errno = 0;
    f[n++] = strtoll(p, &end, 10);
    if (end == p || errno || f[n - 1] < 0) goto bad;
    if (*end == 0) break;
    if (*end != ':' || n == 3) goto bad;
    p = end + 1;
  }
  *out = n == 1 && !days ? (double)f[0] : n == 1 ? days * 86400.0 + f[0] * 3600.0
       : n == 2 ? days * 86400.0 + (days ? f[0] * 3600.0 + f[1] * 60.0 : f[0] * 60.0 + f[1])
                : days * 86400.0 + f[0] * 3600.0 + f[1] * 60.0 + f[2];
  return TB_OK;
bad:
  return TB_ERR(TB_ERR_USAGE, "--walltime needs seconds or [D-]HH:MM:SS, got '%s'", v ? v : "");
}

static int cmd_run(int argc, char **argv) {
  tb_config cfg;
  tb_config_defaults(&cfg);
  const char *conf = NULL, *out = NULL;
  int overwrite = 0;
  for (int i = 0; i < argc; i++) /* the config file first, so --set wins over it */
    if (!strcmp(argv[i], "-c") && i + 1 < argc) conf = argv[++i];
  if (!conf) return TB_ERR(TB_ERR_USAGE, "run: -c CONFIG is required");
  TB_CALL(tb_config_load(&cfg, conf));
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "-c")) i++;
    else if (!strcmp(argv[i], "--set") && i + 1 < argc) TB_CALL(tb_config_set(&cfg, argv[++i]));
    else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--overwrite")) overwrite = 1;
    else if (!strcmp(argv[i], "--walltime") && i + 1 < argc) TB_CALL(parse_walltime(argv[++i], &cfg.walltime));
    else if (!strcmp(argv[i], "--resume") && i + 1 < argc) {
      char set[64];
      snprintf(set, sizeof set, "checkpoint.resume=%s", argv[++i]);
      TB_CALL(tb_config_set(&cfg, set));
    } else if (strcmp(argv[i], "-v")) return TB_ERR(TB_ERR_USAGE, "run: unknown option '%s'", argv[i]);
  }
  if (out) snprintf(cfg.output_file, sizeof cfg.output_file, "%s", out);
  if (overwrite) cfg.overwrite = 1;
  tb_ckpt_catch_signals();
  return tb_run(&cfg);
}

static int cmd_generate(int argc, char **argv) {
  tb_gen_params g = {1000, 10000, 8, 5, 16, 42, 65536, 0};
  const char *out = NULL;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    static const char *const NAMES[] = {"--entities", "--deals", "--regions", "--periods",
                                        "--sectors", "--batch", "--seed"};
    int64_t *const FIELDS[] = {&g.N, &g.M, &g.R, &g.T, &g.S, &g.batch, (int64_t *)&g.seed};
    int k = 0;
    while (k < 7 && strcmp(a, NAMES[k])) k++;
    if (!strcmp(a, "-o") && v) out = argv[++i];
    else if (k < 7) {
      TB_CALL(parse_i64(a, v, FIELDS[k]));
      i++;
    }
    else if (!strcmp(a, "--overwrite")) g.overwrite = 1;
    else if (strcmp(a, "-v")) return TB_ERR(TB_ERR_USAGE, "generate: unknown option '%s'", a);
  }
  if (!out) return TB_ERR(TB_ERR_USAGE, "generate: -o OUT is required");
  return tb_generate(&g, out);
}

static int cmd_match(int argc, char **argv) {
  const char *in = NULL, *out = NULL;
  int overwrite = 0;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--overwrite")) overwrite = 1;
    else if (!strcmp(argv[i], "-v")) continue;
    else if (argv[i][0] == '-' || in) return TB_ERR(TB_ERR_USAGE, "match: unexpected argument '%s'", argv[i]);
    else in = argv[i];
  }
  if (!in || !out) return TB_ERR(TB_ERR_USAGE, "match: usage: tradebal match INPUT -o OUT [--overwrite]");
  return tb_match(in, out, overwrite);
}

static int cmd_merge(int argc, char **argv) {
  const char *out = NULL;
  int overwrite = 0, n = 0;
  char **files = calloc((size_t)(argc ? argc : 1), sizeof *files);
  if (!files) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--overwrite")) overwrite = 1;
    else if (!strcmp(argv[i], "-v")) continue;
    else if (argv[i][0] == '-') {
      free(files);
      return TB_ERR(TB_ERR_USAGE, "merge: unexpected option '%s'", argv[i]);
    } else files[n++] = argv[i];
  }
  int rc = out && n ? tb_merge(out, n, files, overwrite)
                    : TB_ERR(TB_ERR_USAGE, "merge: usage: tradebal merge -o OUT SHARD... [--overwrite]");
  free(files);
  return rc;
}

static int cmd_validate(int argc, char **argv) {
  const char *file = NULL;
  for (int i = 0; i < argc; i++)
    if (strcmp(argv[i], "-v")) {
      if (file) return TB_ERR(TB_ERR_USAGE, "validate: one FILE expected");
      file = argv[i];
    }
  if (!file) return TB_ERR(TB_ERR_USAGE, "validate: FILE is required");
  tb_h5 f;
  tb_input_dims D;
  TB_CALL(tb_comm_agree(tb_h5_open(&f, file)));
  int rc = tb_input_validate(&f, &D);
  tb_h5_close(&f);
  if (rc) return rc;
  if (tb_comm_rank() == 0)
    printf("%s: valid: %lld entities, %lld deals, %lld parties, %lld components, %lld flows, "
           "%lld edges, %lld regions, %lld periods, %lld sectors\n", file, (long long)D.N,
           (long long)D.M, (long long)D.P, (long long)D.C, (long long)D.F, (long long)D.E,
           (long long)D.R, (long long)D.T, (long long)D.S);
  return TB_OK;
}

int main(int argc, char **argv) {
  int verbose = 0;
  for (int i = 1; i < argc; i++) verbose |= !strcmp(argv[i], "-v");
  if (tb_comm_init(&argc, &argv)) {
    tb_error_print("tradebal", verbose);
    return TB_ERR_MPI;
  }
  tb_h5_quiet();
  int rc;
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "run")) rc = cmd_run(argc - 2, argv + 2);
  else if (!strcmp(cmd, "generate")) rc = cmd_generate(argc - 2, argv + 2);
  else if (!strcmp(cmd, "validate")) rc = cmd_validate(argc - 2, argv + 2);
  else if (!strcmp(cmd, "match")) rc = cmd_match(argc - 2, argv + 2);
  else if (!strcmp(cmd, "merge")) rc = cmd_merge(argc - 2, argv + 2);
  else if (!strcmp(cmd, "version")) {
    if (tb_comm_rank() == 0) printf("tradebal %s (output format %d)\n", TB_VERSION, TB_FORMAT_VERSION);
    rc = TB_OK;
  } else if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    if (tb_comm_rank() == 0) fputs(USAGE, stdout);
    rc = TB_OK;
  } else {
    rc = TB_ERR(TB_ERR_USAGE, "unknown command '%s' (try tradebal --help)", cmd);
    tb_error_adopt(rc, tb_error_message());
  }
  /* a last agreement: a rank whose peers are stuck elsewhere aborts them all (tb_comm_agree) */
  rc = tb_comm_agree(rc);
  if (rc && !tb_error_is_remote() && (!tb_error_is_shared() || tb_comm_rank() == 0))
    tb_error_print("tradebal", verbose);
  tb_comm_finalize();
  return rc;
}
