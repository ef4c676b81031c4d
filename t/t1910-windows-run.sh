#!/bin/sh
test_description='maintenance windows gate every step: outside one nothing starts (exit 5), a step that cannot end in time waits for the next, a closing window pauses the run, which the next window resumes'
. "$(dirname "$0")/test-lib.sh"

# Windows open Saturdays at 02:00 UTC for an hour; 2026-12-12 is a
# Saturday. RUNJOB_NOW sets each run's clock; it then goes on in real
# time.
SAT=2026-12-12
NEXT_SAT=2026-12-19

# job NAME STEP...: a job with that window, each STEP a flow mapping.
job() {
	name=$1
	shift
	{
		printf "runjob: 1\nname: %s\n" "$name"
		printf "window: { cron: \"0 2 * * SAT\", duration: 1h }\nsteps:\n"
		for s
		do
			printf "  - %s\n" "$s"
		done
	} >"$name.yaml"
}

rj() {
	runjob --journal "$PWD/j.db" "$@"
}

test_expect_success 'outside the window nothing starts: exit 5, the next opening named, the refusal recorded' '
	job outside "{ id: a, timeout: 1m, run: touch a.ran }" &&
	RUNJOB_NOW=${SAT}T01:00:00Z test_expect_code 5 rj outside.yaml >out 2>err &&
	! test -e a.ran &&
	test_grep "outside the maintenance window of job outside; the next one opens $SAT 02:00 UTC (in 1h)" err &&
	test_grep "ignore-window" err &&
	echo refused >want &&
	q j.db "select state from runs where job = \"outside\"" >got &&
	test_cmp want got &&
	q j.db "select kind from events where run_id = (select id from runs where job = \"outside\")" >kinds &&
	test_grep "^window-refused$" kinds &&
	q j.db "select data from events where kind = \"window-refused\"" >data &&
	test_grep "\"user\":\"$(id -un)\"" data &&
	test_grep "\"reason\":\"outside the maintenance window\"" data
'

test_expect_success 'inside the window the job runs' '
	RUNJOB_NOW=${SAT}T02:10:00Z rj outside.yaml >out 2>&1 &&
	test -e a.ran
'

test_expect_success 'a step whose timeout would outlast the window waits for the next one; the run pauses, then resumes there' '
	job fit "{ id: a, timeout: 1m, run: echo >>a.count }" \
		"{ id: b, needs: [a], timeout: 30m, run: echo >>b.count }" \
		"{ id: c, timeout: 5s, run: echo >>c.count }" &&
	RUNJOB_NOW=${SAT}T02:45:00Z test_expect_code 5 rj fit.yaml >out 2>&1 &&
	test_grep "step b not started: it may take 30m" out &&
	test $(wc -l <a.count) = 1 && test $(wc -l <c.count) = 1 && ! test -e b.count &&
	run=$(q j.db "select id from runs where job = \"fit\"") &&
	echo paused >want &&
	q j.db "select state from runs where id = \"$run\"" >got &&
	test_cmp want got &&
	echo "b|pending" >want &&
	q j.db "select step_id, state from steps where run_id = \"$run\" and step_id = \"b\"" >got &&
	test_cmp want got &&
	q j.db "select step_id, data from events where kind = \"step-deferred\"" >deferred &&
	test_grep "^b|{\"needs_ms\":1800000," deferred &&
	RUNJOB_NOW=${NEXT_SAT}T02:00:00Z rj fit.yaml >out 2>&1 &&
	test_grep "resuming run $run" out &&
	test $(wc -l <a.count) = 1 && test $(wc -l <b.count) = 1 && test $(wc -l <c.count) = 1 &&
	echo succeeded >want &&
	q j.db "select state from runs where id = \"$run\"" >got &&
	test_cmp want got &&
	test "$(q j.db "select count(*) from runs where job = \"fit\"")" = 1
'

test_expect_success 'the window closing while a step runs: it ends, nothing after it starts, the run pauses' '
	job closing "{ id: a, run: sleep 7; echo >>closing.a }" \
		"{ id: b, needs: [a], run: echo >>closing.b }" &&
	RUNJOB_NOW=${SAT}T02:59:54Z test_expect_code 5 rj closing.yaml >out 2>&1 &&
	test $(wc -l <closing.a) = 1 && ! test -e closing.b &&
	test_grep "the maintenance window closed: no step starts now" out &&
	q j.db "select kind from events where run_id = (select id from runs where job = \"closing\")" >kinds &&
	test_grep "^window-closed$" kinds &&
	runjob status --journal "$PWD/j.db" closing >status &&
	test_grep "closing: paused (exit 5)" status &&
	test_grep "window   the window closed; a step may start next at ${NEXT_SAT}T02:00:00Z" status &&
	RUNJOB_NOW=${NEXT_SAT}T02:00:00Z rj closing.yaml >out 2>&1 &&
	test $(wc -l <closing.a) = 1 && test $(wc -l <closing.b) = 1
'

test_expect_success 'a step whose start was recorded while the window was open is not started once it has closed' '
	job ahead "{ id: a, run: sleep 7; echo >>ahead.a }" \
		"{ id: c, run: echo >>ahead.c }" &&
	RUNJOB_NOW=${SAT}T02:59:54Z test_expect_code 5 rj -j 1 ahead.yaml >out 2>&1 &&
	test $(wc -l <ahead.a) = 1 && ! test -e ahead.c &&
	test_grep "the maintenance window closed: no step starts now" out &&
	test "$(q j.db "select state from steps where step_id = \"c\" and run_id = (select id from runs where job = \"ahead\")")" = pending &&
	RUNJOB_NOW=${NEXT_SAT}T02:00:00Z rj ahead.yaml >out 2>&1 &&
	test $(wc -l <ahead.a) = 1 && test $(wc -l <ahead.c) = 1
'

test_expect_success 'a step left for the next window, then the window closing: both are recorded' '
	job both "{ id: long, timeout: 30m, run: echo >>both.long }" \
		"{ id: a, run: sleep 7; echo >>both.a }" \
		"{ id: b, needs: [a], run: echo >>both.b }" &&
	RUNJOB_NOW=${SAT}T02:59:54Z test_expect_code 5 rj both.yaml >out 2>&1 &&
	! test -e both.long && test $(wc -l <both.a) = 1 && ! test -e both.b &&
	q j.db "select kind || \" \" || coalesce(step_id, \"-\") from events where run_id = (select id from runs where job = \"both\") and kind in (\"step-deferred\", \"window-closed\")" >kinds &&
	echo "step-deferred long" >want &&
	echo "window-closed -" >>want &&
	test_cmp want kinds
'

test_expect_success 'a step without a timeout is held to its longest past success' '
	job longest "{ id: a, run: sleep 2 }" &&
	RUNJOB_NOW=${SAT}T02:00:00Z rj longest.yaml >out 2>&1 &&
	RUNJOB_NOW=${SAT}T02:59:59Z test_expect_code 5 rj --new longest.yaml >out 2>&1 &&
	test_grep "step a not started: it may take 2" out
'

test_expect_success 'a blackout wins over the window: exit 5 naming its reason' '
	cat >black.yaml <<-\EOF &&
	runjob: 1
	name: black
	window: { cron: "0 2 * * SAT", duration: 1h }
	blackout:
	  - { from: 2026-12-12, to: 2026-12-13, reason: freeze }
	steps:
	  - { id: a, timeout: 1m, run: touch black.ran }
	EOF
	RUNJOB_NOW=${SAT}T02:10:00Z test_expect_code 5 rj black.yaml >out 2>err &&
	! test -e black.ran &&
	test_grep "job black is in a blackout (freeze); the next window opens $NEXT_SAT 02:00 UTC" err
'

test_expect_success '--ignore-window runs outside the window and the journal says who' '
	job ignored "{ id: a, timeout: 1m, run: touch ignored.ran }" &&
	RUNJOB_NOW=${SAT}T05:00:00Z rj --ignore-window ignored.yaml >out 2>&1 &&
	test -e ignored.ran &&
	q j.db "select data from events where kind = \"run-started\" and run_id = (select id from runs where job = \"ignored\")" >data &&
	test_grep "\"ignore_window\":true" data &&
	test_grep "\"user\":\"$(id -un)\"" data
'

test_expect_success 'on_window_close: rollback undoes what the run did once the window closes' '
	cat >undo.yaml <<-\EOF &&
	runjob: 1
	name: undo
	window: { cron: "0 2 * * SAT", duration: 1h }
	on_window_close: rollback
	steps:
	  - { id: a, run: sleep 7; touch undo.a, rollback: rm undo.a }
	  - { id: b, needs: [a], run: touch undo.b }
	EOF
	RUNJOB_NOW=${SAT}T02:59:54Z test_expect_code 5 rj undo.yaml >out 2>&1 &&
	! test -e undo.a && ! test -e undo.b &&
	echo rolled-back >want &&
	q j.db "select state from runs where job = \"undo\"" >got &&
	test_cmp want got
'

test_done
