#!/bin/sh
test_description='redis.copy when things go wrong: connections killed, a target restarted, a source stopped for a while, a server that never answers, runjob killed and the copy resumed, runjob killed during the closing check'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-redis.sh"

# The copies here are of keys without TTLs, so the two servers must be
# the same to DEBUG DIGEST (every key, type, value and expiry).

test_expect_success 'setup: a source of 200,000 keys of several types' '
	redis_start src &&
	redis_fill src many 200000 --mixed &&
	test "$(redis_dbsize src)" = 200000
'

test_expect_success 'connections killed again and again on the target: the copy reconnects and completes' '
	redis_start kill &&
	redis_job killed.yaml redis.copy "$(redis_url src)" "$(redis_url kill)" "batch: 50" &&
	{
		(
			while ! test -f copy-done; do
				n=$(redis_cli kill CLIENT KILL TYPE normal 2>/dev/null)
				echo "${n:-0} $(redis_dbsize kill 2>/dev/null)"
				sleep 0.1
			done
		) >kills &
	} &&
	killer=$! &&
	test_when_finished "touch copy-done; kill $killer" &&
	run_job killed.yaml &&
	touch copy-done && wait $killer &&
	test_grep "verifying key types and lengths: a connection was lost and made again" killed.out &&
	# At least one connection was killed in the middle of the copy.
	awk "\$1 > 0 && \$2 > 0 && \$2 < 200000 { mid++ } END { print mid + 0; exit !(mid > 0) }" kills &&
	redis_compare src kill --digest
'

test_expect_success 'a target restarted in the middle of the copy: the copy reconnects and completes' '
	redis_start restart --appendonly yes --appendfsync always &&
	# Keys in another database, for the restarted server to load for a
	# while (answering LOADING) before it takes commands again.
	"$PYTHON" "$TEST_DIRECTORY/redis-fill.py" "$(redis_url restart 1)" many 500000 &&
	redis_job restart.yaml redis.copy "$(redis_url src)" "$(redis_url restart)" "batch: 100" &&
	{ runjob run --journal "$PWD/restart.db" restart.yaml >restart.out 2>&1 & } &&
	copier=$! &&
	test_when_finished "kill_tree $copier" &&
	wait_keys restart 20000 $copier restart.out &&
	redis_restart restart &&
	before=$(redis_dbsize restart) &&
	echo "$before keys after the restart" &&
	{ wait $copier; code=$?; } &&
	cat restart.out &&
	test $code = 0 &&
	test "$before" -lt 200000 &&
	test "$(redis_dbsize restart 1)" = 500000 &&
	redis_cli restart -n 1 FLUSHDB &&
	redis_compare src restart --digest
'

test_expect_success 'a source stopped (SIGSTOP) for 2 s in the middle of the copy: the copy waits and completes' '
	redis_start stop &&
	redis_job stop.yaml redis.copy "$(redis_url src)" "$(redis_url stop)" "batch: 100" &&
	{ runjob run --journal "$PWD/stop.db" stop.yaml >stop.out 2>&1 & } &&
	copier=$! &&
	test_when_finished "kill -CONT $(redis_pid src); kill_tree $copier" &&
	wait_keys stop 10000 $copier stop.out &&
	kill -STOP "$(redis_pid src)" &&
	sleep 2 &&
	during=$(redis_dbsize stop) &&
	kill -CONT "$(redis_pid src)" &&
	{ wait $copier; code=$?; } &&
	cat stop.out &&
	test $code = 0 &&
	test "$during" -lt 200000 &&
	redis_compare src stop --digest
'

test_expect_success 'a server that takes the connection and never answers fails the step within io_timeout, and names it' '
	port=$(redis_free_port) &&
	{ "$PYTHON" -c "
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"127.0.0.1\", int(sys.argv[1])))
s.listen(16)
conns = []
open(\"mute-ready\", \"w\").close()
while True:
    c, _ = s.accept()
    conns.append(c)
" "$port" & } &&
	mute=$! &&
	test_when_finished "kill $mute" &&
	while ! test -f mute-ready; do sleep 0.05; done &&
	redis_start empty &&
	redis_job mute.yaml redis.copy "redis://127.0.0.1:$port/0" "$(redis_url empty)" "io_timeout: 2s" &&
	start=$(date +%s) &&
	test_expect_code 1 timeout 120 runjob run --journal "$PWD/mute.db" mute.yaml >mute.out 2>&1 &&
	took=$(($(date +%s) - start)) &&
	cat mute.out &&
	echo "failed after $took s" &&
	test $took -lt 20 &&
	test_grep "127.0.0.1:$port" mute.out
'

test_expect_success 'a target that stops answering in the middle of the copy fails the step within io_timeout, and names it' '
	redis_start hang &&
	redis_job hang.yaml redis.copy "$(redis_url src)" "$(redis_url hang)" "batch: 100" "io_timeout: 2s" &&
	{ timeout 120 runjob run --journal "$PWD/hang.db" hang.yaml >hang.out 2>&1 & } &&
	copier=$! &&
	test_when_finished "kill -CONT $(redis_pid hang); kill_tree $copier" &&
	wait_keys hang 10000 $copier hang.out &&
	kill -STOP "$(redis_pid hang)" &&
	start=$(date +%s) &&
	test_expect_code 1 wait $copier &&
	took=$(($(date +%s) - start)) &&
	cat hang.out &&
	echo "failed after $took s" &&
	test $took -lt 20 &&
	test_grep "127.0.0.1:$(redis_port hang)" hang.out
'

test_expect_success 'setup: a source of 1,000,000 keys' '
	redis_start million &&
	redis_fill million many 1000000 --size 30 &&
	test "$(redis_dbsize million)" = 1000000
'

test_expect_success 'a copy whose runjob was killed resumes from its checkpoint when run again' '
	redis_start resumed &&
	redis_job resume.yaml redis.copy "$(redis_url million)" "$(redis_url resumed)" &&
	{ runjob run --journal "$PWD/resume.db" resume.yaml >first.out 2>&1 & } &&
	copier=$! &&
	test_when_finished "kill_tree $copier" &&
	wait_keys resumed 300000 $copier first.out &&
	kill_tree $copier &&
	{ wait $copier; code=$?; } &&
	test $code = 137 &&
	cat first.out &&
	had=$(redis_dbsize resumed) &&
	echo "$had keys on the target when runjob was killed" &&
	test "$had" -lt 1000000 &&
	runjob run --journal "$PWD/resume.db" resume.yaml >second.out 2>&1 &&
	cat second.out &&
	test_grep "resuming at cursor [0-9][0-9]*: [0-9][0-9]* keys already copied" second.out &&
	already=$(sed -n "s/.*resuming at cursor [0-9]*: \([0-9]*\) keys already copied.*/\1/p" second.out) &&
	this=$(sed -n "s/.*copied [0-9]* keys, .*(\([0-9]*\) in this attempt.*/\1/p" second.out) &&
	echo "already $already, this attempt $this" &&
	test "$already" -ge 100000 &&
	test_grep "verifying key types and lengths: an earlier attempt copied keys" second.out &&
	test "$this" -lt 900000 &&
	test "$(sqlite3 resume.db "select count(*) from runs")" = 1 &&
	test "$(sqlite3 resume.db "select state from runs")" = succeeded &&
	redis_compare million resumed --digest
'

test_expect_success 'a copy killed during its closing check checks again when resumed' '
	redis_start checked &&
	redis_cli src SET live start >/dev/null &&
	# A key the source keeps changing: the closing check finds it
	# different and looks again for 2 s, long enough to be killed in.
	{
		(
			while ! test -f check-done; do
				redis_cli src APPEND live x >/dev/null 2>&1
				sleep 0.02
			done
		) &
	} &&
	writer=$! &&
	test_when_finished "touch check-done; kill $writer" &&
	redis_job check.yaml redis.copy "$(redis_url src)" "$(redis_url checked)" &&
	{ runjob run --journal "$PWD/check.db" check.yaml >check1.out 2>&1 & } &&
	copier=$! &&
	test_when_finished "kill_tree $copier" &&
	n=0 &&
	while ! grep -q "looking again in 1000 ms (round 2 of 3)" check1.out; do
		n=$((n + 1)) &&
		test $n -lt 1200 &&
		sleep 0.05 || { cat check1.out; false; } || return 1
	done &&
	kill_tree $copier &&
	{ wait $copier; code=$?; } &&
	cat check1.out &&
	test $code = 137 &&
	test_grep "verifying key types and lengths: the source: it counted [0-9]* changes, the copy made 0" check1.out &&
	# The attempt had journaled that the keys were copied.
	q check.db "select json_extract(data, '\''$.done'\'') from events where kind = '\''checkpoint'\'' order by seq desc limit 1" >done-cp &&
	echo 1 >expect &&
	test_cmp expect done-cp &&
	touch check-done && wait $writer &&
	# The check runs again, and finds the key still different.
	test_expect_code 1 runjob run --journal "$PWD/check.db" check.yaml >check2.out 2>&1 &&
	cat check2.out &&
	test_grep "copied by an earlier attempt" check2.out &&
	test_grep "verifying key types and lengths: an earlier attempt copied keys" check2.out &&
	test_grep "mismatch: .live." check2.out
'

test_done
