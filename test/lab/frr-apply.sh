#!/bin/bash
# Apply a lab node's FRR configuration after its daemons are up, and check that all of it landed.
# Usage: frr-apply.sh CONF [SECONDS]   (run inside the node: a native namespace node or a UML guest)
#
# Why not let FRR apply it at start: with `service integrated-vtysh-config`, watchfrr starts each
# daemon with `watchfrr.sh start <daemon>`, which runs `vtysh -b -d <daemon>` right after that
# daemon forks, and watchfrr kills any start job still running after its restart timeout (-T,
# 20 s). On a loaded machine (a UML guest on 2 busy cores) that vtysh is killed mid-file: bgpd logs
# `vtysh_flush: write error to fd N, closing` and keeps only the first lines (`router bgp N` and
# nothing under it: `No AFI/SAFI activated for peer`). So frrinit.sh starts the daemons while
# /etc/frr/frr.conf does not exist yet (vtysh_b then skips the apply), this script waits until
# zebra, bgpd and staticd answer on their vty sockets, installs the file, applies it once with
# `vtysh -b` (bounded, not under watchfrr's timer), and verifies the running configuration.
set -u
CONF=$1
SECS=${2:-180}
end=$(( $(date +%s) + SECS ))
say() { echo "frr-apply: $*" >&2; }
left() { echo $(( end - $(date +%s) )); }

for d in zebra bgpd staticd; do
  until vtysh -d "$d" -c 'show version' >/dev/null 2>&1; do
    [ "$(left)" -gt 0 ] || { say "$d did not answer on its vty socket within ${SECS}s"; exit 1; }
    sleep 0.5
  done
done

# the lines that must be in the running configuration afterwards (what went missing before)
want=$(grep -E '^ *(router bgp|neighbor [^ ]+ (remote-as|activate)|network |advertise-all-vni|vni [0-9]+$|route-target |redistribute |advertise ipv4 unicast)' "$CONF" | sed 's/^ *//; s/ *$//' | sort -u)
install -o frr -g frr -m 640 "$CONF" /etc/frr/frr.conf

attempt=0
while :; do
  attempt=$((attempt + 1))
  t=$(left); [ "$t" -gt 5 ] || t=5
  if ! out=$(timeout "$t" vtysh -b 2>&1); then say "vtysh -b (attempt $attempt) exited non-zero: $(echo "$out" | tail -5)"; fi
  running=$(timeout 30 vtysh -c 'show running-config' 2>/dev/null | sed 's/^ *//; s/ *$//' | sort -u)
  missing=$(comm -23 <(echo "$want") <(echo "$running"))
  [ -n "$missing" ] || { say "configuration applied (attempt $attempt)"; exit 0; }
  say "after attempt $attempt the running configuration lacks: $(echo "$missing" | tr '\n' ';')"
  [ $attempt -lt 3 ] && [ "$(left)" -gt 0 ] || exit 1
  sleep 1
done
