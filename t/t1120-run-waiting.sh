#!/bin/sh
test_description='starts recorded ahead wait in the supervisor for a slot: made as one ends, never after a failure, never without runjob; a step runs, and its timeout counts, from when it is made; ends reach the journal while nothing starts'
. "$(dirname "$0")/test-lib.sh"

# start_bg ARGS: runjob run ARGS in the background; its pid in $pid.
start_bg() {
	runjob run "$@" >run.out 2>&1 &
	pid=$!
}

# hold_job NAME RUN [KEY]: a job whose step first runs RUN (and has
# the key KEY, a line "key: value"); second and third, needing nothing,
# wait for its slot at -j 1.
hold_job() {
	cat >job.yaml <<-EOF
	runjob: 1
	name: $1
	steps:
	  - id: first
	    ${3:-timeout: 1h}
	    run: $2
	  - id: second
	    run: echo made >second.ran
	  - id: third
	    run: echo made >third.ran
	EOF
}

# none_made: second and third were recorded, never made, and the run
# failed.
none_made() {
	wait_for run.code 20 &&
	echo 1 >expect && test_cmp expect run.code &&
	! test -e second.ran && ! test -e third.ran &&
	echo "second|not-started third|not-started" >expect &&
	q j.db "select step_id, state from attempts where step_id != \"first\" order by step_id" | paste -sd " " >actual &&
	test_cmp expect actual &&
	echo "second|not-run third|not-run" >expect &&
	q j.db "select step_id, state from steps where step_id != \"first\" order by step_id" | paste -sd " " >actual &&
	test_cmp expect actual
}

test_expect_success 'a step that fails: what waits for its slot is never made' '
	mkdir fails && cd fails &&
	hold_job fails "while ! test -e go; do sleep 0.05; done; exit 1" &&
	run_bg -j 1 --journal j.db job.yaml &&
	wait_attempt j.db third &&
	sleep 0.2 &&
	touch go &&
	none_made
'

test_expect_success 'a step that exits 0 but fails for a missing output: what waits is never made' '
	mkdir output && cd output &&
	hold_job output "while ! test -e go; do sleep 0.05; done" "outputs: [URL]" &&
	run_bg -j 1 --journal j.db job.yaml &&
	wait_attempt j.db third &&
	sleep 0.2 &&
	touch go &&
	none_made &&
	test_grep "did not write its output URL" run.out
'

test_expect_success 'a step whose program is not there: what waits is never made' '
	mkdir missing && cd missing &&
	hold_job missing "/nonexistent/program --flag" &&
	run_bg -j 1 --journal j.db job.yaml &&
	none_made &&
	test_grep "cannot run /nonexistent/program" run.out
'

test_expect_success 'a step waiting for a slot is pending, not running, and starts (its event too) only once the one before ends' '
	mkdir order && cd order &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: order
	steps:
	  - id: first
	    run: while ! test -e go; do sleep 0.05; done
	  - id: second
	    run: "true"
	EOF
	run_bg -j 1 --journal j.db job.yaml &&
	wait_attempt j.db second &&
	sleep 0.3 &&
	echo "first|running second|pending" >expect &&
	q j.db "select step_id, state from steps order by step_id" | paste -sd " " >actual &&
	test_cmp expect actual &&
	runjob status --journal j.db >status &&
	test_grep "^  second  *pending" status &&
	touch go &&
	wait_for run.code 20 &&
	echo 0 >expect && test_cmp expect run.code &&
	printf "step-started first\nstep-finished first\nstep-started second\nstep-finished second\n" >expect &&
	q j.db "select kind, step_id from events where kind like \"step-%\" order by seq" | tr "|" " " >actual &&
	test_cmp expect actual
'

test_expect_success 'a step timeout counts from when its process is made, not while it waits for a slot' '
	mkdir slot && cd slot &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: slot
	steps:
	  - id: slow
	    run: sleep 2
	  - id: quick
	    timeout: 1s
	    run: sleep 0.1
	EOF
	runjob run -j 1 --journal j.db job.yaml >out 2>&1 &&
	echo "quick|succeeded slow|succeeded" >expect &&
	q j.db "select step_id, state from attempts order by step_id" | paste -sd " " >actual &&
	test_cmp expect actual
'

test_expect_success 'starts waiting in the supervisor when runjob is killed are never made; the next runjob runs each once' '
	mkdir killed && cd killed &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: killed
	steps:
	  - id: first
	    run: touch started; while ! test -e go; do sleep 0.05; done
	  - id: second
	    run: echo made >>second.ran
	EOF
	start_bg -j 1 --journal "$PWD/j.db" job.yaml &&
	wait_for started &&
	wait_attempt j.db second &&
	sleep 0.2 &&
	kill -9 $pid && { wait $pid; test $? = 137; } &&
	touch go &&
	run=$(q j.db "select id from runs") &&
	n=0 && while ! grep -q "^bye " logs/$run/supervisor; do
		test $n -lt 200 && sleep 0.05 && n=$((n + 1)) || return 1
	done &&
	! test -e second.ran &&
	runjob run --journal "$PWD/j.db" job.yaml >out 2>&1 &&
	test_grep "step first: its attempt 1 ended while no runjob was there (exit 0)" out &&
	echo made >expect && test_cmp expect second.ran &&
	test "$(q j.db "select state from runs")" = succeeded &&
	test "$(q j.db "select count(*) from attempts where step_id = \"first\"")" = 1
'

test_expect_success 'a step that ends is in the journal soon, while the others run on and starts wait for a slot' '
	mkdir lag && cd lag &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: lag
	steps:
	  - id: quick
	    run: "true"
	  - id: block1
	    run: while ! test -e go; do sleep 0.05; done
	  - id: block2
	    run: while ! test -e go; do sleep 0.05; done
	  - id: after
	    run: "true"
	EOF
	run_bg -j 2 --journal j.db job.yaml &&
	test_when_finished "touch go" &&
	wait_q j.db "select state from attempts where step_id = \"quick\"" succeeded &&
	test "$(q j.db "select state from steps where step_id = \"quick\"")" = succeeded &&
	test "$(q j.db "select count(*) from events where kind = \"step-finished\" and step_id = \"quick\"")" = 1 &&
	test "$(q j.db "select count(*) from attempts where state = \"running\"")" -ge 2 &&
	touch go &&
	wait_for run.code 20 &&
	echo 0 >expect && test_cmp expect run.code
'

test_done
