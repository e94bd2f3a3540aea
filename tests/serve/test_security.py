"""No request reads outside the data root (issue 23, point 6), through every file-taking endpoint of this
branch (h5grove's `file` parameter; runs and the quick checks take theirs through the same tb_path_resolve):
'..', absolute paths, URL-encoded dots and slashes, a symbolic link (file or folder) pointing outside are refused
with 403/404 problem objects that name no server path; inside an HDF5 file, external links are not followed and
datasets whose bytes live in other files (external storage, virtual datasets) are refused; a FIFO does not hang a
worker. Tokens: none 401, unknown 401, the read token on a submit route 403."""
import os
import shutil
import tempfile
import time
import urllib.parse

import h5py
import numpy as np
import pytest

from conftest import OPENAPI

SECRET = b"TOPSECRET-7f3a9c"
MAGIC = 271828.182845


@pytest.fixture(scope="module")
def layout(data_root):
    base = os.path.dirname(data_root)
    outside = tempfile.mkdtemp(prefix="outside-", dir=base)
    with h5py.File(os.path.join(outside, "secret.h5"), "w") as f:
        f["secret"] = np.full(4, MAGIC)
    with open(os.path.join(outside, "secret.bin"), "wb") as fh:
        fh.write(SECRET * 4)
    with h5py.File(os.path.join(data_root, "good.h5"), "w") as f:
        f["x"] = np.arange(4.0)
    os.symlink(os.path.join(outside, "secret.h5"), os.path.join(data_root, "escape.h5"))
    os.symlink(outside, os.path.join(data_root, "outdir"))
    with h5py.File(os.path.join(data_root, "tricky.h5"), "w") as f:
        f["ext"] = h5py.ExternalLink(os.path.join(outside, "secret.h5"), "/secret")
        f.create_dataset("raw", shape=(4,), dtype="S16", external=[(os.path.join(outside, "secret.bin"), 0, 64)])
        vl = h5py.VirtualLayout(shape=(4,), dtype="f8")
        vl[:] = h5py.VirtualSource(os.path.join(outside, "secret.h5"), "secret", shape=(4,))
        f.create_virtual_dataset("virtual", vl)
        f["fine"] = np.arange(3)
    os.mkfifo(os.path.join(data_root, "pipe.h5"))
    yield {"outside": outside, "root": data_root}
    shutil.rmtree(outside, ignore_errors=True)


def leaks(body, layout, sent=""):
    """Whether an answer names a server path (the caller's own words, echoed, do not count)."""
    text = body.decode("utf-8", "replace").replace(sent, "")
    real = [layout["root"], layout["outside"], os.path.realpath(layout["root"]), os.path.realpath(layout["outside"])]
    return any(p in text for p in real) or SECRET.decode() in text or str(MAGIC) in text


ESCAPES = [  # (raw query value as sent, decoded value the server sees)
    ("..%2Foutside%2Fsecret.h5", "../outside/secret.h5"),
    ("inputs%2F..%2F..%2Fx.h5", "inputs/../../x.h5"),
    ("%2e%2e/%2e%2e/etc/passwd", "../../etc/passwd"),
    ("%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "../../etc/passwd"),
    ("..", ".."),
    ("/etc/passwd", "/etc/passwd"),
    ("%2Fetc%2Fpasswd", "/etc/passwd"),
    ("escape.h5", "escape.h5"),                 # a link inside pointing outside
    ("outdir/secret.h5", "outdir/secret.h5"),   # a folder link pointing outside
    ("outdir%2Fsecret.bin", "outdir/secret.bin"),
    ("%252e%252e/outside/secret.h5", "%2e%2e/outside/secret.h5"),  # decoded once: a name, not '..'
]


@pytest.mark.parametrize("endpoint", ["meta", "attr", "data"])
@pytest.mark.parametrize("raw,decoded", ESCAPES)
def test_paths_never_leave_the_data_root(server, layout, endpoint, raw, decoded):
    raw = raw.replace("outside", os.path.basename(layout["outside"]))
    decoded = decoded.replace("outside", os.path.basename(layout["outside"]))
    r = server.get(f"/v1/h5grove/{endpoint}?file={raw}&path=/secret", token="read")
    assert r.status in (403, 404), r
    assert r.headers["Content-Type"] == "application/problem+json"
    p = r.json()
    assert p["status"] == r.status and p["type"] in ("/problems/outside-data-root", "/problems/not-found")
    assert not leaks(r.body, layout, sent=decoded), r.body


def test_absolute_paths_are_refused_even_inside(server, layout):
    inside = os.path.join(layout["root"], "good.h5")
    r = server.get("/v1/h5grove/meta?" + urllib.parse.urlencode({"file": inside}), token="read")
    assert r.status == 403 and r.json()["type"] == "/problems/outside-data-root"
    assert server.get("/v1/h5grove/meta?file=good.h5", token="read").status == 200  # the same file, relative
    outside = os.path.join(layout["outside"], "secret.h5")
    r = server.get("/v1/h5grove/data?" + urllib.parse.urlencode({"file": outside, "path": "/secret"}), token="read")
    assert r.status == 403 and not leaks(r.body, layout, sent=outside)


def test_links_inside_a_file_do_not_leave_it(server, layout):
    def get(endpoint, path, **kw):
        return server.get(f"/v1/h5grove/{endpoint}?" + urllib.parse.urlencode({"file": "tricky.h5", "path": path, **kw}),
                          token="read")

    r = get("meta", "/ext")  # listed as a link, its target not opened
    assert r.status == 200 and r.json()["kind"] == "external_link" and "attributes" not in r.json()
    for endpoint in ("meta", "attr", "data"):
        r = get(endpoint, "/ext/secret") if endpoint != "attr" else get(endpoint, "/ext")
        assert r.status in (404, 422) and not leaks(r.body, layout), r
    r = get("meta", "/ext", resolve_links="all")
    assert r.json()["kind"] == "external_link"
    r = get("meta", "/")
    assert r.status == 200 and not leaks(r.body.replace(os.path.join(layout["outside"], "secret.h5").encode(), b""),
                                         layout)
    for path in ("/raw", "/virtual"):  # their bytes live in other files
        assert get("meta", path).status == 200
        for fmt in ("json", "bin", "npy"):
            r = get("data", path, format=fmt)
            assert r.status == 403 and r.json()["type"] == "/problems/refused", r
            assert not leaks(r.body, layout)
    assert get("data", "/fine").json() == [0, 1, 2]


def test_a_fifo_does_not_hang(server, layout):
    t0 = time.monotonic()
    r = server.get("/v1/h5grove/meta?file=pipe.h5", token="read", timeout=20)
    assert r.status == 422 and time.monotonic() - t0 < 5
    assert server.get("/v1/health", token=None).status == 200


def test_problems_name_no_server_path(server, layout):
    """Every kind of failure of the h5grove endpoints, none naming the data root."""
    with open(os.path.join(layout["root"], "plain.txt"), "w") as fh:
        fh.write("text")
    for query, endpoints in (("file=plain.txt", "meta attr data"), ("file=missing.h5", "meta attr data"),
                             ("file=good.h5&path=/nope", "meta attr data"), ("file=good.h5&path=/x&selection=9", "data"),
                             ("file=inputs", "meta attr data"), ("file=", "meta attr data"),
                             ("file=good.h5&path=/x&format=tiff", "data"), ("file=good.h5&path=/x&dtype=big", "data"),
                             ("file=good.h5&attr_keys=none", "attr"), ("file=good.h5&resolve_links=maybe", "meta")):
        for endpoint in endpoints.split():
            r = server.get(f"/v1/h5grove/{endpoint}?{query}", token="read")
            assert 400 <= r.status < 500 and r.headers["Content-Type"] == "application/problem+json", (query, r)
            assert not leaks(r.body, layout), (query, r.body)


def test_tokens_and_scopes(server):
    r = server.get("/v1/h5grove/meta?file=good.h5", token=None)
    assert r.status == 401 and r.headers.get("WWW-Authenticate") == "Bearer" and r.json()["type"] == "/problems/unauthorized"
    r = server.get("/v1/h5grove/meta?file=good.h5", token="tb_" + "f" * 64)
    assert r.status == 401
    r = server.get("/v1/h5grove/meta?file=good.h5", headers={"Authorization": "Basic dXNlcjpwYXNz"}, token=None)
    assert r.status == 401
    assert server.get("/v1/h5grove/meta?file=good.h5", token="read").status == 200
    # a read token may not submit (the runs endpoints document their 403 in the runs fragment)
    documented = "post" in OPENAPI["paths"].get("/v1/runs", {})
    r = server.post("/v1/runs", {"config": "[input]\nfile = good.h5\n", "input": "good.h5"}, token="read",
                    validate=documented)
    assert r.status == 403 and "submit" in r.json()["detail"] and r.json()["type"] == "/problems/forbidden"


def test_dot_segments_in_the_url_path_route_nowhere(server):
    r = server.get("/v1/h5grove/%2e%2e/health", token="read", validate=False)
    assert r.status == 404 and r.json()["type"] == "/problems/no-route"
