#!/bin/sh
test_description='runjob diff: the job texts, params, options and git versions of two runs, or of a run and a job file'
. "$(dirname "$0")/test-lib.sh"

SECRET=SuperSecretValue123
OTHER=AnotherSecretValue9
export SECRET OTHER

# write_job FILE STEP2 [DEFAULT]: a job of two steps, the second running
# STEP2, with a secret param whose default is DEFAULT.
write_job() {
	cat >"$1" <<-EOF
	runjob: 1
	name: d
	params:
	  TARGET: { default: db1 }
	  TOKEN: { secret: true, default: ${3:-$SECRET} }
	steps:
	  - id: a
	    run: echo one
	  - id: b
	    needs: [a]
	    run: $2
	EOF
}

run_id() {
	q j.db "select id from runs order by started, rowid" | sed -n "$1p"
}

no_secret() {
	! grep -a -F -e "$SECRET" -e "$OTHER" "$@"
}

test_expect_success 'the same job text and params: nothing to say, exit 0' '
	write_job job.yaml "echo two" &&
	runjob --journal "$PWD/j.db" -q job.yaml &&
	runjob --journal "$PWD/j.db" -q job.yaml &&
	runjob diff --journal "$PWD/j.db" $(run_id 1) $(run_id 2) >out &&
	! grep -e "^---" -e "^+++" -e "^@@" out &&
	test_grep "TOKEN: secret, not compared" out &&
	no_secret out
'

test_expect_success 'a changed step: a unified diff, exit 1' '
	write_job job.yaml "echo three" &&
	runjob --journal "$PWD/j.db" -q job.yaml &&
	test_expect_code 1 runjob diff --journal "$PWD/j.db" $(run_id 2) \
		$(run_id 3) >out &&
	test_grep "^--- run $(run_id 2)\$" out &&
	test_grep "^+++ run $(run_id 3)\$" out &&
	test_grep "^@@ -[0-9,]* +[0-9,]* @@" out &&
	test_grep "^-    run: echo two\$" out &&
	test_grep "^+    run: echo three\$" out &&
	test_grep "^     needs: \[a\]\$" out
'

test_expect_success 'params that differ are listed, with both values' '
	runjob --journal "$PWD/j.db" -q -p TARGET=db2 job.yaml &&
	test_expect_code 1 runjob diff --journal "$PWD/j.db" $(run_id 3) \
		$(run_id 4) >out &&
	! grep "^---" out &&
	test_grep "^params:\$" out &&
	test_grep "^  TARGET: \"db1\" -> \"db2\"\$" out
'

test_expect_success 'secrets are never printed: not a changed default, not a -p value' '
	write_job job.yaml "echo three" "$OTHER" &&
	runjob --journal "$PWD/j.db" -q -p TOKEN=$SECRET job.yaml &&
	test_expect_code 1 runjob diff --journal "$PWD/j.db" $(run_id 4) \
		$(run_id 5) >out 2>&1 &&
	no_secret out &&
	test_grep "^-  TOKEN: { secret: true, default: \*\*\* }\$" out &&
	test_grep "^+  TOKEN: { secret: true, default: \*\*\* }\$" out &&
	test_grep "TOKEN: secret, not compared" out &&
	runjob diff --journal "$PWD/j.db" $(run_id 5) job.yaml >out 2>&1 &&
	no_secret out
'

test_expect_success 'a run against the job file as it is now' '
	runjob diff --journal "$PWD/j.db" $(run_id 5) job.yaml >out &&
	! grep "^---" out &&
	write_job job.yaml "echo four" "$OTHER" &&
	test_expect_code 1 runjob diff --journal "$PWD/j.db" $(run_id 5) \
		job.yaml >out &&
	test_grep "^+++ job.yaml\$" out &&
	test_grep "^+    run: echo four\$" out &&
	test_expect_code 1 runjob diff --journal "$PWD/j.db" $(run_id 5) \
		-p TARGET=db9 job.yaml >out &&
	test_grep "^  TARGET: \"db1\" -> \"db9\"\$" out
'

test_expect_success 'the trigger and --ignore-window of each run are compared' '
	runjob --journal "$PWD/j.db" -q --new --ignore-window job.yaml &&
	RUNJOB_TRIGGER=schedule runjob --journal "$PWD/j.db" -q job.yaml &&
	test_expect_code 1 runjob diff --journal "$PWD/j.db" $(run_id 6) \
		$(run_id 7) >out &&
	test_grep "^  trigger: manual -> schedule\$" out &&
	test_grep "^  --ignore-window: given -> not given\$" out
'

test_expect_success 'the literal default of a secret param a preset declares is masked in the run'"'"'s stored preset too' '
	mkdir pre && cd pre &&
	mkdir presets &&
	printf "runjob: 1\nparams:\n  S: { secret: true, default: Pr3set-s3cret-1 }\n" >presets/p.yaml &&
	printf "runjob: 1\nname: pre\nextends: presets/p.yaml\nsteps:\n  - { id: a, run: \"true\" }\n" >pre.yaml &&
	runjob --journal "$PWD/j.db" -q pre.yaml 2>/dev/null &&
	id=$(q j.db "select id from runs") &&
	sed "s/Pr3set-s3cret-1/Pr3set-s3cret-2/" presets/p.yaml >p.new &&
	mv p.new presets/p.yaml &&
	test_expect_code 1 runjob diff --journal "$PWD/j.db" $id pre.yaml >out 2>/dev/null &&
	test_grep "^-  S: { secret: true, default: \*\*\* }" out &&
	! grep Pr3set out &&
	runjob show --json --journal "$PWD/j.db" $id >show.json &&
	! grep Pr3set show.json
'

test_expect_success 'an invalid job file exits 3, a bad command line 2' '
	printf "runjob: 1\nname: d\nsteps: [ { id: a } ]\n" >bad.yaml &&
	test_expect_code 3 runjob diff --journal "$PWD/j.db" $(run_id 1) \
		bad.yaml 2>err &&
	test_grep "bad.yaml:" err &&
	test_expect_code 2 runjob diff --journal "$PWD/j.db" $(run_id 1) &&
	test_expect_code 2 runjob diff --journal "$PWD/j.db" $(run_id 1) nosuchrun 2>err &&
	test_grep "no run nosuchrun" err
'

test_done
