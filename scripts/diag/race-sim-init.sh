#!/bin/sh
# The race of test/store-replace.test.ts, by hand, against a given build: $1 = build root.
R=${1:-.}; H=$(mktemp -d); export FABRICCTL_HOME=$H FABRICCTL_CONFIG=$H/none.yaml FABRICCTL_CONTEXT=
cd $R && ./bin/run.js sim init >/dev/null
for i in 0 1 2; do node test/helpers/alloc-loop.mjs $i $H/stop 400 > $H/w$i.out & done
sleep 6; ./bin/run.js sim init --force >/dev/null; T=$(date +%s%3N); sleep 8; touch $H/stop; wait
node -e "
const fs=require('fs'); const D=require('$R/node_modules/better-sqlite3');
const lines=[0,1,2].flatMap(i=>fs.readFileSync('$H/w'+i+'.out','utf8').trim().split('\n').filter(Boolean).map(JSON.parse));
const db=new D('$H/sim.db',{readonly:true}); const m=new Map(db.prepare(\"select name, ip from ports where name like 'w%-%'\").all().map(r=>[r.name,r.ip]));
const after=lines.filter(l=>l.ip&&l.at>$T); const lost=after.filter(l=>m.get(l.name)!==l.ip);
console.log('reported OK:', lines.filter(l=>l.ip).length, 'after re-init:', after.length, 'lost:', lost.length)"
rm -rf $H
