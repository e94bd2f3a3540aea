"""Deals evaluated in process through libtradebal (MODEL.md sections 2-3): the numbers `tradebal run` writes
for the same deals, bitwise, without writing an input file. Also the library's other quick checks: one
certificate call auction, Leontief impacts, the exchange's order check."""
import ctypes

import h5py
import numpy as np
import pandas as pd

from . import _lib

STATUS = ["WIN_WIN", "REPAIRABLE", "NOT_WIN_WIN"]
VALUE_RULES = {"expected": 0, "min_adjusted": 1}
SPLIT_RULES = {"nash": 0, "egalitarian": 1, "none": 2}
SCOPES = {"repair": 0, "all": 1}

# the section 1 datasets the evaluation reads, with their C types
ENTITY_FIELDS = {"type": np.uint8, "weights": np.float64, "discount_rate": np.float64, "risk_aversion": np.float64,
                 "pay_cap": np.float64, "bargaining_weight": np.float64}
DEAL_FIELDS = {"party_ptr": np.int64, "party_entity": np.int64, "importer": np.int32, "trade_value": np.float64,
               "comp_ptr": np.int64, "comp_dim": np.uint8, "comp_prob": np.float64, "flow_ptr": np.int64,
               "flow_period": np.int32, "flow_amount": np.float64}


class Evaluation:
    """The results of evaluate(): `deals` (status, surplus, bid by deal) and `parties` (deal, party, entity,
    value, transfer, final_value by party), as DataFrames; the raw arrays under `arrays`."""

    def __init__(self, arrays, party_ptr, party_entity):
        self.arrays = arrays
        m = len(arrays["status"])
        self.deals = pd.DataFrame({
            "status": pd.Categorical.from_codes(arrays["status"].astype(np.int8), STATUS),
            "surplus": arrays["surplus"], "bid": arrays["bid"]}, index=pd.RangeIndex(m, name="deal"))
        counts = np.diff(party_ptr)
        deal = np.repeat(np.arange(m), counts)
        self.parties = pd.DataFrame({
            "deal": deal, "party": np.arange(len(deal)) - np.repeat(party_ptr[:-1], counts),
            "entity": party_entity, "value": arrays["value"], "transfer": arrays["transfer"],
            "final_value": arrays["final_value"]})

    def __repr__(self):
        return "<tradebal.Evaluation: %d deals, %d parties>" % (len(self.deals), len(self.parties))


def _read_input(path):
    """The arrays evaluate() needs from an input file (section 1 dataset names)."""
    out = {}
    with h5py.File(path, "r") as f:
        for k in ENTITY_FIELDS:
            if "entities/" + k in f:
                out["/entities/" + k] = f["entities/" + k][()]
        for k in DEAL_FIELDS:
            out["/deals/" + k] = f["deals/" + k][()]
        if "model/translation" in f:
            out["/model/translation"] = f["model/translation"][()]
    return out


def _arrays_of(source):
    if isinstance(source, str):
        return _read_input(source)
    if hasattr(source, "arrays"):
        return source.arrays()
    return {k if k.startswith("/") else "/" + k: v for k, v in source.items()}


def _params(value_rule, split_rule, split_scope, other_factor, threads):
    return _lib.Params(VALUE_RULES[value_rule], SPLIT_RULES[split_rule], SCOPES[split_scope], float(other_factor),
                       int(threads))


def _structs(a):
    """The library's views of the section 1 arrays (the arrays themselves kept alive in the result)."""
    ent = {k: _lib.contiguous(a.get("/entities/" + k), t) for k, t in ENTITY_FIELDS.items()}
    dl = {k: _lib.contiguous(a["/deals/" + k], t) for k, t in DEAL_FIELDS.items()}
    tr = _lib.contiguous(a.get("/model/translation"), np.float64)
    n, m, p = len(ent["type"]), len(dl["party_ptr"]) - 1, len(dl["party_entity"])
    c, nf = len(dl["comp_dim"]), len(dl["flow_amount"])
    E = _lib.Entities(n, _lib.ptr(ent["type"], _lib._u8), *(_lib.ptr(ent[k], _lib._f64) for k in
                      ("weights", "discount_rate", "risk_aversion", "pay_cap", "bargaining_weight")),
                      _lib.ptr(tr, _lib._f64))
    types = [_lib._i64, _lib._i64, _lib._i32, _lib._f64, _lib._i64, _lib._u8, _lib._f64, _lib._i64, _lib._i32,
             _lib._f64]
    D = _lib.Deals(m, p, c, nf, *(_lib.ptr(dl[k], t) for k, t in zip(DEAL_FIELDS, types)))
    return E, D, (ent, dl, tr)


def check(source):
    """Check entities and deals against MODEL.md section 1's rules in process (libtradebal's tb_api_check);
    raises InputError with the dataset, index and rule, worded as `tradebal validate` words them."""
    E, D, keep = _structs(_arrays_of(source))
    err = _lib.Error()
    _lib.check(_lib.library().tb_api_check(ctypes.byref(E), ctypes.byref(D), ctypes.byref(err)), err)
    del keep
    return True


def evaluate(source, value_rule="expected", split_rule="nash", split_scope="repair", other_factor=0.5,
             charge=None, threads=0):
    """Evaluate deals in process (MODEL.md sections 2-3) through libtradebal; entities and deals are checked
    first as check() does. source: an input file's path, a tradebal.Input, or a dict of the section 1 arrays by
    dataset name ('/entities/type', '/deals/party_ptr', ...; '/entities/bargaining_weight' and
    '/model/translation' optional). value_rule, split_rule, split_scope, other_factor: [model] and [split] of
    docs/config.md; threads: CPU threads (0: OpenMP's default). charge: the import cost P m_d each deal's
    importer pays (NaN: the deal does not trade), as under a policy of section 5; None: no charge.
    Returns an Evaluation whose value, status, surplus and bid are bitwise the /deals/value, status, surplus
    and bid that `tradebal run` writes for the same deals and configuration; transfer and final_value are the
    run's for the same charge."""
    lib = _lib.library()
    E, D, (ent, dl, tr) = _structs(_arrays_of(source))
    m, p = D.n_deals, D.n_parties
    out = {k: np.empty(p) for k in ("value", "transfer", "final_value")}
    out.update(status=np.empty(m, np.uint8), surplus=np.empty(m), bid=np.empty(m))
    R = _lib.Results(*(_lib.ptr(out[k], _lib._f64) for k in ("value", "transfer", "final_value")),
                     _lib.ptr(out["status"], _lib._u8), _lib.ptr(out["surplus"], _lib._f64),
                     _lib.ptr(out["bid"], _lib._f64))
    ch = _lib.contiguous(charge, np.float64)
    if ch is not None and len(ch) != m:
        raise _lib.from_message(2, "evaluate: charge has %d values for %d deals" % (len(ch), m))
    err = _lib.Error()
    par = _params(value_rule, split_rule, split_scope, other_factor, threads)
    _lib.check(lib.tb_api_check(ctypes.byref(E), ctypes.byref(D), ctypes.byref(err)), err)
    rc = lib.tb_api_evaluate(ctypes.byref(par), ctypes.byref(E), ctypes.byref(D), _lib.ptr(ch, _lib._f64),
                             ctypes.byref(R), ctypes.byref(err))
    _lib.check(rc, err)
    return Evaluation(out, dl["party_ptr"], dl["party_entity"])


def cert_auction(Q, base_imports, bids, import_values, floor=0.0, epsilon=1.5):
    """The clearing price P* of one certificate call auction (MODEL.md section 5): the least P >= floor with
    base_imports (1 + P)^-epsilon + the import_values of the deals whose bid exceeds P <= Q; +inf when nothing
    can be served. bids and import_values: one per deal."""
    b, m = _lib.contiguous(bids, np.float64), _lib.contiguous(import_values, np.float64)
    price, err = ctypes.c_double(), _lib.Error()
    rc = _lib.library().tb_api_cert_auction(float(Q), float(base_imports), float(floor), float(epsilon), len(b),
                                            _lib.ptr(b, _lib._f64), _lib.ptr(m, _lib._f64), ctypes.byref(price),
                                            ctypes.byref(err))
    _lib.check(rc, err)
    return price.value


def leontief(A, value_added, employment, final_demand):
    """MODEL.md section 7: A [S, S] (A[i, j] input of i per unit of j), final_demand [S] or [q, S]. Returns a
    dict: multipliers [S], output [q, S], gdp [q], jobs [q] (q = 1 for one vector, squeezed)."""
    A = _lib.contiguous(A, np.float64)
    f = np.atleast_2d(_lib.contiguous(final_demand, np.float64))
    S, q = A.shape[0], f.shape[0]
    va, emp = _lib.contiguous(value_added, np.float64), _lib.contiguous(employment, np.float64)
    mult, x, gdp, jobs = np.empty(S), np.empty((q, S)), np.empty(q), np.empty(q)
    err = _lib.Error()
    rc = _lib.library().tb_api_leontief(S, _lib.ptr(A, _lib._f64), _lib.ptr(va, _lib._f64),
                                        _lib.ptr(emp, _lib._f64), q, _lib.ptr(f, _lib._f64),
                                        _lib.ptr(mult, _lib._f64), _lib.ptr(x, _lib._f64),
                                        _lib.ptr(gdp, _lib._f64), _lib.ptr(jobs, _lib._f64), ctypes.byref(err))
    _lib.check(rc, err)
    single = np.ndim(final_demand) == 1
    return {"multipliers": mult, "output": x[0] if single else x, "gdp": gdp[0] if single else gdp,
            "jobs": jobs[0] if single else jobs}


ORDER_REASONS = {0: "valid", 1: "quantity <= 0", 2: "price < 0", 3: "not enough certificates"}


def order_check(side, quantity, price, available):
    """The exchange's reason code for one arriving order (0 valid, 1-3 rejected; ORDER_REASONS names them).
    side: 'buy' or 'sell' (or 0, 1); available: the seller's certificates (used for a sell)."""
    s = {"buy": 0, "sell": 1}[side] if isinstance(side, str) else int(side)
    return _lib.library().tb_api_order_check(s, float(quantity), float(price), float(available))
