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
