#!/bin/sh
test_description='redis.copy: what it shows of its progress, off a terminal (progress lines, the log) and on one (the live view), its checkpoints in the journal, and its report channel never shown'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-redis.sh"

# Enough keys, copied in small batches over one connection, for a copy
# to take a few seconds; copy_stalled makes sure of some more.
KEYS=300000
RS=$(printf '\036')

# copy_job FILE: a job copying all of src to dst, slowly enough, and a
# step after it that writes the outputs it gets to FILE's name with .env.
copy_job() {
	redis_cli dst FLUSHALL >/dev/null &&
	redis_job "$1" redis.copy "$(redis_url src)" "$(redis_url dst)" \
		"batch: 20" "connections: 1" "verify: false"
}

# copy_stalled NAME.yaml: runjob run NAME.yaml, its output in NAME.out,
# like run_job; but once the copy has written some keys, the target
# holds all writes for 3 s (CLIENT PAUSE): however fast this machine,
# the copy goes on for some seconds, reporting its progress all along.
# What runjob had printed 2.5 s into that pause, while the copy was
# surely still held, is kept in NAME.during, and what the step log had
# then in NAME.during-log. The exit status of runjob.
copy_stalled() {
	runjob run --journal "$PWD/${1%.yaml}.db" "$1" >"${1%.yaml}.out" 2>&1 &
	pid=$!
	n=0
	until [ "$(redis_dbsize dst)" -ge 1000 ]; do
		if [ $n -ge 300 ] || grep "runjob: run .* after" "${1%.yaml}.out" >/dev/null; then
			echo "the copy did not get going:" >&2
			kill $pid 2>/dev/null
			wait $pid
			cat "${1%.yaml}.out"
			return 1
		fi
		sleep 0.1
		n=$((n + 1))
	done
	redis_cli dst CLIENT PAUSE 3000 WRITE >/dev/null &&
	sleep 2.5 &&
	cp "${1%.yaml}.out" "${1%.yaml}.during" &&
	run=$(sed -n "s/^[0-9TZ:-]* runjob: run \([^ ]*\) of job .*/\1/p" "${1%.yaml}.out") &&
	cp "logs/$run/copy.1.log" "${1%.yaml}.during-log"
	wait $pid
	code=$?
	cat "${1%.yaml}.out"
	return $code
}

# copy_progress OUT: the progress lines of the step copy in OUT (runjob's
# output, a UTC timestamp first), without timestamp, step and 'progress: '.
copy_progress() {
	sed -n "s/^[0-9TZ:-]* copy | progress: //p" "$1"
}

# epoch TIMESTAMP: 2026-11-22T02:10:33Z in seconds since the epoch.
epoch() {
	date -u -d "$1" +%s
}

test_expect_success 'setup: a source with many keys, an empty target' '
	redis_start src &&
	redis_start dst &&
	"$PYTHON" "$TEST_DIRECTORY/perf/redis-gen.py" --keys $KEYS |
		redis_cli src --pipe >fill.out &&
	test "$(redis_dbsize src)" = $KEYS &&
	test "$(redis_dbsize dst)" = 0
'

test_expect_success 'off a terminal, progress lines say how many of how many keys, how fast, how much and the ETA, never going back; then what was copied' '
	copy_job prog.yaml &&
	RUNJOB_PROGRESS_INTERVAL=300 && export RUNJOB_PROGRESS_INTERVAL &&
	copy_stalled prog.yaml &&
	copy_progress prog.out >progress &&
	# Every one says how many of how many keys, how fast and how much.
	{ grep -v "^\[[#.]\{20\}\] [0-9]\{1,3\}% [0-9]* of $KEYS keys, [0-9]* keys/s, [0-9.]* [KMG]\{0,1\}B\(, ETA [0-9][0-9.hms]*\)\{0,1\}$" progress >odd || :; } &&
	test_cmp /dev/null odd &&
	test "$(grep -c "keys/s, .*, ETA [0-9]" progress)" -ge 3 &&
	# Neither the count nor the percentage ever goes back; the
	# percentage and the bar are what the count says.
	sed "s/^[^]]*\] \([0-9]*\)% .*/\1/" progress >pct &&
	sort -n -c pct &&
	sed "s/^[^%]*% \([0-9]*\) of .*/\1/" progress >count &&
	sort -n -c count &&
	while read -r bar pct n rest; do
		hashes=$(printf "%s" "$bar" | tr -cd "#" | wc -c) &&
		test "${pct%\%}" = $((n * 100 / KEYS)) &&
		test "$hashes" = $((n * 20 / KEYS)) || {
			echo "bar and percentage do not fit $n of $KEYS: $bar $pct" >&2
			return 1
		}
	done <progress &&
	# Then what it did, which is what the target has.
	n=$(sed -n "s/^[0-9TZ:-]* copy | copied \([0-9]*\) keys, skipped 0, expired 0, .*/\1/p" prog.out) &&
	test "$n" = $KEYS &&
	test "$(redis_dbsize dst)" = "$n"
'

test_expect_success 'the progress lines are in the step log too, the same' '
	log=$(q prog.db "select log from attempts where step_id = \"copy\"") &&
	test -f "$log" &&
	grep "^progress: " "$log" >log-progress &&
	sed -n "s/^[0-9TZ:-]* copy | progress: /progress: /p" prog.out >expect &&
	test "$(wc -l <expect)" -ge 3 &&
	test_cmp expect log-progress &&
	test_grep "^copied $KEYS keys, " "$log"
'

test_expect_success 'off a terminal, the progress lines come out while the copy runs, not at its end' '
	# The copy had reported its progress by then: the step log has it.
	test_grep "^progress: \[" prog.during-log &&
	test_grep -v "^copied" prog.during-log &&
	test_grep -v "copy | copied" prog.during &&
	test_grep "^[0-9TZ:-]* copy | progress: \[" prog.during
'

test_expect_success 'the journal has the checkpoints of the copy as it goes, the last one done; and its outputs' '
	q prog.db "select data from events where kind = \"checkpoint\" and step_id = \"copy\" order by seq" >cps &&
	test "$(wc -l <cps)" -ge 4 &&
	sed "s/.*\"processed\":\"\([0-9]*\)\".*/\1/" cps >processed &&
	# Each one further on than the one before.
	sort -n -u -c processed &&
	sed "\$d" cps >before-last &&
	test_grep -v "\"done\":\"1\"" before-last &&
	test "$(grep -c "\"done\":\"0\"" before-last)" = "$(wc -l <before-last)" &&
	tail -n 1 cps >last &&
	test_grep "\"cursor\":\"0\"" last &&
	test_grep "\"copied\":\"$KEYS\"" last &&
	test_grep "\"processed\":\"$KEYS\"" last &&
	test_grep "\"done\":\"1\"" last &&
	bytes=$(sed "s/.*\"bytes\":\"\([0-9]*\)\".*/\1/" last) &&
	test "$bytes" -gt 0 &&
	q prog.db "select name || \"=\" || value from outputs where step_id = \"copy\" order by name" >outputs &&
	printf "BYTES=%s\nKEYS_COPIED=%s\nKEYS_EXPIRED=0\nKEYS_SKIPPED=0\n" "$bytes" $KEYS >expect &&
	test_cmp expect outputs &&
	test "$(output KEYS_COPIED prog.env)" = $KEYS &&
	test "$(output BYTES prog.env)" = "$bytes"
'

test_expect_success 'what the action reports to runjob on its own channel is never shown, logged or kept in the journal tail' '
	# The action does speak on that channel: its lines start with RS.
	RUNJOB_ACTION_CONFIG="{\"source\":\"$(redis_url src)\",\"target\":\"$(redis_url dst 1)\",\"match\":\"hash:1*\",\"verify\":\"false\"}" \
		runjob action redis.copy >action.out &&
	test "$(grep -c "^${RS}checkpoint " action.out)" -ge 1 &&
	# None of it reached the output, the log or the output tail of
	# the journal, which do have the progress lines.
	log=$(q prog.db "select log from attempts where step_id = \"copy\"") &&
	q prog.db "select output from attempts where step_id = \"copy\"" >tail &&
	test_grep "^progress: \[" tail &&
	test_grep "^copied $KEYS keys" tail &&
	test "$(grep -c "$RS" prog.out)" = 0 &&
	test "$(grep -c "$RS" "$log")" = 0 &&
	test "$(grep -c "$RS" tail)" = 0 &&
	test "$(grep -c "checkpoint" prog.out)" = 0 &&
	test "$(grep -c "checkpoint" tail)" = 0
'

test_expect_success 'a longer RUNJOB_PROGRESS_INTERVAL: fewer progress lines, that far apart' '
	copy_job slow.yaml &&
	RUNJOB_PROGRESS_INTERVAL=3000 && export RUNJOB_PROGRESS_INTERVAL &&
	copy_stalled slow.yaml &&
	grep "^[0-9TZ:-]* copy | progress: " slow.out >lines &&
	test "$(wc -l <lines)" -ge 2 &&
	test "$(wc -l <lines)" -lt "$(wc -l <progress)" &&
	prev= &&
	while read -r at rest; do
		t=$(epoch "$at") &&
		if [ -n "$prev" ] && [ $((t - prev)) -lt 3 ]; then
			echo "progress lines less than 3 s apart:" >&2
			cat lines >&2
			return 1
		fi
		prev=$t
	done <lines &&
	test_grep "copy | copied $KEYS keys" slow.out
'

# On a terminal: tmux gives runjob one. term_copy NAME WIDTH PATTERN
# runs a copy in directory NAME, in a tmux session NAME whose pane is
# WIDTH columns wide. It waits (30 s at most) for the pane to show a
# line that matches PATTERN and keeps the pane then, without its empty
# lines, in NAME/live; then for the end of the run, whose exit status
# (in NAME/code) must be 0, and keeps the pane then in NAME/final.
tmux_sock="$TRASH_DIRECTORY/tmux.sock"
tm() {
	tmux -S "$tmux_sock" -f /dev/null "$@"
}
term_copy() {
	mkdir "$1" &&
	copy_job "$1/job.yaml" &&
	cat >"$1/run.sh" <<-\EOF &&
	cd "$1" || exit 1
	NO_COLOR=1; export NO_COLOR
	"$RUNJOB_ROOT/runjob" run --journal j.db job.yaml
	echo $? >code
	sleep 60
	EOF
	tm new-session -d -s "$1" -x "$2" -y 40 "sh '$PWD/$1/run.sh' '$PWD/$1'" &&
	n=0 &&
	until tm capture-pane -p -t "$1" | sed "/^$/d" >"$1/live" && grep "$3" "$1/live"; do
		if [ $n -ge 300 ] || [ -e "$1/code" ]; then
			echo "no live line like '$3' while the copy ran; the pane:" >&2
			cat "$1/live" >&2
			return 1
		fi
		sleep 0.1
		n=$((n + 1))
	done &&
	n=0 &&
	until [ -e "$1/code" ]; do
		if [ $n -ge 600 ]; then
			echo "the copy did not end in 60 s; the pane:" >&2
			tm capture-pane -p -t "$1" | sed "/^$/d" >&2
			return 1
		fi
		sleep 0.1
		n=$((n + 1))
	done &&
	tm capture-pane -p -t "$1" | sed "/^$/d" >"$1/final" &&
	echo 0 >"$1/expect" && test_cmp "$1/expect" "$1/code"
}

test_expect_success 'on a terminal, the live view shows a bar, the percentage and the rate beside the running copy, and nothing of it stays' '
	test_when_finished "tm kill-session -t wide" &&
	term_copy wide 200 "^ *running copy [0-9][0-9.hms]*  \[#\{1,\}\.*\] [0-9]\{1,3\}% [0-9]* of $KEYS keys, [0-9]* keys/s, " &&
	test_grep "copy | copied $KEYS keys" wide/final &&
	test_grep "copy: succeeded after" wide/final &&
	test_grep -v "running copy" wide/final &&
	test_grep -v "keys/s" wide/final &&
	test_grep -v "\[#" wide/final &&
	test "$(redis_dbsize dst)" = $KEYS
'

test_expect_success 'on a terminal of 80 columns, where the progress does not fit on the line, nothing of the live view stays either' '
	test_when_finished "tm kill-session -t narrow" &&
	term_copy narrow 80 "^ *running copy [0-9][0-9.hms]*  \[#" &&
	test_grep "copy: succeeded after" narrow/final &&
	test_grep -v "running copy" narrow/final &&
	test_grep -v "keys/s" narrow/final
'
tm kill-server 2>/dev/null

test_done
