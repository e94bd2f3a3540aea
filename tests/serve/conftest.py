"""A real `tradebal serve` process for the API tests, and a client that checks every answer against
docs/openapi.json (the route must be in the document with that method and status, and a JSON body must validate
against its schema): so every test of an endpoint is also a test of its documentation.

The program comes from TRADEBAL_EXE (CTest sets it: the sanitizer build's program under the ASan pass); the
server's stderr is kept, and a sanitizer report in it fails the test that stops the server."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import jsonschema
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TB = os.environ.get("TRADEBAL_EXE") or os.path.join(ROOT, "build", "tradebal")
SHARED = os.environ.get("TB_SHARED") or os.path.join(os.path.dirname(ROOT), "shared")
os.environ.pop("LD_PRELOAD", None)  # the sanitizer build's preload is for the SDK's interpreter, not for us

with open(os.path.join(ROOT, "docs", "openapi.json")) as _fh:
    OPENAPI = json.load(_fh)
_RESOLVER = jsonschema.RefResolver.from_schema(OPENAPI)
_TEMPLATES = [(p, re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(p)) + "/?$")) for p in OPENAPI["paths"]]
SEEN = set()  # (METHOD, template, status) answered in this process


def template_of(path):
    path = path.split("?")[0]
    for t, rx in _TEMPLATES:  # the most specific template wins: fixed segments before {params}
        if rx.match(path) and "{" not in t:
            return t
    for t, rx in _TEMPLATES:
        if rx.match(path):
            return t
    return None


def check_against_openapi(method, path, status, ctype, body):
    """Raise AssertionError unless the answer is documented and its JSON body validates."""
    t = template_of(path)
    assert t, f"{method} {path}: no such path in docs/openapi.json"
    op = OPENAPI["paths"][t].get(method.lower())
    assert op, f"{method} {t}: method not in docs/openapi.json"
    resp = op["responses"].get(str(status)) or op["responses"].get("default")
    assert resp, f"{method} {t}: status {status} not documented (body: {body[:300]!r})"
    if "$ref" in resp:
        resp = _RESOLVER.resolve(resp["$ref"])[1]
    SEEN.add((method, t, status))
    content = resp.get("content", {})
    if not content:
        return
    media = (ctype or "").split(";")[0].strip()
    assert media in content, f"{method} {t} {status}: content type {media!r} not documented ({list(content)})"
    if media.endswith("json"):
        schema = content[media].get("schema")
        if schema:
            doc = json.loads(body)
            jsonschema.Draft202012Validator(schema, resolver=_RESOLVER).validate(doc)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return f"<{self.status} {self.body[:200]!r}>"


def _tradebal(*args, **kw):
    return subprocess.run([TB, *args], capture_output=True, text=True, **kw)


class Server:
    """`tradebal serve` on a free loopback port over data_root, with a read and a submit token."""

    def __init__(self, data_root, sets=(), name="server"):
        self.data_root = os.path.abspath(data_root)
        self.dir = os.path.join(self.data_root, f".{name}")
        os.makedirs(self.dir, exist_ok=True)
        self.token_file = os.path.join(self.dir, "tokens")
        self.tokens = {}
        if not os.path.exists(self.token_file):
            for scope in ("read", "submit"):
                p = _tradebal("serve", "token", "--file", self.token_file, "--scopes", scope, "--name", scope)
                assert p.returncode == 0, p.stderr
                self.tokens[scope] = p.stdout.strip()
            with open(os.path.join(self.dir, "tokens.plain"), "w") as fh:
                json.dump(self.tokens, fh)
        else:
            with open(os.path.join(self.dir, "tokens.plain")) as fh:
                self.tokens = json.load(fh)
        self.port_file = os.path.join(self.dir, "port")
        self.sets = ["server.port=0", f"server.port_file={self.port_file}", f"server.data_root={self.data_root}",
                     f"server.token_file={self.token_file}", f"server.state_dir={os.path.join(self.dir, 'state')}",
                     *sets]
        self.proc = None
        self.log = os.path.join(self.dir, "stderr.log")

    def start(self, timeout=30):
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        args = [TB, "serve"]
        for s in self.sets:
            args += ["--set", s]
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        self._err = open(self.log, "a")
        self.proc = subprocess.Popen(args, stdout=self._err, stderr=self._err, env=env, start_new_session=True)
        t0 = time.monotonic()
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError(f"tradebal serve exited {self.proc.returncode}: {self.stderr()[-2000:]}")
            if time.monotonic() - t0 > timeout:
                raise RuntimeError(f"tradebal serve did not start: {self.stderr()[-2000:]}")
            time.sleep(0.02)
        with open(self.port_file) as fh:
            self.port = int(fh.read())
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def stderr(self):
        with open(self.log, errors="replace") as fh:
            return fh.read()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stop the server (SIGKILL: a crash); returns its exit code. A sanitizer report fails the caller."""
        if not self.proc:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise AssertionError(f"tradebal serve did not stop within {timeout} s after signal {sig}")
        finally:
            self._err.close()
            self.proc = None
        err = self.stderr()
        assert "AddressSanitizer" not in err and "runtime error:" not in err and "LeakSanitizer" not in err, err[-4000:]
        return rc

    def request(self, method, path, body=None, token="submit", headers=None, validate=True, timeout=60):
        """One request; body: a dict (sent as JSON), bytes or str. token: "read", "submit", None or a raw string."""
        data = body
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            data = body.encode()
        if token:
            hdrs["Authorization"] = f"Bearer {self.tokens.get(token, token)}"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                resp = Response(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            resp = Response(e.code, dict(e.headers), e.read())
        if validate:
            check_against_openapi(method, path, resp.status, resp.headers.get("Content-Type"), resp.body)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {}, **kw)


def generate(path, entities=200, deals=2000, seed=7, **kw):
    args = ["generate", "-o", path, "--entities", str(entities), "--deals", str(deals), "--seed", str(seed),
            "--overwrite"]
    for k, v in kw.items():
        args += [f"--{k}", str(v)]
    p = _tradebal(*args)
    assert p.returncode == 0, p.stderr
    return path


@pytest.fixture(scope="module")
def data_root():
    base = os.environ.get("TB_WORK")
    if base:
        os.makedirs(base, exist_ok=True)
    d = tempfile.mkdtemp(prefix="serve-", dir=base)
    os.makedirs(os.path.join(d, "inputs"))
    generate(os.path.join(d, "inputs", "small.h5"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def server(data_root):
    s = Server(data_root).start()
    yield s
    s.stop()
