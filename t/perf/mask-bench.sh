#!/bin/sh
# mask-bench.sh - how fast a step's output goes through masking to its
# log: MB (100) of log-like lines, full of '@', ':' and URLs, printed by
# one step, with no secret, with one plain secret, and with a URL
# secret (masked with its password and user info: seven values to look
# for). The first is the baseline, measured in the same run.
#
#   sh t/perf/mask-bench.sh        (make bench runs it)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
RUNJOB=${RUNJOB:-$top/runjob}
MB=${MB:-100}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One 1 MB block of lines, printed MB times by the step.
awk 'BEGIN {
	for (i = 0; i < 20000; i++)
		printf "2026-12-06T02:%02d:%02d copy user@db-%d: key:%07d -> redis://10.0.0.%d:6379/0 ok\n",
			i / 60 % 60, i % 60, i % 7, i, i % 250
}' | head -c 1048576 >"$tmp/block"
cat >"$tmp/m.yaml" <<EOF
runjob: 1
name: m
params:
  S: { secret: true, env: BENCH_SECRET }
steps:
  - id: a
    run: i=0; while [ \$i -lt $MB ]; do cat block; i=\$((i + 1)); done
EOF

# best SECRET: the best of three runs' wall time, in milliseconds.
best() {
	b=
	for _ in 1 2 3; do
		s=$(date +%s%N)
		BENCH_SECRET=$1 "$RUNJOB" -q --new --journal "$tmp/j.db" \
			"$tmp/m.yaml" >/dev/null
		e=$(date +%s%N)
		t=$(((e - s) / 1000000))
		if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
	done
	echo "$b"
}
none=$(best "")
plain=$(best "Pl41nSecretValue")
url=$(best "redis://mig-user:Zq%40rk%3Ast%2F9%25Wv@10.0.0.7:6379/0")
echo "$MB MB of output to the log: no secret (baseline) $none ms," \
	"$((MB * 1000 / none)) MB/s; a plain secret $plain ms," \
	"$((MB * 1000 / plain)) MB/s; a URL secret $url ms," \
	"$((MB * 1000 / url)) MB/s"
