"""The Slurm executor of tradebal.run on the project's private one-node cluster (tests/support/slurm/cluster.sh):
a solve through jobs/solve.sbatch at 2 ranks equals a local run bitwise; a job on an invalid input raises
InputError with the exit code and dataset from Slurm's record and the job's log. Skipped without root or
Slurm's packages (as test_slurm.sh)."""
import os
import subprocess
import sys

import h5py
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tb_world  # noqa: E402
import tradebal  # noqa: E402
from tradebal import errors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLUSTER = os.path.join(ROOT, "tests", "support", "slurm", "cluster.sh")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    base = os.environ.get("TB_WORK")
    work = os.path.join(base, "slurm_runner") if base else str(tmp_path_factory.mktemp("slurm_runner"))
    subprocess.run(["rm", "-rf", work])
    os.makedirs(work)
    p = subprocess.run([CLUSTER, "start", os.path.join(work, "cluster")], capture_output=True, text=True)
    if p.returncode == 77:
        pytest.skip(f"no local Slurm cluster: {p.stderr.strip()}")
    assert p.returncode == 0, f"the cluster did not start: {p.stderr}"
    conf = p.stdout.strip().split("SLURM_CONF=", 1)[1]
    old = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = conf
    yield work
    subprocess.run([CLUSTER, "stop", os.path.join(work, "cluster")])
    if old is None:
        os.environ.pop("SLURM_CONF", None)
    else:
        os.environ["SLURM_CONF"] = old


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()].tobytes()) if isinstance(o, h5py.Dataset) else None)
    return out


def test_slurm_run_equals_local(cluster):
    inp = tradebal.Input(**tb_world.world()).write(os.path.join(cluster, "world.h5"))
    cfg = tradebal.runner.write_config({"input": {"file": inp}, "funding": {"budget": 10},
                                        "policy.tariff10": {"kind": "tariff", "rate": 0.1, "regions": "all"}},
                                       os.path.join(cluster, "s.ini"))
    local = tradebal.run(cfg, output=os.path.join(cluster, "local.h5"))
    job = tradebal.run(cfg, output=os.path.join(cluster, "slurm.h5"), ranks=2, threads=1, executor="slurm",
                       wait=False)
    assert isinstance(job, tradebal.runner.SlurmJob) and job.job_id.isdigit()
    assert job.state in ("pending", "running", "done")
    job.wait(timeout=120)
    assert job.state == "done" and job.returncode == 0 and job.slurm_state == "COMPLETED"
    assert "# job " + job.job_id in job.stdout  # the job script's log is the handle's output
    with h5py.File(job.output, "r") as f:
        assert f.attrs["ranks"] == 2
    assert datasets(job.output) == datasets(local.output)


def test_slurm_failure_raises_its_class(cluster):
    w = tb_world.world()
    inp = tradebal.Input(**w).write(os.path.join(cluster, "bad.h5"), validate=False)
    with h5py.File(inp, "r+") as f:
        f["/deals/comp_prob"][2] = -0.5
    cfg = tradebal.runner.write_config({"input": {"file": inp}}, os.path.join(cluster, "bad.ini"))
    with pytest.raises(errors.InputError) as e:
        tradebal.run(cfg, output=os.path.join(cluster, "bad_out.h5"), threads=1, executor="slurm")
    job = e.value.job
    assert job.returncode == 3 and job.state == "failed" and job.slurm_state == "FAILED"
    assert (e.value.dataset, e.value.index, e.value.rule) == ("/deals/comp_prob", 2, "p_c in [0,1]")
    assert not os.path.exists(os.path.join(cluster, "bad_out.h5"))


def test_slurm_sweep_array_equals_unsharded(cluster):
    inp = tradebal.Input(**tb_world.world()).write(os.path.join(cluster, "sw_world.h5"))
    cfg = tradebal.runner.write_config({"input": {"file": inp}, "policy.tariff10": {"kind": "tariff", "rate": 0.1},
                                        "sweep": {"method": "lhs", "samples": 4, "market.elasticity": "0.5:3"}},
                                       os.path.join(cluster, "sw.ini"))
    whole = tradebal.sweep(cfg, os.path.join(cluster, "sw_whole.h5"))
    job = tradebal.sweep(cfg, os.path.join(cluster, "sw_array.h5"), shards=2, threads=1, executor="slurm",
                         cwd=cluster, wait=False)
    assert job.array_id.isdigit() and job.job_id.isdigit()
    job.wait(timeout=120)
    assert job.state == "done" and all(os.path.exists(f) for f in job.shard_files)
    assert datasets(job.output) == datasets(whole.output)
