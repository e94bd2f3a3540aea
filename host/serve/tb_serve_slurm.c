/* Slurm's command-line tools (see tb_serve_slurm.h). */
#include "tb_serve_slurm.h"
#include "tb_error.h"
#include "tb_serve_proc.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static _Atomic int g_no_sacct; /* this cluster keeps no accounting: ask squeue from then on */

int tb_slurm_submit(char *const *argv, char *const *envp, const char *cwd, char *job, size_t njob, char *array,
                    size_t narray, char *err, size_t nerr) {
  char out[4096];
  int status;
  job[0] = array[0] = 0;
  TB_CALL(tb_proc_capture(argv, envp, cwd, 60, out, sizeof out, err, nerr, &status));
  if (status != 0) {
    if (!err[0]) snprintf(err, nerr, "%s exited with %d", argv[0], status);
    return -1;
  }
  const char *a = strstr(out, "array "), *m = strstr(out, " merge ");
  if (a && m) { /* submit_sweep.sh: "array A merge M" */
    snprintf(array, narray, "%.*s", (int)strcspn(a + 6, " \n"), a + 6);
    snprintf(job, njob, "%.*s", (int)strcspn(m + 7, " \n;"), m + 7);
  } else { /* sbatch --parsable: "ID" or "ID;CLUSTER" */
    snprintf(job, njob, "%.*s", (int)strcspn(out, ";\n "), out);
  }
  for (const char *p = job; *p; p++)
    if (!isdigit((unsigned char)*p)) job[0] = 0;
  if (!job[0]) {
    snprintf(err, nerr, "%s printed no job id: %.200s", argv[0], out);
    return -1;
  }
  return 0;
}

/* Lines "ID|STATE[ by UID]" into jobs. */
static int parse_lines(char *text, tb_slurm_job **jobs, int *njobs) {
  int cap = 16, n = 0;
  tb_slurm_job *j = malloc((size_t)cap * sizeof *j);
  if (!j) return TB_ERR(TB_ERR_MEMORY, "out of memory");
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *bar = strchr(line, '|');
    if (!bar) continue;
    *bar = 0;
    if (n == cap) {
      tb_slurm_job *g = realloc(j, (size_t)(cap *= 2) * sizeof *g);
      if (!g) return free(j), TB_ERR(TB_ERR_MEMORY, "out of memory");
      j = g;
    }
    snprintf(j[n].id, sizeof j[n].id, "%s", line);
    snprintf(j[n].state, sizeof j[n].state, "%.*s", (int)strcspn(bar + 1, " |+"), bar + 1);
    n++;
  }
  *jobs = j, *njobs = n;
  return TB_OK;
}

int tb_slurm_query(const char *ids, tb_slurm_job **jobs, int *njobs, int *ok) {
  static char out[1 << 20];
  static _Atomic int busy; /* one poller: the static buffer is its own */
  char err[1024];
  int status = -1;
  *jobs = NULL, *njobs = 0, *ok = 0;
  if (atomic_exchange(&busy, 1)) return TB_ERR(TB_ERR_INTERNAL, "tb_slurm_query is not reentrant");
  int rc = TB_OK;
  if (!g_no_sacct) {
    char *argv[] = {"sacct", "-n", "-P", "-X", "-j", (char *)ids, "-o", "JobID,State", NULL};
    rc = tb_proc_capture(argv, environ, NULL, 30, out, sizeof out, err, sizeof err, &status);
    if (!rc && status != 0 && strstr(err, "accounting storage is disabled")) g_no_sacct = 1;
  }
  if (!rc && status != 0) {
    char *argv[] = {"squeue", "-h", "-t", "all", "-j", (char *)ids, "-o", "%i|%T", NULL};
    rc = tb_proc_capture(argv, environ, NULL, 30, out, sizeof out, err, sizeof err, &status);
    if (!rc && status != 0 && strstr(err, "Invalid job id")) status = 0, out[0] = 0; /* none is known any more */
  }
  if (!rc && status == 0) {
    *ok = 1;
    rc = parse_lines(out, jobs, njobs);
  }
  atomic_store(&busy, 0);
  return rc;
}

int tb_slurm_active(const char *state) {
  static const char *ACTIVE[] = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "REQUEUE_HOLD",
                                 "REQUEUE_FED", "RESIZING", "SUSPENDED", "SIGNALING", "STAGE_OUT", "STOPPED",
                                 "RESV_DEL_HOLD", "SPECIAL_EXIT"};
  for (size_t i = 0; i < sizeof ACTIVE / sizeof ACTIVE[0]; i++)
    if (!strcmp(state, ACTIVE[i])) return 1;
  return 0;
}

int tb_slurm_cancel(const char *ids, const char *sig) {
  char out[1024], err[1024], sigopt[64], copy[256];
  int status, n = 0;
  char *argv[8];
  argv[n++] = "scancel";
  if (sig) snprintf(sigopt, sizeof sigopt, "--signal=%s", sig), argv[n++] = sigopt;
  snprintf(copy, sizeof copy, "%s", ids);
  for (char *save = NULL, *t = strtok_r(copy, " ", &save); t && n < 7; t = strtok_r(NULL, " ", &save)) argv[n++] = t;
  argv[n] = NULL;
  TB_CALL(tb_proc_capture(argv, environ, NULL, 30, out, sizeof out, err, sizeof err, &status));
  if (status != 0) fprintf(stderr, "tradebal serve: scancel %s: exit %d: %s\n", ids, status, err);
  return status == 0 ? TB_OK : -1;
}
