"""bench/run_serve.sh --tiny: the hey benchmark still runs end to end and reports a row per case with every
request answered (200 or 503, none lost, no other status). No latency is judged here (figures from CI's
shared machine mean nothing); bench/results/ holds the measured table."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, TB


@pytest.mark.skipif(not shutil.which("hey"), reason="hey is not installed")
def test_run_serve_tiny():
    env = dict(os.environ, BUILD_DIR=os.path.dirname(TB))
    p = subprocess.run([os.path.join(ROOT, "bench", "run_serve.sh"), "--tiny"], capture_output=True, text=True,
                       env=env, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    rows = [x for x in p.stdout.splitlines() if x.startswith("| POST")]
    names = {re.sub(r" \|.*", "", x) for x in rows}
    assert names == {"| POST /v1/certificates/validate", "| POST /v1/deals/evaluate",
                     "| POST /v1/deals/evaluate (1000-deal batch)"}, rows
    for x in rows:
        cells = [c.strip() for c in x.strip("|").split("|")]
        answered, other, lost = float(cells[6]), int(cells[8]), int(cells[9])
        assert answered > 0 and other == 0 and lost == 0, x
