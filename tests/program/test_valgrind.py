#!/usr/bin/python3
"""Valgrind memcheck on small runs (issue 8): a full run with policies, draws and a checkpoint at every safe
point, a run stopped and resumed, a sweep, and error paths (a hostile input, a failed write). No invalid access,
uninitialised use or leak (definite or indirect) may have a tradebal frame on its stack. What Open MPI's own
MPI_Init and MPI_Finalize keep (reached from tb_comm_init and tb_comm_finalize) and the loader's known strncmp reads are the libraries', not ours.
Usage: test_valgrind.py TRADEBAL WORKDIR; exits 77 (skipped) without valgrind."""
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks, Tradebal  # noqa: E402

if not shutil.which("valgrind"):
    print("valgrind not found: skipped")
    sys.exit(77)
TB_ = Tradebal(sys.argv)
check = Checks()
BIN = os.path.realpath(TB_.tb)
MPI_OWN = ("tb_comm_init", "tb_comm_finalize")  # what MPI_Init and MPI_Finalize allocate and keep


def ours(error):
    """The innermost tradebal frame of an error's first stack, or None when it has none or it is MPI_Init's."""
    stack = error.find("stack")
    for fr in stack.findall("frame") if stack is not None else []:
        if os.path.realpath(fr.findtext("obj") or "") == BIN:
            fn = fr.findtext("fn") or "?"
            return None if fn in MPI_OWN else f"{fn} ({fr.findtext('file')}:{fr.findtext('line')})"
    return None


def memcheck(tag, args, expect_rc=0, env=None):
    xml = f"vg-{tag}.xml"
    p = subprocess.run(["valgrind", "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                        "--num-callers=40", "--xml=yes", f"--xml-file={xml}", BIN, *args],
                       capture_output=True, text=True, env={**os.environ, **(env or {})})
    check(p.returncode == expect_rc, f"{tag}: exit {p.returncode}, expected {expect_rc}: {p.stderr[-400:]}")
    found = []
    for e in ET.parse(xml).getroot().findall("error"):
        where = ours(e)
        if where:
            found.append(f"{e.findtext('kind')} at {where}")
    check(not found, f"{tag}: {len(found)} error(s) in tradebal: {found[:5]}")
    return p


g = TB_.run(["generate", "-o", "in.h5", "--entities", "200", "--deals", "600", "--regions", "3", "--periods", "4",
             "--sectors", "4", "--seed", "3", "--overwrite"])
check(g.returncode == 0, f"generate: {g.stderr}")
open("run.ini", "w").write("""[input]
file = in.h5
[run]
batch_deals = 200
progress = never
[checkpoint]
every = 1e-9
period_block = 2
[funding]
budget = 50
[assessment]
draws = 2
[policy.tariff]
kind = tariff
rate = 0.1
[policy.certs]
kind = certificates
ratio = 0.9
expiry = 2
""")
for f in ("out.h5", "stop.h5", "sweep.h5", "bad_out.h5"):
    if os.path.exists(f):
        os.remove(f)
memcheck("run", ["run", "-c", "run.ini", "-o", "out.h5"])
memcheck("stop", ["run", "-c", "run.ini", "-o", "stop.h5"], 7, {"TB_STOP_AFTER_SAFE_POINTS": "9"})
memcheck("resume", ["run", "-c", "run.ini", "-o", "stop.h5", "--resume", "auto"])
open("sweep.ini", "w").write(open("run.ini").read() + "[sweep]\nmethod = lhs\nsamples = 3\nmarket.elasticity = 1:2\n")
memcheck("sweep", ["run", "-c", "sweep.ini", "-o", "sweep.h5", "--set", "checkpoint.every=0"])
with open("in.h5", "rb") as f:
    open("truncated.h5", "wb").write(f.read()[:50000])
memcheck("truncated", ["validate", "truncated.h5"], 3)
memcheck("write_fault", ["run", "-c", "run.ini", "-o", "bad_out.h5"], 4, {"TB_FAULT": "write:0:5"})
check.finish()
