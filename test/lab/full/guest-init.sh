# PID 1 of a full-profile lab leaf (User-Mode-Linux guest), exec'd by /sbin/fabl-init from the
# node's guest directory (hostfs, mounted at /lab). Everything the guest needs comes from /lab:
# guest.env, setup.sh (kernel side), frr/ (frr.conf, daemons, vtysh.conf), ssh/ (host key,
# sshd_config, authorized_keys). Writes /lab/ready when sshd and FRR run, /lab/failed otherwise.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# glibc's string functions must not use AVX-512 registers in the guest: UML 6.1 saves only the
# x87/SSE/AVX part of a process's FPU state (see uml-xstate.c), so threads sharing one host process
# could see each other's zmm/opmask registers. The same for ssh sessions (sshd_config SetEnv).
export GLIBC_TUNABLES=$GLIBC_TUNABLES_GUEST
exec >/lab/init.log 2>&1
set -x
fail() { echo "fabl-init: $*" >&2; cp /var/log/frr/frr.log /lab/frr.log 2>/dev/null; ps -eo pid,stat,etime,args >/lab/ps.txt 2>&1; ls -l /run/frr >>/lab/ps.txt 2>&1; echo "$*" >/lab/failed; while :; do sleep 3600; done; }
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
# the UML kernel's modules come from Debian's user-mode-linux package on the host, read-only
mount -r -t hostfs none /lib/modules -o /usr/lib/uml/modules || fail "cannot mount the UML modules"
. /lab/guest.env
hostname "$HOSTNAME"; echo "$HOSTNAME" >/etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$HOSTNAME" >/etc/hosts
# configs: /proc/config.gz (the leaf driver reads it to detect the profile)
for m in configs ipv6 bridge 8021q vrf vxlan; do modprobe "$m" || fail "modprobe $m"; done
ip link set lo up
i=0
for name in $IFACES; do ip link set "vec$i" name "$name" || fail "no vec$i for $name"; i=$((i + 1)); done
ip addr add "$MGMT_IP" dev mgmt0 && ip link set mgmt0 up || fail "management address"
bash -e /lab/setup.sh || fail "setup.sh failed"
# FRR: its files live in the guest's own (copy-on-write) root, like on a real switch. The daemons
# start without /etc/frr/frr.conf; frr-apply.sh installs and applies it once zebra and bgpd answer
# (applied by watchfrr at start, it was cut short under load: see test/lab/frr-apply.sh)
mkdir -p /var/log/frr /run/frr
rm -f /etc/frr/frr.conf
cp /lab/frr/daemons /lab/frr/vtysh.conf /etc/frr/
chown -R frr:frr /etc/frr /var/log/frr /run/frr && chmod 640 /etc/frr/*
/usr/lib/frr/frrinit.sh start || fail "FRR did not start"
bash /lab/frr-apply.sh /lab/frr/frr.conf 400 || fail "the FRR configuration did not apply (see /lab/init.log, /var/log/frr/frr.log)"
mkdir -p /run/sshd /etc/ssh/lab
cp /lab/ssh/* /etc/ssh/lab/ && chmod 600 /etc/ssh/lab/ssh_host_ed25519_key
/usr/sbin/sshd -f /etc/ssh/lab/sshd_config -E /var/log/sshd.log || fail "sshd did not start"
echo ok >/lab/ready
set +x
while :; do sleep 3600 & wait $!; done
