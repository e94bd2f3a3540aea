"""`pip install ./python` works offline on Debian 12 (issue 22): into a virtual environment that sees the system's
numpy, pandas, xarray and h5py, with no index and no build isolation (nothing fetched); the installed package,
run from outside the checkout, finds libtradebal through TRADEBAL_LIB and gives the in-place package's numbers."""
import importlib.util
import os
import subprocess
import sys

import pytest

from conftest import sanitized

import tradebal

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = """
import json, sys, tradebal
print(json.dumps({"file": tradebal.__file__, "version": tradebal._lib.version(),
                  "order": [tradebal.order_check("sell", 5, 1, a) for a in (4.5, 5)],
                  "price": tradebal.cert_auction(1.5, 0.0, [3, 2, 1], [1, 1, 1]),
                  "kinds": sorted(tradebal.results.formats())}))
"""


def test_offline_pip_install(tmp_path):
    if sanitized():
        pytest.skip("the sanitizer build: a new interpreter cannot load the ASan libtradebal (python_library covers it)")
    if importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None:
        pytest.skip("python3-venv is not installed")
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)], check=True)
    py = str(env_dir / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PIP_NO_INDEX"] = "1"  # nothing from the network
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation",
                    os.path.join(REPO, "python")], check=True, env=env, cwd=tmp_path)
    env["TRADEBAL_LIB"] = tradebal._lib.library()._name
    out = subprocess.run([py, "-c", SCRIPT], check=True, env=env, cwd=tmp_path, capture_output=True, text=True)
    got = __import__("json").loads(out.stdout)
    assert got["file"].startswith(str(env_dir)), got["file"]  # the installed copy, not the checkout
    assert got["version"] == tradebal._lib.version() == tradebal.__version__
    assert got["order"] == [3, 0] and got["price"] == 2.0
    assert got["kinds"] == sorted(tradebal.results.formats())
