#!/usr/bin/python3
"""The hostile-input corpus (tests/corpus/make_corpus.py, issue 8): every bad file makes `tradebal validate`
and `tradebal run` exit 3 with one line naming the file, the dataset and the rule, within 10 s, with a peak
memory no larger than a valid file's plus 64 MB (nothing sized by unvalidated dimensions), and `run` leaves
no output file. A byte flip that HDF5 and the rules cannot see must then change nothing: the run's datasets
equal the unflipped file's. The valid controls (the base file, a copy stored big-endian and compressed) pass.
Usage: test_corpus.py TRADEBAL WORKDIR MPIEXEC [MPI FLAGS...]"""
import json
import os
import subprocess
import sys
import time


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks, Tradebal, h5_snapshot  # noqa: E402

TB_ = Tradebal(sys.argv)
check = Checks()
HERE = os.path.dirname(os.path.abspath(__file__))
TIME_LIMIT, SLACK_KB = 10.0, 64 * 1024


def measured(args, ranks=1):
    """(returncode, stderr, seconds, peak RSS in KB of the process) of one tradebal command."""
    t = time.time()
    p = subprocess.Popen(TB_.cmd(args, ranks), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, err, time.time() - t, usage.ru_maxrss


g = TB_.run(["generate", "-o", "base.h5", "--entities", "300", "--deals", "2000", "--regions", "4", "--periods", "3",
             "--sectors", "6", "--seed", "7", "--overwrite"])
check(g.returncode == 0, f"generate: {g.stderr}")
mk = subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py"), "base.h5", "corpus"],
                    capture_output=True, text=True)
check(mk.returncode == 0, f"make_corpus.py: {mk.stderr}")
cases = json.load(open("corpus/cases.json"))
open("run.ini", "w").write("[run]\nprogress = never\n")

rc, err, secs, base_kb = measured(["validate", "base.h5"])
check(rc == 0, f"the base file validates: {err}")
rc, err, secs, run_kb = measured(["run", "-c", "run.ini", "--set", "input.file=base.h5", "-o", "base_out.h5",
                                  "--overwrite"])
check(rc == 0, f"the base file runs: {err}")
reference = h5_snapshot("base_out.h5")  # every dataset and attribute below the root

invalid = flips_seen = 0
for c in cases:
    f = c.get("abs") or os.path.join("corpus", c["file"])
    name, out = c["file"], "out_" + c["file"]
    for verb, limit_kb in (("validate", base_kb), ("run", run_kb)):
        if os.path.exists(out):
            os.remove(out)
        args = ["validate", f] if verb == "validate" else ["run", "-c", "run.ini", "--set", f"input.file={f}", "-o", out]
        rc, err, secs, kb = measured(args)
        # an ASan build (tests/run_all.sh) warns where HDF5's absurd malloc gets NULL, as production would
        lines = [l for l in err.strip().splitlines() if "WARNING: AddressSanitizer failed to allocate" not in l]
        check(secs < TIME_LIMIT, f"{verb} {name} took {secs:.1f} s")
        check(kb < limit_kb + SLACK_KB, f"{verb} {name} peaked at {kb} KB against {limit_kb} KB for a valid file")
        flip = name.startswith("flip_")
        if c["valid"] or (flip and rc == 0):
            check(rc == 0, f"{verb} {name} is valid: exit {rc}: {err}")
            if verb == "run" and rc == 0:
                check(h5_snapshot(out) == reference, f"{name}: a valid copy or a flip that passes changes no result")
                flips_seen += flip
            continue
        invalid += verb == "validate"
        check(rc == 3, f"{verb} {name}: exit {rc}, expected 3: {err[-300:]}")
        check(len(lines) == 1 and lines[0].startswith(f"tradebal: error: {f}: "),
              f"{verb} {name}: one line naming the file: {err[-400:]}")
        for w in c["words"]:
            check(w in err, f"{verb} {name}: the message names '{w}': {err[-300:]}")
        if verb == "run":
            check(not os.path.exists(out) and not [p for p in os.listdir(".") if p.startswith(out + ".")],
                  f"run {name} leaves no output")
check(invalid >= 55, f"at least 55 invalid files tried, {invalid} were")

# at 2 ranks: the same verdict, one message
for name in ("absurd_deals.h5", "external_link.h5", "flip_header_0.h5", "duplicate_party.h5"):
    rc, err, secs, kb = measured(["validate", os.path.join("corpus", name)], ranks=2)
    check(rc == 3 and err.count("tradebal: error:") == 1, f"2 ranks: {name}: exit {rc}: {err[-300:]}")
print(f"{len(cases)} files, {invalid} invalid, {flips_seen} flips that change nothing")
check.finish()
