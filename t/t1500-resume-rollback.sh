#!/bin/sh
test_description='taking up an unfinished run: resume after a failure, an interrupt or a crash, changed job files, unknown outcomes, job locks, rollback, and how status and history show it'
. "$(dirname "$0")/test-lib.sh"

# Every part works in a directory of its own with its own journal, which
# stays inside the trash directory (never the project's .runjob/).

# rj CMD ARGS...: runjob CMD with the journal of the current directory.
rj() {
	cmd=$1
	shift
	runjob "$cmd" --journal "$PWD/j.db" "$@"
}

# group_alive PGID: some process of the group is running.
group_alive() {
	ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

# crash_when FILE CMD...: run CMD (a runjob) in the background and SIGKILL
# it once FILE exists; its output goes to crash.out.
crash_when() {
	marker=$1
	shift
	"$@" >crash.out 2>&1 &
	crash_pid=$!
	if ! wait_for "$marker"; then
		kill -9 $crash_pid
		cat crash.out >&2
		return 1
	fi
	kill -9 $crash_pid
	wait $crash_pid
	code=$?
	test $code = 137 || { echo "runjob exited $code before the kill" >&2; cat crash.out >&2; return 1; }
}

# start_bg OUT CMD...: CMD in the background, its output in OUT, its pid
# in $bg_pid. A command run with & by a non-interactive shell has SIGINT
# ignored; an operator's runjob has it at its default, so put it back.
start_bg() {
	bg_out=$1
	shift
	/usr/bin/python3 -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@" >"$bg_out" 2>&1 &
	bg_pid=$!
}

# lines FILE: the number of lines of FILE (0 when it does not exist).
lines() {
	if test -f "$1"; then wc -l <"$1" | tr -d " "; else echo 0; fi
}

# 1. A failed run, run again, goes on.

test_expect_success 'setup: a run whose middle step fails' '
	mkdir failed && cd failed &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: fixme
	steps:
	  - id: make
	    run: |
	      echo ran >>make.count
	      tok="tok-$(date +%s%N)-$$"
	      echo "$tok" >make.token
	      echo "TOKEN=$tok" >>"$RUNJOB_OUTPUT"
	    outputs: [TOKEN]
	  - id: use
	    needs: [make]
	    run: |
	      echo "$RUNJOB_ATTEMPT" >>use.attempts
	      echo "$TOKEN" >use.token
	      test -f fixed
	  - id: last
	    needs: [use]
	    run: echo "$TOKEN" >last.token
	EOF
	test_expect_code 1 rj run job.yaml >out 2>&1 &&
	test "$(q j.db "select state from runs")" = failed &&
	q j.db "select id from runs" >run1
'

test_expect_success 'rerunning the job continues the failed run under the same run id' '
	cd failed &&
	touch fixed &&
	rj run job.yaml >out 2>&1 &&
	test "$(q j.db "select count(*) from runs")" = 1 &&
	q j.db "select id || \" \" || state from runs" >actual &&
	echo "$(cat run1) succeeded" >expect &&
	test_cmp expect actual
'

test_expect_success 'a step that succeeded is not run again on resume' '
	cd failed &&
	test "$(lines make.count)" = 1 &&
	test "$(q j.db "select count(*) from attempts where step_id = \"make\"")" = 1
'

test_expect_success 'the failed step runs again, as attempt 2' '
	cd failed &&
	printf "1\n2\n" >expect &&
	test_cmp expect use.attempts &&
	q j.db "select attempt || \" \" || state from attempts where step_id = \"use\" order by attempt" >actual &&
	printf "1 failed\n2 succeeded\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'steps run after a resume get the outputs of steps that succeeded before it' '
	cd failed &&
	test -s make.token &&
	test_cmp make.token use.token &&
	test_cmp make.token last.token
'

# 2. Interrupted.

test_expect_success 'SIGINT while a step runs: runjob exits 130 and the run is interrupted' '
	mkdir intr && cd intr &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: intr
	steps:
	  - id: first
	    run: echo ran >>first.count
	  - id: slow
	    needs: [first]
	    run: echo "$RUNJOB_ATTEMPT" >>slow.starts && touch slow.running && sleep ${SLOW_SECS:-0} && echo "$RUNJOB_ATTEMPT" >>slow.ends
	  - id: last
	    needs: [slow]
	    run: echo ran >>last.count
	EOF
	start_bg out env SLOW_SECS=30 runjob run --journal "$PWD/j.db" job.yaml &&
	pid=$bg_pid &&
	wait_for slow.running &&
	kill -INT $pid &&
	{ wait $pid; echo $? >code; } &&
	echo 130 >expect &&
	test_cmp expect code &&
	test "$(q j.db "select state from runs")" = interrupted &&
	test "$(q j.db "select state from steps where step_id = \"slow\"")" = stopped &&
	test "$(lines slow.ends)" = 0
'

test_expect_success 'rerunning after an interrupt resumes the run and runs the stopped step again' '
	cd intr &&
	rj run job.yaml >out 2>&1 &&
	test "$(q j.db "select count(*) from runs")" = 1 &&
	test "$(q j.db "select state from runs")" = succeeded &&
	printf "1\n2\n" >expect &&
	test_cmp expect slow.starts &&
	echo 2 >expect &&
	test_cmp expect slow.ends &&
	test "$(lines first.count)" = 1 &&
	test "$(lines last.count)" = 1
'

# 3. A changed job file.

test_expect_success 'setup: an unfinished run of a job that will change' '
	mkdir changed && cd changed &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: changed
	params:
	  MODE: { default: one }
	steps:
	  - id: keep
	    run: "true"
	  - id: edit
	    needs: [keep]
	    run: test -f never
	  - id: drop
	    needs: [keep]
	    run: "true"
	EOF
	cp job.yaml job.orig &&
	test_expect_code 1 rj run job.yaml >out 2>&1
'

test_expect_success 'a changed job file is refused with exit 3, listing the changed, new and removed steps' '
	cd changed &&
	sed -e "s/run: test -f never/run: test -f never-edited/" \
	    -e "s/id: drop/id: added/" job.orig >job.yaml &&
	test_expect_code 3 rj run job.yaml >out 2>err &&
	test_grep "edit (changed)" err &&
	test_grep "added (new)" err &&
	test_grep "drop (removed)" err &&
	test_grep -v "keep" err &&
	test "$(q j.db "select count(*) from runs")" = 1 &&
	test "$(q j.db "select count(*) from attempts")" = 3
'

test_expect_success '--new starts a new run of the changed job' '
	cd changed &&
	test_expect_code 1 rj run --new job.yaml >out 2>&1 &&
	test "$(q j.db "select count(*) from runs")" = 2
'

test_expect_success 'params that differ from those of the unfinished run are refused with exit 3' '
	cd changed &&
	cp job.orig job.yaml &&
	test_expect_code 1 rj run --new job.yaml >out 2>&1 &&
	test "$(q j.db "select count(*) from runs")" = 3 &&
	test_expect_code 3 rj run -p MODE=two job.yaml >out 2>err &&
	test_grep "MODE" err &&
	test "$(q j.db "select count(*) from runs")" = 3 &&
	test "$(q j.db "select count(*) from attempts")" = 9
'

# 4. runjob resume RUN.

test_expect_success 'runjob resume RUN runs the job text kept in the journal, not the edited file' '
	mkdir resume && cd resume &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: resumed
	params:
	  MODE: { default: one }
	  TOKEN: { secret: true, env: RESUME_TOKEN }
	steps:
	  - id: a
	    run: echo "a $MODE" >>seen
	  - id: b
	    needs: [a]
	    run: echo "b $MODE $TOKEN" >>seen && test -f ok
	EOF
	RESUME_TOKEN=first && export RESUME_TOKEN &&
	test_expect_code 1 rj run -p MODE=two job.yaml >out 2>&1 &&
	run=$(q j.db "select id from runs") &&
	sed "s/echo \"b /echo \"EDITED b /" job.yaml >job.new && mv job.new job.yaml &&
	touch ok &&
	RESUME_TOKEN=second &&
	rj resume "$run" >out 2>&1 &&
	test "$(q j.db "select id || \" \" || state from runs")" = "$run succeeded" &&
	test_grep -v EDITED seen &&
	test "$(grep -c "^b " seen)" = 2
'

test_expect_success 'runjob resume RUN keeps the params the run was started with; a secret comes from its source again' '
	cd resume &&
	printf "a two\nb two first\nb two second\n" >expect &&
	test_cmp expect seen
'

test_expect_success 'resume and rollback without the secrets name them, say the journal never keeps them and point at env: and --env-file: exit 3' '
	mkdir nosecret && cd nosecret &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: nosecret
	params:
	  SRC: { secret: true, required: true, env: NOSECRET_SRC }
	  DST: { secret: true, required: true }
	  OPT: { secret: true }
	steps:
	  - id: a
	    run: echo a >>done.log
	    rollback: echo undo >>undo.log
	  - id: b
	    needs: [a]
	    run: test -f fixed
	EOF
	echo DST=d >dst.env &&
	NOSECRET_SRC=s test_expect_code 1 rj run --env-file dst.env job.yaml >out 2>&1 &&
	run=$(q j.db "select id from runs") &&
	for cmd in resume rollback; do
		test_expect_code 3 rj $cmd job.yaml >out 2>err &&
		cat err &&
		test_grep "error: secret param SRC has no value: secrets are never kept in the journal, so it must be given again: set \$NOSECRET_SRC (its env: variable) or put SRC=VALUE in a file given with --env-file FILE" err &&
		test_grep "error: secret param DST has no value: secrets are never kept in the journal, so it must be given again: put DST=VALUE in a file given with --env-file FILE" err &&
		test_grep "warning: secret param OPT has no value now, and secrets are never kept in the journal: if the run had one, put OPT=VALUE in a file given with --env-file FILE" err &&
		test_grep "run $run: nothing was run: its secret params SRC, DST must be given again, as the journal never keeps secrets" err &&
		test_grep -v -e " -p " err || return 1
	done &&
	test "$(q j.db "select state from runs")" = failed &&
	! test -e undo.log &&
	NOSECRET_SRC=s rj rollback --env-file dst.env job.yaml >out 2>&1 &&
	test "$(cat undo.log)" = undo
'

# 5. Unknown outcomes: runjob SIGKILLed while a step runs.

write_orphan_job() {
	cat >job.yaml <<-EOF
	runjob: 1
	name: $1
	steps:
	  - id: prep
	    run: echo ran >>prep.count
	  - id: long
	    needs: [prep]
	    $2
	    run: echo "start \$RUNJOB_ATTEMPT" >>long.starts && echo \$\$ >long.pid && touch long.running && sleep \${LONG_SECS:-0} && echo end >>long.ends
	  - id: after
	    needs: [long]
	    run: echo ran >>after.count
	EOF
}

test_expect_success 'after runjob is SIGKILLed, a rerun waits for the step still running and never starts a second copy' '
	mkdir orphan && cd orphan &&
	write_orphan_job orphan "" &&
	crash_when long.running env LONG_SECS=3 runjob --journal "$PWD/j.db" job.yaml &&
	opid=$(cat long.pid) &&
	alive $opid &&
	{ rj run job.yaml >rerun.out 2>rerun.err; echo $? >rerun.code; } &&
	cat rerun.out rerun.err >rerun.all &&
	test_grep "still running as pid $opid.*waiting" rerun.all &&
	! alive $opid &&
	test "$(lines long.starts)" = 1 &&
	test "$(lines long.ends)" = 1
'

test_expect_success 'then, its supervisor having recorded how it ended, the rerun takes that outcome and goes on' '
	cd orphan &&
	echo 0 >expect &&
	test_cmp expect rerun.code &&
	test_grep "step long: its attempt 1 ended while no runjob was there (exit 0)" rerun.all &&
	test "$(q j.db "select state from runs")" = succeeded &&
	test "$(q j.db "select state from attempts where step_id = \"long\"")" = succeeded &&
	test "$(lines long.starts)" = 1 &&
	test "$(lines after.count)" = 1
'

test_expect_success 'when runjob and its supervisor both died, the outcome is unknown: the rerun exits 7 and prints the runjob resolve command' '
	mkdir orphan-unknown && cd orphan-unknown &&
	write_orphan_job orphan-unknown "" &&
	crash_when long.running env LONG_SECS=3 runjob --journal "$PWD/j.db" job.yaml &&
	kill_supervisor "$(cat long.pid)" &&
	{ rj run job.yaml >rerun.out 2>rerun.err; echo $? >rerun.code; } &&
	echo 7 >expect &&
	test_cmp expect rerun.code &&
	run=$(q j.db "select id from runs") &&
	grep -F "runjob resolve $run long --ok|--failed|--rerun" rerun.err &&
	test "$(q j.db "select state from runs")" = unknown &&
	test "$(q j.db "select state from steps where step_id = \"long\"")" = unknown &&
	test "$(lines long.ends)" = 1 &&
	test "$(lines after.count)" = 0
'

test_expect_success 'after a crash, what happened, the wait and what to do are together on standard error, in that order, under a heading' '
	cd orphan-unknown &&
	run=$(q j.db "select id from runs") &&
	cat rerun.err &&
	head -n 1 rerun.err >heading &&
	test_grep "^20[0-9-]*T[0-9:]*Z runjob: run $run did not end: the runjob running it died while long ran$" heading &&
	grep -n "" rerun.err >numbered &&
	wait_at=$(grep "still running as pid" numbered | cut -d: -f1) &&
	ask_at=$(grep "the outcome of these steps of run $run is unknown" numbered | cut -d: -f1) &&
	test "$wait_at" -gt 1 && test "$ask_at" -gt "$wait_at" &&
	test_grep -v "still running" rerun.out &&
	test_grep -v "did not end" rerun.out
'

test_expect_success 'runjob resolve RUN STEP --ok: the rerun finishes without running the step again' '
	cd orphan-unknown &&
	run=$(q j.db "select id from runs") &&
	rj resolve "$run" long --ok >out 2>&1 &&
	rj run job.yaml >out 2>&1 &&
	test "$(q j.db "select state from runs")" = succeeded &&
	test "$(lines long.starts)" = 1 &&
	test "$(lines prep.count)" = 1 &&
	test "$(lines after.count)" = 1
'

test_expect_success 'runjob resolve RUN STEP --rerun: the step runs again' '
	mkdir orphan-rerun && cd orphan-rerun &&
	write_orphan_job orphan-rerun "" &&
	crash_when long.running env LONG_SECS=30 runjob --journal "$PWD/j.db" job.yaml &&
	kill_supervisor "$(cat long.pid)" &&
	kill -9 -$(cat long.pid) &&
	test_expect_code 7 rj run job.yaml >out 2>&1 &&
	run=$(q j.db "select id from runs") &&
	rj resolve "$run" long --rerun >out 2>&1 &&
	rj run job.yaml >out 2>&1 &&
	test "$(q j.db "select state from runs")" = succeeded &&
	printf "start 1\nstart 2\n" >expect &&
	test_cmp expect long.starts &&
	test "$(lines prep.count)" = 1 &&
	test "$(lines after.count)" = 1
'

test_expect_success '--kill-orphans stops the process group left running and runs the step again' '
	mkdir orphan-kill && cd orphan-kill &&
	write_orphan_job orphan-kill "" &&
	crash_when long.running env LONG_SECS=30 runjob --journal "$PWD/j.db" job.yaml &&
	opid=$(cat long.pid) &&
	test_when_finished "kill -9 -$opid" &&
	group_alive $opid &&
	rj run --kill-orphans job.yaml >out 2>&1 &&
	! group_alive $opid &&
	test "$(q j.db "select state from runs")" = succeeded &&
	printf "start 1\nstart 2\n" >expect &&
	test_cmp expect long.starts &&
	test "$(q j.db "select state from attempts where step_id = \"long\" and attempt = 1")" = stopped
'

test_expect_success 'on_unknown: rerun runs a step of unknown outcome again without asking' '
	mkdir unknown-rerun && cd unknown-rerun &&
	write_orphan_job unknown-rerun "on_unknown: rerun" &&
	crash_when long.running env LONG_SECS=30 runjob --journal "$PWD/j.db" job.yaml &&
	kill_supervisor "$(cat long.pid)" &&
	kill -9 -$(cat long.pid) &&
	rj run job.yaml >out 2>&1 &&
	test "$(q j.db "select state from runs")" = succeeded &&
	printf "start 1\nstart 2\n" >expect &&
	test_cmp expect long.starts &&
	test "$(lines after.count)" = 1
'

test_expect_success 'on_unknown: fail counts a step of unknown outcome as failed: exit 1' '
	mkdir unknown-fail && cd unknown-fail &&
	write_orphan_job unknown-fail "on_unknown: fail" &&
	crash_when long.running env LONG_SECS=30 runjob --journal "$PWD/j.db" job.yaml &&
	kill_supervisor "$(cat long.pid)" &&
	kill -9 -$(cat long.pid) &&
	test_expect_code 1 rj run job.yaml >out 2>&1 &&
	test "$(q j.db "select state from runs")" = failed &&
	test "$(q j.db "select state from steps where step_id = \"long\"")" = failed &&
	test "$(lines long.starts)" = 1 &&
	test "$(lines after.count)" = 0
'

# 6. Locks.

test_expect_success 'of fifty runjobs of one job started at once, one runs it and 49 exit 4 naming the holder' '
	mkdir locks && cd locks &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: locked
	steps:
	  - id: nap
	    run: echo ran >>nap.count && i=0 && while ! test -f go && test $i -lt 300; do sleep 0.1; i=$((i + 1)); done
	EOF
	cat >other.yaml <<-\EOF &&
	runjob: 1
	name: other
	steps:
	  - { id: s, run: "true" }
	EOF
	# The journal exists already: this is about the lock, not about
	# creating the journal (t1600 does that).
	rj run other.yaml >/dev/null 2>&1 &&
	i=0 &&
	while [ $i -lt 50 ]; do
		i=$((i + 1))
		{ rj run job.yaml >out.$i 2>err.$i; echo $? >code.$i; } &
	done &&
	# The holder waits for the file go, so that it still holds the
	# lock when the other 49, however slow to start, have tried.
	n=0 &&
	while [ "$(ls code.* 2>/dev/null | wc -l)" -lt 49 ] && [ $n -lt 600 ]; do
		sleep 0.1
		n=$((n + 1))
	done &&
	touch go &&
	wait &&
	test "$(cat code.* | grep -cx 0)" = 1 &&
	test "$(cat code.* | grep -cx 4)" = 49 &&
	test "$(lines nap.count)" = 1 &&
	holder=$(q j.db "select pid from runs where job = \"locked\"") &&
	host=$(uname -n) &&
	for i in $(seq 50); do
		test "$(cat code.$i)" = 0 && continue
		grep -q "already running: pid $holder on $host" err.$i ||
			{ echo "loser $i does not name pid $holder on $host:"; cat err.$i; return 1; }
	done
'

test_expect_success 'a runjob killed with SIGKILL leaves no lock: the next run starts at once' '
	mkdir lock-crash && cd lock-crash &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: held
	steps:
	  - id: nap
	    on_unknown: rerun
	    run: echo "start $RUNJOB_ATTEMPT" >>nap.starts && touch nap.running && sleep ${NAP_SECS:-0}
	EOF
	crash_when nap.running env NAP_SECS=1 runjob --journal "$PWD/j.db" job.yaml &&
	dead=$(q j.db "select pid from locks where job = \"held\"") &&
	test -n "$dead" &&
	! alive $dead &&
	rj run job.yaml >out 2>err &&
	test_grep -v "already running" err &&
	test "$(q j.db "select state from runs")" = succeeded &&
	test "$(q j.db "select count(*) from locks where job = \"held\"")" = 0
'

test_expect_success 'a step holds no descriptor of the job lock file or of the journal' '
	mkdir lock-fd && cd lock-fd &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: fds
	steps:
	  - id: look
	    run: ls -l /proc/$$/fd/ >fds.txt
	EOF
	rj run job.yaml >out 2>&1 &&
	test -f locks/fds.lock &&
	test_grep "/dev/null" fds.txt &&
	test_grep -v "fds.lock" fds.txt &&
	test_grep -v "j.db" fds.txt
'

test_expect_success 'a process a step left running is stopped at the end of the run and does not keep the job locked' '
	mkdir lock-bg && cd lock-bg &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: leaves
	steps:
	  - id: spawn
	    run: test -f bg.pid || { sleep 10 >/dev/null 2>&1 & echo $! >bg.pid; }
	EOF
	rj run job.yaml >out 2>&1 &&
	test_when_finished "kill $(cat bg.pid)" &&
	test_grep "step spawn left process $(cat bg.pid) running (.*): stopping it" out &&
	! alive $(cat bg.pid) &&
	rj run job.yaml >out 2>err &&
	test "$(q j.db "select count(*) from runs where state = \"succeeded\"")" = 2
'

test_expect_success 'two jobs in one journal run at the same time without "database is locked"' '
	mkdir two-jobs && cd two-jobs &&
	for j in one two; do
		{
			printf "runjob: 1\nname: %s\nconcurrency: 4\nsteps:\n" $j
			for i in $(seq 30); do
				printf "  - { id: s%d, run: \"sleep 0.02; echo V=%s%d >>\$RUNJOB_OUTPUT\", outputs: [V] }\n" $i $j $i
			done
		} >$j.yaml || return 1
	done &&
	# The journal exists already: creating it is for t1600.
	printf "runjob: 1\nname: first\nsteps:\n  - { id: s, run: \"true\" }\n" >first.yaml &&
	rj run first.yaml >out 2>&1 &&
	{ rj run one.yaml >one.out 2>one.err & } &&
	p1=$! &&
	{ rj run two.yaml >two.out 2>two.err & } &&
	p2=$! &&
	{ wait $p1; echo $? >one.code; } &&
	{ wait $p2; echo $? >two.code; } &&
	echo 0 >expect &&
	test_cmp expect one.code &&
	test_cmp expect two.code &&
	cat one.out one.err two.out two.err >all &&
	test_grep -v "database is locked" all &&
	test "$(q j.db "select count(*) from attempts a join runs r on r.id = a.run_id
		where r.job in (\"one\", \"two\") and a.state = \"succeeded\"")" = 60 &&
	# They did overlap: each started before the other ended.
	test "$(q j.db "select count(*) from runs a join runs b on a.id != b.id
		where a.started < b.ended and b.started < a.ended")" = 2
'

# 7. Rollback.

test_expect_success 'on_failure: rollback undoes what succeeded newest first, each step before the steps it needs; exit 1' '
	mkdir diamond && cd diamond &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: diamond
	on_failure: rollback
	steps:
	  - id: a
	    run: echo a >>done.log
	    rollback: echo a >>undo.log
	  - id: b
	    needs: [a]
	    run: echo b >>done.log
	    rollback: echo b >>undo.log
	  - id: c
	    needs: [a]
	    run: sleep 0.2 && echo c >>done.log
	    rollback: echo c >>undo.log
	  - id: d
	    needs: [b, c]
	    run: "false"
	    rollback: echo d >>undo.log
	EOF
	test_expect_code 1 rj run job.yaml >out 2>&1 &&
	printf "c\nb\na\n" >expect &&
	test_cmp expect undo.log
'

test_expect_success 'after rolling back, the run and the undone steps are recorded rolled-back' '
	cd diamond &&
	test "$(q j.db "select state from runs")" = rolled-back &&
	q j.db "select step_id || \" \" || state from steps order by step_id" >actual &&
	printf "a rolled-back\nb rolled-back\nc rolled-back\nd failed\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'a step settled --ok by runjob resolve is still undone before the steps it needs' '
	mkdir resolved-rollback && cd resolved-rollback &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: resolved-rollback
	on_failure: rollback
	steps:
	  - id: base
	    run: "true"
	    rollback: echo base >>undo.log
	  - id: long
	    needs: [base]
	    run: echo $$ >long.pid && touch long.running && sleep ${LONG_SECS:-0}
	    rollback: echo long >>undo.log
	  - id: top
	    needs: [long]
	    run: "false"
	EOF
	crash_when long.running env LONG_SECS=30 runjob --journal "$PWD/j.db" job.yaml &&
	kill_supervisor "$(cat long.pid)" &&
	kill -9 -$(cat long.pid) &&
	test_expect_code 7 rj run job.yaml >out 2>&1 &&
	rj resolve "$(q j.db "select id from runs")" long --ok >out 2>&1 &&
	test_expect_code 1 rj run job.yaml >out 2>&1 &&
	printf "long\nbase\n" >expect &&
	test_cmp expect undo.log
'

test_expect_success 'a failing rollback action exits 6, says what is left to roll back, and undoes nothing older' '
	mkdir rbfail && cd rbfail &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: rbfail
	on_failure: rollback
	steps:
	  - id: one
	    run: "true"
	    rollback: echo one >>undo.log
	  - id: two
	    needs: [one]
	    run: "true"
	    rollback: echo two >>undo.log
	  - id: three
	    needs: [two]
	    run: "true"
	    rollback: echo three-tried >>undo.log && test -f fixed && echo three >>undo.log
	  - id: four
	    needs: [three]
	    run: "true"
	    rollback: echo four >>undo.log
	  - id: boom
	    needs: [four]
	    run: "false"
	EOF
	test_expect_code 6 rj run job.yaml >out 2>err &&
	printf "four\nthree-tried\n" >expect &&
	test_cmp expect undo.log &&
	cat out err >all &&
	test_grep "roll back.*two, one" all &&
	test "$(q j.db "select state from runs")" = rollback-failed &&
	q j.db "select step_id || \" \" || state from steps order by rowid" >actual &&
	printf "one succeeded\ntwo succeeded\nthree rollback-failed\nfour rolled-back\nboom failed\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'after a failed rollback action, runjob points at runjob rollback RUN, not at rerunning the job' '
	cd rbfail &&
	run=$(q j.db "select id from runs") &&
	grep -F "runjob rollback $run" all &&
	test_grep -v "rerun the same command" all
'

test_expect_success 'runjob rollback RUN tries the failed rollback action again first, then the older ones: exit 0' '
	cd rbfail &&
	touch fixed &&
	rj rollback "$(q j.db "select id from runs")" >out 2>&1 &&
	printf "four\nthree-tried\nthree-tried\nthree\ntwo\none\n" >expect &&
	test_cmp expect undo.log &&
	test "$(q j.db "select state from runs")" = rolled-back
'

test_expect_success 'runjob rollback RUN undoes a run that succeeded, giving each rollback its step outputs: exit 0' '
	mkdir undo && cd undo &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: undo
	steps:
	  - id: a
	    run: echo a >>done.log && echo "A_OUT=from-a" >>"$RUNJOB_OUTPUT"
	    outputs: [A_OUT]
	    rollback: echo "a $A_OUT" >>undo.log
	  - id: b
	    needs: [a]
	    run: echo b >>done.log
	    rollback: echo "b $A_OUT" >>undo.log
	  - id: c
	    needs: [b]
	    run: echo c >>done.log
	EOF
	rj run job.yaml >out 2>&1 &&
	run=$(q j.db "select id from runs") &&
	rj rollback "$run" >out 2>&1 &&
	printf "b from-a\na from-a\n" >expect &&
	test_cmp expect undo.log &&
	test "$(q j.db "select state from runs")" = rolled-back &&
	test "$(lines done.log)" = 3
'

test_expect_success 'runjob rollback JOB.yaml undoes the latest run of the job: exit 0' '
	cd undo &&
	rm undo.log &&
	rj run job.yaml >out 2>&1 &&
	run=$(q j.db "select id from runs where state = \"succeeded\"") &&
	rj rollback job.yaml >out 2>&1 &&
	printf "b from-a\na from-a\n" >expect &&
	test_cmp expect undo.log &&
	test "$(q j.db "select state from runs where id = \"$run\"")" = rolled-back
'

test_expect_success 'runjob rollback of a failed run with no rollback actions says there is nothing to undo and leaves it resumable: exit 0' '
	mkdir noundo && cd noundo &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: noundo
	steps:
	  - id: a
	    run: echo a >>done.log
	  - id: b
	    needs: [a]
	    run: test -f fixed
	EOF
	test_expect_code 1 rj run job.yaml >out 2>&1 &&
	run=$(q j.db "select id from runs") &&
	rj rollback job.yaml >out 2>&1 &&
	cat out &&
	test_grep "run $run of job noundo: no step of it that succeeded has a rollback action: nothing to undo" out &&
	test_grep "it stays failed: .runjob resume $run. takes it up" out &&
	test "$(q j.db "select state from runs")" = failed &&
	test "$(q j.db "select state from steps where step_id = \"a\"")" = succeeded &&
	touch fixed &&
	rj resume "$run" >out 2>&1 &&
	test "$(q j.db "select state from runs")" = succeeded &&
	test "$(lines done.log)" = 1
'

test_expect_success 'runjob rollback after a failed --only of a step without a rollback action leaves the run resumable: exit 0' '
	mkdir onlyundo && cd onlyundo &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: onlyundo
	steps:
	  - id: a
	    run: echo a >>done.log
	    rollback: echo a >>undo.log
	  - id: b
	    run: test -f fixed
	EOF
	test_expect_code 1 rj run job.yaml --only b >out 2>&1 &&
	rj rollback job.yaml >out 2>&1 &&
	cat out &&
	test_grep "nothing to undo" out &&
	! test -e undo.log &&
	test "$(q j.db "select state from runs")" = failed &&
	touch fixed &&
	rj resume job.yaml >out 2>&1 &&
	test "$(q j.db "select state from runs")" = succeeded
'

test_expect_success 'runjob SIGKILLed during a rollback: rerunning goes on rolling back, without redoing finished rollback actions' '
	mkdir rbcrash && cd rbcrash &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: rbcrash
	on_failure: rollback
	steps:
	  - id: a
	    run: "true"
	    rollback: echo a >>undo.log
	  - id: b
	    needs: [a]
	    run: "true"
	    rollback: echo b-start >>undo.log && echo $$ >b.pid && touch b.rolling && sleep ${RB_SECS:-0} && echo b >>undo.log
	  - id: c
	    needs: [b]
	    run: "true"
	    rollback: echo c >>undo.log
	  - id: d
	    needs: [c]
	    run: "false"
	EOF
	crash_when b.rolling env RB_SECS=30 runjob --journal "$PWD/j.db" job.yaml &&
	kill -9 -$(cat b.pid) &&
	test "$(q j.db "select state from runs")" = rolling-back &&
	{ rj run job.yaml >out 2>&1; echo $? >rerun.code; } &&
	printf "c\nb-start\nb-start\nb\na\n" >expect &&
	test_cmp expect undo.log &&
	test "$(q j.db "select count(*) from runs")" = 1 &&
	test "$(q j.db "select state from runs")" = rolled-back
'

test_expect_success 'the rerun that finishes such a rollback exits 1: the run failed' '
	cd rbcrash &&
	echo 1 >expect &&
	test_cmp expect rerun.code
'

test_expect_success 'a step that failed stays recorded as failed when the rollback is finished later' '
	test "$(cd rbfail && q j.db "select state from steps where step_id = \"boom\"")" = failed &&
	test "$(cd rbcrash && q j.db "select state from steps where step_id = \"d\"")" = failed
'

# 8. status and history.

test_expect_success 'setup: runs that were interrupted, unknown, rolled back, failed to roll back, paused' '
	mkdir states && cd states &&
	cat >intr.yaml <<-\EOF &&
	runjob: 1
	name: st-intr
	steps:
	  - { id: slow, run: "touch intr.running && sleep ${SLOW_SECS:-0}" }
	EOF
	start_bg out env SLOW_SECS=30 runjob run --journal "$PWD/j.db" intr.yaml &&
	pid=$bg_pid &&
	wait_for intr.running &&
	kill -INT $pid &&
	{ wait $pid; test $? = 130; } &&
	q j.db "select id from runs where job = \"st-intr\"" >intr.run &&

	cat >unk.yaml <<-\EOF &&
	runjob: 1
	name: st-unknown
	steps:
	  - { id: long, run: "echo $$ >long.pid && touch long.running && sleep ${LONG_SECS:-0}" }
	EOF
	crash_when long.running env LONG_SECS=30 runjob --journal "$PWD/j.db" unk.yaml &&
	kill_supervisor "$(cat long.pid)" &&
	kill -9 -$(cat long.pid) &&
	test_expect_code 7 rj run unk.yaml >out 2>&1 &&
	q j.db "select id from runs where job = \"st-unknown\"" >unknown.run &&

	cat >rb.yaml <<-\EOF &&
	runjob: 1
	name: st-rolled
	on_failure: rollback
	steps:
	  - { id: done, run: "true", rollback: "true" }
	  - { id: boom, needs: [done], run: "false" }
	EOF
	test_expect_code 1 rj run rb.yaml >out 2>&1 &&
	q j.db "select id from runs where job = \"st-rolled\"" >rolled.run &&

	cat >rbf.yaml <<-\EOF &&
	runjob: 1
	name: st-rbfail
	on_failure: rollback
	steps:
	  - { id: done, run: "true", rollback: "false" }
	  - { id: boom, needs: [done], run: "false" }
	EOF
	test_expect_code 6 rj run rbf.yaml >out 2>&1 &&
	q j.db "select id from runs where job = \"st-rbfail\"" >rbfail.run &&

	# A paused run made by hand, here without a window: an interrupted
	# one, marked paused (t1910 pauses runs through their windows).
	cat >pz.yaml <<-\EOF &&
	runjob: 1
	name: st-paused
	steps:
	  - { id: slow, run: "touch pz.running && sleep ${SLOW_SECS:-0}" }
	EOF
	start_bg out env SLOW_SECS=30 runjob run --journal "$PWD/j.db" pz.yaml &&
	pid=$bg_pid &&
	wait_for pz.running &&
	kill -INT $pid &&
	{ wait $pid; test $? = 130; } &&
	q j.db "update runs set state = \"paused\" where job = \"st-paused\"" &&
	q j.db "select id from runs where job = \"st-paused\"" >paused.run
'

# shows STATE WORD...: runjob status of the run in STATE.run says it is
# STATE, and history lists it as STATE; each WORD appears in the status.
shows() {
	run=$(cat $1.run) &&
	rj status "$run" >status.out 2>&1 &&
	test_grep "run $run of job .*: $2 " status.out &&
	rj history >history.out 2>&1 &&
	test_grep "^$run .* $2 " history.out &&
	shift 2 &&
	for w in "$@"; do
		test_grep "$w" status.out || return 1
	done
}

test_expect_success 'status and history show an interrupted run as interrupted, its step as stopped' '
	cd states &&
	shows intr interrupted "slow  *stopped"
'

test_expect_success 'status and history show a run stopped on an unknown outcome as unknown' '
	cd states &&
	shows unknown unknown "long  *unknown"
'

test_expect_success 'status and history show a rolled-back run as rolled-back' '
	cd states &&
	shows rolled rolled-back "done  *rolled-back" "boom  *failed"
'

test_expect_success 'status and history show a run whose rollback failed as rollback-failed' '
	cd states &&
	shows rbfail rollback-failed "done  *rollback-failed" "boom  *failed"
'

# aligned FILE: in the step table of runjob status in FILE, the number of
# attempts of every row ends where the ATTEMPTS heading ends.
aligned() {
	awk '
	/^  STEP / { at = index($0, "ATTEMPTS") + 7; table = 1; next }
	table && /^$/ { table = 0 }
	table && /^  [^ ]/ {
		rows++
		if (substr($0, at, 1) !~ /[0-9]/ || substr($0, at + 1, 1) != " ")
			bad++
	}
	END { exit !(rows > 0 && !bad) }' "$1" || { cat "$1" >&2; return 1; }
}

test_expect_success 'the status table stays aligned with rolled-back and rollback-failed steps' '
	cd states &&
	for r in rolled rbfail; do
		rj status "$(cat $r.run)" >status.out 2>&1 &&
		aligned status.out || return 1
	done &&
	test_grep "rollback-failed" status.out
'

test_expect_success 'status and history show a paused run as paused' '
	cd states &&
	shows paused paused
'

test_expect_success 'the job'"'"'s timeout does not cut a rollback short' '
	mkdir rb-timeout && cd rb-timeout &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: rb-timeout
	timeout: 1s
	on_failure: rollback
	steps:
	  - id: a
	    run: "true"
	    rollback: sleep 2 && echo undone >>undo.log
	  - id: b
	    needs: [a]
	    run: "false"
	EOF
	test_expect_code 1 rj run job.yaml >out 2>&1 &&
	test "$(cat undo.log)" = undone &&
	test "$(q j.db "select state from runs")" = rolled-back
'

test_expect_success 'status and history say so when a running run'"'"'s runjob is gone' '
	mkdir gone && cd gone &&
	printf "runjob: 1\nname: gone\nsteps:\n  - { id: s, run: \"echo \$\$ >step.pid; touch started; sleep 5\" }\n" >gone.yaml &&
	{ runjob run --journal "$PWD/j.db" gone.yaml >/dev/null 2>&1 & } &&
	pid=$! &&
	test_when_finished "kill -9 -\$(cat step.pid)" &&
	i=0 && while ! test -f started; do sleep 0.1; i=$((i + 1)); test $i -lt 100 || return 1; done &&
	rj status >before &&
	test_grep -v "is gone" before &&
	kill -9 $pid && { wait $pid; test $? = 137; } &&
	test "$(q j.db "select state from runs")" = running &&
	rj status >status.out &&
	test_grep "running, but its runjob (pid $pid) is gone" status.out &&
	rj history >history.out &&
	test_grep "running (its runjob is gone: rerun to resume)" history.out
'

test_done
