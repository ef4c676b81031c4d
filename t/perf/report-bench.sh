#!/bin/sh
# report-bench.sh - how long `runjob report --html` takes for a run of
# STEPS (10000) steps, and how big the page is; against `runjob show
# --json` of the same run, which reads the same rows.
#
#   sh t/perf/report-bench.sh        (make bench runs it)
#
# Targets: under 1 s, and a page under 10 MB.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
RUNJOB=${RUNJOB:-$top/runjob}
STEPS=${STEPS:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

{
	printf "runjob: 1\nname: big\nsteps:\n"
	i=0
	while [ $i -lt "$STEPS" ]; do
		printf "  - { id: s%d, run: \"echo step %d\" }\n" $i $i
		i=$((i + 1))
	done
} >"$tmp/big.yaml"
"$RUNJOB" -q -j 2 --journal "$tmp/j.db" "$tmp/big.yaml"

best() {
	b=
	for _ in 1 2 3; do
		s=$(date +%s%N)
		"$@" >/dev/null
		e=$(date +%s%N)
		t=$(((e - s) / 1000000))
		if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
	done
	echo "$b"
}
report=$(best "$RUNJOB" report --journal "$tmp/j.db" --html -o "$tmp/r.html" big)
show=$(best "$RUNJOB" show --journal "$tmp/j.db" --json big)
size=$(wc -c <"$tmp/r.html")
echo "runjob report --html of a $STEPS-step run: $report ms (target under 1000 ms)," \
	"$((size / 1024)) KB (target under 10 MB); runjob show --json of it: $show ms"
