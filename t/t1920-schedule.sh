#!/bin/sh
test_description='runjob schedule starts each job when its window opens, once a window, records trigger schedule, reads the files again on SIGHUP, and stops its runs on SIGTERM'
. "$(dirname "$0")/test-lib.sh"

# The clock starts at 02:00:57 on a Saturday: job early's window (02:00)
# is open, job late's (02:01) opens 3 s later.
NOW=2026-12-12T02:00:57Z

test_expect_success 'setup' '
	cat >early.yaml <<-\EOF &&
	runjob: 1
	name: early
	window: { cron: "0 2 * * *", duration: 1h }
	steps:
	  - { id: a, timeout: 1m, run: echo "$RUNJOB_RUN_ID" >>early.ran }
	EOF
	cat >late.yaml <<-\EOF &&
	runjob: 1
	name: late
	window: { cron: "1 2 * * *", duration: 1h }
	steps:
	  - { id: a, timeout: 1m, run: echo "$RUNJOB_RUN_ID" >>late.ran }
	EOF
	runjob check early.yaml late.yaml
'

# start_schedule ARGS: runjob schedule in the background, its pid in
# sched.pid and its output in sched.out; stopped when the test ends.
start_schedule() {
	{ RUNJOB_NOW=$NOW runjob schedule --journal "$PWD/j.db" "$@" >sched.out 2>&1 & } &&
	echo $! >sched.pid
}

test_expect_success 'each job starts when its window opens, once, with trigger schedule; SIGTERM ends it with 143' '
	start_schedule early.yaml late.yaml &&
	test_when_finished "kill \$(cat sched.pid) 2>/dev/null" &&
	wait_for early.ran 10 &&
	! test -e late.ran &&
	wait_for late.ran 10 &&
	sleep 1 &&
	test $(wc -l <early.ran) = 1 && test $(wc -l <late.ran) = 1 &&
	echo "schedule
schedule" >want &&
	q j.db "select trigger from runs order by started" >got &&
	test_cmp want got &&
	test_grep "schedule: job early: the window is open until .*: run started" sched.out &&
	test_grep "schedule: job late: the run succeeded (exit 0)" sched.out &&
	alive $(cat sched.pid) &&
	kill -TERM $(cat sched.pid) &&
	{ wait $(cat sched.pid); code=$?; } &&
	test $code = 143
'

test_expect_success 'SIGHUP with a broken job file keeps the version read before' '
	rm -f early.ran &&
	cp early.yaml keep.yaml &&
	start_schedule --json early.yaml &&
	test_when_finished "kill \$(cat sched.pid) 2>/dev/null; cp keep.yaml early.yaml" &&
	wait_for early.ran 10 &&
	echo "runjob: [" >early.yaml &&
	kill -HUP $(cat sched.pid) &&
	n=0 && while ! grep -q "keeping the version read before" sched.out; do
		n=$((n + 1)); test $n -lt 100 || return 1; sleep 0.1
	done &&
	alive $(cat sched.pid) &&
	test_grep "\"event\":\"invalid\"" sched.out
'

test_expect_success 'SIGTERM during a run stops the run, which can be resumed, and exits 143' '
	cat >slow.yaml <<-\EOF &&
	runjob: 1
	name: slow
	window: { cron: "0 2 * * *", duration: 1h }
	steps:
	  - { id: a, timeout: 1m, run: touch slow.started; sleep 30 }
	EOF
	{ RUNJOB_NOW=$NOW runjob schedule --journal "$PWD/s.db" slow.yaml >slow.out 2>&1 & } &&
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null" &&
	wait_for slow.started 10 &&
	kill -TERM $pid &&
	{ wait $pid; code=$?; } &&
	test $code = 143 &&
	echo interrupted >want &&
	q s.db "select state from runs" >got &&
	test_cmp want got
'

test_expect_success 'a job without a window is refused: schedule starts jobs at their windows' '
	cat >nowin.yaml <<-\EOF &&
	runjob: 1
	name: nowin
	steps:
	  - { id: a, run: "true" }
	EOF
	test_expect_code 3 runjob schedule nowin.yaml >out 2>&1 &&
	test_grep "job nowin has no window" out
'

test_expect_success 'runjob schedule --systemd prints a unit that runs it, restarting on failure' '
	runjob schedule --systemd early.yaml >unit &&
	test_grep "^ExecStart=.*/runjob schedule $PWD/early.yaml$" unit &&
	test_grep "^Restart=on-failure$" unit &&
	test_grep "^ExecReload=/bin/kill -HUP \$MAINPID$" unit &&
	test_grep "^WantedBy=multi-user.target$" unit
'

test_done
