#!/usr/bin/python3
"""Output safety (issue 8, README "Exit codes"): an existing output survives a run without --overwrite and any
failed run; the input is never the output, by any path; a missing or read-only folder and a failing write
(TB_FAULT=write:RANK:K, as a full disk) give exit 4 with one line, leave no temporary file and keep the old
output byte for byte, at 1 and 2 ranks. Usage: test_output.py TRADEBAL WORKDIR MPIEXEC [MPI FLAGS...]"""
import glob
import hashlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks, Tradebal  # noqa: E402

TB_ = Tradebal(sys.argv)
run = TB_.run
check = Checks()


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def one_error(r, code, words):
    lines = r.stderr.strip().splitlines()
    return r.returncode == code and len(lines) == 1 and all(w in r.stderr for w in words)


def leftovers(folder="."):
    return [p for p in glob.glob(os.path.join(folder, "*.tmp-*"))]


for p in ("old.h5", "link.h5", "hard.h5"):
    if os.path.lexists(p):
        os.remove(p)
g = run(["generate", "-o", "in.h5", "--entities", "400", "--deals", "3000", "--regions", "3", "--periods", "2",
         "--sectors", "4", "--seed", "5", "--overwrite"])
check(g.returncode == 0, f"generate: {g.stderr}")
open("run.ini", "w").write("[input]\nfile = in.h5\n[run]\nprogress = never\nbatch_deals = 500\n")
r = run(["run", "-c", "run.ini", "-o", "old.h5"])
check(r.returncode == 0, f"first run: {r.stderr}")
old = digest("old.h5")

# an existing output is kept without --overwrite
r = run(["run", "-c", "run.ini", "-o", "old.h5"])
check(one_error(r, 4, ["old.h5", "exists", "--overwrite"]) and digest("old.h5") == old,
      f"existing output kept: {r.stderr}")

# the input is never the output: same path, another spelling, a symbolic link, a hard link
os.makedirs("sub", exist_ok=True)
os.symlink("in.h5", "link.h5")
os.link("in.h5", "hard.h5")
inp = digest("in.h5")
for out in ("in.h5", "sub/../in.h5", os.path.abspath("in.h5"), "link.h5", "hard.h5"):
    r = run(["run", "-c", "run.ini", "-o", out, "--overwrite"])
    check(one_error(r, 2, ["would overwrite the input"]) and digest("in.h5") == inp, f"-o {out} refused: {r.stderr}")
r = run(["generate", "-o", "in.h5", "--entities", "10", "--deals", "10"])
check(r.returncode == 4 and digest("in.h5") == inp, f"generate keeps an existing file: {r.stderr}")

# a missing folder
r = run(["run", "-c", "run.ini", "-o", "nowhere/out.h5"])
check(one_error(r, 4, ["nowhere/out.h5", "cannot create"]), f"missing folder: {r.stderr}")

# a read-only folder (as root, the run drops to user nobody: root ignores permissions)
os.makedirs("ro", exist_ok=True)
shutil.copy("old.h5", "ro/old.h5")
os.chmod("ro", 0o555)
os.chmod(".", 0o755)
as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
p = subprocess.run(as_user + [TB_.tb, "run", "-c", "run.ini", "-o", "ro/old.h5", "--overwrite"], capture_output=True,
                   text=True)
check(one_error(p, 4, ["ro/old.h5"]) and digest("ro/old.h5") == old and not leftovers("ro"),
      f"read-only folder: exit {p.returncode}: {p.stderr}")
os.chmod("ro", 0o755)

# a write that fails part way (as a full disk would): exit 4, the old output intact, no temporary left
for ranks, fault in ((1, "write:0:0"), (1, "write:0:25"), (2, "write:1:3"), (2, "write:0:40")):
    r = run(["run", "-c", "run.ini", "-o", "old.h5", "--overwrite"], ranks=ranks,
            env={"TB_FAULT": fault, "TB_ABORT_AFTER": "3"})
    check(r.returncode == 4 and r.stderr.count("tradebal: error:") == 1 and "TB_FAULT: injected" in r.stderr,
          f"{ranks} rank(s), {fault}: exit {r.returncode}: {r.stderr[-400:]}")
    check(digest("old.h5") == old and not leftovers(), f"{ranks} rank(s), {fault}: old output intact, no temporary")
r = run(["generate", "-o", "old.h5", "--entities", "50", "--deals", "100", "--overwrite"],
        env={"TB_FAULT": "write:0:2"})
check(r.returncode == 4 and digest("old.h5") == old and not leftovers(), f"generate's failed write: {r.stderr}")
r = run(["run", "-c", "run.ini", "-o", "old.h5", "--overwrite"])
check(r.returncode == 0 and os.path.exists("old.h5") and not leftovers(), f"--overwrite replaces it: {r.stderr}")
check.finish()
