/* Output file safety: never clobber by accident, never leave a partial file. */
#include "tb_output.h"

#include "tb_comm.h"
#include "tb_error.h"
#include "tb_util.h"
#include "tb_version.h"

#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int tb_output_check(const char *input, const char *output, int overwrite) {
  int rc = TB_OK;
  if (tb_comm_rank() == 0) {
    struct stat st, si; /* the same file by any path: a symbolic or hard link, ../ */
    if (input && stat(input, &si) == 0 && stat(output, &st) == 0 && si.st_dev == st.st_dev && si.st_ino == st.st_ino)
      rc = TB_ERR(TB_ERR_USAGE, "%s: the output would overwrite the input %s", output, input);
    else if (!overwrite && stat(output, &st) == 0)
      rc = TB_ERR(TB_ERR_OUTPUT, "%s: exists; pass --overwrite (or [output] overwrite = true) to replace it", output);
  }
  int64_t code = rc;
  TB_CALL(tb_comm_allreduce_i64(&code, 1, TB_OP_MAX));
  if (code && !rc) {
    tb_error_set_remote((int)code);
    return (int)code;
  }
  if (rc) tb_error_adopt(rc, tb_error_message());
  return rc;
}

/* The lock files MPI-IO keeps beside a temporary (TMP-*.lock): a killed or aborted run leaves them. */
static void remove_locks(const char *tmp) {
  glob_t g;
  char pat[TB_PATH_MAX + 80];
  snprintf(pat, sizeof pat, "%s-*.lock", tmp);
  if (glob(pat, GLOB_NOSORT, NULL, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; i++) remove(g.gl_pathv[i]);
  globfree(&g);
}

/* The temporary output in progress, removed by whichever rank aborts the run. */
static char g_partial[TB_PATH_MAX + 64];
static void remove_partial(void) {
  if (g_partial[0]) remove(g_partial), remove_locks(g_partial);
}

/* What an earlier attempt of this job left, when it was killed with its node. */
static void remove_stale(const char *tmp) {
  if (remove(tmp) == 0) fprintf(stderr, "tradebal: removed %s, left by an earlier attempt of this job\n", tmp);
  remove_locks(tmp);
}

/* Under Slurm the temporary is named by the job, so a requeued attempt (same job id) removes what an
 * attempt that died with its node left behind: Slurm ends an attempt before it runs the next. */
static int name_tmp(const char *output, char *tmp, size_t size) {
  const char *job = getenv("SLURM_JOB_ID");
  const int n = job && *job ? snprintf(tmp, size, "%s.tmp-slurm-%s", output, job)
                            : snprintf(tmp, size, "%s.tmp-%ld", output, (long)getpid());
  if (n < 0 || (size_t)n >= size) return TB_ERR(TB_ERR_USAGE, "%s: output path too long", output);
  if (job && *job) remove_stale(tmp);
  return TB_OK;
}

int tb_output_tmpname(const char *output, char *tmp, size_t size) {
  int rc = tb_comm_rank() == 0 ? name_tmp(output, tmp, size) : TB_OK;
  TB_CALL(tb_comm_agree(rc));
  TB_CALL(tb_comm_bcast(tmp, size, 0));
  snprintf(g_partial, sizeof g_partial, "%s", tmp);
  tb_comm_on_abort(remove_partial);
  return TB_OK;
}

int tb_output_commit(const char *tmp, const char *final_path, int rc) {
  /* rc must already be agreed across ranks; every rank reaches the agreement below */
  int b = tb_comm_barrier(), local = TB_OK;
  g_partial[0] = 0; /* renamed or removed below */
  if (tb_comm_rank() == 0) {
    if (rc || b) {
      remove(tmp);
    } else if (rename(tmp, final_path) != 0) {
      remove(tmp);
      local = TB_ERR(TB_ERR_OUTPUT, "%s: cannot rename the finished output into place", final_path);
    }
  }
  if (rc) return rc;
  return tb_comm_agree(b ? b : local);
}

int tb_output_finish(tb_h5 *out, tb_h5 *in, const char *tmp, const char *final_path, int have_out, int rc) {
  if (out->id >= 0) {
    int c = tb_h5_close(out);
    if (!rc) rc = c;
  }
  if (in->id >= 0) tb_h5_close(in);
  rc = tb_comm_agree(rc);
  if (have_out) {
    int c = tb_output_commit(tmp, final_path, rc);
    if (!rc) rc = c;
  }
  return rc;
}

int tb_write_root_attrs_text(tb_h5 *o, const char *config, const char *backend, const char *sha, int64_t ranks) {
  char created[32];
  time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  TB_CALL(tb_comm_bcast(created, sizeof created, 0)); /* one timestamp for all ranks */
  TB_CALL(tb_h5_attr_str(o, "/", "software", "tradebal"));
  TB_CALL(tb_h5_attr_str(o, "/", "version", TB_VERSION));
  TB_CALL(tb_h5_attr_i64(o, "/", "format_version", TB_FORMAT_VERSION));
  TB_CALL(tb_h5_attr_str(o, "/", "created", created));
  TB_CALL(tb_h5_attr_str(o, "/", "config", config));
  TB_CALL(tb_h5_attr_str(o, "/", "backend", backend));
  TB_CALL(tb_h5_attr_i64(o, "/", "ranks", ranks));
  return tb_h5_attr_str(o, "/", "input_sha256", sha);
}
