#!/usr/bin/python3
"""Checkpoint and restart (README "Checkpoint and restart"). A run stopped at every kind of safe
point (a deal batch of pass 1 with its draws, a block of a policy's periods, deterministic or in a
draw, tariff or certificates, a policy, a draw's market, a batch of pass 2, a sweep scenario) exits 7 with no output and a checkpoint; `--resume auto` then writes datasets
byte for byte equal to the uninterrupted run's, at 1 and 4 ranks, after one stop or a chain of
them. Real SIGUSR1 and SIGTERM, and the walltime, stop it the same way. A checkpoint of another
config, input or rank count is refused; a damaged newest file falls back to the previous one.
A fault on one rank while the others are blocked in collective I/O ends the job with that
rank's message and exit code, within the abort delay, and no output file.
Usage: test_checkpoint.py TRADEBAL WORKDIR MPIEXEC [MPI FLAGS...]"""
import glob
import os
import signal
import subprocess
import sys
import time

import h5py

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks, Tradebal  # noqa: E402

TB_ = Tradebal(sys.argv)
cmd, run = TB_.cmd, TB_.run
check = Checks()
os.environ.pop("TB_STOP_AFTER_SAFE_POINTS", None)


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()].tobytes()) if isinstance(o, h5py.Dataset) else None)
    return out


def identical(a, b):
    da, db = datasets(a), datasets(b)
    return len(da) >= 8 and da == db


def clean(out):
    for p in glob.glob(out + "*"):
        subprocess.run(["rm", "-rf", p])


gen = run(["generate", "-o", "in.h5", "--entities", "3000", "--deals", "60000", "--regions", "4", "--periods", "6",
           "--sectors", "5", "--seed", "11", "--overwrite"])
check(gen.returncode == 0, f"generate: {gen.stderr}")
gen = run(["generate", "-o", "other.h5", "--entities", "3000", "--deals", "60000", "--regions", "4", "--periods", "6",
           "--sectors", "5", "--seed", "12", "--overwrite"])
TWO_POLICIES = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs", "two_policies.ini")).read()
CONFIG = """[input]
file = in.h5
[run]
batch_deals = 10000
progress = never
[checkpoint]
period_block = 3
[funding]
budget = 300
[assessment]
draws = 3
""" + TWO_POLICIES
open("run.ini", "w").write(CONFIG)
ref = run(["run", "-c", "run.ini", "-o", "ref.h5", "--overwrite"])
check(ref.returncode == 0, f"reference run: {ref.stderr}")

# 6 batches a pass, 3 policies (none, tariff10, certs) of 6 periods in blocks of 3, 3 draws: safe points
# 1-6 pass 1; 7-12 the policies, each after its period 3 and at its end; 13-24 the draws, each after period 3
# of its three policies and at its end; 25-30 pass 2
KINDS = {2: "batch 2 of 6 of deal pass 1", 6: "batch 6 of 6 of deal pass 1", 7: "after period 3 of 6 of policy none",
         10: "after policy tariff10", 11: "after period 3 of 6 of policy certs",
         18: "after period 3 of 6 of policy tariff10 in draw 2 of 3", 20: "market of draw 2 of 3",
         23: "after period 3 of 6 of policy certs in draw 3 of 3", 26: "batch 2 of 6 of deal pass 2",
         30: "batch 6 of 6 of deal pass 2"}
for n, where in KINDS.items():
    clean("r.h5")
    s = run(["run", "-c", "run.ini", "-o", "r.h5"], env={"TB_STOP_AFTER_SAFE_POINTS": str(n)})
    check(s.returncode == 7, f"stop at safe point {n}: exit {s.returncode}: {s.stderr}")
    check(where in s.stderr and "--resume auto" in s.stderr and s.stderr.count("error:") == 1,
          f"stop at {n} names '{where}' once: {s.stderr}")
    check(not glob.glob("r.h5") and not glob.glob("r.h5.tmp*"), f"stop at {n} leaves no output")
    check(os.path.exists("r.h5.ckpt/rank-000000.ckpt"), f"stop at {n} leaves its checkpoint")
    r = run(["run", "-c", "run.ini", "-o", "r.h5", "--resume", "auto"])
    check(r.returncode == 0 and "resuming from checkpoint 1" in r.stderr, f"resume after {n}: {r.stderr}")
    check(r.returncode == 0 and identical("ref.h5", "r.h5"), f"resumed after safe point {n} equals the reference")
    check(not os.path.exists("r.h5.ckpt"), f"a finished run removes its checkpoint ({n})")

# a chain: stopped, resumed and stopped again (the previous generation kept), then finished; the second and
# third stops are inside policy runs (safe points 11 and 19), so a run resumed inside one stops inside another
clean("r.h5")
run(["run", "-c", "run.ini", "-o", "r.h5"], env={"TB_STOP_AFTER_SAFE_POINTS": "4"})
s = run(["run", "-c", "run.ini", "-o", "r.h5", "--resume", "auto"], env={"TB_STOP_AFTER_SAFE_POINTS": "7"})
check(s.returncode == 7 and "checkpoint 2" in s.stderr and "period 3 of 6 of policy certs" in s.stderr,
      f"second stop writes generation 2: {s.stderr}")
check(os.path.exists("r.h5.ckpt/rank-000000.ckpt.prev"), "the previous checkpoint is kept")
s = run(["run", "-c", "run.ini", "-o", "r.h5", "--resume", "auto"], env={"TB_STOP_AFTER_SAFE_POINTS": "8"})
check(s.returncode == 7 and "checkpoint 3" in s.stderr and "policy certs in draw 2 of 3" in s.stderr,
      f"third stop: {s.stderr}")
# the newest file damaged: the previous generation is used, with a warning
with open("r.h5.ckpt/rank-000000.ckpt", "r+b") as f:
    f.seek(-100, 2)
    b = f.read(1)
    f.seek(-100, 2)
    f.write(bytes([b[0] ^ 0xFF]))
r = run(["run", "-c", "run.ini", "-o", "r.h5", "--resume", "auto"])
check(r.returncode == 0 and "damaged checkpoint" in r.stderr and "resuming from checkpoint 2" in r.stderr,
      f"damaged newest falls back to the previous: {r.stderr}")
check(r.returncode == 0 and identical("ref.h5", "r.h5"), "a chain of three stops ends equal to the reference")

# another run's checkpoint is refused; the rank count must match
clean("r.h5")
run(["run", "-c", "run.ini", "-o", "r.h5"], env={"TB_STOP_AFTER_SAFE_POINTS": "3"})
for args, words in ((["--set", "market.elasticity=1.4"], "another configuration"),
                    (["--set", "input.file=other.h5"], "another input"),
                    (["--set", "run.batch_deals=5000"], "another configuration")):
    r = run(["run", "-c", "run.ini", "-o", "r.h5", "--resume", "auto", *args])
    check(r.returncode == 2 and words in r.stderr and not os.path.exists("r.h5"), f"{args} refused: {r.stderr}")
r = run(["run", "-c", "run.ini", "-o", "r.h5", "--resume", "auto"], ranks=2)
check(r.returncode == 2 and "written by 1 ranks" in r.stderr, f"2 ranks refuse a 1-rank checkpoint: {r.stderr}")
r = run(["run", "-c", "run.ini", "-o", "r.h5", "--resume", "auto", "--set", "backend.threads=2",
         "--set", "checkpoint.every=0"])
check(r.returncode == 0 and identical("ref.h5", "r.h5"), "threads and checkpoint settings may change on resume")
r = run(["run", "-c", "run.ini", "-o", "fresh.h5", "--resume", "auto", "--overwrite"])
check(r.returncode == 0 and "no checkpoint" in r.stderr, "--resume auto without a checkpoint starts afresh")

# 4 ranks (2 batches a pass): stopped in each pass and inside policy runs, deterministic (7: certs) and in a
# draw (15: certs in draw 2), resumed, equal to the 1-rank reference (MODEL.md section 10)
for n in (2, 7, 15, 21):
    clean("r4.h5")
    s = run(["run", "-c", "run.ini", "-o", "r4.h5"], ranks=4, env={"TB_STOP_AFTER_SAFE_POINTS": str(n)})
    check(s.returncode == 7 and len(glob.glob("r4.h5.ckpt/rank-*.ckpt")) == 4, f"4 ranks stop at {n}: {s.stderr}")
    r = run(["run", "-c", "run.ini", "-o", "r4.h5", "--resume", "auto"], ranks=4)
    check(r.returncode == 0 and identical("ref.h5", "r4.h5"), f"4 ranks resumed after {n} equal 1 rank: {r.stderr}")

# every period a safe point (the default block of 1): stopped after period 4 of tariff10, then resumed with
# blocks of 3 (the block size may change between runs; the run continues from any period)
clean("r.h5")
s = run(["run", "-c", "run.ini", "-o", "r.h5", "--set", "checkpoint.period_block=1"],
        env={"TB_STOP_AFTER_SAFE_POINTS": "16"})
check(s.returncode == 7 and "after period 4 of 6 of policy tariff10" in s.stderr, f"default blocks: {s.stderr}")
r = run(["run", "-c", "run.ini", "-o", "r.h5", "--resume", "auto"])
check(r.returncode == 0 and identical("ref.h5", "r.h5"), f"resumed after period 4 equals the reference: {r.stderr}")

# real signals and the walltime (batches of 2000 deals: the run lasts long enough to be hit)
for sig in (signal.SIGUSR1, signal.SIGTERM):
    clean("s.h5")
    p = subprocess.Popen(cmd(["run", "-c", "run.ini", "-o", "s.h5", "--set", "run.batch_deals=2000",
                              "--set", "run.progress=always"]), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    first = p.stderr.readline()  # the handlers are in place once the run talks
    p.send_signal(sig)
    err = first + p.stderr.read()
    p.wait()
    check(p.returncode == 7 and f"stopped by {sig.name}" in err, f"{sig.name}: exit {p.returncode}: {err[-300:]}")
    r = run(["run", "-c", "run.ini", "-o", "s.h5", "--set", "run.batch_deals=2000", "--resume", "auto"])
    check(r.returncode == 0 and identical("ref.h5", "s.h5"), f"resumed after {sig.name} equals the reference")
clean("w.h5")
w = run(["run", "-c", "run.ini", "-o", "w.h5", "--set", "run.batch_deals=2000", "--set", "checkpoint.walltime=0.1"])
check(w.returncode == 7 and "walltime" in w.stderr and not os.path.exists("w.h5"), f"walltime stop: {w.stderr}")
r = run(["run", "-c", "run.ini", "-o", "w.h5", "--set", "run.batch_deals=2000", "--resume", "auto"])
check(r.returncode == 0 and identical("ref.h5", "w.h5"), "resumed after the walltime equals the reference")
for text, secs in (("90", 90), ("1:30", 90), ("1:02:03", 3723), ("2-01:00:00", 176400), ("1-2", 93600)):
    r = run(["run", "-c", "run.ini", "-o", "x.h5", "--overwrite", "--walltime", text, "--set", "input.file=none.h5"])
    check(f"walltime = {secs}\n" in r.stdout, f"--walltime {text} is {secs} s: {r.stdout[-200:]}")
bad = run(["run", "-c", "run.ini", "-o", "x.h5", "--walltime", "1:xx"])
check(bad.returncode == 2 and "--walltime" in bad.stderr, f"a bad walltime is a usage error: {bad.stderr}")

# a sweep: one safe point per scenario, in 1 and in 4 scenario groups
open("sweep.ini", "w").write(CONFIG + "[sweep]\nmethod = lhs\nsamples = 8\nmarket.elasticity = 1:2\n"
                             "policy.tariff10.rate = 0.05:0.2\n")
sref = run(["run", "-c", "sweep.ini", "-o", "sweep_ref.h5", "--overwrite"])
check(sref.returncode == 0, f"sweep reference: {sref.stderr}")
for ranks, n, done in ((1, 3, 3), (4, 1, 4)):
    clean("sw.h5")
    s = run(["run", "-c", "sweep.ini", "-o", "sw.h5"], ranks=ranks, env={"TB_STOP_AFTER_SAFE_POINTS": str(n)})
    check(s.returncode == 7 and f"{done} of 8 scenarios done" in s.stderr and s.stderr.count("error:") == 1,
          f"sweep on {ranks} rank(s) stops with {done} done: {s.stderr}")
    r = run(["run", "-c", "sweep.ini", "-o", "sw.h5", "--resume", "auto"], ranks=ranks)
    check(r.returncode == 0 and identical("sweep_ref.h5", "sw.h5") if r.returncode == 0 else False,
          f"resumed sweep on {ranks} rank(s) equals the reference: {r.stderr}")

# a fault on rank 2 while ranks 0, 1 and 3 go on into collective I/O: no hang, one message
clean("f.h5")
t = time.time()
f = subprocess.run(cmd(["run", "-c", "run.ini", "-o", "f.h5"], 4), capture_output=True, text=True, timeout=120,
                   env={**os.environ, "TB_FAULT": "batch:2:1", "TB_ABORT_AFTER": "3"})
took = time.time() - t
check(f.returncode == 3, f"a fault on one rank exits with its code 3, got {f.returncode}: {f.stderr}")
check(f.stderr.count("tradebal: error:") == 1 and "injected fault" in f.stderr, f"one message: {f.stderr}")
check(took < 60, f"the job ends promptly ({took:.1f} s)")
check(not glob.glob("f.h5*"), f"no partial output after the abort: {glob.glob('f.h5*')}")
check.finish()
