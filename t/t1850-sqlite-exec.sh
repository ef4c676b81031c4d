#!/bin/sh
test_description='sqlite.exec: SQL in one transaction, a failing statement named by its line and nothing changed, file: read at the job revision, a lock waited for, dry runs rolled back, and sqlite.exec as a rollback'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-sqlite.sh"

# exec_job FILE SETTING...: a job whose step 'exec' is a sqlite.exec with
# these settings, and a step 'after' that writes ROWS_CHANGED to FILE.env.
exec_job() {
	local e_file=$1 e_s
	shift
	{
		echo "runjob: 1"
		echo "name: $(basename "${e_file%.yaml}")"
		echo "steps:"
		echo "  - id: exec"
		echo "    sqlite.exec:"
		for e_s in "$@"; do
			echo "      $e_s"
		done
		echo "  - id: after"
		echo "    needs: [exec]"
		echo "    run: echo ROWS_CHANGED=\$ROWS_CHANGED >$(basename "${e_file%.yaml}").env"
	} >"$e_file"
}

test_expect_success 'setup: a database with a table' '
	sqlite3 app.db "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, '"'a'"'), (2, '"'b'"')" &&
	test "$(q app.db "SELECT count(*) FROM t")" = 2
'

test_expect_success 'statements run in one transaction; the rows they change reach the next step' '
	exec_job ok.yaml "db: app.db" "sql: |
        UPDATE t SET v = v || 1;
        INSERT INTO t VALUES (3, 3);
        SELECT count(*) FROM t;
        CREATE TABLE u (x);" &&
	sq_run ok.yaml &&
	test_grep "exec | 3$" ok.out &&
	test_grep "ran 4 statements on app.db in one transaction: 3 rows changed" ok.out &&
	test "$(sq_out ROWS_CHANGED ok.env)" = 3 &&
	test "$(q app.db "SELECT group_concat(v) FROM t")" = "a1,b1,3"
'

test_expect_success 'a failing statement is named by its line, exits 1, and the database is unchanged' '
	cp app.db before.db &&
	exec_job bad.yaml "db: app.db" "sql: |
        DELETE FROM t WHERE id = 1;

        -- a comment
        INSERT INTO t VALUES (2, 99);
        UPDATE t SET v = 0;" &&
	test_expect_code 1 sq_run bad.yaml &&
	test_grep "sql: line 4: UNIQUE constraint failed: t.id" bad.out &&
	test_grep "INSERT INTO t VALUES (2, 99);" bad.out &&
	test_grep "rolled back: app.db is as it was" bad.out &&
	test "$(sq_rows app.db t id)" = "$(sq_rows before.db t id)" &&
	exec_job syntax.yaml "db: app.db" "sql: |
        SELECT 1;
        SELEC 2;" &&
	test_expect_code 1 sq_run syntax.yaml &&
	test_grep "sql: line 2: near \"SELEC\": syntax error" syntax.out
'

test_expect_success 'file: is read from the work tree, and from git at the revision a job runs at' '
	git init -q repo &&
	sqlite3 repo/r.db "CREATE TABLE t (v TEXT)" &&
	echo "INSERT INTO t VALUES ('"'committed'"');" >repo/change.sql &&
	exec_job repo/job.yaml "db: r.db" "file: change.sql" &&
	(cd repo && git add job.yaml change.sql && git -c user.name=t -c user.email=t@t commit -q -m one) &&
	echo "INSERT INTO t VALUES ('"'work tree'"');" >repo/change.sql &&
	runjob run --journal "$PWD/rev.db" repo/job.yaml@HEAD >rev.out 2>&1 &&
	cat rev.out &&
	test "$(q repo/r.db "SELECT group_concat(v) FROM t")" = committed &&
	runjob run --journal "$PWD/rev.db" repo/job.yaml >wt.out 2>&1 &&
	test "$(q repo/r.db "SELECT group_concat(v) FROM t")" = "committed,work tree" &&
	echo "syntax error here" >repo/broken.sql &&
	exec_job repo/broken.yaml "db: r.db" "file: broken.sql" &&
	test_expect_code 1 runjob run --journal "$PWD/rev.db" repo/broken.yaml >broken.out 2>&1 &&
	test_grep "broken.sql: line 1: near \"syntax\"" broken.out
'

test_expect_success 'a database locked by another connection is waited for busy_timeout, then the step fails saying so' '
	exec_job busy.yaml "db: app.db" "sql: UPDATE t SET v = 1" "busy_timeout: 300ms" &&
	sq_lock app.db &&
	test_when_finished "sq_unlock" &&
	test_expect_code 1 sq_run busy.yaml &&
	test_grep "database is locked by another connection, still after waiting 300 ms" busy.out
'

test_expect_success 'the lock let go within busy_timeout: the step waits for it and succeeds' '
	exec_job wait.yaml "db: app.db" "sql: UPDATE t SET v = 2" "busy_timeout: 20s" &&
	sq_lock app.db &&
	{ sq_run wait.yaml >/dev/null & } &&
	runner=$! &&
	sleep 1 &&
	sq_unlock &&
	wait $runner &&
	test "$(q app.db "SELECT DISTINCT v FROM t")" = 2
'

test_expect_success '--dry-run runs the SQL, reports the rows it would change, and rolls back' '
	cp app.db before.db &&
	exec_job dry.yaml "db: app.db" "sql: DELETE FROM t WHERE id > 1; UPDATE t SET v = 7" &&
	runjob run --dry-run --journal "$PWD/dry.db" dry.yaml >dry.out 2>&1 &&
	cat dry.out &&
	test_grep "would run 2 statements on app.db, changing 3 rows (run and rolled back)" dry.out &&
	test "$(sq_rows app.db t id)" = "$(sq_rows before.db t id)"
'

test_expect_success 'sqlite.exec as a rollback action undoes a step when the run fails' '
	cat >rb.yaml <<-\EOF &&
	runjob: 1
	name: rb
	on_failure: rollback
	steps:
	  - id: add
	    sqlite.exec: { db: app.db, sql: "INSERT INTO t VALUES (100, '"'new'"')" }
	    rollback:
	      sqlite.exec: { db: app.db, sql: "DELETE FROM t WHERE id = 100" }
	  - id: fail
	    needs: [add]
	    run: exit 1
	EOF
	test_expect_code 1 sq_run rb.yaml &&
	test "$(q rb.db "SELECT state FROM steps WHERE step_id = '"'add'"'")" = rolled-back &&
	test "$(q app.db "SELECT count(*) FROM t WHERE id = 100")" = 0
'

test_expect_success 'check names what is wrong with the settings, where it is' '
	exec_job both.yaml "db: app.db" "sql: SELECT 1" "file: x.sql" &&
	test_expect_code 3 runjob check both.yaml 2>both.err &&
	test_grep "both.yaml:8:13: error: sqlite.exec: file: sql: and file: are both given: keep one" both.err &&
	exec_job none.yaml "db: app.db" &&
	test_expect_code 3 runjob check none.yaml 2>none.err &&
	test_grep "sqlite.exec: sql: is required (or file:)" none.err &&
	exec_job nodb.yaml "sql: SELECT 1" &&
	test_expect_code 3 runjob check nodb.yaml 2>nodb.err &&
	test_grep "sqlite.exec: db: is required" nodb.err &&
	exec_job slow.yaml "db: app.db" "sql: SELECT 1" "busy_timeout: soon" &&
	test_expect_code 3 runjob check slow.yaml 2>slow.err &&
	test_grep "busy_timeout: .soon. is not a duration" slow.err &&
	exec_job missing.yaml "db: nowhere.db" "sql: SELECT 1" &&
	test_expect_code 1 sq_run missing.yaml &&
	test_grep "db: nowhere.db: No such file or directory" missing.out &&
	! test -e nowhere.db
'

test_done
