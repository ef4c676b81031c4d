#!/bin/sh
test_description='the journal and the job lock hold up: a job file reached through a symbolic link, a busy journal, a run whose rollback failed, a journal on read-only media'
. "$(dirname "$0")/test-lib.sh"

# Every part works in a directory of its own with its own journal, which
# stays inside the trash directory (never the project's .runjob/).

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

# 2. A journal another process keeps busy longer than runjob waits
# (RUNJOB_BUSY_TIMEOUT, in ms, shortens the wait) is "not started", exit 4.

# hold_journal DB [exclusive]: a process that holds a write transaction on
# DB (with exclusive, one that shuts out readers too) until the file
# release appears; the file held says it has it. Its pid is $holder.
hold_journal() {
	rm -f held release || return 1
	/usr/bin/python3 -c '
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
if len(sys.argv) > 2:
    c.execute("PRAGMA locking_mode = EXCLUSIVE")
    c.execute("BEGIN EXCLUSIVE")
    c.execute("DELETE FROM locks WHERE 0")
else:
    c.execute("BEGIN IMMEDIATE")
open("held", "w").close()
n = 0
while not os.path.exists("release") and n < 600:
    time.sleep(0.05)
    n += 1
c.execute("ROLLBACK")
' "$@" &
	holder=$! &&
	wait_for held
}

test_expect_success 'setup: a journal, a job, and a job that runs until told to stop' '
	mkdir busy && cd busy &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: busy
	steps:
	  - { id: a, run: "echo ran >>a.count" }
	EOF
	cat >other.yaml <<-\EOF &&
	runjob: 1
	name: other
	steps:
	  - { id: wait, run: "touch other.running && i=0 && while ! test -f go && test $i -lt 300; do sleep 0.1; i=$((i + 1)); done" }
	EOF
	runjob run -q --journal "$PWD/j.db" job.yaml &&
	rm a.count
'

test_expect_success 'a journal held busy past the wait: the run exits 4, says the journal is busy and not started, and runs nothing' '
	cd busy &&
	hold_journal "$PWD/j.db" &&
	test_when_finished "touch \"$PWD/release\"; wait $holder" &&
	{ RUNJOB_BUSY_TIMEOUT=200 runjob run --journal "$PWD/j.db" job.yaml >out 2>err; echo $? >code; } &&
	touch release && wait $holder &&
	echo 4 >expect &&
	test_cmp expect code &&
	test_grep "the journal $PWD/j.db is busy: another process has held it for more than 200 ms" err &&
	test_grep "job busy not started" err &&
	test_grep -v "database is locked" err &&
	! test -f a.count &&
	test "$(sqlite3 j.db "select count(*) from runs")" = 1
'

test_expect_success 'the busy message names the runjobs using the journal: job, pid, host and run' '
	cd busy &&
	rm -f go other.running &&
	{ runjob run --journal "$PWD/j.db" other.yaml >other.out 2>&1 & } &&
	other=$! &&
	test_when_finished "touch \"$PWD/go\"; kill $other" &&
	wait_for other.running &&
	hold_journal "$PWD/j.db" &&
	test_when_finished "touch \"$PWD/release\"; wait $holder" &&
	{ RUNJOB_BUSY_TIMEOUT=200 runjob run --journal "$PWD/j.db" job.yaml >out 2>err; echo $? >code; } &&
	touch release && wait $holder &&
	touch go && wait $other &&
	echo 4 >expect &&
	test_cmp expect code &&
	run=$(sqlite3 j.db "select id from runs where job = \"other\"") &&
	test_grep "job busy not started; runjobs using the journal $PWD/j.db now: job other (pid $other on $(hostname), run $run)" err &&
	! test -f a.count
'

test_expect_success 'a journal that shuts out readers too when runjob opens it: exit 4, nothing runs' '
	cd busy &&
	hold_journal "$PWD/j.db" exclusive &&
	test_when_finished "touch \"$PWD/release\"; wait $holder" &&
	{ RUNJOB_BUSY_TIMEOUT=200 runjob run --journal "$PWD/j.db" job.yaml >out 2>err; echo $? >code; } &&
	touch release && wait $holder &&
	echo 4 >expect &&
	test_cmp expect code &&
	test_grep "is busy" err &&
	test_grep "not started" err &&
	! test -f a.count
'

test_expect_success 'once the journal is free, the job runs' '
	cd busy &&
	RUNJOB_BUSY_TIMEOUT=200 runjob run -q --journal "$PWD/j.db" job.yaml &&
	test "$(lines a.count)" = 1
'

test_expect_success 'a journal that becomes busy once the run has started stops the run as a journal that cannot be written: exit 1' '
	mkdir busy-mid && cd busy-mid &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: busy-mid
	steps:
	  - { id: a, run: "touch a.running && i=0 && while ! test -f go && test $i -lt 300; do sleep 0.1; i=$((i + 1)); done" }
	  - { id: b, needs: [a], run: "echo ran >>b.count" }
	EOF
	{ RUNJOB_BUSY_TIMEOUT=200 runjob run --journal "$PWD/j.db" job.yaml >out 2>err & } &&
	run=$! &&
	test_when_finished "touch \"$PWD/go\"; kill $run" &&
	wait_for a.running &&
	hold_journal "$PWD/j.db" &&
	test_when_finished "touch \"$PWD/release\"; wait $holder" &&
	touch go &&
	{ wait $run; echo $? >code; } &&
	touch release && wait $holder &&
	echo 1 >expect &&
	test_cmp expect code &&
	test_grep "is busy" err &&
	test_grep "cannot be written" out &&
	! test -f b.count
'

# 3. A run whose rollback failed needs a person: the job does not run
# again until it is settled, by runjob rollback or by hand.

# rj CMD ARGS...: runjob CMD with the journal of the current directory.
rj() {
	cmd=$1
	shift
	runjob "$cmd" --journal "$PWD/j.db" "$@"
}

# rbfail_job: a, b, c each succeed; boom fails; rolling back undoes c
# (which fails until fixed-c exists), then b, then a (which fails until
# fixed-a exists).
rbfail_job() {
	cat >job.yaml <<-\EOF
	runjob: 1
	name: rbfail
	on_failure: rollback
	steps:
	  - id: a
	    run: echo a >>forward.log
	    rollback: echo a-tried >>undo.log && test -f fixed-a && echo a >>undo.log
	  - id: b
	    needs: [a]
	    run: echo b >>forward.log
	    rollback: echo b >>undo.log
	  - id: c
	    needs: [b]
	    run: echo c >>forward.log
	    rollback: echo c-tried >>undo.log && test -f fixed-c && echo c >>undo.log
	  - id: boom
	    needs: [c]
	    run: echo boom >>forward.log && false
	EOF
}

test_expect_success 'setup: a run whose rollback fails at its first rollback action: exit 6' '
	mkdir rbfail && cd rbfail &&
	rbfail_job &&
	test_expect_code 6 rj run job.yaml >out 2>err &&
	printf "a\nb\nc\nboom\n" >expect &&
	test_cmp expect forward.log &&
	echo c-tried >expect &&
	test_cmp expect undo.log &&
	test "$(q j.db "select state from runs")" = rollback-failed
'

test_expect_success 'running the job again after a failed rollback exits 6, runs nothing, and says how to settle it' '
	cd rbfail &&
	run=$(q j.db "select id from runs") &&
	test_expect_code 6 rj run job.yaml >out 2>err &&
	printf "a\nb\nc\nboom\n" >expect &&
	test_cmp expect forward.log &&
	echo c-tried >expect &&
	test_cmp expect undo.log &&
	test "$(q j.db "select count(*) from runs")" = 1 &&
	test_grep "run $run of job rbfail failed to roll back: it needs a person" err &&
	test_grep "Still to undo: c (its rollback failed), b, a\." err &&
	test_grep "runjob rollback $run" err &&
	test_grep "runjob resolve $run STEP --rolled-back" err
'

test_expect_success 'runjob resume RUN of a run whose rollback failed exits 6 too, and runs nothing' '
	cd rbfail &&
	run=$(q j.db "select id from runs") &&
	test_expect_code 6 rj resume "$run" >out 2>err &&
	test_grep "Still to undo: c (its rollback failed), b, a\." err &&
	test "$(lines forward.log)" = 4 &&
	test "$(lines undo.log)" = 1
'

test_expect_success 'runjob resolve RUN STEP --rolled-back records the step undone by hand, and who said so' '
	cd rbfail &&
	run=$(q j.db "select id from runs") &&
	rj resolve "$run" c --rolled-back >out 2>err &&
	test_grep "step c of run $run recorded as rolled back by hand" out &&
	test_grep "Still to undo: b, a\." out &&
	test "$(q j.db "select state from steps where step_id = \"c\"")" = rolled-back &&
	test "$(q j.db "select state from runs")" = rollback-failed &&
	q j.db "select kind || \" \" || step_id || \" \" || data from events where kind = \"resolved\"" >actual &&
	echo "resolved c {\"as\":\"rolled-back\",\"user\":\"$(id -un)\"}" >expect &&
	test_cmp expect actual &&
	rj status >status &&
	test_grep "^  c  *rolled-back" status &&
	test_grep "rollback-failed.*needs a person" status
'

test_expect_success 'runjob resolve --rolled-back refuses a step that is not left to undo: exit 2' '
	cd rbfail &&
	run=$(q j.db "select id from runs") &&
	test_expect_code 2 rj resolve "$run" boom --rolled-back >out 2>err &&
	test_grep "step boom of run $run is failed: it is not left to undo" err &&
	test_expect_code 2 rj resolve "$run" c --rolled-back >out 2>err &&
	test_expect_code 2 rj resolve "$run" c --ok >out 2>err
'

test_expect_success 'still unsettled, the job still exits 6, listing only what is left' '
	cd rbfail &&
	test_expect_code 6 rj run job.yaml >out 2>err &&
	test_grep "Still to undo: b, a\." err &&
	test "$(lines forward.log)" = 4
'

test_expect_success 'runjob rollback RUN goes on undoing, not the step undone by hand; a failing one stops it again: exit 6' '
	cd rbfail &&
	run=$(q j.db "select id from runs") &&
	test_expect_code 6 rj rollback "$run" >out 2>err &&
	printf "c-tried\nb\na-tried\n" >expect &&
	test_cmp expect undo.log &&
	test "$(q j.db "select state from runs")" = rollback-failed
'

test_expect_success 'once the cause is fixed, runjob rollback RUN finishes undoing: exit 0, the run is rolled back, and the job runs again' '
	cd rbfail &&
	run=$(q j.db "select id from runs") &&
	touch fixed-a &&
	rj rollback "$run" >out 2>err &&
	printf "c-tried\nb\na-tried\na-tried\na\n" >expect &&
	test_cmp expect undo.log &&
	test "$(q j.db "select state from runs")" = rolled-back &&
	rm -f forward.log && touch fixed-c &&
	test_expect_code 1 rj run job.yaml >out 2>err &&
	test "$(q j.db "select count(*) from runs")" = 2 &&
	test_grep "^a$" forward.log
'

test_expect_success 'when every step left is undone by hand, the run is rolled back and the job runs again' '
	mkdir rbhand && cd rbhand &&
	rbfail_job &&
	test_expect_code 6 rj run job.yaml >out 2>err &&
	run=$(q j.db "select id from runs") &&
	rj resolve "$run" c --rolled-back >out 2>&1 &&
	rj resolve "$run" b --rolled-back >out 2>&1 &&
	rj resolve "$run" a --rolled-back >out 2>&1 &&
	test_grep "nothing is left to undo: the run is rolled back" out &&
	test "$(q j.db "select state from runs")" = rolled-back &&
	test "$(q j.db "select exit_code from runs")" = 1 &&
	rj history >history &&
	test_grep "$run .*rolled-back" history &&
	echo c-tried >expect &&
	test_cmp expect undo.log &&
	touch fixed-a fixed-c &&
	test_expect_code 1 rj run job.yaml >out 2>err &&
	test "$(q j.db "select count(*) from runs")" = 2 &&
	test "$(lines forward.log)" = 8
'

test_expect_success 'runjob run --new starts a new run all the same, saying the last one still needs a person' '
	mkdir rbnew && cd rbnew &&
	rbfail_job &&
	test_expect_code 6 rj run job.yaml >out 2>err &&
	run=$(q j.db "select id from runs") &&
	touch fixed-a fixed-c &&
	test_expect_code 1 rj run --new job.yaml >out 2>err &&
	test_grep "run $run of job rbfail is rollback-failed and still needs a person" err &&
	test "$(q j.db "select count(*) from runs")" = 2 &&
	test "$(q j.db "select state from runs where id = \"$run\"")" = rollback-failed
'

# 4. A runjob killed just after forking its supervisor leaves the child,
# until it execs, holding a copy of the lock; the lock file still names
# the dead runjob. The next runjob waits for such a lock to be let go.

# hold_lock DIR SECONDS HOLDER: the lock of job lw beside DIR/j.db held
# for SECONDS by another process, its file naming HOLDER, as a runjob
# writes it; returns once it is held.
hold_lock() {
	mkdir -p "$1/locks" &&
	printf "%s\n" "$3" >"$1/locks/lw.lock" &&
	{ flock "$1/locks/lw.lock" sh -c "touch \"$1/held\"; sleep $2" & } &&
	holder=$! &&
	wait_for "$1/held"
}

test_expect_success 'setup: a job whose lock is tried' '
	mkdir lw && cd lw &&
	cat >lw.yaml <<-\EOF
	runjob: 1
	name: lw
	steps:
	  - { id: a, run: "echo ran >>count" }
	EOF
'

test_expect_success 'a lock whose holder is a runjob that is gone is waited for while a process it forked still holds it, and the run goes on' '
	cd lw &&
	{ sh -c "exit 0" & } && gone=$! &&
	wait $gone &&
	hold_lock "$PWD/gone" 1.5 "pid $gone on $(hostname), run 20261206-000000-abcdef" &&
	cp lw.yaml gone/ &&
	runjob run -q --journal "$PWD/gone/j.db" gone/lw.yaml &&
	wait $holder &&
	test "$(cat gone/count)" = ran
'

test_expect_success 'a lock whose holder still runs is refused at once: exit 4, naming it' '
	cd lw &&
	{ sleep 30 & } && live=$! &&
	test_when_finished "kill $live" &&
	hold_lock "$PWD/live" 30 "pid $live on $(hostname), run 20261206-000000-abcdef" &&
	test_when_finished "kill $holder" &&
	cp lw.yaml live/ &&
	start=$(date +%s) &&
	test_expect_code 4 runjob run -q --journal "$PWD/live/j.db" live/lw.yaml 2>err &&
	test $(($(date +%s) - start)) -lt 8 &&
	test_grep "job lw is already running: pid $live on " err &&
	! test -e live/count
'

test_expect_success 'a lock still held 10 s after its holder has gone is refused, saying so' '
	cd lw &&
	{ sh -c "exit 0" & } && gone=$! &&
	wait $gone &&
	hold_lock "$PWD/stuck" 30 "pid $gone on $(hostname), run 20261206-000000-abcdef" &&
	test_when_finished "kill $holder" &&
	cp lw.yaml stuck/ &&
	test_expect_code 4 runjob run -q --journal "$PWD/stuck/j.db" stuck/lw.yaml 2>err &&
	test_grep "job lw is already running: pid $gone on .*(gone, but a process it started still holds the lock .*/stuck/locks/lw.lock)" err &&
	! test -e stuck/count
'

# 5. status, history and show read a journal on read-only media. Tests
# run as root, whom file modes do not stop, so the media is a tmpfs
# remounted read-only.

# ro_media DIR FILE...: FILEs copied into a tmpfs on DIR, then made
# read-only; unmounted when the test ends.
ro_media() {
	dir=$1
	shift
	mkdir -p "$dir" &&
	mount -t tmpfs -o size=4m tmpfs "$dir" &&
	test_when_finished "umount \"$PWD/$dir\"" &&
	cp "$@" "$dir/" &&
	mount -o remount,ro "$dir" &&
	if touch "$dir/probe" 2>/dev/null; then
		echo "$dir is still writable"
		return 1
	fi
}

# reads_ok J RUN: status, history and show of RUN read the journal J.
reads_ok() {
	runjob status --journal "$1" >status 2>status.err &&
	test_grep "^run $2 of job ro-job: succeeded" status &&
	runjob history --journal "$1" >history 2>history.err &&
	test_grep "^$2 " history &&
	runjob show --journal "$1" "$2" >show 2>show.err &&
	test_grep "run-finished" show
}

if mkdir ro-probe && mount -t tmpfs -o size=64k tmpfs ro-probe 2>ro-probe.err &&
	mount -o remount,ro ro-probe 2>>ro-probe.err; then
	umount ro-probe
	ro_media=yes
else
	umount ro-probe 2>/dev/null
	ro_media="mount -t tmpfs and mount -o remount,ro are refused here: $(cat ro-probe.err)"
fi
rmdir ro-probe 2>/dev/null

if test "$ro_media" = yes; then

test_expect_success 'setup: a journal with a run, as a file alone, and copied while a writer keeps changes in its -wal file' '
	mkdir ro && cd ro &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: ro-job
	steps:
	  - { id: a, run: "true" }
	EOF
	runjob run -q --journal "$PWD/j.db" job.yaml &&
	! test -e j.db-wal &&
	mkdir copy &&
	/usr/bin/python3 -c "
import shutil, sqlite3, sys
c = sqlite3.connect(\"j.db\")
c.execute(\"PRAGMA wal_autocheckpoint = 0\")
c.execute(\"UPDATE runs SET user = \x27in-the-wal\x27\")
c.commit()
for ext in (\"\", \"-wal\", \"-shm\"):
    shutil.copy(\"j.db\" + ext, \"copy/j.db\" + ext)
c.execute(\"UPDATE runs SET user = \x27root\x27\")
c.commit()
c.close()
" &&
	test -s copy/j.db-wal
'

test_expect_success 'status, history and show read a journal on read-only media' '
	cd ro &&
	run=$(sqlite3 j.db "select id from runs") &&
	ro_media media j.db &&
	reads_ok "$PWD/media/j.db" "$run" &&
	cat status.err history.err show.err >err &&
	{ ! test -s err || { cat err; false; }; }
'

test_expect_success 'on read-only media with its -wal and -shm files, the changes in the -wal file are read too' '
	cd ro &&
	run=$(sqlite3 j.db "select id from runs") &&
	ro_media media copy/j.db copy/j.db-wal copy/j.db-shm &&
	reads_ok "$PWD/media/j.db" "$run" &&
	test_grep "in-the-wal@" history
'

test_expect_success 'on read-only media with a -wal file but no -shm file, the journal is read, with a warning that the newest changes are not shown' '
	cd ro &&
	run=$(sqlite3 j.db "select id from runs") &&
	ro_media media copy/j.db copy/j.db-wal &&
	reads_ok "$PWD/media/j.db" "$run" &&
	test_grep "journal $PWD/media/j.db: its -wal file cannot be read here" history.err
'

test_expect_success 'a run on a journal on read-only media fails with a message naming the journal, and runs nothing' '
	cd ro &&
	ro_media media j.db &&
	cat >touch.yaml <<-\EOF &&
	runjob: 1
	name: touch
	steps:
	  - { id: a, run: "touch ran" }
	EOF
	test_expect_code 1 runjob run --journal "$PWD/media/j.db" touch.yaml >out 2>err &&
	test_grep "journal $PWD/media/j.db cannot be written" err &&
	! test -e ran
'

else
	test_skip 'status, history and show read a journal on read-only media' "$ro_media"
fi

test_done
