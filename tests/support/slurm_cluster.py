"""The private Slurm cluster (tests/support/slurm/cluster.sh) for the pytest files that drive an executor on
it (tests/python/test_slurm_runner.py, tests/serve/test_slurm_runs.py): started and always stopped around a
fixture, skipped without root or Slurm's packages; and the checks of where a job's ranks ran."""
import contextlib
import os
import re
import subprocess

import pytest

CLUSTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "slurm", "cluster.sh")


@contextlib.contextmanager
def running(d, nodes=1):
    """cluster.sh start D [--nodes N] with its exports (SLURM_CONF; PATH to the head-node wrappers when N > 1)
    in os.environ while it runs, restored after cluster.sh stop D. With several nodes the jobs also get
    OMPI_MCA_mpi_yield_when_idle=1: the nodes share this machine's cores, and Open MPI's busy polling
    would make a run several times slower."""
    args = [CLUSTER, "start", d] + (["--nodes", str(nodes)] if nodes > 1 else [])
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode == 77:
        pytest.skip(f"no local Slurm cluster: {p.stderr.strip()}")
    assert p.returncode == 0, f"the cluster did not start: {p.stderr}"
    env = {k: v.replace("$PATH", os.environ.get("PATH", ""))
           for k, v in re.findall(r"^export (\w+)=(.*)$", p.stdout, re.M)}
    if nodes > 1:
        env["OMPI_MCA_mpi_yield_when_idle"] = "1"
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield d
    finally:
        subprocess.run([CLUSTER, "stop", d])
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def placing(path, exe):
    """A wrapper of the program exe at path that prints "# rank R of N on HOST" on stderr (the job's log)
    before each `run`: where srun really started each rank. Returns path."""
    with open(path, "w") as fh:
        fh.write('#!/bin/sh\n[ "$1" = run ] && echo "# rank ${SLURM_PROCID:-?} of ${SLURM_NTASKS:-?} on '
                 f'$(hostname)" >&2\nexec "{exe}" "$@"\n')
    os.chmod(path, 0o755)
    return path


def placement(log):
    """{rank: host} from the lines placing() printed in a job's log text."""
    return {int(r): h for r, h in re.findall(r"^# rank (\d+) of \d+ on (\S+)$", log, re.M)}


def job_nodes(job_id):
    """The nodes Slurm allocated to the job (scontrol show job; kept MinJobAge after its end), expanded."""
    p = subprocess.run(["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True, check=True)
    nodes = re.search(r"(?<!\S)NodeList=(\S+)", p.stdout).group(1)
    p = subprocess.run(["scontrol", "show", "hostnames", nodes], capture_output=True, text=True, check=True)
    return p.stdout.split()


def assert_one_rank_per_node(job_id, log, nodes=3):
    """The job held nodes n1..nN and its N ranks ran one on each of them (their own hostnames)."""
    want = [f"n{k}" for k in range(1, nodes + 1)]
    assert job_nodes(job_id) == want, (job_nodes(job_id), log[-2000:])
    ranks = placement(log)
    assert sorted(ranks) == list(range(nodes)) and sorted(ranks.values()) == want, log[-2000:]
