#!/bin/sh
# redis-bench.sh - how fast runjob's redis.copy copies a redis database to
# another, against two plain ways of doing it, and how fast redis.verify
# (mode: full) checks the copy.
#
#   sh t/perf/redis-bench.sh        (make bench runs it)
#   KEYS=100000 sh t/perf/redis-bench.sh    (a quick look)
#
# Two redis-servers on free loopback ports, in a temporary directory, no
# persistence. The source is loaded by t/perf/redis-gen.py through
# `redis-cli --pipe` with KEYS keys (1000000): 70% strings of 10-100
# bytes, 10% hashes of 10 fields, 10% lists of 10, 5% sets of 10, 5%
# sorted sets of 10; 10% of the keys with a TTL of an hour. Then each of
# these copies it to the target, emptied (FLUSHALL) before each run:
#
#   scan      t/perf/redis-baseline scan: one connection a side; SCAN
#             COUNT 1000, pipelined PTTL+DUMP, then pipelined RESTORE
#   migrate   t/perf/redis-baseline migrate: SCAN COUNT 1000 and for
#             each batch MIGRATE ... COPY REPLACE KEYS (server to server)
#   runjob    a job of one redis.copy step, CONNECTIONS (4) connections a
#             side, BATCH (500) keys a round trip, verify: false so the
#             copy is timed alone
#   checked   the same step with its default verify: true, the copy and
#             its closing check; the split between them (copy, check, and
#             how much of the check ran during the copy) is read from the
#             step's "split:" line of the fastest run
#
# After each, the target's DBSIZE must equal the source's. Then a job of
# one redis.verify step, mode: full, checks the target against the source.
# If the runjob copy failed, the target is first filled by the scan
# baseline (untimed), so that redis.verify is measured all the same.
#
# Wall time is the best of RUNS (3) runs, each including process start
# and connecting; srv CPU is the CPU time both redis-servers spent in
# that run (INFO cpu), which other work on the machine does not inflate
# as it does wall time. Peak RSS is that of the whole process tree, the highest
# of the runs: redis.copy runs in a child of runjob (`runjob action
# redis.copy`), and /usr/bin/time -f %M would give only the largest one
# process. `redis-baseline measure` samples VmHWM of every process of the
# tree every 10 ms and adds up their peaks (an upper bound: the peaks
# need not be at the same time); see measure() in redis-baseline.c. A
# cgroup's memory.peak would be exact but is not at hand everywhere, and
# cgroup v1's max_usage counts page cache too.
#
# Targets: runjob at least 1.5 times the faster baseline's keys/s, and
# with its closing check at least 1.5 times the scan baseline's; peak
# RSS under 200 MB, redis.verify at 100000 keys/s or more. A missed target
# is reported as MISSED; a runjob row that fails is reported as failed
# (exit N), so the baselines still print. The script fails only when the
# servers, the data set or a baseline could not be had.
# RUNJOB names the binary to measure (default: ./runjob of this tree).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
RUNJOB=${RUNJOB:-$top/runjob}
BASELINE=$top/t/perf/redis-baseline
KEYS=${KEYS:-1000000}
RUNS=${RUNS:-3}
CONNECTIONS=${CONNECTIONS:-4}
BATCH=${BATCH:-500}
TARGET_RATIO=1.5	# of the faster baseline's keys/s
TARGET_MB=200
TARGET_VERIFY=100000	# keys/s

BENCH=redis-bench
. "$top/t/perf/lib-servers.sh"

[ -x "$BASELINE" ] || die "no $BASELINE; run make t/perf/redis-baseline"
[ -x "$RUNJOB" ] || echo "redis-bench: no $RUNJOB; its rows will fail" >&2
for p in redis-server redis-cli python3; do
	command -v $p >/dev/null 2>&1 ||
		die "no $p (apt-get install redis-server redis-tools python3)"
done


# Two free ports, both held open until both are known, so that they
# differ; something else may take one before redis does, which
# start_server then reports.
ports=$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])') || die "no free ports"
set -- $ports
src=$1 dst=$2

start_server() {
	redis-server --port "$2" --bind 127.0.0.1 --save '' \
		--appendonly no --daemonize yes --pidfile "$tmp/$1.pid" \
		--dir "$tmp" --logfile "$tmp/$1.log" ||
		die "cannot start redis-server on port $2"
	wait_pong "$2" "$tmp/$1.log"
}
start_server src "$src"
start_server dst "$dst"

rcli() {
	port=$1
	shift
	redis-cli -p "$port" "$@" 2>&1
}

dbsize() {
	n=$(rcli "$1" dbsize)
	case $n in
	''|*[!0-9]*) die "DBSIZE on port $1: $n" ;;
	esac
	echo "$n"
}

# Other work on the machine skews every row; its load is shown.
load0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo "?")
echo "redis-bench: loading $KEYS keys into 127.0.0.1:$src" >&2
t0=$(date +%s.%N)
python3 "$top/t/perf/redis-gen.py" --keys "$KEYS" |
	redis-cli -p "$src" --pipe >"$tmp/load.out" 2>&1 ||
	{ tail -n 5 "$tmp/load.out" >&2; die "loading failed"; }
grep -q 'errors: 0,' "$tmp/load.out" ||
	{ tail -n 5 "$tmp/load.out" >&2; die "loading had errors"; }
t1=$(date +%s.%N)
n=$(dbsize "$src")
[ "$n" = "$KEYS" ] || die "the source has $n keys, not $KEYS"
load_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
ttls=$(rcli "$src" info keyspace | sed -n 's/^db0:.*expires=\([0-9]*\).*/\1/p')
srcmem=$(rcli "$src" info memory |
	sed -n 's/^used_memory_human:\([^[:space:]]*\).*/\1/p')
version=$(rcli "$src" info server |
	sed -n 's/^redis_version:\([^[:space:]]*\).*/\1/p')

cat >"$tmp/copy.yaml" <<EOF
runjob: 1
name: redis-bench-copy
steps:
  - id: copy
    redis.copy:
      source: redis://127.0.0.1:$src/0
      target: redis://127.0.0.1:$dst/0
      batch: $BATCH
      connections: $CONNECTIONS
      verify: false
EOF
sed '/verify: false/d' "$tmp/copy.yaml" >"$tmp/checked.yaml"
cat >"$tmp/verify.yaml" <<EOF
runjob: 1
name: redis-bench-verify
steps:
  - id: verify
    redis.verify:
      source: redis://127.0.0.1:$src/0
      target: redis://127.0.0.1:$dst/0
      mode: full
      rounds: 1
      batch: $BATCH
      connections: $CONNECTIONS
EOF

# The CPU seconds the two servers have used (user and system), which
# other work on the machine does not add to.
servers_cpu() {
	{ rcli "$src" info cpu; rcli "$dst" info cpu; } | tr -d '\r' |
		awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { printf "%.3f", s }'
}

flush_target() {
	[ "$(rcli "$dst" flushall)" = OK ] || die "FLUSHALL on port $dst failed"
}
nothing() {
	:
}

# A step's output from the journal ("" without sqlite3 or the value).
output() {
	command -v sqlite3 >/dev/null 2>&1 || return 0
	sqlite3 "$tmp/j.db" "select value from outputs where step_id = '$1'
		and name = '$2'" 2>/dev/null || :
}

# A copy must leave as many keys on the target as on the source, and
# redis.copy must say it copied them all.
check_copy() {
	n=$(dbsize "$dst")
	[ "$n" = "$KEYS" ] || { echo "$n of $KEYS keys on the target"; return; }
	case $name in runjob|checked) ;; *) return 0 ;; esac
	n=$(output copy KEYS_COPIED)
	[ -z "$n" ] || [ "$n" = "$KEYS" ] || echo "KEYS_COPIED is $n, not $KEYS"
}
# redis.verify's exit status says whether it found mismatches; it must
# also have checked every key.
check_verify() {
	n=$(output verify KEYS_CHECKED)
	[ -z "$n" ] || [ "$n" = "$KEYS" ] || echo "KEYS_CHECKED is $n, not $KEYS"
}

: >"$tmp/results"
echo "redis-bench: copying with the scan baseline" >&2
run scan flush_target check_copy "$BASELINE" scan "$src" "$dst" ||
	die "the scan baseline failed"
echo "redis-bench: copying with the migrate baseline" >&2
run migrate flush_target check_copy "$BASELINE" migrate "$src" "$dst" ||
	die "the migrate baseline failed"
echo "redis-bench: copying with runjob redis.copy" >&2
if ! run runjob flush_target check_copy "$RUNJOB" run -q \
    --journal "$tmp/j.db" "$tmp/copy.yaml"; then
	echo "redis-bench: filling the target with the scan baseline for" \
		"redis.verify" >&2
	flush_target
	"$BASELINE" scan "$src" "$dst" >/dev/null || die "the scan baseline failed"
	[ "$(dbsize "$dst")" = "$KEYS" ] ||
		die "the scan baseline copied too few keys"
fi

echo "redis-bench: copying with runjob redis.copy and its closing check" >&2
run checked flush_target check_copy "$RUNJOB" run --journal "$tmp/j.db" \
	"$tmp/checked.yaml" || :
# "copy | split: copy 4.100s, check 0.001s, overlap 0.000s"
split=$(sed -n 's/.* split: copy \([0-9.]*\)s, check \([0-9.]*\)s, overlap \([0-9.]*\)s$/\1 \2 \3/p' \
	"$tmp/checked.best" 2>/dev/null | tail -n 1)
how=$(sed -n 's/.* copy | \(verify: .*\|verifying key types and lengths.*\)$/\1/p' \
	"$tmp/checked.best" 2>/dev/null | head -n 1)

echo "redis-bench: checking with runjob redis.verify" >&2
run verify nothing check_verify "$RUNJOB" run -q --journal "$tmp/j.db" \
	"$tmp/verify.yaml" || :

echo
echo "redis.copy of $KEYS keys (70% strings 10-100 B, 10% hashes, 10%" \
	"lists, 5% sets, 5% zsets of 10; $ttls with a TTL) between two" \
	"loopback redis-servers"
echo "redis $version, source used_memory $srcmem, loaded in ${load_s}s;" \
	"$(uname -m), $(nproc) CPUs; runjob: connections $CONNECTIONS, batch" \
	"$BATCH"
echo "wall: best of $RUNS, process start included; peak RSS: the process" \
	"tree's, highest of $RUNS"
echo "load average: $load0 before, $(cut -d ' ' -f 1-3 /proc/loadavg \
	2>/dev/null || echo "?") after"
awk -v keys="$KEYS" -v tr="$TARGET_RATIO" -v tmb="$TARGET_MB" \
	-v tv="$TARGET_VERIFY" -v conns="$CONNECTIONS" -v sp="$split" \
	-v how="$how" '
	{
		n++
		name[n] = $1
		ok[$1] = $2 == "ok"
		if (ok[$1]) {
			wall[$1] = $3
			rss[$1] = $4 * 1024 / 1e6
			cpu[$1] = $5
		} else {
			why = $0
			sub(/^[^ ]* failed /, "", why)
			fail[$1] = why
		}
	}
	function what(k) {
		if (k == "scan") return "baseline: SCAN + DUMP/RESTORE, 1 conn"
		if (k == "migrate") return "baseline: MIGRATE COPY REPLACE KEYS"
		if (k == "runjob") return "runjob redis.copy, " conns " conns"
		if (k == "checked") return "runjob redis.copy + closing check"
		if (k == "verify") return "runjob redis.verify, mode: full"
		return k
	}
	END {
		best = ""
		if (ok["scan"] && ok["migrate"]) {
			best = wall["scan"] < wall["migrate"] ? "scan" : "migrate"
		}
		printf "\n%-38s %8s %9s %10s %12s %8s\n", "method", "wall s",
			"keys/s", "vs faster", "peak RSS MB", "srv CPU"
		for (i = 1; i <= n; i++) {
			k = name[i]
			if (!ok[k]) {
				printf "%-38s failed (%s)\n", what(k), fail[k]
				continue
			}
			if (k == "verify")
				vs = "-"
			else
				vs = sprintf("%.2fx", wall[best] / wall[k])
			printf "%-38s %8.3f %9.0f %10s %12.1f %7.2fs\n", what(k),
				wall[k], keys / wall[k], vs, rss[k], cpu[k]
		}
		printf "(vs faster: keys/s over that of the faster baseline, %s)\n\n",
			best
		if (ok["runjob"]) {
			r = wall[best] / wall["runjob"]
			target(sprintf(">= %.1fx the faster baseline:", tr),
				r >= tr, sprintf("%.2fx", r))
			target(sprintf("peak RSS < %d MB:", tmb),
				rss["runjob"] < tmb,
				sprintf("%.1f MB", rss["runjob"]))
		} else {
			target(sprintf(">= %.1fx the faster baseline:", tr), -1)
			target(sprintf("peak RSS < %d MB:", tmb), -1)
		}
		if (ok["verify"]) {
			v = keys / wall["verify"]
			target(sprintf("verify >= %d keys/s:", tv), v >= tv,
				sprintf("%.0f keys/s", v))
		} else
			target(sprintf("verify >= %d keys/s:", tv), -1)
		label = sprintf("with its check >= %.1fx scan:", tr)
		if (ok["checked"]) {
			r = wall["scan"] / wall["checked"]
			target(label, r >= tr, sprintf("%.2fx", r))
			if (split(sp, s, " ") == 3)
				printf "split of the copy with its check, fastest run: " \
					"copy %.3fs, check %.3fs, overlap %.3fs\n", s[1],
					s[2], s[3]
			if (how != "")
				printf "the check: %s\n", how
		} else
			target(label, -1)
	}
	function target(label, met, fig) {
		if (met < 0)
			printf "target: %-32s not measured\n", label
		else
			printf "target: %-32s %-6s (%s)\n", label,
				met ? "ok" : "MISSED", fig
	}' "$tmp/results"
