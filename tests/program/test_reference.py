#!/usr/bin/python3
"""Reference answers (HPCG style, issue 21): each case of tests/reference/ is a small committed input, its run.ini
and expected.json, its key outputs with a tolerance each (tests/support/refcase.py). A fresh `tradebal run` at 1
and at 2 MPI ranks must give them: counts and names exactly, floats within 1e-12 relative (refcase.REL), and the
two runs bitwise the same (tbcheck.h5_differences). The expected values are checked too, against an independent
computation from the input alone (refcase.independent: NumPy sections 2-3, policy_ref.py's funding, markets and
Leontief levels, section 8's closed form at K = 0) within 1e-9, so they are not just what the code printed once.
Prints a table per case: quantity, expected, got at 1 and 2 ranks, independent value, verdict.
Usage: test_reference.py TRADEBAL WORKDIR MPIEXEC [FLAGS...]   (TB_REFERENCE_CASES=a,b runs only those)"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks, Tradebal, h5_differences  # noqa: E402
import refcase  # noqa: E402

TB = Tradebal(sys.argv)
check = Checks()
RANKS = (1, 2)


def one_case(name):
    inp, ini, exp_path = refcase.case_files(name)
    with open(exp_path) as fh:
        expected = json.load(fh)
    check(expected["input_sha256"] == refcase.sha256(inp),
          f"{name}: input.h5 is not the file expected.json was made from (tests/README.md, 'Reference answers')")
    got = {}
    for n in RANKS:
        out = os.path.join(TB.work, f"{name}.r{n}.h5")
        r = TB.run(["run", "-c", ini, "-o", out, "--overwrite"], ranks=n)
        check(r.returncode == 0, f"{name}: run at {n} ranks exited {r.returncode}: {r.stderr.strip()[-400:]}")
        if r.returncode != 0:
            return
        got[n] = {q: v for q, v, _ in refcase.key_outputs(out, inp, ini)}
    diff = h5_differences(*(os.path.join(TB.work, f"{name}.r{n}.h5") for n in RANKS))
    check(not diff, f"{name}: the runs at 1 and 2 ranks differ in {diff[:5]}")
    indep = refcase.independent(inp, ini)
    rows = expected["quantities"]
    names = [q["quantity"] for q in rows]
    check(names == list(got[1]), f"{name}: expected.json lists {len(names)} quantities, the run gives {len(got[1])}: "
          f"{sorted(set(names) ^ set(got[1]))[:5]} (run update.py only as tests/README.md says)")
    check(set(indep) <= set(names), f"{name}: independent quantities missing from expected.json: "
          f"{sorted(set(indep) - set(names))}")
    print(f"\n== {name}: {expected['about']}")
    print(f"{'quantity':34} {'expected':>24} {'got, 1 rank':>24} {'got, 2 ranks':>24} {'tolerance':>10} "
          f"{'independent':>24}  verdict")
    for q in rows:
        want, tol = q["value"], q["tolerance"]
        ok_runs = all(q["quantity"] in got[n] and refcase.compare(got[n][q["quantity"]], want, tol) for n in RANKS)
        ind = indep.get(q["quantity"])
        ok_ind = ind is None or refcase.compare(want, ind, refcase.INDEPENDENT_TOL)
        verdict = "; ".join(w for w, bad in (("DIFFERS", not ok_runs), ("EXPECTED != INDEPENDENT", not ok_ind)) if bad)
        check(ok_runs, f"{name}: {q['quantity']}: expected {want!r}, got {[got[n].get(q['quantity']) for n in RANKS]}")
        check(ok_ind, f"{name}: {q['quantity']}: expected.json says {want!r}, the independent reference {ind!r}")
        print(f"{q['quantity']:34} {refcase.show(want):>24} {refcase.show(got[1].get(q['quantity'], '-')):>24} "
              f"{refcase.show(got[2].get(q['quantity'], '-')):>24} {tol:>10} "
              f"{'-' if ind is None else refcase.show(ind):>24}  {verdict or 'ok'}")
    print(f"{name}: {len(rows)} quantities, {len(indep)} of them also computed independently")


only = [c for c in os.environ.get("TB_REFERENCE_CASES", "").split(",") if c]
found = refcase.cases()
check(len(found) >= 3, f"reference cases found: {found}")
for case in found:
    if not only or case in only:
        one_case(case)
check.finish()
