# lib-servers.sh - the scratch directory of a redis benchmark, sourced
# after setting BENCH (its name, for messages and the directory's):
# $tmp, a directory that goes when the script ends, after the servers
# whose pidfiles are in it ($tmp/*.pid) are stopped; die MESSAGE; and
# run, which times RUNS runs of a command with $BASELINE measure.

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
# wrong. Appends "NAME ok WALL KIB" or "NAME failed WHY" to $tmp/results;
# returns nonzero if a run failed.
run() {
	name=$1 prep=$2 check=$3
	shift 3
	best= rss=0 i=0
	while [ "$i" -lt "$RUNS" ]; do
		$prep
		rm -f "$tmp/j.db" "$tmp/j.db-wal" "$tmp/j.db-shm"
		rc=0
		(cd "$tmp" && "$BASELINE" measure "$tmp/m" "$@" \
			>"$tmp/$name.out" 2>&1) || rc=$?
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
		read -r wall kib <"$tmp/m"
		best=$(awk -v t="$wall" -v best="$best" 'BEGIN {
			if (best == "" || t < best) best = t
			printf "%.4f", best }')
		[ "$kib" -gt "$rss" ] && rss=$kib
		i=$((i + 1))
	done
	echo "$name ok $best $rss" >>"$tmp/results"
}
