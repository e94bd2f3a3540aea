"""libtradebal through the SDK (issue 22, point 1): it exports the tb_api_* functions alone; evaluate() gives
bitwise what `tradebal run` writes for the same deals; the auction, Leontief and order checks against hand-worked
cases and NumPy; several threads at once give the same bits as one."""
import concurrent.futures
import os
import subprocess

import h5py
import numpy as np
import pytest

import tradebal
from tradebal import _lib
from tradebal.evaluate import evaluate, cert_auction, leontief, order_check, _read_input

TB = os.environ.get("TRADEBAL_EXE", "tradebal")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("lib")
    inp = str(d / "in.h5")
    subprocess.run([TB, "generate", "-o", inp, "--entities", "500", "--deals", "4000", "--regions", "4",
                    "--periods", "3", "--sectors", "5", "--seed", "11"], check=True, capture_output=True)
    return d, inp


def run(d, inp, name, extra=""):
    """`tradebal run` of a config with the `none` policy alone (its import charge is 0 where a deal trades)."""
    ini = d / (name + ".ini")
    ini.write_text("[input]\nfile = %s\n[output]\nfile = %s\n[assessment]\ndraws = 0\n%s" %
                   (inp, d / (name + ".h5"), extra))
    subprocess.run([TB, "run", "-c", str(ini), "--overwrite"], check=True, capture_output=True)
    return str(d / (name + ".h5"))


def test_exports_only_the_api():
    path = _lib.library()._name
    out = subprocess.run(["nm", "-D", "--defined-only", path], check=True, capture_output=True, text=True).stdout
    names = sorted(line.split()[-1] for line in out.splitlines() if line.strip())
    assert names and all(n.startswith("tb_api_") for n in names), names
    soname = subprocess.run(["readelf", "-d", path], check=True, capture_output=True, text=True).stdout
    assert "Library soname: [libtradebal.so.0]" in soname


def test_version_is_the_program_s():
    out = subprocess.run([TB, "version"], check=True, capture_output=True, text=True).stdout
    assert _lib.version() in out and _lib.version() == tradebal.__version__


@pytest.mark.parametrize("rule,scope", [("nash", "repair"), ("egalitarian", "all")])
def test_evaluate_equals_the_run_bitwise(work, rule, scope):
    d, inp = work
    out = run(d, inp, "none_" + rule, "[split]\nrule = %s\nscope = %s\n" % (rule, scope))
    with h5py.File(out, "r") as f:
        got = {k: f["deals/" + k][()] for k in ("value", "status", "surplus", "bid", "transfer", "final_value",
                                                  "outcome")}
    with h5py.File(inp, "r") as f:
        charge = np.where(got["outcome"] == 0, 0.0, np.nan) * f["deals/trade_value"][()]
    ev = evaluate(inp, split_rule=rule, split_scope=scope, charge=charge)
    for k in ("value", "status", "surplus", "bid", "transfer", "final_value"):
        a, b = ev.arrays[k], got[k]
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), k
    assert len(ev.deals) == 4000 and set(ev.deals.status.cat.categories) == {"WIN_WIN", "REPAIRABLE", "NOT_WIN_WIN"}
    assert (ev.deals.status.cat.codes.to_numpy() == got["status"]).all()


def test_threads_at_once_give_the_same_bits(work):
    _, inp = work
    one = evaluate(inp).arrays
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        many = list(pool.map(lambda _: evaluate(inp, threads=1).arrays, range(8)))
    for r in many:
        for k, v in one.items():
            assert v.tobytes() == r[k].tobytes(), k


BREAKS = [  # (dataset, index, value): one broken element each
    ("/deals/comp_prob", 7, 1.5),
    ("/entities/weights", (3, 1), 0.9),
    ("/entities/discount_rate", 5, -1.0),
    ("/deals/importer", 2, 9),
    ("/deals/party_entity", 1, None),  # the deal's first party again: an entity twice
    ("/deals/comp_dim", 4, 5),
    ("/deals/flow_period", 0, -3),
    ("/deals/trade_value", 11, float("nan")),
]


@pytest.mark.parametrize("name,index,value", BREAKS)
def test_invalid_arrays_raise_validate_s_message(work, name, index, value):
    """tb_api_check words a broken array exactly as `tradebal validate` words the same input file."""
    d, inp = work
    arrays = _read_input(inp)
    a = arrays[name] = arrays[name].copy()
    a[index] = arrays["/deals/party_entity"][0] if value is None else value
    with pytest.raises(tradebal.InputError) as e:
        evaluate(arrays)
    bad = str(d / "bad.h5")
    subprocess.run(["cp", inp, bad], check=True)
    with h5py.File(bad, "r+") as f:
        f[name][index] = a[index]
    v = subprocess.run([TB, "validate", bad], capture_output=True, text=True)
    assert v.returncode == 3 and e.value.code == 3
    cli = v.stderr.strip().splitlines()[-1]
    assert cli.endswith(bad + ": " + e.value.message), (cli, e.value.message)
    assert e.value.dataset == name and e.value.rule, (e.value.dataset, e.value.rule)
    if name not in ("/deals/importer", "/deals/party_entity", "/entities/weights"):
        assert e.value.index == index


def test_leontief_against_numpy_and_the_run(work):
    d, inp = work
    out = run(d, inp, "io")
    with h5py.File(inp, "r") as f:
        A, va, emp = f["io/A"][()], f["io/value_added"][()], f["io/employment"][()]
    with h5py.File(out, "r") as f:
        m_run = f["io/multipliers"][()]
    S = A.shape[0]
    rng = np.random.default_rng(3)
    fd = rng.uniform(-1, 2, (3, S))
    r = leontief(A, va, emp, fd)
    assert r["multipliers"].tobytes() == m_run.tobytes()  # the same core as the run
    L = np.linalg.inv(np.eye(S) - A)
    np.testing.assert_allclose(r["multipliers"], L.sum(axis=0), rtol=1e-12)
    x = np.linalg.solve(np.eye(S) - A, fd.T).T
    np.testing.assert_allclose(r["output"], x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r["gdp"], x @ va, rtol=1e-10)
    np.testing.assert_allclose(r["jobs"], x @ emp, rtol=1e-10)


def test_auction_hand_worked():
    # deals alone: bids 3, 2, 1 of one unit each and Q = 1.5: above P = 2 only one unit demands
    assert cert_auction(1.5, 0.0, [3, 2, 1], [1, 1, 1]) == 2.0
    # with base demand 1 / (1 + P): at P = 2 the demand is 1 + 1/3 <= 1.5, below 2 it is >= 2
    assert cert_auction(1.5, 1.0, [3, 2, 1], [1, 1, 1], epsilon=1.0) == 2.0
    # a floor above the clearing price binds
    assert cert_auction(10.0, 0.0, [3, 2, 1], [1, 1, 1], floor=0.25) == 0.25
    # no certificates and positive base demand: nothing can be served
    assert cert_auction(0.0, 1.0, [], []) == float("inf")
    # base alone: (1 + P)^-1.5 = 0.5 at P = 2^(2/3) - 1, to the double
    p = cert_auction(0.5, 1.0, [], [])
    assert abs(p - (2 ** (2 / 3) - 1)) < 1e-15 and (1 + p) ** -1.5 <= 0.5


def test_order_checks():
    assert order_check("buy", 1, 1, 0) == 0
    assert order_check("buy", 0, 1, 0) == 1
    assert order_check("sell", 1, -0.5, 10) == 2
    assert order_check("sell", 5, 1, 4.5) == 3
    assert order_check("sell", 4.5, 1, 4.5) == 0
