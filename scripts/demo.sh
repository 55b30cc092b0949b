#!/usr/bin/env bash
# The main job, end to end, against the built-in simulated fabric (npm run demo).
# Uses its own data directory unless FABRICCTL_HOME is set, so it never touches your fabric.
set -uo pipefail
cd "$(dirname "$0")/.."
export FABRICCTL_HOME="${FABRICCTL_HOME:-${TMPDIR:-/tmp}/fabricctl-demo}"
export FABRICCTL_CONFIG="${FABRICCTL_CONFIG:-$FABRICCTL_HOME/config.yaml}"
unset FABRICCTL_CONTEXT
f() { echo; echo "\$ fabricctl $*"; node bin/run.js "$@"; echo "(exit $?)"; }

f sim init --profile small --seed 1 --force
f topology show
f audit hosts --fail-on error
f port allocate --label prod-env --name-template 'demo-web-{i}' --count 2 --host az1-h01
f port allocate --label prod-env --name demo-db --host az1-h06
f trace demo-web-1 demo-db
f port migrate demo-db --to-host az1-h08
f leaf diff --all
f sim fault inject config-drift --target az1-leaf01a --interface Ethernet1 --vlan 101
f port diagnose demo-web-1
f leaf push az1-leaf01a
f port diagnose demo-web-1
f sim fault clear --all
f port states --by leaf
echo
echo "Demo fabric: $FABRICCTL_HOME (remove it when done). Next: node bin/run.js --help"
