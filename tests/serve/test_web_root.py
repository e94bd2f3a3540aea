"""The dashboard's static files at / (issue 24): [server] web_root's files with their types, nothing outside it
(`..`, a link to a sibling folder), /v1 untouched, `none` serves none, and without web_root the dashboard this
build made (web/dashboard/dist of the source tree) when it exists. Static answers are not API answers: they are
not in docs/openapi.json (validate=False)."""
import os

from conftest import ROOT, Server


def make_site(d):
    site = os.path.join(d, "site")
    os.makedirs(os.path.join(site, "assets"))
    os.makedirs(os.path.join(d, "site2"))
    with open(os.path.join(site, "index.html"), "w") as fh:
        fh.write("<!doctype html><title>t</title>")
    with open(os.path.join(site, "assets", "app.mjs"), "w") as fh:
        fh.write("export const a = 1;\n")
    with open(os.path.join(d, "site2", "secret.txt"), "w") as fh:
        fh.write("no")
    os.symlink(os.path.join(d, "site2"), os.path.join(site, "escape"))
    return site


def test_web_root_serves_its_files_only(data_root):
    site = make_site(data_root)
    s = Server(data_root, sets=[f"server.web_root={site}"], name="web").start()
    try:
        r = s.get("/", token=None, validate=False)
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/html") and b"<title>t" in r.body
        r = s.get("/assets/app.mjs", token=None, validate=False)
        assert r.status == 200 and r.headers["Content-Type"] == "text/javascript"
        for path in ("/escape/secret.txt", "/assets/../../site2/secret.txt", "/missing.js", "/v1/"):
            assert s.get(path, token=None, validate=False).status == 404, path
        assert s.get("/v1/health", token=None).status == 200
        assert f"the dashboard at http://127.0.0.1:{s.port}/ (from {site})" in s.stderr()
    finally:
        s.stop()


def test_none_and_the_builds_dashboard(data_root):
    s = Server(data_root, sets=["server.web_root=none"], name="web-none").start()
    try:
        assert s.get("/", token=None, validate=False).status == 404 and "dashboard" not in s.stderr()
    finally:
        s.stop()
    dist = os.path.join(ROOT, "web", "dashboard", "dist")
    built = os.path.isfile(os.path.join(dist, "index.html"))
    s = Server(data_root, name="web-default").start()
    try:
        r = s.get("/", token=None, validate=False)
        if built:  # the program was built from this tree (TB_WEB_ROOT): its dashboard
            with open(os.path.join(dist, "index.html"), "rb") as fh:
                assert r.status == 200 and r.body == fh.read()
        else:
            assert r.status == 404 and "dashboard" not in s.stderr()
    finally:
        s.stop()
