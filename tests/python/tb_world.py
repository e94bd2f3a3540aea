"""A small hand-made world for the SDK's tests: 6 entities, 5 deals of 2-3 parties, 2 regions, 2 periods,
2 sectors; and an independent NumPy computation of MODEL.md sections 2-3 on long tables."""
import numpy as np
import pandas as pd

# MODEL.md section 2's default translation table T[type][dim][k]
T = np.array([
    [[.6, .2, .1, .1], [.1, .3, .5, .1], [.1, .4, .3, .2], [.2, .4, .1, .3]],
    [[.5, .3, .1, .1], [.1, .1, .6, .2], [.1, .2, .3, .4], [.1, .1, .2, .6]],
    [[.2, .3, .2, .3], [.4, .4, .1, .1], [.5, .3, .1, .1], [.4, .3, .2, .1]],
    [[.3, .5, .1, .1], [.4, .1, .4, .1], [.3, .2, .3, .2], [.5, .1, .1, .3]]])
DEFAULT_W = {0: [.3, .3, .3, .1], 1: [.4, .3, .2, .1], 2: [.5, .3, .1, .1], 3: [.5, .3, .1, .1]}
TYPES = ["government", "corporate", "ngo", "civilian"]


def world():
    """The tables of tradebal.Input (keyword arguments)."""
    entities = pd.DataFrame({
        "type": ["government", "corporate", "corporate", "ngo", "civilian", "government"],
        "region": [0, 0, 1, 1, 0, 1],
        "discount_rate": [0.03, 0.08, 0.05, 0.02, 0.1, 0.04],
        "risk_aversion": [0.0, 0.5, 1.0, 0.2, 2.0, 0.1],
        "pay_cap": [np.inf, 50.0, 5.0, 0.5, 1.0, np.inf],
        "bargaining_weight": [1.0, 2.0, 1.0, 0.5, 1.0, 1.5],
    })
    # deal ids out of order: the file sorts them (1, 3, 5, 7, 10)
    deals = pd.DataFrame({
        "deal": [10, 3, 7, 1, 5],
        "importer": [1, 0, 2, 0, 1],
        "period": [0, 1, 1, 0, 1],
        "sector": [1, 0, 1, 0, 1],
        "export_region": [0, 1, 0, 1, 0],
        "import_region": [1, 0, 1, -1, 1],
        "trade_value": [20.0, 8.0, 15.0, 0.0, 4.0],
        "cost": [0.0, 2.0, 0.0, 0.0, 0.0],
    })
    parties = pd.DataFrame({"deal": [10, 10, 3, 3, 7, 7, 7, 1, 1, 5, 5, 5],
                            "entity": [0, 2, 1, 3, 4, 5, 0, 2, 4, 3, 1, 5]})
    # (deal, party, dim, prob)
    comps = [(10, 0, 0, 0.9), (10, 0, "social", 0.5), (10, 1, 0, 0.8),
             (3, 0, 0, 1.0), (3, 1, 2, 0.7), (3, 1, 4, 0.4),
             (7, 0, 0, 0.6), (7, 1, 3, 0.9), (7, 2, 0, 1.0),
             (1, 0, 0, 0.95), (1, 1, 1, 0.3),
             (5, 0, 0, 0.5), (5, 1, 0, 0.99), (5, 2, 2, 0.8)]
    components = pd.DataFrame(comps, columns=["deal", "party", "dim", "prob"])
    # (deal, party, component, period, amount)
    fl = [(10, 0, 0, 0, -5.0), (10, 0, 0, 1, 9.0), (10, 0, 1, 2, 3.0), (10, 1, 0, 0, 4.0), (10, 1, 0, 3, 2.5),
          (3, 0, 0, 0, 6.0), (3, 1, 0, 1, -1.0), (3, 1, 1, 0, 2.0), (3, 1, 1, 2, 0.5),
          (7, 0, 0, 0, 3.0), (7, 1, 0, 1, -2.0), (7, 2, 0, 0, -4.0), (7, 2, 0, 2, 1.0),
          (1, 0, 0, 0, -3.0), (1, 1, 0, 1, 1.0),
          (5, 0, 0, 0, 1.0), (5, 0, 0, 1, 1.0), (5, 1, 0, 2, -0.4), (5, 2, 0, 0, 2.0)]
    flows = pd.DataFrame(fl, columns=["deal", "party", "component", "period", "amount"])
    network = pd.DataFrame({"source": [0, 2, 1, 0, 5, 4], "target": [1, 0, 3, 4, 2, 5],
                            "weight": [1.0, 0.5, 2.0, 0.25, 1.0, 0.75]})
    sectors = ["goods", "services"]
    A = pd.DataFrame([[0.2, 0.1], [0.3, 0.25]], index=sectors, columns=sectors)
    return dict(entities=entities, deals=deals, parties=parties, components=components, flows=flows,
                network=network, base_exports=np.array([[100.0, 110.0], [80.0, 85.0]]),
                base_imports=pd.DataFrame([[90.0, 95.0], [70.0, 72.0]]), A=A,
                value_added=pd.Series([0.5, 0.45], index=sectors), employment=pd.Series([3.0, 5.0], index=sectors),
                import_share=pd.Series([0.6, 0.4], index=sectors), home_region=0)


def deal_values(w, other_factor=0.5):
    """Independent NumPy of MODEL.md sections 2-3 (value rule `expected`) on the long tables of world():
    per deal in file order (sorted ids): (values per party, status, surplus, bid)."""
    E = w["entities"]
    typ = np.array([TYPES.index(t) for t in E["type"]])
    W = np.array([DEFAULT_W[t] for t in typ])
    f = np.concatenate([np.einsum("edk,ek->ed", T[typ], W), np.full((len(E), 1), other_factor)], axis=1)
    r, rho, cap = E["discount_rate"].to_numpy(), E["risk_aversion"].to_numpy(), E["pay_cap"].to_numpy()
    dims = {"economic": 0, "social": 1, "environmental": 2, "security": 3, "other": 4}
    out = []
    for _, d in w["deals"].sort_values("deal").iterrows():
        ents = w["parties"][w["parties"]["deal"] == d["deal"]]["entity"].to_numpy()
        V = np.zeros(len(ents))
        for i, e in enumerate(ents):
            comps = w["components"][(w["components"]["deal"] == d["deal"]) & (w["components"]["party"] == i)]
            for c, (_, comp) in enumerate(comps.iterrows()):
                fl = w["flows"][(w["flows"]["deal"] == d["deal"]) & (w["flows"]["party"] == i)
                                & (w["flows"]["component"] == c)]
                pv = np.sum(fl["amount"].to_numpy() * (1 + r[e]) ** (-fl["period"].to_numpy().astype(float)))
                dim = dims.get(comp["dim"], comp["dim"])
                V[i] += f[e, int(dim)] * pv * comp["prob"] ** (1 + rho[e])
        s = V / f[ents, 0]
        S, F = s.sum(), np.minimum(s, cap[ents]).sum()
        status = 0 if np.all(V > 0) else 1 if F > 0 else 2
        imp = int(d["importer"])
        m = d["trade_value"]
        bid = np.inf if m == 0 else (np.minimum(s, cap[ents]).sum() - min(s[imp], cap[ents][imp]) + s[imp]) / m
        out.append((V, status, S, bid))
    return out
