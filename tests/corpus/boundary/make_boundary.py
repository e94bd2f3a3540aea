#!/usr/bin/python3
"""The boundary corpus (issue 20): small VALID inputs, one per edge of MODEL.md section 1 and of the
configuration, each written as DIR/NAME.h5 with its configuration DIR/NAME.ini (and DIR/cases.json).
Every case is a change of one small base world whose numbers are easy to follow by hand; the specs
(`cases()`) are plain Python data, so tests/corpus/test_boundary.py computes its expectations from them
without reading anything back from tradebal. Usage: make_boundary.py DIR"""
import copy
import json
import math
import os
import sys

import h5py
import numpy as np

# MODEL.md section 2: default sub-dimension weights by entity type
TYPE_WEIGHTS = {0: (.3, .3, .3, .1), 1: (.4, .3, .2, .1), 2: (.5, .3, .1, .1), 3: (.5, .3, .1, .1)}
SWEEP = "[sweep]\nmethod = grid\npoints = 2\nmarket.elasticity = 1:2\n"  # 2 scenarios on every case


def entity(type_=0, region=0, r=0.0, rho=0.0, cap=math.inf, beta=1.0):
    return dict(type=type_, region=region, weights=TYPE_WEIGHTS[type_], r=r, rho=rho, cap=cap, beta=beta)


def comp(amount, dim=0, p=1.0, t=0):
    """One component with one cash flow (dim, p, [(t, a)])."""
    return (dim, p, [(t, amount)])


def deal(parties, importer=0, period=0, sector=0, exp=0, imp=1, m=10.0, k=0.0):
    """parties: [(entity, [component, ...]), ...]"""
    return dict(parties=parties, importer=importer, period=period, sector=sector, exp=exp, imp=imp, m=m, k=k)


def base_world():
    """R = 2, T = 2, S = 2, home 0; six entities of all four types; four two-party deals: a win-win trade
    (d0), a repairable opportunity (d1, cost 2), a not-win-win opportunity (d2) and a win-win
    opportunity (d3, cost 4); a budget of 5 funds d1 but not d1 + d3; a tariff and a certificate
    program on the home region."""
    ents = [entity(0, 0), entity(1, 1, r=.05, rho=.5), entity(2, 0, r=.1, rho=1), entity(3, 1),
            entity(0, 0, r=.02, cap=5.0), entity(1, 1, rho=.25, beta=2.0)]
    deals = [deal([(0, [comp(10)]), (1, [comp(8, p=.9, t=1)])], importer=1, period=0, sector=0, exp=0, imp=1,
                  m=20),
             deal([(2, [comp(-3)]), (3, [comp(9), comp(2, dim=1, p=.5, t=1)])], importer=0, period=1, sector=1,
                  exp=1, imp=0, m=15, k=2),
             deal([(4, [comp(-5)]), (5, [comp(-1)])], importer=1, period=0, sector=1, exp=0, imp=1, m=5, k=1),
             deal([(0, [comp(4)]), (5, [comp(6, dim=4)])], importer=1, period=1, sector=0, exp=0, imp=1, m=30,
                  k=4)]
    return dict(entities=ents, deals=deals, R=2, T=2, S=2, home=0,
                base_exports=[[100, 110], [80, 90]], base_imports=[[120, 100], [70, 95]],
                A=[[.1, .2], [.3, .1]], va=[.5, .4], emp=[3, 5], share=[.6, .4],
                edges=[(0, 1, 1.0), (1, 2, 2.0), (2, 0, 1.0), (3, 4, .5), (5, 0, 3.0)],
                config={"funding": {"budget": "5"}},
                policies={"tariff10": {"kind": "tariff", "rate": "0.1", "regions": "home"},
                          "certs": {"kind": "certificates", "ratio": "0.9", "expiry": "2", "floor": "0.01",
                                    "regions": "home"}},
                market=None, sweep=SWEEP, note="")


def change(note, fn):
    w = base_world()
    fn(w)
    w["note"] = note
    return w


def set_cfg(w, section, key, value):
    w["config"].setdefault(section, {})[key] = value


def one_region(w):
    w.update(R=1, home=0, base_exports=[[0, 0]], base_imports=[[0, 0]])
    for e in w["entities"]:
        e["region"] = 0
    for d in w["deals"]:
        d["exp"], d["imp"] = 0, 0


def one_period(w):
    w.update(T=1, base_exports=[[100], [80]], base_imports=[[120], [70]])
    for d in w["deals"]:
        d["period"] = 0


def one_sector(w):
    w.update(S=1, A=[[.25]], va=[.5], emp=[4], share=[1.0])
    for d in w["deals"]:
        d["sector"] = 0


def party_255(w):
    w["entities"] = [entity(e % 4, e % 2, r=.01 * (e % 3), rho=.1 * (e % 5)) for e in range(256)]
    w["deals"] = [deal([(e, [comp(1 + e % 7)]) for e in range(255)], importer=254, period=0, sector=0, exp=0,
                       imp=1, m=100, k=50),
                  deal([(255, [comp(3)]), (0, [comp(2)])], importer=0, period=1, sector=1, exp=1, imp=0, m=8)]
    w["edges"] = [(e, (e + 1) % 256, 1.0 + e % 3) for e in range(256)]
    w["config"]["funding"]["budget"] = "inf"


def two_entities(w):
    w["entities"] = [entity(0, 0), entity(2, 1, r=.03, rho=.5)]
    w["deals"] = [deal([(0, [comp(10)]), (1, [comp(5, t=2)])], importer=1, period=0, exp=0, imp=1, m=12, k=1),
                  deal([(1, [comp(-2)]), (0, [comp(6)])], importer=0, period=1, sector=1, exp=1, imp=0, m=9)]
    w["edges"] = [(0, 1, 1.0), (1, 0, 2.0)]


def half_ulp_budget(w):
    """Costs 2^-53 (ranked first: u^B about 2^52) and 1 against B = 1: the exact total 1 + 2^-53
    rounds to 1, yet it is over the budget, so only the tiny opportunity is funded."""
    w["deals"][0]["k"] = 2.0 ** -53
    w["deals"][1]["k"] = 0.0
    w["deals"][3]["k"] = 1.0
    w["config"]["funding"]["budget"] = "1"


def all_domestic(w):
    for d in w["deals"]:
        d["imp"] = -1


def all_not_win_win(w):
    for d in w["deals"]:
        d["parties"] = [(e, [comp(-abs(a) - 1, dim, p, t) for dim, p, [(t, a)] in cs]) for e, cs in d["parties"]]


def all_win_win(w):
    for d in w["deals"]:
        d["parties"] = [(e, [comp(abs(a) + 1, dim, p, t) for dim, p, [(t, a)] in cs]) for e, cs in d["parties"]]


def caps(value):
    def fn(w):
        for e in w["entities"]:
            e["cap"] = value
    return fn


def trade_value_zero(w):
    for d in w["deals"]:
        d["m"] = 0.0


def probabilities_0_1(w):
    w["deals"][0]["parties"] = [(0, [comp(10, p=1.0), comp(50, p=0.0)]), (1, [comp(8, p=1.0, t=1)])]
    w["deals"][3]["parties"] = [(0, [comp(4, p=0.0)]), (5, [comp(6, dim=4, p=0.0)])]


def zero_flows(w):
    w["deals"][0]["parties"] = [(0, [comp(10), comp(0.0, t=3)]), (1, [(2, 1.0, []), comp(8, p=.9, t=1)])]
    w["deals"][3]["parties"] = [(0, [comp(0.0)]), (5, [comp(0.0, dim=4)])]


def policy(**kv):
    return {k: str(v) for k, v in kv.items()}


def cert_ratio_zero(w):
    w["policies"] = {"certs0": policy(kind="certificates", ratio=0, expiry=2, regions="home")}


def cert_glut(w):
    w["policies"] = {"glut": policy(kind="certificates", ratio=100, expiry=2, floor=0.05, regions="home")}


def cert_expiry_1(w):
    w.update(T=3, base_exports=[[100, 110, 90], [80, 90, 85]], base_imports=[[120, 100, 60], [70, 95, 75]])
    w["deals"][2]["period"] = 2
    w["policies"] = {"certs1": policy(kind="certificates", ratio=0.5, expiry=1, regions="all")}


def tariff_no_imports(w):
    """A third region that no deal imports into, with base imports of its own."""
    w.update(R=3, base_exports=[[100, 110], [80, 90], [10, 20]], base_imports=[[120, 100], [70, 95], [40, 30]])
    w["entities"][5]["region"] = 2
    w["policies"] = {"tariff2": policy(kind="tariff", rate=0.25, regions="2")}


def every_region(w):
    w["policies"] = {"tariff_all": policy(kind="tariff", rate=0.3, regions="all"),
                     "certs_all": policy(kind="certificates", ratio=0.5, expiry=2, floor=0.02, regions="all")}


def draws_sigma0(w):
    w["config"]["assessment"] = {"draws": "2", "seed": "7", "sigma_p": "0", "sigma_r": "0", "sigma_e": "0"}


def sweep_two(w):
    w["sweep"] = "[sweep]\nmethod = grid\npoints = 2\npolicy.tariff10.rate = 0:0.5\n"


def market(orders):
    def fn(w):
        N, R = len(w["entities"]), w["R"]
        hold = np.zeros((N, R))
        hold[1, 0], hold[3, 1] = 10.0, 4.0
        w["market"] = dict(holdings=hold.tolist(), orders=orders)
    return fn


def cases():
    """(name, world) pairs; the name says which edge the world stands on."""
    c = {}
    c["base_two_party"] = change("only two-party deals (the base world)", lambda w: None)

    def first_deal(w):
        w["deals"] = w["deals"][:1]
    c["m1"] = change("M = 1: one deal (run at 4 ranks too: more ranks than deals)", first_deal)
    c["n2"] = change("N = 2: two entities, two deals between them", two_entities)
    c["party255"] = change("one 255-party deal (the most a deal may have) beside a 2-party one", party_255)

    def no_cost(w):
        for d in w["deals"]:
            d["k"] = 0.0
    c["cost_zero"] = change("every cost 0: no opportunity at all (O = 0)", no_cost)

    def costly(w):
        for d in w["deals"]:
            d["k"] = 2.0
        set_cfg(w, "funding", "budget", "1.5")
    c["cost_over_budget"] = change("every cost above the budget: undervalued, none funded", costly)
    c["theta_high"] = change("funding.theta above every conservative ratio (O = 0 with costs)",
                             lambda w: set_cfg(w, "funding", "theta", "1e9"))
    c["budget_zero"] = change("budget 0", lambda w: set_cfg(w, "funding", "budget", "0"))
    c["budget_inf"] = change("budget +inf", lambda w: set_cfg(w, "funding", "budget", "inf"))
    c["budget_half_ulp"] = change("costs 2^-53 and 1, budget 1: the exact total is over", half_ulp_budget)
    c["r1"] = change("R = 1 and no base trade: every balance is 0", one_region)
    c["t1"] = change("T = 1", one_period)
    c["s1"] = change("S = 1", one_sector)
    c["no_edges"] = change("E = 0: no network edges", lambda w: w.update(edges=[]))

    def lonely(w):
        w["entities"].append(entity(2, 1))
        w["edges"].append((0, 6, 2.0))
    c["entity_no_deal"] = change("an entity in no deal (reached by one edge)", lonely)
    c["all_domestic"] = change("every deal domestic (import_region = -1)", all_domestic)
    c["all_not_win_win"] = change("every deal NOT_WIN_WIN", all_not_win_win)
    c["all_win_win"] = change("every deal WIN_WIN", all_win_win)
    c["cap_zero"] = change("every pay_cap 0", caps(0.0))
    c["cap_inf"] = change("every pay_cap +inf", caps(math.inf))
    c["trade_value_zero"] = change("every trade_value 0 (every bid +inf)", trade_value_zero)
    c["prob_0_1"] = change("component probabilities exactly 0 and 1", probabilities_0_1)
    c["zero_flows"] = change("zero-amount cash flows and a component without flows", zero_flows)
    c["cert_ratio_zero"] = change("a certificate policy with ratio 0 (no supply: price +inf)", cert_ratio_zero)
    c["cert_glut"] = change("certificate supply far above demand (price at the floor)", cert_glut)
    c["cert_expiry_1"] = change("certificates with expiry 1 over three periods, on every region", cert_expiry_1)
    c["tariff_no_imports"] = change("a tariff on a region no deal imports into", tariff_no_imports)
    c["every_region"] = change("a tariff and certificates on every region", every_region)
    c["draws_sigma0"] = change("2 draws with every sigma 0: each draw is the deterministic run", draws_sigma0)
    c["sweep_two"] = change("a 2-scenario sweep of the tariff rate", sweep_two)
    c["match_empty"] = change("`match` with an empty order stream", market([]))
    c["match_one"] = change("`match` with one order (a sell that rests)", market([(1, 0, 1, 4.0, 2.5, 1.0)]))
    return c


def flatten(w):
    """The world as MODEL.md section 1's arrays."""
    party_ptr, party_entity, comp_ptr, comp_dim, comp_prob, flow_ptr, flow_period, flow_amount = \
        [0], [], [0], [], [], [0], [], []
    for d in w["deals"]:
        for e, comps in d["parties"]:
            party_entity.append(e)
            for dim, p, flows in comps:
                comp_dim.append(dim)
                comp_prob.append(p)
                for t, a in flows:
                    flow_period.append(t)
                    flow_amount.append(a)
                flow_ptr.append(len(flow_amount))
            comp_ptr.append(len(comp_dim))
        party_ptr.append(len(party_entity))
    col = lambda key: [d[key] for d in w["deals"]]  # noqa: E731
    N = len(w["entities"])
    ptr = np.zeros(N + 1, np.int64)
    edges = sorted(w["edges"])
    for i, _, _ in edges:
        ptr[i + 1:] += 1
    ent = lambda key: [e[key] for e in w["entities"]]  # noqa: E731
    return {
        "/entities/type": np.array(ent("type"), np.uint8),
        "/entities/region": np.array(ent("region"), np.int32),
        "/entities/weights": np.array(ent("weights"), float).reshape(N, 4),
        "/entities/discount_rate": np.array(ent("r"), float),
        "/entities/risk_aversion": np.array(ent("rho"), float),
        "/entities/pay_cap": np.array(ent("cap"), float),
        "/entities/bargaining_weight": np.array(ent("beta"), float),
        "/deals/party_ptr": np.array(party_ptr, np.int64),
        "/deals/party_entity": np.array(party_entity, np.int64),
        "/deals/importer": np.array(col("importer"), np.int32),
        "/deals/comp_ptr": np.array(comp_ptr, np.int64),
        "/deals/comp_dim": np.array(comp_dim, np.uint8),
        "/deals/comp_prob": np.array(comp_prob, float),
        "/deals/flow_ptr": np.array(flow_ptr, np.int64),
        "/deals/flow_period": np.array(flow_period, np.int32),
        "/deals/flow_amount": np.array(flow_amount, float),
        "/deals/period": np.array(col("period"), np.int32),
        "/deals/sector": np.array(col("sector"), np.int32),
        "/deals/export_region": np.array(col("exp"), np.int32),
        "/deals/import_region": np.array(col("imp"), np.int32),
        "/deals/trade_value": np.array(col("m"), float),
        "/deals/cost": np.array(col("k"), float),
        "/network/ptr": ptr,
        "/network/col": np.array([j for _, j, _ in edges], np.int64),
        "/network/weight": np.array([x for _, _, x in edges], float),
        "/trade/base_exports": np.array(w["base_exports"], float).reshape(w["R"], w["T"]),
        "/trade/base_imports": np.array(w["base_imports"], float).reshape(w["R"], w["T"]),
        "/io/A": np.array(w["A"], float).reshape(w["S"], w["S"]),
        "/io/value_added": np.array(w["va"], float),
        "/io/employment": np.array(w["emp"], float),
        "/io/import_share": np.array(w["share"], float),
    }


def config_text(w, h5name):
    out = [f"; {w['note']}", "[input]", f"file = {h5name}"]
    for section, kv in w["config"].items():
        out.append(f"[{section}]")
        out += [f"{k} = {v}" for k, v in kv.items()]
    for name, kv in w["policies"].items():
        out.append(f"[policy.{name}]")
        out += [f"{k} = {v}" for k, v in kv.items()]
    return "\n".join(out) + "\n"


def write_market(f, mk):
    f["/market/holdings"] = np.array(mk["holdings"], float)
    cols = list(zip(*mk["orders"])) if mk["orders"] else [()] * 6
    for name, dtype, c in zip(("entity", "region", "side", "quantity", "price", "time"),
                              (np.int64, np.int32, np.uint8, float, float, float), cols):
        f[f"/market/orders/{name}"] = np.array(c, dtype)


def write(name, w, folder):
    h5 = os.path.join(folder, name + ".h5")
    with h5py.File(h5, "w") as f:
        for key, value in flatten(w).items():
            f[key] = value
        f["/io"].attrs["region"] = np.int32(w["home"])
        if w["market"] is not None:
            write_market(f, w["market"])
    with open(os.path.join(folder, name + ".ini"), "w") as f:
        f.write(config_text(w, name + ".h5"))
    with open(os.path.join(folder, name + ".sweep.ini"), "w") as f:
        f.write(config_text(w, name + ".h5") + w["sweep"])


def main(folder):
    os.makedirs(folder, exist_ok=True)
    table = cases()
    for name, w in table.items():
        write(name, copy.deepcopy(w), folder)
    with open(os.path.join(folder, "cases.json"), "w") as f:
        json.dump({n: w["note"] for n, w in table.items()}, f, indent=1)
    print(f"make_boundary: {len(table)} valid inputs in {folder}")


if __name__ == "__main__":
    main(sys.argv[1])
