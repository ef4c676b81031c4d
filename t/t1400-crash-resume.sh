#!/bin/sh
test_description='runjob SIGKILLed at random moments while steps print, then rerun until done: no step dies for it, every outcome is adopted, no succeeded step ever runs again'
. "$(dirname "$0")/test-lib.sh"

# Rounds of kill-and-rerun; RUNJOB_CRASH_ROUNDS=500 for a long soak.
ROUNDS=${RUNJOB_CRASH_ROUNDS:-100}

# Ten steps in four waves. Each writes "start ID" and "end ID" (ID is
# its RUNJOB_ATTEMPT_ID) to a trace file of its own, and prints lines
# between the two, so that kills land before, during and after steps,
# and a step that lost the reader of its output would die of SIGPIPE.
# No step says what to do with an unknown outcome: runjob dying must
# leave none, as each step's supervisor records how it ended. Besides,
# step k prints a secret split across two writes at the end of a line
# over 64 KiB, and hands it on in an output that step l, after it, must
# get whole, however the runs before were cut off; the instances of
# step m, whose items would share a file name were '/' made '_', each
# keep a log of their own; and every other run goes through a symbolic
# link to the job file, in another directory: the same job, the same
# run.
SECRET=Crashy-s3cret-7781
export SECRET
test_expect_success 'setup' '
	{
		cat <<-\EOF
		runjob: 1
		name: crashy
		params:
		  S: { secret: true, env: SECRET }
		steps:
		  - id: k
		    outputs: [TOK]
		    run: |
		      head -c 70000 /dev/zero | tr "\0" .
		      printf %s "$S" | head -c 9; sleep 0.02; printf %s "$S" | tail -c +10; echo
		      echo "TOK=u:$S@h" >>"$RUNJOB_OUTPUT"
		  - { id: l, needs: [k], run: '\''sleep 0.02; test "$TOK" = "u:$S@h"'\'' }
		  - { id: m, for_each: [p/q, p_q], run: '\''echo "item $RUNJOB_ITEM"; sleep 0.02'\'' }
		EOF
		for s in a b c d e f g h i j; do
			case $s in
			a) needs="" ;;
			b|c|d) needs="needs: [a]," ;;
			e) needs="needs: [b, c]," ;;
			f) needs="needs: [c, d]," ;;
			g) needs="needs: [d]," ;;
			h) needs="needs: [e, f]," ;;
			i) needs="needs: [f, g]," ;;
			j) needs="needs: [h, i]," ;;
			esac
			printf "  - { id: %s, %s run: %s }\n" "$s" "$needs" \
				"'\''echo \"start \$RUNJOB_ATTEMPT_ID\" >>trace.\$RUNJOB_STEP; for i in 1 2 3 4 5 6; do echo tick \$i; sleep 0.005; done; echo \"end \$RUNJOB_ATTEMPT_ID\" >>trace.\$RUNJOB_STEP'\''"
		done
	} >crashy.yaml &&
	runjob check crashy.yaml
'

# check_round DIR: the invariants of one round, once its last run passed.
check_round() {
	db=$1/j.db
	for s in a b c d e f g h i j; do
		t=$1/trace.$s
		ok=$(sqlite3 "$db" "select id from attempts where step_id = '$s' and kind = 'step' and state = 'succeeded'")
		# Exactly one recorded success, and it really ended.
		test $(echo "$ok" | grep -c .) = 1 || { echo "step $s: successes: $ok"; return 1; }
		grep -qx "end $ok" "$t" || { echo "step $s: $ok recorded succeeded but never ended"; return 1; }
		# Nothing of the step started after its success ended.
		if sed -n "/^end $ok\$/,\$p" "$t" | grep -q "^start"; then
			echo "step $s ran again after it succeeded:"; cat "$t"; return 1
		fi
		# Every start was recorded before it ran (the launch barrier).
		for id in $(sed -n "s/^start //p" "$t"); do
			test "$(sqlite3 "$db" "select count(*) from attempts where id = '$id'")" = 1 ||
				{ echo "step $s: attempt $id ran unrecorded"; return 1; }
		done
	done
	# No step died of SIGPIPE, and none was left unknown.
	test "$(sqlite3 "$db" "select count(*) from attempts where signal = 13 or state = 'unknown'")" = 0 ||
		{ echo "attempts: $(sqlite3 "$db" "select id, state, signal from attempts where signal = 13 or state = 'unknown'")"; return 1; }
	# The secret is in no file: not the logs, the journal, the output.
	if grep -r -a -l -F -e "$SECRET" -e Crashy-s3 -e cret-7781 "$1" >&2; then
		echo "the secret is in the files above"; return 1
	fi
	# Each instance of m has a log of its own, holding its item.
	for item in p/q p_q; do
		log=$(sqlite3 "$db" "select log from attempts where step_id = 'm[$item]' and state = 'succeeded'")
		grep -qx "item $item" "$log" || { echo "m[$item]: log $log"; return 1; }
	done
	test "$(sqlite3 "$db" "select count(distinct log) from attempts where step_id like 'm[%' and state = 'succeeded'")" = 2 ||
		{ echo "the instances of m share a log"; return 1; }
	test "$(sqlite3 "$db" "select count(*) from runs")" = 1 ||
		{ echo "runs: $(sqlite3 "$db" "select id, file from runs")"; return 1; }
	test "$(sqlite3 "$db" "select state from runs")" = succeeded ||
		{ echo "run: $(sqlite3 "$db" "select state from runs")"; return 1; }
	# The event chain is whole.
	sqlite3 "$db" "select prev, hash from events order by seq" |
	awk -F"|" "NR > 1 && \$1 != last { bad = 1 } { last = \$2 } END { exit bad }" ||
		{ echo "the event chain is broken"; return 1; }
}

# fail_round DIR WHY: what a failed round left, for the log (its
# attempts, its run's events, the supervisors' records, what each run
# said), then why it failed, last, where a tail of the log shows it.
fail_round() {
	echo "attempts (id, step, kind, state, exit, signal):"
	sqlite3 "$1/j.db" "select id, step_id, kind, state, exit_code, signal from attempts order by rowid"
	echo "events:"
	sqlite3 "$1/j.db" "select seq, kind, step_id, data from events order by seq" | tail -n 60
	for f in "$1"/logs/*/supervisor; do
		echo "$f:" && cat "$f"
	done
	echo "its runs said:" && cat "$1/out"
	echo "$2"
	return 1
}

test_expect_success "$ROUNDS rounds of SIGKILL at random moments, then rerun until done" '
	runs=0 &&
	for r in $(seq 1 $ROUNDS); do
		d=round$r && mkdir -p $d/link && cp crashy.yaml $d/ &&
		ln -s "$PWD/$d/crashy.yaml" $d/link/crashy.yaml || return 1
		tries=0
		while :; do
			tries=$((tries + 1))
			test $tries -le 40 || { fail_round $d "round $r: not done after 40 runs"; return 1; }
			job=$d/crashy.yaml
			test $((tries % 2)) = 0 && job=$d/link/crashy.yaml
			echo "run $tries:" >>$d/out &&
			runjob run -q -j 3 --journal $d/j.db $job >>$d/out 2>&1 &
			pid=$!
			# Kill at 0..350 ms, or let the run end; from the eighth
			# run on, always let it end: a machine so loaded that no
			# run gets anywhere in 350 ms must not fail the round.
			if test $tries -lt 8; then
				sleep $(awk -v s=$r$tries "BEGIN { srand(s); printf \"%.3f\", rand() * 0.35 }")
				kill -9 $pid 2>/dev/null
			fi
			wait $pid
			code=$?
			runs=$((runs + 1))
			test $code = 0 && break
			# Killed after the run was recorded done: it is done.
			test "$(sqlite3 $d/j.db "select state from runs" 2>/dev/null)" = succeeded && break
			test $code = 137 ||
				{ fail_round $d "round $r: exit $code"; return 1; }
		done
		check_round $d >$d/why 2>&1 ||
			{ fail_round $d "round $r failed: $(cat $d/why)"; return 1; }
	done &&
	echo "$runs runs in $ROUNDS rounds"
'

test_done
