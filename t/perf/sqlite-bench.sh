#!/bin/sh
# sqlite-bench.sh - how fast sqlite.sync copies a table, first in full,
# then differentially.
#
# A source of ROWS rows (1,000,000; ROWS= to change it) of five columns,
# an INTEGER key, TEXT, REAL, a 64-byte BLOB and updated_at (indexed), is
# copied by `sqlite3 src.db .dump | sqlite3 naive.db`, the baseline, and
# by a sqlite.sync step. Then 1% of the rows change (updated_at set
# higher) and 0.1% are deleted, and the change is copied twice from the
# same starting point: with changed_column (the high-water mark of the
# first run) and without (every row compared by content hash). Printed:
# each time next to the baseline's, the ratio, the target, and the peak
# RSS of runjob and its action. Then the floor of the differential run:
# sqlite3 itself applying the same changes, told them in advance. Targets: the first copy within 1.5x of
# the baseline, the differential runs at least 20x (changed_column) and
# 3x (content hash) faster, RSS under 100 MB.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
runjob=${RUNJOB:-$here/../../runjob}
rows=${ROWS:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"

# now: the time, once what was written before is on disk: each figure
# is taken without the flushing of the files made for the one before.
now() { sync; date +%s.%N; }
# took START: seconds since START, three decimals.
took() { echo "$(date +%s.%N) $1" | awk '{ printf "%.3f", $1 - $2 }'; }
# job FILE TARGET [SETTING]: a job syncing src.db to TARGET.
job() {
	printf 'runjob: 1\nname: %s\nsteps:\n  - id: sync\n    sqlite.sync: { source: src.db, target: %s, delete: true%s }\n' \
		"${1%.yaml}" "$2" "${3:+, $3}" >"$1"
}
# timed NAME FILE: run job FILE with GNU time; NAME.rss gets the peak
# RSS (KB), NAME.split where the step says its time went.
timed() {
	/usr/bin/time -f %M -o "$1.rss" "$runjob" run -q --journal "$PWD/j.db" "$2" >"$1.out" 2>&1 ||
		{ cat "$1.out"; exit 1; }
	sed -n 's/.*items: .* deleted; //p; s/^synced .* tables in \([^:]*\):.*/in the step: \1/p' \
		"$(ls -t logs/*/sync.1.log | head -1)" | paste -sd ';' >"$1.split"
}

sqlite3 src.db "
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, updated_at INTEGER NOT NULL);
CREATE INDEX items_updated ON items (updated_at);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $rows)
INSERT INTO items SELECT i, 'name-' || i, i * 0.5, randomblob(64), i FROM c;"
echo "source: $rows rows, $(($(stat -c %s src.db) / 1048576)) MB"

t=$(now)
sqlite3 src.db .dump | sqlite3 naive.db
naive=$(took "$t")
echo "naive full copy (sqlite3 src.db .dump | sqlite3 naive.db): ${naive}s"

job full.yaml new.db "changed_column: updated_at"
t=$(now)
timed full full.yaml
first=$(took "$t")
cp new.db base.db

sqlite3 src.db "UPDATE items SET name = 'changed', updated_at = updated_at + $rows WHERE id % 100 = 0;
DELETE FROM items WHERE id % 1000 = 7;"

t=$(now)
timed mark full.yaml
mark=$(took "$t")
test "$(sqlite3 j.db "SELECT count(*) FROM events WHERE kind = 'last-state'")" = 1 ||
	{ echo "the differential run did not get the mark of the first"; exit 1; }

cp base.db hashed.db
job hash.yaml hashed.db
t=$(now)
timed hash hash.yaml
hash=$(took "$t")

# The floor: sqlite3 applying exactly these changes to a copy of the
# first run's target, told them in advance (the changed rows by the
# index on updated_at, the keys deleted), with the settings sqlite.sync
# gives its target (WAL, synchronous FULL, a 32 MB cache). It neither
# looks for what changed nor checks anything after: a differential run
# that writes through SQLite spends at least this.
cp base.db floor.db
t=$(now)
sqlite3 floor.db >/dev/null <<EOF
PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -32768;
ATTACH 'src.db' AS s;
BEGIN;
UPDATE main.items SET name = x.name, score = x.score, data = x.data, updated_at = x.updated_at
	FROM (SELECT * FROM s.items WHERE updated_at > $rows) AS x WHERE x.id = main.items.id;
WITH RECURSIVE gone(id) AS (SELECT 7 UNION ALL SELECT id + 1000 FROM gone WHERE id + 1000 <= $rows)
	DELETE FROM main.items WHERE id IN gone;
COMMIT;
EOF
floor=$(took "$t")
sum="SELECT count(*), sum(updated_at), sum(length(name)) FROM items"
test "$(sqlite3 floor.db "$sum")" = "$(sqlite3 new.db "$sum")" ||
	{ echo "the floor did not make what the differential run made"; exit 1; }

echo
printf '%-34s %8s %10s %9s %8s\n' "" seconds "vs naive" target "RSS MB"
printf '%-34s %8s %10s %9s %8d\n' "first full copy" "$first" \
	"$(echo "$naive $first" | awk '{ printf "%.2fx", $2 / $1 }')" "<=1.5x" $(($(cat full.rss) / 1024))
printf '%-34s %8s %10s %9s %8d\n' "1% changed, 0.1% deleted: mark" "$mark" \
	"$(echo "$naive $mark" | awk '{ printf "%.1fx faster", $1 / $2 }')" ">=20x" $(($(cat mark.rss) / 1024))
printf '%-34s %8s %10s %9s %8d\n' "1% changed, 0.1% deleted: hashes" "$hash" \
	"$(echo "$naive $hash" | awk '{ printf "%.1fx faster", $1 / $2 }')" ">=3x" $(($(cat hash.rss) / 1024))
printf '%-34s %8s %10s\n' "floor: sqlite3 told the changes" "$floor" \
	"$(echo "$naive $floor" | awk '{ printf "%.1fx faster", $1 / $2 }')"
echo "the mark run took $(echo "$floor $mark" | awk '{ printf "%.2f", $2 / $1 }')x the floor, and checked both sides besides"
echo
echo "where the time went, as the step says (the rest is runjob's own):"
printf '  %-32s %s\n' "first full copy" "$(cat full.split)" "mark" "$(cat mark.split)" \
	"hashes" "$(cat hash.split)"
