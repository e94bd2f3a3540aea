/* tradebal: command-line entry. Only main() exits; everything else returns codes. */
#include "tb_ckpt.h"
#include "tb_config.h"
#include "tb_error.h"
#include "tb_generate.h"
#include "tb_h5.h"
#include "tb_validate.h"
#include "tb_match.h"
#include "tb_merge.h"
#include "tb_output.h"
#include "tb_run.h"
#include "tb_sweep_run.h"
#include "tb_schema.h"
#include "tb_serve_server.h"
#include "tb_version.h"
#include "tb_comm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- help: one text per command; `tradebal docs cli` prints them all as docs/cli.md ---- */

static const char *OVERVIEW =
    "tradebal " TB_VERSION ": evaluates trade deals, funding and trade policies (MODEL.md)\n"
    "\n"
    "usage: tradebal <command> [options]      (tradebal <command> --help for its options)\n"
    "\n"
    "commands:\n"
    "  run        evaluate every deal and assess the trade policies of a config; write OUT (HDF5)\n"
    "  generate   write a seeded synthetic input of any size\n"
    "  validate   check an input file against every rule of MODEL.md section 1\n"
    "  match      run the secondary certificate exchange (continuous double auction)\n"
    "  merge      join the shard files of one sweep into the file an unsharded run writes\n"
    "  serve      the REST API: runs, sweeps, results and quick deal and certificate checks over HTTP\n"
    "  report     draw the figures and tables of an output as a static HTML page\n"
    "  import     turn public BEA and Census files into tradebal input\n"
    "  docs       print the generated reference pages (cli, config, formats)\n"
    "  version    print the version (also --version)\n"
    "  help       this text, or help COMMAND\n"
    "\n"
    "options for every command: -v (a traceback of where an error was raised), -h/--help\n"
    "\n"
    "exit codes: 0 ok, 1 internal, 2 usage/config, 3 invalid input, 4 output, 5 GPU, 6 MPI,\n"
    "            7 stopped at a safe point with a checkpoint (resubmit with --resume auto),\n"
    "            8 out of memory (or over run.memory_limit)\n"
    "\n"
    "Under MPI: mpiexec -n RANKS tradebal run ... (deals and entities are block-distributed).\n"
    "Documentation: docs/ (user guide, formats, config reference, model, worked example).\n";

typedef struct {
  const char *name, *help;
} command_help;

static const command_help HELP[] = {
    {"run",
     "usage: tradebal run -c CONFIG [--set section.key=value]... [-o OUT] [--overwrite]\n"
     "                    [--resume auto|never] [--walltime SECONDS|[D-]HH:MM:SS] [-v]\n"
     "\n"
     "Validates the input, computes each deal's party values, status, surplus, bid and split, funds\n"
     "opportunities, runs every policy's market period by period, the network spillovers and the\n"
     "input-output impacts, scores the policies by WAR and writes OUT (MODEL.md sections 2-8, 11).\n"
     "With a [sweep] section: one metrics row per scenario and the sensitivity tables (section 9).\n"
     "\n"
     "  -c CONFIG            INI configuration (docs/config.md); required\n"
     "  --set KEY=VALUE      override one key after the file is read, e.g. --set market.elasticity=2\n"
     "  -o OUT               output file (default: [output] file)\n"
     "  --overwrite          replace an existing OUT\n"
     "  --resume auto|never  auto: continue from the newest valid checkpoint, if any\n"
     "  --walltime T         stop at a safe point with a checkpoint after T (exit 7); Slurm's time forms\n"
     "\n"
     "SIGTERM or SIGUSR1 also stop the run at the next safe point with a checkpoint (exit 7).\n"},
    {"generate",
     "usage: tradebal generate -o OUT [--entities N] [--deals M] [--regions R] [--periods T]\n"
     "                         [--sectors S] [--locality L] [--seed X] [--batch B] [--overwrite] [-v]\n"
     "\n"
     "Writes a seeded synthetic input that passes every rule of MODEL.md section 1. Every value is a\n"
     "function of (seed, item), so the file is the same at any rank count; memory is bounded by B.\n"
     "\n"
     "  -o OUT          output file; required\n"
     "  --entities N    entities (default 1000)\n"
     "  --deals M       deals (default 10000)\n"
     "  --regions R     regions (default 8)\n"
     "  --periods T     market periods (default 5)\n"
     "  --sectors S     input-output sectors (default 16)\n"
     "  --locality L    region-local entity graph: regions are contiguous id blocks and a share L\n"
     "                  of each entity's links stays in its region, the rest go to other regions\n"
     "                  (needs N >= 2 R); default: the random graph, regions drawn per entity\n"
     "  --seed X        seed (default 42)\n"
     "  --batch B       deals or entities per rank held at a time (default 65536)\n"
     "  --overwrite     replace an existing OUT\n"},
    {"validate",
     "usage: tradebal validate FILE [-v]\n"
     "\n"
     "Checks FILE against every rule of MODEL.md section 1 (docs/formats.md) and prints its sizes.\n"
     "A broken rule is one line naming the file, dataset, first bad index and the rule (exit 3).\n"},
    {"match",
     "usage: tradebal match INPUT -o OUT [--overwrite] [-v]\n"
     "\n"
     "The certificate exchange of MODEL.md section 5: a continuous double auction of\n"
     "/market/orders per region, price-time priority, trades at the resting order's price.\n"
     "\n"
     "  -o OUT          output file; required\n"
     "  --overwrite     replace an existing OUT\n"},
    {"merge",
     "usage: tradebal merge -o OUT SHARD... [--overwrite] [-v]\n"
     "\n"
     "Joins the shard files of one sweep (sweep.shard=i of sweep.shards=n), given in shard order, into\n"
     "the file the unsharded run writes. Refuses shards of different inputs or configs (exit 3).\n"
     "\n"
     "  -o OUT          output file; required\n"
     "  --overwrite     replace an existing OUT\n"},
    {"serve",
     "usage: tradebal serve -c CONFIG [--set section.key=value]... [-v]\n"
     "       tradebal serve token --file TOKEN_FILE --scopes read|submit [--name NAME]\n"
     "       tradebal serve --routes | --config-doc\n"
     "       tradebal serve summary OUT.h5\n"
     "       tradebal serve diff A.h5 B.h5 [--tolerance T]\n"
     "\n"
     "Serves the REST API of docs/api.md (described by docs/openapi.json) until SIGTERM or SIGINT:\n"
     "quick checks in process (deal evaluation, certificate validation, input-output impacts), runs and\n"
     "sweeps as separate processes (local or Slurm) kept in a SQLite job store, h5grove browsing of\n"
     "outputs, /metrics for Prometheus. Binds to 127.0.0.1 unless [server] bind says otherwise; never\n"
     "initialises MPI. A restart picks up every run it had started.\n"
     "\n"
     "  -c CONFIG        INI configuration ([server], [limits], [runs]; docs/api.md)\n"
     "  --set KEY=VALUE  override one key, e.g. --set server.port=0\n"
     "  token            make a bearer token: prints it once, appends its SHA-256 and scopes to TOKEN_FILE\n"
     "  --routes         print every route (METHOD PATH), as docs/openapi.json lists them\n"
     "  --config-doc     print the configuration keys as a markdown table\n"
     "  summary          print a run's or a sweep's output as JSON, as GET /v1/runs/{id}/summary answers:\n"
     "                   identity, sizes, every policy's metrics (WAR with its 5-95% band, WAR_B, GDP, ...)\n"
     "  diff             print what moved from output A to output B, as GET /v1/runs/{id}/diff/{other}:\n"
     "                   every metric per policy, those beyond the tolerance, config keys that differ,\n"
     "                   deals whose status changed (exit 3 when the outputs cannot be compared)\n"
     "  --tolerance T    a metric moved when |b - a| > T * max(|a|, |b|) (default 1e-9; 0: any change)\n"},
    {"report",
     "usage: tradebal report OUT.h5 [MORE.h5...] -o DIR [--overwrite] [--top K]\n"
     "\n"
     "Writes DIR/index.html, a self-contained static page, and PNG figures drawn with matplotlib:\n"
     "home trade balance per period and policy, certificate price path, WAR with its 5-95% band,\n"
     "a tornado chart of the largest sensitivities (from a sweep's output), deal surplus by status,\n"
     "top undervalued opportunities and the sector opportunity index, network multiplier and the\n"
     "most influential entities. Give a run's output and a sweep's output together for all of them;\n"
     "a figure whose data a file lacks is left out with a note. DIR is written in full or not at all.\n"
     "\n"
     "  -o DIR          output folder; required\n"
     "  --overwrite     replace an existing DIR\n"
     "  --top K         rows of the top-K tables and bars (default 15)\n"
     "\n"
     "Runs tools/tb_report.py with Debian's python3 (override with TB_PYTHON=/path/to/python3).\n"},
    {"import",
     "usage: tradebal import bea --direct FILE --make FILE [--use FILE] [--total FILE]\n"
     "                           [--codes FILE] [--employment CSV] -o OUT [--overwrite]\n"
     "       tradebal import bea --total FILE [--codes FILE] [--employment CSV] -o OUT [--overwrite]\n"
     "       tradebal import census FILE [--year Y] [--partners K] [--annual] -o OUT [--overwrite]\n"
     "       tradebal import assemble DEALS.h5 [--io IO.h5] [--trade TRADE.h5] -o OUT [--overwrite]\n"
     "\n"
     "bea: BEA input-output text tables (the 'code,code,table,value' files) to /io: A = W B from the\n"
     "direct requirements and the make table (BEA's own derivation), or A = I - L^-1 from a total\n"
     "requirements table alone; with both, the published total requirements check the derivation.\n"
     "Value added per unit of output from the V rows of B; import shares from the use table's\n"
     "imports column (F050) mapped to industries by market shares; jobs per million from --employment.\n"
     "census: the Census goods-trade-by-country file (country.xlsx, or it saved as CSV) to /trade:\n"
     "region 0 is the United States (home), regions 1..K its K largest partners in YEAR, region K+1\n"
     "the rest of the world; periods are the 12 months (or one year with --annual).\n"
     "assemble: replace /io and /trade of a deals file (e.g. from tradebal generate with matching\n"
     "--regions, --periods and --sectors) with imported ones, and validate the shapes.\n"
     "\n"
     "Runs tools/tb_import.py with Debian's python3 (override with TB_PYTHON=/path/to/python3).\n"},
    {"docs",
     "usage: tradebal docs cli|config|formats [--json]\n"
     "\n"
     "Prints a reference page generated from the code's own tables: cli (every command's --help),\n"
     "config (the option table, defaults, units) or formats (the input rules the validator checks\n"
     "and the datasets the writers may create). docs/*.md hold this output.\n"
     "\n"
     "  --json   formats only: the same tables as JSON (name, kind, type, shape as a list of size\n"
     "           symbols, when present, meaning, and each input dataset's rule) under the keys input,\n"
     "           run, sweep and match; python/tradebal/formats.json holds this output\n"},
    {"version", "usage: tradebal version | tradebal --version\n\nPrints the version and the output format version.\n"},
    {"help", "usage: tradebal help [COMMAND]\n\nThe overview, or a command's help (the same as tradebal COMMAND --help).\n"},
};
#define NHELP ((int)(sizeof HELP / sizeof HELP[0]))

static const char *help_of(const char *cmd) {
  for (int i = 0; i < NHELP; i++)
    if (!strcmp(HELP[i].name, cmd)) return HELP[i].help;
  return NULL;
}

static int wants_help(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
  return 0;
}

static void docs_cli(FILE *out) {
  fprintf(out, "# Command-line reference\n\nGenerated by `tradebal docs cli` from the help texts in `host/cmd/tb_main.c`\n"
               "(`tradebal --help`, `tradebal COMMAND --help`); the test `docs_current` fails when they differ.\n\n"
               "```\n%s```\n", OVERVIEW);
  for (int i = 0; i < NHELP; i++) fprintf(out, "\n## tradebal %s\n\n```\n%s```\n", HELP[i].name, HELP[i].help);
}

static int cmd_docs(int argc, char **argv) {
  const char *what = argc > 0 ? argv[0] : "";
  const int json = argc > 1 && !strcmp(argv[1], "--json");
  if (argc > 1 + json || (json && strcmp(what, "formats")))
    return TB_ERR(TB_ERR_USAGE, "docs: unexpected '%s' (only `docs formats` takes --json)", argv[argc - 1]);
  if (!strcmp(what, "cli")) docs_cli(stdout);
  else if (!strcmp(what, "config")) tb_config_doc(stdout);
  else if (!strcmp(what, "formats")) json ? tb_schema_json(stdout) : tb_schema_doc(stdout);
  else return TB_ERR(TB_ERR_USAGE, "docs: expected cli, config or formats, got '%s'", what);
  return fflush(stdout) == 0 ? TB_OK : TB_ERR(TB_ERR_OUTPUT, "docs: writing stdout failed");
}

/* report and import are Python (matplotlib, h5py): replace this process with the script. No MPI. */
#ifndef TB_TOOLS_DIR
#define TB_TOOLS_DIR "tools"
#endif
#ifndef TB_DEFAULT_PYTHON
#define TB_DEFAULT_PYTHON "/usr/bin/python3"
#endif
static int exec_tool(const char *script, int argc, char **argv) {
  const char *py = getenv("TB_PYTHON") ? getenv("TB_PYTHON") : TB_DEFAULT_PYTHON;
  const char *dir = getenv("TB_TOOLS_DIR") ? getenv("TB_TOOLS_DIR") : TB_TOOLS_DIR;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, script);
  if (access(path, R_OK) != 0)
    return TB_ERR(TB_ERR_INTERNAL, "%s: missing (set TB_TOOLS_DIR to the repository's tools/ folder)", path);
  char **args = calloc((size_t)argc + 3, sizeof *args);
  if (!args) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  args[0] = (char *)py;
  args[1] = path;
  for (int i = 0; i < argc; i++) args[i + 2] = argv[i];
  fflush(stdout);
  execv(py, args);
  free(args);
  return TB_ERR(TB_ERR_INTERNAL, "%s: cannot run (%s); install python3-matplotlib python3-h5py or set TB_PYTHON",
                py, strerror(errno));
}

static int parse_i64(const char *opt, const char *v, int64_t *out) {
  char *end;
  errno = 0;
  long long x = v ? strtoll(v, &end, 10) : 0;
  if (!v || errno || end == v || *end || x < 0)
    return TB_ERR(TB_ERR_USAGE, "%s needs a non-negative integer, got '%s'", opt, v ? v : "");
  *out = x;
  return TB_OK;
}

/* A share in [0, 1] (NaN and trailing text refused). */
static int parse_share(const char *opt, const char *v, double *out) {
  char *end;
  errno = 0;
  double x = v ? strtod(v, &end) : -1.0;
  if (!v || errno || end == v || *end || !(x >= 0.0 && x <= 1.0))
    return TB_ERR(TB_ERR_USAGE, "%s needs a share in [0, 1], got '%s'", opt, v ? v : "");
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

/* Check the config and the output path, print the resolved config, then one run or a sweep. */
static int run_or_sweep(const tb_config *cfg) {
  TB_CALL(tb_config_check(cfg));
  TB_CALL(tb_output_check(cfg->input_file, cfg->output_file, cfg->overwrite));
  if (tb_comm_rank() == 0) {
    static char text[TB_CONFIG_TEXT_MAX];
    TB_CALL(tb_config_dump(cfg, text, sizeof text));
    printf("# resolved configuration\n%s\n", text);
    fflush(stdout);
  }
  return cfg->sweep_method != TB_SWEEP_NONE ? tb_sweep_run(cfg) : tb_run(cfg);
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
  return run_or_sweep(&cfg);
}

static int cmd_generate(int argc, char **argv) {
  tb_gen_params g = {1000, 10000, 8, 5, 16, 42, 65536, -1.0, 0};
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
    else if (!strcmp(a, "--locality")) {
      TB_CALL(parse_share(a, v, &g.locality));
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

/* Commands that need neither MPI nor HDF5: help, version, docs and the Python tools. */
static int plain_command(int argc, char **argv, int *rc) {
  const char *cmd = argc > 1 ? argv[1] : "";
  const int help = wants_help(argc - 2, argv + 2);
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || (!strcmp(cmd, "help") && argc < 3)) {
    fputs(OVERVIEW, stdout);
  } else if (!strcmp(cmd, "help") || (help && help_of(cmd))) {
    const char *topic = !strcmp(cmd, "help") && !help ? argv[2] : cmd;
    if (!help_of(topic)) *rc = TB_ERR(TB_ERR_USAGE, "help: unknown command '%s' (try tradebal --help)", topic);
    else fputs(help_of(topic), stdout);
  } else if (!strcmp(cmd, "version") || !strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
    printf("tradebal %s (output format %d)\n", TB_VERSION, TB_FORMAT_VERSION);
  } else if (!strcmp(cmd, "serve")) { /* a server process: never MPI (runs are separate processes) */
    *rc = tb_serve_main(argc - 2, argv + 2);
  } else if (!strcmp(cmd, "docs")) {
    *rc = cmd_docs(argc - 2, argv + 2);
  } else if (!strcmp(cmd, "report") || !strcmp(cmd, "import")) {
    *rc = exec_tool(cmd[0] == 'r' ? "tb_report.py" : "tb_import.py", argc - 2, argv + 2);
  } else {
    return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  int verbose = 0;
  for (int i = 1; i < argc; i++) verbose |= !strcmp(argv[i], "-v");
  int rc = TB_OK;
  if (plain_command(argc, argv, &rc)) {
    if (rc) tb_error_print("tradebal", verbose);
    return rc;
  }
  /* a run stops at a safe point on SIGTERM or SIGUSR1 (Slurm's --signal): caught from the start, so a
   * signal that comes while MPI starts is not lost nor fatal */
  if (argc > 1 && !strcmp(argv[1], "run")) tb_ckpt_catch_signals();
  if (tb_comm_init(&argc, &argv)) {
    tb_error_print("tradebal", verbose);
    return TB_ERR_MPI;
  }
  tb_h5_quiet();
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "run")) rc = cmd_run(argc - 2, argv + 2);
  else if (!strcmp(cmd, "generate")) rc = cmd_generate(argc - 2, argv + 2);
  else if (!strcmp(cmd, "validate")) rc = cmd_validate(argc - 2, argv + 2);
  else if (!strcmp(cmd, "match")) rc = cmd_match(argc - 2, argv + 2);
  else if (!strcmp(cmd, "merge")) rc = cmd_merge(argc - 2, argv + 2);
  else {
    rc = cmd[0] ? TB_ERR(TB_ERR_USAGE, "unknown command '%s' (try tradebal --help)", cmd)
                : TB_ERR(TB_ERR_USAGE, "no command given (try tradebal --help)");
    tb_error_adopt(rc, tb_error_message());
  }
  /* a last agreement: a rank whose peers are stuck elsewhere aborts them all (tb_comm_agree) */
  rc = tb_comm_agree(rc);
  if (rc && !tb_error_is_remote() && (!tb_error_is_shared() || tb_comm_rank() == 0))
    tb_error_print("tradebal", verbose);
  if (!tb_h5_wedged()) tb_comm_finalize(); /* else HDF5's clean-up inside MPI_Finalize would crash */
  return rc;
}
