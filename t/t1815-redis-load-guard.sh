#!/bin/sh
test_description='redis.copy load guard: max_ops_per_sec holds the source to a rate across connections, pause_if pauses the copy between batches while the source is busy or a replica lags, and the progress says so'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-redis.sh"

# Progress lines every half second, so that a short pause shows.
RUNJOB_PROGRESS_INTERVAL=500
export RUNJOB_PROGRESS_INTERVAL

# commands NAME: the commands the server has processed so far.
commands() {
	redis_cli "$1" INFO stats | tr -d '\r' | sed -n 's/^total_commands_processed://p'
}

# wait_paused FILE.out PID: wait until the copy (run_job, PID) says it
# is pausing.
wait_paused() {
	n=0
	until grep -q "copy | pausing: " "$1"; do
		alive "$2" || { cat "$1"; return 1; }
		n=$((n + 1))
		[ $n -lt 600 ] || { echo "no pause within 60 s" >&2; cat "$1"; return 1; }
		sleep 0.1
	done
}

test_expect_success 'setup: a source of 20,000 keys, an empty target' '
	redis_start src &&
	redis_start dst &&
	redis_fill src many 20000 --size 10 &&
	test "$(redis_dbsize src)" = 20000
'

# refused NAME SETTING MESSAGE: runjob check refuses a copy job NAME.yaml
# with SETTING, saying MESSAGE (a pattern) at the setting's value.
refused() {
	redis_job "$1.yaml" redis.copy "$(redis_url src)" "$(redis_url dst)" "$2" &&
	test_expect_code 3 runjob check "$1.yaml" >"$1.out" 2>&1 &&
	test_grep "$1.yaml:8:[0-9]*: error: $3" "$1.out"
}

test_expect_success 'runjob check refuses a rate of 0, pause_if that is not a mapping, an unknown pause_if key and a lag under a second, at the value' '
	refused r0 "max_ops_per_sec: 0" "redis.copy: max_ops_per_sec: .0. is not a whole number from 1" &&
	refused p1 "pause_if: 80" "pause_if of redis.copy must be a mapping" &&
	refused p2 "pause_if: { used_cpu_percnt: 80 }" "unknown key .used_cpu_percnt. in pause_if of redis.copy; did you mean .used_cpu_percent.?" &&
	refused p3 "pause_if: { replication_lag: 500ms }" "redis.copy: pause_if.replication_lag: must be at least 1s" &&
	redis_job p4.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" "pause_if: { used_cpu_percent: 80, replication_lag: 5s }" "max_ops_per_sec: 1000" &&
	runjob check p4.yaml
'

test_expect_success 'max_ops_per_sec: 4000 holds the source to 4000 commands a second over 10 s, within 10%, and the progress says it is throttled' '
	redis_job rate.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" \
		"max_ops_per_sec: 4000" "verify: false" &&
	before=$(commands src) &&
	t0=$(date +%s.%N) &&
	run_job rate.yaml >/dev/null &&
	t1=$(date +%s.%N) &&
	after=$(commands src) &&
	# The INFO that reads the count is one of them.
	rate=$(awk -v a="$before" -v b="$after" -v s="$t0" -v e="$t1" \
		"BEGIN { printf \"%d\", (b - a - 1) / (e - s) }") &&
	echo "$((after - before - 1)) commands at $rate a second" &&
	test "$rate" -ge 3600 &&
	test "$rate" -le 4400 &&
	test_grep "copy | progress: .*, throttled: max_ops_per_sec 4000" rate.out &&
	test "$(redis_dbsize dst)" = 20000
'

test_expect_success 'pause_if replication_lag: the copy pauses while a replica lags, copies nothing meanwhile, says why, and goes on when it catches up' '
	redis_cli dst FLUSHALL &&
	redis_start replica --replicaof 127.0.0.1 "$(redis_port src)" &&
	n=0 &&
	until redis_cli src INFO replication | grep -q "^slave0:.*state=online"; do
		n=$((n + 1)) && test $n -lt 100 && sleep 0.1 || return 1
	done &&
	kill -STOP "$(redis_pid replica)" &&
	test_when_finished "kill -CONT $(redis_pid replica)" &&
	until redis_cli src INFO replication | grep -q "^slave0:.*lag=[2-9]"; do
		sleep 0.2
	done &&
	redis_job lag.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" \
		"pause_if: { replication_lag: 2s }" "max_ops_per_sec: 4000" &&
	{ run_job lag.yaml >/dev/null 2>&1 & } &&
	copier=$! &&
	wait_paused lag.out $copier &&
	test_grep "copy | pausing: a replica of the source [0-9]*s behind (pause_if replication_lag: 2s)" lag.out &&
	held=$(redis_dbsize dst) &&
	sleep 1.5 &&
	test "$(redis_dbsize dst)" = "$held" &&
	test "$held" -lt 20000 &&
	test_grep "copy | progress: .*, paused: a replica of the source" lag.out &&
	kill -CONT "$(redis_pid replica)" &&
	wait $copier &&
	test_grep "copy | going on after a pause of " lag.out &&
	redis_compare src dst
'

test_expect_success 'pause_if used_cpu_percent: the copy pauses while another client keeps the source busy, and goes on when it stops' '
	redis_cli dst FLUSHALL &&
	redis_job cpu.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" \
		"pause_if: { used_cpu_percent: 20 }" "max_ops_per_sec: 1500" &&
	# At 1500 a second the copy takes over ten seconds, so that on a
	# loaded machine, where the busy source gets less of a core, some
	# reading of its CPU still comes before the copy is done.
	{ redis-benchmark -p "$(redis_port src)" -c 20 -n 1000000000 -t ping -q >/dev/null 2>&1 & } &&
	bench=$! &&
	test_when_finished "kill $bench 2>/dev/null" &&
	{ run_job cpu.yaml >/dev/null 2>&1 & } &&
	copier=$! &&
	wait_paused cpu.out $copier &&
	test_grep "copy | pausing: the source.s CPU at [0-9]*% (pause_if used_cpu_percent: 20)" cpu.out &&
	kill $bench &&
	wait $copier &&
	test_grep "copy | going on after a pause of " cpu.out &&
	redis_compare src dst
'

test_done
