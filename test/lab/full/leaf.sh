# shellcheck shell=bash
# Full-profile leaves: FRR leaves inside User-Mode-Linux guests (Debian's user-mode-linux).
# Sourced by test/lab/up after lib.sh (uses CACHE, RUN, PIDS, NSP, TOPO, node_dir, nx, ...).
#
# A leaf is two layers:
#   outer: netns $NSP-leafK + holder (as every lab node), where the lab's veth cables end
#          (mgmt0, swp51, swp1..N). Each cable end is put in a small Linux bridge b-<if> with a
#          tap t-<if> (no addresses in the outer namespace).
#   guest: linux.uml (run inside the outer namespaces), one vector/tap NIC per tap, renamed in
#          the guest to mgmt0, swp51, swp1..N. Its root is a copy-on-write file over the shared
#          Debian 12 image (state/cache/uml); its kernel has VRF, 802.1Q, VLAN-aware bridges,
#          VXLAN (modules from the host's /usr/lib/uml/modules over hostfs).
# Why tap + bridge, not the vector "raw" transport on the veth: raw (AF_PACKET) receive loses
# 802.1Q tags (the host kernel moves them into skb metadata before packet sockets see the frame),
# so tagged host ports would arrive untagged in the guest. Through a tap the tag is written back.

FULL_DIR="$LAB_DIR/full"
UML_CACHE="$CACHE/uml"
UML_MEM=${FABRICCTL_LAB_UML_MEM:-320M}
UML_PKGS="frr,frr-pythontools,iproute2,openssh-server,kmod,procps,ethtool,iputils-ping,tcpdump"
# glibc 2.36 tunables for every guest process: no AVX-512 string functions (guest-init.sh says why)
GLIBC_TUNABLES_GUEST="glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX512ER,-AVX512PF"

# full_xstate_shim: build the LD_PRELOAD shim that lets UML 6.1 run on hosts with a large XSAVE area
# (AVX-512/AMX CPUs: without it the guest's init dies with "ptrace set fp regs failed, errno = 14"),
# once per source into the cache. Sets UML_PRELOAD.
full_xstate_shim() {
  local key
  key=$(sha256sum "$FULL_DIR/uml-xstate.c" | cut -c1-12)
  UML_PRELOAD="$UML_CACHE/uml-xstate-$key.so"
  [ -f "$UML_PRELOAD" ] && return 0
  mkdir -p "$UML_CACHE"
  cc -O2 -Wall -shared -fPIC -o "$UML_PRELOAD.tmp" "$FULL_DIR/uml-xstate.c" -ldl \
    || die "building $FULL_DIR/uml-xstate.c failed (needs gcc)"
  mv "$UML_PRELOAD.tmp" "$UML_PRELOAD"
}

# full_rootfs: the guest root image ($UML_IMG), built once into the cache with debootstrap
# (Debian 12 minbase + FRR, sshd, iproute2) and mke2fs -d (no loop mount needed).
full_rootfs() {
  local key
  key=$(cat "$FULL_DIR/guest-stub.sh" <(echo "$UML_PKGS") | sha256sum | cut -c1-12)
  UML_IMG="$UML_CACHE/rootfs-$key.img"
  [ -f "$UML_IMG" ] && return 0
  local root="$UML_CACHE/rootfs.tmp" uri
  mkdir -p "$UML_CACHE"
  if [ ! -f "$root/.complete" ] || [ "$(cat "$root/.complete")" != "$UML_PKGS" ]; then
    uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    log "building the UML guest root (debootstrap bookworm minbase + FRR, sshd; once, ~3 min) in $root"
    rm -rf "$root"
    # not niced, bounded at 30 min: at load 20 on 2 cores a niced debootstrap did not finish in 15 min
    # (the log of each attempt is kept beside the previous one)
    [ ! -f "$UML_CACHE/debootstrap.log" ] || mv "$UML_CACHE/debootstrap.log" "$UML_CACHE/debootstrap.previous.log"
    timeout 1800 debootstrap --variant=minbase --include="$UML_PKGS" bookworm "$root" "$uri" >"$UML_CACHE/debootstrap.log" 2>&1 \
      || die "debootstrap of the UML guest root failed (exit $?); see $UML_CACHE/debootstrap.log"
    echo "$UML_PKGS" >"$root/.complete"
  fi
  install -m 755 "$FULL_DIR/guest-stub.sh" "$root/sbin/fabl-init"
  rm -f "$root"/etc/ssh/ssh_host_* "$root"/var/cache/apt/archives/*.deb
  rm -rf "$root"/var/lib/apt/lists/*
  mkdir -p "$root/lab" "$root/lib/modules"
  mke2fs -q -t ext4 -F -d "$root" -L fabl-root "$UML_IMG.tmp" 1G >"$UML_CACHE/mke2fs.log" 2>&1 \
    || die "mke2fs of the UML root image failed; see $UML_CACHE/mke2fs.log"
  mv "$UML_IMG.tmp" "$UML_IMG"
}

# full_leaf_start ID: render the guest directory, plumb the outer namespace, boot the guest
full_leaf_start() {
  local id=$1 ns="$NSP-$1" nd g hn ip
  nd=$(node_dir "$id"); g="$nd/guest"
  hn=$(jq -r --arg id "$id" '.leaves[] | select(.id == $id) | .name' "$TOPO")
  ip=$(jq -r --arg id "$id" '.leaves[] | select(.id == $id) | .mgmt' "$TOPO")
  mkdir -p "$g/ssh" "$g/frr" "$RUN/uml"
  node "$FULL_DIR/render.mjs" "$TOPO" "$id" "$g" || die "rendering the guest of $hn failed"
  cp "$nd/frr/etc/daemons" "$nd/frr/etc/vtysh.conf" "$g/frr/"
  cp "$FULL_DIR/guest-init.sh" "$g/init.sh"
  cp "$LAB_DIR/frr-apply.sh" "$g/frr-apply.sh"
  cp "$RUN/ssh/authorized_keys" "$g/ssh/authorized_keys"
  ssh-keygen -q -t ed25519 -N '' -C "host key of $hn (fabricctl lab, UML guest)" -f "$g/ssh/ssh_host_ed25519_key"
  cat >"$g/ssh/sshd_config" <<EOF
ListenAddress $ip
Port 22
HostKey /etc/ssh/lab/ssh_host_ed25519_key
PidFile /run/sshd.pid
AuthorizedKeysFile /etc/ssh/lab/authorized_keys
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
SetEnv GLIBC_TUNABLES=$GLIBC_TUNABLES_GUEST
Subsystem sftp internal-sftp
EOF
  # outer namespace: no addresses; each cable end bridged to the tap of one guest NIC
  local ifc i=0 args=()
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
  . "$g/guest.env"
  for ifc in $IFACES; do
    ip -n "$ns" addr flush dev "$ifc"
    ip -n "$ns" tuntap add "t-$ifc" mode tap
    ip -n "$ns" link add "b-$ifc" type bridge
    ip -n "$ns" link set "$ifc" master "b-$ifc"
    ip -n "$ns" link set "t-$ifc" master "b-$ifc"
    ip -n "$ns" link set "t-$ifc" up
    ip -n "$ns" link set "b-$ifc" up
    ip -n "$ns" link set "$ifc" up
    args+=("vec$i:transport=tap,ifname=t-$ifc")
    i=$((i + 1))
  done
  rm -f "$g/ready" "$g/failed"
  date +%s.%N >"$nd/boot-started"
  setsid nsenter -t "$(holder_pid "$id")" -m -u -n -- env LD_PRELOAD="$UML_PRELOAD" linux.uml "mem=$UML_MEM" "umid=$NSP-$id" "uml_dir=$RUN/uml" \
    "ubd0=$nd/root.cow,$UML_IMG" root=/dev/ubda rw init=/sbin/fabl-init "fabl_dir=$g" \
    "GLIBC_TUNABLES_GUEST=$GLIBC_TUNABLES_GUEST" con0=null,fd:1 con=null "${args[@]}" </dev/null >"$nd/uml-console.log" 2>&1 9>&- &
  record_pid "$PIDS/uml-$id.pid" $!
}

# full_leaf_wait ID: wait for the guest (FRR + sshd up), then add it to known_hosts/ssh_config
full_leaf_wait() {
  local id=$1 nd g hn ip
  nd=$(node_dir "$id"); g="$nd/guest"
  hn=$(jq -r --arg id "$id" '.leaves[] | select(.id == $id) | .name' "$TOPO")
  ip=$(jq -r --arg id "$id" '.leaves[] | select(.id == $id) | .mgmt' "$TOPO")
  local end=$(( $(date +%s) + 600 ))  # a guest took 223 s to FRR + sshd at load 20 on 2 cores
  while [ ! -e "$g/ready" ]; do
    [ ! -e "$g/failed" ] || die "UML leaf $hn failed to boot: $(cat "$g/failed"); see $g/init.log and $nd/uml-console.log"
    pid_alive "$PIDS/uml-$id.pid" || die "UML leaf $hn: linux.uml exited; see $nd/uml-console.log"
    [ "$(date +%s)" -lt "$end" ] || die "timed out after 600s waiting for UML leaf $hn; see $g/init.log and $nd/uml-console.log"
    sleep 0.5
  done
  log "UML leaf $hn: FRR and sshd up $(awk -v a="$(cat "$nd/boot-started")" -v b="$(stat -c %.3Y "$g/ready")" 'BEGIN{printf "%.1f", b - a}')s after linux.uml started"
  printf '%s,%s %s\n' "$hn" "$ip" "$(cut -d' ' -f1,2 "$g/ssh/ssh_host_ed25519_key.pub")" >>"$RUN/ssh/known_hosts"
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
