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

test_done
