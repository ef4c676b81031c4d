#!/bin/sh
test_description='what a step leaves behind is stopped; a step that cannot start says only why; many steps fit the open-file limit'
. "$(dirname "$0")/test-lib.sh"

# alive PID: PID is running (a zombie is not).
alive() {
	kill -0 "$1" 2>/dev/null &&
	! grep -q "^State:[[:space:]]*Z" "/proc/$1/status" 2>/dev/null
}

# gone_within SECONDS PID: PID ends within SECONDS.
gone_within() {
	n=0
	while alive "$2"; do
		if [ $n -ge $(($1 * 10)) ]; then
			echo "process $2 still running after $1 s:" >&2
			ps -o pid,ppid,pgid,sid,stat,args -p "$2" >&2
			return 1
		fi
		sleep 0.1
		n=$((n + 1))
	done
}

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

test_done
