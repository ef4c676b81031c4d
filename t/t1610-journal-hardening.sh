#!/bin/sh
test_description='the journal and the job lock hold up: a job file reached through a symbolic link, a busy journal, a run whose rollback failed, a journal on read-only media'
. "$(dirname "$0")/test-lib.sh"

# Every part works in a directory of its own with its own journal, which
# stays inside the trash directory (never the project's .runjob/).

# wait_for FILE: FILE appears within 10 s.
wait_for() {
	n=0
	while ! test -e "$1"; do
		n=$((n + 1))
		if [ $n -gt 200 ]; then
			echo "no $1 after 10 s" >&2
			return 1
		fi
		sleep 0.05
	done
}

# lines FILE: the number of lines of FILE (0 when it does not exist).
lines() {
	if test -f "$1"; then wc -l <"$1" | tr -d " "; else echo 0; fi
}

# 1. A job file and a symbolic link to it are one job: one journal, one
# lock, one working directory. The file and the link are each in a git
# work tree of their own (the trash directory is inside runjob's), so
# that the journal each would default to differs.

test_expect_success 'a run through a symbolic link to a job file that is running exits 4 naming the holder' '
	mkdir link && cd link &&
	git init -q real && git init -q other &&
	cat >real/j.yaml <<-\EOF &&
	runjob: 1
	name: linked
	steps:
	  - id: wait
	    run: echo ran >>count && pwd >>where && touch running && i=0 && while ! test -f go && test $i -lt 300; do sleep 0.1; i=$((i + 1)); done
	EOF
	ln -s "$PWD/real/j.yaml" other/j.yaml &&
	{ runjob real/j.yaml >first.out 2>&1 & } &&
	first=$! &&
	test_when_finished "touch \"$PWD/real/go\"; kill $first" &&
	wait_for real/running &&
	{ runjob other/j.yaml >second.out 2>second.err; echo $? >second.code; } &&
	touch real/go &&
	wait $first &&
	echo 4 >expect &&
	test_cmp expect second.code &&
	test_grep "job linked is already running: pid $first" second.err &&
	test "$(lines real/count)" = 1
'

test_expect_success 'the run through the link and the run of the file share one journal, beside the file' '
	cd link &&
	test -f real/.runjob/journal.db &&
	! test -e other/.runjob &&
	find . -name journal.db >journals &&
	test "$(lines journals)" = 1
'

test_expect_success 'through the link, the job runs in the directory of the file, and status reads its journal' '
	cd link &&
	runjob other/j.yaml >out 2>&1 &&
	printf "%s\n" "$PWD/real" "$PWD/real" >expect &&
	test_cmp expect real/where &&
	runjob status other/j.yaml >status &&
	test_grep "of job linked: succeeded" status &&
	test_grep "file *$PWD/real/j.yaml" status
'

test_done
