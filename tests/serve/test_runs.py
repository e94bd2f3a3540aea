"""Runs and sweeps through the API with the local executor (issue 23, point 3): a run's output is bitwise the
one `tradebal run` writes on the command line for the same config, input and overrides (at 1 and 2 ranks);
a sweep's too; a failing run reports the program's own error line and exit code; submissions are checked
before anything is queued; cancel stops a run at a safe point (exit 7, checkpoint kept) and resume completes
it to the uninterrupted result; runs wait their turn ([runs] max_running) in submission order; ?wait= long
polls answer within a second of a change and otherwise after the wait; list, log, files and metrics."""
import datetime
import os
import shutil
import time

import h5py
import pytest

from runs_util import (FINAL, QUICK, SLOW, STARTED, SWEEP, cli_run, error_line, runs_server, same_output,
                       slow_input, submit, wait_log, wait_state)


@pytest.fixture(scope="module")
def server(data_root):
    s = runs_server(data_root, sets=["runs.max_running=1"]).start()
    yield s
    s.stop()


def test_run_equals_the_command_line(server, data_root):
    sets = {"market.elasticity": 2, "split.rule": "egalitarian"}
    run = submit(server, {"config": QUICK, "input": "inputs/small.h5", "set": sets})
    assert run["kind"] == "run" and run["output"] == f"runs/{run['id']}/output.h5"
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "done" and run["exit_code"] == 0 and run["attempts"] == 1, run
    assert run["set"] == {"market.elasticity": "2", "split.rule": "egalitarian"}
    out = os.path.join(data_root, run["output"])
    rc, err = cli_run(data_root, QUICK, "inputs/small.h5", os.path.join(data_root, "cli-quick.h5"), sets)
    assert rc == 0, err
    same_output(out, os.path.join(data_root, "cli-quick.h5"))
    with h5py.File(out, "r") as f:  # the overrides reached the program
        config = f.attrs["config"]
        config = config.decode() if isinstance(config, bytes) else config
        assert "elasticity = 2" in config and "rule = egalitarian" in config
    files = server.get(f"/v1/runs/{run['id']}/files", token="read").json()["files"]
    assert files == [{"name": "output.h5", "path": run["output"], "size": os.path.getsize(out), "kind": "output"}]
    r = server.get(f"/v1/runs/{run['id']}/files/output.h5", token="read")
    assert r.status == 200 and r.headers["Content-Type"] == "application/x-hdf5"
    with open(out, "rb") as fh:
        assert r.body == fh.read()
    assert "tradebal run: 2000 deals" in server.get(f"/v1/runs/{run['id']}/log", token="read").text


def test_two_ranks_equal_one(server, data_root):
    run = wait_state(server, submit(server, {"config": QUICK, "input": "inputs/small.h5", "ranks": 2})["id"], FINAL)
    assert run["state"] == "done" and run["ranks"] == 2, run
    rc, err = cli_run(data_root, QUICK, "inputs/small.h5", os.path.join(data_root, "cli-1rank.h5"))
    assert rc == 0, err
    same_output(os.path.join(data_root, run["output"]), os.path.join(data_root, "cli-1rank.h5"))
    with h5py.File(os.path.join(data_root, run["output"]), "r") as f:
        assert f.attrs["ranks"] == 2


def test_sweep_equals_the_command_line(server, data_root):
    os.makedirs(os.path.join(data_root, "results"), exist_ok=True)
    run = submit(server, {"config": SWEEP, "input": "inputs/small.h5", "output": "results/sweep.h5", "kind": "sweep"})
    assert run["kind"] == "sweep"
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "done", run
    rc, err = cli_run(data_root, SWEEP, "inputs/small.h5", os.path.join(data_root, "cli-sweep.h5"))
    assert rc == 0, err
    same_output(os.path.join(data_root, "results", "sweep.h5"), os.path.join(data_root, "cli-sweep.h5"))
    with h5py.File(os.path.join(data_root, "results", "sweep.h5"), "r") as f:
        assert f["/scenarios/metrics"].shape[0] == 4


def test_report_beside_the_output(server, data_root):
    os.makedirs(os.path.join(data_root, "results"), exist_ok=True)
    run = submit(server, {"config": QUICK, "input": "inputs/small.h5", "output": "results/rep.h5", "report": True})
    assert run["report"] == "results/rep.report/index.html"
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "done" and run["message"] is None, run
    names = {f["name"]: f for f in server.get(f"/v1/runs/{run['id']}/files").json()["files"]}
    assert names["rep.h5"]["kind"] == "output" and names["index.html"]["kind"] == "report"
    pngs = sorted(n for n in names if n.endswith(".png"))
    assert pngs == sorted(n for n in os.listdir(os.path.join(data_root, "results", "rep.report")) if n.endswith(".png"))
    page = server.get(f"/v1/runs/{run['id']}/files/index.html")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html") and b"<html" in page.body.lower()
    fig = server.get(f"/v1/runs/{run['id']}/files/{pngs[0]}")
    assert fig.status == 200 and fig.body[:8] == b"\x89PNG\r\n\x1a\n"
    assert server.get(f"/v1/runs/{run['id']}/files/nothing.png").status == 404
    assert server.get(f"/v1/runs/{run['id']}/files/..").status == 404


def test_failed_run_gives_the_programs_error(server, data_root):
    shutil.copy(os.path.join(data_root, "inputs", "small.h5"), os.path.join(data_root, "inputs", "bad.h5"))
    with h5py.File(os.path.join(data_root, "inputs", "bad.h5"), "r+") as f:
        f["/deals/comp_prob"][5] = 1.5
    run = wait_state(server, submit(server, {"config": QUICK, "input": "inputs/bad.h5"})["id"], FINAL)
    rc, err = cli_run(data_root, QUICK, "inputs/bad.h5", os.path.join(data_root, "cli-bad.h5"))
    assert rc == 3
    assert run["state"] == "failed" and run["exit_code"] == 3, run
    assert run["message"] == error_line(err) and "/deals/comp_prob" in run["message"], (run["message"], err)
    assert data_root not in run["message"]
    for path in ("summary", "files", "files/output.h5"):
        r = server.get(f"/v1/runs/{run['id']}/{path}")
        assert r.status == 409 and r.json()["type"] == "/problems/no-output"


def test_submissions_are_checked_first(server, data_root):
    before = len(server.get("/v1/runs?limit=1000").json()["runs"])
    with open(os.path.join(data_root, "inputs", "exists.h5"), "w"):
        pass
    cases = [  # body, status, problem type, a word of the detail
        ({"input": "inputs/small.h5"}, 400, "missing-field", "config"),
        ({"config": QUICK}, 400, "missing-field", "input"),
        ({"config": QUICK, "input": "inputs/small.h5", "colour": "red"}, 400, "bad-field", "colour"),
        ({"config": QUICK, "input": "inputs/small.h5", "set": {"market.elasticity": [1]}}, 400, "bad-field", "elasticity"),
        ({"config": QUICK, "input": "inputs/small.h5", "ranks": 0}, 400, "bad-field", "ranks"),
        ({"config": QUICK, "input": "../small.h5"}, 403, "outside-data-root", "input"),
        ({"config": QUICK, "input": "/etc/passwd"}, 403, "outside-data-root", "input"),
        ({"config": "[input]\nfile = /etc/hosts\n" + QUICK}, 403, "outside-data-root", "input"),
        ({"config": QUICK, "input": "inputs/small.h5", "output": "../x.h5"}, 403, "outside-data-root", "output"),
        ({"config": QUICK, "input": "inputs/small.h5", "set": {"checkpoint.dir": "/tmp"}}, 403, "outside-data-root",
         "checkpoint.dir"),
        ({"config": QUICK, "input": "inputs/small.h5", "output": ".server/state/jobs.db", "overwrite": True}, 403,
         "outside-data-root", "state folder"),
        ({"config": QUICK, "input": "inputs/none.h5"}, 404, "not-found", "none.h5"),
        ({"config": QUICK, "input": "inputs/small.h5", "output": "nofolder/x.h5"}, 404, "not-found", "output"),
        ({"config": QUICK, "input": "inputs/small.h5", "output": "inputs/exists.h5"}, 409, "exists", "overwrite"),
        ({"config": QUICK, "input": "inputs/small.h5", "output": "inputs/small.h5", "overwrite": True}, 409, "exists",
         "input"),
        ({"config": "[market]\nelasticity = 2\ncolour = red\n", "input": "inputs/small.h5"}, 422, "bad-config",
         "config:3: unknown key [market] colour"),
        ({"config": QUICK, "input": "inputs/small.h5", "set": {"market.elasticity": "fast"}}, 422, "bad-config",
         "elasticity"),
        ({"config": QUICK, "input": "inputs/small.h5", "kind": "sweep"}, 422, "kind-mismatch", "no [sweep]"),
        ({"config": SWEEP, "input": "inputs/small.h5", "kind": "run"}, 422, "kind-mismatch", "[sweep]"),
        ({"config": SWEEP, "input": "inputs/small.h5", "shards": 2}, 422, "bad-shards", "slurm"),
        ({"config": "[assessment]\ndraws = 1\n", "input": "inputs/small.h5"}, 422, "bad-config", "draws"),
    ]
    for body, status, kind, word in cases:
        r = server.post("/v1/runs", body)
        p = r.json()
        assert (r.status, p["type"]) == (status, f"/problems/{kind}"), (body, p)
        assert word in p["detail"], (body, p)
        assert data_root not in p["detail"] and "/.server" not in p["detail"], p
    assert server.post("/v1/runs", {"config": QUICK, "input": "inputs/small.h5"}, token="read").status == 403
    assert server.post("/v1/runs", {"config": QUICK, "input": "inputs/small.h5"}, token=None).status == 401
    assert len(server.get("/v1/runs?limit=1000").json()["runs"]) == before  # nothing was queued
    assert not os.listdir(os.path.join(server.dir, "state", "tmp"))  # nor left behind


def test_cancel_at_a_safe_point_then_resume(server, data_root):
    slow = slow_input(data_root)
    run = submit(server, {"config": SLOW, "input": slow})
    wait_log(server, run["id"], STARTED)
    r = server.post(f"/v1/runs/{run['id']}/cancel")
    assert r.status == 202 and r.json()["cancel_requested"], r
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "cancelled" and run["exit_code"] == 7, run
    assert "through the API" in run["message"] and "checkpoint" in run["message"]
    assert os.path.exists(os.path.join(data_root, run["output"] + ".ckpt"))
    assert not os.path.exists(os.path.join(data_root, run["output"]))
    assert server.post(f"/v1/runs/{run['id']}/cancel").status == 409
    assert server.get(f"/v1/runs/{run['id']}/summary").status == 409
    r = server.post(f"/v1/runs/{run['id']}/resume", token="read")
    assert r.status == 403
    r = server.post(f"/v1/runs/{run['id']}/resume")
    assert r.status == 202 and r.json()["state"] == "queued" and r.json()["exit_code"] is None
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "done" and run["attempts"] == 2 and not run["cancel_requested"], run
    assert "resuming from checkpoint" in server.get(f"/v1/runs/{run['id']}/log").text
    assert server.post(f"/v1/runs/{run['id']}/resume").status == 409
    rc, err = cli_run(data_root, SLOW, slow, os.path.join(data_root, "cli-slow.h5"))
    assert rc == 0, err
    same_output(os.path.join(data_root, run["output"]), os.path.join(data_root, "cli-slow.h5"))


def test_cancel_under_mpiexec(server, data_root):
    """mpiexec forwards SIGUSR1 (not SIGTERM) to its ranks: they stop together with exit 7."""
    run = submit(server, {"config": SLOW, "input": slow_input(data_root), "ranks": 2})
    wait_log(server, run["id"], STARTED)
    assert server.post(f"/v1/runs/{run['id']}/cancel").status == 202
    run = wait_state(server, run["id"], FINAL)
    assert run["state"] == "cancelled" and run["exit_code"] == 7 and "SIGUSR1" in run["message"], run


def test_queue_in_submission_order(server, data_root):
    ids = [submit(server, {"config": QUICK, "input": "inputs/small.h5"})["id"] for _ in range(3)]
    extra = submit(server, {"config": QUICK, "input": "inputs/small.h5"})
    r = server.post(f"/v1/runs/{extra['id']}/cancel")  # still queued behind the others: cancelled at once
    assert r.status == 200 and r.json()["state"] == "cancelled" and r.json()["attempts"] == 0, r
    runs = [wait_state(server, i, FINAL) for i in ids]
    assert all(x["state"] == "done" for x in runs), runs
    for a, b in zip(runs, runs[1:]):  # max_running = 1: each starts after the one before it finished
        assert a["started"] < b["started"] and a["finished"] <= b["started"], (a, b)
    assert server.get(f"/v1/runs/{extra['id']}").json()["state"] == "cancelled"


def test_long_poll_answers_on_change(server):
    run = submit(server, {"config": QUICK, "input": "inputs/small.h5"})
    seen = []
    while True:
        t0 = time.monotonic()
        before = server.get(f"/v1/runs/{run['id']}").json()["state"]
        r = server.get(f"/v1/runs/{run['id']}?wait=30").json()
        took, returned = time.monotonic() - t0, time.time()
        seen.append(r["state"])
        if r["state"] in FINAL:
            break
        assert took < 29, f"a wait returned only at its end while the run went on: {r}"
        assert r["state"] != before or took < 1, (before, r)
    assert r["state"] == "done"
    finished = datetime.datetime.fromisoformat(r["finished"].replace("Z", "+00:00")).timestamp()
    assert returned - finished < 1.0, f"answered {returned - finished:.2f} s after the run finished"
    # nothing changes: the answer comes when the wait is over, not before
    t0 = time.monotonic()
    r = server.get(f"/v1/runs/{run['id']}?wait=2")
    assert r.status == 200 and r.json()["state"] == "done" and 1.9 <= time.monotonic() - t0 < 4
    t0 = time.monotonic()
    assert server.get(f"/v1/runs/{run['id']}?wait=20&since=running").json()["state"] == "done"
    assert time.monotonic() - t0 < 1  # it already differs from since
    assert server.get(f"/v1/runs/{run['id']}?wait=1&since=sleeping").status == 400


def test_wait_is_capped_by_max_wait(data_root):
    s = runs_server(data_root, sets=["limits.max_wait=1"], name="short-wait").start()
    try:
        run = wait_state(s, submit(s, {"config": QUICK, "input": "inputs/small.h5"})["id"], FINAL)
        t0 = time.monotonic()
        assert s.get(f"/v1/runs/{run['id']}?wait=30").json()["state"] == "done"
        assert 0.9 <= time.monotonic() - t0 < 3
    finally:
        s.stop()


def test_list_and_filters(server):
    every = server.get("/v1/runs?limit=1000", token="read").json()
    assert every["next"] is None and len(every["runs"]) >= 5
    ids = [r["id"] for r in every["runs"]]
    assert ids == sorted(ids, reverse=True)
    done = server.get("/v1/runs?state=done&kind=run&limit=1000").json()["runs"]
    assert done and all(r["state"] == "done" and r["kind"] == "run" for r in done)
    assert {r["id"] for r in done} == {r["id"] for r in every["runs"] if r["state"] == "done" and r["kind"] == "run"}
    page = server.get("/v1/runs?limit=2").json()
    assert [r["id"] for r in page["runs"]] == ids[:2] and page["next"] == f"/v1/runs?before={ids[1]}&limit=2"
    assert [r["id"] for r in server.get(page["next"]).json()["runs"]] == ids[2:4]
    for bad in ("state=sleeping", "kind=job", "limit=0", "limit=2.5"):
        assert server.get(f"/v1/runs?{bad}").status == 400, bad


def test_log_offset(server):
    rid = server.get("/v1/runs?state=done&limit=1").json()["runs"][0]["id"]
    full = server.get(f"/v1/runs/{rid}/log").body
    assert full.startswith(b"# tradebal serve: run") and len(full) > 100
    assert server.get(f"/v1/runs/{rid}/log?offset=37").body == full[37:]
    assert server.get(f"/v1/runs/{rid}/log?offset={len(full) + 5}").body == b""
    assert server.get(f"/v1/runs/{rid}/log?offset=-1").status == 400


def test_unknown_runs_and_scopes(server):
    for path in ("", "/log", "/files", "/summary", "/files/output.h5", "/diff/1"):
        for rid in ("999999", "abc"):
            r = server.get(f"/v1/runs/{rid}{path}")
            assert r.status == 404 and r.json()["type"] == "/problems/no-run", (path, r)
    assert server.post("/v1/runs/999999/cancel").status == 404
    assert server.post("/v1/runs/999999/resume").status == 404
    rid = server.get("/v1/runs?state=done&limit=1").json()["runs"][0]["id"]
    assert server.get(f"/v1/runs/{rid}/diff/999999").status == 404
    assert server.get(f"/v1/runs/{rid}/summary", token=None).status == 401
    assert server.post(f"/v1/runs/{rid}/cancel", token="read").status == 403
    unfinished = server.get("/v1/runs?state=cancelled&limit=1").json()["runs"][0]["id"]
    assert server.get(f"/v1/runs/{rid}/diff/{unfinished}", token="read").status == 409
    assert server.get(f"/v1/runs/{unfinished}/diff/{rid}", token="read").status == 409


def test_metrics_count_runs_by_state(server):
    runs = server.get("/v1/runs?limit=1000").json()["runs"]
    text = server.get("/metrics", token="read").text
    for state in ("queued", "running", "done", "failed", "checkpointed", "cancelled", "lost"):
        line = [x for x in text.splitlines() if x.startswith(f'tradebal_runs{{state="{state}"}} ')]
        assert line and int(line[0].split()[-1]) == sum(r["state"] == state for r in runs), (state, line)
