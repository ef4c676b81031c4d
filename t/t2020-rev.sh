#!/bin/sh
test_description='JOB.yaml@REV runs, plans and checks the job file as it was at a git revision, read from the repository, never the work tree'
. "$(dirname "$0")/test-lib.sh"

git() {
	command git -c user.name=Test -c user.email=test@example.com \
		-c init.defaultBranch=main -c advice.detachedHead=false "$@"
}

write_job() {
	cat >job.yaml <<-EOF
	runjob: 1
	name: rev
	env_files: [vals.env]
	params:
	  TARGET: { default: none }
	steps:
	  - id: a
	    run: echo "$1 \$TARGET"
	EOF
}

test_expect_success 'setup: a repository with tags, a branch and a dirty work tree' '
	git init -q repo &&
	cd repo &&
	write_job one &&
	echo TARGET=old >vals.env &&
	git add job.yaml vals.env &&
	git commit -q -m one &&
	git tag v1 &&
	write_job two &&
	git commit -q -a -m two &&
	git branch stable &&
	write_job three &&
	git commit -q -a -m three &&
	write_job dirty &&
	echo TARGET=new >vals.env &&
	echo "runjob: 1" >only-here.yaml
'

test_expect_success 'run job.yaml@TAG runs the text at the tag and records its commit, blob, clean' '
	cd repo &&
	runjob run --journal "$PWD/j.db" job.yaml@v1 >out 2>&1 &&
	test "$(q j.db "select trim(output, char(10)) from attempts")" = "one old" &&
	q j.db "select git_commit, git_blob, git_dirty from runs" >actual &&
	echo "$(git rev-parse "v1^{commit}")|$(git rev-parse v1:job.yaml)|0" >expect &&
	test_cmp expect actual &&
	git show v1:job.yaml | sha256sum | cut -d" " -f1 >expect &&
	q j.db "select sha256 from runs" >actual &&
	test_cmp expect actual
'

test_expect_success 'a branch, HEAD~2 and a commit id name revisions too' '
	cd repo &&
	runjob run --journal "$PWD/j2.db" job.yaml@stable >out 2>&1 &&
	runjob run --journal "$PWD/j2.db" job.yaml@HEAD~2 >out 2>&1 &&
	runjob run --journal "$PWD/j2.db" job.yaml@$(git rev-parse HEAD) >out 2>&1 &&
	q j2.db "select trim(output, char(10)) from attempts order by started" >actual &&
	printf "two old\none old\nthree old\n" >expect &&
	test_cmp expect actual &&
	q j2.db "select git_commit from runs order by started" >actual &&
	git rev-parse stable HEAD~2 HEAD >expect &&
	test_cmp expect actual
'

test_expect_success 'the work tree file runs as it is, dirty' '
	cd repo &&
	runjob run --journal "$PWD/j3.db" job.yaml >out 2>&1 &&
	test "$(q j3.db "select trim(output, char(10)) from attempts")" = "dirty new" &&
	test "$(q j3.db "select git_dirty from runs")" = 1
'

test_expect_success 'require_clean is met by FILE@REV, not by the dirty file' '
	cd repo &&
	test_expect_code 3 runjob run --journal "$PWD/j4.db" --require-clean \
		job.yaml 2>err &&
	runjob run --journal "$PWD/j4.db" --require-clean job.yaml@v1 >out 2>&1
'

test_expect_success 'an unknown revision, or a file not there at it, is exit 3' '
	cd repo &&
	test_expect_code 3 runjob run --journal "$PWD/j5.db" job.yaml@nosuch 2>err &&
	test_grep "job.yaml@nosuch: error: no revision .nosuch." err &&
	test_expect_code 3 runjob run --journal "$PWD/j5.db" only-here.yaml@v1 2>err &&
	test_grep "there is no file only-here.yaml at v1" err &&
	test_expect_code 3 runjob plan job.yaml@nosuch 2>err &&
	test_expect_code 3 runjob check job.yaml@nosuch 2>err &&
	! test -f j5.db
'

test_expect_success 'plan and check read FILE@REV' '
	cd repo &&
	runjob plan --json job.yaml@v1 >plan &&
	test_grep "echo \\\\\"one" plan &&
	test_grep "\"TARGET\"" plan &&
	test_grep "env_files vals.env@v1" plan &&
	runjob check job.yaml@v1 >out &&
	test_grep "^job.yaml@v1: ok" out
'

test_expect_success 'a job file whose name holds @ is read as it is' '
	cd repo &&
	sed "s/echo \"dirty/echo \"at-sign/" job.yaml >"x@y.yaml" &&
	runjob run --journal "$PWD/j6.db" "x@y.yaml" >out 2>&1 &&
	test "$(q j6.db "select trim(output, char(10)) from attempts")" = "at-sign new"
'

test_expect_success 'diff compares a run with the job file at a revision' '
	cd repo &&
	runjob diff --journal "$PWD/j.db" $(q j.db "select id from runs") \
		job.yaml@v1 >out &&
	test_expect_code 3 runjob diff --journal "$PWD/j.db" \
		$(q j.db "select id from runs") job.yaml@v2 2>err &&
	test_grep "no revision .v2." err &&
	test_expect_code 1 runjob diff --journal "$PWD/j.db" \
		$(q j.db "select id from runs") job.yaml@stable >out &&
	test_grep "^+    run: echo \"two" out
'

test_done
