#!/usr/bin/python3
"""Maintainer's tool: rewrite tests/reference/<case>/expected.json from a fresh 1-rank `tradebal run`.
Legitimate only when a change to MODEL.md changes the answers (say which section and why in the commit message);
never to make reference_answers pass after a code change that was meant to keep them. It refuses (exit 1,
nothing written) where the new values disagree with the independent reference (tests/support/refcase.py): then
that reference must follow MODEL.md first. Usage: update.py TRADEBAL [CASE...]   (default: every case)"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import refcase  # noqa: E402

ABOUT = {
    "generated_small": "a seeded synthetic economy (tradebal generate), binding budget, tariff and certificates "
                       "on every region, 8 draws",
    "boundary_base": "the boundary corpus's hand-readable base world (4 deals), budget 5, tariff and certificates "
                     "on the home region, K = 0",
    "bea_us2023": "BEA 1997 input-output table (131 industries), Census 2023 US trade by month, 80 seeded deals, "
                  "tariff and certificates on the US, K = 0",
}


def update(tb, name, work):
    inp, ini, exp_path = refcase.case_files(name)
    out = os.path.join(work, name + ".h5")
    r = subprocess.run([tb, "run", "-c", ini, "-o", out, "--overwrite"], capture_output=True, text=True,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    if r.returncode != 0:
        print(f"{name}: tradebal run exited {r.returncode}: {r.stderr.strip()}")
        return False
    rows = refcase.key_outputs(out, inp, ini)
    indep = refcase.independent(inp, ini)
    bad = [(q, v, indep[q]) for q, v, _ in rows if q in indep and not refcase.compare(v, indep[q], refcase.INDEPENDENT_TOL)]
    for q, v, w in bad:
        print(f"{name}: {q}: the run gives {v!r}, the independent reference {w!r}")
    if bad:
        print(f"{name}: not written")
        return False
    version = subprocess.run([tb, "--version"], capture_output=True, text=True).stdout.strip()
    doc = {"case": name, "about": ABOUT.get(name, ""), "input_sha256": refcase.sha256(inp),
           "made_by": f"tests/reference/update.py with {version}, 1 rank, CPU backend",
           "tolerances": {refcase.EXACT: "equal (floats bitwise)", refcase.REL: "|got - expected| <= 1e-12 max(1, |expected|)"},
           "quantities": []}
    head = json.dumps(doc, indent=1)[:-len(' []\n}')]  # one line per quantity below, so diffs show what changed
    lines = ",\n  ".join(json.dumps({"quantity": q, "value": v, "tolerance": t}) for q, v, t in rows)
    with open(exp_path, "w") as fh:
        fh.write(f"{head} [\n  {lines}\n ]\n}}\n")
    print(f"{name}: {len(rows)} quantities written, {len(indep)} agree with the independent reference")
    return True


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tb = os.path.abspath(sys.argv[1])
    names = sys.argv[2:] or refcase.cases()
    with tempfile.TemporaryDirectory() as work:
        ok = [update(tb, n, work) for n in names]
    sys.exit(0 if all(ok) else 1)


main()
