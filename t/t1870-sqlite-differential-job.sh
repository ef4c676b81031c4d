#!/bin/sh
test_description='jobs/sqlite-differential.yaml runs as its comments say: backup, differential sync, verify, cutover, and the way back'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-sqlite.sh"

# sq_both: the rows of both tables, on the live database and the new one.
sq_both() {
	sq_rows live.db users id >users.live &&
	sq_rows new.db users id >users.new &&
	test_cmp users.live users.new &&
	sq_rows live.db tags "user, tag" >tags.live &&
	sq_rows new.db tags "user, tag" >tags.new &&
	test_cmp tags.live tags.new
}

test_expect_success 'setup: a live database, the application config, the job and its params' '
	cp "$RUNJOB_ROOT"/jobs/sqlite-differential.yaml job.yaml &&
	sqlite3 live.db "
	CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, avatar BLOB, updated_at INTEGER NOT NULL);
	CREATE INDEX users_at ON users (updated_at);
	CREATE TABLE tags (user INTEGER, tag TEXT, PRIMARY KEY (user, tag)) WITHOUT ROWID;
	WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000)
	INSERT INTO users SELECT i, '"'user '"' || i, randomblob(20), i FROM c;
	INSERT INTO tags VALUES (1, '"'admin'"'), (2, '"'ops'"'), (2, '"'admin'"');" &&
	sqlite3 config.db "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT);
		INSERT INTO settings VALUES ('"'database'"', '"'live.db'"')" &&
	cat >my.env <<-\ENV &&
	SRC=live.db
	DST=new.db
	CONFIG_DB=config.db
	SWITCH_SQL=UPDATE settings SET value = '"'"'new.db'"'"' WHERE name = '"'"'database'"'"'
	SWITCH_BACK_SQL=UPDATE settings SET value = '"'"'live.db'"'"' WHERE name = '"'"'database'"'"'
	ENV
	runjob check --env-file my.env job.yaml
'

test_expect_success 'the first run copies everything and does not switch' '
	sq_run job.yaml --env-file my.env &&
	test_grep "new.db does not exist yet: the first run makes it" job.out &&
	test_grep "switch: skipped" job.out &&
	sq_both &&
	test "$(q config.db "SELECT value FROM settings")" = live.db
'

test_expect_success 'a later run backs up the new database and copies only what changed' '
	sqlite3 live.db "UPDATE users SET name = '"'renamed'"', updated_at = 3000 WHERE id IN (5, 6);
		DELETE FROM users WHERE id = 7; DELETE FROM tags WHERE tag = '"'ops'"'" &&
	sq_run job.yaml --env-file my.env &&
	test_grep "users: copying the rows with updated_at at or past 2000, the mark of the last successful run" job.out &&
	test_grep "verify | new.db: integrity ok, foreign keys ok; 0 rows inserted, 2 updated, 2 deleted" job.out &&
	test "$(ls backups/*.db | wc -l)" = 1 &&
	sq_both
'

test_expect_success 'the cutover run switches the application over; runjob rollback switches back and restores the new database' '
	sqlite3 live.db "UPDATE users SET name = '"'late'"', updated_at = 4000 WHERE id = 8" &&
	sq_rows new.db users id >before-cutover &&
	sq_run job.yaml --env-file my.env -p CUTOVER=yes &&
	test "$(q config.db "SELECT value FROM settings")" = new.db &&
	sq_both &&
	runjob rollback --journal "$PWD/job.db" job.yaml >rb.out 2>&1 &&
	cat rb.out &&
	test "$(q config.db "SELECT value FROM settings")" = live.db &&
	sq_rows new.db users id >after-rollback &&
	test_cmp before-cutover after-rollback
'

test_expect_success 'after a rollback the next run goes on from the mark of the last run that stands' '
	sq_run job.yaml --env-file my.env &&
	test_grep "sync | users: 0 inserted, 1 updated, 0 deleted" job.out &&
	sq_both
'

test_done
