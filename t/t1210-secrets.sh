#!/bin/sh
test_description='secrets stay masked in lines of any length, split anywhere, and in outputs handed on after a resume'
. "$(dirname "$0")/test-lib.sh"

SECRET=SuperSecretValue123
export SECRET

# no_secret FILE...: neither the secret nor its two halves are in FILE.
no_secret() {
	for f
	do
		if grep -a -F -e "$SECRET" -e SuperSecre -e tValue123 "$f" >/dev/null
		then
			echo "a secret is in $f:" >&2
			grep -a -o -F -e "$SECRET" -e SuperSecre -e tValue123 "$f" >&2
			return 1
		fi
	done
}

test_expect_success 'a secret split across two writes after 64 KiB of one line is masked' '
	cat >long.yaml <<-\EOF &&
	runjob: 1
	name: long
	params:
	  S: { secret: true, env: RUNJOB_TEST_SECRET }
	steps:
	  - id: a
	    run: |
	      head -c 65530 /dev/zero | tr "\0" .
	      half=${S%Value123}
	      printf %s "$half"
	      sleep 0.3
	      printf "%s\n" "${S#"$half"}"
	      sleep 0.3
	      head -c 200000 /dev/zero | tr "\0" x
	      printf "%s" "$S"
	      sleep 0.3
	      echo " end"
	EOF
	RUNJOB_TEST_SECRET=$SECRET runjob --journal "$PWD/j.db" long.yaml >out 2>&1 &&
	no_secret out &&
	log=$(q j.db "select log from attempts") &&
	test -f "$log" &&
	no_secret "$log" j.db* &&
	q j.db "select output from attempts" >tail &&
	no_secret tail &&
	test $(grep -c "\*\*\*" "$log") = 2 &&
	tr -d "\n" <"$log" >joined &&
	test_grep "^\.*\*\*\*x*\*\*\* end$" joined
'

test_expect_success 'a secret in a progress bar redrawn with \r and no newline for 1 MB is masked' '
	cat >bar.yaml <<-\EOF &&
	runjob: 1
	name: bar
	params:
	  S: { secret: true, env: RUNJOB_TEST_SECRET }
	steps:
	  - id: a
	    run: |
	      i=0
	      half=${S%Value123}
	      while [ $i -lt 2000 ]; do
	        printf "\r[%0500d] %s" $i "$half"
	        printf %s "${S#"$half"}"
	        i=$((i + 1))
	      done
	      echo
	EOF
	RUNJOB_TEST_SECRET=$SECRET runjob --journal "$PWD/j.db" bar.yaml >out 2>&1 &&
	no_secret out &&
	log=$(q j.db "select log from attempts where run_id = (select id from runs where job = \"bar\")") &&
	no_secret "$log" j.db* &&
	test $(tr -d "\n" <"$log" | grep -o "\] \*\*\*" | wc -l) = 2000
'

# crash_in_b JOB: run JOB until its step b has begun, then SIGKILL runjob
# and b's process group, as a machine going down would.
# Everything of the run dies at once, as when the machine is out of
# memory: runjob, its supervisor and the step b, so that how b ended is
# recorded nowhere and its outcome is unknown.
crash_in_b() {
	rm -f b-started &&
	{ runjob --journal "$PWD/j.db" "$1" >crash.out 2>&1 & } &&
	pid=$! &&
	wait_for b-started &&
	kill -9 $pid &&
	kill_supervisor "$(cat b-started)" &&
	kill -9 -"$(cat b-started)" &&
	wait $pid
	test $? = 137
}

test_expect_success 'an output holding a secret reaches a dependent whole after a crash and resume' '
	cat >handon.yaml <<-\EOF &&
	runjob: 1
	name: handon
	params:
	  S: { secret: true, env: RUNJOB_TEST_SECRET }
	steps:
	  - id: a
	    run: echo "URL=redis://u:$S@h:6379/0" >>"$RUNJOB_OUTPUT"
	    outputs: [URL]
	  - id: b
	    needs: [a]
	    on_unknown: rerun
	    run: |
	      if ! test -e b-ran; then touch b-ran; echo $$ >b-started; sleep 30; fi
	      if [ "$URL" = "redis://u:$S@h:6379/0" ]; then echo real >got; else echo "wrong: $URL" >got; fi
	EOF
	rm -f b-ran got &&
	RUNJOB_TEST_SECRET=$SECRET crash_in_b handon.yaml &&
	RUNJOB_TEST_SECRET=$SECRET runjob --journal "$PWD/j.db" handon.yaml >out 2>&1 &&
	echo real >want &&
	test_cmp want got &&
	q j.db "select value from outputs where step_id = \"a\"" >value &&
	echo "redis://u:***@h:6379/0" >want &&
	test_cmp want value &&
	no_secret j.db* out crash.out
'

test_expect_success 'the journal key is beside the journal, mode 0600; the sealed value does not show the secret' '
	test "$(stat -c %a j.db.key)" = 600 &&
	test $(wc -c <j.db.key) = 65 &&
	sealed=$(q j.db "select sealed from outputs where step_id = \"a\"") &&
	case $sealed in 1:*) ;; *) false ;; esac &&
	no_secret j.db
'

test_expect_success 'with another key the resume is refused, naming the output; nothing runs' '
	rm -f b-ran got &&
	RUNJOB_TEST_SECRET=$SECRET crash_in_b handon.yaml &&
	mv j.db.key j.db.key.real &&
	test_when_finished "mv j.db.key.real j.db.key" &&
	printf "%064d\n" 7 >j.db.key &&
	chmod 600 j.db.key &&
	RUNJOB_TEST_SECRET=$SECRET test_expect_code 1 runjob --journal "$PWD/j.db" handon.yaml >out 2>&1 &&
	test_grep "output URL of step a holds a secret" out &&
	test_grep "key does not open it" out &&
	! test -e got &&
	no_secret out
'

test_expect_success 'with no key at all nothing runs, and no new key is made' '
	rm -f b-ran got &&
	mv j.db.key j.db.key.real &&
	test_when_finished "mv j.db.key.real j.db.key" &&
	RUNJOB_TEST_SECRET=$SECRET test_expect_code 1 runjob --journal "$PWD/j.db" handon.yaml >out 2>&1 &&
	test_grep "its key .*j.db.key is missing" out &&
	test_grep "RUNJOB_AUDIT_KEY_FILE" out &&
	! test -e j.db.key &&
	! test -e got &&
	no_secret out
'

test_expect_success 'the outputs file of an attempt cut off by a crash is deleted when the run is resumed' '
	cat >cut.yaml <<-\EOF &&
	runjob: 1
	name: cut
	params:
	  S: { secret: true, env: RUNJOB_TEST_SECRET }
	steps:
	  - id: b
	    on_unknown: rerun
	    run: |
	      echo "URL=u:$S@h" >>"$RUNJOB_OUTPUT"
	      if ! test -e b-ran; then touch b-ran; echo $$ >b-started; sleep 30; fi
	    outputs: [URL]
	EOF
	rm -f b-ran &&
	RUNJOB_TEST_SECRET=$SECRET crash_in_b cut.yaml &&
	run=$(q j.db "select id from runs where job = \"cut\"") &&
	logdir=$PWD/logs/$run &&
	test -d "$logdir" &&
	ls "$logdir"/*.output >before &&
	test -s before &&
	RUNJOB_TEST_SECRET=$SECRET runjob --journal "$PWD/j.db" cut.yaml >out 2>&1 &&
	! ls "$logdir"/*.output 2>/dev/null &&
	find "$logdir" -type f >files &&
	no_secret $(cat files)
'

test_done
