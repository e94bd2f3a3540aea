#!/usr/bin/python3
"""Documentation matches the code: docs/cli.md, config.md and formats.md are exactly what
`tradebal docs` prints from the code's tables, docs/python-api.md what tools/tb_pydoc.py makes of the SDK's
docstrings and tradebal.h's comments (and no public name lacks one); every command's --help exits 0 and is its
section of cli.md; the Python tools accept no option their help leaves out; every key of a resolved config is in
config.md; every dataset of real output files is declared in formats.md; the README's commands exist; every
file and file:function that docs/code-map.md and host/README.md cite exists.
Usage: test_docs.py TRADEBAL WORKDIR REPO_DIR"""
import json
import os
import re
import subprocess
import sys

import h5py

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks  # noqa: E402

TB, W, REPO = (os.path.abspath(a) for a in sys.argv[1:4])
DOCS = os.path.join(REPO, "docs")
check = Checks()
os.makedirs(W, exist_ok=True)
os.chdir(W)
os.environ["OMP_NUM_THREADS"] = "1"


def run(*args):
    p = subprocess.run([TB, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr.strip()


def read(name):
    with open(os.path.join(DOCS, name)) as fh:
        return fh.read()


for page in ("cli", "config", "formats"):
    rc, out, err = run("docs", page)
    check(rc == 0 and out == read(page + ".md"),
          f"docs/{page}.md is out of date: run `tradebal docs {page} > docs/{page}.md` ({err})")
rc, _, err = run("docs", "nonsense")
check(rc == 2, f"docs with an unknown page: {rc}")

# the Python package's copy of the formats as JSON (issue 22): current, valid JSON, the same names as formats.md
rc, out, err = run("docs", "formats", "--json")
with open(os.path.join(REPO, "python", "tradebal", "formats.json")) as fh:
    check(rc == 0 and out == fh.read(), "python/tradebal/formats.json is out of date: run "
          f"`tradebal docs formats --json > python/tradebal/formats.json` ({err})")
try:
    schema = json.loads(out)
except ValueError as e:
    schema = {}
    check(False, f"docs formats --json is not JSON: {e}")


def md_row(key, i):
    """The row of formats.md that states the same item as a JSON item."""
    shape = "[" + ",".join(i["shape"]) + "]" if i["shape"] else "-"
    if key == "input" and i["kind"] == "dataset":
        required = "yes" if i["when"] == "required" else "optional"
        return f"| `{i['name']}` | {i['type']} | {shape} | {required} | {i['rule']} | {i['meaning']} |"
    if key == "input":
        return f"| `{i['name']}` | {i['type']} | {i['meaning']}"
    return f"| `{i['name']}` | {i['type']} | {shape} | {i['when']} | {i['meaning']} |"


rows = [md_row(k, i) for k in ("input", "run", "sweep", "match") for i in schema.get(k, [])]
missing = [r for r in rows if r not in read("formats.md")]
check(len(rows) > 100 and not missing, f"docs formats --json states what formats.md does ({len(rows)} items): {missing[:3]}")
for args in (("cli", "--json"), ("formats", "--json", "extra")):
    rc, _, err = run("docs", *args)
    check(rc == 2, f"docs {' '.join(args)}: exit {rc}, expected 2 ({err})")

# docs/python-api.md: the reference of the Python SDK and of host/api/tradebal.h, generated from the docstrings
# and the header's comments by tools/tb_pydoc.py; current, and every public name documented (issue 22, point 4)
pydoc = os.path.join(REPO, "tools", "tb_pydoc.py")
regen = "/usr/bin/python3 tools/tb_pydoc.py -o docs/python-api.md"
p = subprocess.run([sys.executable, pydoc], capture_output=True, text=True, cwd=REPO)
check(p.returncode == 0 and p.stdout == read("python-api.md"),
      f"docs/python-api.md is out of date: run `{regen}` ({p.stderr.strip()[-300:]})")
p2 = subprocess.run([sys.executable, pydoc], capture_output=True, text=True, cwd=W)
check(p2.stdout == p.stdout, "tools/tb_pydoc.py gives the same page from any folder")
p = subprocess.run([sys.executable, pydoc, "--missing"], capture_output=True, text=True, cwd=REPO)
check(p.returncode == 0 and not p.stdout.strip(),
      f"every public name of the SDK has a docstring and every tb_api_ function of tradebal.h a comment; "
      f"missing: {p.stdout.split()} {p.stderr.strip()[-300:]}")
api = read("python-api.md")
with open(os.path.join(REPO, "host", "api", "tradebal.h")) as fh:
    declared = sorted(set(re.findall(r"\b(tb_api_\w+)\s*\(", fh.read())))
check(len(declared) >= 7 and all(f"### {n}\n" in api for n in declared),
      f"docs/python-api.md documents every function of tradebal.h: {declared}")
for name in ("open", "Result", "Input", "run", "sweep", "Job", "evaluate", "Evaluation", "Checkpointed"):
    check(f"#### `tradebal.{name}`" in api, f"docs/python-api.md documents tradebal.{name}")

# --help of every command listed in the overview, in cli.md verbatim
rc, overview, _ = run("--help")
check(rc == 0 and overview in read("cli.md"), "tradebal --help is in cli.md")
commands = re.findall(r"^  (\w+)\s{2,}", overview.split("commands:")[1].split("\n\n")[0], re.M)
check(len(commands) >= 10, f"commands listed: {commands}")
cli = read("cli.md")
for c in commands:
    rc, out, err = run(c, "--help")
    check(rc == 0 and out.startswith("usage: tradebal " + c) and f"## tradebal {c}\n\n```\n{out}```" in cli,
          f"tradebal {c} --help: rc {rc}, in cli.md")
    rc2, out2, _ = run("help", c)
    check(rc2 == 0 and out2 == out, f"tradebal help {c} equals {c} --help")
rc, out, _ = run("--version")
rc2, out2, _ = run("version")
check(rc == 0 and out == out2 and re.fullmatch(r"tradebal \d+\.\d+\.\d+ \(output format \d+\)\n", out), f"--version: {out}")

# every option a Python tool's argparse accepts is in its --help text
for tool, cmd in (("tb_report.py", "report"), ("tb_import.py", "import")):
    src = open(os.path.join(REPO, "tools", tool)).read()
    opts = set(re.findall(r'add_argument\("(--[a-z-]+)"', src)) | set(re.findall(r'add_parser\("(\w+)"', src))
    _, text, _ = run(cmd, "--help")
    missing = sorted(o for o in opts if o not in text)
    check(opts and not missing, f"tradebal {cmd} --help lacks {missing}")

# every key of a resolved config is documented, with its default
rc, _, err = run("generate", "-o", "in.h5", "--entities", "300", "--deals", "2000", "--overwrite")
with open("run.ini", "w") as fh:
    fh.write("[input]\nfile = in.h5\n[policy.t]\nkind = tariff\n[policy.c]\nkind = certificates\n")
rc, out, err = run("run", "-c", "run.ini", "-o", "out.h5", "--overwrite")
check(rc == 0, f"run: {err}")
config_md = read("config.md")
with h5py.File("out.h5", "r") as f:
    text = f.attrs["config"].decode()
section = None
for line in text.splitlines():
    m = re.fullmatch(r"\[(\w+)\]", line)
    if m:
        section = m.group(1)
    m = re.fullmatch(r"(\w+) = (.*)", line)
    if m and section:
        key, value = m.groups()
        default = value if section not in ("input", "output") else None
        shown = "(none)" if default == "" else f"`{default}`"
        row = f"| `{section}.{key}` | {shown} |" if default is not None else f"| `{section}.{key}` |"
        check(row in config_md, f"config.md documents {section}.{key} with the default {default}")
    if line.startswith("[policy."):
        section = None
for key in ("kind", "regions", "rate", "ratio", "expiry", "floor"):
    check(f"| `{key}` |" in config_md, f"config.md documents policy key {key}")

# every dataset and attribute of real output files is declared (the writer enforces it; this checks the doc)
formats = read("formats.md")
rc, _, err = run("run", "-c", "run.ini", "-o", "sweep.h5", "--overwrite", "--set", "sweep.method=oat",
                 "--set", "sweep.market.elasticity=1:2")
check(rc == 0, f"sweep: {err}")
for path in ("out.h5", "sweep.h5"):
    with h5py.File(path, "r") as f:
        names = []
        f.visititems(lambda n, o: names.append("/" + n) if isinstance(o, h5py.Dataset) else None)
        for n in names:
            generic = re.sub(r"^/policies/(none|t|c)/", "/policies/<policy>/", n)
            check(f"| `{generic}` |" in formats, f"{path}: {n} is in formats.md")
        for a in f.attrs:
            check(f"| `/@{a}` |" in formats, f"{path}: root attribute {a} is in formats.md")

# the README's command synopsis names real commands, and points at docs/
readme = open(os.path.join(REPO, "README.md")).read()
synopsis = readme.split("## Commands", 1)[1].split("```")[1]
for c in sorted(set(re.findall(r"^tradebal (\w+)", synopsis, re.M))):
    check(c in commands, f"README names tradebal {c}, which exists")
for page in ("user-guide.md", "formats.md", "config.md", "model.md", "worked-example.md", "cli.md", "code-map.md",
             "python.md", "python-api.md", "api.md", "dashboard.md"):
    check(os.path.isfile(os.path.join(DOCS, page)) and f"docs/{page}" in readme, f"docs/{page} exists and README links it")


def code_words(path):
    """The identifiers of a source file outside its comments."""
    text = re.sub(r"/\*.*?\*/", " ", open(path).read(), flags=re.S)
    return set(re.findall(r"\w+", re.sub(r"//[^\n]*", " ", text)))


# docs/code-map.md and host/README.md: every cited file exists and every cited name is in it (issue 21)
cited = 0
for doc in ("docs/code-map.md", "host/README.md"):
    text = open(os.path.join(REPO, doc)).read()
    for ref in re.findall(r"`([\w./-]+\.(?:c|h|cu|txt|py|md|sh)|[\w./-]+/)(?::(\w+))?`", text):
        path, name = ref
        full = os.path.join(REPO, path)  # host/README.md also names files relative to host/
        if not os.path.exists(full) and doc == "host/README.md":
            full = os.path.join(REPO, "host", path)
        cited += 1
        check(os.path.exists(full), f"{doc} cites {path}, which exists")
        if name and os.path.isfile(full):
            check(name in code_words(full), f"{doc} cites {path}:{name}, which is in that file")
check(cited >= 100, f"the code map cites {cited} files and names")
check.finish()
