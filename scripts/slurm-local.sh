#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the Slurm executor's test and for trying `--executor slurm` locally:
# munged + slurmctld + slurmd as plain background daemons (no systemd needed), everything under one temporary folder.
#   bash scripts/slurm-local.sh start    # installs slurm-wlm and munge when missing (root or sudo), starts the daemons,
#                                        # prints the SLURM_CONF line to export; reuses a cluster that already runs
#   bash scripts/slurm-local.sh stop     # stops the daemons this script started (by their pid files), removes the folder
#   bash scripts/slurm-local.sh status   # sinfo, or exit 1 when it is not up
# Settings: STAR_SLURM_DIR (default /tmp/star-slurm), STAR_SLURM_CPUS (default: the machine's cores),
# STAR_SLURM_PORT (slurmctld; slurmd uses the next one; default 6817). What works on Debian 12 and why each line is
# here: ../shared/docs/slurm-local.md (measured).
set -euo pipefail
D="${STAR_SLURM_DIR:-/tmp/star-slurm}"
CPUS="${STAR_SLURM_CPUS:-$(nproc)}"
PORT="${STAR_SLURM_PORT:-6817}"
CONF="$D/slurm.conf"
export SLURM_CONF="$CONF"

say() { echo "slurm-local: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    say "needs root (or sudo) for: $*"; exit 1; fi
}

install_packages() {
  local missing=()
  for p in slurm-wlm munge; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing ${missing[*]}"
  # The package lists may be missing in a fresh container; apt-get install fails fast without them.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
    || { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; }
}

# Without its conf file a Slurm client spends a minute looking for a controller elsewhere (DNS SRV), and about ten
# seconds when the controller is gone: check both first.
up() {
  [ -f "$CONF" ] && [ -s "$D/slurmctld.pid" ] && kill -0 "$(cat "$D/slurmctld.pid")" 2>/dev/null \
    && sinfo -h -o %T 2>/dev/null | grep -qx -e idle -e mixed -e allocated
}

start() {
  if up; then say "already running ($CONF)"; echo "export SLURM_CONF=$CONF"; return 0; fi
  install_packages
  [ "$(id -u)" -eq 0 ] || { say "the daemons run as root here (SlurmUser=root): run this as root"; exit 1; }
  stop_daemons
  rm -rf "$D"
  mkdir -p "$D/state" "$D/spool"
  # CPUs above what slurmd detects needs config_overrides (else the node goes `inval`); RealMemory lets --mem work.
  MEM_MB=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
  cat > "$CONF" <<CONF
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
MinJobAge=300
KillWait=30
SlurmdParameters=config_overrides
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  # munged: the socket folder is normally made by its systemd unit; one munged serves every cluster on the machine.
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- /usr/sbin/munged
    echo started > "$D/munged.ours"
    for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  slurmctld -f "$CONF"
  slurmd -f "$CONF" -N localhost
  for _ in $(seq 1 150); do up && break; sleep 0.1; done
  up || { say "the node did not come up; logs: $D/slurmctld.log $D/slurmd.log"; sinfo >&2 || true; exit 1; }
  say "up: $(sinfo -h -o '%P %a %D %T %N' | head -1), $CPUS CPUs, folder $D"
  echo "export SLURM_CONF=$CONF"
}

stop_daemons() {
  local p
  for p in "$D/slurmd.pid" "$D/slurmctld.pid"; do
    [ -s "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null || true
  done
  if [ -f "$D/munged.ours" ] && [ -s /run/munge/munged.pid ]; then kill -TERM "$(cat /run/munge/munged.pid)" 2>/dev/null || true; fi
  # Wait for the ports to be free, so that a start right after a stop can bind them.
  for _ in $(seq 1 50); do
    local alive=0
    for p in "$D/slurmd.pid" "$D/slurmctld.pid"; do [ -s "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop_daemons; rm -rf "$D"; say "stopped" ;;
  status) up && sinfo || { say "not running ($CONF)"; exit 1; } ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
