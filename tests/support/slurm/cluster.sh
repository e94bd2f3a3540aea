#!/bin/bash
# A private Slurm cluster for the `slurm` tests: munged, slurmctld and slurmd run as root without
# systemd, every file under DIR, stopped by PID. Usage:
#   cluster.sh start DIR [--nodes N]   (prints `export ...` lines for the caller to eval)
#   cluster.sh stop DIR
#   cluster.sh kill-node DIR NODE      (N >= 2: SIGKILL every process of node NODE, slurmd and ranks)
#   cluster.sh start-node DIR NODE     (N >= 2: start that node's slurmd again)
# N = 1 (the default): one node on loopback. N >= 2: nodes n1..nN, each in its own network, UTS and mount
# namespace (hostname nK, address 10.77.0.K on a bridge the head namespace holds; node-local: /dev/shm, the
# slurmd spool and PMIx folders, and the jobs' TMPDIR), slurmctld and munged in the head namespace (10.77.0.254). The
# namespaces have no route anywhere else, so nothing leaves them. The folder tree is shared by every node,
# as a cluster's shared file system is. Clients (sbatch, squeue, srun...) are wrappers in DIR/bin that run
# the real command in the head namespace, as on a login node: the printed PATH puts them first.
set -euo pipefail
cmd=$1 D=$(realpath -m "$2")
NET=10.77.0
ns_of() { cat "$D/netns.prefix" 2>/dev/null; }
stop() {
  local p
  if [ -f "$D/netns.prefix" ]; then
    p=$(ns_of)
    for ns in $(ip netns list | awk '{print $1}' | grep "^$p-" || true); do
      ip netns pids "$ns" | xargs -r kill 2>/dev/null || true
    done
    sleep 1
    for ns in $(ip netns list | awk '{print $1}' | grep "^$p-" || true); do
      ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
      ip netns del "$ns" 2>/dev/null || true
    done
    return 0
  fi
  for p in slurmd slurmctld munged; do
    [ -f "$D/$p.pid" ] && kill "$(cat "$D/$p.pid")" 2>/dev/null || true
  done
  sleep 1
  for p in slurmd slurmctld munged; do
    [ -f "$D/$p.pid" ] && kill -9 "$(cat "$D/$p.pid")" 2>/dev/null || true
  done
}
# slurmd of node K in its namespaces: hostname nK; its own /dev/shm, and its own folders bound over the
# shared paths of the spool and of PMIx (Slurm's PMIx plugin takes both as written, %n unexpanded)
start_node() {
  local k=$1 ns
  ns="$(ns_of)-n$k"
  mkdir -p "$D/node/n$k/tmp" "$D/node/n$k/spool" "$D/node/n$k/pmix"
  # nsenter, not `ip netns exec`, which would remount /sys and hide the cgroup tree slurmd needs
  nsenter --net="/run/netns/$ns" unshare --uts --mount --propagation private sh -c "
    hostname n$k && mount -t tmpfs -o size=1g tbshm /dev/shm &&
    mount --bind '$D/node/n$k/spool' '$D/spool' && mount --bind '$D/node/n$k/pmix' '$D/pmix' &&
    exec slurmd -f '$D/slurm.conf' -N n$k"
}
case $cmd in
  stop) stop; exit 0 ;;
  kill-node)
    ip netns pids "$(ns_of)-n$3" | xargs -r kill -9
    exit 0 ;;
  start-node) # a node that comes back has rebooted: its temporary files, spool and sockets are gone
    rm -rf "${D:?}/node/n$3/"{tmp,spool,pmix}
    start_node "$3"; exit 0 ;;
  start) ;;
  *) echo "cluster.sh: unknown command $cmd" >&2; exit 2 ;;
esac
NODES=1
[ "${3:-}" = --nodes ] && NODES=$4
trap 'rc=$?; [ $rc -eq 0 ] || stop; exit $rc' EXIT # a start that fails part way leaves nothing running
for b in munged slurmctld slurmd sbatch; do
  command -v "$b" >/dev/null || { echo "cluster.sh: $b not found (apt-get install munge slurmctld slurmd slurm-client)" >&2; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "cluster.sh: needs root (the daemons run as root here)" >&2; exit 77; }
mkdir -p "$D"/{state,spool,munge}
chmod 700 "$D/munge"
dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$D/munge/munge.key"
RUN=() # how a daemon is started: in the head namespace when there are several nodes
if [ "$NODES" -gt 1 ]; then
  command -v ip >/dev/null && command -v unshare >/dev/null || { echo "cluster.sh: needs ip (iproute2) and unshare" >&2; exit 77; }
  P="tbc$$"
  ip netns add "$P-head" 2>/dev/null || { echo "cluster.sh: cannot create network namespaces here" >&2; exit 77; }
  echo "$P" >"$D/netns.prefix"
  ip -n "$P-head" link set lo up
  ip -n "$P-head" link add br0 type bridge
  ip -n "$P-head" addr add "$NET.254/24" dev br0
  ip -n "$P-head" link set br0 up
  for k in $(seq "$NODES"); do
    ip netns add "$P-n$k"
    ip -n "$P-head" link add "v$k" type veth peer name eth0 netns "$P-n$k"
    ip -n "$P-head" link set "v$k" master br0 up
    ip -n "$P-n$k" link set lo up
    ip -n "$P-n$k" addr add "$NET.$k/24" dev eth0
    ip -n "$P-n$k" link set eth0 up
  done
  RUN=(ip netns exec "$P-head" unshare --uts sh -c 'hostname head && exec "$@"' head) # SlurmctldHost=head
  mkdir -p "$D/bin"
  for c in sbatch squeue scancel scontrol sacct sinfo srun salloc sacctmgr; do
    printf '#!/bin/sh\n# %s on the head node of the private cluster\nexec ip netns exec %s /usr/bin/%s "$@"\n' \
      "$c" "$P-head" "$c" >"$D/bin/$c"
    chmod +x "$D/bin/$c"
  done
fi
"${RUN[@]}" munged --force -S "$D/munge/munge.socket" --key-file="$D/munge/munge.key" --pid-file="$D/munged.pid" \
  --log-file="$D/munged.log" --seed-file="$D/munge/seed"
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
if [ "$NODES" -gt 1 ]; then
  # every namespace has its own ports: the defaults are free
  CTL="head($NET.254)" CTLPORT=6817 DPORT=6818 MEM=$((MEM / NODES))
  NODELINE="NodeName=n[1-$NODES] NodeAddr=$NET.[1-$NODES] CPUs=$CPUS RealMemory=$MEM State=UNKNOWN"
  # the spool and PMIx's folders: shared paths each node binds its own folder over (start_node); the
  # jobs' TMPDIR: the node's own folder, set by the task prolog
  mkdir -p "$D/pmix"
  printf 'PMIxCliTmpDirBase=%s/pmix\n' "$D" >"$D/mpi.conf"
  cat >"$D/task_prolog.sh" <<PROLOG
#!/bin/sh
# node-local temporary files, as on a cluster whose nodes have their own disks
echo "export TMPDIR=$D/node/\$SLURMD_NODENAME/tmp"
PROLOG
  chmod +x "$D/task_prolog.sh"
  PERNODE="SlurmdSpoolDir=$D/spool
TaskProlog=$D/task_prolog.sh
SlurmdPidFile=$D/node/%n/slurmd.pid
SlurmdLogFile=$D/node/%n/slurmd.log
SlurmdTimeout=10"
else
  port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  NODE=$(hostname -s)
  CTL="$NODE(127.0.0.1)" CTLPORT=$(port) DPORT=$(port)
  NODELINE="NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN"
  PERNODE="SlurmdSpoolDir=$D/spool
SlurmdPidFile=$D/slurmd.pid
SlurmdLogFile=$D/slurmd.log"
fi
cat > "$D/slurm.conf" <<CONF
ClusterName=tbtest
SlurmctldHost=$CTL
SlurmctldPort=$CTLPORT
SlurmdPort=$DPORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$D/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$D/state
$PERNODE
SlurmctldPidFile=$D/slurmctld.pid
SlurmctldLogFile=$D/slurmctld.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
SchedulerParameters=sched_interval=1,bf_interval=1
JobCompType=jobcomp/filetxt
JobCompLoc=$D/jobcomp.txt
ReturnToService=2
MpiDefault=none
KillWait=5
MinJobAge=300
$NODELINE
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$D/slurm.conf
"${RUN[@]}" slurmctld -f "$D/slurm.conf"
if [ "$NODES" -gt 1 ]; then
  for k in $(seq "$NODES"); do start_node "$k"; done
  export PATH=$D/bin:$PATH
else
  slurmd -f "$D/slurm.conf" -N "$NODE"
fi
for _ in $(seq 60); do
  if [ "$(timeout 5 sinfo -h -o '%T %D' 2>/dev/null)" = "idle $NODES" ]; then
    echo "export SLURM_CONF=$D/slurm.conf"
    [ "$NODES" -gt 1 ] && echo "export PATH=$D/bin:\$PATH"
    exit 0
  fi
  sleep 0.5
done
echo "cluster.sh: the nodes did not become idle; logs in $D" >&2
timeout 5 sinfo >&2 || true
tail -5 "$D/slurmctld.log" "$D"/node/*/slurmd.log "$D/slurmd.log" >&2 2>/dev/null || true
stop
exit 1
