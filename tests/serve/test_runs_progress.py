"""The run object's progress (issue 24, for the dashboard): a run of several seconds (a bigger input, 100 Monte Carlo
draws, progress = always) is followed through GET /v1/runs/{id} and GET /v1/runs; every answer validates against
docs/openapi.json (conftest), the deal pass's percent grows, its time left is a number, the stages announced without
numbers have none, and a queued or finished run has no progress. The parser itself is serve_progress_parser
(test_serve_progress.c) on fixed log text."""
import os
import time

import pytest

from conftest import generate
from runs_util import FINAL, runs_server, submit

# one thread: the deal pass of 200k deals in 20 batches with 100 draws' worlds takes about 8 s (bars every ~2 s
# and at its end; 40 draws took 5 s before a draw redrew a rate once per entity, now too few bars show)
PROGRESS = ("[backend]\nthreads = 1\n[assessment]\ndraws = 100\n[policy.t10]\nkind = tariff\nrate = 0.1\n"
            "[run]\nbatch_deals = 10000\nprogress = always\n")


@pytest.fixture(scope="module")
def server(data_root):
    s = runs_server(data_root).start()
    yield s
    s.stop()


def test_progress_grows_while_running(server, data_root):
    generate(os.path.join(data_root, "inputs", "big.h5"), entities=2000, deals=200000, seed=3, periods=12)
    run = submit(server, {"config": PROGRESS, "input": "inputs/big.h5"})
    assert run["progress"] is None  # queued
    rid, seen, listed, t0 = run["id"], [], [], time.monotonic()
    while run["state"] not in FINAL:
        assert time.monotonic() - t0 < 120, f"run {rid} still {run['state']}: {run}"
        run = server.get(f"/v1/runs/{rid}", token="read").json()
        if run["state"] == "running" and run["progress"]:
            seen.append(run["progress"])
            if len(listed) < 3:  # the list carries the same field
                runs = server.get("/v1/runs?state=running", token="read").json()["runs"]
                listed += [r["progress"] for r in runs if r["id"] == rid and r["progress"]]
        time.sleep(0.1)
    assert run["state"] == "done", run
    assert run["progress"] is None  # finished: nothing is read from the log
    assert listed, "GET /v1/runs showed no progress while the run ran"
    bars = [p for p in seen if p["stage"] == "deals"]
    percents = [p["percent"] for p in bars]
    assert len(set(percents)) >= 2 and percents == sorted(percents), f"the deal pass's percent: {percents}"
    for p in bars:
        assert p["line"].startswith("[deals] ") and 0 < p["done"] <= p["total"] == 200000, p
        assert p["eta_s"] is not None and (p["percent"] < 100 or p["eta_s"] == 0), p
        assert abs(p["percent"] - 100.0 * p["done"] / p["total"]) < 1, p
    for p in seen:
        if p["stage"] == "run":  # announcements: a stage without numbers
            assert p["done"] is None and p["percent"] is None and p["eta_s"] is None and p["line"].startswith("[run] ")
    assert not [p for p in seen if data_root in p["line"]], "a server path in a progress line"
