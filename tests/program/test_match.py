#!/usr/bin/python3
"""`tradebal match`: a hand-worked order sequence, random streams against a plain Python
order book (lists scanned for the best price, no heaps), identical results at 1, 2 and 4
ranks, and bad input rejected in one line with exit 3 and no output.
Usage: test_match.py TRADEBAL WORKDIR MPIEXEC [FLAGS...]"""
import os
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks, h5_differences  # noqa: E402

TB, WORK, MPI = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3:]
check = Checks()
os.makedirs(WORK, exist_ok=True)


def write(path, holdings, orders):
    ent, reg, side, qty, price, time = (np.array(c) for c in zip(*orders)) if orders else ([],) * 6
    with h5py.File(path, "w") as f:
        f["/market/holdings"] = np.asarray(holdings, float)
        f["/market/orders/entity"] = np.asarray(ent, np.int64)
        f["/market/orders/region"] = np.asarray(reg, np.int32)
        f["/market/orders/side"] = np.asarray(side, np.uint8)
        f["/market/orders/quantity"] = np.asarray(qty, float)
        f["/market/orders/price"] = np.asarray(price, float)
        f["/market/orders/time"] = np.asarray(time, float)


def match(inp, out, ranks=1):
    cmd = ([*MPI, "-n", str(ranks)] if ranks > 1 else []) + [TB, "match", inp, "-o", out, "--overwrite"]
    return subprocess.run(cmd, capture_output=True, text=True)


def reference(holdings, orders):
    """Price-time priority by linear scans; returns trades, status, filled, holdings."""
    hold = np.array(holdings, float)
    reserved = np.zeros_like(hold)
    books = {}
    trades, status, filled = [], [], np.zeros(len(orders))
    arrival = sorted(range(len(orders)), key=lambda i: (orders[i][1], orders[i][5], i))
    for i in arrival:
        e, r, side, q, p, t = orders[i]
        if not q > 0:
            status.append((i, 1)); continue
        if not p >= 0:
            status.append((i, 2)); continue
        if side == 1 and hold[e, r] - reserved[e, r] < q:
            status.append((i, 3)); continue
        status.append((i, 0))
        if side == 1:
            reserved[e, r] += q
        book = books.setdefault(r, [])  # resting: [price, seq, left, index, entity, side]
        left = q
        while left > 0:
            opp = [o for o in book if o[5] != side]
            cross = [o for o in opp if (o[0] <= p if side == 0 else o[0] >= p)]
            if not cross:
                break
            best = min(cross, key=lambda o: (o[0] if side == 0 else -o[0], o[1]))
            x = min(left, best[2])
            buyer, seller = (e, best[4]) if side == 0 else (best[4], e)
            hold[seller, r] -= x
            reserved[seller, r] -= x
            hold[buyer, r] += x
            trades.append((r, i if side == 0 else best[3], best[3] if side == 0 else i, best[0], x, t))
            filled[i] += x
            filled[best[3]] += x
            left -= x
            best[2] -= x
            if best[2] <= 0:
                book.remove(best)
        if left > 0:
            book.append([p, len(status), left, i, e, side])
    trades.sort(key=lambda tr: tr[0])  # stable: region, then sequence
    st = np.zeros(len(orders), np.uint8)
    for i, s in status:
        st[i] = s
    return trades, st, filled, hold


def compare(out, ref, what):
    trades, st, filled, hold = ref
    with h5py.File(out, "r") as f:
        got = list(zip(f["/trades/region"][:], f["/trades/buy_order"][:], f["/trades/sell_order"][:],
                       f["/trades/price"][:], f["/trades/quantity"][:], f["/trades/time"][:]))
        check(len(got) == len(trades), f"{what}: {len(got)} trades, want {len(trades)}")
        check(all(tuple(map(float, a)) == tuple(map(float, b)) for a, b in zip(got, trades)), f"{what}: trades differ")
        check(np.array_equal(f["/orders/status"][:], st), f"{what}: order status")
        check(np.allclose(f["/orders/filled"][:], filled, rtol=0, atol=1e-12), f"{what}: filled")
        check(np.allclose(f["/market/holdings"][:], hold, rtol=0, atol=1e-9), f"{what}: holdings")
        vol = np.zeros(hold.shape[1])
        for tr in trades:
            vol[tr[0]] += tr[4]
        check(np.allclose(f["/regions/volume"][:], vol, rtol=1e-12), f"{what}: volume")


# hand-worked: the sequence of tests/unit/test_cda.c in region 1, a small one in region 0
H = [[10, 10, 0], [0, 0, 0], [5, 5, 0]]
seq = [(1, 0, 5, 1.00), (0, 1, 3, 0.90), (2, 1, 4, 1.10), (2, 1, 2, 1.05), (1, 0, 0, 1.00), (1, 0, 1, -1.0),
       (0, 1, 2, 0.95), (0, 0, 6, 1.20), (1, 1, 1, 1.15), (2, 1, 1, 1.00), (0, 1, 1, 1.30), (0, 1, 1, 1.30),
       (0, 1, 1, 1.25), (1, 0, 2, 1.50)]
orders = [(e, 1, s, q, p, float(t)) for t, (e, s, q, p) in enumerate(seq)] + \
         [(2, 0, 1, 3, 2.0, 0.5), (1, 0, 0, 4, 2.5, 20.0)]  # region 0: rests, then a buy takes 3 at 2.0
hand = os.path.join(WORK, "hand.h5")
write(hand, H, orders)
r = match(hand, os.path.join(WORK, "hand_out.h5"))
check(r.returncode == 0, f"match: {r.stderr}")
ref = reference(H, orders)
check(len(ref[0]) == 8 and ref[3][0, 1] == 9 and ref[3][1, 1] == 6 and ref[3][1, 0] == 3, "hand-worked expectations")
compare(os.path.join(WORK, "hand_out.h5"), ref, "hand-worked")
with h5py.File(os.path.join(WORK, "hand_out.h5"), "r") as f:
    check(list(f["/orders/status"][3:6]) == [3, 1, 2], "rejected with reason codes 3, 1, 2")
    check(abs(f["/regions/vwap"][1] - 14.35 / 13) < 1e-15 and f["/regions/vwap"][0] == 2.0, "vwap")
    check(np.isnan(f["/regions/vwap"][2]), "vwap NaN where nothing traded")
check("accepted" in r.stdout and "orders/s" in r.stdout, "summary printed")

# random streams against the reference, at 1, 2 and 4 ranks
rng = np.random.default_rng(3)
N, R, K = 40, 5, 3000
Hr = rng.integers(0, 20, size=(N, R)).astype(float)
orders = [(int(rng.integers(N)), int(rng.integers(R)), int(rng.integers(2)),
           float(rng.integers(-1, 8)), float(np.round(rng.normal(1.0, 0.1), 2)) if rng.random() > 0.01 else -0.5,
           float(rng.integers(0, 500))) for _ in range(K)]  # integer times: many ties broken by index
rin = os.path.join(WORK, "rand.h5")
write(rin, Hr, orders)
ref = reference(Hr, orders)
check(len(ref[0]) > 500 and (ref[1] == 3).sum() > 10 and (ref[1] == 1).sum() > 10, "a busy random market")
for n in (1, 2, 4):
    out = os.path.join(WORK, f"rand{n}.h5")
    r = match(rin, out, n)
    check(r.returncode == 0, f"match at {n} ranks: {r.stderr}")
    compare(out, ref, f"random stream, {n} ranks")
check(not h5_differences(os.path.join(WORK, "rand1.h5"), os.path.join(WORK, "rand4.h5")),
      "1 and 4 ranks write identical files")

# bad input: one line, exit 3, no output
bad = os.path.join(WORK, "bad.h5")
write(bad, H, [(0, 1, 0, 1, 1.0, 0.0), (7, 1, 0, 1, 1.0, 1.0)])
out = os.path.join(WORK, "bad_out.h5")
for n in (1, 2):
    r = match(bad, out, n)
    msg = [l for l in r.stderr.splitlines() if l.startswith("tradebal")]  # mpiexec adds its own lines
    check(r.returncode == 3 and len(msg) == 1 and "/market/orders/entity: index 1 value 7 breaks rule" in msg[0]
          and bad in msg[0], f"bad entity at {n} ranks: rc {r.returncode} {r.stderr!r}")
    check(not os.path.exists(out), "no output after bad input")
write(bad, [[1.0, -2.0, 0]], [(0, 1, 0, 1, 1.0, 0.0)])
r = match(bad, out)
check(r.returncode == 3 and "/market/holdings: index [0,1] value -2 breaks rule" in r.stderr, f"negative holding: {r.stderr}")
check.finish()
