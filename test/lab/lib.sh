# shellcheck shell=bash
# Shared helpers for test/lab/{up,down,status,selftest}. Sourced, not executed.
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${FABRICCTL_LAB_CACHE:-$LAB_DIR/state/cache}"  # (FABRICCTL_LAB_CACHE: a cache kept outside the clone, e.g. by CI) downloads, the migrated Neutron database, the UML root image; kept across up/down
LAB_NET_GUARD=198.19.0.0/16   # lab-internal addresses; unreachable from the root namespace
# lab_profile native|full|prod: the three labs coexist; each has its own state dir, namespace prefix,
# management subnet, Neutron port and guard-route metric (see README "Full profile", "Prod profile").
# prod also has its own RabbitMQ (AMQP, Erlang distribution and epmd ports, all on 127.0.0.1).
lab_profile() {
  LAB_PROFILE=$1
  case "$1" in
    native) STATE="$LAB_DIR/state"; NSP=fabl; NEUTRON_PORT=19696; MGMT_GW=198.18.0.1; GUARD_METRIC=0 ;;
    full) STATE="$LAB_DIR/state/full"; NSP=fabf; NEUTRON_PORT=19697; MGMT_GW=198.18.1.1; GUARD_METRIC=4242 ;;
    prod) STATE="$LAB_DIR/state/prod"; NSP=fabp; NEUTRON_PORT=19698; MGMT_GW=198.18.2.1; GUARD_METRIC=4243
      RABBIT_PORT=5673; RABBIT_DIST_PORT=25673; RABBIT_EPMD_PORT=4370 ;;
    *) echo "lab: --profile must be native, full or prod, got '$1'" >&2; exit 2 ;;
  esac
  RUN="$STATE/run"          # everything of one lab instance; removed by down
  LOCK="$STATE/.lock"
  PIDS="$RUN/pids"          # our PID files: "PID STARTTIME", one process each
  NEUTRON_URL="http://127.0.0.1:$NEUTRON_PORT"
  MGMT_BR=$NSP-mgmt
  GUARD_ROUTE=(unreachable "$LAB_NET_GUARD"); [ "$GUARD_METRIC" = 0 ] || GUARD_ROUTE+=(metric "$GUARD_METRIC")
}
lab_profile native
PG_BIN=/usr/local/bin
[ -x "$PG_BIN/pg_ctl" ] || PG_BIN=/usr/lib/postgresql/15/bin

T0=$(date +%s%N)
elapsed_ms() { echo $(( ($(date +%s%N) - T0) / 1000000 )); }
log() { local ms; ms=$(elapsed_ms); printf '[lab %3d.%01ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# wait_for SECONDS "what is awaited" command...  (polls every 0.2 s; bounded)
wait_for() {
  local secs=$1 what=$2; shift 2
  local end=$(( $(date +%s) + secs ))
  while ! "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$end" ]; then
      die "timed out after ${secs}s waiting for $what"
    fi
    sleep 0.2
  done
}

need_root_debian() {
  [ "$(id -u)" = 0 ] || die "the lab needs root (network namespaces, mounts); run as root"
  grep -qi '^ID=debian' /etc/os-release 2>/dev/null || die "the lab needs Debian (apt packages neutron-server, openvswitch-switch, frr)"
}

# take_lock: an exclusive flock on fd 9. Every daemon the lab starts is launched with 9>&- so
# that it never inherits (and never holds) the lock (see nx, node_start, start_neutron).
take_lock() {
  mkdir -p "$STATE"
  exec 9>"$LOCK"
  flock -w 600 9 || die "another test/lab up or down has held $LOCK for more than 600s"
}

# ---- processes: PID files hold "PID STARTTIME"; a PID is only signalled while its start time matches.
# the start time of a live process (empty once it is gone; a zombie, killed but not yet reaped, counts as gone)
proc_start() { awk '$3 != "Z" {print $22}' "/proc/$1/stat" 2>/dev/null || true; }
record_pid() { # record_pid FILE PID
  local st; st=$(proc_start "$2")
  [ -n "$st" ] || die "process $2 for $1 died right after start"
  echo "$2 $st" >"$1"
}
pid_alive() { # pid_alive FILE -> 0 when the recorded process still runs
  local f=$1 pid st
  [ -s "$f" ] || return 1
  read -r pid st <"$f" || return 1
  [ -n "${st:-}" ] || st=$(proc_start "$pid")
  [ -n "$pid" ] && [ "$(proc_start "$pid")" = "$st" ]
}
# a daemon's own pidfile (only the PID) -> our format
adopt_pidfile() { # adopt_pidfile DAEMON_PIDFILE OUR_PIDFILE
  local pid; pid=$(head -n1 "$1" | tr -dc 0-9)
  [ -n "$pid" ] || die "empty pidfile $1"
  record_pid "$2" "$pid"
}
# record_descendants [FILE...]: every live descendant of the recorded processes (default: all
# of $PIDS/*.pid) gets its own PID file child-<pid>.pid, so that it is ended by PID as well
record_descendants() {
  local f pid st c todo=() seen=" "
  [ $# -gt 0 ] || set -- "$PIDS"/*.pid
  for f in "$@"; do
    [ -s "$f" ] || continue
    read -r pid st <"$f" || continue
    [ "$(proc_start "$pid")" = "$st" ] && todo+=("$pid")
  done
  while [ ${#todo[@]} -gt 0 ]; do
    pid=${todo[0]}; todo=("${todo[@]:1}")
    for c in $(pgrep -P "$pid" 2>/dev/null || true); do
      case "$seen" in *" $c "*) continue ;; esac
      seen="$seen$c "
      st=$(proc_start "$c"); [ -n "$st" ] || continue
      [ -e "$PIDS/child-$c.pid" ] || echo "$c $st" >"$PIDS/child-$c.pid"
      todo+=("$c")
    done
  done
}
# wait_gone PID:START...  wait up to 5 s until none of these processes runs; 1 when some still does
wait_gone() {
  local i p left
  for i in $(seq 1 25); do
    left=0
    for p in "$@"; do [ "$(proc_start "${p%%:*}")" = "${p##*:}" ] && left=1; done
    [ $left = 0 ] && return 0
    sleep 0.2
  done
  return 1
}
kill_recorded() { # kill_recorded FILE...   TERM, wait up to 5 s, then KILL and wait again
  local f pid st p pids=()
  for f in "$@"; do
    [ -s "$f" ] || continue
    read -r pid st <"$f" || continue
    if [ "$(proc_start "$pid")" = "$st" ]; then kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid:$st"); fi
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  wait_gone "${pids[@]}" && return 0
  for p in "${pids[@]}"; do [ "$(proc_start "${p%%:*}")" = "${p##*:}" ] && kill -KILL "${p%%:*}" 2>/dev/null || true; done
  # a KILLed process is gone only once the kernel has torn it down (a many-threaded agent takes a moment):
  # wait for that too, so that the leftover check after a down does not see it half-dead
  wait_gone "${pids[@]}" || true
}

# ---- nodes: each node is a netns $NSP-<id> (fabl-<id>, full profile fabf-<id>) plus a holder process (private mount + UTS namespace)
node_dir() { echo "$RUN/nodes/$1"; }
holder_pid() { awk '{print $1}' "$PIDS/holder-$1.pid"; }
# nx ID cmd...  run a command inside node ID (its net, mount and UTS namespaces)
nx() { local id=$1; shift; nsenter -t "$(holder_pid "$id")" -m -u -n -- "$@" 9>&-; }

# node_start ID HOSTNAME MGMT_IP   (binds listed in $dir/binds as "SRC DST" lines, extra init in $dir/init.extra)
node_start() {
  local id=$1 hn=$2 ip=$3 dir; dir=$(node_dir "$id")
  local ns="$NSP-$id"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add "$NSP-m-$id" type veth peer name mgmt0 netns "$ns"
  ip link set "$NSP-m-$id" master "$MGMT_BR" up
  ip -n "$ns" addr add "$ip/24" dev mgmt0
  ip -n "$ns" link set mgmt0 up
  echo "$hn" >"$dir/hostname"
  touch "$dir/binds" "$dir/init.extra"
  cat >"$dir/init.sh" <<EOF
set -e
hostname '$hn'
mount --bind '$dir/hostname' /etc/hostname
while read -r src dst; do
  [ -n "\$src" ] || continue
  [ -e "\$dst" ] || mkdir -p "\$dst"
  mount --bind "\$src" "\$dst"
done <'$dir/binds'
. '$dir/init.extra'
touch '$dir/ready'
exec sleep infinity
EOF
  setsid ip netns exec "$ns" unshare --mount --uts --propagation private bash "$dir/init.sh" </dev/null >"$dir/holder.log" 2>&1 9>&- &
  local hp=$!
  wait_for 10 "node $hn: namespace holder (see $dir/holder.log)" test -e "$dir/ready"
  record_pid "$PIDS/holder-$id.pid" "$hp"
}

# sshd inside node ID listening on IP:22, key-only, throwaway host key
node_sshd() {
  local id=$1 hn=$2 ip=$3 dir; dir=$(node_dir "$id")
  mkdir -p "$dir/ssh"
  ssh-keygen -q -t ed25519 -N '' -C "host key of $hn (fabricctl lab)" -f "$dir/ssh/ssh_host_ed25519_key"
  cat >"$dir/ssh/sshd_config" <<EOF
ListenAddress $ip
Port 22
HostKey $dir/ssh/ssh_host_ed25519_key
PidFile $dir/ssh/sshd.pid
AuthorizedKeysFile $RUN/ssh/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups 100:30:200
MaxSessions 64
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
EOF
  nx "$id" /usr/sbin/sshd -t -f "$dir/ssh/sshd_config" || die "node $hn: sshd_config rejected"
  nx "$id" /usr/sbin/sshd -f "$dir/ssh/sshd_config" -E "$dir/ssh/sshd.log" </dev/null
  wait_for 10 "node $hn: sshd pid file" test -s "$dir/ssh/sshd.pid"
  adopt_pidfile "$dir/ssh/sshd.pid" "$PIDS/sshd-$id.pid"
  printf '%s,%s %s\n' "$hn" "$ip" "$(cut -d' ' -f1,2 "$dir/ssh/ssh_host_ed25519_key.pub")" >>"$RUN/ssh/known_hosts"
  cat >>"$RUN/ssh/ssh_config" <<EOF
Host $hn
  HostName $ip
  User root
  IdentityFile $RUN/ssh/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $RUN/ssh/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10

EOF
}

lab_ssh() { # lab_ssh HOSTNAME cmd...
  local hn=$1; shift
  ssh -n -F "$RUN/ssh/ssh_config" "$hn" "$@"
}

# this lab's guard route(s), as `ip route` prints them (matched on prefix and metric)
guard_routes() {
  ip route show type unreachable 2>/dev/null | grep -F "$LAB_NET_GUARD" \
    | awk -v m="$GUARD_METRIC" '{k=0; for (i=1;i<NF;i++) if ($i=="metric") k=$(i+1); if (k==m) print}' || true
}

# ---- cleanup of everything a lab may have left (used by down and by up after a crash)
lab_cleanup() {
  local f
  # graceful stops first
  if pid_alive "$PIDS/postgres.pid"; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$RUN/pg/data" -m fast -t 20 stop >/dev/null 2>&1 || true
  fi
  if [ -d "$RUN" ]; then
    # every PID file the lab wrote ("PID STARTTIME" format): neutron, postgres, sshd, ovs, frr, holders
    local pidfiles=()
    # children of recorded processes (RabbitMQ's beam under its wrapper, the OVS agent's
    # ovsdb-client monitor and privsep helper, socat's per-connection forks) are ended by PID too
    [ "$LAB_PROFILE" != prod ] || [ ! -d "$PIDS" ] || record_descendants
    [ -d "$PIDS" ] && mapfile -t pidfiles < <(ls "$PIDS"/*.pid 2>/dev/null)
    [ ${#pidfiles[@]} -eq 0 ] || kill_recorded "${pidfiles[@]}"
    rm -rf "$STATE/last-pids"; [ -d "$PIDS" ] && cp -r "$PIDS" "$STATE/last-pids"
  fi
  # prod: a privsep-helper daemonizes away from its agent; it and anything else whose command line
  # names this lab's node directories (agents, relays) is the lab's own: end it by PID
  if [ "$LAB_PROFILE" = prod ] && [ -d "$RUN/nodes" ]; then
    local strays=() p
    for p in $(pgrep -f -- "$RUN/nodes/" 2>/dev/null || true); do [ "$p" = $$ ] || strays+=("$p"); done
    if [ ${#strays[@]} -gt 0 ]; then
      for p in "${strays[@]}"; do echo "$p $(proc_start "$p")" >"$PIDS/child-$p.pid" 2>/dev/null || true; done
      kill_recorded $(printf "$PIDS/child-%s.pid " "${strays[@]}")
    fi
  fi
  # any process still inside a lab namespace was started by the lab (or over its ssh): stop it
  local ns pids
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NSP-" || true); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
      kill -TERM $pids 2>/dev/null || true
    fi
  done
  local i
  for i in $(seq 1 25); do
    local any=""
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NSP-" || true); do
      [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && any=1
    done
    [ -z "$any" ] && break
    sleep 0.2
  done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NSP-" || true); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  for f in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$NSP-" || true); do
    ip link del "$f" 2>/dev/null || true
  done
  # only this lab's guard route (the other profile's has another metric; "del" without a metric would take any)
  [ -z "$(guard_routes)" ] || ip route del "${GUARD_ROUTE[@]}" 2>/dev/null || true
  rm -rf "$RUN"
}

# leftovers: prints what is left; returns 1 when anything is
lab_leftovers() {
  local bad=0 x
  x=$(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NSP-" || true)
  [ -z "$x" ] || { echo "namespaces left: $x"; bad=1; }
  x=$(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$NSP-" || true)
  [ -z "$x" ] || { echo "links left: $x"; bad=1; }
  # the namespaces' nsfs mounts and anything under this lab's run dir (not state/cache: a first
  # full-profile up's debootstrap mounts /proc in its chroot there while the native lab cycles)
  x=$(grep -E "/$NSP-|$RUN( |/)" /proc/self/mountinfo || true)
  [ -z "$x" ] || { echo "mounts left: $x"; bad=1; }
  x=$(guard_routes)
  [ -z "$x" ] || { echo "routes left: $x"; bad=1; }
  [ ! -e "$RUN" ] || { echo "run dir left: $RUN"; bad=1; }
  local f
  for f in "$STATE"/last-pids/*.pid; do
    [ -e "$f" ] || continue
    if pid_alive "$f"; then echo "process left: $(basename "$f" .pid) pid $(awk '{print $1}' "$f")"; bad=1; fi
  done
  return $bad
}
