"""Runs through Slurm (issue 23, points 3 and 7) on the project's private one-node cluster
(tests/support/slurm/cluster.sh; skipped without root or Slurm's packages): a run submitted with sbatch
(jobs/solve.sbatch, 2 ranks) equals the local command line bitwise and gets its report, and so does one of
3 ranks on the 3-node cluster (cluster.sh --nodes 3, runs.sbatch_args=--ntasks-per-node=1: one rank on each of
n1, n2, n3, as Slurm's node list and the ranks' own hostnames say); a failing job
reports the program's error; an API cancel stops the job at a safe point (exit 7); a job scancel'ed from
outside reads "cancelled from outside the API" and resumes; a walltime stop is checkpointed, not failed, and
resumes to the same output; a sweep sharded over an array (jobs/submit_sweep.sh) merges into the unsharded
result. Final states come from the job script's status file, Slurm's state only where there is none."""
import os
import shutil
import subprocess

import h5py
import pytest

from conftest import ROOT
from runs_util import (FINAL, QUICK, SLOW, STARTED, SWEEP, cli_run, error_line, program, runs_server, same_output,
                       slow_input, submit, wait_log, wait_state)

import slurm_cluster  # tests/support: runs_util puts it on sys.path


@pytest.fixture(scope="module")
def cluster(data_root):
    with slurm_cluster.running(os.path.join(data_root, ".cluster")) as d:
        yield d


def slurm_server(data_root, name, sets=()):
    return runs_server(data_root, sets=["runs.executor=slurm", "runs.poll_interval=0.3", f"runs.jobs_dir={ROOT}/jobs",
                                        "runs.threads=1", *sets], name=name).start()


@pytest.fixture(scope="module")
def server(cluster, data_root):
    s = slurm_server(data_root, "slurm")
    yield s
    s.stop()


@pytest.fixture
def server3(data_root):
    """A server on the 3-node cluster, for one test (the cluster's exports are the session's only while it runs),
    over its own data root (run ids, and so the runs' folders, are a server's own); its program prints where
    each rank runs."""
    root = os.path.join(data_root, "nodes3")
    os.makedirs(os.path.join(root, "inputs"))
    shutil.copy(os.path.join(data_root, "inputs", "small.h5"), os.path.join(root, "inputs"))
    with slurm_cluster.running(os.path.join(data_root, ".cluster3"), nodes=3):
        placing = slurm_cluster.placing(os.path.join(data_root, "placing.sh"), program(root))
        s = slurm_server(root, "slurm3", ["runs.sbatch_args=--ntasks-per-node=1", f"runs.tradebal={placing}"])
        yield s
        s.stop()


@pytest.fixture(scope="module")
def cli_slow(data_root):
    out = os.path.join(data_root, "cli-slow.h5")
    rc, err = cli_run(data_root, SLOW, slow_input(data_root), out)
    assert rc == 0, err
    return out


def wait_running(server, rid):
    """Until Slurm runs the job and the program has started (its signal handlers are in)."""
    wait_log(server, rid, STARTED)
    run = wait_state(server, rid, {"running"} | FINAL)
    assert run["state"] == "running" and run["slurm"]["state"] == "RUNNING", run
    return run


@pytest.mark.parametrize("nodes", [1, 3])
def test_slurm_run_equals_local(request, nodes):
    server = request.getfixturevalue("server3" if nodes > 1 else "server")
    data_root, ranks = server.data_root, 3 if nodes > 1 else 2
    run = submit(server, {"config": QUICK, "input": "inputs/small.h5", "ranks": ranks, "report": True})
    assert run["executor"] == "slurm" and run["slurm"] == {"job": None, "array": None, "state": None}
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "done" and run["exit_code"] == 0 and run["message"] is None, run
    assert run["slurm"]["job"].isdigit() and run["slurm"]["array"] is None
    rc, err = cli_run(data_root, QUICK, "inputs/small.h5", os.path.join(data_root, "cli-quick.h5"))
    assert rc == 0, err
    out = os.path.join(data_root, run["output"])
    same_output(out, os.path.join(data_root, "cli-quick.h5"))
    with h5py.File(out, "r") as f:
        assert f.attrs["ranks"] == ranks  # srun started them
    log = server.get(f"/v1/runs/{run['id']}/log").text
    assert f"# job {run['slurm']['job']} on " in log
    if nodes > 1:
        slurm_cluster.assert_one_rank_per_node(run["slurm"]["job"], log, nodes)
    names = {f["name"] for f in server.get(f"/v1/runs/{run['id']}/files").json()["files"]}
    assert "index.html" in names and os.path.exists(os.path.join(data_root, run["report"]))


def test_slurm_failure_gives_the_programs_error(server, data_root):
    shutil.copy(os.path.join(data_root, "inputs", "small.h5"), os.path.join(data_root, "inputs", "bad.h5"))
    with h5py.File(os.path.join(data_root, "inputs", "bad.h5"), "r+") as f:
        f["/deals/comp_prob"][3] = -0.5
    run = wait_state(server, submit(server, {"config": QUICK, "input": "inputs/bad.h5"})["id"], FINAL)
    rc, err = cli_run(data_root, QUICK, "inputs/bad.h5", os.path.join(data_root, "cli-bad.h5"))
    assert rc == 3 and run["state"] == "failed" and run["exit_code"] == 3, run
    assert run["message"] == error_line(err) and data_root not in run["message"], (run["message"], err)


def test_api_cancel_stops_at_a_safe_point(server, data_root):
    run = submit(server, {"config": SLOW, "input": slow_input(data_root)})
    wait_running(server, run["id"])
    assert server.post(f"/v1/runs/{run['id']}/cancel").status == 202
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "cancelled" and run["exit_code"] == 7 and "through the API" in run["message"], run
    assert os.path.exists(os.path.join(data_root, run["output"] + ".ckpt"))


def test_scancel_from_outside_is_reported_and_resumes(server, data_root, cli_slow):
    run = submit(server, {"config": SLOW, "input": slow_input(data_root)})
    run = wait_running(server, run["id"])
    subprocess.run(["scancel", run["slurm"]["job"]], check=True)
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "cancelled" and not run["cancel_requested"], run
    assert "from outside the API" in run["message"] and "CANCELLED" in run["message"], run
    assert server.post(f"/v1/runs/{run['id']}/resume").status == 202
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "done" and run["attempts"] == 2, run
    same_output(os.path.join(data_root, run["output"]), cli_slow)


def test_walltime_stop_is_checkpointed_and_resumes(server, data_root, cli_slow):
    run = submit(server, {"config": SLOW, "input": slow_input(data_root), "set": {"checkpoint.walltime": 0.2}})
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "checkpointed" and run["exit_code"] == 7 and "walltime" in run["message"], run
    r = server.post(f"/v1/runs/{run['id']}/resume", {"set": {"checkpoint.walltime": 0}})
    assert r.status == 202 and r.json()["set"]["checkpoint.walltime"] == "0", r
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "done" and run["attempts"] == 2, run
    assert "resuming from checkpoint" in server.get(f"/v1/runs/{run['id']}/log").text
    same_output(os.path.join(data_root, run["output"]), cli_slow)


def test_sharded_sweep_equals_the_unsharded_run(server, data_root):
    os.makedirs(os.path.join(data_root, "results"), exist_ok=True)
    run = submit(server, {"config": SWEEP, "input": "inputs/small.h5", "shards": 2, "output": "results/sharded.h5"})
    assert run["kind"] == "sweep"
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "done" and run["slurm"]["array"].isdigit(), run
    rc, err = cli_run(data_root, SWEEP, "inputs/small.h5", os.path.join(data_root, "cli-sweep.h5"))
    assert rc == 0, err
    same_output(os.path.join(data_root, "results", "sharded.h5"), os.path.join(data_root, "cli-sweep.h5"))
    log = server.get(f"/v1/runs/{run['id']}/log").text
    assert "task 0" in log and "task 1" in log  # the shards' logs, joined
