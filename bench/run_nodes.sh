#!/bin/bash
# Issue 26 point 5: strong and weak scaling of `tradebal run`'s deal stage (compute) and spillover iteration
# (network) at 1, 2, 3 and 6 ranks over the nodes of a private 3-node Slurm cluster (tests/support/slurm/
# cluster.sh --nodes 3: a network, UTS and mount namespace a node, TCP between them; 1 rank on one node, 2 on two,
# 3 one a node, 6 two a node), on generate's random graph and on a region-local one (--locality 0.9). Beside
# the times, the bytes the busiest rank sends by phase (the run's "communication" line): the nodes share this
# machine's cores, so the times mostly measure oversubscription and the bytes are the figure that carries over.
#
# Usage: bench/run_nodes.sh [--tiny]      (the table on stdout, progress on stderr; root, Slurm and iproute2)
#   --tiny  tiny inputs, one repeat: keeps the script working (tests/program/test_bench_tiny.sh)
# Environment: BUILD_DIR (default build), STRONG (deals, default 10^6; entities half that), WEAK (deals a rank,
#   default 2.5*10^5; entities half that), REPS (default 3; the median's times), RANKS (default "1 2 3 6").
# Exit 77 when the cluster cannot start here (no root, Slurm or namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
TB=$(realpath "$BUILD_DIR/tradebal")
STRONG=${STRONG:-1000000} WEAK=${WEAK:-250000} REPS=${REPS:-3} RANKS=${RANKS:-1 2 3 6}
DATA=$PWD/bench/data/nodes # shared by the nodes
if [ "${1:-}" = --tiny ]; then
  STRONG=20000 WEAK=5000 REPS=1 DATA=$(realpath "$BUILD_DIR")/nodes-tiny
fi
CL=$DATA/cluster
mkdir -p "$DATA"
step() { echo "run_nodes: $*" >&2; }
T0=$(date +%s) LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

tests/support/slurm/cluster.sh stop "$CL" >/dev/null 2>&1 || true # a cluster an interrupted run left
ENV_LINES=$(tests/support/slurm/cluster.sh start "$CL" --nodes 3 2>"$DATA/cluster.err") || {
  rc=$?
  cat "$DATA/cluster.err" >&2
  [ "$rc" = 77 ] && echo "run_nodes: skipped: no private cluster here" >&2
  exit "$rc"
}
trap 'tests/support/slurm/cluster.sh stop "$CL" >/dev/null 2>&1; [ "${1:-}" = --tiny ] && rm -rf "$DATA"' EXIT
eval "$ENV_LINES"
# 6 ranks on 2 cores: an idle rank must yield its core, or waits spin and the run is several times slower
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1 OMP_NUM_THREADS=1

gen() { # gen FILE DEALS [generate options]: entities half the deals, generated once
  local f=$1 d=$2
  shift 2
  [ -f "$f" ] || "$TB" generate -o "$f" --entities $((d / 2)) --deals "$d" --seed 1 "$@" >/dev/null
}
nodes_of() { [ "$1" -le 3 ] && echo "$1" || echo 3; }
median() { sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# One run's figures: compute s, network s, Jacobi iterations, halo of the busiest rank, then MB the busiest rank sent in all and
# in the deals, markets, policies and network phases (0 at 1 rank, which prints no communication line).
figures() {
  sed -n 's/.*compute \([0-9.]*\).*network \([0-9.]*\).*/\1 \2/p' "$1" | tr '\n' ' '
  sed -n 's/.* \([0-9]*\) Jacobi iterations.*/\1/p' "$1" | tr '\n' ' '
  sed -n 's/.*(\([0-9]*\) on the busiest rank).*/\1/p' "$1" | grep . || echo 0
  sed -n 's/.*communication: \([0-9.]*\) MB sent by the busiest.*deals \([0-9.]*\), markets \([0-9.]*\), policies \([0-9.]*\), network \([0-9.]*\),.*/\1 \2 \3 \4 \5/p' \
    "$1" | grep . || echo "0 0 0 0 0"
}

# measure RANKS INPUT -> one line: median compute s, median network s, iterations, halo, MB sent (busiest rank): all, deals,
# markets, policies, network (the bytes, checked the same in every repeat)
measure() {
  local k=$1 n ini=$DATA/run.ini
  n=$(nodes_of "$k")
  printf '[input]\nfile = %s\n[output]\nfile = %s/out.h5\noverwrite = true\n[run]\nprogress = never\n[backend]\nthreads = 1\n' \
    "$2" "$DATA" >"$ini"
  for _ in $(seq "$REPS"); do
    timeout 600 srun --mpi=pmix -N "$n" -n "$k" -m block "$TB" run -c "$ini" >"$DATA/log" ||
      { cat "$DATA/log" >&2; echo "run_nodes: failed: $k ranks on $2" >&2; exit 1; }
    echo "$(figures "$DATA/log" | tr '\n' ' ')"
  done >"$DATA/t"
  rm -f "$DATA/out.h5"
  [ "$(cut -d' ' -f3- "$DATA/t" | sort -u | wc -l)" = 1 ] || { cat "$DATA/t" >&2; echo "run_nodes: the bytes differ between repeats" >&2; exit 1; }
  echo "$(cut -d' ' -f1 "$DATA/t" | median) $(cut -d' ' -f2 "$DATA/t" | median) $(head -1 "$DATA/t" | cut -d' ' -f3-)"
}

provenance() {
  echo "# tradebal $(sed -n 's/^#define TB_VERSION "\(.*\)"/\1/p' host/core/tb_version.h) (git $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+changes')) bench/run_nodes.sh$([ "${1:-}" = --tiny ] && echo ' --tiny (sizes too small for the figures to mean anything)'), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# host $(hostname) ($(uname -sr)), cpu $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc --all) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB$(grep -qw hypervisor /proc/cpuinfo && echo ', virtual machine')"
  echo "# cluster: 3 Slurm nodes n1..n3 (tests/support/slurm/cluster.sh --nodes 3), each its own network, UTS and mount namespace, TCP over a veth bridge; every node declares CPUs=$(nproc --all) and all share the host's $(nproc --all) cores; $(sinfo --version), Open MPI $(dpkg-query -W -f='${Version}' libopenmpi3 2>/dev/null || echo '?')"
  echo "# ran: srun --mpi=pmix -N NODES -n RANKS -m block tradebal run (backend cpu, 1 thread a rank, one policy: none; OMPI_MCA_mpi_yield_when_idle=1), ranks $RANKS on nodes $(for k in $RANKS; do printf '%s ' "$(nodes_of "$k")"; done| sed 's/ $//'); times the median of $REPS"
  echo "# inputs: tradebal generate --seed 1, entities = deals / 2; strong $STRONG deals; weak $WEAK deals a rank; graphs: random (links anywhere) and --locality 0.9 (90% of links inside regions of contiguous ids)"
  echo "# columns: compute and network = the run's stage seconds; efficiency vs 1 rank (strong t1 / (k tk), weak t1 / tk); iterations = the spillover's Jacobi iterations; halo = remote x the busiest rank fetches in each; MB = 10^6 bytes the busiest rank sent through tb_comm (payload; parallel HDF5's MPI-IO not counted) in each phase (deals = pass 1, policies = pass 2: the entity rows the deals fetch; network = edge routes, direct values, halo); growth = all phases at k ranks / at 2 ranks"
}

step "inputs in $DATA"
declare -A IN
for g in random loc; do
  opt=() && [ "$g" = loc ] && opt=(--locality 0.9)
  IN[$g-strong]=$DATA/${g}_$STRONG.h5
  gen "${IN[$g-strong]}" "$STRONG" "${opt[@]}"
  for k in $RANKS; do
    IN[$g-weak-$k]=$DATA/${g}_$((WEAK * k)).h5
    gen "${IN[$g-weak-$k]}" $((WEAK * k)) "${opt[@]}"
  done
done

provenance "$@"
echo
echo "| graph | scaling | ranks | nodes | deals | entities | compute s | network s | eff. compute | eff. network | iterations | halo (busiest rank) | MB sent: deals | markets | policies | network | all phases | growth |"
echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
for g in random loc; do
  for kind in strong weak; do
    c1="" n1="" a2=""
    for k in $RANKS; do
      f=${IN[$g-strong]} && [ "$kind" = weak ] && f=${IN[$g-weak-$k]}
      d=$STRONG && [ "$kind" = weak ] && d=$((WEAK * k))
      step "$g graph, $kind, $k ranks ($d deals)"
      read -r c n it h all md mm mp mn <<<"$(measure "$k" "$f")"
      c1=${c1:-$c} n1=${n1:-$n}
      [ "$k" = 2 ] && a2=$all
      awk -v g="$([ "$g" = loc ] && echo 'locality 0.9' || echo random)" -v kind="$kind" -v k="$k" -v nd="$(nodes_of "$k")" \
        -v d="$d" -v c="$c" -v n="$n" -v c1="$c1" -v n1="$n1" -v it="$it" -v h="$h" -v all="$all" -v md="$md" -v mm="$mm" \
        -v mp="$mp" -v mn="$mn" -v a2="$a2" 'BEGIN {
        s = kind == "strong" ? k : 1
        printf "| %s | %s | %d | %d | %d | %d | %.3f | %.3f | %.2f | %.2f | %d | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %s |\n",
          g, kind, k, nd, d, d / 2, c, n, c1 / (s * c), n1 / (s * n), it, h, md, mm, mp, mn, all,
          (a2 > 0 ? sprintf("%.2f", all / a2) : "-") }'
    done
  done
done
echo
echo "# wall time of this script: $(($(date +%s) - T0)) s; load average at the start $LOAD0, at the end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the cores skews the times, not the bytes)"
