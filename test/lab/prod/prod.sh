# shellcheck shell=bash
# Prod profile (production-shaped lab): RabbitMQ on loopback, the relay into the host namespaces,
# the real Debian neutron-openvswitch-agent (Zed) per host, the hand-made configuration of the
# shared leaf. Sourced by test/lab/up and test/lab/prod/agent after lib.sh (uses RUN, PIDS, NSP,
# RABBIT_*, node_dir, nx, record_pid, ...). See test/lab/README.md "Prod profile".

RABBIT_DIR() { echo "$RUN/rabbitmq"; }
RABBIT_SOCK() { echo "$RUN/rabbitmq/amqp.sock"; }   # the relay's unix socket (root ns -> host namespaces)
RABBIT_URL() { echo "rabbit://guest:guest@127.0.0.1:$RABBIT_PORT/"; }

# tcp_open PORT: 0 when something accepts on 127.0.0.1:PORT (in the current network namespace)
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# RabbitMQ (Debian 3.10) on 127.0.0.1 only: AMQP $RABBIT_PORT, Erlang distribution $RABBIT_DIST_PORT,
# our own epmd on $RABBIT_EPMD_PORT (started here, so no epmd daemon escapes the PID files);
# mnesia, logs, config, pid file and the Erlang cookie ($HOME) under the run dir.
prod_rabbit_start() {
  local r; r=$(RABBIT_DIR)
  mkdir -p "$r/mnesia" "$r/log" "$r/home"
  tcp_open "$RABBIT_PORT" && die "rabbitmq: 127.0.0.1:$RABBIT_PORT is already in use (another RabbitMQ?)"
  tcp_open "$RABBIT_EPMD_PORT" && die "rabbitmq: epmd port 127.0.0.1:$RABBIT_EPMD_PORT is already in use"
  cat >"$r/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$RABBIT_PORT
loopback_users.guest = true
log.file.level = info
log.console = false
EOF
  echo '[].' >"$r/enabled_plugins"
  : >"$r/rabbitmq-env.conf"
  local env=(HOME="$r/home" ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$RABBIT_EPMD_PORT")
  setsid env "${env[@]}" epmd -address 127.0.0.1 -port "$RABBIT_EPMD_PORT" </dev/null >"$r/epmd.log" 2>&1 9>&- &
  record_pid "$PIDS/epmd.pid" $!
  wait_for 10 "epmd on 127.0.0.1:$RABBIT_EPMD_PORT" tcp_open "$RABBIT_EPMD_PORT"
  setsid env "${env[@]}" RABBITMQ_NODENAME=fabp@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$RABBIT_PORT" RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT" \
    RABBITMQ_MNESIA_BASE="$r/mnesia" RABBITMQ_LOG_BASE="$r/log" RABBITMQ_CONFIG_FILE="$r/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$r/advanced.config" RABBITMQ_ENABLED_PLUGINS_FILE="$r/enabled_plugins" \
    RABBITMQ_PID_FILE="$r/rabbitmq.pid" RABBITMQ_CONF_ENV_FILE="$r/rabbitmq-env.conf" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    /usr/lib/rabbitmq/bin/rabbitmq-server </dev/null >"$r/stdout.log" 2>&1 9>&- &
  record_pid "$PIDS/rabbitmq.pid" $!
}
prod_rabbit_wait() {
  local end=$(( $(date +%s) + ${1:-90} ))
  until tcp_open "$RABBIT_PORT"; do
    pid_alive "$PIDS/rabbitmq.pid" || die "rabbitmq-server exited; see $(RABBIT_DIR)/stdout.log and $(RABBIT_DIR)/log/"
    [ "$(date +%s)" -lt "$end" ] || die "rabbitmq did not listen on 127.0.0.1:$RABBIT_PORT within ${1:-90}s; see $(RABBIT_DIR)/log/"
    sleep 0.3
  done
  record_descendants "$PIDS/rabbitmq.pid"   # beam.smp and its helpers, ended by PID on down
}

# The relay: inside a host namespace 127.0.0.1 is that namespace's own loopback, so two socat hops
# through a unix socket: root ns UNIX-LISTEN -> TCP 127.0.0.1:$RABBIT_PORT, and per host
# TCP-LISTEN 127.0.0.1:$RABBIT_PORT -> UNIX-CONNECT.
prod_relay_root() {
  local s; s=$(RABBIT_SOCK)
  rm -f "$s"
  setsid socat "UNIX-LISTEN:$s,fork,mode=600" "TCP:127.0.0.1:$RABBIT_PORT" </dev/null >"$(RABBIT_DIR)/relay.log" 2>&1 9>&- &
  record_pid "$PIDS/relay-root.pid" $!
  wait_for 10 "the RabbitMQ relay socket $s" test -S "$s"
}
prod_relay_host() { # ID
  local id=$1 d; d=$(node_dir "$1")
  setsid nsenter -t "$(holder_pid "$id")" -m -u -n -- socat "TCP-LISTEN:$RABBIT_PORT,bind=127.0.0.1,reuseaddr,fork" \
    "UNIX-CONNECT:$(RABBIT_SOCK)" </dev/null >"$d/relay.log" 2>&1 9>&- &
  record_pid "$PIDS/relay-$id.pid" $!
}

# neutron-openvswitch-agent configuration of one host (issue 14's measured settings)
prod_agent_config() { # ID HOSTNAME
  local id=$1 hn=$2 a; a="$(node_dir "$1")/agent"
  mkdir -p "$a/lib" "$a/lock"
  cat >"$a/neutron.conf" <<EOF
[DEFAULT]
host = $hn
transport_url = $(RABBIT_URL)
state_path = $a/lib
log_dir = $a
log_file = openvswitch-agent.log
use_stderr = false
debug = false
[agent]
root_helper = sudo
[oslo_concurrency]
lock_path = $a/lock
EOF
  cat >"$a/openvswitch_agent.ini" <<EOF
[ovs]
integration_bridge = br-int
bridge_mappings = physnet1:br-bond
datapath_type = netdev
ovsdb_connection = unix:/run/openvswitch/db.sock
of_listen_address = 127.0.0.1
[agent]
tunnel_types =
report_interval = 5
[securitygroup]
firewall_driver = noop
EOF
}
# start the agent of host ID (config written by prod_agent_config); PID file agent-ID.pid
prod_agent_start() { # ID
  local id=$1 a; a="$(node_dir "$1")/agent"
  setsid nsenter -t "$(holder_pid "$id")" -m -u -n -- env OVS_RUNDIR=/run/openvswitch \
    neutron-openvswitch-agent --config-file "$a/neutron.conf" --config-file "$a/openvswitch_agent.ini" \
    </dev/null >>"$a/stdout.log" 2>&1 9>&- &
  record_pid "$PIDS/agent-$id.pid" $!
}
# stop the agent of host ID by PID: the agent, then its children (ovsdb-client monitor, sudo,
# privsep-helper) and whatever else it left in the host namespace that is not one of the lab's own
prod_agent_stop() { # ID
  local id=$1 f=("$PIDS/agent-$1.pid")
  pid_alive "$f" || { rm -f "$f"; return 0; }
  local before; before=$(ls "$PIDS"/child-*.pid 2>/dev/null || true)
  record_descendants "$f"
  local kids; kids=$(comm -13 <(printf '%s\n' $before | sort) <(ls "$PIDS"/child-*.pid 2>/dev/null | sort) || true)
  # privsep-helper daemonizes (its parent is the holder's init, not the agent): find it by its
  # config file argument, which names this host's agent directory
  local p; for p in $(pgrep -f -- "privsep-helper.*$(node_dir "$id")/agent/" 2>/dev/null || true); do
    echo "$p $(proc_start "$p")" >"$PIDS/child-$p.pid"; kids="$kids $PIDS/child-$p.pid"
  done
  # shellcheck disable=SC2086
  kill_recorded "$f" $kids
  rm -f "$f" $kids
}
