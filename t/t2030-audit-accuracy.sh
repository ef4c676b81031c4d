#!/bin/sh
test_description='the journal and what status, history and show print say only what happened: a start recorded ahead but never made, a second job file of the same name, one commit length, a run whose runjob is gone, JOB.yaml and job names wherever a run is asked for'
. "$(dirname "$0")/test-lib.sh"

# run_gone JOB: runjob run JOB in the background, killed with SIGKILL
# once its step started (the step writes step.pid and started); the
# step's group is stopped when the test ends.
run_gone() {
	runjob run --journal "$PWD/j.db" "$1" >/dev/null 2>&1 &
	pid=$!
	wait_for started 10 || return 1
	kill -9 $pid
	wait $pid
	test $? = 137
}

# Step first waits for the file go, then fails; with -j 1 the start of
# step second is recorded meanwhile, and never made once first fails.
test_expect_success 'a start recorded ahead but never made: no step-started event, no attempt counted as run' '
	mkdir ahead && cd ahead &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: ahead
	steps:
	  - id: first
	    run: while ! test -e go; do sleep 0.05; done; exit 1
	  - id: second
	    run: echo made >second.ran
	EOF
	run_bg -j 1 --journal j.db job.yaml &&
	wait_attempt j.db second &&
	touch go &&
	wait_for run.code 20 &&
	echo 1 >expect && test_cmp expect run.code &&
	! test -e second.ran &&
	echo "not-started" >expect &&
	q j.db "select state from attempts where step_id = \"second\"" >actual &&
	test_cmp expect actual &&
	echo "first" >expect &&
	q j.db "select step_id from events where kind = \"step-started\"" >actual &&
	test_cmp expect actual &&
	runjob status --journal j.db >status &&
	test_grep "^  second  *not-run  *0  *-  *-$" status &&
	runjob show --journal j.db "$(q j.db "select id from runs")" >show &&
	test_grep -v "step-started  *second" show &&
	test_grep "second step attempt 1: not started, its process was never made$" show
'

test_expect_success 'a second job file of the same name: refused naming the other file and how to tell them apart' '
	mkdir twins && cd twins &&
	mkdir a b &&
	cat >a/job.yaml <<-\EOF &&
	runjob: 1
	name: twin
	steps:
	  - { id: one, run: exit 1 }
	EOF
	cat >b/job.yaml <<-\EOF &&
	runjob: 1
	name: twin
	steps:
	  - { id: other, run: "true" }
	EOF
	test_expect_code 1 runjob run --journal j.db a/job.yaml >out 2>&1 &&
	test_expect_code 3 runjob run --journal j.db b/job.yaml >out 2>err &&
	test_grep "ran another job file, $PWD/a/job.yaml, not b/job.yaml" err &&
	test_grep "two job files named twin share the journal" err &&
	test_grep "give one another name:, or run it with --journal PATH" err &&
	test_grep -v "changed since" err &&
	test_grep -v "Steps that differ" err
'

test_expect_success 'status and history print the same 12 characters of the commit' '
	mkdir commit && cd commit &&
	printf "runjob: 1\nname: commit\nsteps:\n  - { id: s, run: \"true\" }\n" >job.yaml &&
	runjob run -q --journal j.db job.yaml &&
	c=$(q j.db "select substr(coalesce(git_commit, sha256), 1, 12) from runs") &&
	test ${#c} = 12 &&
	runjob status --journal j.db >status &&
	test_grep "[ ,]$c[,)]" status &&
	runjob history --journal j.db >history &&
	awk "NR == 2 { sub(/\\+\$/, \"\", \$3); print \$3 }" history >actual &&
	echo "$c" >expect &&
	test_cmp expect actual
'

test_expect_success 'status of a run whose runjob is gone says so where it said running for -' '
	mkdir gone && cd gone &&
	printf "runjob: 1\nname: gone\nsteps:\n  - { id: s, run: \"echo \$\$ >step.pid; touch started; sleep 30\" }\n" >job.yaml &&
	test_when_finished "kill -9 -\$(cat step.pid)" &&
	run_gone job.yaml &&
	runjob status --journal j.db >status &&
	test_grep "^  started  20[0-9T:Z-]*, its runjob is gone$" status &&
	test_grep -v "running for -" status
'

test_expect_success 'show and resolve take a job file or a job name for its latest run, as status does' '
	mkdir byjob && cd byjob &&
	git init -q jobdir &&
	printf "runjob: 1\nname: byjob\nsteps:\n  - { id: s, run: \"exit 1\" }\n" >jobdir/job.yaml &&
	test_expect_code 1 runjob run -q jobdir/job.yaml 2>/dev/null &&
	id=$(q jobdir/.runjob/journal.db "select id from runs") &&
	runjob show "$PWD/jobdir/job.yaml" >show.file &&
	test_grep "^run $id of job byjob: failed" show.file &&
	(cd jobdir && runjob show byjob) >show.name &&
	test_cmp show.file show.name &&
	test_expect_code 2 runjob resolve jobdir/job.yaml s --ok 2>err.file &&
	test_grep "step s of run $id is failed, not unknown" err.file &&
	(cd jobdir && test_expect_code 2 runjob resolve byjob s --ok) 2>err.name &&
	test_grep "step s of run $id is failed, not unknown" err.name &&
	runjob help show >help &&
	test_grep "RUN | JOB.yaml | JOB" help &&
	runjob help resolve >help &&
	test_grep "RUN | JOB.yaml | JOB STEP" help
'

test_expect_success 'resume and rollback take a job name for its latest run, as status does' '
	cat >byname.yaml <<-\EOF &&
	runjob: 1
	name: byname
	steps:
	  - { id: a, run: "touch byname.a", rollback: "rm byname.a" }
	EOF
	runjob --journal "$PWD/byname.db" byname.yaml >out 2>&1 &&
	test -e byname.a &&
	runjob resume --journal "$PWD/byname.db" byname >out 2>&1 &&
	test_grep "of job byname is succeeded: nothing to resume" out &&
	runjob rollback --journal "$PWD/byname.db" byname >out 2>&1 &&
	! test -e byname.a &&
	echo rolled-back >want &&
	q byname.db "select state from runs" >got &&
	test_cmp want got
'

test_done
