"""The job store survives the server (issue 23, point 7): SIGKILL the server in the middle of a run with more
runs queued behind it, restart it on the same state folder, and every run reaches its true state (the running
one done with the command line's output bitwise, the queued ones started only after the restart, in order,
a bad one failed with exit 3); a run that ends while no server watches is found done; a run whose processes
were killed with the server down is reported lost and resumes; one server per store; the store is WAL."""
import datetime
import os
import shutil
import signal
import sqlite3
import subprocess
import time

import h5py
import pytest

from conftest import TB
from runs_util import (FINAL, QUICK, SLOW, STARTED, cli_run, runs_server, same_output, slow_input, submit, wait_log,
                       wait_state)


@pytest.fixture(scope="module")
def expected(data_root):
    """The command line's outputs of the two configs the runs use."""
    slow = slow_input(data_root)
    out = {"slow": os.path.join(data_root, "cli-slow.h5"), "quick": os.path.join(data_root, "cli-quick.h5")}
    for name, cfg, inp in (("slow", SLOW, slow), ("quick", QUICK, "inputs/small.h5")):
        rc, err = cli_run(data_root, cfg, inp, out[name])
        assert rc == 0, err
    return out


def run_pid(server, rid):
    with open(os.path.join(server.dir, "state", "runs", str(rid), "pid")) as fh:
        return int(fh.read())


def epoch(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sigkill_mid_run_loses_nothing(data_root, expected):
    s = runs_server(data_root, sets=["runs.max_running=1"], name="kill").start()
    shutil.copy(os.path.join(data_root, "inputs", "small.h5"), os.path.join(data_root, "inputs", "bad.h5"))
    with h5py.File(os.path.join(data_root, "inputs", "bad.h5"), "r+") as f:
        f["/deals/comp_prob"][0] = -1
    a = submit(s, {"config": SLOW, "input": slow_input(data_root)})["id"]
    b = submit(s, {"config": QUICK, "input": "inputs/small.h5"})["id"]
    c = submit(s, {"config": QUICK, "input": "inputs/bad.h5"})["id"]
    d = submit(s, {"config": QUICK, "input": "inputs/small.h5"})["id"]
    wait_log(s, a, STARTED)
    pid = run_pid(s, a)
    assert s.stop(signal.SIGKILL) == -signal.SIGKILL
    killed = time.time()
    assert alive(pid), "the run died with the server"
    s.start()
    runs = {x: wait_state(s, x, FINAL) for x in (a, b, c, d)}
    s.stop()
    assert [runs[x]["state"] for x in (a, b, c, d)] == ["done", "done", "failed", "done"], runs
    assert all(r["attempts"] == 1 for r in runs.values()), runs  # nothing ran twice
    assert runs[c]["exit_code"] == 3 and "/deals/comp_prob" in runs[c]["message"]
    started = [epoch(runs[x]["started"]) for x in (b, c, d)]
    assert all(t >= killed for t in started), (killed, runs)  # queued at the kill, run after the restart
    assert runs[b]["started"] < runs[c]["started"] < runs[d]["started"]
    same_output(os.path.join(data_root, runs[a]["output"]), expected["slow"])
    same_output(os.path.join(data_root, runs[b]["output"]), expected["quick"])
    same_output(os.path.join(data_root, runs[d]["output"]), expected["quick"])


def test_run_that_ends_while_no_server_watches(data_root, expected):
    s = runs_server(data_root, name="down").start()
    a = submit(s, {"config": SLOW, "input": slow_input(data_root)})["id"]
    wait_log(s, a, STARTED)
    pid = run_pid(s, a)
    assert s.stop(signal.SIGTERM) == 0  # a clean stop leaves the runs going
    status = os.path.join(s.dir, "state", "runs", str(a), "status")
    t0 = time.monotonic()
    while not os.path.exists(status):
        assert time.monotonic() - t0 < 120, "the run never ended"
        time.sleep(0.1)
    assert not alive(pid)
    s.start()
    run = wait_state(s, a, FINAL, timeout=5)
    s.stop()
    assert run["state"] == "done" and run["exit_code"] == 0 and run["attempts"] == 1, run
    same_output(os.path.join(data_root, run["output"]), expected["slow"])


def test_run_killed_with_the_server_down_is_lost_and_resumes(data_root, expected):
    s = runs_server(data_root, name="lost").start()
    a = submit(s, {"config": SLOW, "input": slow_input(data_root)})["id"]
    wait_log(s, a, STARTED)
    pid = run_pid(s, a)
    with open(f"/proc/{pid}/stat") as fh:
        monitor = int(fh.read().rsplit(")", 1)[1].split()[1])
    s.stop(signal.SIGKILL)
    os.kill(monitor, signal.SIGKILL)  # the monitor first: it would write the run's end otherwise
    os.kill(pid, signal.SIGKILL)
    t0 = time.monotonic()
    while alive(pid) or alive(monitor):
        assert time.monotonic() - t0 < 10
        time.sleep(0.05)
    s.start()
    run = wait_state(s, a, FINAL, timeout=10)
    assert run["state"] == "lost" and run["exit_code"] is None and "without a status file" in run["message"], run
    assert s.post(f"/v1/runs/{a}/resume").status == 202
    run = wait_state(s, a, FINAL)
    s.stop()
    assert run["state"] == "done" and run["attempts"] == 2, run
    same_output(os.path.join(data_root, run["output"]), expected["slow"])


def test_one_server_per_store_and_wal(data_root):
    s = runs_server(data_root, name="one").start()
    try:
        submit(s, {"config": QUICK, "input": "inputs/small.h5"})
        args = [TB, "serve"]
        for kv in s.sets:
            args += ["--set", kv.replace(s.port_file, s.port_file + "2")]
        p = subprocess.run(args, capture_output=True, text=True, timeout=30)
        assert p.returncode == 2 and "in use by another tradebal serve" in p.stderr, p.stderr
        db = sqlite3.connect(os.path.join(s.dir, "state", "jobs.db"))
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
        db.close()
    finally:
        s.stop()
