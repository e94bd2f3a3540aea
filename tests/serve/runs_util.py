"""Helpers of the runs tests (test_runs, test_reliability, test_slurm_runs): follow a run through the API,
run the same config with `tradebal run` on the command line, compare outputs bitwise (tests/support/tbcheck)."""
import os
import subprocess
import sys
import time

from conftest import ROOT, TB, Server, generate

sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from tbcheck import h5_differences  # noqa: E402

# One OpenMP thread per run: on a busy 2-core machine OpenMP's spinning threads make a run several times slower.
# A run of a fraction of a second on the small input: two policies, a budget, a few Monte Carlo draws.
QUICK = "[backend]\nthreads = 1\n[funding]\nbudget = 40\n[assessment]\ndraws = 3\n[policy.tariff10]\nkind = tariff\nrate = 0.1\nregions = all\n"
# a run of about a CPU second (slow_input) with a safe point every 2000 deals, to be stopped in the middle; its
# progress lines (stderr, unbuffered) say when it has started (STARTED: its signal handlers are in by then)
SLOW = "[backend]\nthreads = 1\n[assessment]\ndraws = 40\n[policy.t10]\nkind = tariff\nrate = 0.1\n[run]\nbatch_deals = 2000\nprogress = always\n"
STARTED = "[run] validating the input"
SWEEP = QUICK + "[sweep]\nmethod = lhs\nsamples = 4\nmarket.elasticity = 0.5:3\npolicy.tariff10.rate = 0:0.4\n"
FINAL = {"done", "failed", "checkpointed", "cancelled", "lost"}


def program(data_root):
    """The program the runs use ([runs] tradebal): this one, without leak checks under the sanitizer build (an
    MPI program's leak report is Open MPI's own; the server process itself keeps its checks)."""
    path = os.path.join(data_root, ".bin", "tradebal")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(f'#!/bin/sh\nASAN_OPTIONS="${{ASAN_OPTIONS:+$ASAN_OPTIONS:}}detect_leaks=0" exec "{TB}" "$@"\n')
        os.chmod(path, 0o755)
    return path


def runs_server(data_root, sets=(), name="server"):
    """A server whose runs use program()."""
    return Server(data_root, sets=[f"runs.tradebal={program(data_root)}", *sets], name=name)


def slow_input(data_root):
    path = os.path.join(data_root, "inputs", "slow.h5")
    if not os.path.exists(path):
        generate(path, entities=1000, deals=40000, seed=3, periods=12)
    return "inputs/slow.h5"


def submit(server, body, token="submit"):
    r = server.post("/v1/runs", body, token=token)
    assert r.status == 202, r
    run = r.json()
    assert r.headers["Location"] == f"/v1/runs/{run['id']}" and run["state"] == "queued"
    return run


def wait_state(server, rid, states, timeout=120):
    """Long-poll the run until its state is one of states; returns the run."""
    t0 = time.monotonic()
    run = server.get(f"/v1/runs/{rid}").json()
    while run["state"] not in states:
        assert time.monotonic() - t0 < timeout, f"run {rid} still {run['state']} after {timeout} s: {run}"
        run = server.get(f"/v1/runs/{rid}?wait=10&since={run['state']}").json()
    return run


def wait_log(server, rid, text, timeout=60):
    """Wait until the run's log holds text (e.g. the program's first line: its signal handlers are in)."""
    t0 = time.monotonic()
    while text not in server.get(f"/v1/runs/{rid}/log").text:
        assert time.monotonic() - t0 < timeout, f"run {rid}: no '{text}' in its log after {timeout} s"
        time.sleep(0.05)


def cli_run(data_root, config, input_rel, out, sets=None, ranks=1, extra=()):
    """The same run with `tradebal run` in the data root; returns (exit code, stderr)."""
    os.makedirs(os.path.join(data_root, ".cli"), exist_ok=True)
    cfg = os.path.join(data_root, ".cli", os.path.basename(out) + ".ini")
    with open(cfg, "w") as fh:
        fh.write(config)
    args = [TB, "run", "-c", cfg, "-o", out, "--overwrite", "--set", f"input.file={input_rel}"]
    for k, v in (sets or {}).items():
        args += ["--set", f"{k}={v}"]
    if ranks > 1:
        args = ["mpiexec", "-n", str(ranks), "--oversubscribe"] + args
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
    p = subprocess.run(args + list(extra), cwd=data_root, capture_output=True, text=True, env=env)
    return p.returncode, p.stderr


def same_output(a, b):
    diff = h5_differences(a, b)
    assert not diff, f"{a} and {b} differ in: {diff[:10]}"


def error_line(stderr):
    lines = [x for x in stderr.splitlines() if "error: " in x]
    return lines[-1].split("error: ", 1)[1] if lines else ""
