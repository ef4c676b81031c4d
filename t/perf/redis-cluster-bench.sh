#!/bin/sh
# redis-cluster-bench.sh - how fast runjob's redis.copy copies a Redis
# Cluster to another, next to a plain way of doing it.
#
#   sh t/perf/redis-cluster-bench.sh        (make bench runs it)
#   KEYS=100000 sh t/perf/redis-cluster-bench.sh    (a quick look)
#
# Two clusters of 3 primaries each (no replicas), 6 redis-servers on free
# loopback ports in a temporary directory, no persistence, their slots
# laid out differently: the source's evenly (0-5460, 5461-10922,
# 10923-16383), the target's not (0-3999, 4000-11999, 12000-16383), so
# that keys of one source primary go to several target primaries. Each
# source primary is loaded by t/perf/redis-gen.py --slots with its share
# of KEYS keys (1000000) of the data set of redis-bench.sh: 70% strings,
# 10% hashes, 10% lists, 5% sets, 5% sorted sets, 10% with a TTL. Then
# each of these copies it, the target's primaries emptied before each run:
#
#   baseline  t/perf/redis-baseline cluster: one connection to each node;
#             each source primary in turn, SCAN COUNT 1000, pipelined
#             PTTL+DUMP, then RESTORE pipelined to the target node that
#             owns the key's slot as far as it has learned, a key answered
#             MOVED sent again alone to the node it names (remembered)
#   runjob    a job of one redis.copy step between redis+cluster:// URLs,
#             CONNECTIONS (4) connections a side, BATCH (500) keys a round
#             trip, verify: false so that the copy is timed alone
#
# After each, the target's primaries must hold KEYS keys between them.
# Wall time is the best of RUNS (2) runs, process start included, and peak
# RSS the process tree's (redis-baseline measure). Target: runjob at least
# 2 times the baseline's keys/s; a miss is reported as MISSED. The script
# fails only when the servers, the data or the baseline could not be had.
# RUNJOB names the binary to measure (default: ./runjob of this tree).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
RUNJOB=${RUNJOB:-$top/runjob}
BASELINE=$top/t/perf/redis-baseline
KEYS=${KEYS:-1000000}
RUNS=${RUNS:-2}
CONNECTIONS=${CONNECTIONS:-4}
BATCH=${BATCH:-500}
TARGET_RATIO=2

BENCH=redis-cluster-bench
. "$top/t/perf/lib-servers.sh"

[ -x "$BASELINE" ] || die "no $BASELINE; run make t/perf/redis-baseline"
[ -x "$RUNJOB" ] || echo "redis-cluster-bench: no $RUNJOB; its row will fail" >&2
for p in redis-server redis-cli python3; do
	command -v $p >/dev/null 2>&1 ||
		die "no $p (apt-get install redis-server redis-tools python3)"
done

# Six free ports whose cluster bus ports (+10000) are free too.
ports=$(python3 -c '
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
got = []
while len(got) < 6:
    p = random.randrange(20000, 30000)
    if p not in got and free(p) and free(p + 10000):
        got.append(p)
print(*got)') || die "no free ports"
set -- $ports
s1=$1 s2=$2 s3=$3 d1=$4 d2=$5 d3=$6

start_server() {
	mkdir -p "$tmp/$1"
	redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no \
		--cluster-enabled yes --cluster-config-file nodes.conf \
		--daemonize yes --pidfile "$tmp/$1.pid" --dir "$tmp/$1" \
		--logfile "$tmp/$1/log" || die "cannot start redis-server on port $1"
	wait_pong "$1" "$tmp/$1/log"
}
for p in $ports; do
	start_server "$p"
done

# cluster PORT:LO-HI ...: the servers made one cluster, each given its
# slots; waits until every one says cluster_state:ok.
cluster() {
	first=${1%%:*}
	for a in "$@"; do
		p=${a%%:*} r=${a#*:}
		redis-cli -p "$p" cluster addslotsrange "${r%-*}" "${r#*-}" >/dev/null
		redis-cli -p "$p" cluster meet 127.0.0.1 "$first" >/dev/null
	done
	i=0
	for a in "$@"; do
		until redis-cli -p "${a%%:*}" cluster info | tr -d '\r' |
			grep -q '^cluster_state:ok$'; do
			i=$((i + 1))
			[ $i -lt 600 ] || die "the cluster of $first is not ok after 60 s"
			sleep 0.1
		done
	done
}
cluster "$s1:0-5460" "$s2:5461-10922" "$s3:10923-16383"
cluster "$d1:0-3999" "$d2:4000-11999" "$d3:12000-16383"

dbsize() {
	n=0
	for p in "$@"; do
		n=$((n + $(redis-cli -p "$p" dbsize)))
	done
	echo "$n"
}

load0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo "?")
echo "redis-cluster-bench: loading $KEYS keys into the source cluster" >&2
t0=$(date +%s.%N)
for a in "$s1:0-5460" "$s2:5461-10922" "$s3:10923-16383"; do
	python3 "$top/t/perf/redis-gen.py" --keys "$KEYS" --slots "${a#*:}" |
		redis-cli -p "${a%%:*}" --pipe >"$tmp/load-${a%%:*}.out" 2>&1 &
done
wait
for p in $s1 $s2 $s3; do
	grep -q 'errors: 0,' "$tmp/load-$p.out" ||
		{ tail -n 5 "$tmp/load-$p.out" >&2; die "loading $p had errors"; }
done
t1=$(date +%s.%N)
n=$(dbsize $s1 $s2 $s3)
[ "$n" = "$KEYS" ] || die "the source has $n keys, not $KEYS"
load_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
version=$(redis-cli -p "$s1" info server | tr -d '\r' |
	sed -n 's/^redis_version://p')

cat >"$tmp/copy.yaml" <<EOF
runjob: 1
name: redis-cluster-bench
steps:
  - id: copy
    redis.copy:
      source: redis+cluster://127.0.0.1:$s1
      target: redis+cluster://127.0.0.1:$d1
      batch: $BATCH
      connections: $CONNECTIONS
      verify: false
EOF

flush_target() {
	for p in $d1 $d2 $d3; do
		[ "$(redis-cli -p "$p" flushall)" = OK ] ||
			die "FLUSHALL on port $p failed"
	done
}

# The CPU seconds the six servers have used (user and system), which
# other work on the machine does not add to.
servers_cpu() {
	for p in $ports; do
		redis-cli -p "$p" info cpu
	done | tr -d '\r' |
		awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { printf "%.3f", s }'
}

# A copy must leave KEYS keys on the target's primaries.
check_copy() {
	got=$(dbsize $d1 $d2 $d3)
	[ "$got" = "$KEYS" ] || echo "$got of $KEYS keys on the target"
}

: >"$tmp/results"
echo "redis-cluster-bench: copying with the baseline" >&2
run baseline flush_target check_copy "$BASELINE" cluster "$s1,$s2,$s3" "$d1,$d2,$d3" ||
	die "the baseline failed"
echo "redis-cluster-bench: copying with runjob redis.copy" >&2
run runjob flush_target check_copy "$RUNJOB" run -q --journal "$tmp/j.db" "$tmp/copy.yaml" || :

echo
echo "redis.copy of $KEYS keys (the data set of redis-bench.sh) from a" \
	"3-primary Redis Cluster to another of other slots, on loopback"
echo "redis $version, loaded in ${load_s}s; $(uname -m), $(nproc) CPUs;" \
	"runjob: connections $CONNECTIONS, batch $BATCH"
echo "wall: best of $RUNS, process start included; peak RSS: the process" \
	"tree's, highest of $RUNS"
echo "load average: $load0 before, $(cut -d ' ' -f 1-3 /proc/loadavg \
	2>/dev/null || echo "?") after"
awk -v keys="$KEYS" -v tr="$TARGET_RATIO" -v conns="$CONNECTIONS" \
	-v ncpu="$(nproc)" '
	{
		n++
		name[n] = $1
		ok[$1] = $2 == "ok"
		wall[$1] = $3
		rss[$1] = $4 * 1024 / 1e6
		scpu[$1] = $5
		ccpu[$1] = $6
	}
	function what(k) {
		if (k == "baseline")
			return "baseline: per primary, MOVED key by key"
		return "runjob redis.copy, " conns " conns"
	}
	END {
		printf "\n%-42s %8s %9s %8s %12s %9s %9s\n", "method", "wall s",
			"keys/s", "vs base", "peak RSS MB", "servers", "client"
		for (i = 1; i <= n; i++) {
			k = name[i]
			if (!ok[k]) {
				printf "%-42s failed\n", what(k)
				continue
			}
			printf "%-42s %8.3f %9.0f %7.2fx %12.1f %8ss %8ss\n",
				what(k), wall[k], keys / wall[k],
				wall["baseline"] / wall[k], rss[k], scpu[k], ccpu[k]
		}
		printf "(servers, client: the CPU seconds the six redis-servers and the copying process tree used)\n"
		# The copy cannot take less than the CPU it needs spread over
		# every CPU of the machine: what the servers do for it is most.
		if (ok["runjob"] && scpu["runjob"] != "-") {
			need = scpu["runjob"] + ccpu["runjob"]
			printf "runjob needs %.2f CPU seconds: on %d CPUs at least %.2f s, at most %.2fx the baseline\n",
				need, ncpu, need / ncpu, wall["baseline"] * ncpu / need
		}
		printf "\n"
		if (ok["runjob"]) {
			r = wall["baseline"] / wall["runjob"]
			printf "%-40s %s (%.2fx)\n", sprintf(">= %dx the baseline:",
				tr), (r >= tr ? "met" : "MISSED"), r
		} else {
			printf "%-40s MISSED (runjob failed)\n",
				sprintf(">= %dx the baseline:", tr)
		}
	}' "$tmp/results"
