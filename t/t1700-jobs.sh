#!/bin/sh
test_description='the ready-made jobs in jobs/ run as their comments say'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'config-switch: switches the setting, reloads and checks health' '
	cp "$RUNJOB_ROOT"/jobs/config-switch.yaml . &&
	printf "name=app\nbackend=redis://old:6379\nport=8080\n" >app.conf &&
	runjob run -q --journal "$PWD/j.db" \
		-p CONFIG="$PWD/app.conf" -p BACKEND=valkey://new:6379 \
		-p RELOAD="echo reloaded >>reloads" -p HEALTH="grep -q valkey app.conf" \
		config-switch.yaml &&
	printf "name=app\nbackend=valkey://new:6379\nport=8080\n" >want &&
	test_cmp want app.conf &&
	test "$(cat reloads)" = reloaded &&
	run=$(sqlite3 j.db "select id from runs") &&
	test -f "app.conf.before-$run"
'

test_expect_success 'config-switch: runjob rollback puts the old setting back and reloads' '
	runjob rollback -q --journal "$PWD/j.db" config-switch.yaml &&
	printf "name=app\nbackend=redis://old:6379\nport=8080\n" >want &&
	test_cmp want app.conf &&
	test $(wc -l <reloads) = 2 &&
	test "$(sqlite3 j.db "select state from runs")" = rolled-back &&
	! ls app.conf.before-* 2>/dev/null
'

test_expect_success 'config-switch: a config without the setting is refused before anything changes' '
	printf "name=app\n" >bare.conf &&
	test_expect_code 1 runjob run -q --journal "$PWD/j2.db" \
		-p CONFIG="$PWD/bare.conf" -p BACKEND=x config-switch.yaml &&
	printf "name=app\n" >want &&
	test_cmp want bare.conf &&
	test "$(sqlite3 j2.db "select state from steps where step_id = '"'"'preflight'"'"'")" = failed &&
	test "$(sqlite3 j2.db "select state from steps where step_id = '"'"'switch'"'"'")" = not-run
'

test_expect_success 'nightly-maintenance: outside its window nothing runs; inside, it archives, vacuums and prunes' '
	cp "$RUNJOB_ROOT"/jobs/nightly-maintenance.yaml . &&
	mkdir -p app/logs app/archive &&
	echo hello >app/logs/app.log &&
	sqlite3 app/app.db "create table t (x); insert into t values (1);" &&
	touch -d "30 days ago" app/archive/logs-old.tar.gz &&
	RUNJOB_NOW=2026-12-08T20:00:00Z test_expect_code 5 runjob run -q \
		--journal "$PWD/n.db" -p APP_DIR="$PWD/app" nightly-maintenance.yaml \
		2>err &&
	test_grep "the next one opens 2026-12-09 02:00 Europe/Berlin" err &&
	test -f app/logs/app.log &&
	RUNJOB_NOW=2026-12-09T01:30:00Z runjob run -q --journal "$PWD/n.db" \
		-p APP_DIR="$PWD/app" nightly-maintenance.yaml &&
	! test -f app/logs/app.log &&
	ls app/archive/logs-*.tar.gz >archives &&
	test $(wc -l <archives) = 1 &&
	tar -tzf "$(cat archives)" >list &&
	test_grep "logs/app.log" list &&
	test "$(sqlite3 app/app.db "select x from t")" = 1
'

test_expect_success 'nightly-maintenance: the year-end freeze holds it back' '
	RUNJOB_NOW=2026-12-24T01:30:00Z test_expect_code 5 runjob run -q \
		--journal "$PWD/n.db" -p APP_DIR="$PWD/app" nightly-maintenance.yaml \
		2>err &&
	test_grep "blackout (year-end freeze)" err &&
	test_grep "the next window opens 2027-01-05 02:00 Europe/Berlin" err
'

test_done
