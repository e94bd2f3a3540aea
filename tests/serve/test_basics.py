"""The server's own behaviour: health, tokens and scopes, routing errors, body limits, metrics."""
import socket

from conftest import Server


def test_health_needs_no_token(server):
    r = server.get("/v1/health", token=None)
    assert r.status == 200
    h = r.json()
    assert h["status"] == "ok" and h["workers"] >= 1


def test_tokens_and_scopes(server):
    assert server.get("/metrics", token=None).status == 401
    assert server.get("/metrics", token="tb_" + "0" * 64).status == 401
    assert server.get("/metrics", token="read").status == 200
    # submitting needs the submit scope: a read token is refused before the body is looked at
    r = server.post("/v1/runs", {"config": "", "input": "inputs/small.h5"}, token="read")
    assert r.status == 403 and "submit" in r.json()["detail"]


def test_token_file_keeps_only_hashes(server):
    with open(server.token_file) as fh:
        text = fh.read()
    for t in server.tokens.values():
        assert t not in text
    assert len(text.splitlines()) == 2


def test_unknown_route_and_method(server):
    r = server.get("/v1/nothing-here", validate=False)
    assert r.status == 404 and r.json()["type"] == "/problems/no-route"
    r = server.request("DELETE", "/v1/health", validate=False)
    assert r.status == 405


def test_body_limit(data_root):
    s = Server(data_root, sets=["limits.max_body=2048"], name="small-body").start()
    try:
        r = s.post("/v1/deals/evaluate", "x" * 5000)
        assert r.status == 413 and r.json()["type"] == "/problems/too-large"
    finally:
        s.stop()


def test_json_depth_limit(server):
    body = "[" * 40 + "]" * 40
    r = server.post("/v1/deals/evaluate", '{"a":' + body + "}")
    assert r.status == 400 and r.json()["type"] == "/problems/too-deep"


def test_metrics_count_requests(server):
    server.get("/v1/health", token=None)
    text = server.get("/metrics", token="read").text
    line = [x for x in text.splitlines() if x.startswith('tradebal_http_requests_total{method="GET",route="/v1/health",code="200"}')]
    assert line and int(line[0].split()[-1]) >= 1
    assert "tradebal_queue_depth 0" in text
    assert 'tradebal_http_request_duration_seconds_bucket{method="GET",route="/v1/health",le="+Inf"}' in text


def test_loopback_by_default(data_root):
    s = Server(data_root, name="loopback").start()
    try:
        # the default bind is 127.0.0.1: another local address of this machine must not answer
        addrs = [a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
        others = [a for a in addrs if not a.startswith("127.")]
        for a in others:
            with socket.socket() as c:
                c.settimeout(1)
                assert c.connect_ex((a, s.port)) != 0
        with socket.create_connection(("127.0.0.1", s.port), timeout=2):
            pass
    finally:
        s.stop()


def test_openapi_served(server):
    r = server.get("/v1/openapi.json", token=None)
    assert r.status == 200 and r.json()["openapi"].startswith("3.")

