"""docs/python.md keeps working (issue 22, point 4): docs/python_example.py, the worked example through the SDK,
runs from the public BEA and Census files to its last step at a tenth of the page's size; every Python block of
the page's worked example is a piece of that script; the page's outputs of the steps that do not depend on the
size (the imported tables) are what the script prints. TB_DOCS_EXAMPLE_FULL=1 runs it at the page's size and
checks every output block of the page."""
import os
import re
import subprocess
import sys

import pytest

from conftest import sanitized

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "docs", "python_example.py")
PAGE = os.path.join(REPO, "docs", "python.md")
REAL = os.path.join(os.environ.get("TB_SHARED", os.path.join(REPO, "..", "shared")), "data", "real")
FULL = os.environ.get("TB_DOCS_EXAMPLE_FULL") == "1"


def norm(text):
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def example_blocks(kind):
    """The ```kind blocks of the page's section "Worked example through the SDK"."""
    page = open(PAGE).read()
    section = page.split("## Worked example through the SDK", 1)[1].split("\n## ", 1)[0]
    return [norm(b) for b in re.findall(r"^```%s\n(.*?)^```" % kind, section, re.S | re.M)]


def test_code_blocks_are_the_script():
    script = norm(open(SCRIPT).read())
    blocks = example_blocks("python")
    assert len(blocks) >= 12, "the page shows the set-up and each of the script's 11 steps"
    for b in blocks:
        assert b in script, f"docs/python.md shows code that docs/python_example.py lacks:\n{b[:300]}"
    steps = re.findall(r"^# %% (\d+)\. (.*)$", open(SCRIPT).read(), re.M)
    page = open(PAGE).read()
    for n, title in steps:
        assert f"### {n}. {title}" in page, f"step {n} of the script is a section of the page"


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    if sanitized():
        pytest.skip("the sanitizer build: a new interpreter cannot load the ASan libtradebal (python_library covers it)")
    if not os.path.isdir(REAL):
        pytest.skip(f"{REAL}: the shared data folder is not here")
    out = tmp_path_factory.mktemp("docs_example")
    args = [] if FULL else ["20000", "2000"]
    env = dict(os.environ, TB_REAL=REAL)
    p = subprocess.run([sys.executable, SCRIPT, str(out), *args], capture_output=True, text=True, env=env,
                       timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    return norm(p.stdout.replace(str(out), "examples/us2023/sdk"))


def test_script_runs_to_the_end(printed):
    assert "131 sectors, largest column sum of A 0.917832" in printed
    assert "United States  2018059.3  3080170.3 -1062111.0" in printed  # Census's own totals
    assert re.search(r"Crop production\s+2\.0190", printed) and re.search(r"Animal production\s+2\.9534", printed)
    assert "2 ranks: deals and regions bitwise equal: True | metrics within 1e-12: True" in printed
    assert "bitwise equal to the run's /deals datasets: {'value': True, 'status': True, 'surplus': True, " \
           "'bid': True}" in printed
    assert re.search(r"deal \d+: the same surplus as in the whole run, bitwise: True", printed)
    assert "InputError (exit 3): dataset /deals/comp_prob, index 2, rule p_c in [0,1]" in printed
    assert "Checkpointed (exit 7)" in printed and "done | resumed: True" in printed
    assert printed.endswith("same metrics as the uninterrupted run: True")


def test_page_outputs_are_what_it_prints(printed):
    blocks = example_blocks("text")
    assert len(blocks) >= 11
    for b in blocks:
        size_free = b.startswith(("== 131 sectors", "== base trade"))
        if FULL or size_free:
            assert b in printed, f"docs/python.md shows output the script no longer prints:\n{b[:400]}"
