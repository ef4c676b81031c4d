#!/bin/sh
# diff-bench.sh - how long `runjob diff` takes on two runs whose job texts
# are 1 MB each.
#
#   sh t/perf/diff-bench.sh
#
# A small job is run once to make a journal and a run; its row is copied
# twice with texts of SIZE bytes (1 MB), the second with CHANGES lines
# changed, spread through the text (100, and then 10% of the lines, a
# far heavier edit, and then every step's command). Wall time is the best of RUNS (3) runs.
# RUNJOB names the binary to measure (default: ./runjob of this tree);
# sqlite3 (the program) writes the rows.
#
# Target: under 0.2 s. A missed target is reported as MISSED, not as a
# failure of this script; it fails only when something could not be
# measured.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
RUNJOB=${RUNJOB:-$top/runjob}
SIZE=${SIZE:-1048576}
RUNS=${RUNS:-3}
TARGET_S=0.2

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

printf 'runjob: 1\nname: big\nsteps:\n  - id: a\n    run: "true"\n' >small.yaml
"$RUNJOB" --journal "$dir/j.db" -q small.yaml >/dev/null 2>&1

# A job text of SIZE bytes: steps with a command each.
awk -v size="$SIZE" 'BEGIN {
	print "runjob: 1"; print "name: big"; print "steps:"; n = 30
	for (i = 0; n < size; i++) {
		l1 = sprintf("  - id: s%06d", i)
		l2 = sprintf("    run: psql -c \"update t set v = v + 1 where id = %d\"", i)
		print l1; print l2; n += length(l1) + length(l2) + 2
	}
}' >a.yaml

bench() {
	changes=$1
	steps=$(grep -c 'run:' a.yaml)
	awk -v every=$((steps / changes)) \
		'/run:/ && ++n % every == 0 { sub(/v \+ 1/, "v + 2") } { print }' \
		a.yaml >b.yaml
	sqlite3 j.db "
		delete from runs where id in ('bench-a', 'bench-b');
		insert into runs (id, job, file, text, sha256, params, user, host,
			pid, trigger, started, state)
		select 'bench-a', job, file, readfile('a.yaml'), sha256, params,
			user, host, pid, trigger, started, state from runs limit 1;
		insert into runs (id, job, file, text, sha256, params, user, host,
			pid, trigger, started, state)
		select 'bench-b', job, file, readfile('b.yaml'), sha256, params,
			user, host, pid, trigger, started, state from runs
			where id = 'bench-a';"
	best=
	i=0
	while [ $i -lt "$RUNS" ]; do
		t0=$(date +%s.%N)
		rc=0
		"$RUNJOB" diff --journal "$dir/j.db" bench-a bench-b >out || rc=$?
		t1=$(date +%s.%N)
		[ $rc -eq 1 ] || { echo "runjob diff exited $rc, not 1" >&2; exit 1; }
		t=$(echo "$t1 - $t0" | bc)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then
			best=$t
		fi
		i=$((i + 1))
	done
	hunks=$(grep -c '^@@' out || true)
	verdict=ok
	[ "$(echo "$best < $TARGET_S" | bc)" = 1 ] || verdict=MISSED
	printf 'diff of two %d-byte job texts, %d lines changed (%d hunks): %.3f s (target %s s) %s\n' \
		"$(wc -c <a.yaml)" "$(grep -c '^+ ' out || true)" "$hunks" "$best" \
		"$TARGET_S" "$verdict"
}

bench 100
bench $(($(wc -l <a.yaml) / 10))
bench $(grep -c 'run:' a.yaml)
