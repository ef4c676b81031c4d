#!/bin/sh
test_description='approve: steps wait, with no process, for runjob approve from another terminal; reject and timeout fail them; --approve answers ahead; a window close ends the wait; a crash of runjob keeps it and an answer given meanwhile counts'
. "$(dirname "$0")/test-lib.sh"

rj() {
	runjob --journal "$PWD/j.db" "$@"
}

# rjc COMMAND [ARGS]: another command on the same journal.
rjc() {
	cmd=$1
	shift
	runjob "$cmd" --journal "$PWD/j.db" "$@"
}

# gated NAME [TIMEOUT]: a job whose step go-ahead waits for approval
# between two shell steps.
gated() {
	{
		printf "runjob: 1\nname: %s\nsteps:\n" "$1"
		printf "  - { id: verify, run: echo verified }\n"
		printf "  - id: go-ahead\n    needs: [verify]\n"
		printf "    approve: { message: \"Switch production?\"%s }\n" \
			"${2:+, timeout: $2}"
		printf "  - { id: switch, needs: [go-ahead], run: touch switched }\n"
	} >"$1.yaml"
}

# waiting STEP: wait (10 s at most) until the newest run waits at STEP.
waiting() {
	n=0
	until test "$(q j.db "select state from steps where step_id = \"$1\" and run_id = (select id from runs order by started desc, rowid desc limit 1)" 2>/dev/null)" = waiting; do
		if [ $n -ge 200 ]; then
			echo "step $1 is not waiting after 10 s" >&2
			return 1
		fi
		sleep 0.05
		n=$((n + 1))
	done
}

# start JOB [ARGS]: runjob in the background, its pid in $pid; with
# the clock at $NOW when that is set.
start() {
	env ${NOW:+RUNJOB_NOW=$NOW} runjob --journal "$PWD/j.db" "$@" \
		>run.out 2>&1 &
	pid=$!
}

# crash_at_gate JOB: run JOB until it waits at go-ahead, then SIGKILL
# runjob, as when the machine runs out of memory.
crash_at_gate() {
	start "$1" &&
	waiting go-ahead &&
	kill -9 $pid && { wait $pid; test $? = 137; }
}

run_id() {
	q j.db "select id from runs order by started desc, rowid desc limit 1"
}

test_expect_success 'a gate waits with no process; status shows it and the command that answers it' '
	mkdir approve && cd approve &&
	gated gated &&
	start gated.yaml &&
	waiting go-ahead &&
	id=$(run_id) &&
	! test -e switched &&
	test "$(q j.db "select count(*) from attempts where step_id = \"go-ahead\"")" = 0 &&
	rjc status >status &&
	test_grep "go-ahead  *waiting" status &&
	test_grep "waiting for approval of go-ahead since .* (Switch production?): .runjob approve $id go-ahead." status &&
	test_grep "runjob approve $id go-ahead" run.out &&
	rjc approve "$id" go-ahead --reason "CHG-1234 signed off" >answer &&
	test_grep "approved" answer &&
	wait $pid &&
	test -e switched &&
	test "$(q j.db "select state from runs")" = succeeded &&
	test "$(q j.db "select state from steps where step_id = \"go-ahead\"")" = succeeded
'

test_expect_success 'who approved, when, from where and why are events, shown by show, status and the report' '
	cd approve &&
	id=$(run_id) &&
	q j.db "select json_extract(data, \"\$.user\"), json_extract(data, \"\$.host\"), json_extract(data, \"\$.from\"), json_extract(data, \"\$.reason\") from events where kind = \"gate-approved\"" >facts &&
	printf "%s|%s|no terminal|CHG-1234 signed off\n" "$(id -un)" "$(hostname)" >want &&
	test_cmp want facts &&
	rjc show "$id" >show &&
	test_grep "gate-waiting .*go-ahead" show &&
	test_grep "gate-approved .*go-ahead.*CHG-1234 signed off" show &&
	rjc status "$id" >status &&
	test_grep "go-ahead: approved by $(id -un)@.* (no terminal) at .*: CHG-1234 signed off" status &&
	rjc report "$id" --html >report &&
	test_grep "gate-approved" report &&
	test_grep "CHG-1234 signed off" report &&
	runjob audit verify --journal "$PWD/j.db" >/dev/null
'

test_expect_success 'an answer stays in the journal once read: run after run, each approval is there and the chain is whole' '
	mkdir again && cd again &&
	gated again &&
	for i in 1 2 3; do
		start --new again.yaml &&
		waiting go-ahead &&
		sleep 1 &&
		rjc approve "$(run_id)" go-ahead --reason "try $i" >/dev/null &&
		wait $pid || return 1
	done &&
	test "$(q j.db "select count(*) from events where kind = \"gate-approved\"")" = 3 &&
	test "$(q j.db "select count(*) from runs where state = \"succeeded\"")" = 3 &&
	runjob audit verify --journal "$PWD/j.db" >/dev/null
'

test_expect_success 'a rejected gate fails, with its reason; what needs it does not run' '
	mkdir reject && cd reject &&
	gated rejected &&
	start rejected.yaml &&
	waiting go-ahead &&
	rjc approve "$(run_id)" go-ahead --reject --reason "not tonight" &&
	test_expect_code 1 wait $pid &&
	test_grep "go-ahead: failed after .*rejected by .*: not tonight" run.out &&
	! test -e switched &&
	test "$(q j.db "select state from steps where step_id = \"switch\"")" = not-run &&
	test "$(q j.db "select count(*) from events where kind = \"gate-rejected\"")" = 1
'

test_expect_success 'a gate not answered within its timeout fails' '
	mkdir timeout && cd timeout &&
	gated timeout 1s &&
	test_expect_code 1 rj timeout.yaml >out 2>&1 &&
	test_grep "go-ahead: failed after .*no answer within its timeout of 1s" out &&
	test "$(q j.db "select count(*) from events where kind = \"gate-timeout\"")" = 1 &&
	! test -e switched
'

test_expect_success '--approve STEP answers ahead, recorded as such; it must name a gate' '
	mkdir ahead && cd ahead &&
	gated ahead 5s &&
	rj --approve go-ahead ahead.yaml >out 2>&1 &&
	test -e switched &&
	test "$(q j.db "select json_extract(data, \"\$.how\") from events where kind = \"gate-approved\"")" = "in advance" &&
	test_expect_code 2 rj --new --approve verify ahead.yaml 2>err &&
	test_grep "step verify is no approve: step" err &&
	test_expect_code 2 rj --new --approve nosuch ahead.yaml 2>err &&
	test_grep "job ahead has no such step" err &&
	test "$(q j.db "select count(*) from runs")" = 1
'

test_expect_success 'approving a step not waiting, an unknown step or run, a reason over 1 KiB: clear errors, nothing recorded' '
	cd ahead &&
	id=$(run_id) &&
	before=$(q j.db "select count(*) from events") &&
	test_expect_code 2 rjc approve "$id" switch 2>err &&
	test_grep "step switch of run $id is succeeded, not waiting for approval" err &&
	test_expect_code 2 rjc approve "$id" nosuch 2>err &&
	test_grep "run $id has no step nosuch" err &&
	test_expect_code 2 rjc approve no-such-run go-ahead 2>err &&
	test_grep "no run or job no-such-run" err &&
	long=$(printf "%01025d" 0) &&
	test_expect_code 2 rjc approve "$id" go-ahead --reason "$long" 2>err &&
	test_grep "reason is 1025 bytes; give at most 1024" err &&
	test "$(q j.db "select count(*) from events")" = "$before"
'

test_expect_success 'a gate with a timeout that is not positive, or keys only a process takes: check errors at their place' '
	cat >bad.yaml <<-\EOF &&
	runjob: 1
	name: bad
	steps:
	  - id: zero
	    approve: { timeout: 0s }
	  - id: negative
	    approve: { timeout: -5m }
	  - id: both
	    approve: {}
	    timeout: 5m
	    run: echo
	EOF
	test_expect_code 3 runjob check bad.yaml 2>err &&
	test_grep "bad.yaml:5:25: error: step .zero.: approve.timeout must be longer than 0" err &&
	test_grep "bad.yaml:7:25: error: step .negative.: approve.timeout .-5m. is negative" err &&
	test_grep "bad.yaml:11:5: error: step .both. has more than one action" err &&
	test_grep "bad.yaml:10:5: error: step .both.: .timeout. does not apply to an approve: step" err
'

test_expect_success 'a crash of runjob at a gate: the next runjob waits on, and an answer given meanwhile counts' '
	mkdir crash && cd crash &&
	gated crash 1h &&
	crash_at_gate crash.yaml &&
	id=$(run_id) &&
	rjc approve "$id" go-ahead --reason meanwhile &&
	rj crash.yaml >out 2>&1 &&
	test_grep "go-ahead: succeeded after .*approved by .*: meanwhile" out &&
	test -e switched &&
	test "$(q j.db "select count(*) from events where kind = \"gate-waiting\"")" = 1 &&
	test "$(q j.db "select state from runs")" = succeeded
'

test_expect_success 'a crash at a gate with no answer yet: the wait goes on where it was' '
	mkdir crash2 && cd crash2 &&
	gated crash2 1h &&
	crash_at_gate crash2.yaml &&
	start crash2.yaml &&
	sleep 1 &&
	waiting go-ahead &&
	rjc approve "$(run_id)" go-ahead &&
	wait $pid &&
	test -e switched &&
	test "$(q j.db "select count(*) from events where kind = \"gate-waiting\"")" = 1
'

test_expect_success 'a gate of a crashed run that was rolled back since cannot be answered' '
	mkdir undone && cd undone &&
	cat >undone.yaml <<-\EOF &&
	runjob: 1
	name: undone
	steps:
	  - { id: verify, run: echo verified, rollback: touch undone }
	  - { id: go-ahead, needs: [verify], approve: {} }
	EOF
	crash_at_gate undone.yaml &&
	id=$(run_id) &&
	rjc rollback "$id" >out 2>&1 &&
	test -e undone &&
	test_expect_code 2 rjc approve "$id" go-ahead 2>err &&
	test_grep "run $id is rolled-back: it waits at no gate any more" err &&
	test "$(q j.db "select count(*) from events where kind = \"gate-approved\"")" = 0
'

test_expect_success 'an interrupt stops a waiting gate: the run resumes waiting for a new answer' '
	mkdir interrupt && cd interrupt &&
	gated interrupt &&
	start interrupt.yaml &&
	waiting go-ahead &&
	kill -INT $pid &&
	test_expect_code 130 wait $pid &&
	test "$(q j.db "select state from steps where step_id = \"go-ahead\"")" = stopped &&
	test_expect_code 2 rjc approve "$(run_id)" go-ahead 2>err &&
	test_grep "is stopped, not waiting" err
'

test_expect_success 'plan shows a gate and its question; a dry run asks nothing of it' '
	gated planned 30m &&
	runjob plan planned.yaml >plan &&
	test_grep "go-ahead  approve: wait for a person: Switch production?, at most 30m" plan &&
	runjob plan --json planned.yaml >plan.json &&
	test_grep "\"kind\":\"approve\",\"message\":\"Switch production?\",\"timeout_ms\":1800000" plan.json &&
	runjob run --dry-run planned.yaml >dry &&
	test_grep "^dry run: nothing was run\$" dry
'

# Windows open Saturdays at 02:00 UTC for an hour; 2026-12-12 is one.
test_expect_success 'a gate still waiting when the window closes pauses the run (exit 5); the next window asks again' '
	mkdir window && cd window &&
	cat >win.yaml <<-\EOF &&
	runjob: 1
	name: win
	window: { cron: "0 2 * * SAT", duration: 1h }
	steps:
	  - id: go-ahead
	    approve: { message: "Go?" }
	  - { id: after, needs: [go-ahead], timeout: 1m, run: touch after.ran }
	EOF
	runjob check win.yaml >out 2>&1 &&
	! test_grep "go-ahead has no timeout" out &&
	RUNJOB_NOW=2026-12-12T02:59:58Z test_expect_code 5 rj win.yaml >out 2>&1 &&
	test_grep "go-ahead: stopped after .*: the window closed" out &&
	test "$(q j.db "select state from runs")" = paused &&
	test "$(q j.db "select state from steps where step_id = \"go-ahead\"")" = pending &&
	test "$(q j.db "select count(*) from events where kind = \"gate-withdrawn\"")" = 1 &&
	test_expect_code 2 rjc approve "$(run_id)" go-ahead 2>err &&
	test_grep "is pending, not waiting" err &&
	NOW=2026-12-19T02:00:00Z start win.yaml &&
	waiting go-ahead &&
	sleep 1.5 &&
	! test -e after.ran &&
	rjc approve "$(run_id)" go-ahead &&
	wait $pid &&
	test -e after.ran &&
	test "$(q j.db "select count(*) from events where kind = \"gate-waiting\"")" = 2
'

test_done
