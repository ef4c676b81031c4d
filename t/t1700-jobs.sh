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

test_done
