"""tradebal.Input and the local runner (issue 22, point 3): an input built from DataFrames (tb_world.py), written
and validated, run through the CLI at 1 and 2 ranks with tradebal.run, its per-deal values, status, surplus
and bid equal to an independent NumPy computation of MODEL.md sections 2-3, 1 rank bitwise equal to 2; the
tables read back with Input.from_file write the same datasets; and every exception class raised by a real
failure of the program (exit codes 1-8)."""
import os
import signal
import sys
import time

import h5py
import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tb_world  # noqa: E402
import tradebal  # noqa: E402
from tradebal import errors  # noqa: E402


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    base = os.environ.get("TB_WORK")
    if base:
        d = os.path.join(base, "input_runner")
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.remove(os.path.join(d, f)) if os.path.isfile(os.path.join(d, f)) else None
        return d
    return str(tmp_path_factory.mktemp("input_runner"))


@pytest.fixture(scope="module")
def world_file(work):
    path = os.path.join(work, "world.h5")
    return tradebal.Input(**tb_world.world()).write(path)


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, (o.dtype.str, o.shape, o[()].tobytes()))
                     if isinstance(o, h5py.Dataset) else None)
    return out


def config(work, name="c.ini", **sections):
    """An INI file in work: [run] progress=never and the given {section: {key: value}}."""
    secs = {"run": {"progress": "never"}}
    for s, kv in sections.items():
        secs.setdefault(s.replace("_", "."), {}).update(kv)
    from tradebal.runner import write_config
    return write_config(secs, os.path.join(work, name))


def test_write_dtypes_like_generate(work, world_file):
    gen = tradebal.generate(os.path.join(work, "gen.h5"), entities=20, deals=10, regions=2, periods=2, sectors=2,
                            seed=1, overwrite=True)
    g, w = datasets(gen), datasets(world_file)
    assert tradebal.validate(world_file).startswith(world_file + ": valid: 6 entities, 5 deals, 12 parties, "
                                                    "14 components, 19 flows, 6 edges, 2 regions, 2 periods")
    assert sorted(w) == sorted(g)  # the same datasets (the world has bargaining weights, as generate writes)
    assert {k: v[0] for k, v in w.items()} == {k: v[0] for k, v in g.items()}
    with h5py.File(world_file, "r") as f:
        assert f["/io"].attrs["region"] == 0 and f["/io"].attrs["region"].dtype == np.int32
        # CSR by sorted deal id (1, 3, 5, 7, 10): parties of deal 1 are entities 2, 4
        assert list(f["/deals/party_ptr"][:]) == [0, 2, 4, 7, 10, 12]
        assert list(f["/deals/party_entity"][:4]) == [2, 4, 1, 3]
        assert list(f["/deals/trade_value"][:]) == [0.0, 8.0, 4.0, 15.0, 20.0]
        assert list(f["/network/ptr"][:]) == [0, 2, 3, 4, 4, 5, 6]
        assert list(f["/network/col"][:2]) == [1, 4]
        np.testing.assert_array_equal(f["/entities/weights"][1], [.4, .3, .2, .1])  # corporate by default


def test_round_trip(work, world_file):
    back = tradebal.Input.from_file(world_file)
    again = back.write(os.path.join(work, "again.h5"))
    assert datasets(again) == datasets(world_file)
    assert list(back.deals["deal"]) == [0, 1, 2, 3, 4] and len(back.flows) == 19
    assert back.components.groupby(["deal", "party"]).size().sum() == 14
    with pytest.raises(errors.OutputError):
        back.write(again)  # exists, no overwrite


def run_world(work, world_file, out, ranks):
    cfg = config(work, funding={"budget": 10}, policy_tariff10={"kind": "tariff", "rate": 0.1, "regions": "all"})
    job = tradebal.run(cfg, input=world_file, output=os.path.join(work, out), ranks=ranks, overwrite=True)
    assert job.state == "done" and job.returncode == 0
    return job


def test_run_against_numpy_and_ranks(work, world_file):
    one = run_world(work, world_file, "one.h5", 1)
    two = run_world(work, world_file, "two.h5", 2)
    assert "mpiexec" in os.path.basename(two.command[0]) or "mpirun" in two.command[0]
    ref = tb_world.deal_values(tb_world.world())
    res = one.result()  # the output opened through the SDK (tradebal.open)
    assert isinstance(res, tradebal.Result) and res.provenance["ranks"] == 1
    deals = pd.concat(res.deals(chunk=2))
    value = pd.concat(res.parties(chunk=3))["value"].to_numpy()
    status, surplus, bid = deals["status"].cat.codes.to_numpy(), deals["surplus"].to_numpy(), deals["bid"].to_numpy()
    with tradebal.open(two.output) as r2:
        assert r2.provenance["ranks"] == 2
    with h5py.File(world_file, "r") as f:
        ptr = f["/deals/party_ptr"][:]
    assert list(status) == [r[1] for r in ref] == [2, 0, 1, 2, 0]  # every status occurs
    for d, (V, st, S, b) in enumerate(ref):
        np.testing.assert_allclose(value[ptr[d]:ptr[d + 1]], V, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(surplus[d], S, rtol=1e-13)
        assert bid[d] == b or abs(bid[d] - b) <= 1e-13 * abs(b)
    res.close()
    assert datasets(one.output) == datasets(two.output)  # 1 rank and 2 ranks bitwise equal


def test_usage_error(work, world_file):
    with pytest.raises(errors.UsageError) as e:
        tradebal.run(config(work), input=world_file, output=os.path.join(work, "u.h5"), overrides={"run.bogus": 1})
    assert e.value.code == 2 and "run.bogus" in str(e.value) and e.value.job.returncode == 2
    assert not os.path.exists(os.path.join(work, "u.h5"))


def test_input_error_from_tables(work):
    w = tb_world.world()
    w["components"].loc[4, "prob"] = 1.5  # row 4: deal 3, party 1, its first component
    inp = tradebal.Input(**w)
    path = os.path.join(work, "bad.h5")
    with pytest.raises(errors.InputError) as e:
        inp.write(path)
    # file order: deal 1 (components 0-1), deal 3 (party 0: 2; party 1: 3, 4) -> index 3
    assert e.value.code == 3 and e.value.dataset == "/deals/comp_prob" and e.value.index == 3
    assert e.value.rule == "p_c in [0,1]" and e.value.value == "1.5"
    assert not os.path.exists(path)  # an invalid file is not left behind
    with pytest.raises(errors.InputError) as e2:
        inp.check()
    assert (e2.value.dataset, e2.value.index, e2.value.rule) == ("/deals/comp_prob", 3, "p_c in [0,1]")
    # a rule of the deal structure: an entity twice in one deal
    w = tb_world.world()
    w["parties"].loc[1, "entity"] = 0  # deal 10 (file deal 4, parties 10-11): entities 0, 0
    with pytest.raises(errors.InputError) as e3:
        tradebal.Input(**w).write(path)
    assert e3.value.dataset == "/deals/party_entity" and e3.value.index == 11  # its second party
    assert e3.value.rule == "no entity twice in one deal (deal 4)"
    # and one the tables themselves cannot express: a flow of a component the party does not have
    w = tb_world.world()
    w["flows"].loc[0, "component"] = 5
    with pytest.raises(errors.InputError) as e4:
        tradebal.Input(**w).write(path)
    assert e4.value.dataset == "flows" and e4.value.index == 0


def test_output_error(work, world_file):
    out = os.path.join(work, "exists.h5")
    open(out, "w").write("precious")
    with pytest.raises(errors.OutputError) as e:
        tradebal.run(config(work), input=world_file, output=out)
    assert e.value.code == 4 and "exists" in str(e.value)
    assert open(out).read() == "precious"


def test_gpu_error(work, world_file):
    # this machine has no CUDA device visible (or the build has no CUDA): backend.kind=cuda is exit 5
    with pytest.raises(errors.GPUError) as e:
        tradebal.run(config(work), input=world_file, output=os.path.join(work, "g.h5"), overwrite=True,
                     overrides={"backend": {"kind": "cuda"}}, env={"CUDA_VISIBLE_DEVICES": ""})
    assert e.value.code == 5 and "cuda" in str(e.value).lower()


def test_out_of_memory(work, world_file):
    with pytest.raises(errors.OutOfMemory) as e:
        tradebal.run(config(work), input=world_file, output=os.path.join(work, "m.h5"), overwrite=True,
                     overrides={"run.memory_limit": 1e-6})
    assert e.value.code == 8 and "run.memory_limit" in str(e.value)


def test_internal_error(work, monkeypatch):
    # an installation whose tools/ folder is missing: `tradebal import` cannot find its script (exit 1)
    monkeypatch.setenv("TB_TOOLS_DIR", os.path.join(work, "no-tools"))
    with pytest.raises(errors.InternalError) as e:
        tradebal.imports.census(os.path.join(work, "country.csv"), os.path.join(work, "t.h5"))
    assert e.value.code == 1 and "tb_import.py: missing" in str(e.value)


@pytest.fixture(scope="module")
def bigger(work):
    """A generated input big enough for several batches and a run of a few seconds at 2 ranks."""
    return tradebal.generate(os.path.join(work, "gen_big.h5"), entities=3000, deals=60000, regions=3, periods=4,
                             sectors=3, seed=7, overwrite=True)


def test_checkpointed_and_resume(work, bigger):
    cfg = config(work, "ck.ini", input={"file": bigger}, run={"batch_deals": 10000},
                 assessment={"draws": 2 + 1}, policy_tariff10={"kind": "tariff", "rate": 0.1})
    ref = tradebal.run(cfg, output=os.path.join(work, "ck_ref.h5"), overwrite=True)
    out = os.path.join(work, "ck.h5")
    with pytest.raises(errors.Checkpointed) as e:
        tradebal.run(cfg, output=out, overwrite=True, env={"TB_STOP_AFTER_SAFE_POINTS": "3"})
    job = e.value.job
    assert e.value.code == 7 and job.state == "checkpointed" and "--resume auto" in str(e.value)
    assert not os.path.exists(out) and os.path.isdir(out + ".ckpt")
    resumed = job.resume(env={})  # without the stop the first run had
    assert resumed.state == "done" and "resuming from checkpoint" in resumed.stderr
    assert datasets(resumed.output) == datasets(ref.output)
    # progress lines while a run goes on (run.progress=always), and wait(timeout)
    j = tradebal.run(cfg, output=os.path.join(work, "pr.h5"), overwrite=True, wait=False,
                     overrides={"run.progress": "always"})
    assert j.state in ("running", "done")
    if j.state == "running":
        with pytest.raises(TimeoutError):
            j.wait(timeout=0.01)
    j.wait(timeout=120)
    assert j.progress is not None and j.progress["stage"] in ("run", "deals", "apply policy", "checkpoint")
    bars = [tradebal.runner.parse_progress(x) for x in j.stderr.splitlines()]
    deals = [b for b in bars if b and b["stage"] == "deals"]
    assert deals and deals[-1]["done"] == deals[-1]["total"] == 60000 and deals[-1]["percent"] == 100.0


def test_mpi_error_rank_killed(work):
    # a run of several seconds at 2 ranks, one rank killed once it loads the entities
    big = tradebal.generate(os.path.join(work, "gen_mpi.h5"), entities=20000, deals=400000, seed=3, overwrite=True)
    cfg = config(work, "mpi.ini", input={"file": big}, run={"batch_deals": 20000, "progress": "always"},
                 assessment={"draws": 4})
    out = os.path.join(work, "mpi.h5")
    job = tradebal.run(cfg, output=out, ranks=2, overwrite=True, wait=False)
    import subprocess
    deadline = time.time() + 60
    pids = []
    while time.time() < deadline and job.state == "running" and "[run] loading entities" not in job.stderr:
        time.sleep(0.05)
    while time.time() < deadline and job.state == "running" and len(pids) < 2:
        p = subprocess.run(["pgrep", "-P", str(job._proc.pid), "-x", "tradebal"], capture_output=True, text=True)
        pids = p.stdout.split()
    assert len(pids) == 2, f"two ranks running: {job.state} {job.stderr[-500:]}"
    os.kill(int(pids[-1]), signal.SIGKILL)  # one rank dies without an agreed error
    with pytest.raises(errors.MPIError) as e:
        job.wait(timeout=120)
    assert e.value.code == 6 and job.state == "failed" and job.returncode not in range(0, 9)
    assert not os.path.exists(out)
    for f in os.listdir(work):  # the dead rank's temporary output (README: a killed job may leave it)
        if f.startswith("mpi.h5.tmp-"):
            os.remove(os.path.join(work, f))


def test_local_sweep_shards_equal_unsharded(work, world_file):
    cfg = config(work, "sw.ini", input={"file": world_file}, policy_tariff10={"kind": "tariff", "rate": 0.1},
                 sweep={"method": "lhs", "samples": 4, "market.elasticity": "0.5:3"})
    whole = tradebal.sweep(cfg, os.path.join(work, "sw_whole.h5"), overwrite=True)
    merged = tradebal.sweep(cfg, os.path.join(work, "sw_merged.h5"), shards=2, overwrite=True)
    a, b = datasets(whole.output), datasets(merged.output)
    assert "scenarios/metrics" in a and a["scenarios/metrics"] == b["scenarios/metrics"]
    assert a["sensitivity/spearman"] == b["sensitivity/spearman"]


def test_dataframe_inputs_and_type_names(work):
    # integers instead of names, no bargaining weights, default pay caps: still valid, other dtypes the same
    w = tb_world.world()
    w["entities"]["type"] = [0, 1, 1, 2, 3, 0]
    w["entities"] = w["entities"].drop(columns=["bargaining_weight", "pay_cap"])
    w["base_exports"] = pd.DataFrame(w["base_exports"])
    path = tradebal.Input(**w).write(os.path.join(work, "ints.h5"))
    with h5py.File(path, "r") as f:
        assert "/entities/bargaining_weight" not in f and np.all(np.isinf(f["/entities/pay_cap"][:]))
        assert f["/entities/type"].dtype == np.uint8
