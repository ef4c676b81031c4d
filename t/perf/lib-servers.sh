# lib-servers.sh - the scratch directory of a redis benchmark, sourced
# after setting BENCH (its name, for messages and the directory's):
# $tmp, a directory that goes when the script ends, after the servers
# whose pidfiles are in it ($tmp/*.pid) are stopped; die MESSAGE; and
# run, which times RUNS runs of a command with $BASELINE measure; and
# wait_pong, for a server just started.

die() {
	echo "$BENCH: $*" >&2
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH.XXXXXX")
# The servers were started here, so they are stopped by their pids.
cleanup() {
	for f in "$tmp"/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || continue
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run NAME PREP CHECK CMD...: RUNS runs of CMD, in $tmp, under
# `redis-baseline measure`, its output to $tmp/NAME.out; PREP (a
# function) readies each run, CHECK must then say nothing, or what is
# wrong. Appends "NAME ok WALL KIB CPU CLIENT" or "NAME failed WHY" to
# $tmp/results; CPU is what servers_cpu, when the script defines it,
# counted over the fastest run (else -), CLIENT the CPU seconds CMD's
# process tree took in it. Returns nonzero if a run failed.
run() {
	name=$1 prep=$2 check=$3
	shift 3
	best= rss=0 i=0 cpu= client=
	while [ "$i" -lt "$RUNS" ]; do
		$prep
		rm -f "$tmp/j.db" "$tmp/j.db-wal" "$tmp/j.db-shm"
		rc=0
		c0=$(cpu_now)
		(cd "$tmp" && "$BASELINE" measure "$tmp/m" "$@" \
			>"$tmp/$name.out" 2>&1) || rc=$?
		c1=$(cpu_now)
		if [ $rc -ne 0 ]; then
			why="exit $rc"
		else
			why=$($check)
		fi
		if [ -n "$why" ]; then
			echo "$BENCH: $name failed ($why):" >&2
			tail -n 5 "$tmp/$name.out" | sed 's/^/  /' >&2
			echo "$name failed $why" >>"$tmp/results"
			return 1
		fi
		read -r wall kib ccpu <"$tmp/m"
		faster=$(awk -v t="$wall" -v best="$best" 'BEGIN {
			print (best == "" || t < best) ? 1 : 0 }')
		if [ "$faster" = 1 ]; then
			best=$wall
			[ -n "$c0" ] && cpu=$(awk -v a="$c0" -v b="$c1" \
				'BEGIN { printf "%.2f", b - a }')
			client=$ccpu
			cp "$tmp/$name.out" "$tmp/$name.best"
		fi
		[ "$kib" -gt "$rss" ] && rss=$kib
		i=$((i + 1))
	done
	echo "$name ok $(printf '%.4f' "$best") $rss ${cpu:--} $client" >>"$tmp/results"
}

# servers_cpu's figure, or nothing when the script has none.
cpu_now() {
	command -v servers_cpu >/dev/null 2>&1 && servers_cpu
}

# wait_pong PORT LOG: the redis-server on PORT answers PING within 10 s,
# or the script dies with the tail of its LOG.
wait_pong() {
	i=0
	until [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { tail -n 5 "$2" >&2;
			die "redis-server on port $1 does not answer"; }
		sleep 0.1
	done
}
