#!/bin/sh
# redis-tls-bench.sh - how fast redis.copy copies over TLS next to the
# same copy in plain TCP, in one invocation.
#
#   sh t/perf/redis-tls-bench.sh          (make bench runs it)
#   KEYS=100000 sh t/perf/redis-tls-bench.sh
#
# Two redis-servers on free loopback ports, each listening in plain TCP
# and in TLS (certificates made here with the openssl CLI: a CA and an
# EC P-256 server certificate; TLS 1.3). The source is loaded by
# t/perf/redis-gen.py with KEYS keys (300000), the mix of
# redis-bench.sh. Then a job of one redis.copy step (CONNECTIONS 4 a
# side, BATCH 500, verify: false) copies it to the emptied target, RUNS
# (3) times each way:
#
#   plain     redis://  to redis://
#   tls       rediss:// to rediss://, the certificates checked (tls_ca)
#
# and the best wall time of each is printed as keys/s, with the ratio
# of tls to plain. Target: tls at least 0.70 of plain; a miss is
# reported as MISSED. After each run the target's DBSIZE must be KEYS.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
RUNJOB=${RUNJOB:-$top/runjob}
KEYS=${KEYS:-300000}
RUNS=${RUNS:-3}
CONNECTIONS=${CONNECTIONS:-4}
BATCH=${BATCH:-500}
TARGET_RATIO=0.70

BENCH=redis-tls-bench
. "$top/t/perf/lib-servers.sh"

for p in redis-server redis-cli python3 openssl; do
	command -v $p >/dev/null 2>&1 || die "no $p"
done
[ -x "$RUNJOB" ] || die "no $RUNJOB; run make"


cd "$tmp"
. "$top/t/lib-tls.sh"
tls_ca ca && tls_cert ca srv "IP:127.0.0.1" || die "cannot make certificates"

# Four free ports, held open together so that they differ.
set -- $(python3 -c '
import socket
s = [socket.socket() for _ in range(4)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])') || die "no free ports"
src=$1 srctls=$2 dst=$3 dsttls=$4

# start_server NAME PORT TLSPORT
start_server() {
	redis-server --port "$2" --tls-port "$3" --bind 127.0.0.1 --save '' \
		--appendonly no --daemonize yes --pidfile "$tmp/$1.pid" \
		--dir "$tmp" --logfile "$tmp/$1.log" \
		--tls-cert-file "$tmp/srv.crt" --tls-key-file "$tmp/srv.key" \
		--tls-ca-cert-file "$tmp/ca.crt" --tls-auth-clients no ||
		die "cannot start redis-server on port $2"
	wait_pong "$2" "$tmp/$1.log"
}
start_server src "$src" "$srctls"
start_server dst "$dst" "$dsttls"

echo "redis-tls-bench: loading $KEYS keys" >&2
python3 "$top/t/perf/redis-gen.py" --keys "$KEYS" |
	redis-cli -p "$src" --pipe >"$tmp/load.out" 2>&1 ||
	die "loading failed"
[ "$(redis-cli -p "$src" dbsize)" = "$KEYS" ] || die "loading failed"

# job NAME SOURCE TARGET [SETTING]
job() {
	cat >"$tmp/$1.yaml" <<-EOF
	runjob: 1
	name: tls-bench-$1
	steps:
	  - id: copy
	    redis.copy:
	      source: $2
	      target: $3
	      batch: $BATCH
	      connections: $CONNECTIONS
	      verify: false
	      ${4:-}
	EOF
}
job plain "redis://127.0.0.1:$src/0" "redis://127.0.0.1:$dst/0"
job tls "rediss://127.0.0.1:$srctls/0" "rediss://127.0.0.1:$dsttls/0" \
	"tls_ca: $tmp/ca.crt"

# best NAME: the best wall time of RUNS copies, in seconds.
best() {
	b= i=0
	while [ $i -lt "$RUNS" ]; do
		redis-cli -p "$dst" flushall >/dev/null
		rm -f "$tmp/j.db"*
		t0=$(date +%s.%N)
		"$RUNJOB" run -q --journal "$tmp/j.db" "$tmp/$1.yaml" \
			>"$tmp/$1.out" 2>&1 || { cat "$tmp/$1.out" >&2;
			die "the $1 copy failed"; }
		t1=$(date +%s.%N)
		[ "$(redis-cli -p "$dst" dbsize)" = "$KEYS" ] ||
			die "the $1 copy left the target short"
		b=$(awk -v a="$t0" -v z="$t1" -v b="$b" 'BEGIN {
			t = z - a; if (b == "" || t < b) b = t; printf "%.3f", b }')
		i=$((i + 1))
	done
	echo "$b"
}

load0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo "?")
plain=$(best plain)
tls=$(best tls)
awk -v k="$KEYS" -v p="$plain" -v t="$tls" -v want="$TARGET_RATIO" \
	-v load="$load0" -v runs="$RUNS" 'BEGIN {
	printf "redis.copy of %d keys, best of %d, load %s\n", k, runs, load
	printf "  %-6s %8.2fs %10.0f keys/s\n", "plain", p, k / p
	printf "  %-6s %8.2fs %10.0f keys/s\n", "tls", t, k / t
	r = p / t
	printf "  tls/plain %.2f (target %.2f): %s\n", r, want,
		(r >= want ? "met" : "MISSED")
}'
