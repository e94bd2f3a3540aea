"""The quick checks (issue 23, point 2), against a real server: deals evaluated bitwise as `tradebal run` writes
them (read back with h5py) in every request form, inline entities equal to referenced ones, the batch limit,
section 1's rules worded as libtradebal and `tradebal validate` word them; certificate uses and exchange orders
against hand-worked registries from an input and from a `tradebal match` output; impacts against NumPy and,
bitwise, libtradebal through the Python SDK."""
import concurrent.futures
import os
import shutil
import subprocess

import h5py
import numpy as np
import pytest

from conftest import TB, Server

import tradebal
from tradebal.evaluate import check, evaluate, leontief, order_check, _read_input

DEAL_COLUMNS = ("party_ptr", "party_entity", "importer", "trade_value", "comp_ptr", "comp_dim", "comp_prob",
                "flow_ptr", "flow_period", "flow_amount")
ENTITY_FIELDS = ("type", "weights", "discount_rate", "risk_aversion", "pay_cap")
OUT = ("value", "status", "surplus", "bid", "transfer", "final_value")


def real(x):
    """A number of an answer: non-finite ones come as "Infinity", "-Infinity", "NaN"."""
    return float(x) if isinstance(x, str) else x


def jreal(x):
    x = float(x)
    return x if np.isfinite(x) else ("NaN" if np.isnan(x) else "Infinity" if x > 0 else "-Infinity")


def jlist(a):
    a = np.asarray(a)
    return [jreal(v) for v in a.ravel()] if a.dtype.kind == "f" else [int(v) for v in a.ravel()]


def columns_of(arrays, deals=None):
    """The /deals arrays as the columnar request form (all deals, or the CSR of the selected ones)."""
    cols = {k: arrays["/deals/" + k] for k in DEAL_COLUMNS}
    if deals is not None:
        cols = select(cols, deals)
    return {k: jlist(v) for k, v in cols.items()}


def select(c, deals):
    """The CSR arrays of the selected deals, rebased: an independent re-implementation of the server's gather."""
    pp, cp, fp = c["party_ptr"], c["comp_ptr"], c["flow_ptr"]
    parties = np.concatenate([np.arange(pp[d], pp[d + 1]) for d in deals])
    comps = np.concatenate([np.arange(cp[p], cp[p + 1]) for p in parties])
    flows = np.concatenate([np.arange(fp[k], fp[k + 1]) for k in comps]) if len(comps) else np.zeros(0, int)
    ptr = lambda counts: np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return {"party_ptr": ptr(pp[np.array(deals) + 1] - pp[deals]), "party_entity": c["party_entity"][parties],
            "importer": c["importer"][deals], "trade_value": c["trade_value"][deals],
            "comp_ptr": ptr(cp[parties + 1] - cp[parties]), "comp_dim": c["comp_dim"][comps],
            "comp_prob": c["comp_prob"][comps], "flow_ptr": ptr(fp[comps + 1] - fp[comps]),
            "flow_period": c["flow_period"][flows], "flow_amount": c["flow_amount"][flows]}


def nested_of(arrays, d):
    """Deal d of the file in the readable nested form."""
    a = lambda k: arrays["/deals/" + k]
    parties = []
    for p in range(a("party_ptr")[d], a("party_ptr")[d + 1]):
        comps = []
        for c in range(a("comp_ptr")[p], a("comp_ptr")[p + 1]):
            flows = [{"period": int(a("flow_period")[f]), "amount": jreal(a("flow_amount")[f])}
                     for f in range(a("flow_ptr")[c], a("flow_ptr")[c + 1])]
            comps.append({"dim": int(a("comp_dim")[c]), "prob": jreal(a("comp_prob")[c]), "flows": flows})
        parties.append({"entity": int(a("party_entity")[p]), "components": comps})
    return {"importer": int(a("importer")[d]), "trade_value": jreal(a("trade_value")[d]), "parties": parties}


def entities_of(arrays):
    e = {k: jlist(arrays["/entities/" + k]) for k in ENTITY_FIELDS + ("bargaining_weight",)
         if "/entities/" + k in arrays}
    e["weights"] = [e["weights"][4 * i:4 * i + 4] for i in range(len(e["type"]))]  # the file's [N, 4]
    if "/model/translation" in arrays:
        e["translation"] = arrays["/model/translation"].tolist()  # [4][4][4]
    return e


def as_arrays(cols):
    """An answer's columns as the output file's dtypes."""
    out = {k: np.array([real(x) for x in cols[k]], np.float64) for k in ("value", "surplus", "bid", "transfer",
                                                                         "final_value")}
    out["status"] = np.array(cols["status"], np.uint8)
    return out


def same_bits(a, b, what):
    assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), what


@pytest.fixture(scope="module")
def work(data_root):
    """`tradebal run` of inputs/small.h5 with the `none` policy alone (its charge: 0 where a deal trades),
    its /deals read back, the input's arrays, and the charge that reproduces its transfers."""
    inp = os.path.join(data_root, "inputs", "small.h5")
    os.makedirs(os.path.join(data_root, "outputs"), exist_ok=True)
    out = os.path.join(data_root, "outputs", "run.h5")
    ini = os.path.join(data_root, "run.ini")
    with open(ini, "w") as fh:
        fh.write("[input]\nfile = %s\n[output]\nfile = %s\n[assessment]\ndraws = 0\n" % (inp, out))
    subprocess.run([TB, "run", "-c", ini, "--overwrite"], check=True, capture_output=True)
    with h5py.File(out, "r") as f:
        run = {k: f["deals/" + k][()] for k in OUT + ("outcome",)}
        run["multipliers"] = f["io/multipliers"][()]
    arrays = _read_input(inp)
    charge = [0.0 if o == 0 else None for o in run["outcome"]]  # 0 * m_d where it traded; null: it did not
    return {"input": inp, "run": run, "arrays": arrays, "charge": charge, "M": len(run["status"])}


# ---- /v1/deals/evaluate ----

def test_columnar_batch_of_all_deals_is_the_run_bitwise(server, work):
    body = {"input": "inputs/small.h5", "deals": columns_of(work["arrays"]), "charge": work["charge"]}
    r = server.post("/v1/deals/evaluate", body, token="read")
    assert r.status == 200, r.text
    j = r.json()
    assert j["n_deals"] == work["M"] and j["n_parties"] == len(work["run"]["value"])
    got = as_arrays(j["deals"])
    for k in OUT:
        same_bits(got[k], work["run"][k], k)
    assert j["deals"]["status_name"] == [["WIN_WIN", "REPAIRABLE", "NOT_WIN_WIN"][s] for s in got["status"]]
    assert set(j["deals"]["status_name"]) == {"WIN_WIN", "REPAIRABLE", "NOT_WIN_WIN"}  # the input has all three
    assert j["params"] == {"model": {"value_rule": "expected", "other_factor": 0.5},
                           "split": {"rule": "nash", "scope": "repair"}}


def test_deal_indices_of_the_input_are_the_run_bitwise(server, work):
    M = work["M"]
    r = server.post("/v1/deals/evaluate", {"input": "inputs/small.h5", "deal_indices": {"start": 0, "stop": M},
                                           "charge": work["charge"]})
    assert r.status == 200, r.text
    cols = r.json()["deals"]
    got = as_arrays(cols)
    for k in OUT:
        same_bits(got[k], work["run"][k], k)
    a = work["arrays"]
    assert cols["party_ptr"] == a["/deals/party_ptr"].tolist()
    assert cols["party_entity"] == a["/deals/party_entity"].tolist()
    # a selection, out of order and repeated: the same bits as those deals of the whole batch
    pick = [1999, 3, 3, 1000, 0]
    r = server.post("/v1/deals/evaluate", {"input": "inputs/small.h5", "deal_indices": pick})
    sub = r.json()["deals"]
    ref = select({k: a["/deals/" + k] for k in DEAL_COLUMNS}, pick)
    assert sub["party_ptr"] == ref["party_ptr"].tolist() and sub["party_entity"] == ref["party_entity"].tolist()
    parties = np.concatenate([np.arange(a["/deals/party_ptr"][d], a["/deals/party_ptr"][d + 1]) for d in pick])
    got = as_arrays(sub)
    for k in ("status", "surplus", "bid"):
        same_bits(got[k], work["run"][k][pick], k)
    same_bits(got["value"], work["run"]["value"][parties], "value")


def interesting_deals(work):
    """A few deals of each status, the first and the last, and one repairable that the run let trade."""
    st, run = work["run"]["status"], work["run"]
    picks = [0, work["M"] - 1]
    for s in (0, 1, 2):
        picks += list(np.flatnonzero(st == s)[:3])
    repaired = np.flatnonzero((st == 1) & (run["outcome"] == 0))
    assert len(repaired), "the generated input should have a repairable deal that trades"
    picks.append(int(repaired[0]))
    return sorted(set(int(d) for d in picks))


def test_single_nested_deals_equal_the_batch(server, work):
    a, run = work["arrays"], work["run"]
    ptr = a["/deals/party_ptr"]
    picks = interesting_deals(work)
    for d in picks:
        r = server.post("/v1/deals/evaluate", {"input": "inputs/small.h5", "deal": nested_of(a, d),
                                               "charge": work["charge"][d]}, token="read")
        assert r.status == 200, r.text
        deal = r.json()["deal"]
        assert deal["status"] == run["status"][d] and deal["status_name"] == ["WIN_WIN", "REPAIRABLE", "NOT_WIN_WIN"][deal["status"]]
        assert np.float64(real(deal["surplus"])).tobytes() == run["surplus"][d].tobytes()
        assert np.float64(real(deal["bid"])).tobytes() == run["bid"][d].tobytes()
        for k in ("value", "transfer", "final_value"):
            same_bits(np.array([real(p[k]) for p in deal["parties"]]), run[k][ptr[d]:ptr[d + 1]], (d, k))
        assert [p["entity"] for p in deal["parties"]] == a["/deals/party_entity"][ptr[d]:ptr[d + 1]].tolist()
    assert any(real(run["transfer"][ptr[d]]) != 0 for d in picks)  # a split that moved money was compared
    # the same deals as one list of nested deals
    r = server.post("/v1/deals/evaluate", {"input": "inputs/small.h5", "deals": [nested_of(a, d) for d in picks],
                                           "charge": [work["charge"][d] for d in picks]})
    assert r.status == 200 and r.json()["n_deals"] == len(picks)
    for d, deal in zip(picks, r.json()["deals"]):
        assert np.float64(real(deal["surplus"])).tobytes() == run["surplus"][d].tobytes()
        same_bits(np.array([real(p["final_value"]) for p in deal["parties"]]), run["final_value"][ptr[d]:ptr[d + 1]], d)


def test_a_deal_without_trade_value_bids_infinity(server, work):
    deal = nested_of(work["arrays"], 0)
    deal["trade_value"] = 0
    r = server.post("/v1/deals/evaluate", {"input": "inputs/small.h5", "deal": deal})
    assert r.status == 200 and r.json()["deal"]["bid"] == "Infinity"


def test_inline_entities_equal_referenced_ones(server, work):
    a = work["arrays"]
    deals = list(range(0, work["M"], 7))
    cols = columns_of(a, deals)
    by_ref = server.post("/v1/deals/evaluate", {"input": "inputs/small.h5", "deals": cols})
    inline = server.post("/v1/deals/evaluate", {"entities": entities_of(a), "deals": cols})
    assert by_ref.status == inline.status == 200, inline.text
    assert by_ref.body == inline.body
    # pay caps of +inf travel as "Infinity"; a flat weights list is the same table
    e = entities_of(a)
    e["weights"] = [w for row in e["weights"] for w in row]
    e["pay_cap"][0] = "Infinity"
    mod = {k: v.copy() for k, v in a.items()}
    mod["/entities/pay_cap"][0] = np.inf
    r = server.post("/v1/deals/evaluate", {"entities": e, "deals": columns_of(a), "split": {"rule": "egalitarian"}})
    ref = evaluate(mod, split_rule="egalitarian").arrays
    got = as_arrays(r.json()["deals"])
    for k in ("value", "status", "surplus", "bid", "transfer", "final_value"):
        same_bits(got[k], ref[k], k)


@pytest.mark.parametrize("value_rule,rule,scope,other", [("min_adjusted", "nash", "all", 0.25),
                                                         ("expected", "none", "repair", 0.5),
                                                         ("expected", "egalitarian", "all", 0.75)])
def test_params_as_the_config_names_them(server, work, value_rule, rule, scope, other):
    """[model] and [split] of the request against the SDK's evaluation of the same input (libtradebal)."""
    body = {"input": "inputs/small.h5", "deal_indices": {"start": 0, "stop": work["M"]},
            "model": {"value_rule": value_rule, "other_factor": other}, "split": {"rule": rule, "scope": scope}}
    r = server.post("/v1/deals/evaluate", body)
    assert r.status == 200, r.text
    assert r.json()["params"] == {"model": body["model"], "split": body["split"]}
    ref = evaluate(work["input"], value_rule=value_rule, split_rule=rule, split_scope=scope, other_factor=other).arrays
    got = as_arrays(r.json()["deals"])
    for k in ("value", "status", "surplus", "bid", "transfer", "final_value"):
        same_bits(got[k], ref[k], k)
    if rule != "none":
        assert (got["transfer"] != 0).any()


def test_batch_limit(data_root, work):
    s = Server(data_root, sets=["limits.max_batch=5"], name="batch5").start()
    try:
        a = work["arrays"]
        for n, want in ((5, 200), (6, 413)):
            for body in ({"input": "inputs/small.h5", "deal_indices": {"start": 0, "stop": n}},
                         {"input": "inputs/small.h5", "deal_indices": list(range(n))},
                         {"input": "inputs/small.h5", "deals": columns_of(a, list(range(n)))},
                         {"input": "inputs/small.h5", "deals": [nested_of(a, d) for d in range(n)]}):
                r = s.post("/v1/deals/evaluate", body)
                assert r.status == want, (n, list(body), r.text)
                if want == 413:
                    assert r.json()["type"] == "/problems/too-large" and "max_batch" in r.json()["detail"]
    finally:
        s.stop()


BREAKS = [  # (dataset, index, value) as in tests/python/test_library.py
    ("/deals/comp_prob", 7, 1.5),
    ("/deals/importer", 2, 9),
    ("/deals/party_entity", 1, None),  # the deal's first party again: an entity twice
    ("/deals/comp_dim", 4, 5),
    ("/deals/flow_period", 0, -3),
    ("/deals/trade_value", 11, float("nan")),
    ("/deals/party_entity", 5, 200),  # N = 200: past the last entity
    ("/deals/flow_amount", 3, float("inf")),
]


@pytest.mark.parametrize("name,index,value", BREAKS)
def test_broken_rules_are_422_as_libtradebal_words_them(server, work, name, index, value):
    a = {k: v.copy() for k, v in work["arrays"].items()}
    a[name][index] = a["/deals/party_entity"][0] if value is None else value
    with pytest.raises(tradebal.InputError) as e:
        check(a)
    assert e.value.dataset == name
    cols = columns_of(a)
    for body in ({"input": "inputs/small.h5", "deals": cols}, {"entities": entities_of(a), "deals": cols}):
        r = server.post("/v1/deals/evaluate", body)
        assert r.status == 422, r.text
        p = r.json()
        assert p["type"] == "/problems/invalid-input" and p["detail"] == e.value.message
        assert name in p["detail"] and "breaks rule" in p["detail"]


def test_broken_entities_are_422(server, work):
    for name, index, value in (("/entities/weights", (3, 1), 0.9), ("/entities/discount_rate", 5, -1.0),
                               ("/entities/type", 2, 7)):
        a = {k: v.copy() for k, v in work["arrays"].items()}
        a[name][index] = value
        with pytest.raises(tradebal.InputError) as e:
            check(a)
        r = server.post("/v1/deals/evaluate", {"entities": entities_of(a), "deal": nested_of(a, 0)})
        assert r.status == 422 and r.json()["detail"] == e.value.message, r.text
        assert name in r.json()["detail"]


def test_broken_input_file_is_422_as_validate_words_it(server, work, data_root):
    bad = os.path.join(data_root, "inputs", "bad.h5")
    shutil.copy(work["input"], bad)
    with h5py.File(bad, "r+") as f:
        f["deals/comp_prob"][7] = 1.5
    v = subprocess.run([TB, "validate", bad], capture_output=True, text=True)
    assert v.returncode == 3
    msg = v.stderr.strip().splitlines()[-1].split(bad + ": ", 1)[1]
    for _ in range(2):  # the second answer comes from the cache: the same problem
        r = server.post("/v1/deals/evaluate", {"input": "inputs/bad.h5", "deal_indices": [0]})
        assert r.status == 422 and r.json()["detail"] == "inputs/bad.h5: " + msg, r.text
    # its entities are fine: a deal of the request against them evaluates
    r = server.post("/v1/deals/evaluate", {"input": "inputs/bad.h5", "deal": nested_of(work["arrays"], 0)})
    assert r.status == 200


def test_a_changed_file_is_loaded_again(server, work, data_root):
    path = os.path.join(data_root, "inputs", "changing.h5")
    shutil.copy(work["input"], path)
    body = {"input": "inputs/changing.h5", "deal_indices": [0, 1, 2]}
    first = server.post("/v1/deals/evaluate", body).json()["deals"]
    with h5py.File(path, "r+") as f:
        e = f["deals/party_entity"][0]
        f["entities/discount_rate"][e] = f["entities/discount_rate"][e] + 0.25
    second = server.post("/v1/deals/evaluate", body).json()["deals"]
    assert second["value"][0] != first["value"][0]
    ref = evaluate(path).arrays
    ptr = second["party_ptr"]
    same_bits(as_arrays(second)["value"], ref["value"][:ptr[-1]], "value after the change")


def test_request_errors(server, work):
    a = work["arrays"]
    cases = [
        ({"input": "inputs/small.h5"}, 400, "exactly one"),
        ({"deal": nested_of(a, 0)}, 400, "neither"),
        ({"input": "inputs/small.h5", "entities": entities_of(a), "deal": nested_of(a, 0)}, 400, "both"),
        ({"input": "inputs/small.h5", "deal": {**nested_of(a, 0), "colour": 1}}, 400, "deal.colour"),
        ({"input": "inputs/small.h5", "deal": {"importer": 0, "trade_value": 1, "parties": [{"entity": "x"}]}}, 400,
         "deal.parties[0].entity must be an integer"),
        ({"input": "inputs/small.h5", "deals": [nested_of(a, 0), {"importer": 0, "trade_value": 1, "parties": [
            {"entity": 1, "components": [{"dim": 0, "prob": 1, "flows": [{"period": 0}]}]}]}]}, 400,
         "deals[1].parties[0].components[0].flows[0].amount is required"),
        ({"input": "inputs/small.h5", "deal_indices": [0, 2000]}, 400, "deal_indices[1]"),
        ({"input": "inputs/small.h5", "deal": nested_of(a, 0), "split": {"rule": "fair"}}, 400, "split.rule"),
        ({"input": "inputs/small.h5", "deal": nested_of(a, 0), "charge": [1.0]}, 400, "charge"),
        ({"input": "inputs/nothing.h5", "deal": nested_of(a, 0)}, 404, "inputs/nothing.h5"),
        ({"input": "../outside.h5", "deal": nested_of(a, 0)}, 403, "data root"),
        ({"input": "run.ini", "deal": nested_of(a, 0)}, 422, "run.ini: not an HDF5 file"),
        ({"input": "inputs/small.h5", "deals": {**columns_of(a, [0, 1]), "importer": [0]}}, 422,
         "/deals/importer: dimension 0 is 1 (rule: M = 2"),
    ]
    for body, status, words in cases:
        r = server.post("/v1/deals/evaluate", body)
        assert r.status == status and words in r.json()["detail"], (body.keys(), r.text)
        assert server.data_root not in r.text


def test_concurrent_single_deals_agree(server, work):
    a, run = work["arrays"], work["run"]
    picks = list(range(40))

    def one(d):
        return d, server.post("/v1/deals/evaluate", {"input": "inputs/small.h5", "deal": nested_of(a, d)}).json()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for d, j in pool.map(one, picks * 2):
            assert np.float64(real(j["deal"]["surplus"])).tobytes() == run["surplus"][d].tobytes()


# ---- /v1/certificates/validate ----

HOLD = np.array([[5.0, 0.0], [0.0, 2.0], [1.0, 1.0], [0.0, 0.0]])  # 4 entities, 2 regions
ORDERS = [  # entity, region, side (0 buy, 1 sell), quantity, price, time
    (0, 0, 1, 3.0, 1.0, 0.0),   # rests: e0 reserves 3 of its 5
    (1, 0, 0, 2.0, 1.5, 1.0),   # buys 2 at the resting 1.0: e0 5 -> 3, e1 0 -> 2
    (2, 1, 1, 2.0, 0.5, 2.0),   # e2 holds 1 in region 1: rejected, 3
    (3, 1, 0, 0.0, 1.0, 3.0),   # quantity 0: rejected, 1
    (1, 1, 0, 1.0, -1.0, 4.0),  # price < 0: rejected, 2
    (1, 1, 1, 2.0, 0.2, 5.0),   # e1 sells its 2 of region 1: rests
    (2, 1, 0, 2.0, 0.3, 6.0),   # buys them at 0.2: e1 2 -> 0, e2 1 -> 3
]
AFTER = np.array([[3.0, 0.0], [2.0, 0.0], [1.0, 3.0], [0.0, 0.0]])  # worked by hand from ORDERS


@pytest.fixture(scope="module")
def market(data_root):
    """inputs/market.h5 (holdings and an order stream) and its `tradebal match` output."""
    inp = os.path.join(data_root, "inputs", "market.h5")
    with h5py.File(inp, "w") as f:
        f["market/holdings"] = HOLD
        o = np.array(ORDERS)
        for i, (k, t) in enumerate((("entity", np.int64), ("region", np.int32), ("side", np.uint8),
                                    ("quantity", np.float64), ("price", np.float64), ("time", np.float64))):
            f["market/orders/" + k] = o[:, i].astype(t)
    os.makedirs(os.path.join(data_root, "outputs"), exist_ok=True)
    out = os.path.join(data_root, "outputs", "matched.h5")
    subprocess.run([TB, "match", inp, "-o", out, "--overwrite"], check=True, capture_output=True)
    with h5py.File(out, "r") as f:
        assert f["orders/status"][()].tolist() == [0, 0, 3, 1, 2, 0, 0]
        assert np.array_equal(f["market/holdings"][()], AFTER)
    return "inputs/market.h5", "outputs/matched.h5"


CASES_INPUT = [  # (check, code): hand-worked against HOLD
    ({"kind": "use", "entity": 0, "region": 0, "quantity": 5}, 0),
    ({"kind": "use", "entity": 0, "region": 0, "quantity": 5.5}, 3),
    ({"kind": "use", "entity": 0, "region": 0, "quantity": 0}, 1),
    ({"kind": "use", "entity": 1, "region": 1, "quantity": -1}, 1),
    ({"kind": "order", "side": "sell", "entity": 2, "region": 1, "quantity": 2, "price": 0.5}, 3),
    ({"kind": "order", "side": "buy", "entity": 3, "region": 1, "quantity": 0, "price": 1}, 1),
    ({"kind": "order", "side": "buy", "entity": 1, "region": 1, "quantity": 1, "price": -1}, 2),
    ({"kind": "order", "side": "sell", "entity": 1, "region": 1, "quantity": 1, "price": -0.5}, 2),
    ({"kind": "order", "side": "buy", "entity": 3, "region": 0, "quantity": 100, "price": 1}, 0),
    ({"kind": "order", "side": "sell", "entity": 1, "region": 1, "quantity": 2, "price": 0}, 0),
    ({"kind": "order", "side": "sell", "entity": 0, "region": 0, "quantity": 3, "price": 1, "reserved": 3}, 3),
    ({"kind": "order", "side": "sell", "entity": 0, "region": 0, "quantity": 2, "price": 1, "reserved": 3}, 0),
]
CASES_MATCH = [  # against AFTER
    ({"kind": "use", "entity": 0, "region": 0, "quantity": 3}, 0),
    ({"kind": "use", "entity": 0, "region": 0, "quantity": 3.5}, 3),
    ({"kind": "order", "side": "sell", "entity": 1, "region": 1, "quantity": 1, "price": 1}, 3),
    ({"kind": "use", "entity": 2, "region": 1, "quantity": 3}, 0),
    ({"kind": "use", "entity": 1, "region": 0, "quantity": 2}, 0),
]
REASONS = ["valid", "quantity <= 0", "price < 0", "not enough certificates"]


@pytest.mark.parametrize("source", ["input", "match"])
def test_certificate_checks_hand_worked(server, market, source):
    path, cases, hold = (market[0], CASES_INPUT, HOLD) if source == "input" else (market[1], CASES_MATCH, AFTER)
    for c, code in cases:
        r = server.post("/v1/certificates/validate", {"holdings": path, **c}, token="read")
        assert r.status == 200, r.text
        j = r.json()
        assert (j["code"], j["valid"], j["reason"], j["registry"]) == (code, code == 0, REASONS[code], source), c
        assert j["holding"] == hold[c["entity"], c["region"]]
        assert j["available"] == hold[c["entity"], c["region"]] - c.get("reserved", 0)
    assert {code for _, code in CASES_INPUT} == {0, 1, 2, 3}  # every reason code is covered


def test_certificate_batch_against_the_sdk(server, market):
    """Random checks in one batch: the codes of libtradebal's order check (the SDK) on the h5py holdings."""
    rng = np.random.default_rng(5)
    checks = []
    for _ in range(300):
        c = {"kind": str(rng.choice(["use", "order"])), "entity": int(rng.integers(4)), "region": int(rng.integers(2)),
             "quantity": float(rng.choice([0.0, -1.0, rng.uniform(0, 6)]))}
        if c["kind"] == "order":
            c.update(side=str(rng.choice(["buy", "sell"])), price=float(rng.choice([-0.5, 0.0, rng.uniform(0, 2)])))
        checks.append(c)
    for path, hold, source in ((market[0], HOLD, "input"), (market[1], AFTER, "match")):
        r = server.post("/v1/certificates/validate", {"holdings": path, "checks": checks})
        assert r.status == 200 and r.json()["registry"] == source, r.text
        res = r.json()["results"]
        assert len(res) == len(checks)
        for c, v in zip(checks, res):
            side = c.get("side", "sell")  # a use gives certificates up as a sale does
            assert v["code"] == order_check(side, c["quantity"], c.get("price", 0.0), hold[c["entity"], c["region"]]), c
        assert {v["code"] for v in res} == {0, 1, 2, 3}


def test_certificate_errors(server, market):
    path = market[0]
    base = {"holdings": path, "kind": "use", "region": 0, "quantity": 1}
    for body, status, words in (
            ({**base, "entity": 4}, 422, "entity: value 4 breaks rule: 0..N-1 with N = 4"),
            ({**base, "entity": 0, "region": 2}, 422, "region: value 2 breaks rule: 0..R-1 with R = 2"),
            ({**base, "entity": 0, "kind": "gift"}, 400, "kind"),
            ({**base, "entity": 0, "price": 1}, 400, "belong to an order"),
            ({**base, "entity": 0, "kind": "order", "price": 1}, 400, "side is required"),
            ({**base, "entity": 0, "holdings": "inputs/small.h5"}, 422, "inputs/small.h5: /market/holdings: missing"),
            ({**base, "entity": 0, "holdings": "inputs/none.h5"}, 404, "inputs/none.h5"),
            ({"holdings": path, "checks": [{**base, "entity": 0}]}, 400, "checks[0].holdings"),
            ({"holdings": path, "checks": [{"kind": "use", "entity": 9, "region": 0, "quantity": 1}]}, 422,
             "checks[0].entity")):
        r = server.post("/v1/certificates/validate", body)
        assert r.status == status and words in r.json()["detail"], (body, r.text)


def test_certificate_registry_rules(server, data_root):
    bad = os.path.join(data_root, "inputs", "market-bad.h5")
    with h5py.File(bad, "w") as f:
        f["market/holdings"] = np.array([[1.0, 2.0], [3.0, -1.0]])
    r = server.post("/v1/certificates/validate", {"holdings": "inputs/market-bad.h5", "kind": "use", "entity": 0,
                                                  "region": 0, "quantity": 1})
    assert r.status == 422
    assert r.json()["detail"] == "inputs/market-bad.h5: /market/holdings: index [1,1] value -1 breaks rule: finite and >= 0"


# ---- /v1/impacts ----

def test_impacts_against_numpy_and_libtradebal(server, work):
    with h5py.File(work["input"], "r") as f:
        A, va, emp = f["io/A"][()], f["io/value_added"][()], f["io/employment"][()]
    S = A.shape[0]
    rng = np.random.default_rng(9)
    many = rng.uniform(-1, 2, (3, S))
    one = rng.uniform(0, 1, S)
    for fd in (one, many):
        r = server.post("/v1/impacts", {"io": "inputs/small.h5", "final_demand": fd.tolist()}, token="read")
        assert r.status == 200, r.text
        j = r.json()
        assert j["sectors"] == S
        x, gdp, jobs = np.array(j["output"]), np.array(j["gdp"]), np.array(j["jobs"])
        assert x.shape == fd.shape and gdp.shape == fd.shape[:-1]
        want = np.linalg.solve(np.eye(S) - A, np.atleast_2d(fd).T).T.reshape(fd.shape)
        np.testing.assert_allclose(x, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gdp, want @ va, rtol=1e-12)
        np.testing.assert_allclose(jobs, want @ emp, rtol=1e-12)
        sdk = leontief(A, va, emp, fd)  # libtradebal, factoring afresh: the cached factors give the same bits
        for k, v in (("output", x), ("gdp", gdp), ("jobs", jobs)):
            same_bits(np.asarray(v, np.float64), np.asarray(sdk[k], np.float64), k)
        same_bits(np.array(j["multipliers"]), work["run"]["multipliers"], "multipliers of the run")
        np.testing.assert_allclose(j["multipliers"], np.linalg.inv(np.eye(S) - A).sum(axis=0), rtol=1e-12)


def test_impacts_errors(server, work, data_root):
    S = 16
    with h5py.File(os.path.join(data_root, "inputs", "no-io.h5"), "w") as f:
        f["market/holdings"] = HOLD
    for body, status, words in (
            ({"io": "inputs/small.h5", "final_demand": [1.0] * (S - 1)}, 400, "final_demand must be an array of 16"),
            ({"io": "inputs/small.h5", "final_demand": [[1.0] * S, [1.0] * 3]}, 400, "final_demand[1]"),
            ({"io": "inputs/small.h5", "final_demand": [1.0] * (S - 1) + ["x"]}, 400, "final_demand[15]"),
            ({"io": "inputs/no-io.h5", "final_demand": [1.0] * S}, 422, "inputs/no-io.h5: /io/A: missing"),
            ({"io": "/etc/passwd", "final_demand": [1.0] * S}, 403, "absolute"),
            ({"final_demand": [1.0] * S}, 400, "io is required")):
        r = server.post("/v1/impacts", body)
        assert r.status == status and words in r.json()["detail"], (body, r.text)
    broken = os.path.join(data_root, "inputs", "io-bad.h5")
    shutil.copy(work["input"], broken)
    with h5py.File(broken, "r+") as f:
        f["io/A"][:, 3] = 0.5  # column 3 sums past 1
    v = subprocess.run([TB, "validate", broken], capture_output=True, text=True)
    msg = v.stderr.strip().splitlines()[-1].split(broken + ": ", 1)[1]
    r = server.post("/v1/impacts", {"io": "inputs/io-bad.h5", "final_demand": [1.0] * S})
    assert r.status == 422 and r.json()["detail"] == "inputs/io-bad.h5: " + msg, (r.text, msg)
