"""docs/api.md against a real server: every shell example (the curl calls and the `tradebal serve` commands) runs,
in the page's order, on a server over a data root holding the files the page names; curl is made to fail on an
HTTP error (--fail-with-body) unless the block is marked `# expect an error`. The page's configuration table is
`tradebal serve --config-doc`, and every route of docs/openapi.json has a section naming it."""
import os
import re
import shutil
import subprocess
import tempfile

import h5py
import numpy as np
import pytest

from conftest import OPENAPI, ROOT, TB, Server, generate

PAGE = os.path.join(ROOT, "docs", "api.md")


def blocks():
    text = open(PAGE).read()
    return [b for b in re.findall(r"```sh\n(.*?)```", text, re.S)]


def test_config_table_is_the_programs():
    p = subprocess.run([TB, "serve", "--config-doc"], capture_output=True, text=True, check=True)
    assert p.stdout.strip() in open(PAGE).read(), "docs/api.md: paste `tradebal serve --config-doc` into Configuration"


def test_every_route_is_listed():
    text = open(PAGE).read()
    for path, ops in OPENAPI["paths"].items():
        for m in ops:
            assert f"`{m.upper()} {path}`" in text, f"docs/api.md does not list {m.upper()} {path}"


def make_data_root(d):
    os.makedirs(os.path.join(d, "inputs"))
    os.makedirs(os.path.join(d, "outputs"))
    small = generate(os.path.join(d, "inputs", "small.h5"), entities=200, deals=2000, seed=7)
    with h5py.File(os.path.join(d, "inputs", "market.h5"), "w") as f:
        f["market/holdings"] = np.array([[5.0, 0.0], [0.0, 2.0], [1.0, 1.0], [0.0, 0.0]])
        orders = np.array([(0, 0, 1, 3.0, 1.0, 0.0), (1, 0, 0, 2.0, 1.5, 1.0)])
        for i, (k, t) in enumerate((("entity", np.int64), ("region", np.int32), ("side", np.uint8),
                                    ("quantity", np.float64), ("price", np.float64), ("time", np.float64))):
            f["market/orders/" + k] = orders[:, i].astype(t)
    env = dict(os.environ, OMP_NUM_THREADS="1", ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
    subprocess.run([TB, "match", os.path.join(d, "inputs", "market.h5"), "-o", os.path.join(d, "outputs", "matched.h5")],
                   check=True, capture_output=True, env=env)
    for name, factor in (("last-night", 0.5), ("nightly", 0.5)):  # the summary and diff examples: nothing moved
        os.makedirs(os.path.join(d, "runs", name))
        cfg = os.path.join(d, "runs", name, "run.ini")
        with open(cfg, "w") as fh:
            fh.write(f"[input]\nfile = {small}\n[output]\nfile = out.h5\n[model]\nother_factor = {factor}\n"
                     "[assessment]\ndraws = 2\n")
        subprocess.run([TB, "run", "-c", cfg], check=True, capture_output=True, env=env)


def test_every_example_runs():
    base = os.environ.get("TB_WORK")
    if base:
        os.makedirs(base, exist_ok=True)
    d = tempfile.mkdtemp(prefix="docs-api-", dir=base)
    try:
        make_data_root(d)
        s = Server(d, name="docs").start()
        bindir = os.path.join(d, ".bin")
        os.makedirs(bindir)
        os.symlink(TB, os.path.join(bindir, "tradebal"))
        env = dict(os.environ, TB_URL=s.url, TB_TOKEN=s.tokens["submit"], PATH=bindir + ":" + os.environ["PATH"],
                   ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
        ran = 0
        try:
            for b in blocks():
                if re.search(r"^\s*tradebal serve (-c|token)", b, re.M):
                    continue  # starting a server of its own and making tokens: the fixture did both
                strict = "# expect an error" not in b
                prelude = ('curl() { case " $* " in *" -f"* | *" --fail"*) command curl "$@" ;; '
                           '*) command curl --fail-with-body "$@" ;; esac; }\n') if strict else ""
                p = subprocess.run(["bash", "-euo", "pipefail", "-c", prelude + b], cwd=d, env=env,
                                   capture_output=True, text=True, timeout=300)
                assert p.returncode == 0, f"docs/api.md example failed (exit {p.returncode}):\n{b}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
                ran += 1
        finally:
            s.stop()
        assert ran >= 15, f"only {ran} examples ran"
    finally:
        shutil.rmtree(d, ignore_errors=True)
