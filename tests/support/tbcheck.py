"""Shared by the Python tests: count checks and close with the 'N passed, N failed' line."""
import sys


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what, file=sys.stderr)

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


class Tradebal:
    """argv = [script, TRADEBAL, WORKDIR, MPIEXEC...]: works in WORKDIR (created), one OpenMP thread
    per rank; run() starts the binary, under MPIEXEC -n RANKS when ranks > 1."""

    def __init__(self, argv):
        import os
        self.tb, self.work, self.mpi = argv[1], os.path.abspath(argv[2]), argv[3:]
        os.makedirs(self.work, exist_ok=True)
        os.chdir(self.work)
        os.environ["OMP_NUM_THREADS"] = "1"

    def cmd(self, args, ranks=1):
        return ([*self.mpi, "-n", str(ranks)] if ranks > 1 else []) + [self.tb, *args]

    def run(self, args, ranks=1, env=None):
        import os
        import subprocess
        return subprocess.run(self.cmd(args, ranks), capture_output=True, text=True,
                              env={**os.environ, **(env or {})})


def h5_snapshot(path):
    """Every dataset and every attribute below the root: name -> (shape, type, bytes)."""
    import h5py
    import numpy as np
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = (obj.shape, obj.dtype.str, np.asarray(obj[()]).tobytes())
        for k, v in obj.attrs.items():
            out[f"{name}@{k}"] = (np.shape(v), str(np.asarray(v).dtype), np.asarray(v).tobytes())
    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


def h5_differences(a, b):
    """Names (datasets, NAME@attribute) that differ between two HDF5 files, the root's attributes aside (they
    hold the time, the rank count and the config): h5diff, and bitwise with shapes and types, since h5diff
    exits 0 when it finds two datasets of different shapes 'not comparable' (0 rows against 1 would pass)."""
    import subprocess
    r = subprocess.run(["h5diff", "--exclude-attribute", "/", a, b], capture_output=True, text=True)
    sa, sb = h5_snapshot(a), h5_snapshot(b)
    diff = sorted(k for k in sa.keys() | sb.keys() if sa.get(k) != sb.get(k))
    return diff + ([f"h5diff exit {r.returncode}"] if r.returncode != 0 else [])

