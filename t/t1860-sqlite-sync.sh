#!/bin/sh
test_description='sqlite.sync: every type kept exactly, composite keys, tables without a timestamp, deletes, the high-water mark carried from the last successful run, a copy killed mid-table and resumed, schema differences refused before writing, a locked target, a full disk, dry runs'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-sqlite.sh"

# sync_job FILE SETTING...: a job whose step 'sync' is a sqlite.sync of
# src.db to dst.db with these settings, and a step 'after' that writes
# the outputs it gets to FILE.env.
sync_job() {
	local s_file=$1 s_s
	shift
	{
		echo "runjob: 1"
		echo "name: $(basename "${s_file%.yaml}")"
		echo "steps:"
		echo "  - id: sync"
		echo "    sqlite.sync:"
		echo "      source: src.db"
		echo "      target: ${SQ_TARGET:-dst.db}"
		for s_s in "$@"; do
			echo "      $s_s"
		done
		echo "  - id: after"
		echo "    needs: [sync]"
		echo "    run: env | grep -E '^ROWS_[A-Z]+=' | sort >$(basename "${s_file%.yaml}").env"
	} >"$s_file"
}

# same DB1 DB2: every table of the fixture holds the same rows, with the
# same types and bytes, on both.
same() {
	for t in "items id" "pairs a, b" "notes k"; do
		set -- $t
		tbl=$1
		shift
		sq_rows src.db "$tbl" "$*" >"$tbl.src" &&
		sq_rows "${SQ_TARGET:-dst.db}" "$tbl" "$*" >"$tbl.dst" &&
		test_cmp "$tbl.src" "$tbl.dst" || return 1
	done
}

test_expect_success 'setup: a source with every type, NULLs, a composite key and a table without a timestamp' '
	sqlite3 src.db "
	CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, score REAL,
		data BLOB, n NUMERIC, any_, updated_at INTEGER NOT NULL);
	CREATE INDEX items_at ON items (updated_at);
	WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000)
	INSERT INTO items SELECT i, '"'name '"' || i, i * 0.25, randomblob(i % 40),
		i % 7, CASE i % 4 WHEN 0 THEN 1 WHEN 1 THEN 1.0 WHEN 2 THEN '"'1'"' ELSE X'"'01'"' END,
		100 FROM c;
	INSERT INTO items VALUES (5000, NULL, NULL, NULL, NULL, NULL, 100),
		(5001, '"'tab\there, é, '"' || char(0) || '"'after nul'"', -0.0, X'"'00'"', 1e308, 2.5, 100),
		(5002, '"''"', 0.1, X'"''"', '"'text in numeric'"', 9223372036854775807, 100);
	CREATE TABLE pairs (a TEXT, b INTEGER, v, PRIMARY KEY (a, b)) WITHOUT ROWID;
	INSERT INTO pairs VALUES ('"'x'"', 1, NULL), ('"'x'"', 2, 1.5), ('"'y'"', 1, X'"'00ff'"'), ('"'y'"', -2, '"'t'"');
	CREATE TABLE notes (k TEXT PRIMARY KEY, body TEXT);
	INSERT INTO notes VALUES ('"'a'"', '"'one'"'), ('"'b'"', '"'two'"'), ('"'c'"', NULL);" &&
	test "$(q src.db "SELECT count(*) FROM items")" = 3003
'

test_expect_success 'the first run copies every table: types, bytes and NULLs kept exactly, the target in WAL mode' '
	sync_job first.yaml "changed_column: updated_at" "delete: true" "batch: 500" &&
	sq_run first.yaml &&
	same &&
	test "$(q dst.db "PRAGMA journal_mode")" = wal &&
	test "$(q dst.db "SELECT typeof(score) || typeof(any_) FROM items WHERE id = 5001")" = realreal &&
	test "$(q dst.db "SELECT hex(name) FROM items WHERE id = 5001")" = "$(q src.db "SELECT hex(name) FROM items WHERE id = 5001")" &&
	test "$(q dst.db "SELECT count(*) FROM sqlite_schema WHERE name = '"'items_at'"'")" = 1 &&
	test_grep "items: 3003 rows in the source, 3003 in the target, content hash" first.out &&
	test "$(sq_out ROWS_INSERTED first.env)" = 3010 &&
	test "$(sq_out ROWS_UPDATED first.env)" = 0 &&
	test "$(sq_out ROWS_CHECKED first.env)" = 3010
'

test_expect_success 'a later run copies only what changed since the mark of the last successful run, and deletes' '
	sqlite3 src.db "
	UPDATE items SET name = '"'changed'"', updated_at = 200 WHERE id % 100 = 0;
	DELETE FROM items WHERE id % 500 = 1;
	INSERT INTO items VALUES (6000, '"'new'"', 1, X'"'ff'"', 1, NULL, 201);
	UPDATE pairs SET v = 2.5 WHERE a = '"'x'"' AND b = 2;
	DELETE FROM pairs WHERE a = '"'y'"' AND b = -2;
	INSERT INTO pairs VALUES ('"'z'"', 0, 0);
	UPDATE notes SET body = '"'three'"' WHERE k = '"'c'"';" &&
	sync_job first.yaml "changed_column: updated_at" "delete: true" "batch: 500" &&
	sq_run first.yaml &&
	same &&
	test_grep "the last successful run.s marks are the starting point" first.out &&
	test_grep "items: copying the rows with updated_at at or past 100, the mark of the last successful run" first.out &&
	test_grep "items: 1 inserted, 31 updated, 7 deleted; copied in [0-9][0-9.]*m\{0,1\}s, checked in [0-9][0-9.]*m\{0,1\}s$" first.out &&
	test "$(sq_out ROWS_INSERTED first.env)" = 2 &&
	test "$(sq_out ROWS_UPDATED first.env)" = 33 &&
	test "$(sq_out ROWS_DELETED first.env)" = 8 &&
	run=$(q first.db "SELECT id FROM runs ORDER BY started LIMIT 1") &&
	test "$(q first.db "SELECT data FROM events WHERE kind = '"'last-state'"' AND step_id = '"'sync'"'")" = "{\"from_run\":\"$run\"}"
'

test_expect_success 'without changed_column every row is compared by content, and delete: false keeps the target rows' '
	sqlite3 src.db "UPDATE items SET score = 7 WHERE id = 10; UPDATE items SET data = X'"'00'"' WHERE id = 11;
		DELETE FROM items WHERE id = 12" &&
	sync_job hash.yaml "batch: 100" &&
	sq_run hash.yaml &&
	test "$(sq_out ROWS_UPDATED hash.env)" = 2 &&
	test_grep "items: 0 inserted, 2 updated, 0 deleted; copied in [0-9][0-9.]*m\{0,1\}s, checked as written$" hash.out &&
	test "$(sq_out ROWS_DELETED hash.env)" = 0 &&
	test_grep "the rows only in the target are kept" hash.out &&
	test "$(q dst.db "SELECT count(*) FROM items WHERE id = 12")" = 1 &&
	sync_job hashdel.yaml "delete: true" &&
	sq_run hashdel.yaml &&
	test "$(sq_out ROWS_DELETED hashdel.env)" = 1 &&
	same
'

test_expect_success 'the target changed by something else: the end check fails naming the first keys that differ; the next attempt puts it right' '
	sqlite3 dst.db "DELETE FROM items WHERE id IN (20, 30); UPDATE pairs SET b = 99 WHERE a = '"'z'"'" &&
	sync_job first.yaml "changed_column: updated_at" "delete: true" "batch: 500" &&
	test_expect_code 1 sq_run first.yaml &&
	test_grep "table items: after the sync the target still differs from the source: 0 rows differ, 2 are only in the source; the first: (20) only in the source, (30) only in the source" first.out &&
	test_grep "the next attempt of this step compares every row of items" first.out &&
	sq_run first.yaml &&
	test_grep "items: going on from the checkpoint (merge)" first.out &&
	same
'

test_expect_success 'a row the target does not keep as written (a trigger there) fails the step when read back; the next attempt puts it right' '
	sqlite3 dst.db "CREATE TRIGGER mangle AFTER UPDATE ON items BEGIN
		UPDATE items SET name = name || '"'!'"' WHERE id = NEW.id AND name NOT LIKE '"'%!'"'; END" &&
	sqlite3 src.db "UPDATE items SET name = '"'four'"' WHERE id = 2" &&
	sync_job trig.yaml "delete: true" &&
	test_expect_code 1 sq_run trig.yaml &&
	test_grep "table items: after the copy the target differs from the source: 2996 rows in the source, 2996 in the target, content sums" trig.out &&
	sqlite3 dst.db "DROP TRIGGER mangle" &&
	sq_run trig.yaml &&
	same
'

test_expect_success '--dry-run says what is new, changed and deleted per table, and writes nothing' '
	sqlite3 src.db "UPDATE items SET name = '"'dry'"' WHERE id < 4; DELETE FROM items WHERE id = 5;
		INSERT INTO notes VALUES ('"'d'"', '"'four'"')" &&
	cp dst.db before.db &&
	sync_job dry.yaml "delete: true" &&
	runjob run --dry-run --journal "$PWD/dry.db" dry.yaml >dry.out 2>&1 &&
	cat dry.out &&
	test_grep "items: 0 new rows, 2 changed, 1 deleted" dry.out &&
	test_grep "notes: 1 new rows, 0 changed, 0 deleted" dry.out &&
	test_grep "pairs: 0 new rows, 0 changed, 0 deleted" dry.out &&
	test "$(sq_rows dst.db items id)" = "$(sq_rows before.db items id)" &&
	SQ_TARGET=fresh.db sync_job drynew.yaml &&
	runjob run --dry-run --journal "$PWD/dry.db" drynew.yaml >drynew.out 2>&1 &&
	test_grep "the target fresh.db does not exist yet: it would be made" drynew.out &&
	! test -e fresh.db
'

test_expect_success 'schema differences are errors naming table and column, before anything is written' '
	sqlite3 wrong.db "
	CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, score TEXT,
		data BLOB, n NUMERIC, updated_at INTEGER NOT NULL, extra INTEGER);
	CREATE TABLE pairs (a TEXT, b INTEGER, v, PRIMARY KEY (b, a)) WITHOUT ROWID;
	CREATE TABLE notes (k TEXT PRIMARY KEY, body TEXT);" &&
	SQ_TARGET=wrong.db sync_job bad.yaml &&
	test_expect_code 1 sq_run bad.yaml &&
	test_grep "table items: column score is REAL in the source (declared .REAL.), TEXT in the target" bad.out &&
	test_grep "table items: column any_ is in the source, not in the target: add it to the target" bad.out &&
	test_grep "table items: column extra is in the target, not in the source" bad.out &&
	test_grep "table pairs: the primary key is (a, b) in the source, (b, a) in the target" bad.out &&
	test_grep "nothing was written" bad.out &&
	test "$(q wrong.db "SELECT count(*) FROM notes")" = 0 &&
	sqlite3 loose.db "CREATE TABLE loose (a, b); INSERT INTO loose VALUES (1, 2)" &&
	sed "s/source: src.db/source: loose.db/; s/target: wrong.db/target: nokey-dst.db/" bad.yaml >nokey.yaml &&
	test_expect_code 1 sq_run nokey.yaml &&
	test_grep "table loose has no primary key: name the columns that tell its rows apart with key:" nokey.out &&
	sed "/target: nokey-dst.db/a\\      key: a" nokey.yaml >keyed.yaml &&
	sq_run keyed.yaml &&
	test "$(q nokey-dst.db "SELECT a, b FROM loose")" = "1|2"
'

test_expect_success 'a target locked longer than busy_timeout fails the step, saying so' '
	sqlite3 src.db "UPDATE items SET name = '"'busy'"' WHERE id = 2" &&
	sync_job busy.yaml "busy_timeout: 300ms" &&
	sq_lock dst.db &&
	test_when_finished "sq_unlock" &&
	test_expect_code 1 sq_run busy.yaml &&
	test_grep "dst.db: while BEGIN IMMEDIATE: the database is locked by another connection, still after waiting 300 ms" busy.out
'

test_expect_success 'setup: a source of 200,000 rows' '
	sqlite3 big.db "
	CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, data BLOB, updated_at INTEGER);
	WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200000)
	INSERT INTO items SELECT i, '"'row '"' || i, randomblob(32), i FROM c;"
'

# big_job FILE TARGET: a sync of big.db to TARGET in batches of 100.
big_job() {
	cat >"$1" <<-EOF
	runjob: 1
	name: big
	steps:
	  - id: sync
	    sqlite.sync: { source: big.db, target: $2, batch: 100, busy_timeout: 60s }
	EOF
}

test_expect_success 'runjob SIGKILLed mid-table: the resumed run goes on from the last batch checkpointed' '
	big_job kill.yaml killed.db &&
	{ RUNJOB_PROGRESS_INTERVAL=100 runjob run --journal "$PWD/kill.db" kill.yaml >kill.out 2>&1 & } &&
	runner=$! &&
	n=0 &&
	while test "$(q kill.db "SELECT count(*) FROM events WHERE kind = '"'checkpoint'"'" 2>/dev/null || echo 0)" -lt 20
	do
		test $n -lt 600 && sleep 0.05 && n=$((n + 1)) || return 1
	done &&
	sv=$(pgrep -P $runner) &&
	action=$(pgrep -P $sv) &&
	kill -STOP $action &&
	kill -KILL $runner $sv $action &&
	{ wait $runner; test $? = 137; } &&
	copied=$(q killed.db "SELECT count(*) FROM items") &&
	echo "$copied rows copied before the kill" &&
	test "$copied" -gt 0 && test "$copied" -lt 200000 &&
	RUNJOB_PROGRESS_INTERVAL=100 runjob resume --journal "$PWD/kill.db" kill.yaml >resume.out 2>&1 &&
	cat resume.out &&
	test_grep "items: going on from the checkpoint (merge)" resume.out &&
	test "$(sq_rows big.db items id)" = "$(sq_rows killed.db items id)" &&
	inserted=$(q kill.db "SELECT value FROM outputs WHERE name = '"'ROWS_INSERTED'"'") &&
	echo "ROWS_INSERTED=$inserted" &&
	test "$inserted" -ge $((200000 - copied)) && test "$inserted" -le 200000
'

test_expect_success 'progress is shown: rows done of all, rows per second, time left' '
	test_grep "progress: items: copying \[[#.]*\] [0-9]*% [0-9]* of 200000 rows, [0-9]* rows/s, ETA [0-9]" resume.out
'

# narrow_job FILE: a sync of narrow-src.db to narrow.db by updated_at.
narrow_job() {
	cat >"$1" <<-EOF
	runjob: 1
	name: narrow
	steps:
	  - id: sync
	    sqlite.sync: { source: narrow-src.db, target: narrow.db, changed_column: updated_at, delete: true }
	  - id: after
	    needs: [sync]
	    run: env | grep -E '^ROWS_[A-Z]+=' | sort >narrow.env
	EOF
}

test_expect_success 'a row deleted from 200,000 is found in the one key range whose digest differs' '
	cp big.db narrow-src.db &&
	cp killed.db narrow.db &&
	narrow_job narrowed.yaml &&
	sq_run narrowed.yaml &&
	test "$(sq_out ROWS_INSERTED narrow.env)" = 0 &&
	test "$(sq_out ROWS_UPDATED narrow.env)" = 0 &&
	sqlite3 narrow-src.db "DELETE FROM items WHERE id = 123457" &&
	sq_run narrowed.yaml &&
	test_grep "items: copying the rows with updated_at at or past" narrowed.out &&
	test_grep "items: [0-9]* key ranges compared by digest, 1 differ" narrowed.out &&
	test "$(sq_out ROWS_DELETED narrow.env)" = 1 &&
	test "$(sq_out ROWS_UPDATED narrow.env)" = 0 &&
	test "$(q narrow.db "SELECT count(*) FROM items WHERE id = 123457")" = 0 &&
	test "$(sq_rows narrow-src.db items id)" = "$(sq_rows narrow.db items id)"
'

test_expect_success 'keys traded within one range, as many rows with the same sum of keys on both sides, are told apart' '
	sqlite3 narrow-src.db "DELETE FROM items WHERE id IN (1001, 1004)" &&
	sqlite3 narrow.db "DELETE FROM items WHERE id IN (1002, 1003)" &&
	test "$(q narrow-src.db "SELECT count(*), sum(id) FROM items WHERE id BETWEEN 1001 AND 1004")" = \
		"$(q narrow.db "SELECT count(*), sum(id) FROM items WHERE id BETWEEN 1001 AND 1004")" &&
	test_expect_code 1 sq_run narrowed.yaml &&
	test_grep "table items: after the sync the target still differs from the source: 0 rows differ, 2 are only in the source; the first: (1002) only in the source, (1003) only in the source" narrowed.out &&
	test "$(q narrow.db "SELECT count(*) FROM items WHERE id IN (1001, 1004)")" = 0 &&
	sq_run narrowed.yaml &&
	test "$(sq_rows narrow-src.db items id)" = "$(sq_rows narrow.db items id)"
'

test_expect_success 'the source side of the check, read while 20,000 changed rows are written, finds just the range of the one row deleted' '
	sqlite3 narrow-src.db "UPDATE items SET name = name || '"'!'"', updated_at = updated_at + 1000000 WHERE id % 10 = 0;
		DELETE FROM items WHERE id = 54321" &&
	sq_run narrowed.yaml &&
	test "$(sq_out ROWS_UPDATED narrow.env)" = 20000 &&
	test "$(sq_out ROWS_DELETED narrow.env)" = 1 &&
	test_grep "items: [0-9]* key ranges compared by digest, 1 differ" narrowed.out &&
	test "$(sq_rows narrow-src.db items id)" = "$(sq_rows narrow.db items id)"
'

test_expect_success 'keys at both ends of the integers, and keys that are not all integers, are compared right' '
	sqlite3 ends-src.db "
	CREATE TABLE ends (id INTEGER PRIMARY KEY, v TEXT);
	INSERT INTO ends VALUES (-9223372036854775808, '"'min'"'), (-5, '"'a'"'), (0, '"'b'"'), (7, '"'c'"'),
		(4611686018427387904, '"'d'"'), (9223372036854775807, '"'max'"');
	CREATE TABLE mixed (k INT PRIMARY KEY, v TEXT);
	INSERT INTO mixed VALUES (1, '"'one'"'), (2.5, '"'two and a half'"'), (3, '"'three'"'), ('"'x'"', '"'text'"');" &&
	cat >ends.yaml <<-\EOF &&
	runjob: 1
	name: ends
	steps:
	  - id: sync
	    sqlite.sync: { source: ends-src.db, target: ends-dst.db, delete: true }
	EOF
	sq_run ends.yaml &&
	sqlite3 ends-src.db "DELETE FROM ends WHERE id IN (-9223372036854775808, 7);
		UPDATE ends SET v = '"'changed'"' WHERE id = 9223372036854775807;
		INSERT INTO ends VALUES (-9223372036854775807, '"'new'"');
		DELETE FROM mixed WHERE k = 2.5; UPDATE mixed SET v = '"'changed'"' WHERE k = '"'x'"'" &&
	sq_run ends.yaml &&
	test_grep "ends: [0-9]* key ranges compared by digest, [1-9][0-9]* differ" ends.out &&
	! grep "mixed: .* key ranges compared by digest" ends.out &&
	test_grep "ends: 1 inserted, 1 updated, 2 deleted" ends.out &&
	test_grep "mixed: 0 inserted, 1 updated, 1 deleted" ends.out &&
	test "$(sq_rows ends-src.db ends id)" = "$(sq_rows ends-dst.db ends id)" &&
	test "$(sq_rows ends-src.db mixed k)" = "$(sq_rows ends-dst.db mixed k)"
'

mkdir full
if mount -t tmpfs -o size=2m tmpfs full 2>/dev/null
then
	test_expect_success 'a full disk on the target fails the step saying so; the batches done stay' '
		big_job full.yaml full/t.db &&
		test_expect_code 1 sq_run full.yaml &&
		test_grep "full/t.db: while .*: the disk is full" full.out &&
		test "$(q full/t.db "PRAGMA integrity_check")" = ok &&
		test "$(q full/t.db "SELECT count(*) FROM items")" -gt 0
	'
	umount full
else
	test_skip 'a full disk on the target fails the step saying so' 'cannot mount a tmpfs here'
fi

test_done
