#!/bin/sh
test_description='a step hands on every output it declares, or fails: never an unset variable where a value was promised'
. "$(dirname "$0")/test-lib.sh"

# job NAME WRITE: a job whose step a runs WRITE and declares outputs DIR
# and NOTE? (optional); step b, after it, records what it got.
job() {
	cat >"$1.yaml" <<-EOF
	runjob: 1
	name: $1
	steps:
	  - id: a
	    run: |
	      $2
	    outputs: [DIR, { name: NOTE, optional: true }]
	  - id: b
	    needs: [a]
	    run: |
	      echo "DIR=\${DIR-unset} NOTE=\${NOTE-unset}" >got
	EOF
}

test_expect_success 'a declared output the step did not write fails it, naming the output; nothing after it runs' '
	job missing "echo OTHER=1 >>\"\$RUNJOB_OUTPUT\"" &&
	test_expect_code 1 runjob --journal "$PWD/j.db" missing.yaml >out 2>&1 &&
	test_grep "step a fails: it did not write its output DIR" out &&
	test_grep "or list it as { name: DIR, optional: true }" out &&
	! test -e got &&
	echo "a|failed" >want &&
	echo "b|not-run" >>want &&
	q j.db "select step_id, state from steps where run_id = (select id from runs where job = \"missing\") order by step_id" >got.states &&
	test_cmp want got.states &&
	q j.db "select output from attempts where step_id = \"a\" and run_id = (select id from runs where job = \"missing\")" >tail &&
	test_grep "did not write its output DIR" tail &&
	test -z "$(q j.db "select name from outputs")"
'

test_expect_success 'an optional output may be left unset; a written one is handed on' '
	job optional "echo DIR=/srv/data >>\"\$RUNJOB_OUTPUT\"" &&
	runjob --journal "$PWD/j.db" optional.yaml >out 2>&1 &&
	echo "DIR=/srv/data NOTE=unset" >want &&
	test_cmp want got &&
	rm got &&
	job both "printf \"DIR=/a\\\\nNOTE=hi\\\\n\" >>\"\$RUNJOB_OUTPUT\"" &&
	runjob --journal "$PWD/j.db" both.yaml >out 2>&1 &&
	echo "DIR=/a NOTE=hi" >want &&
	test_cmp want got
'

test_expect_success 'an outputs file over 1 MiB fails the step with the reason' '
	rm -f got &&
	job big "head -c 1100000 /dev/zero | tr \"\\\\0\" x >>\"\$RUNJOB_OUTPUT\"; echo DIR=/x >>\"\$RUNJOB_OUTPUT\"" &&
	test_expect_code 1 runjob --journal "$PWD/j.db" big.yaml >out 2>&1 &&
	test_grep "step a fails: its outputs file .* is over 1 MiB" out &&
	! test -e got
'

test_expect_success 'an outputs file that cannot be read fails the step with the reason' '
	job unreadable "rm \"\$RUNJOB_OUTPUT\"; mkdir \"\$RUNJOB_OUTPUT\"" &&
	test_expect_code 1 runjob --journal "$PWD/j.db" unreadable.yaml >out 2>&1 &&
	test_grep "step a fails: its outputs file .* cannot be read" out &&
	! test -e got
'

test_expect_success 'an outputs file holding a NUL byte fails the step' '
	job nul "printf \"DIR=/a\\\\0b\\\\n\" >>\"\$RUNJOB_OUTPUT\"" &&
	test_expect_code 1 runjob --journal "$PWD/j.db" nul.yaml >out 2>&1 &&
	test_grep "step a fails: its outputs file .* holds a NUL byte" out &&
	! test -e got
'

test_expect_success 'a step failing for its outputs is retried like any failure' '
	cat >retry.yaml <<-\EOF &&
	runjob: 1
	name: retry
	steps:
	  - id: a
	    run: |
	      echo x >>tries
	      if [ $(wc -l <tries) -ge 2 ]; then echo DIR=/b >>"$RUNJOB_OUTPUT"; fi
	    outputs: [DIR]
	    retry: { attempts: 2, delay: 10ms }
	EOF
	runjob --journal "$PWD/j.db" retry.yaml >out 2>&1 &&
	test $(wc -l <tries) = 2 &&
	echo "DIR|/b" >want &&
	q j.db "select name, value from outputs where run_id = (select id from runs where job = \"retry\")" >got.out &&
	test_cmp want got.out
'

test_expect_success 'check accepts optional outputs and refuses a mapping without a name or with an unknown key' '
	cat >names.yaml <<-\EOF &&
	runjob: 1
	name: names
	steps:
	  - id: a
	    run: "true"
	    outputs:
	      - GOOD
	      - { name: MAYBE, optional: true }
	      - { optional: true }
	      - { name: X, optonal: true }
	      - { name: bad }
	  - { id: b, needs: [a], run: "true", env: { X: "${{ steps.a.outputs.MAYBE }}" } }
	EOF
	test_expect_code 3 runjob check names.yaml >out 2>&1 &&
	test_grep "names.yaml:9:9: error: an output given as a mapping needs .name:." out &&
	test_grep "names.yaml:10:20: error: unknown key .optonal. in an output; did you mean .optional.?" out &&
	test_grep "names.yaml:11:17: error: output name .bad. must be upper case" out &&
	test $(grep -c error: out) = 3
'

test_expect_success 'outputs reach dependents with a relative --journal outside the job file'\''s directory' '
	mkdir -p sub &&
	cat >sub/rel.yaml <<-\EOF &&
	runjob: 1
	name: rel
	steps:
	  - { id: a, run: "echo DIR=/c >>\"$RUNJOB_OUTPUT\"", outputs: [DIR] }
	  - { id: b, needs: [a], run: "echo \"$DIR\" >got" }
	EOF
	runjob --journal rel.db sub/rel.yaml >out 2>&1 &&
	echo /c >want &&
	test_cmp want sub/got
'

test_done
