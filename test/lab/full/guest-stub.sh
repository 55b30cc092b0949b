#!/bin/sh
# /sbin/fabl-init inside the lab's User-Mode-Linux root image (PID 1). The kernel hands unknown
# "key=value" boot parameters to init as environment variables: fabl_dir is the node's guest
# directory on the host, mounted with hostfs; the real init script lives there.
mount -t proc proc /proc
mkdir -p /lab
mount -t hostfs none /lab -o "$fabl_dir" || { echo "fabl-init: cannot mount hostfs $fabl_dir" >&2; exec /bin/sh; }
exec /bin/bash /lab/init.sh
