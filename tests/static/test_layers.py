#!/usr/bin/python3
"""The layering of host/README.md, checked (issue 21): a file may include a header of a lower layer or
of its own folder, never one of a higher layer or of another folder of its own layer; HDF5 and MPI
appear only where their layer says; every header declares only its own file's functions (a header
foo.h: functions defined in foo.c or foo.cu beside it); no include climbs with '../'; and no circle between
files (foo.c with foo.h is one unit; a unit depends on the units whose headers it includes).
Usage: test_layers.py SOURCE_DIR"""
import glob
import os
import re
import sys

# bottom to top; folders of one level may not include each other
# kernels/ implements host/backend's ops table for CUDA, so it sits just above it
# host/api is libtradebal's public API: over the model and io's format tables, never HDF5 or MPI (NOT_IN)
LEVEL = {"host/serve": 6.5, "host/core": 0, "mpi": 1, "host/math": 1, "host/backend": 2, "kernels": 2.5, "host/model": 3, "host/api": 4.5,
         "host/io": 4, "host/config": 5, "host/run": 6, "host/cmd": 7}
# system headers only a layer and those above it may include
SYSTEM_FROM = {"hdf5.h": "host/io", "mpi.h": "mpi", "ini.h": "host/config"}
SYSTEM_ONLY_IN = {"mpi.h": {"mpi"}}  # MPI is called from mpi/ alone
# the MPI half of parallel HDF5 (the file-access property list with a communicator and MPI-IO hints)
SYSTEM_EXCEPT = {("mpi/tb_comm_h5.c", "hdf5.h")}
# libtradebal's public header keeps the name users include; tb_api.c defines what it declares
IMPLEMENTED_BY = {"host/api/tradebal": "host/api/tb_api"}
# what a folder may not include although its level allows it
NOT_IN = {"host/api": {"tb_h5.h", "tb_comm.h", "tb_validate.h", "hdf5.h", "mpi.h"}}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
PROTO = re.compile(r"^(?!static|typedef|#|extern\s+const|\s)[A-Za-z_][\w\s\*]*?\b(tb_\w+)\s*\([^;{]*\)\s*;", re.M)
DEFN = re.compile(r"^(?!static)[A-Za-z_][\w\s\*]*?\b(tb_\w+)\s*\([^;]*?\)\s*\{", re.M)


def folder(path):
    d = os.path.dirname(path)
    return d if d in LEVEL else None


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def circles(files, home):
    """Depth-first search for a cycle in the include graph of units (stems)."""
    deps = {}
    for f in files:
        unit = os.path.splitext(f)[0]
        for kind, inc in INCLUDE.findall(open(f).read()):
            target = home.get(os.path.basename(inc))
            if kind == '"' and target and os.path.splitext(target)[0] != unit:
                deps.setdefault(unit, set()).add(os.path.splitext(target)[0])
    state, stack = {}, []

    def visit(u):
        state[u] = 1
        stack.append(u)
        for v in sorted(deps.get(u, ())):
            if state.get(v) == 1:
                yield "circle: " + " -> ".join(stack[stack.index(v):] + [v])
            elif not state.get(v):
                yield from visit(v)
        stack.pop()
        state[u] = 2

    for u in sorted(deps):
        if not state.get(u):
            yield from visit(u)


def main(root):
    os.chdir(root)
    files = sorted(f for pat in ("host/*/*.[ch]", "mpi/*.[ch]", "kernels/*.cu", "kernels/*.h")
                   for f in glob.glob(pat))
    stray = sorted(glob.glob("host/*.[ch]"))
    home = {}
    for f in files:
        if os.path.basename(f) in home:
            yield f"{f}: the name {os.path.basename(f)} is also {home[os.path.basename(f)]} (names are unique)"
        home[os.path.basename(f)] = f
    for f in stray:
        yield f"{f}: every host file lives in a layer's folder (host/README.md)"
    defined = {}
    for f in files:
        if f.endswith((".c", ".cu")):
            for name in DEFN.findall(strip_comments(open(f).read())):
                defined.setdefault(name, set()).add(os.path.splitext(f)[0])
    checked = 0
    for f in files:
        text = open(f).read()
        me = folder(f)
        for kind, inc in INCLUDE.findall(text):
            checked += 1
            base = os.path.basename(inc)
            if kind == '"' and ("/" in inc or inc.startswith(".")):
                yield f"{f}: #include \"{inc}\": include by name; CMake sets the folders"
            if kind == '"' and base in home:
                other = folder(home[base])
                if other != me and LEVEL[other] >= LEVEL[me]:
                    yield (f"{f} ({me}, level {LEVEL[me]}) includes {home[base]} ({other}, level {LEVEL[other]}): "
                           "only lower layers")
            elif kind == '"' and not inc.startswith("Random123"):
                yield f"{f}: #include \"{inc}\" is not a file of host/, mpi/ or kernels/"
            if base in SYSTEM_FROM and LEVEL[me] < LEVEL[SYSTEM_FROM[base]] and (f, base) not in SYSTEM_EXCEPT:
                yield f"{f}: includes <{base}>, which starts at {SYSTEM_FROM[base]}"
            if base in NOT_IN.get(me, ()):
                yield f"{f}: includes {base}, which {me} may not (no HDF5, no MPI)"
            if base in SYSTEM_ONLY_IN and me not in SYSTEM_ONLY_IN[base]:
                yield f"{f}: includes <{base}>; only {', '.join(sorted(SYSTEM_ONLY_IN[base]))} may"
        if f.endswith(".h"):
            stem = os.path.splitext(f)[0]
            stem = IMPLEMENTED_BY.get(stem, stem)
            for name in PROTO.findall(strip_comments(text)):
                where = defined.get(name, set())
                if stem not in where:
                    got = ", ".join(sorted(w + ".c" for w in where)) or "nowhere"
                    yield f"{f}: declares {name}, defined in {got}: a header declares its own file's functions"
    yield from circles(files, home)
    if checked < 200:
        yield f"only {checked} includes seen: is {root} the source tree?"


if __name__ == "__main__":
    problems = list(main(sys.argv[1] if len(sys.argv) > 1 else "."))
    for p in problems:
        print(p)
    print(f"test_layers: {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)
