"""The Slurm executor of tradebal.run on the project's private one-node cluster (tests/support/slurm/cluster.sh):
a solve through jobs/solve.sbatch at 2 ranks equals a local run bitwise, and so does one of 3 ranks on the
3-node cluster (cluster.sh --nodes 3, sbatch_args --ntasks-per-node=1: one rank on each of n1, n2, n3, as
Slurm's node list and the ranks' own hostnames say); a job on an invalid input raises InputError with the
exit code and dataset from Slurm's record and the job's log. Skipped without root or Slurm's packages (as
test_slurm.sh)."""
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
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import slurm_cluster  # noqa: E402


def work_dir(tmp_path_factory, name):
    base = os.environ.get("TB_WORK")
    work = os.path.join(base, name) if base else str(tmp_path_factory.mktemp(name))
    subprocess.run(["rm", "-rf", work])
    os.makedirs(work)
    return work


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    work = work_dir(tmp_path_factory, "slurm_runner")
    with slurm_cluster.running(os.path.join(work, "cluster")):
        yield work


@pytest.fixture
def cluster3(tmp_path_factory):
    """The 3-node cluster, for one test: its exports (SLURM_CONF, PATH) are the session's only while it runs."""
    work = work_dir(tmp_path_factory, "slurm_runner3")
    with slurm_cluster.running(os.path.join(work, "cluster"), nodes=3):
        yield work


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()].tobytes()) if isinstance(o, h5py.Dataset) else None)
    return out


@pytest.mark.parametrize("nodes", [1, 3])
def test_slurm_run_equals_local(request, nodes):
    cluster = request.getfixturevalue("cluster3" if nodes > 1 else "cluster")
    if nodes > 1:  # a generated input with work for every rank; the program prints each rank's host
        inp = tradebal.generate(os.path.join(cluster, "world.h5"), entities=1500, deals=12000, regions=4,
                                periods=4, sectors=6, seed=5)
        ranks, extra = 3, {"sbatch_args": ["--ntasks-per-node=1"], "env": {"TRADEBAL": slurm_cluster.placing(
            os.path.join(cluster, "placing.sh"), os.path.abspath(tradebal.runner.executable()))}}
    else:
        inp = tradebal.Input(**tb_world.world()).write(os.path.join(cluster, "world.h5"))
        ranks, extra = 2, {}
    cfg = tradebal.runner.write_config({"input": {"file": inp}, "funding": {"budget": 10},
                                        "policy.tariff10": {"kind": "tariff", "rate": 0.1, "regions": "all"}},
                                       os.path.join(cluster, "s.ini"))
    local = tradebal.run(cfg, output=os.path.join(cluster, "local.h5"))
    job = tradebal.run(cfg, output=os.path.join(cluster, "slurm.h5"), ranks=ranks, threads=1, executor="slurm",
                       wait=False, **extra)
    assert isinstance(job, tradebal.runner.SlurmJob) and job.job_id.isdigit()
    assert job.state in ("pending", "running", "done")
    job.wait(timeout=120)
    assert job.state == "done" and job.returncode == 0 and job.slurm_state == "COMPLETED"
    assert "# job " + job.job_id in job.stdout  # the job script's log is the handle's output
    with h5py.File(job.output, "r") as f:
        assert f.attrs["ranks"] == ranks
    assert datasets(job.output) == datasets(local.output)
    if nodes > 1:
        slurm_cluster.assert_one_rank_per_node(job.job_id, job.stdout, nodes)


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
