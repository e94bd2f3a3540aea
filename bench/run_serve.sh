#!/bin/bash
# Latency of `tradebal serve` under load, measured with hey (issue 23): certificate validation and a single
# nested deal at 1, 50, 1000 and 5000 concurrent clients (p50, p95, p99 of the answered requests,
# throughput, the share refused with 503 + Retry-After, and anything else: errors, lost requests), and
# 1000- and 5000-deal columnar batches at 1 and 50 clients. The server runs on this machine on loopback,
# with its defaults ([limits] workers = CPUs, queue = 256); hey shares the CPUs with it.
#
# Usage: bench/run_serve.sh [--tiny] [--save]
#   --tiny  few requests and clients (keeps the script working in CI: bench_tiny); figures meaningless
#   --save  write the table to bench/results/serve-<kind>-<date>.md
# Environment: BUILD_DIR (default build), PYTHON (default /usr/bin/python3), TB_MACHINE_KIND.
set -euo pipefail
cd "$(dirname "$0")/.."
TINY=0 SAVE=0
for a in "$@"; do
  case $a in
  --tiny) TINY=1 ;; --save) SAVE=1 ;;
  -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
  *) echo "run_serve: unknown option $a" >&2; exit 2 ;;
  esac
done
BUILD_DIR=${BUILD_DIR:-build}
PY=${PYTHON:-/usr/bin/python3}
TB=$(realpath -m "$BUILD_DIR/tradebal")
command -v hey >/dev/null || { echo "run_serve: hey not found (apt-get install hey)" >&2; exit 77; }
[ -x "$TB" ] || { echo "run_serve: $TB not built" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true # thousands of client sockets
D=$(mktemp -d)
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
mkdir -p "$D/inputs"
if [ "$TINY" = 1 ]; then
  ENT=2000 DEALS=6000 CONC="1 20" BATCH_CONC="1 4" N_MIN=40 N_PER=2 BATCHES="1000"
else
  ENT=200000 DEALS=200000 CONC="1 50 1000 5000" BATCH_CONC="1 50" N_MIN=2000 N_PER=4 BATCHES="1000 5000"
fi
"$TB" generate -o "$D/inputs/bench.h5" --entities $ENT --deals $DEALS --seed 11 >/dev/null 2>&1
# the bodies: a certificate order against a registry, one nested deal, columnar batches of the input's deals
"$PY" - "$D" "$BATCHES" <<'PYEOF'
import json, sys
import h5py, numpy as np
d, batches = sys.argv[1], [int(x) for x in sys.argv[2].split()]
with h5py.File(f"{d}/inputs/bench.h5", "r") as f:
    g = {k: f["deals/" + k][()] for k in ("party_ptr", "party_entity", "importer", "trade_value", "comp_ptr",
                                           "comp_dim", "comp_prob", "flow_ptr", "flow_period", "flow_amount")}
    n = f["entities/type"].shape[0]
rng = np.random.default_rng(5)
with h5py.File(f"{d}/inputs/registry.h5", "w") as f:
    f["market/holdings"] = rng.uniform(0, 10, (n, 8))
json.dump({"holdings": "inputs/registry.h5", "kind": "order", "side": "sell", "entity": int(n // 3), "region": 3,
           "quantity": 1.5, "price": 0.8}, open(f"{d}/cert.json", "w"))
def deal(i):
    p0, p1 = g["party_ptr"][i], g["party_ptr"][i + 1]
    parties = []
    for p in range(p0, p1):
        comps = []
        for c in range(g["comp_ptr"][p], g["comp_ptr"][p + 1]):
            fl = range(g["flow_ptr"][c], g["flow_ptr"][c + 1])
            comps.append({"dim": int(g["comp_dim"][c]), "prob": float(g["comp_prob"][c]),
                          "flows": [{"period": int(g["flow_period"][k]), "amount": float(g["flow_amount"][k])} for k in fl]})
        parties.append({"entity": int(g["party_entity"][p]), "components": comps})
    return {"importer": int(g["importer"][i]), "trade_value": float(g["trade_value"][i]), "parties": parties}
json.dump({"input": "inputs/bench.h5", "deal": deal(17)}, open(f"{d}/deal.json", "w"))
for m in batches:
    pp = g["party_ptr"][: m + 1]
    cp = g["comp_ptr"][: pp[-1] + 1]
    fp = g["flow_ptr"][: cp[-1] + 1]
    cols = {"party_ptr": pp, "party_entity": g["party_entity"][: pp[-1]], "importer": g["importer"][:m],
            "trade_value": g["trade_value"][:m], "comp_ptr": cp, "comp_dim": g["comp_dim"][: cp[-1]],
            "comp_prob": g["comp_prob"][: cp[-1]], "flow_ptr": fp, "flow_period": g["flow_period"][: fp[-1]],
            "flow_amount": g["flow_amount"][: fp[-1]]}
    body = {"input": "inputs/bench.h5", "deals": {k: v.tolist() for k, v in cols.items()}}
    json.dump(body, open(f"{d}/batch{m}.json", "w"))
PYEOF
"$TB" serve token --file "$D/tokens" --scopes read --name bench >"$D/token"
"$TB" serve --set server.port=0 --set "server.port_file=$D/port" --set "server.data_root=$D" \
  --set "server.token_file=$D/tokens" --set limits.max_connections=16384 2>"$D/server.log" &
SRV=$!
for _ in $(seq 200); do [ -s "$D/port" ] && break; sleep 0.05; done
URL=http://127.0.0.1:$(cat "$D/port")
TOKEN=$(cat "$D/token")
ROWS=$D/rows
# one hey run: its csv (one row per answered request) and summary give the row
measure() { # name clients requests body
  local name=$1 c=$2 n=$3 body=$4
  curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    --data-binary "@$body" "$URL${name#* }" # warm the file cache, fail loudly on a bad body
  hey -n "$n" -c "$c" -m POST -T application/json -H "Authorization: Bearer $TOKEN" -D "$body" -t 60 \
    -o csv "$URL${name#* }" >"$D/csv" 2>"$D/hey.err" || true
  "$PY" - "$name" "$c" "$n" "$D/csv" >>"$ROWS" <<'PYEOF'
import sys
import numpy as np
name, c, n, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = [l.split(",") for l in open(path).read().splitlines()[1:] if l.strip()]
t = np.array([float(r[0]) for r in rows])
code = np.array([int(r[6]) for r in rows])
start = np.array([float(r[7]) for r in rows])
wall = float(np.max(start + t)) if len(t) else float("nan")
ok = t[code == 200]
p = (lambda q: 1e3 * np.percentile(ok, q)) if len(ok) else (lambda q: float("nan"))
busy = int(np.sum(code == 503))
other = len(code) - len(ok) - busy
lost = n - len(code)
print(f"| {name} | {c} | {n} | {p(50):.1f} | {p(95):.1f} | {p(99):.1f} | {len(ok) / wall:.0f} | "
      f"{100.0 * busy / n:.1f}% | {other} | {lost} |")
PYEOF
}
: >"$ROWS"
for c in $CONC; do
  n=$(( c * N_PER > N_MIN ? c * N_PER : N_MIN ))
  measure "POST /v1/certificates/validate" "$c" "$n" "$D/cert.json"
  measure "POST /v1/deals/evaluate" "$c" "$n" "$D/deal.json"
done
for m in $BATCHES; do
  for c in $BATCH_CONC; do
    n=$(( TINY == 1 ? 8 : (c == 1 ? 100 : 500) ))
    measure "POST /v1/deals/evaluate" "$c" "$n" "$D/batch$m.json"
    sed -i "\$ s|/v1/deals/evaluate |/v1/deals/evaluate ($m-deal batch) |" "$ROWS"
  done
done
CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
KIND=${TB_MACHINE_KIND:-cpu-$(nproc)core}
REPORT=$D/report.md
{
  echo "## tradebal serve under load ($(date -u +%Y-%m-%d), $KIND: $(nproc) x $CPU)"
  echo
  echo "tradebal $("$TB" version | head -1 | cut -d' ' -f2), commit $(git rev-parse --short HEAD 2>/dev/null || echo none);" \
       "hey $(dpkg-query -W -f='${Version}' hey 2>/dev/null || echo '?'); server defaults (workers = $(nproc)," \
       "queue 256) on loopback, sharing the CPUs with hey; input $ENT entities, $DEALS deals."
  echo "Latencies are of the requests answered 200; throughput counts them; 503 is the share refused with"
  echo "Retry-After; other: any other status or error; lost: requests hey never got an answer to."
  echo
  echo "| endpoint | clients | requests | p50 ms | p95 ms | p99 ms | answered/s | 503 | other | lost |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  cat "$ROWS"
} >"$REPORT"
cat "$REPORT"
if [ "$SAVE" = 1 ]; then
  mkdir -p bench/results
  cp "$REPORT" "bench/results/serve-$KIND-$(date -u +%Y%m%d).md"
  echo "run_serve: saved bench/results/serve-$KIND-$(date -u +%Y%m%d).md" >&2
fi
grep -q "ERROR: AddressSanitizer\|runtime error" "$D/server.log" && { cat "$D/server.log" >&2; exit 1; }
exit 0
