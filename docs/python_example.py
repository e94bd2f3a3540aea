#!/usr/bin/python3
"""The worked example of docs/worked-example.md done through the Python SDK (docs/python.md shows each step
with its output): from the public BEA and Census files to policies, regions, a sensitivity sweep and deals
evaluated in process, without the shell. CTest `python_docs_example` runs it (tests/python/test_docs_example.py)
and checks that every code block of docs/python.md's worked example is a piece of this file.

Usage: PYTHONPATH=python docs/python_example.py [OUT_DIR] [DEALS] [ENTITIES]
       (defaults examples/us2023/sdk, 200000, 20000: the size of jobs/us2023.sh; the shared data folder is
       ../shared/data/real beside the checkout, or $TB_REAL)"""
import os
import sys

import h5py
import numpy as np
import pandas as pd

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "python"))  # in place; an installed package is found anyway

import tradebal  # noqa: E402
from tradebal import imports  # noqa: E402

OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(REPO, "examples", "us2023", "sdk")
DEALS = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
ENTITIES = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
REAL = os.environ.get("TB_REAL", os.path.join(REPO, "..", "shared", "data", "real"))
CONFIG = os.path.join(REPO, "configs", "us2023.ini")
os.makedirs(OUT, exist_ok=True)
pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 20)


def show(title, table):
    print(f"\n== {title}")
    print(table.to_string() if hasattr(table, "to_string") else table)


# %% 1. the home economy: BEA's 1997 summary input-output tables -> /io
bea_dir = os.path.join(REAL, "bea-io-1997-summary", "raw")
io = imports.bea(os.path.join(OUT, "io.h5"), overwrite=True, **imports.bea_files(bea_dir))
with h5py.File(io, "r") as f:
    A = f["/io/A"][()]
    value_added, employment = f["/io/value_added"][()], f["/io/employment"][()]
    sectors = list(f["/io"].attrs["sector_names"])
# Leontief in process (libtradebal): output multipliers, and the GDP of one dollar of final demand per sector
lt = tradebal.leontief(A, value_added, employment, np.eye(len(A))[:3])
io_table = pd.DataFrame({"multiplier": lt["multipliers"][:3], "GDP per $ of demand": lt["gdp"]},
                        index=pd.Index(sectors[:3], name="sector"))
show(f"{len(A)} sectors, largest column sum of A {A.sum(axis=0).max():.6f}", io_table.round(4))

# %% 2. base trade: Census goods trade by partner, 2023, the ten largest partners and the rest of the world
census = os.path.join(REAL, "us-census-goods-by-country", "country.csv")
trade = imports.census(census, os.path.join(OUT, "trade.h5"), year=2023, partners=10, overwrite=True)
with h5py.File(trade, "r") as f:
    regions = list(f["/trade"].attrs["region_names"])
    base = pd.DataFrame({"exports": f["/trade/base_exports"][()].sum(axis=1),
                         "imports": f["/trade/base_imports"][()].sum(axis=1)}, index=pd.Index(regions, name="region"))
base["balance"] = base.exports - base.imports
show("base trade 2023, million USD (12 months)", base.head(4).round(1))

# %% 3. seeded synthetic deals on the same regions, periods and sectors, assembled into one input and validated
deals = tradebal.generate(os.path.join(OUT, "deals.h5"), entities=ENTITIES, deals=DEALS, regions=len(regions),
                          periods=12, sectors=len(A), seed=2023, overwrite=True)
inp = imports.assemble(deals, os.path.join(OUT, "us2023.h5"), io=io, trade=trade, overwrite=True)
print(tradebal.validate(inp))
# steps 1-3 in one call: inp = imports.us_example(REAL, OUT, deals=DEALS, entities=ENTITIES)

# %% 4. the policies of configs/us2023.ini: none, a 10% tariff and import certificates on the US
job = tradebal.run(CONFIG, input=inp, output=os.path.join(OUT, "us2023_out.h5"), overwrite=True)
print(job.state, job.returncode, job.output)
r = job.result()  # a tradebal.Result (tradebal.open(path) opens one from a path)
print("recommended:", r.recommended, "|", r.provenance["software"], r.provenance["version"], "| ranks",
      r.provenance["ranks"], "| backend", r.provenance["backend"])
cols = ["traded", "blocked", "Balance", "GDP", "Surplus", "WAR", "WAR_B", "q05", "q95", "mean_cert_price"]
show("policy metrics", r.metrics[cols].round(3))
show("change against none", r.deltas[["Balance", "GDP", "Surplus", "tariff_revenue"]].round(1))
# the same run on 2 MPI ranks (mpiexec): per-deal and regional results bitwise equal; the metrics to rounding,
# since the Leontief LU (OpenBLAS) runs on 2 threads in the 1-rank run and on 1 per rank here
with tradebal.run(CONFIG, input=inp, output=os.path.join(OUT, "us2023_2ranks.h5"), ranks=2,
                  overwrite=True).result() as r2:
    bitwise = all(r2.h5[k][()].tobytes() == r.h5[k][()].tobytes()
                  for k in ("/deals/value", "/deals/outcome", "/deals/transfer", "/regions/balance"))
    rel = ((r2.metrics - r.metrics).abs() / r.metrics.abs()).max().max()
    print(f"2 ranks: deals and regions bitwise equal: {bitwise} | metrics within 1e-12: {rel < 1e-12}")

# %% 5. regions x periods per policy (xarray), labelled with the input's region names
reg = r.regions_all().assign_coords(region=regions)
us = reg.sel(region="United States", drop=True)[["exports", "imports", "balance"]].sum("period").to_pandas()
show("United States over 2023 per policy, million USD", us.round(1))
partners = reg["balance"].sel(region=["Mexico", "Canada", "China"]).sum("period").to_pandas()
show("partners' balance with the US per policy", partners.round(1))
price = reg["cert_price"].sel(policy="certificates", region="United States").to_pandas()
show("certificate price per month (certificates)", price.rename("cert_price").round(3).to_frame().T)

# %% 6. opportunities, entities' network values, and the per-deal outcome read in chunks
show(f"best opportunities ({r.opportunities.attrs['opportunities']} in all, "
     f"{r.opportunities.attrs['funded_count']} funded)", r.opportunities.head(3).round(2))
ent = r.entities
show(f"largest network values ({ent.attrs['network_iterations']} iterations)",
     ent.nlargest(3, "network_value").round(4))
outcome = sum(chunk.outcome.value_counts() for chunk in r.deals(chunk=50000, columns=["outcome"]))
show(f"outcome of each deal under {r.recommended}", outcome)

# %% 7. a sensitivity sweep: 16 Latin-hypercube scenarios over four parameters, in two shards merged
sweep = {"input.file": inp, "assessment.draws": 0, "sweep.method": "lhs", "sweep.samples": 16, "sweep.seed": 7,
         "sweep.market.elasticity": "0.5:3", "sweep.policy.tariff10.rate": "0:0.3",
         "sweep.policy.certificates.ratio": "0.5:1", "sweep.io.substitution": "0.5:1"}
sw = tradebal.sweep(CONFIG, os.path.join(OUT, "us2023_sweep.h5"), shards=2, overrides=sweep, overwrite=True)
s = sw.result()
show("recommended policy over the scenarios", s.scenarios.recommended.value_counts())
src = s.sensitivity["src"].stack().rename("SRC")
src = src[~src.index.get_level_values("metric").str.endswith(("WAR_B", "q05", "q95"))]  # WAR's band moves with WAR
show("largest standardised regression coefficients", src[src.abs().sort_values(ascending=False).index][:5].round(2))

# %% 8. evaluate in process: the run's per-deal numbers, bitwise, without the program
ev = tradebal.evaluate(inp)  # the configuration's defaults: value_rule expected, split nash over repairable deals
same = {k: ev.arrays[k].tobytes() == r.h5["/deals/" + k][()].tobytes() for k in ("value", "status", "surplus", "bid")}
print(ev, "| bitwise equal to the run's /deals datasets:", same)
show("status", ev.deals.status.value_counts())

# %% 9. one deal of the input as tables, evaluated alone, then under the tariff's import charge
full = tradebal.Input.from_file(inp)  # the input as long tables
k = int(r.opportunities.deal[0])  # the best opportunity


def pick(table):
    return table[table.deal == k]


one = tradebal.Input(full.entities, pick(full.deals), pick(full.parties), pick(full.components), pick(full.flows),
                     full.base_exports, full.base_imports, full.A, full.value_added, full.employment,
                     full.import_share, home_region=full.home_region)
alone = tradebal.evaluate(one)
print(f"deal {k}: the same surplus as in the whole run, bitwise:",
      alone.arrays["surplus"][0].tobytes() == ev.arrays["surplus"][k].tobytes())
show(f"deal {k} alone", alone.deals.round(4))
show(f"deal {k}'s parties", alone.parties.round(4))
charge = [0.1 * one.deals.trade_value.iloc[0]]  # a 10% tariff on the deal's import value
show(f"deal {k} paying a 10% tariff", tradebal.evaluate(one, charge=charge).parties.round(4))

# %% 10. a deal made by hand between two of the input's entities; an invalid one raises InputError
tables = dict(
    entities=full.entities,
    deals=pd.DataFrame({"deal": [0], "importer": [1], "period": [0], "sector": [0], "export_region": [0],
                        "import_region": [1], "trade_value": [50.0]}),
    parties=pd.DataFrame({"deal": [0, 0], "entity": [0, 1]}),
    components=pd.DataFrame({"deal": [0, 0, 0], "party": [0, 0, 1], "dim": ["economic", "social", "economic"],
                             "prob": [0.9, 0.6, 0.8]}),
    flows=pd.DataFrame({"deal": 0, "party": [0, 0, 1, 1], "component": [0, 1, 0, 0], "period": [0, 1, 0, 1],
                        "amount": [-20.0, 12.0, 30.0, 5.0]}),
    base_exports=full.base_exports, base_imports=full.base_imports, A=full.A, value_added=full.value_added,
    employment=full.employment, import_share=full.import_share)
hand = tradebal.evaluate(tradebal.Input(**tables))
show("hand-made deal", pd.concat([hand.deals, hand.parties.set_index("deal")], axis=1).round(4))
tables["flows"] = tables["flows"].assign(amount=[-10.0, 12.0, 30.0, 5.0])  # entity 0 pays 10, not 20
hand = tradebal.evaluate(tradebal.Input(**tables))
show("entity 0 paying 10", pd.concat([hand.deals, hand.parties.set_index("deal")], axis=1).round(4))
tables["components"] = tables["components"].assign(prob=[0.9, 0.6, 1.5])
try:
    tradebal.evaluate(tradebal.Input(**tables))
except tradebal.InputError as e:
    print(f"InputError (exit {e.code}): dataset {e.dataset}, index {e.index}, rule {e.rule}")

# %% 11. exit codes as exceptions: a run stopped at a safe point (exit 7) and resumed
try:  # TB_STOP_AFTER_SAFE_POINTS stops the run as SIGTERM or the walltime would (docs/user-guide.md)
    tradebal.run(CONFIG, input=inp, output=os.path.join(OUT, "stopped.h5"), overwrite=True,
                 overrides={"run.batch_deals": DEALS // 10}, env={"TB_STOP_AFTER_SAFE_POINTS": "2"})
except tradebal.Checkpointed as e:
    print(f"{type(e).__name__} (exit {e.code}): {e}")
    resumed = e.job.resume(env={})
    print(resumed.state, "| resumed:", "resuming from checkpoint" in resumed.stderr)
    with resumed.result() as again:
        print("same metrics as the uninterrupted run:", again.metrics.equals(r.metrics))
r.close()
s.close()
