#!/bin/sh
test_description='the journal under faults: failing commits, a real full disk, corrupt and foreign journal files, writers and readers sharing one journal'
. "$(dirname "$0")/test-lib.sh"

# Every part works in a directory of its own with its own journal, which
# stays inside the trash directory (never the project's .runjob/).

# rj CMD ARGS...: runjob CMD with the journal of the current directory.
rj() {
	cmd=$1
	shift
	runjob "$cmd" --journal "$PWD/j.db" "$@"
}

# 1. RUNJOB_FAULT_COMMIT=N: the Nth commit of runjob fails as on a full
# disk. Four steps, a -> b, c -> d; each writes "start ID" and "end ID"
# (ID is its RUNJOB_ATTEMPT_ID) to a trace file of its own. c is slower
# than b, and d has an if: probe, so that the run makes eight commits.

test_expect_success 'setup: the job run with its Nth journal commit failing, for N = 1, 2, ... until past its last commit' '
	cat >faulty.yaml <<-\EOF &&
	runjob: 1
	name: faulty
	steps:
	  - id: a
	    on_unknown: rerun
	    run: echo "start $RUNJOB_ATTEMPT_ID" >>trace.a && echo "end $RUNJOB_ATTEMPT_ID" >>trace.a
	  - id: b
	    needs: [a]
	    on_unknown: rerun
	    run: echo "start $RUNJOB_ATTEMPT_ID" >>trace.b && echo "end $RUNJOB_ATTEMPT_ID" >>trace.b
	  - id: c
	    needs: [a]
	    on_unknown: rerun
	    run: echo "start $RUNJOB_ATTEMPT_ID" >>trace.c && sleep 0.3 && echo "end $RUNJOB_ATTEMPT_ID" >>trace.c
	  - id: d
	    needs: [b, c]
	    on_unknown: rerun
	    if: test -f trace.c
	    run: echo "start $RUNJOB_ATTEMPT_ID" >>trace.d && echo "end $RUNJOB_ATTEMPT_ID" >>trace.d
	EOF
	runjob check faulty.yaml &&
	n=0 &&
	while :; do
		n=$((n + 1))
		test $n -le 40 || { echo "still faulting at N=40"; return 1; }
		mkdir fault$n && cp faulty.yaml fault$n/ || return 1
		(
			cd fault$n &&
			{ RUNJOB_FAULT_COMMIT=$n runjob run -q --journal "$PWD/j.db" faulty.yaml >out.1 2>err.1; echo $? >code.1; } &&
			if grep -q "injected by RUNJOB_FAULT_COMMIT=$n" err.1; then touch faulted; fi &&
			# What the journal says, and what ran, after the fault ...
			{ q j.db "select id from attempts" >attempts.1 2>&1; true; } &&
			{ q j.db "select id from attempts where kind = \"step\" and state = \"succeeded\"" >succeeded.1 2>&1; true; } &&
			{ cat trace.? >ran.1 2>/dev/null; true; } &&
			# ... and after a rerun without it.
			{ runjob run -q --journal "$PWD/j.db" faulty.yaml >out.2 2>err.2; echo $? >code.2; } &&
			q j.db "select id from attempts" >attempts.2 &&
			q j.db "select id from attempts where kind = \"step\" and state = \"succeeded\"" >succeeded.2 &&
			cat trace.? >ran.2
		) || return 1
		test $n -ge 8 && ! test -f fault$n/faulted && break
	done &&
	echo "N = 1..$n: $(ls -d fault[0-9]*/faulted | wc -l) faults injected"
'

test_expect_success 'a failing journal commit stops runjob with a non-zero exit and a message naming the journal, for N = 1..8' '
	for d in fault[0-9]*; do
		n=${d#fault}
		if test -f $d/faulted; then
			test "$(cat $d/code.1)" != 0 ||
				{ echo "N=$n: runjob exited 0 after a failed commit"; return 1; }
			grep -F "$TRASH_DIRECTORY/$d/j.db" $d/err.1 | grep -q "full" ||
				{ echo "N=$n: no message naming the journal:"; cat $d/err.1; return 1; }
		else
			test $n -gt 8 ||
				{ echo "N=$n: RUNJOB_FAULT_COMMIT=$n made no commit fail: the run makes fewer than 8 commits"; return 1; }
			test "$(cat $d/code.1)" = 0 ||
				{ echo "N=$n: no fault, yet exit $(cat $d/code.1)"; cat $d/err.1; return 1; }
		fi
	done
'

# unrecorded K: the attempt ids that started (per ran.K, the traces after
# run K) but are not in attempts.K, or that started twice.
unrecorded() {
	sed -n "s/^start //p" ran.$1 | sort | uniq -d
	sed -n "s/^start //p" ran.$1 | sort -u | while read -r id; do
		grep -qxF "$id" attempts.$1 || echo "$id"
	done
}

test_expect_success 'a step never runs unless its start is in the journal' '
	for d in fault[0-9]*; do
		for k in 1 2; do
			(cd $d && unrecorded $k) >$d/unrecorded.$k &&
			if test -s $d/unrecorded.$k; then
				echo "$d, run $k: attempts that ran unrecorded (or twice):"
				cat $d/unrecorded.$k
				return 1
			fi
		done
	done
'

test_expect_success 'a step is never recorded as succeeded unless it ended' '
	for d in fault[0-9]*; do
		for k in 1 2; do
			while read -r id; do
				grep -qxF "end $id" $d/ran.$k ||
					{ echo "$d, run $k: $id recorded succeeded, never ended"; return 1; }
			done <$d/succeeded.$k || return 1
		done
	done
'

test_expect_success 'rerunning without the fault finishes the run: every step succeeded' '
	for d in fault[0-9]*; do
		test "$(cat $d/code.2)" = 0 ||
			{ echo "$d: the rerun exited $(cat $d/code.2):"; cat $d/err.2; return 1; }
		(
			cd $d &&
			last=$(q j.db "select id from runs order by started desc, rowid desc limit 1") &&
			test "$(q j.db "select state from runs where id = \"$last\"")" = succeeded &&
			q j.db "select step_id || \" \" || state from steps where run_id = \"$last\" order by step_id" >steps &&
			printf "a succeeded\nb succeeded\nc succeeded\nd succeeded\n" >expect &&
			test_cmp expect steps
		) || { echo "in $d"; return 1; }
	done
'

# 2. A real full disk: the journal on a small tmpfs that a step fills.

if mkdir mount-probe && mount -t tmpfs -o size=64k tmpfs mount-probe 2>mount-probe.err; then
	umount mount-probe
else
	say "mount -t tmpfs is refused here ($(cat mount-probe.err)): the full-disk tests cannot run and will fail"
fi
rmdir mount-probe 2>/dev/null

# small_disk: a 512 KiB tmpfs on ./small, unmounted when the test ends,
# and a job whose middle step fills it (once: the marker is outside it).
small_disk() {
	mkdir small &&
	if ! mount -t tmpfs -o size=512k tmpfs small; then
		echo "mount -t tmpfs is refused here: a real full disk cannot be tested"
		return 1
	fi &&
	test_when_finished "umount \"$PWD/small\"" &&
	cat >fill.yaml <<-\EOF
	runjob: 1
	name: fill
	steps:
	  - id: before
	    on_unknown: rerun
	    run: echo before >>trace
	  - id: filler
	    needs: [before]
	    on_unknown: rerun
	    run: |
	      echo filler >>trace
	      if ! test -f filled; then
	        touch filled
	        dd if=/dev/zero of=small/filler bs=4k 2>/dev/null || true
	      fi
	  - id: after
	    needs: [filler]
	    on_unknown: rerun
	    run: echo after >>trace
	EOF
}

test_expect_success 'a full disk under the journal stops runjob, with a message naming the journal' '
	mkdir full && cd full &&
	small_disk &&
	{ timeout 30 runjob run --journal "$PWD/small/j.db" fill.yaml >out 2>err; echo $? >code; } &&
	code=$(cat code) &&
	test $code != 0 && test $code != 124 &&
	test -f small/filler &&
	grep -F "$PWD/small/j.db" err | grep -q "full" &&
	test_grep -v after trace
'

test_expect_success 'once the disk has room again, rerunning resumes the run and finishes it' '
	mkdir full-resume && cd full-resume &&
	small_disk &&
	{ timeout 30 runjob run --journal "$PWD/small/j.db" fill.yaml >out 2>err; echo $? >code; } &&
	test "$(cat code)" != 0 &&
	rm small/filler &&
	timeout 30 runjob run --journal "$PWD/small/j.db" fill.yaml >out 2>err &&
	test "$(sqlite3 small/j.db "select count(*) from runs")" = 1 &&
	test "$(sqlite3 small/j.db "select state from runs")" = succeeded &&
	test "$(grep -c before trace)" = 1 &&
	test "$(grep -c after trace)" = 1
'

# 3. Journal files that are not good journals are refused, untouched.

test_expect_success 'setup: a journal with a few runs' '
	{
		printf "runjob: 1\nname: big\nsteps:\n"
		for i in $(seq 40); do
			printf "  - { id: s%d, run: \"seq 1 200; touch ran.s%d\" }\n" $i $i
		done
	} >big.yaml &&
	for i in 1 2 3; do
		runjob run -q --new --journal "$PWD/good.db" big.yaml >/dev/null || return 1
	done &&
	rm -f ran.* &&
	test "$(sqlite3 good.db "pragma quick_check")" = ok &&
	test $(stat -c %s good.db) -ge 65536
'

# refused FILE: runjob refuses FILE as a journal, saying so and naming
# it; nothing runs; neither run nor status nor history changes a byte.
refused() {
	rm -f ran.* &&
	sha256sum "$1" >before &&
	{ runjob run --journal "$PWD/$1" big.yaml >out 2>err; echo $? >code; } &&
	{ runjob status --journal "$PWD/$1" >/dev/null 2>&1; true; } &&
	{ runjob history --journal "$PWD/$1" >/dev/null 2>&1; true; } &&
	sha256sum "$1" >after &&
	test_cmp before after &&
	{ test "$(cat code)" != 0 || { echo "runjob ran on $1"; cat out; false; }; } &&
	{ grep -F "$1" err | grep -qi "malformed\|corrupt\|damaged\|not a runjob journal\|not an SQLite" ||
		{ echo "no clear message naming $1:"; cat err; false; }; } &&
	! ls ran.* 2>/dev/null
}

test_expect_success 'a journal with garbage written in its middle is refused and left byte-identical' '
	cp good.db middle.db &&
	pages=$(($(stat -c %s middle.db) / 4096)) &&
	yes "runjob test garbage" | head -c 4096 >garbage &&
	dd if=garbage of=middle.db bs=4096 seek=$((pages / 2)) count=1 conv=notrunc 2>/dev/null &&
	test "$(sqlite3 middle.db "pragma quick_check" 2>&1)" != ok &&
	refused middle.db
'

test_expect_success 'a truncated journal is refused and left byte-identical' '
	cp good.db short.db &&
	truncate -s $(($(stat -c %s short.db) / 2 + 100)) short.db &&
	refused short.db
'

test_expect_success 'a file that is not SQLite is refused as a journal and left byte-identical' '
	seq 1 5000 >notes.db &&
	refused notes.db
'

test_expect_success 'an SQLite database of another program is refused as a journal and left byte-identical' '
	sqlite3 other.db "create table t (x); insert into t values (1), (2)" &&
	refused other.db
'

# 4. Writers and readers sharing one journal.

# big_job NAME STEPS: a job of STEPS quick steps, each keeping an output.
big_job() {
	{
		printf "runjob: 1\nname: %s\nconcurrency: 16\nsteps:\n" $1
		i=0
		while [ $i -lt $2 ]; do
			i=$((i + 1))
			printf "  - { id: s%d, run: \"echo V=%s-%d >>\$RUNJOB_OUTPUT\", outputs: [V] }\n" $i $1 $i
		done
	} >$1.yaml
}

test_expect_success 'two runjobs of different jobs writing one journal hard never hit "database is locked"' '
	mkdir writers && cd writers &&
	big_job first 1 && rj run first.yaml >/dev/null 2>&1 &&
	big_job one 300 && big_job two 300 &&
	{ rj run one.yaml >one.out 2>one.err & } &&
	p1=$! &&
	{ rj run two.yaml >two.out 2>two.err & } &&
	p2=$! &&
	{ wait $p1; echo $? >one.code; } &&
	{ wait $p2; echo $? >two.code; } &&
	cat one.out one.err two.out two.err >all &&
	test_grep -v "database is locked" all &&
	echo 0 >expect &&
	test_cmp expect one.code &&
	test_cmp expect two.code &&
	test "$(q j.db "select count(*) from outputs o join runs r on r.id = o.run_id
		where r.job in (\"one\", \"two\")")" = 600 &&
	test "$(q j.db "select count(*) from runs a join runs b on a.id != b.id
		where a.started < b.ended and b.started < a.ended")" = 2
'

test_expect_success 'status and history read the journal while two runjobs write it, without "database is locked"' '
	mkdir readers && cd readers &&
	big_job first 1 && rj run first.yaml >/dev/null 2>&1 &&
	big_job one 300 && big_job two 300 &&
	{ rj run one.yaml >one.out 2>&1 & } &&
	p1=$! &&
	{ rj run two.yaml >two.out 2>&1 & } &&
	p2=$! &&
	while kill -0 $p1 2>/dev/null || kill -0 $p2 2>/dev/null; do
		rj history >>reads.out 2>&1 || echo "history failed: $?" >>reads.out
		rj status >>reads.out 2>&1 || echo "status failed: $?" >>reads.out
	done &&
	wait $p1 && wait $p2 &&
	test_grep -v "database is locked" reads.out &&
	test_grep -v "failed: " reads.out &&
	test_grep "^RUN " reads.out
'

test_expect_success 'twenty runjobs starting at once on a new journal all take it as a journal' '
	mkdir cold && cd cold &&
	big_job quick 1 &&
	for round in $(seq 40); do
		rm -rf j.db j.db-wal j.db-shm locks logs &&
		i=0 &&
		while [ $i -lt 20 ]; do
			i=$((i + 1))
			{ rj run quick.yaml >/dev/null 2>err.$i; echo $? >code.$i; } &
		done &&
		wait &&
		cat err.* | grep -v "already running" >unexpected
		if test -s unexpected; then
			echo "round $round: runjob failed on a journal being created:"
			cat unexpected
			return 1
		fi
		for i in $(seq 20); do
			case $(cat code.$i) in
			0|4) ;;
			*) echo "round $round: runjob $i exited $(cat code.$i):"; cat err.$i; return 1 ;;
			esac
		done
	done
'

test_done
