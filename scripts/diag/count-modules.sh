#!/bin/sh
# Count the modules a fabricctl command loads (ESM through a load hook, CommonJS from require.cache),
# and how many of them are yaml/zod. Usage (from the repo root): scripts/diag/count-modules.sh host list --json
D=$(cd "$(dirname "$0")" && pwd)
export COUNT_OUT=$(mktemp)
node --require "$D/cjs-count.cjs" --import "$D/count-hook.mjs" ./bin/run.js "$@" >/dev/null
echo "esm modules: $(wc -l <"$COUNT_OUT") (yaml: $(grep -c /node_modules/yaml/ "$COUNT_OUT"), zod: $(grep -c /node_modules/zod/ "$COUNT_OUT"))"
rm -f "$COUNT_OUT"
