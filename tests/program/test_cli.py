#!/usr/bin/python3
"""Command line contract: exit codes, output safety, root attributes.
Usage: test_cli.py TRADEBAL WORKDIR"""
import hashlib
import os
import subprocess
import sys

import h5py

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks  # noqa: E402

TB, W = sys.argv[1], sys.argv[2]
check = Checks()
os.makedirs(W, exist_ok=True)
os.chdir(W)


def run(*args):
    p = subprocess.run([TB, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr.strip()


rc, out, err = run("generate", "-o", "in.h5", "--entities", "500", "--deals", "5000", "--overwrite")
check(rc == 0, f"generate: {err}")
with open("run.ini", "w") as f:
    f.write("[input]\nfile = in.h5\n")
with open("bad.ini", "w") as f:
    f.write("[input]\nfile = in.h5\n[split]\nrule = nash\nfairness = 1\n")

rc, out, err = run()
check(rc == 2, f"no command: {rc}")
rc, out, err = run("frobnicate")
check(rc == 2 and "unknown command" in err, f"unknown command: {rc} {err}")
rc, out, err = run("run")
check(rc == 2 and "-c CONFIG" in err, f"run without config: {rc} {err}")
rc, out, err = run("run", "-c", "bad.ini", "-o", "x.h5")
check(rc == 2 and "bad.ini:5: unknown key [split] fairness" in err, f"unknown key: {rc} {err}")
rc, out, err = run("run", "-c", "run.ini", "-o", "x.h5", "--set", "split.rule=fair")
check(rc == 2 and "nash|egalitarian|none" in err, f"bad enum: {rc} {err}")
rc, out, err = run("run", "-c", "run.ini", "-o", "in.h5", "--overwrite")
check(rc == 2 and "overwrite the input" in err, f"output == input: {rc} {err}")
rc, out, err = run("run", "-c", "run.ini", "-o", "x.h5", "--set", "input.file=absent.h5")
check(rc == 3 and "absent.h5" in err and not os.path.exists("x.h5"), f"missing input: {rc} {err}")
rc, out, err = run("run", "-c", "run.ini", "-o", "x.h5", "--set", "backend.kind=cuda")
check(rc in (2, 5) and "cuda" in err and not os.path.exists("x.h5"), f"cuda backend: {rc} {err}")
rc, out, err = run("run", "-c", "run.ini", "-o", "/nonexistent-dir/x.h5")
check(rc == 4 and "/nonexistent-dir/x.h5" in err, f"unwritable output: {rc} {err}")

# a good run: summary, resolved config, root attributes of MODEL.md section 11
rc, out, err = run("run", "-c", "run.ini", "-o", "out.h5", "--overwrite", "--set", "split.scope=all")
check(rc == 0, f"run: {err}")
check("WIN_WIN" in out and "total surplus" in out and "deals/s" in out, "summary printed")
check("[split]\nrule = nash\nscope = all" in out, "resolved config printed")
with h5py.File("out.h5", "r") as f:
    a = f.attrs
    for k in ("software", "version", "format_version", "created", "config", "backend", "ranks", "input_sha256"):
        check(k in a, f"root attribute {k}")
    sha = hashlib.sha256(open("in.h5", "rb").read()).hexdigest()
    check(a["input_sha256"].decode() == sha, "input_sha256 matches the input")
    check("scope = all" in a["config"].decode(), "config attribute holds the resolved config")
    check(a["backend"].decode() == "cpu" and int(a["ranks"]) == 1, "backend and ranks")
    M = f["/deals/status"].shape[0]
    P = f["/deals/value"].shape[0]
    for name, n in (("value", P), ("status", M), ("surplus", M), ("bid", M), ("transfer", P), ("final_value", P)):
        check(f["/deals/" + name].shape == (n,), f"/deals/{name} shape")
check(not any(n.startswith("out.h5.tmp") for n in os.listdir(".")), "no temporary left")

# existing output is kept without --overwrite
before = os.path.getmtime("out.h5")
rc, out, err = run("run", "-c", "run.ini", "-o", "out.h5")
check(rc == 4 and "--overwrite" in err and os.path.getmtime("out.h5") == before, f"keep existing: {rc} {err}")
rc, out, err = run("generate", "-o", "in.h5")
check(rc == 4, f"generate keeps existing: {rc} {err}")
rc, out, err = run("generate", "-o", "g.h5", "--entities", "1", "--overwrite")
check(rc == 2, f"generate with one entity: {rc} {err}")
rc, out, err = run("version")
check(rc == 0 and out.startswith("tradebal "), "version")

check.finish()
