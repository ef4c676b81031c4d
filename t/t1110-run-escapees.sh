#!/bin/sh
test_description='what a step leaves behind is stopped; a step that cannot start says only why; many steps fit the open-file limit'
. "$(dirname "$0")/test-lib.sh"

# kill_pidfile FILE: SIGKILL the process whose pid is in FILE, if any.
kill_pidfile() {
	test -s "$1" && kill -9 "$(cat "$1")" 2>/dev/null
	return 0
}

test_expect_success 'a program or a dir: that is not there: the step fails saying which, and nothing else' '
	mkdir missing && cd missing &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: missing
	on_failure: continue
	steps:
	  - id: prog
	    run: /nonexistent/prog
	  - id: dir
	    dir: nope
	    run: echo hi
	EOF
	test_expect_code 1 runjob --journal j.db job.yaml >out 2>&1 &&
	test_grep "prog | runjob: cannot run /nonexistent/prog.*No such file" out &&
	test_grep "dir | runjob: cannot run echo: its directory .*/nope: No such file" out &&
	test_grep "prog: failed (exit 127)" out &&
	test_grep "dir: failed (exit 127)" out &&
	test_grep -v "process group" out
'

# limit_fds SOFT HARD: this shell may open at most SOFT files, and raise
# that to HARD.
limit_fds() {
	ulimit -S -n "$1" && ulimit -H -n "$2"
}

# many_steps N: a job of N steps, each printing a line with its id.
many_steps() {
	printf "runjob: 1\nname: many\nsteps:\n" &&
	i=1 &&
	while [ $i -le $1 ]; do
		printf "  - { id: s%d, run: echo line from s%d; sleep 0.2 }\n" $i $i &&
		i=$((i + 1)) || return 1
	done
}

test_expect_success '-j above what the open-file limit allows: lowered with a note, every step logged' '
	mkdir fds && cd fds &&
	many_steps 300 >job.yaml &&
	(
		limit_fds 256 256 &&
		timeout -k 5 60 runjob -j 300 --journal j.db job.yaml >out 2>&1
	) &&
	test_grep "runjob: -j 300 lowered to [0-9]*: the open-file limit is 256" out &&
	test_grep -v "Too many open files" out &&
	test_grep -v "poll" out &&
	ls logs/*/s*.1.log >list &&
	test $(wc -l <list) = 300 &&
	for f in $(cat list); do
		id=${f##*/} && id=${id%.1.log} &&
		echo "line from $id" >want &&
		test_cmp want $f || return 1
	done &&
	q j.db "select count(*) from attempts where state = '\''succeeded'\'' and log is not null" >count &&
	echo 300 >want &&
	test_cmp want count
'

test_expect_success 'concurrency: 4096 in the job with 1,024 open files: the run goes on, lowered' '
	mkdir fds-job && cd fds-job &&
	{ many_steps 1500 | sed "2a\\
concurrency: 4096"; } >job.yaml &&
	(
		limit_fds 1024 1024 &&
		timeout -k 5 120 runjob --journal j.db job.yaml >out 2>&1
	) &&
	test_grep "runjob: concurrency: 4096 lowered to [0-9]*: the open-file limit is 1024" out &&
	q j.db "select count(*) from attempts where state = '\''succeeded'\'' and log is not null" >count &&
	echo 1500 >want &&
	test_cmp want count &&
	q j.db "select state, exit_code from runs" >run &&
	echo "succeeded|0" >want-run &&
	test_cmp want-run run
'

test_expect_success 'a step gets the open-file limit runjob was given, not the one it raised for itself' '
	mkdir nofile && cd nofile &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: nofile
	steps:
	  - id: look
	    run: ulimit -S -n >soft; ulimit -H -n >hard
	EOF
	(
		limit_fds 256 4096 &&
		runjob --journal j.db job.yaml >out 2>&1
	) &&
	echo 256 >want-soft && test_cmp want-soft soft &&
	echo 4096 >want-hard && test_cmp want-hard hard
'

test_expect_success 'a log that cannot be created: the step is not run and fails, saying why' '
	mkdir nolog && cd nolog &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: nolog
	steps:
	  - id: s
	    run: test -e go && echo ran >ran
	EOF
	test_expect_code 1 runjob --journal j.db job.yaml >out1 2>&1 &&
	run=$(q j.db "select id from runs") &&
	mkdir logs/$run/s.2.log &&
	touch go &&
	test_expect_code 1 runjob --journal j.db job.yaml >out 2>&1 &&
	test ! -e ran &&
	test_grep "s | runjob: cannot create the log .*/s.2.log: Is a directory; the step was not run" out &&
	test_grep "s: failed (exit 126)" out &&
	q j.db "select state, exit_code from attempts where attempt = 2" >attempt &&
	echo "failed|126" >want &&
	test_cmp want attempt
'

# A process that leaves its step's group and session and replaces its
# environment carries nothing that names its step: runjob, its parent
# by adoption (the subreaper), must still stop it.
test_expect_success 'timeout: a child that left with setsid and env -i is stopped too' '
	mkdir envi && cd envi &&
	test_when_finished "kill_pidfile \"$PWD/pid\"; kill_pidfile \"$PWD/pid2\"" &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: envi
	steps:
	  - id: slow
	    timeout: 1s
	    kill_grace: 1s
	    run: |
	      setsid env -i sh -c '"'"'echo $$ >pid; exec sleep 502'"'"' >/dev/null 2>&1 &
	      (setsid env -i sh -c '"'"'echo $$ >pid2; exec sleep 505'"'"' >/dev/null 2>&1 &)
	      sleep 5
	EOF
	test_expect_code 1 timeout -k 5 30 runjob --journal j.db job.yaml >out 2>&1 &&
	test -s pid && test -s pid2 &&
	gone_within 3 $(cat pid) &&
	gone_within 3 $(cat pid2) &&
	test_grep "slow: timeout" out &&
	test_grep "step slow: 2 processes had left its process group; stopping them too" out &&
	test_grep -v "left process" out
'

test_expect_success 'timeout: an orphan that may be another running step'"'"'s is left to the end of the run, then stopped' '
	mkdir envi-par && cd envi-par &&
	test_when_finished "kill_pidfile \"$PWD/pid\"" &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: envi-par
	on_failure: continue
	steps:
	  - id: a
	    timeout: 2s
	    kill_grace: 1s
	    run: |
	      while ! test -e b-started; do sleep 0.1; done
	      (setsid env -i sh -c '"'"'echo $$ >pid; exec sleep 504'"'"' >/dev/null 2>&1 &)
	      sleep 5
	  - id: b
	    run: touch b-started; sleep 3; echo b done
	EOF
	test_expect_code 1 timeout -k 5 30 runjob -j 2 --journal j.db job.yaml >out 2>&1 &&
	test -s pid &&
	gone_within 3 $(cat pid) &&
	test_grep "a: timeout" out &&
	test_grep "b | b done" out &&
	test_grep "b: succeeded" out &&
	test_grep -v "step a: 1 process had left" out &&
	test_grep "left process $(cat pid) running (sleep 504): stopping it" out
'

test_expect_success 'a step that succeeds leaving a process behind: it runs on for the later steps, and is stopped when the run ends' '
	mkdir left && cd left &&
	test_when_finished "kill_pidfile \"$PWD/pid\"" &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: left
	steps:
	  - id: tunnel
	    run: |
	      setsid env -i sh -c '"'"'echo $$ >pid.tmp; mv pid.tmp pid; exec sleep 503'"'"' >/dev/null 2>&1 &
	      while ! test -s pid; do sleep 0.1; done
	  - id: use
	    needs: [tunnel]
	    run: kill -0 $(cat pid) && echo tunnel still up
	EOF
	timeout -k 5 30 runjob --journal j.db job.yaml >out 2>&1 &&
	test -s pid &&
	gone_within 3 $(cat pid) &&
	test_grep "use | tunnel still up" out &&
	test_grep "runjob: step tunnel left process $(cat pid) running (sleep 503): stopping it" out &&
	q j.db "select state from runs" >run &&
	echo succeeded >want &&
	test_cmp want run
'

test_expect_success 'a leftover that ignores SIGTERM is killed once kill_grace has passed' '
	mkdir left-stubborn && cd left-stubborn &&
	test_when_finished "kill_pidfile \"$PWD/pid\"" &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: stubborn
	steps:
	  - id: leave
	    kill_grace: 1s
	    run: |
	      setsid env -i sh -c '"'"'trap "" TERM; echo $$ >pid.tmp; mv pid.tmp pid; while :; do sleep 0.1; done'"'"' >/dev/null 2>&1 &
	      while ! test -s pid; do sleep 0.1; done
	EOF
	timeout -k 5 30 runjob --journal j.db job.yaml >out 2>&1 &&
	test -s pid &&
	gone_within 3 $(cat pid) &&
	test_grep "step leave left process $(cat pid) running" out
'

test_done
