"""Runs of the `tradebal` program as objects: run, sweep and merge locally (mpiexec for several ranks) or on
Slurm (the project's job scripts in jobs/, sbatch and sacct), returning a Job handle; validate and generate.

The program is found through the environment variable TRADEBAL_EXE, else build/tradebal of the source tree this
package sits in (python/../build/tradebal), else `tradebal` on PATH.

Open MPI refuses to start as root unless OMPI_ALLOW_RUN_AS_ROOT and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM are set:
when this process runs as root (os.geteuid() == 0) and they are not set, local multi-rank runs set them for the
child processes only (never in this process's environment).
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from . import errors

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))  # python/tradebal -> the repository, when used in place

STATES = ("pending", "running", "done", "failed", "checkpointed")


def executable():
    """The tradebal program: $TRADEBAL_EXE, else ../build/tradebal beside python/, else `tradebal` on PATH."""
    exe = os.environ.get("TRADEBAL_EXE")
    if exe:
        return exe
    built = os.path.join(SOURCE_ROOT, "build", "tradebal")
    if os.access(built, os.X_OK):
        return built
    found = shutil.which("tradebal")
    if not found:
        raise errors.UsageError("the tradebal program was not found: set TRADEBAL_EXE, build it into build/ or "
                                "put it on PATH")
    return found


def jobs_dir():
    """The project's Slurm scripts: $TB_ROOT/jobs, else jobs/ of the source tree this package sits in."""
    for root in (os.environ.get("TB_ROOT"), SOURCE_ROOT):
        if root and os.path.isfile(os.path.join(root, "jobs", "solve.sbatch")):
            return os.path.join(os.path.abspath(root), "jobs")
    raise errors.UsageError("jobs/solve.sbatch not found: set TB_ROOT to the tradebal repository")


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(_value(x) for x in v)
    return str(v)


def _flat(overrides):
    """{"section.key": v} or {"section": {"key": v}} (nested for [policy.NAME]) -> ["section.key=v", ...]."""
    out = []
    for k, v in (overrides or {}).items():
        if isinstance(v, dict):
            out += [f"{k}.{kk}" for kk in _flat(v)]
        else:
            out.append(f"{k}={_value(v)}")
    return out


def write_config(sections, path):
    """An INI file from {section: {key: value}}; values as the INI takes them (True -> true, a list -> a comma
    separated list, a float at full precision). Returns the path."""
    with open(path, "w") as fh:
        for sec, keys in sections.items():
            fh.write(f"[{sec}]\n")
            for k, v in keys.items():
                fh.write(f"{k} = {_value(v)}\n")
    return path


def _child_env(env, ranks):
    e = dict(os.environ)
    e.update(env or {})
    if ranks > 1 and os.geteuid() == 0:  # see the module's docstring
        e.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        e.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    return e


def _launcher(ranks, mpiexec=None):
    if ranks <= 1:
        return []
    exe = mpiexec or shutil.which("mpiexec") or shutil.which("mpirun")
    if not exe:
        raise errors.MPIError(f"ranks={ranks}: mpiexec not found on PATH")
    return [exe, "-n", str(int(ranks)), "--oversubscribe"]


# progress lines on stderr (host/core/tb_util.c tb_progress_update, host/run/tb_sweep_run.c, tb_run_stats.c)
_BAR = re.compile(r"^\[(?P<stage>[\w ]+)\] (?P<done>[\d.]+[kMGT]?)/(?P<total>[\d.]+[kMGT]?) (?P<unit>\S+) "
                  r"\((?P<pct>[\d.]+)%\)")
_SWEEP = re.compile(r"^\[sweep\] group (?P<group>\d+): scenario (?P<scen>\d+) \((?P<done>\d+) of (?P<total>\d+)\)")
_STAGE = re.compile(r"^\[(?P<stage>run|checkpoint|generate)\] (?P<msg>.*)$")
_SUFFIX = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}


def _human(x):
    return float(x[:-1]) * _SUFFIX[x[-1]] if x[-1] in _SUFFIX and x[-1].isalpha() else float(x)


def parse_progress(line):
    """A progress line as a dict (stage, done, total, percent, ...), or None for other lines."""
    line = line.strip()
    m = _SWEEP.match(line)
    if m:
        done, total = int(m["done"]), int(m["total"])
        return {"stage": "sweep", "group": int(m["group"]), "scenario": int(m["scen"]), "done": done,
                "total": total, "percent": 100.0 * done / total if total else 100.0, "line": line}
    m = _BAR.match(line)
    if m:
        return {"stage": m["stage"], "done": _human(m["done"]), "total": _human(m["total"]), "unit": m["unit"],
                "percent": float(m["pct"]), "line": line}
    m = _STAGE.match(line)
    if m:
        return {"stage": m["stage"], "message": m["msg"], "line": line}
    return None


def _error_line(text):
    """The tool's one-line error: the last `error:` line (prefix removed), else the last non-empty line."""
    lines = [x for x in text.splitlines() if x.strip().strip("-")]  # mpiexec frames its notes in dashes
    for pattern in (r"^tradebal(?: [a-z]+)?: error: ", r"error: "):  # the program's own line before srun's
        for x in reversed(lines):
            if re.search(pattern, x.strip()):
                return re.sub(r"^.*?error: ", "", x.strip())
    return lines[-1].strip() if lines else ""


class Job:
    """A run of tradebal: `state` (pending, running, done, failed, checkpointed), `progress` (the latest progress
    line parsed), `wait(timeout)`, `result()`, `returncode`, `stdout`, `stderr`, `resume()`; `command` is the
    command line it ran and `output` its output path. run(), sweep(), merge() and generate() make Jobs; the
    constructor starts one from the program's arguments (`args`, without the program's name).

    A failed job raises, from wait() and result(), the exception class of its exit code (errors.from_code) with
    the tool's one-line message; the exception's `job` attribute is this handle (exit 7: `e.job.resume()`)."""

    def __init__(self, args, output, ranks=1, env=None, cwd=None, mpiexec=None, resume_args=None):
        self.args, self.output, self.ranks = list(args), output, ranks
        self._env, self.cwd, self._mpiexec = env, cwd, mpiexec
        self._resume_args = resume_args
        self.returncode = None
        self._out, self._err, self._progress = [], [], None
        self._lock = threading.Lock()
        self._start()

    # local processes; the Slurm subclass replaces these four
    def _start(self):
        self.command = _launcher(self.ranks, self._mpiexec) + [executable()] + self.args
        try:
            self._proc = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          env=_child_env(self._env, self.ranks), cwd=self.cwd, text=True,
                                          errors="replace", start_new_session=True)
        except OSError as e:
            raise (errors.MPIError if self.ranks > 1 else errors.UsageError)(f"{self.command[0]}: {e}") from e
        self._readers = [threading.Thread(target=self._read, args=(s, b), daemon=True)
                         for s, b in ((self._proc.stdout, self._out), (self._proc.stderr, self._err))]
        for t in self._readers:
            t.start()

    def _read(self, stream, buf):
        for line in stream:
            p = parse_progress(line)
            with self._lock:
                buf.append(line)
                if p:
                    self._progress = p
        stream.close()

    def _poll(self):
        if self.returncode is None and self._proc.poll() is not None:
            for t in self._readers:
                t.join()
            self.returncode = self._code(self._proc.returncode)
        return self.returncode

    def _code(self, rc):
        return rc

    @property
    def state(self):
        """One of STATES: running (a local job is never pending), then done (exit 0), checkpointed (exit 7:
        resume() continues it) or failed (any other exit code; error() gives its exception)."""
        rc = self._poll()
        if rc is None:
            return "running"
        return "done" if rc == 0 else "checkpointed" if rc == errors.Checkpointed.code else "failed"

    @property
    def progress(self):
        """The latest progress line as a dict (see parse_progress), None before the first."""
        self._poll()
        with self._lock:
            return self._progress

    @property
    def stdout(self):
        """What the program printed on stdout so far (the whole text once it ended); on Slurm the job's log."""
        with self._lock:
            return "".join(self._out)

    @property
    def stderr(self):
        """What the program printed on stderr so far: progress lines and, on failure, the one-line error; on
        Slurm the job's log."""
        with self._lock:
            return "".join(self._err)

    def cancel(self, sig=signal.SIGTERM):
        """Signal the run (SIGTERM or SIGUSR1 stop it at a safe point with a checkpoint: exit 7)."""
        if self._poll() is None:
            os.killpg(self._proc.pid, sig)

    def wait(self, timeout=None, check=True):
        """Wait for the end (TimeoutError after timeout seconds); with check, raise the exit code's exception on
        failure. Returns self."""
        t0 = time.monotonic()
        while self._poll() is None:
            if timeout is not None and time.monotonic() - t0 > timeout:
                raise TimeoutError(f"{self._still()} after {timeout} s")
            time.sleep(self._poll_seconds)
        if check:
            self.check()
        return self

    _poll_seconds = 0.05

    def _still(self):
        """What a timed-out wait says is still going on."""
        return f"{' '.join(self.args[:1])}: still running"

    def error(self):
        """The exception of a finished, failed job (None when it succeeded or still runs)."""
        rc = self._poll()
        if not rc:
            return None
        msg = _error_line(self.stderr)
        if 0 < rc <= 8:
            e = errors.from_message(rc, msg)
        elif self.ranks > 1:  # the launcher failed or a rank died without an agreed error
            e = errors.MPIError(f"exit {rc} from {' '.join(self.command[:4])}: {msg}")
        else:
            e = errors.InternalError(f"exit {rc}{' (killed by signal %d)' % -rc if rc < 0 else ''}: {msg}", 1)
        e.job = self
        return e

    def check(self):
        """Raise error() when the job failed (exit 7 included: Checkpointed); nothing when it succeeded or still
        runs."""
        e = self.error()
        if e is not None:
            raise e

    def result(self, timeout=None):
        """Wait (TimeoutError after timeout seconds), raise the exit code's exception on failure, then open the
        output: a Result (tradebal.open(output)), to be closed by the caller or used in a `with` block."""
        self.wait(timeout)
        try:
            from . import results
        except ImportError:
            return self.output
        return results.open(self.output)

    def resume(self, wait=True, env=None):
        """Run again with `--resume auto` (after exit 7); env, when given, replaces the extra environment of the
        first run. Returns the new Job (waited for by default, raising on failure)."""
        if self._resume_args is None:
            raise errors.UsageError("only a run can be resumed")
        j = self._again(self._resume_args, self._env if env is None else env)
        return j.wait() if wait else j

    def _again(self, args, env):
        return Job(args, self.output, self.ranks, env, self.cwd, self._mpiexec, args)

    def __repr__(self):
        return f"<tradebal.Job {self.state} {' '.join(self.args[:1])} -> {self.output}>"


class SlurmJob(Job):
    """A Job submitted with sbatch through jobs/solve.sbatch (or submit_sweep.sh); state and exit code from
    sacct, or from scontrol where the cluster keeps no accounting; stdout and stderr are the job's log."""

    def __init__(self, script_args, output, ranks=1, threads=None, env=None, cwd=None, sbatch_args=(),
                 resume_args=None, log=None, script="solve.sbatch"):
        self._script_args, self._threads, self._sbatch_args = list(script_args), threads, list(sbatch_args)
        self._script, self._log = script, log
        self._slurm_state = None
        super().__init__(script_args, output, ranks, env, cwd, None, resume_args)

    def _start(self):
        jd = jobs_dir()
        log = self._log or f"{os.path.abspath(self.output)}.slurm-%j.log"
        cmd = ["sbatch", "--parsable", "-n", str(int(self.ranks)), "-o", log]
        if self._threads:
            cmd += ["-c", str(int(self._threads))]
        cmd += self._sbatch_args + [os.path.join(jd, self._script)] + self._script_args
        env = dict(os.environ)
        env.update(self._env or {})
        env.setdefault("TB_ROOT", os.path.dirname(jd))
        env.setdefault("TRADEBAL", os.path.abspath(executable()))
        self.command = cmd
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=self.cwd)
        if p.returncode:
            raise errors.UsageError(f"sbatch failed (exit {p.returncode}): {p.stderr.strip()}")
        self.job_id = p.stdout.strip().split(";")[0]
        self.log = log.replace("%j", self.job_id)
        if not os.path.isabs(self.log):
            self.log = os.path.join(self.cwd or os.getcwd(), self.log)

    def _query(self):
        """(state, exit code or None) of the job: sacct, else scontrol show job, else squeue."""
        p = subprocess.run(["sacct", "-n", "-P", "-X", "-j", self.job_id, "-o", "State,ExitCode"],
                           capture_output=True, text=True)
        if p.returncode == 0 and p.stdout.strip():
            state, code = p.stdout.strip().splitlines()[0].split("|")[:2]
            return state.split()[0], code
        p = subprocess.run(["scontrol", "show", "job", "-o", self.job_id], capture_output=True, text=True)
        if p.returncode == 0 and "JobState=" in p.stdout:
            state = re.search(r"JobState=(\S+)", p.stdout).group(1)
            code = re.search(r" ExitCode=(\S+)", p.stdout)
            return state, code.group(1) if code else None
        p = subprocess.run(["squeue", "-h", "-j", self.job_id, "-o", "%T"], capture_output=True, text=True)
        if p.returncode == 0 and p.stdout.strip():
            return p.stdout.strip().split()[0], None
        return "UNKNOWN", None

    def _poll(self):
        if self.returncode is not None:
            return self.returncode
        state, code = self._query()
        self._slurm_state = state
        if state in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED",
                     "REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING", "STAGE_OUT", "UNKNOWN"):
            self._read_log()
            return None
        rc, sig = (int(x) for x in (code or "1:0").split(":")[:2])
        if state == "COMPLETED":
            rc = 0
        elif rc == 0:  # cancelled, timed out, node failure, killed by a signal: no exit code of tradebal
            rc = -sig if sig else 1
        self.returncode = rc
        self._read_log()
        return rc

    def _read_log(self):
        try:
            with open(self.log, errors="replace") as fh:
                lines = fh.readlines()
        except OSError:
            return
        with self._lock:
            self._out[:] = lines
            self._err[:] = lines
            for x in reversed(lines):
                p = parse_progress(x)
                if p:
                    self._progress = p
                    break

    @property
    def slurm_state(self):
        """Slurm's own state name (PENDING, RUNNING, COMPLETED, FAILED, ...)."""
        self._poll()
        return self._slurm_state

    @property
    def state(self):
        """As Job.state, with pending while Slurm has not started the job (slurm_state gives Slurm's own name)."""
        rc = self._poll()
        if rc is None:
            return "pending" if self._slurm_state == "PENDING" else "running"
        return super().state

    def error(self):
        e = super().error()
        if e is not None and self.returncode is not None and self.returncode < 0:
            e = errors.InternalError(f"Slurm job {self.job_id} {self._slurm_state} (signal {-self.returncode}): "
                                     f"{_error_line(self.stderr)}", 1)
            e.job = self
        return e

    _poll_seconds = 0.5  # sacct and scontrol are slower to ask than a child process

    def _still(self):
        return f"Slurm job {self.job_id}: still {self._slurm_state}"

    def cancel(self, sig=signal.SIGTERM):
        """scancel --signal=SIG: SIGTERM or SIGUSR1 stop the run at a safe point with a checkpoint (exit 7)."""
        subprocess.run(["scancel", f"--signal={signal.Signals(sig).name[3:]}", self.job_id], capture_output=True)

    def _again(self, args, env):
        return SlurmJob(args, self.output, self.ranks, self._threads, env, self.cwd, self._sbatch_args,
                        args, None, self._script)

    def __repr__(self):
        return f"<tradebal.SlurmJob {self.job_id} {self.state} -> {self.output}>"


def _run_args(config, input, output, threads, overrides, overwrite, walltime, cwd):
    """The run's command-line arguments (after `tradebal run`), without --resume."""
    if config is None or isinstance(config, dict):
        folder = os.path.dirname(os.path.abspath(output)) if output else (cwd or os.getcwd())
        fd, path = tempfile.mkstemp(prefix=".tradebal-", suffix=".ini", dir=folder)
        os.close(fd)
        config = write_config(config or {}, path)
    args = ["run", "-c", os.path.abspath(os.fspath(config))]
    if input is not None:
        if hasattr(input, "write"):  # an Input: written beside the output
            stem = os.path.splitext(os.path.abspath(output))[0] if output else tempfile.mktemp(prefix="tradebal-")
            input = input.write(stem + ".input.h5", overwrite=True)
        args += ["--set", f"input.file={os.path.abspath(os.fspath(input))}"]
    if threads is not None:
        args += ["--set", f"backend.threads={int(threads)}"]
    for kv in _flat(overrides):
        args += ["--set", kv]
    if output is not None:
        args += ["-o", os.path.abspath(os.fspath(output))]
    if overwrite:
        args.append("--overwrite")
    if walltime is not None:
        args += ["--walltime", str(walltime)]
    return args


def run(config=None, input=None, output=None, ranks=1, threads=None, overrides=None, overwrite=False,
        executor="local", wait=True, resume=False, walltime=None, env=None, cwd=None, mpiexec=None,
        sbatch_args=()):
    """Run `tradebal run`. config: an INI path, or {section: {key: value}} (written to a hidden file beside the
    output); input: an input path or a tradebal.Input (written to OUTPUT-stem.input.h5); output: -o; ranks: MPI
    ranks (mpiexec -n ranks --oversubscribe when > 1; on Slurm the tasks); threads: backend.threads (on Slurm
    also --cpus-per-task); overrides: {"section.key": value} or nested dicts, passed as --set; resume: add
    `--resume auto`; walltime: --walltime; env: extra environment; executor: "local" or "slurm" (sbatch
    jobs/solve.sbatch; sbatch_args: extra sbatch options such as ["-p", "debug"]).
    wait=True waits and raises the exit code's exception on failure; wait=False returns the running Job."""
    if output is None and executor == "slurm":
        raise errors.UsageError("run on Slurm: give output")
    args = _run_args(config, input, output, threads, overrides, overwrite, walltime, cwd)
    resume_args = args + ["--resume", "auto"]
    if resume:
        args = resume_args
    if executor == "local":
        job = Job(args, output, ranks, env, cwd, mpiexec, resume_args)
    elif executor == "slurm":
        # solve.sbatch CONFIG OUTPUT [args...]: the config and output are its own two arguments
        c = args[args.index("-c") + 1]
        o = args[args.index("-o") + 1]
        rest = [a for i, a in enumerate(args[1:], 1) if a not in ("-c", "-o") and args[i - 1] not in ("-c", "-o")]
        rest_resume = rest + (["--resume", "auto"] if not resume else [])
        job = SlurmJob([c, o] + rest, output, ranks, threads, env, cwd, sbatch_args, [c, o] + rest_resume)
    else:
        raise errors.UsageError(f"executor {executor!r}: expected 'local' or 'slurm'")
    return job.wait() if wait else job


def merge(output, shards, overwrite=False, wait=True, env=None, cwd=None):
    """`tradebal merge -o OUTPUT SHARD...`: join a sweep's shard files; returns the Job (waited by default)."""
    args = ["merge", "-o", os.path.abspath(os.fspath(output))] + [os.path.abspath(os.fspath(s)) for s in shards]
    if overwrite:
        args.append("--overwrite")
    job = Job(args, output, 1, env, cwd)
    return job.wait() if wait else job


class SweepJob(SlurmJob):
    """A sharded sweep on Slurm (jobs/submit_sweep.sh: an array of shard tasks, then a merge after all of them
    succeeded): the handle follows the merge job (`job_id`; the array is `array_id`, its outputs `shard_files`);
    when the merge never runs, it takes the failed task's exit code."""

    def __init__(self, config, shards, output, threads=None, overrides=None, env=None, cwd=None, sbatch_args=()):
        self._threads, self._sbatch_args, self._log = threads, list(sbatch_args), None
        self._slurm_state, self._script, self._script_args = None, "submit_sweep.sh", []
        self.args, self.output, self.ranks = ["sweep"], output, 1
        self._env, self.cwd, self._mpiexec, self._resume_args = env, cwd, None, None
        self.returncode, self._out, self._err, self._progress = None, [], [], None
        self._lock = threading.Lock()
        jd = jobs_dir()
        extra = list(self._sbatch_args) + (["-c", str(int(threads))] if threads else [])
        e = dict(os.environ)
        e.update(env or {})
        e["SBATCH_ARGS"] = " ".join(extra)
        e.setdefault("TB_ROOT", os.path.dirname(jd))
        e.setdefault("TRADEBAL", os.path.abspath(executable()))
        sets = []
        for kv in _flat(overrides):
            sets += ["--set", kv]
        self.command = [os.path.join(jd, "submit_sweep.sh"), os.path.abspath(config), str(int(shards)),
                        os.path.abspath(output)] + sets
        p = subprocess.run(self.command, capture_output=True, text=True, env=e, cwd=cwd)
        m = re.search(r"array (\S+) merge (\S+)", p.stdout)
        if p.returncode or not m:
            raise errors.UsageError(f"submit_sweep.sh failed (exit {p.returncode}): {p.stderr.strip()}")
        self.array_id, self.job_id = m.group(1), m.group(2)
        self.shards = int(shards)
        prefix = os.path.splitext(os.path.abspath(output))[0]
        self.shard_files = [f"{prefix}.shard-{i}.h5" for i in range(self.shards)]
        self.log = os.path.join(cwd or os.getcwd(), f"tradebal-merge-{self.job_id}.log")

    def _poll(self):
        rc = super()._poll()
        if rc is None:
            # the merge is cancelled (kill-on-invalid-dep) or stays pending forever when a task failed
            codes = []
            for i in range(self.shards):
                t = SlurmJob.__new__(SlurmJob)
                t.job_id = f"{self.array_id}_{i}"
                state, code = t._query()
                if state in ("FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"):
                    codes.append((i, state, code))
            if codes:
                i, state, code = codes[0]
                subprocess.run(["scancel", self.job_id], capture_output=True)
                r, s = (int(x) for x in (code or "1:0").split(":")[:2])
                self.returncode = rc = r if r else (-s if s else 1)
                self.log = os.path.join(self.cwd or os.getcwd(), f"tradebal-sweep-{self.array_id}_{i}.log")
                self._read_log()
        return rc


def sweep(config, output, shards=1, ranks=1, threads=None, overrides=None, overwrite=False, executor="local",
          wait=True, env=None, cwd=None, mpiexec=None, sbatch_args=()):
    """A run of a config with a [sweep]. shards=1: one `tradebal run` (scenario groups over the ranks). shards > 1:
    locally, each shard (sweep.shard=i of shards) runs to OUTPUT-stem.shard-i.h5, one after another, then
    `tradebal merge` joins them into output (returns the merge's Job); on Slurm, jobs/submit_sweep.sh submits the
    array and the chained merge (returns a SweepJob following them)."""
    if shards <= 1:
        return run(config, None, output, ranks, threads, overrides, overwrite, executor, wait, env=env, cwd=cwd,
                   mpiexec=mpiexec, sbatch_args=sbatch_args)
    if executor == "slurm":
        job = SweepJob(config, shards, output, threads, overrides, env, cwd, sbatch_args)
        return job.wait() if wait else job
    if executor != "local":
        raise errors.UsageError(f"executor {executor!r}: expected 'local' or 'slurm'")
    if os.path.lexists(output) and not overwrite:
        raise errors.OutputError(f"{output}: exists (use overwrite=True)")
    prefix = os.path.splitext(os.path.abspath(output))[0]
    files = []
    for i in range(int(shards)):
        o = dict(overrides or {})
        o.update({"sweep.shard": i, "sweep.shards": int(shards)})
        f = f"{prefix}.shard-{i}.h5"
        run(config, None, f, ranks, threads, o, True, "local", True, env=env, cwd=cwd, mpiexec=mpiexec)
        files.append(f)
    return merge(output, files, overwrite=overwrite, wait=wait, env=env, cwd=cwd)


def _simple(args, env=None, cwd=None):
    return Job(args, None, 1, env, cwd).wait()


def validate(path, env=None):
    """`tradebal validate PATH`: returns its one-line summary; an invalid file raises InputError with dataset,
    index and rule."""
    return _simple(["validate", os.fspath(path)], env).stdout.strip()


def generate(path, entities=None, deals=None, regions=None, periods=None, sectors=None, seed=None, batch=None,
             overwrite=False, ranks=1, env=None, locality=None):
    """`tradebal generate -o PATH ...`: a synthetic input (options as the command's; `locality`, a share in
    [0, 1], gives the region-local entity graph of `--locality`); returns the path."""
    args = ["generate", "-o", os.fspath(path)]
    for opt, v in (("--entities", entities), ("--deals", deals), ("--regions", regions), ("--periods", periods),
                   ("--sectors", sectors), ("--seed", seed), ("--batch", batch)):
        if v is not None:
            args += [opt, str(int(v))]
    if locality is not None:
        args += ["--locality", repr(float(locality))]
    if overwrite:
        args.append("--overwrite")
    Job(args, path, ranks, env).wait()
    return os.fspath(path)
