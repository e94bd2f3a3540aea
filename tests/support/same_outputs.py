#!/usr/bin/python3
"""same_outputs.py BEFORE AFTER (see same_outputs.sh): every .h5 under BEFORE against the same path under AFTER,
bitwise: every dataset (shape, type, bytes) and every attribute of every object, the root's `created` aside.
Inside strings the two folders' own paths may differ (the config text names the output file)."""
import os
import sys

import h5py
import numpy as np

# outputs of inputs that jobs/us2023.sh imports afresh on every call: the input's `created` attribute changes
# its SHA-256; us_fixed.h5 is the same run on the one input both sides share
FRESH_INPUT = {"us/us2023_out.h5", "us/us2023_sweep.h5"}


def normalise(v, folders):
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    if isinstance(v, str):
        for f in folders:
            v = v.replace(f, "<OUT>")
    return v


def same(a, b, folders):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "SUO" and b.dtype.kind == a.dtype.kind:
        return [normalise(x, folders) for x in a.ravel().tolist()] == [normalise(x, folders) for x in b.ravel().tolist()]
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


def differences(fa, fb, folders, skip):
    def attrs(o):
        return {k: v for k, v in o.attrs.items() if not (o.name == "/" and k in skip)}

    out = []
    with h5py.File(fa, "r") as A, h5py.File(fb, "r") as B:
        na, nb = [], []
        A.visit(na.append)
        B.visit(nb.append)
        if sorted(na) != sorted(nb):
            out.append(f"objects: {sorted(set(na) ^ set(nb))[:5]}")
        for n in ["/"] + [n for n in na if n in B]:
            aa, ab = attrs(A[n]), attrs(B[n])
            if sorted(aa) != sorted(ab) or any(not same(aa[k], ab[k], folders) for k in aa):
                out.append(f"{n}: attributes")
            if isinstance(A[n], h5py.Dataset) and not same(A[n][()], B[n][()], folders):
                out.append(f"{n}: data")
    return out


def main(before, after):
    folders = [os.path.realpath(before), os.path.realpath(after)]
    files = bad = 0
    for root, _, names in os.walk(before):
        for name in sorted(n for n in names if n.endswith(".h5")):
            pa = os.path.join(root, name)
            rel = os.path.relpath(pa, before)
            pb = os.path.join(after, rel)
            files += 1
            skip = {"created", "input_sha256"} if rel in FRESH_INPUT else {"created"}
            diff = differences(pa, pb, folders, skip) if os.path.exists(pb) else ["missing"]
            if diff:
                bad += 1
                print(f"{rel}: {', '.join(diff[:5])}")
    print(f"same_outputs: {files} files compared, {bad} differ")
    return 1 if bad or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
