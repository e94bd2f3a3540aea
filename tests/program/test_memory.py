#!/usr/bin/python3
"""Memory planning (issue 8, README "Memory"): before anything sized by the input is allocated, the run estimates
its memory per rank and refuses, with exit 8, the numbers and a way out (more ranks, fewer draws, smaller batches),
when that is over run.memory_limit; the refusal comes before the allocation (its peak memory stays near a small
run's). The estimate is checked against the measured peak RSS: the total within 10% (issue 25), and what 60 draws
add within -30%..+50% of what they really add. Where only spilling fits (run.spill = auto), the draw tables and direct
values go to unlinked scratch files: the run fits under the limit, its output equals the in-memory run's bitwise, and
no scratch file is left, whether the run ends well or with an error.
Usage: test_memory.py TRADEBAL WORKDIR MPIEXEC [MPI FLAGS...]"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks, Tradebal, h5_differences  # noqa: E402

TB_ = Tradebal(sys.argv)
check = Checks()
GIB_KB = 1024 * 1024


def measured(args, ranks=1):
    p = subprocess.Popen(TB_.cmd(args, ranks), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    return os.waitstatus_to_exitcode(status), err, usage.ru_maxrss


g = TB_.run(["generate", "-o", "in.h5", "--entities", "20000", "--deals", "200000", "--regions", "6", "--periods",
             "8", "--sectors", "8", "--seed", "4", "--overwrite"])
check(g.returncode == 0, f"generate: {g.stderr}")
open("run.ini", "w").write("[input]\nfile = in.h5\n[run]\nprogress = always\nbatch_deals = 50000\n"
                           "[checkpoint]\nevery = 0\n[policy.t]\nkind = tariff\nrate = 0.1\n")
est, peak = {}, {}
for draws in (0, 60):
    rc, err, kb = measured(["run", "-c", "run.ini", "-o", f"out{draws}.h5", "--overwrite",
                            "--set", f"assessment.draws={draws}"])
    m = re.search(r"memory: about ([0-9.]+) GB per rank of ([0-9.]+) GB allowed", err)
    check(rc == 0 and m is not None, f"draws={draws}: exit {rc}, the estimate printed: {err[-300:]}")
    if m:
        est[draws], peak[draws] = float(m.group(1)) * GIB_KB, kb
        ratio = est[draws] / kb
        check(0.9 <= ratio <= 1.1, f"draws={draws}: estimate {est[draws]:.0f} KB against a peak of {kb} KB")
if len(est) == 2:
    ratio = (est[60] - est[0]) / (peak[60] - peak[0])
    check(0.7 <= ratio <= 1.5, f"60 draws: estimated +{est[60] - est[0]:.0f} KB, measured +{peak[60] - peak[0]} KB")

# only spilling fits: the tables go to scratch files (unlinked at once), the output is the same bits
os.makedirs("scratch", exist_ok=True)
if len(est) == 2:
    limit_gb = (est[0] + 0.5 * (est[60] - est[0])) / GIB_KB  # between the spilled and the in-memory estimate
    args = ["run", "-c", "run.ini", "-o", "spilled.h5", "--overwrite", "--set", "assessment.draws=60",
            "--set", f"run.memory_limit={limit_gb:.4f}", "--set", "run.scratch_dir=scratch"]
    rc, err, kb = measured(args)
    check(rc == 0 and "[run] spilling the draw tables and direct values" in err,
          f"auto spills where only spilling fits: exit {rc}: {err[-400:]}")
    check(kb < limit_gb * GIB_KB, f"the spilled run stays under its limit: peak {kb} KB, limit {limit_gb:.3f} GB")
    diff = h5_differences("out60.h5", "spilled.h5")
    check(not diff, f"the spilled output equals the in-memory one bitwise: {diff[:5]}")
    check(os.listdir("scratch") == [], f"no scratch file left: {os.listdir('scratch')}")
    r = subprocess.run(TB_.cmd(args + ["--set", "run.spill=always", "-o", "failed.h5"]), capture_output=True, text=True,
                       env={**os.environ, "TB_FAULT": "batch:0:2"})
    check(r.returncode == 3 and os.listdir("scratch") == [] and not os.path.exists("failed.h5"),
          f"a run failing mid-way leaves no scratch file and no output: exit {r.returncode}, {os.listdir('scratch')}")
    r = subprocess.run(TB_.cmd(["run", "-c", "run.ini", "-o", "x.h5", "--overwrite", "--set", "run.spill=always",
                                "--set", "run.scratch_dir=no/such/folder"]), capture_output=True, text=True)
    check(r.returncode == 4 and r.stderr.count("tradebal: error:") == 1 and "no/such/folder" in r.stderr,
          f"an unusable scratch folder is one line, exit 4: {r.returncode} {r.stderr[-300:]}")

# over the limit: refused before allocating, with the numbers and a way out
rc, err, kb = measured(["run", "-c", "run.ini", "-o", "big.h5", "--overwrite", "--set", "assessment.draws=3000",
                        "--set", "run.memory_limit=1.5", "--set", "run.spill=never"])
lines = err.strip().splitlines()
check(rc == 8 and lines and lines[-1].startswith("tradebal: error: in.h5: the run needs about"),
      f"refused with exit 8: {rc}: {err[-500:]}")
check("draw tables" in err and "run.memory_limit = 1.5 GB" in err and "more ranks (about" in err and
      "fewer assessment.draws (3000" in err, f"the message gives the parts, the limit and a way out: {err[-500:]}")
check(peak and kb < peak[0] + 64 * 1024, f"the refusal allocates nothing large: peak {kb} KB")
check(not os.path.exists("big.h5"), "no output after the refusal")
rc, err, kb = measured(["run", "-c", "run.ini", "-o", "b2.h5", "--overwrite", "--set", "run.batch_deals=1000000",
                        "--set", "run.memory_limit=0.33", "--set", "run.spill=never"])
check(rc == 8 and "run.batch_deals = " in err, f"a large batch over the limit suggests a batch size: {err[-400:]}")
# at 2 ranks each holds half the deals: the same draws fit where 1 rank did not
rc1, err1, _ = measured(["run", "-c", "run.ini", "-o", "r1.h5", "--overwrite", "--set", "assessment.draws=400",
                         "--set", "run.memory_limit=1.2", "--set", "run.spill=never"])
rc2, err2, _ = measured(["run", "-c", "run.ini", "-o", "r2.h5", "--overwrite", "--set", "assessment.draws=400",
                         "--set", "run.memory_limit=1.2", "--set", "run.progress=never", "--set", "run.spill=never"],
                        ranks=2)
check(rc1 == 8 and "more ranks (about 2)" in err1, f"1 rank over 1.2 GB, 2 ranks suggested: {err1[-400:]}")
check(rc2 == 0, f"2 ranks fit: {err2[-400:]}")
check.finish()
