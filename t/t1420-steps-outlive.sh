#!/bin/sh
test_description='steps outlive runjob: their supervisor reads and masks their output, keeps their timeouts and records how they end; checkpoints of shell steps; values hidden at run time'
. "$(dirname "$0")/test-lib.sh"

SECRET=Outl1ve-s3cret-3308
export SECRET

# start_run FILE JOB [ARGS]: runjob in the background; its pid in $rj.
start_run() {
	wait_file=$1
	shift
	runjob --journal "$PWD/j.db" "$@" >crash.out 2>&1 &
	rj=$!
	wait_for "$wait_file"
}

test_expect_success 'a step printing after runjob is SIGKILLed runs to its end, its output still logged' '
	mkdir printing && cd printing &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: printing
	steps:
	  - id: work
	    run: echo begin; touch started; sleep 2; echo after; touch marker-done
	  - { id: next, needs: [work], run: echo next >>next.count }
	EOF
	start_run started job.yaml &&
	kill -9 $rj && { wait $rj; test $? = 137; } &&
	wait_for marker-done 10 &&
	run=$(q j.db "select id from runs") &&
	wait_for "logs/$run/work.1.log" &&
	sleep 0.2 &&
	printf "begin\nafter\n" >want &&
	test_cmp want logs/$run/work.1.log
'

test_expect_success 'the next runjob adopts its real outcome: no exit 7, the step not run again' '
	cd printing &&
	runjob --journal "$PWD/j.db" job.yaml >out 2>&1 &&
	test_grep "step work: its attempt 1 ended while no runjob was there (exit 0)" out &&
	test "$(q j.db "select state from runs")" = succeeded &&
	test "$(q j.db "select count(*) from attempts where step_id = \"work\"")" = 1 &&
	test "$(q j.db "select state, exit_code from attempts where step_id = \"work\"")" = "succeeded|0" &&
	test "$(q j.db "select output from attempts where step_id = \"work\"" | tr "\n" " ")" = "begin after  " &&
	test "$(cat next.count)" = next
'

test_expect_success 'a step that fails while runjob is away is adopted as failed and tried again per its retry' '
	mkdir failing && cd failing &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: failing
	steps:
	  - id: flaky
	    retry: { attempts: 2, delay: 0s }
	    run: |
	      echo "try $RUNJOB_ATTEMPT" >>tries
	      if [ "$RUNJOB_ATTEMPT" = 1 ]; then touch started; sleep 1; exit 3; fi
	EOF
	start_run started job.yaml &&
	kill -9 $rj && { wait $rj; test $? = 137; } &&
	sleep 1.5 &&
	runjob --journal "$PWD/j.db" job.yaml >out 2>&1 &&
	test_grep "its attempt 1 ended while no runjob was there (exit 3)" out &&
	printf "try 1\ntry 2\n" >want &&
	test_cmp want tries &&
	test "$(q j.db "select attempt, state, exit_code from attempts order by attempt" | tr "\n" " ")" = "1|failed|3 2|succeeded|0 "
'

test_expect_success 'a step whose outputs were written while runjob was away hands them on' '
	mkdir outs && cd outs &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: outs
	steps:
	  - id: make
	    outputs: [N]
	    run: touch started; sleep 1; echo N=42 >>"$RUNJOB_OUTPUT"
	  - { id: use, needs: [make], run: echo "n=$N" >got }
	EOF
	start_run started job.yaml &&
	kill -9 $rj && { wait $rj; test $? = 137; } &&
	sleep 1.5 &&
	runjob --journal "$PWD/j.db" job.yaml >out 2>&1 &&
	echo n=42 >want &&
	test_cmp want got &&
	test "$(q j.db "select value from outputs where step_id = \"make\"")" = 42
'

test_expect_success 'with runjob gone, the supervisor still keeps a step'\''s timeout: TERM, then KILL after kill_grace' '
	mkdir timeout && cd timeout &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: timeout
	steps:
	  - id: slow
	    timeout: 2s
	    kill_grace: 1s
	    run: |
	      trap "echo got TERM >>trace" TERM
	      echo $$ >slow.pid
	      touch started
	      while :; do sleep 0.1; done
	EOF
	start_run started job.yaml &&
	kill -9 $rj && { wait $rj; test $? = 137; } &&
	pid=$(cat slow.pid) &&
	alive $pid &&
	gone_within 8 $pid &&
	test_grep "got TERM" trace &&
	test_expect_code 1 runjob --journal "$PWD/j.db" job.yaml >out 2>&1 &&
	test_grep "its timeout passed" out &&
	test "$(q j.db "select state from attempts")" = timeout
'

test_expect_success 'with runjob gone, what a step prints is still masked in its log' '
	mkdir masked && cd masked &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: masked
	params:
	  S: { secret: true, env: SECRET }
	steps:
	  - id: late
	    run: touch started; sleep 1; echo "the secret is $S"
	EOF
	start_run started job.yaml &&
	kill -9 $rj && { wait $rj; test $? = 137; } &&
	sleep 1.5 &&
	run=$(q j.db "select id from runs") &&
	echo "the secret is ***" >want &&
	test_cmp want logs/$run/late.1.log &&
	runjob --journal "$PWD/j.db" job.yaml >out 2>&1 &&
	! grep -r -a -F "$SECRET" logs j.db* out
'

test_expect_success 'the supervisor of the run is the step'\''s parent, and leaves once its last step has ended' '
	mkdir leaves && cd leaves &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: leaves
	steps:
	  - id: s
	    run: |
	      read _ _ _ sv _ </proc/$$/stat
	      echo $sv >sv.pid
	      tr "\0" " " </proc/$sv/cmdline >sv.cmd
	      touch started; sleep 1
	EOF
	start_run started job.yaml &&
	kill -9 $rj && { wait $rj; test $? = 137; } &&
	sv=$(cat sv.pid) &&
	test_grep "^runjob supervise " sv.cmd &&
	alive $sv &&
	gone_within 5 $sv
'

test_expect_success 'a shell step'\''s checkpoints are journaled as they come and handed to its next attempt' '
	mkdir ckpt && cd ckpt &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: ckpt
	steps:
	  - id: batches
	    retry: { attempts: 2, delay: 0s }
	    run: |
	      echo "attempt $RUNJOB_ATTEMPT from [${RUNJOB_CHECKPOINT-none}]" >>trace
	      if [ "$RUNJOB_ATTEMPT" = 1 ]; then
	        echo "batch 1" >"$RUNJOB_CHECKPOINT_FILE"
	        echo "batch 2" >>"$RUNJOB_CHECKPOINT_FILE"
	        touch wrote
	        i=0; while ! test -e go && test $i -lt 100; do sleep 0.1; i=$((i + 1)); done
	        exit 1
	      fi
	EOF
	{ runjob --journal "$PWD/j.db" job.yaml >out 2>&1 & } &&
	pid=$! &&
	wait_for wrote &&
	newest="select data from events where kind = \"checkpoint\" order by seq desc limit 1" &&
	n=0 &&
	while test "$(q j.db "$newest")" != "{\"line\":\"batch 2\"}" && test $n -lt 50; do sleep 0.1; n=$((n + 1)); done &&
	test "$(q j.db "$newest")" = "{\"line\":\"batch 2\"}" &&
	touch go &&
	wait $pid &&
	printf "attempt 1 from [none]\nattempt 2 from [batch 2]\n" >want &&
	test_cmp want trace
'

# The steps whose newest checkpoint event holds "last N", N their own.
cat >last.sql <<\EOF
SELECT count(*) FROM events e WHERE kind = 'checkpoint'
AND data = '{"line":"last ' || substr(step_id, 2) || '"}'
AND seq = (SELECT max(seq) FROM events f
	WHERE f.kind = 'checkpoint' AND f.step_id = e.step_id);
EOF
test_expect_success 'a checkpoint written just before its step ends is journaled, for each of 100 steps ending at once' '
	mkdir ckpt-last && cd ckpt-last &&
	{
		printf "runjob: 1\nname: ckpt-last\nsteps:\n" &&
		for i in $(seq 1 100); do
			printf "  - { id: s%d, run: '"'"'echo early >\"\$RUNJOB_CHECKPOINT_FILE\"; echo \"last %d\" >>\"\$RUNJOB_CHECKPOINT_FILE\"'"'"' }\n" $i $i
		done
	} >job.yaml &&
	runjob run -q -j 4 --journal "$PWD/j.db" job.yaml &&
	sqlite3 j.db <../last.sql >n &&
	echo 100 >want &&
	test_cmp want n
'

test_expect_success 'a checkpoint written while runjob was away reaches the next attempt after a crash' '
	mkdir ckpt-crash && cd ckpt-crash &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: ckpt-crash
	steps:
	  - id: copy
	    on_unknown: rerun
	    run: |
	      echo "attempt $RUNJOB_ATTEMPT from [${RUNJOB_CHECKPOINT-none}]" >>trace
	      if [ "$RUNJOB_ATTEMPT" = 1 ]; then
	        echo $$ >copy.pid; touch started; sleep 1
	        echo "row 500" >>"$RUNJOB_CHECKPOINT_FILE"
	        sleep 30
	      fi
	EOF
	start_run started job.yaml &&
	kill -9 $rj && { wait $rj; test $? = 137; } &&
	kill_supervisor "$(cat copy.pid)" &&
	sleep 1.5 &&
	kill -9 -"$(cat copy.pid)" &&
	runjob --journal "$PWD/j.db" job.yaml >out 2>&1 &&
	printf "attempt 1 from [none]\nattempt 2 from [row 500]\n" >want &&
	test_cmp want trace &&
	test "$(q j.db "select data from events where kind = \"checkpoint\"")" = "{\"line\":\"row 500\"}"
'

test_expect_success 'a value a step writes to $RUNJOB_MASK_FILE is hidden from then on, in every step, the journal and status' '
	mkdir maskfile && cd maskfile &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: maskfile
	steps:
	  - id: mint
	    outputs: [TOKEN]
	    run: |
	      t=Minted-$$-tok3n
	      echo "$t" >>"$RUNJOB_MASK_FILE"
	      echo "minted $t"
	      echo "TOKEN=$t" >>"$RUNJOB_OUTPUT"
	      echo ab >>"$RUNJOB_MASK_FILE"
	      echo "ab stays"
	  - id: use
	    needs: [mint]
	    run: |
	      echo "using $TOKEN"
	      echo "$TOKEN" >token.real
	EOF
	runjob --journal "$PWD/j.db" job.yaml >out 2>&1 &&
	tok=$(cat token.real) &&
	case $tok in Minted-*-tok3n) ;; *) false ;; esac &&
	test_grep "mint | minted \*\*\*" out &&
	test_grep "use | using \*\*\*" out &&
	test_grep "ab stays" out &&
	runjob status --journal "$PWD/j.db" >status 2>&1 &&
	runjob show --journal "$PWD/j.db" "$(q j.db "select id from runs")" >show 2>&1 &&
	! grep -r -a -F "$tok" out status show logs j.db*
'

test_expect_success 'a supervisor that dies under a live runjob: nothing more starts, the running step is waited for, the run fails' '
	mkdir svdies && cd svdies &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: svdies
	steps:
	  - id: s
	    run: echo $$ >s.pid; touch started; sleep 1; touch s.done
	  - { id: after, needs: [s], run: touch after.ran }
	EOF
	start_run started job.yaml &&
	kill_supervisor "$(cat s.pid)" &&
	{ wait $rj; echo $? >code; } &&
	echo 1 >want && test_cmp want code &&
	test_grep "the run.s supervisor (pid [0-9]*) ended unexpectedly: no step will be started" crash.out &&
	test -e s.done &&
	! test -e after.ran &&
	test "$(q j.db "select state, exit_code from attempts where step_id = \"s\"")" = "succeeded|0"
'

test_expect_success 'SIGHUP (a lost ssh session) stops nothing: runjob exits 129, the steps run on, the rerun adopts them' '
	mkdir hangup && cd hangup &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: hangup
	steps:
	  - id: long
	    run: echo start >>long.count; touch started; sleep 2; echo "done at last"; touch long.done
	  - { id: after, needs: [long], run: echo ran >>after.count }
	EOF
	start_run started job.yaml &&
	kill -HUP $rj &&
	{ wait $rj; echo $? >code; } &&
	echo 129 >want && test_cmp want code &&
	test_grep "hung up: 1 running step goes on under the run.s supervisor" crash.out &&
	! test -e long.done &&
	test "$(q j.db "select state from runs")" = interrupted &&
	wait_for long.done 10 &&
	sleep 0.3 &&
	runjob --journal "$PWD/j.db" job.yaml >out 2>&1 &&
	test_grep "step long: its attempt 1 ended while no runjob was there (exit 0)" out &&
	test "$(cat long.count)" = start &&
	test "$(cat after.count)" = ran &&
	run=$(q j.db "select id from runs") &&
	test_grep "done at last" logs/$run/long.1.log
'

test_done
