/* Slurm through its command-line tools (slurmrestd's endpoints change across versions): sbatch to submit
 * the job scripts of jobs/, one sacct call (or one squeue call where accounting is disabled) for the states
 * of every active job at once, scancel. */
#ifndef TB_SERVE_SLURM_H
#define TB_SERVE_SLURM_H

#include <stddef.h>

typedef struct {
  char id[48];    /* "123", or an array task "123_4" ("123_[0-3]" while pending) */
  char state[32]; /* Slurm's state name: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ... */
} tb_slurm_job;

/* Run a submit command (sbatch --parsable ..., or jobs/submit_sweep.sh) in cwd with envp: job receives the
 * job id (a sweep's merge job), array the array job id of submit_sweep.sh ("" otherwise). 0, or -1 with
 * the reason in err. */
int tb_slurm_submit(char *const *argv, char *const *envp, const char *cwd, char *job, size_t njob, char *array,
                    size_t narray, char *err, size_t nerr);
/* The states of the jobs in ids (comma-separated; arrays list their tasks) in one call: sacct, or squeue
 * where the cluster keeps no accounting. *jobs is malloc'd; *ok = 0 when Slurm could not be asked (then
 * nothing may be concluded from an absent job). */
int tb_slurm_query(const char *ids, tb_slurm_job **jobs, int *njobs, int *ok);
/* Whether a state name is one a job leaves again (pending, running, completing, requeued, ...). */
int tb_slurm_active(const char *state);
/* scancel, with --signal=SIG when sig is not NULL (the steps only: the job script lives on to write its
 * status file); ids space-separated. */
int tb_slurm_cancel(const char *ids, const char *sig);

#endif
