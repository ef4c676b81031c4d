# lib-servers.sh - the scratch directory of a redis benchmark, sourced
# after setting BENCH (its name, for messages and the directory's):
# $tmp, a directory that goes when the script ends, after the servers
# whose pidfiles are in it ($tmp/*.pid) are stopped; and die MESSAGE.

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
