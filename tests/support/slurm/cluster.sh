#!/bin/bash
# A private one-node Slurm cluster on loopback for the `slurm` tests: munged, slurmctld and slurmd run as
# root without systemd, every file under DIR, stopped by PID. Usage:
#   cluster.sh start DIR    (prints `export SLURM_CONF=...` for the caller to eval)
#   cluster.sh stop DIR
set -euo pipefail
cmd=$1 D=$(realpath -m "$2")
stop() {
  for p in slurmd slurmctld munged; do
    [ -f "$D/$p.pid" ] && kill "$(cat "$D/$p.pid")" 2>/dev/null || true
  done
  sleep 1
  for p in slurmd slurmctld munged; do
    [ -f "$D/$p.pid" ] && kill -9 "$(cat "$D/$p.pid")" 2>/dev/null || true
  done
}
if [ "$cmd" = stop ]; then stop; exit 0; fi
for b in munged slurmctld slurmd sbatch; do
  command -v "$b" >/dev/null || { echo "cluster.sh: $b not found (apt-get install munge slurmctld slurmd slurm-client)" >&2; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "cluster.sh: needs root (the daemons run as root here)" >&2; exit 77; }
mkdir -p "$D"/{state,spool,munge}
chmod 700 "$D/munge"
dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$D/munge/munge.key"
munged --force -S "$D/munge/munge.socket" --key-file="$D/munge/munge.key" --pid-file="$D/munged.pid" \
  --log-file="$D/munged.log" --seed-file="$D/munge/seed"
NODE=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cat > "$D/slurm.conf" <<CONF
ClusterName=tbtest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$(port)
SlurmdPort=$(port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$D/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
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
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$D/slurm.conf
slurmctld -f "$D/slurm.conf"
slurmd -f "$D/slurm.conf" -N "$NODE"
for _ in $(seq 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qx idle; then echo "export SLURM_CONF=$D/slurm.conf"; exit 0; fi
  sleep 0.5
done
echo "cluster.sh: the node did not become idle; logs in $D" >&2
sinfo >&2 || true
tail -5 "$D/slurmctld.log" "$D/slurmd.log" >&2 || true
stop
exit 1
