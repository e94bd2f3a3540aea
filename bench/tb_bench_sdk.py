#!/usr/bin/python3
"""The Python SDK against what it wraps (issue 22, point 5), on the same deals, the same machine, the same run:

  (a) single-deal latency: tradebal.evaluate() on one 3-party deal held in a dict of arrays, each call timed,
      against libtradebal called directly from C (bench/tb_bench_api: tb_api_check + tb_api_evaluate, what
      evaluate() asks of the library) on the same deal;
  (b) batch throughput: tradebal.evaluate() on the arrays of a generated input already in memory (file reading
      excluded on both sides) against tb_bench_api on the same arrays, the same OpenMP threads (threads = 0);
  (c) chunked reading: Result.deals(chunk=...) and Result.parties(chunk=...) over a `tradebal run` output
      against raw h5py slices of the same datasets with the same chunk size, each chunk's arrays held until the
      next is read as a consumer holds them (both from the page cache: the file is read once before timing).

Usage: tb_bench_sdk.py --batch-input IN.h5 --read-input IN.h5 [--build build] [--calls 2000] [--reps 5]
                       [--read-reps 9] [--chunks 100000,1000000] [--workdir DIR]
Prints a provenance header, a table (ratio SDK / direct: > 1 means the SDK takes longer), the direct benchmark's
log, and @row lines for bench/run_all."""
import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def p95(v):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, -(-95 * len(v) // 100) - 1))]  # nearest rank, as tb_bench_api


def sh(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"tb_bench_sdk: {' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r.stdout


def direct(exe, path, calls, warmup):
    """tb_bench_api on an input file: ({case: (median, p95, min)}, its log, the C sum of final values)."""
    out = sh(exe, path, str(calls), str(warmup))
    cases, total = {}, None
    for line in out.splitlines():
        if line.startswith("@api|"):
            _, name, med, q95, lo, _n = line.split("|")
            cases[name] = (float(med), float(q95), float(lo))
        elif line.startswith("# sum of final values "):
            total = float(line.split()[-1])
    return cases, out, total


def read_arrays(np, h5py, path):
    """The section 1 arrays evaluate() reads, as a dict by dataset name (what a user would hold in memory)."""
    from tradebal.evaluate import DEAL_FIELDS, ENTITY_FIELDS
    out = {}
    with h5py.File(path, "r") as f:
        for group, fields in (("entities", ENTITY_FIELDS), ("deals", DEAL_FIELDS)):
            for k, t in fields.items():
                if f"{group}/{k}" in f:
                    out[f"/{group}/{k}"] = np.ascontiguousarray(f[f"{group}/{k}"][()], dtype=t)
        if "model/translation" in f:
            out["/model/translation"] = f["model/translation"][()]
    return out


def one_deal(np, a):
    """The first 3-party deal of `a` whose parties are distinct entities, with its own 3-entity table."""
    pp = a["/deals/party_ptr"]
    d = next(i for i in range(len(pp) - 1) if pp[i + 1] - pp[i] == 3
             and len(set(a["/deals/party_entity"][pp[i]:pp[i + 1]].tolist())) == 3)
    p0, p1 = int(pp[d]), int(pp[d + 1])
    cp = a["/deals/comp_ptr"][p0:p1 + 1]
    c0, c1 = int(cp[0]), int(cp[-1])
    fp = a["/deals/flow_ptr"][c0:c1 + 1]
    f0, f1 = int(fp[0]), int(fp[-1])
    ents = a["/deals/party_entity"][p0:p1]
    out = {k: v[ents].copy() for k, v in a.items() if k.startswith("/entities/")}
    out.update({
        "/deals/party_ptr": np.array([0, 3], np.int64), "/deals/party_entity": np.arange(3, dtype=np.int64),
        "/deals/importer": a["/deals/importer"][d:d + 1].copy(), "/deals/trade_value": a["/deals/trade_value"][d:d + 1].copy(),
        "/deals/comp_ptr": cp - c0, "/deals/comp_dim": a["/deals/comp_dim"][c0:c1].copy(),
        "/deals/comp_prob": a["/deals/comp_prob"][c0:c1].copy(), "/deals/flow_ptr": fp - f0,
        "/deals/flow_period": a["/deals/flow_period"][f0:f1].copy(),
        "/deals/flow_amount": a["/deals/flow_amount"][f0:f1].copy()})
    if "/model/translation" in a:
        out["/model/translation"] = a["/model/translation"]
    return out


def write_arrays(h5py, path, a):
    with h5py.File(path, "w") as f:
        for k, v in a.items():
            f.create_dataset(k, data=v)


def seq_sum(np, v):
    """Left-to-right sum, as tb_bench_api's loop adds (so the two checksums compare bitwise)."""
    return float(np.cumsum(v)[-1]) if len(v) else 0.0


def time_sdk(tb, src, calls, warmup):
    """Seconds of each of `calls` evaluate(src) after `warmup` untimed ones; the last Evaluation."""
    t = []
    for r in range(-warmup, calls):
        t0 = time.perf_counter()
        ev = tb.evaluate(src)
        if r >= 0:
            t.append(time.perf_counter() - t0)
    return t, ev


def time_frames(tb, ev, src, calls):
    """Seconds of building the Evaluation's DataFrames alone from arrays already computed (part of evaluate())."""
    t = []
    for _ in range(calls):
        t0 = time.perf_counter()
        tb.Evaluation(ev.arrays, src["/deals/party_ptr"], src["/deals/party_entity"])
        t.append(time.perf_counter() - t0)
    return t


def time_marshal(src, calls):
    """Seconds of evaluate()'s own conversion of the dict into the library's structures (ctypes pointers)."""
    from tradebal.evaluate import _arrays_of, _structs
    t = []
    for _ in range(calls):
        t0 = time.perf_counter()
        _structs(_arrays_of(src))
        t.append(time.perf_counter() - t0)
    return t


def time_calls(np, src, calls, warmup):
    """Seconds of the two library calls evaluate() makes (tb_api_check, tb_api_evaluate) made through ctypes on
    structures built once: the cost of crossing into the library from Python, without the SDK's own work."""
    import ctypes
    from tradebal import _lib
    from tradebal.evaluate import _arrays_of, _params, _structs
    lib = _lib.library()
    E, D, keep = _structs(_arrays_of(src))
    p, m = D.n_parties, D.n_deals
    out = [np.empty(p), np.empty(p), np.empty(p), np.empty(m, np.uint8), np.empty(m), np.empty(m)]
    R = _lib.Results(*(_lib.ptr(v, _lib._u8 if v.dtype == np.uint8 else _lib._f64) for v in out))
    err, par = _lib.Error(), _params("expected", "nash", "repair", 0.5, 0)
    e, d, r, x, q = ctypes.byref(E), ctypes.byref(D), ctypes.byref(R), ctypes.byref(err), ctypes.byref(par)
    t = []
    for i in range(-warmup, calls):
        t0 = time.perf_counter()
        _lib.check(lib.tb_api_check(e, d, x), err)
        _lib.check(lib.tb_api_evaluate(q, e, d, None, r, x), err)
        if i >= 0:
            t.append(time.perf_counter() - t0)
    del keep
    return t


def provenance(np, args, threads):
    def ver(m):
        try:
            return __import__(m).__version__
        except ImportError:
            return "none"
    model = "?"
    try:
        model = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", ROOT, "diff", "--quiet"]).returncode != 0
    import tradebal
    return "\n".join([
        f"# tradebal {tradebal.__version__} (git {git.stdout.strip() or '?'}{'+changes' if dirty else ''}) "
        f"bench/tb_bench_sdk.py, {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
        f"# host {platform.node()} ({platform.system()} {platform.release()}), cpu {model}, {os.cpu_count()} cores, "
        f"{mem:.0f} GiB",
        f"# library {args.lib} (libtradebal {tradebal._lib.version()}); direct side {args.c_bench}",
        f"# Python {platform.python_version()}, NumPy {ver('numpy')}, pandas {ver('pandas')}, h5py {ver('h5py')}"
        f" (HDF5 {__import__('h5py').version.hdf5_version})",
        f"# parallelism: 1 process, {threads} OpenMP threads on both sides (evaluate(threads=0), tb_api_params "
        f"threads 0); timings: median (and p95) of each call timed on its own after a warm-up; reading: median "
        f"of {args.read_reps}, SDK and h5py alternating, from the page cache",
        "# ratio: SDK / direct = SDK time / direct time (> 1: the SDK takes longer)"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch-input", required=True, help="input file for (a) and (b) (`tradebal generate`)")
    ap.add_argument("--read-input", required=True, help="input file whose `tradebal run` output (c) reads")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--c-bench", help="tb_bench_api (default BUILD/bench/tb_bench_api)")
    ap.add_argument("--calls", type=int, default=2000, help="timed single-deal calls")
    ap.add_argument("--reps", type=int, default=5, help="timed batch evaluations")
    ap.add_argument("--read-reps", type=int, default=9, help="timed read passes (each side)")
    ap.add_argument("--chunks", default="100000,1000000", help="chunk sizes (rows) for (c)")
    ap.add_argument("--workdir", help="where the single-deal file and the run output go (removed at the end)")
    args = ap.parse_args()
    args.c_bench = args.c_bench or os.path.join(args.build, "bench", "tb_bench_api")
    args.lib = os.environ.setdefault("TRADEBAL_LIB", os.path.join(os.path.abspath(args.build), "libtradebal.so.0"))
    exe = os.environ.setdefault("TRADEBAL_EXE", os.path.join(os.path.abspath(args.build), "tradebal"))
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import h5py
    import numpy as np
    import tradebal
    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or os.cpu_count()
    # absolute: a relative path in the run's .ini would be taken relative to the .ini's own folder
    work = os.path.abspath(tempfile.mkdtemp(prefix="tb_bench_sdk.", dir=args.workdir))
    rows, table, logs = [], [], []
    try:
        # ---- (a) one deal ----
        batch = read_arrays(np, h5py, args.batch_input)
        single = one_deal(np, batch)
        single_path = os.path.join(work, "one_deal.h5")
        write_arrays(h5py, single_path, single)
        warm = max(1, min(200, args.calls // 10))
        c, log, csum = direct(args.c_bench, single_path, args.calls, warm)
        logs.append(log)
        t, ev = time_sdk(tradebal, single, args.calls, warm)
        tf = time_frames(tradebal, ev, single, args.calls)
        tm = time_marshal(single, args.calls)
        tc = time_calls(np, single, args.calls, warm)
        assert seq_sum(np, ev.arrays["final_value"]) == csum, "SDK and C differ on the single deal"
        sdk, dc, de = median(t), c["check+evaluate"][0], c["evaluate"][0]
        nf = len(single["/deals/flow_amount"])
        table.append(("single-deal evaluate latency (3 parties, %d flows), median" % nf, "%.1f µs" % (sdk * 1e6),
                      "%.2f µs" % (dc * 1e6), "C: tb_api_check + tb_api_evaluate", sdk / dc,
                      "p95 SDK %.1f µs, C %.2f µs; C evaluate alone %.2f µs; of the SDK's time %.1f µs (%.0f%%) "
                      "builds the Evaluation's DataFrames and %.1f µs (%.0f%%) turns the dict into the library's "
                      "structures (ctypes); the two library calls alone through ctypes take %.2f µs"
                      % (p95(t) * 1e6, c["check+evaluate"][1] * 1e6, de * 1e6, median(tf) * 1e6,
                         100 * median(tf) / sdk, median(tm) * 1e6, 100 * median(tm) / sdk, median(tc) * 1e6)))
        rows.append(("Python SDK: single-deal evaluate latency (3 parties), median", sdk * 1e6, "µs a call", "C libtradebal",
                     dc / sdk, "SDK / C %.0fx; p95 %.1f µs against %.2f µs; DataFrames %.0f%%, ctypes structures %.0f%% of the SDK's "
                     "time; the bare ctypes calls %.2f µs" % (sdk / dc, p95(t) * 1e6, c["check+evaluate"][1] * 1e6,
                                                              100 * median(tf) / sdk, 100 * median(tm) / sdk,
                                                              median(tc) * 1e6)))

        # ---- (b) a batch ----
        m = len(batch["/deals/party_ptr"]) - 1
        c, log, csum = direct(args.c_bench, args.batch_input, args.reps, 1)
        logs.append(log)
        t, ev = time_sdk(tradebal, batch, args.reps, 1)
        tf = time_frames(tradebal, ev, batch, args.reps)
        same = seq_sum(np, ev.arrays["final_value"]) == csum
        assert same, "SDK and C differ on the batch"
        sdk, dc, de = median(t), c["check+evaluate"][0], c["evaluate"][0]
        table.append(("batch evaluate throughput (%d deals, %d parties, in memory)" % (m, len(ev.parties)),
                      "%.4g deals/s" % (m / sdk), "%.4g deals/s" % (m / dc), "C: tb_api_check + tb_api_evaluate",
                      sdk / dc, "C evaluate alone %.4g deals/s; of the SDK's %.3f s, %.3f s (%.0f%%) builds the "
                      "Evaluation's DataFrames" % (m / de, sdk, median(tf), 100 * median(tf) / sdk)))
        rows.append(("Python SDK: batch evaluate (%d deals)" % m, m / sdk, "deals/s", "C libtradebal", dc / sdk,
                     "SDK / C %.2fx; DataFrames %.0f%% of the SDK's time" % (sdk / dc, 100 * median(tf) / sdk)))
        del batch, ev

        # ---- (c) chunked reading of a run's output ----
        out = os.path.join(work, "out.h5")
        ini = os.path.join(work, "run.ini")
        with open(ini, "w") as fh:
            fh.write(f"[input]\nfile = {os.path.abspath(args.read_input)}\n[output]\nfile = {out}\n"
                     "overwrite = true\n[run]\nprogress = never\n")
        sh(exe, "run", "-c", ini)
        with tradebal.open(out) as res, h5py.File(out, "r") as raw:
            for what in ("deals", "parties"):
                it = getattr(res, what)
                cols = list(next(it(chunk=1)).columns)
                dss = [raw["/deals/" + c] for c in cols]
                n = dss[0].shape[0]
                nbytes = sum(d.dtype.itemsize * n for d in dss)
                for chunk in [int(x) for x in args.chunks.split(",")]:
                    def sdk_pass():
                        k = 0
                        for df in it(chunk=chunk):
                            k += len(df)
                        assert k == n

                    def raw_chunks():
                        for a in range(0, n, chunk):
                            yield [d[a:min(n, a + chunk)] for d in dss]

                    def raw_pass():  # each chunk's arrays live until the next, as the SDK's DataFrame does
                        k = 0
                        for arrays in raw_chunks():
                            k += len(arrays[0])
                        assert k == n
                    sdk_pass(), raw_pass()  # into the page cache (and HDF5's chunk cache settles)
                    ts, tr = [], []
                    for _ in range(args.read_reps):
                        t0 = time.perf_counter()
                        sdk_pass()
                        ts.append(time.perf_counter() - t0)
                        t0 = time.perf_counter()
                        raw_pass()
                        tr.append(time.perf_counter() - t0)
                    s, r = median(ts), median(tr)
                    case = f"Result.{what}(chunk={chunk}) ({n} rows: {', '.join(cols)})"
                    table.append((case, "%.4g MB/s, %.4g rows/s" % (nbytes / s / 1e6, n / s),
                                  "%.4g MB/s, %.4g rows/s" % (nbytes / r / 1e6, n / r),
                                  "raw h5py slices, same datasets and chunk", s / r,
                                  "%.1f MB of datasets; SDK %.3f s, h5py %.3f s" % (nbytes / 1e6, s, r)))
                    rows.append((f"Python SDK: Result.{what}(chunk={chunk}) ({n} rows)", nbytes / s / 1e6, "MB/s",
                                 "raw h5py", r / s, "SDK / h5py %.2fx; %.4g rows/s against %.4g" % (s / r, n / s, n / r)))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(provenance(np, args, threads))
    print()
    print("| case | SDK | direct | direct is | SDK / direct | note |")
    print("|---|---|---|---|---|---|")
    for case, a, b, who, ratio, note in table:
        print(f"| {case} | {a} | {b} | {who} | {ratio:.3g} | {note} |")
    print()
    for log in logs:
        print("\n".join("  " + ln for ln in log.splitlines() if not ln.startswith("@")))
    for case, thr, unit, peer, x, note in rows:
        print(f"@row|{case}|{thr:.4g}|{unit}|0|-|{peer}|{x:.3g}|{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
