#!/usr/bin/python3
"""The BLAS/LAPACK the Python peers (NumPy, SciPy) run on, for bench/run_all's provenance header
(issue 25): each BLAS/LAPACK library mapped after importing numpy and scipy.linalg, with OpenBLAS's
build, the kernel it chose and its thread count where the library is an OpenBLAS; threadpoolctl's
view where it is installed. One line. Usage: tb_bench_pyblas.py"""
import ctypes
import os

import numpy

try:
    import scipy.linalg  # noqa: F401 (maps SciPy's LAPACK)
except ImportError:
    pass

libs = []
with open("/proc/self/maps") as f:
    for line in f:
        path = line.split()[-1]
        name = os.path.basename(path)  # shared libraries, not SciPy's own extension modules
        if ("blas" in name or "lapack" in name) and name.startswith("lib") and path not in libs:
            libs.append(path)
parts = []
for path in libs:
    text = path
    try:
        lib = ctypes.CDLL(path)
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        par = {0: "sequential", 1: "pthreads", 2: "openmp"}.get(lib.openblas_get_parallel(), "?")
        text += (f" [{lib.openblas_get_config().decode().strip()}; core {lib.openblas_get_corename().decode()};"
                 f" {lib.openblas_get_num_threads()} threads, {par}]")
    except (OSError, AttributeError):
        pass
    if os.path.realpath(path) != path:
        text += f" -> {os.path.realpath(path)}"
    parts.append(text)
try:
    import threadpoolctl

    tp = "; threadpoolctl: " + ", ".join(
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} {i.get('num_threads')} threads "
        f"{i.get('threading_layer')}" for i in threadpoolctl.threadpool_info())
except ImportError:
    tp = "; threadpoolctl not installed"
print(f"NumPy {numpy.__version__}: " + (", ".join(parts) if parts else "no BLAS library mapped") + tp)
