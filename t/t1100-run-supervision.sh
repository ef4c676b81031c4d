#!/bin/sh
test_description='steps run supervised: own process group, nothing inherited, timeouts, signals, output'
. "$(dirname "$0")/test-lib.sh"

# Every test works in a directory of its own, with its own journal: the
# trash directory is inside runjob's own git work tree, whose .runjob/
# must stay untouched.

# give_up PID: SIGKILL runjob PID and the process group of the step whose
# pid is in ./started: a failed test leaves nothing running.
give_up() {
	kill -9 "$1" 2>/dev/null
	test -s started && kill -9 -"$(cat started)" 2>/dev/null
	return 0
}

# wait_started SECONDS FILE [PID]: FILE exists within SECONDS; if not,
# give up on runjob PID.
wait_started() {
	wait_for "$2" "$1" && return 0
	test -z "$3" || give_up "$3"
	return 1
}

# still_running PID: runjob PID has not ended (its output is in out).
still_running() {
	alive "$1" && return 0
	echo "runjob ended too early:" >&2
	cat out >&2
	return 1
}

# start_runjob ARGS: runjob in the background, its pid in runjob.pid. A
# command run with & by a non-interactive shell has SIGINT ignored; a
# user's runjob has it at its default, so put it back.
start_runjob() {
	/usr/bin/python3 -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' runjob "$@" &
	echo $! >runjob.pid
}

# exit_within SECONDS PID: wait for the background PID, at most SECONDS
# (then give up on it and fail); its exit status is ours.
exit_within() {
	gone_within "$1" "$2" || { give_up "$2"; wait "$2"; return 125; }
	wait "$2"
}

# ms: the time in milliseconds.
ms() {
	echo $(($(date +%s%N) / 1000000))
}

# The step's shell lists its own descriptors to its stdout: redirecting to
# a file would show the copy of fd 1 that dash keeps while it redirects.
test_expect_success 'a step reads /dev/null and inherits no descriptor but 0, 1, 2 and its mask pipe, 3' '
	mkdir fds && cd fds &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: fds
	steps:
	  - id: look
	    run: |
	      readlink /proc/$$/fd/0
	      ls /proc/$$/fd
	      readlink /proc/$$/fd/3 | cut -c1-5
	      echo "$RUNJOB_MASK_FILE"
	      cat
	EOF
	echo "not for the step" >input &&
	runjob --journal j.db job.yaml <input 7>extra 8<input >out 2>&1 &&
	printf "/dev/null\n0\n1\n2\n3\npipe:\n/dev/fd/3\n" >want &&
	test_cmp want logs/*/look.1.log
'

test_expect_success 'a step runs in a process group of its own, not runjob'"'"'s' '
	mkdir pgid && cd pgid &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: pgid
	steps:
	  - id: look
	    run: |
	      echo $$ >pid
	      ps -o pgid= -p $$ | tr -d " " >pgid
	      ps -o pgid= -p $PPID | tr -d " " >parent-pgid
	      ps -o comm= -p $PPID >parent-comm
	EOF
	runjob --journal j.db job.yaml >out 2>&1 &&
	echo runjob >want-comm &&
	test_cmp want-comm parent-comm &&
	test_cmp pid pgid &&
	! test_cmp pid parent-pgid &&
	q j.db "select pid from attempts where step_id = '\''look'\''" >journal-pid &&
	test_cmp pid journal-pid
'

test_expect_success 'timeout: sends SIGTERM to the whole group; the step is a timeout, the run fails' '
	mkdir term && cd term &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: term
	steps:
	  - id: slow
	    timeout: 1s
	    kill_grace: 8s
	    run: |
	      sh -c "trap \"echo child >child-term; exit 0\" TERM; sleep 30 & wait" &
	      child=$!
	      trap "wait $child; echo main >main-term; exit 0" TERM
	      wait $child
	EOF
	start=$(ms) &&
	test_expect_code 1 timeout -k 5 20 runjob --journal j.db job.yaml >out 2>&1 &&
	took=$(($(ms) - start)) &&
	echo main >want-main && test_cmp want-main main-term &&
	echo child >want-child && test_cmp want-child child-term &&
	test_grep "slow: timeout" out &&
	test_grep "its timeout of 1s passed" out &&
	test $took -lt 6000 &&
	q j.db "select state, exit_code from attempts where step_id = '\''slow'\''" >attempt &&
	echo "timeout|0" >want-attempt &&
	test_cmp want-attempt attempt &&
	q j.db "select state, exit_code from runs" >run &&
	echo "failed|1" >want-run &&
	test_cmp want-run run
'

test_expect_success 'a step that ignores SIGTERM is killed once kill_grace has passed' '
	mkdir grace && cd grace &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: grace
	steps:
	  - id: stubborn
	    timeout: 1s
	    kill_grace: 1s
	    run: |
	      trap "" TERM
	      sleep 30
	EOF
	start=$(ms) &&
	test_expect_code 1 timeout -k 5 20 runjob --journal j.db job.yaml >out 2>&1 &&
	took=$(($(ms) - start)) &&
	test $took -ge 2000 && test $took -lt 6000 &&
	test_grep "stubborn: timeout (signal 9)" out &&
	q j.db "select state, signal, ended - started >= 2000 from attempts" >attempt &&
	echo "timeout|9|1" >want &&
	test_cmp want attempt
'

test_expect_success 'on timeout, a process that left the group with setsid is stopped too' '
	mkdir escape && cd escape &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: escape
	steps:
	  - id: escape
	    timeout: 1s
	    kill_grace: 1s
	    run: |
	      setsid sh -c "ps -o sid= -p \$\$ | tr -d \" \" >escaped.sid; echo \$\$ >escaped.pid; exec sleep 300" >/dev/null 2>&1 &
	      while ! test -s escaped.pid; do sleep 0.1; done
	      sleep 30
	EOF
	test_expect_code 1 timeout -k 5 20 runjob --journal j.db job.yaml >out 2>&1 &&
	pid=$(cat escaped.pid) &&
	test_cmp escaped.pid escaped.sid &&
	{ gone_within 2 $pid || { kill $pid; false; }; }
'

test_expect_success 'a background process holding stdout open does not hang the run' '
	mkdir bg && cd bg &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: bg
	steps:
	  - id: leave
	    run: |
	      sleep 30 &
	      echo $! >bg.pid
	      echo leaving
	  - id: next
	    needs: [leave]
	    run: echo next ran
	EOF
	start=$(ms) &&
	{ timeout -k 5 20 runjob --journal j.db job.yaml >out 2>&1; code=$?; } &&
	took=$(($(ms) - start)) &&
	{ kill $(cat bg.pid) || :; } &&
	echo "exit $code after $took ms" &&
	test $code = 0 &&
	test $took -lt 10000 &&
	test_grep "leave | leaving" out &&
	test_grep "next | next ran" out &&
	q j.db "select state from runs" >run &&
	echo succeeded >want &&
	test_cmp want run
'

test_expect_success '200 steps ending at once: the run succeeds and runjob leaves no zombies' '
	mkdir many && cd many &&
	{
		printf "runjob: 1\nname: many\nsteps:\n" &&
		i=1 && needs=orphans &&
		while [ $i -le 200 ]; do
			printf "  - { id: s%d, run: sleep 0.2 }\n" $i &&
			needs="$needs, s$i" &&
			i=$((i + 1)) || exit 1
		done &&
		cat <<-\EOF &&
		  - id: orphans
		    run: |
		      for i in 1 2 3 4 5 6 7 8 9 10; do (sleep 0.1 &); done
		      sleep 0.2
		  - id: last
		    run: |
		      echo $$ >self
		      ps -o comm= -p $PPID >parent-comm
		      ps -o pid=,stat=,args= --ppid $PPID >children
		EOF
		echo "    needs: [$needs]"
	} >job.yaml &&
	timeout -k 5 30 runjob -j 201 --journal j.db job.yaml >out 2>&1 &&
	echo runjob >want-comm &&
	test_cmp want-comm parent-comm &&
	grep "^ *$(cat self) " children &&
	awk "\$2 ~ /Z/ { print; bad = 1 } END { exit bad }" children &&
	q j.db "select count(*) from attempts where state = '\''succeeded'\''" >count &&
	echo 202 >want &&
	test_cmp want count
'

test_expect_success 'shell: runs the step with that interpreter and its options' '
	mkdir shell && cd shell &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: shell
	on_failure: continue
	steps:
	  - id: plain
	    run: false | true
	  - id: bash
	    shell: bash -o pipefail
	    run: |
	      echo "bash $BASH_VERSION"
	      false | true
	EOF
	test_expect_code 1 runjob --journal j.db job.yaml >out 2>&1 &&
	test_grep "bash | bash [0-9]" out &&
	q j.db "select step_id, state from steps order by step_id" >states &&
	printf "bash|failed\nplain|succeeded\n" >want &&
	test_cmp want states
'

test_expect_success 'steps run in the job file'"'"'s directory, dir: relative to it' '
	mkdir -p dir/jobs/sub && cd dir &&
	cat >jobs/job.yaml <<-\EOF &&
	runjob: 1
	name: dir
	steps:
	  - id: here
	    run: pwd -P >here.txt
	  - id: there
	    dir: sub
	    run: pwd -P >there.txt
	EOF
	(cd / && runjob --journal "$TRASH_DIRECTORY/dir/j.db" "$TRASH_DIRECTORY/dir/jobs/job.yaml") >out 2>&1 &&
	real=$(cd jobs && pwd -P) &&
	echo "$real" >want-here &&
	test_cmp want-here jobs/here.txt &&
	echo "$real/sub" >want-there &&
	test_cmp want-there jobs/sub/there.txt
'

test_expect_success 'env: the job'"'"'s env overrides the runner'"'"'s, a step'"'"'s env overrides both' '
	mkdir env && cd env &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: env
	env: { RJT_B: job, RJT_C: job }
	steps:
	  - id: a
	    env: { RJT_C: step }
	    run: echo "$RJT_A $RJT_B $RJT_C" >a.txt
	  - id: b
	    run: echo "$RJT_A $RJT_B $RJT_C" >b.txt
	EOF
	RJT_A=runner RJT_B=runner RJT_C=runner \
		runjob --journal j.db job.yaml >out 2>&1 &&
	echo "runner job step" >want-a &&
	test_cmp want-a a.txt &&
	echo "runner job job" >want-b &&
	test_cmp want-b b.txt
'

# interrupt_job NAME: a job whose step "busy" traps SIGTERM and a step
# after it that must never start.
interrupt_job() {
	cat >job.yaml <<-EOF
	runjob: 1
	name: $1
	steps:
	  - id: busy
	    run: |
	      trap "echo term >got-term; exit 0" TERM
	      echo \$\$ >started
	      sleep 30 &
	      wait
	  - id: after
	    needs: [busy]
	    run: echo ran >after-ran
	EOF
}

test_expect_success 'SIGINT: running steps get SIGTERM, runjob exits 130, the run is interrupted' '
	mkdir int && cd int &&
	interrupt_job int &&
	start_runjob --journal j.db job.yaml >out 2>&1 &&
	pid=$(cat runjob.pid) &&
	wait_started 10 started $pid &&
	kill -INT $pid &&
	test_expect_code 130 exit_within 10 $pid &&
	echo term >want && test_cmp want got-term &&
	test ! -e after-ran &&
	q j.db "select state, exit_code from runs" >run &&
	echo "interrupted|130" >want-run && test_cmp want-run run &&
	q j.db "select step_id, state from steps order by step_id" >steps &&
	printf "after|not-run\nbusy|stopped\n" >want-steps &&
	test_cmp want-steps steps
'

test_expect_success 'SIGTERM: running steps get SIGTERM, runjob exits 143, the run is interrupted' '
	mkdir term143 && cd term143 &&
	interrupt_job term &&
	start_runjob --journal j.db job.yaml >out 2>&1 &&
	pid=$(cat runjob.pid) &&
	wait_started 10 started $pid &&
	kill -TERM $pid &&
	test_expect_code 143 exit_within 10 $pid &&
	echo term >want && test_cmp want got-term &&
	test ! -e after-ran &&
	q j.db "select state, exit_code from runs" >run &&
	echo "interrupted|143" >want-run && test_cmp want-run run &&
	q j.db "select state from attempts" >attempt &&
	echo stopped >want-attempt && test_cmp want-attempt attempt
'

test_expect_success 'a second SIGINT kills the steps at once, without waiting for kill_grace' '
	mkdir int2 && cd int2 &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: int2
	steps:
	  - id: stubborn
	    kill_grace: 60s
	    run: |
	      trap "echo term >>got-term" TERM
	      echo $$ >started
	      while :; do sleep 60 & wait $! || :; done
	EOF
	start_runjob --journal j.db job.yaml >out 2>&1 &&
	pid=$(cat runjob.pid) &&
	wait_started 10 started $pid &&
	kill -INT $pid &&
	wait_started 5 got-term $pid &&
	sleep 1 &&
	still_running $pid &&
	kill -INT $pid &&
	test_expect_code 130 exit_within 5 $pid &&
	q j.db "select state, signal from attempts" >attempt &&
	echo "stopped|9" >want && test_cmp want attempt
'

# On a terminal: tmux gives runjob one. term_run NAME COLOUR [SIZE] runs
# the job in directory NAME in a tmux session NAME, with NO_COLOR unset
# (COLOUR yes) or NO_COLOR=1 (COLOUR no), its pane SIZE (tmux's options,
# "-x 120 -y 30" unless given; "" for tmux's own); the job exit status
# goes to NAME/code.
tmux_sock="$TRASH_DIRECTORY/tmux.sock"
tm() {
	tmux -S "$tmux_sock" -f /dev/null "$@"
}
# term_job NAME: directory NAME with the job of these tests, a step that
# prints, waits 3 s and prints again.
term_job() {
	mkdir "$1" &&
	cat >"$1/job.yaml" <<-\EOF
	runjob: 1
	name: term
	steps:
	  - id: slow
	    run: |
	      echo hello-from-slow
	      sleep 3
	      echo bye-from-slow
	EOF
}
term_run() {
	term_job "$1" &&
	cat >"$1/run.sh" <<-\EOF &&
	cd "$1" || exit 1
	if [ "$2" = yes ]; then unset NO_COLOR; else NO_COLOR=1; export NO_COLOR; fi
	runjob --journal j.db job.yaml
	echo $? >code
	sleep 60
	EOF
	tm new-session -d -s "$1" ${3--x 120 -y 30} "sh '$PWD/$1/run.sh' '$PWD/$1' $2"
}

# capture NAME FILE [-e]: what the pane of session NAME shows, in FILE.
capture() {
	tm capture-pane -p $3 -t "$1" >"$2"
}

# see_live NAME: wait for a live line for step slow that shows some time
# passed, then capture the pane with escapes in NAME/live, then wait for
# the end and capture NAME/final and, with escapes, NAME/final-e.
see_live() {
	n=0
	until capture "$1" "$1/live" && grep "running slow [1-9][0-9.]*s" "$1/live"; do
		if [ $n -ge 50 ]; then
			echo "no live line with an elapsed time in 5 s; the pane:" >&2
			cat "$1/live" >&2
			return 1
		fi
		sleep 0.1
		n=$((n + 1))
	done &&
	capture "$1" "$1/live-e" -e &&
	wait_started 10 "$1/code" &&
	capture "$1" "$1/final" &&
	capture "$1" "$1/final-e" -e
}

test_expect_success 'on a terminal, a running step has a live line with its id and elapsed time' '
	term_run tty yes &&
	see_live tty &&
	echo 0 >want && test_cmp want tty/code
'

test_expect_success 'on a terminal, step output lines are prefixed with the step id' '
	test_grep "^slow | hello-from-slow$" tty/live &&
	test_grep "^slow | bye-from-slow$" tty/final
'

test_expect_success 'on a terminal, the live lines are gone once the run ends' '
	test_grep "slow: succeeded after 3" tty/final &&
	test_grep -v "running slow" tty/final
'

test_expect_success 'on a terminal, states are in colour' '
	test_grep "$(printf "\033")\[" tty/final-e
'

test_expect_success 'NO_COLOR=1: no colour on a terminal' '
	term_run nocolor no &&
	see_live nocolor &&
	test_grep -v "$(printf "\033")" nocolor/live-e &&
	test_grep -v "$(printf "\033")" nocolor/final-e &&
	test_grep "slow: succeeded after 3" nocolor/final
'
test_expect_success 'tmux new-session -d with no size given: the live line appears' '
	term_run nosize yes "" &&
	see_live nosize &&
	test_grep "slow: succeeded after 3" nosize/final
'

test_expect_success 'a step that prints all the time: its live line is there between its lines, not once a second' '
	mkdir chatty &&
	cat >chatty/job.yaml <<-\EOF &&
	runjob: 1
	name: chatty
	steps:
	  - id: chatty
	    run: for i in $(seq 60); do echo line $i; sleep 0.1; done
	EOF
	cat >chatty/run.sh <<-\EOF &&
	cd "$1" || exit 1
	runjob --journal j.db job.yaml
	echo $? >code
	sleep 60
	EOF
	tm new-session -d -s chatty -x 120 -y 30 -c "$PWD/chatty" "sh run.sh ." &&
	n=0 &&
	until capture chatty chatty/pane && grep -q "chatty | line 5$" chatty/pane; do
		n=$((n + 1)) && test $n -lt 100 && sleep 0.1 || return 1
	done &&
	# Twenty looks over 2.6 s, at times that have nothing to do with
	# the step: the live line shows in most of them.
	seen=0 && i=0 &&
	while [ $i -lt 20 ]; do
		sleep 0.13 &&
		capture chatty chatty/pane &&
		if grep -q "running chatty" chatty/pane; then seen=$((seen + 1)); fi &&
		i=$((i + 1)) || return 1
	done &&
	echo "the live line was seen in $seen of 20 looks" &&
	test $seen -ge 10 &&
	wait_started 20 chatty/code &&
	echo 0 >want && test_cmp want chatty/code
'
tm kill-server 2>/dev/null

# typescript NAME TERM: run the job of term_job in NAME on a terminal
# that script(1) makes, with TERM set so; all it wrote in NAME/ts.
typescript() {
	term_job "$1" &&
	(cd "$1" && TERM=$2 script -q -e -c "runjob --journal j.db job.yaml" ts >/dev/null)
}

test_expect_success 'TERM=dumb: no cursor movement and no colour, each line as in a log' '
	typescript xterm xterm &&
	test_grep "$(printf "\033")\[[0-9]\{1,\}A" xterm/ts &&
	typescript dumb dumb &&
	cat dumb/ts &&
	test_grep -v "$(printf "\033")" dumb/ts &&
	test_grep "^20[0-9-]*T[0-9:]*Z slow | hello-from-slow" dumb/ts &&
	test_grep "^20[0-9-]*T[0-9:]*Z slow: succeeded" dumb/ts
'

test_expect_success 'off a terminal, every line is plain and starts with a UTC timestamp' '
	mkdir plain && cd plain &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: plain
	steps:
	  - id: hello
	    run: echo hello; echo on-stderr >&2
	EOF
	runjob --journal j.db job.yaml >out 2>err &&
	test_grep "^20[0-9-]*T[0-9:]*Z hello | hello$" out &&
	test_grep "^20[0-9-]*T[0-9:]*Z hello | on-stderr$" out &&
	test_grep "^20[0-9-]*T[0-9:]*Z hello: succeeded" out &&
	{ grep -v "^20[0-9-]*T[0-9:]*Z " out >unstamped || :; } &&
	test_cmp /dev/null unstamped &&
	test_grep -v "$(printf "\033")" out
'

test_expect_success '--json: one JSON object per line, the run'"'"'s events in order' '
	mkdir json && cd json &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: json
	steps:
	  - id: hello
	    run: echo hello; sleep 0.3; exit 3
	EOF
	test_expect_code 1 runjob --json --journal j.db job.yaml >out 2>err &&
	cat >check.py <<-\EOF &&
	import json, sys
	ev = [json.loads(line) for line in open("out")]
	assert all(isinstance(e, dict) for e in ev), ev
	kinds = [e["event"] for e in ev]
	for k in ("run-started", "step-started", "output", "step-finished",
	          "run-finished"):
	    assert k in kinds, (k, kinds)
	assert kinds[0] == "run-started" and kinds[-1] == "run-finished", kinds
	order = [kinds.index(k) for k in
	         ("run-started", "step-started", "output", "step-finished")]
	assert order == sorted(order), kinds
	out = [e for e in ev if e["event"] == "output"]
	assert [(e["step"], e["line"]) for e in out] == [("hello", "hello")], out
	fin = [e for e in ev if e["event"] == "step-finished"]
	assert len(fin) == 1 and fin[0]["step"] == "hello", fin
	assert fin[0]["exit_code"] == 3, fin
	assert type(fin[0]["duration_ms"]) is int, fin
	assert fin[0]["duration_ms"] >= 300, fin
	assert ev[-1]["exit_code"] == 1, ev[-1]
	runs = {e["run"] for e in ev}
	assert len(runs) == 1 and "" not in runs, runs
	EOF
	/usr/bin/python3 check.py
'

test_done
