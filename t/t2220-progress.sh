#!/bin/sh
test_description='a run says how far it is, with an ETA from its past runs, in the live view, progress lines, --json events and status; plan shows expected durations; a step far past its usual time is warned of once, with its step-overrun hook'
. "$(dirname "$0")/test-lib.sh"

# new_journal: j.db, made by a run of a job of its own.
new_journal() {
	printf "runjob: 1\nname: init\nsteps:\n  - { id: a, run: \"true\" }\n" \
		>init.yaml &&
	runjob run --journal "$PWD/j.db" init.yaml >/dev/null 2>&1
}

# history JOB STEP MS...: earlier runs of JOB in j.db in which STEP
# succeeded after MS milliseconds, one run each.
history() {
	job=$1 step=$2
	shift 2
	for ms in "$@"; do
		n=$(q j.db "select count(*) from runs") &&
		q j.db "insert into runs (id, job, file, text, sha256, params, user, host, pid, trigger, started, ended, state, exit_code) values (\"old-$n\", \"$job\", \"old.yaml\", \"\", \"\", \"{}\", \"u\", \"h\", 1, \"manual\", $n, $((n + ms)), \"succeeded\", 0)" &&
		q j.db "insert into attempts (id, run_id, step_id, kind, attempt, started, ended, state, exit_code) values (\"old-$n-$step\", \"old-$n\", \"$step\", \"step\", 1, 1000, $((1000 + ms)), \"succeeded\", 0)" ||
		return 1
	done
}

# A job of four steps: a (10m before, three times), b after it (5m),
# c beside them (2m) and d, which never ran. a waits for the file go.
migrate() {
	cat >migrate.yaml <<-\EOF
	runjob: 1
	name: migrate
	steps:
	  - { id: a, run: "while ! test -e go; do sleep 0.05; done" }
	  - { id: b, needs: [a], run: "true" }
	  - { id: c, run: "true" }
	  - { id: d, needs: [c], run: "true" }
	EOF
	new_journal &&
	history migrate a 540000 600000 660000 &&
	history migrate b 300000 &&
	history migrate c 120000 120000
}

# A job of two steps with more history than a median is of. Step load
# took 10m in the 10 oldest of 60 runs, then 1m and 2m by turns: 2m
# over all 60, 1m30s over the last 50. Step tied has 51 tries that all
# ended at once; the first recorded took 10m, the others 1m and 2m by
# turns: 1m30s without the first, 2m without the last.
grown() {
	cat >grown.yaml <<-\EOF &&
	runjob: 1
	name: grown
	steps:
	  - { id: load, run: "true" }
	  - { id: tied, run: "true" }
	EOF
	new_journal &&
	q j.db "
	create temp table c (i integer);
	with recursive n(i) as (select 0 union all select i + 1 from n where i < 59)
	insert into c select i from n;
	insert into runs (id, job, file, text, sha256, params, user, host, pid, trigger, started, ended, state, exit_code)
	select \"grown-\" || i, \"grown\", \"grown.yaml\", \"\", \"\", \"{}\", \"u\", \"h\", 1, \"manual\", i * 3600000, i * 3600000 + 600000, \"succeeded\", 0 from c;
	insert into attempts (id, run_id, step_id, kind, attempt, started, ended, state, exit_code)
	select \"grown-\" || i || \"-load\", \"grown-\" || i, \"load\", \"step\", 1, i * 3600000, i * 3600000 + (case when i < 10 then 600000 when i % 2 then 60000 else 120000 end), \"succeeded\", 0 from c;
	insert into attempts (id, run_id, step_id, kind, attempt, started, ended, state, exit_code)
	select \"grown-\" || i || \"-tied\", \"grown-\" || i, \"tied\", \"step\", 1, 216000000 - (case when i = 9 then 600000 when i % 2 then 60000 else 120000 end), 216000000, \"succeeded\", 0 from c where i >= 9"
}

# A step whose past tries took a second: one that runs a minute more
# overruns. It runs until the file release is there.
test_expect_success 'setup: a step that will overrun its history, running meanwhile' '
	mkdir overrun && cd overrun &&
	cat >slow.yaml <<-\EOF &&
	runjob: 1
	name: slow
	notify:
	  - on: step-overrun
	    run: echo "$RUNJOB_EVENT $RUNJOB_OUTCOME $RUNJOB_SUMMARY" >>hooks.log
	steps:
	  - { id: slow, run: "while ! test -e release; do sleep 0.1; done" }
	EOF
	new_journal &&
	history slow slow 900 1000 1100 &&
	{ runjob run --journal "$PWD/j.db" slow.yaml >run.out 2>run.err & } &&
	n=0 &&
	until test "$(q j.db "select count(*) from attempts where step_id = \"slow\" and state = \"running\"")" = 1; do
		test $n -lt 200 && sleep 0.05 && n=$((n + 1)) || return 1
	done
'

test_expect_success 'plan shows each step expected duration from past runs, and the whole run with -j' '
	mkdir plan && cd plan &&
	migrate &&
	runjob plan -j 1 --journal "$PWD/j.db" migrate.yaml >plan1 &&
	test_grep "^expected duration 17m00s with 1 step at once (.*list\|plan order" plan1 &&
	test_grep "1 of 4 steps has no history and is not counted" plan1 &&
	test_grep "expected 10m00s (median of 3)" plan1 &&
	test_grep "needs a; expected 5m00s (median of 1)" plan1 &&
	test_grep "expected 2m00s (median of 2)" plan1 &&
	runjob plan -j 2 --journal "$PWD/j.db" migrate.yaml >plan2 &&
	test_grep "^expected duration 15m00s with 2 steps at once" plan2 &&
	runjob plan -j 2 --json --journal "$PWD/j.db" migrate.yaml >json &&
	python3 -c "
import json, sys
p = json.load(open(\"json\"))
assert p[\"expected\"] == {\"ms\": 900000, \"jobs\": 2, \"no_history\": 1}, p[\"expected\"]
s = {x[\"id\"]: x for x in p[\"steps\"]}
assert s[\"a\"][\"expected_ms\"] == 600000 and s[\"a\"][\"expected_of\"] == 3
assert \"expected_ms\" not in s[\"d\"]
" &&
	runjob plan --journal "$PWD/none.db" migrate.yaml >plain &&
	test_grep -v expected plain &&
	! test -e none.db
'

test_expect_success 'a step is expected to take the median of its last 50 successes, the last to end, not of all it ever had' '
	mkdir grown && cd grown &&
	grown &&
	test "$(q j.db "select count(*) from attempts where step_id = \"load\" and state = \"succeeded\"")" = 60 &&
	runjob plan -j 1 --journal "$PWD/j.db" grown.yaml >plan &&
	test_grep "^  load .*run: true" plan &&
	test "$(grep -c "expected 1m30s (median of 50)\$" plan)" = 2 &&
	test_grep "^expected duration 3m00s with 1 step at once" plan &&
	runjob plan --json --journal "$PWD/j.db" grown.yaml >json &&
	python3 -c "
import json
s = {x[\"id\"]: x for x in json.load(open(\"json\"))[\"steps\"]}
for id in \"load\", \"tied\":
    assert s[id][\"expected_ms\"] == 90000 and s[id][\"expected_of\"] == 50, s[id]
"
'

test_expect_success 'a journal from before runjob kept successes by step gives the same medians, and is upgraded by the next run' '
	cd grown &&
	q j.db "drop index successes_by_step; pragma user_version = 5" &&
	runjob plan -j 1 --journal "$PWD/j.db" grown.yaml >plan5 &&
	test_cmp plan plan5 &&
	test "$(q j.db "pragma user_version")" = 5 &&
	runjob run --journal "$PWD/j.db" init.yaml >/dev/null 2>&1 &&
	runjob run --journal "$PWD/fresh.db" init.yaml >/dev/null 2>&1 &&
	q fresh.db "pragma user_version" >want &&
	q j.db "pragma user_version" >got &&
	test_cmp want got &&
	test "$(q j.db "select count(*) from sqlite_master where name = \"successes_by_step\"")" = 1 &&
	runjob plan -j 1 --journal "$PWD/j.db" grown.yaml >plan6 &&
	test_cmp plan plan6
'

test_expect_success 'a running run: N of M steps, elapsed and ETA from history, in --json progress events and in status' '
	mkdir running && cd running &&
	migrate &&
	{ RUNJOB_NOW=2026-12-12T02:00:00Z RUNJOB_PROGRESS_INTERVAL=200 \
		runjob run -j 1 --json --journal "$PWD/j.db" migrate.yaml \
		>run.out 2>run.err & } &&
	n=0 &&
	until grep -q "\"event\":\"progress\"" run.out; do
		test $n -lt 100 && sleep 0.05 && n=$((n + 1)) || return 1
	done &&
	grep "\"event\":\"progress\"" run.out | head -n 1 >event &&
	python3 -c "
import json
e = json.load(open(\"event\"))
assert e[\"done\"] == 0 and e[\"total\"] == 4 and e[\"no_history\"] == 1, e
# a (10m, running a moment), b (5m), c (2m) one after another: 17m.
assert 1010000 <= e[\"eta_ms\"] <= 1020000, e
assert 0 < e[\"elapsed_ms\"] < 10000, e
" &&
	runjob status --journal "$PWD/j.db" migrate >status &&
	test_grep "^  progress 0 of 4 steps, .* elapsed, ETA at least 1[67]m[0-9]*s (02:1[67]:[0-9]*Z): 1 step left has no history (as of 02:00:0[0-9]Z)" status &&
	runjob status --json --journal "$PWD/j.db" migrate >status.json &&
	python3 -c "
import json
p = json.load(open(\"status.json\"))[\"progress\"]
assert p[\"done\"] == 0 and p[\"total\"] == 4 and p[\"no_history\"] == 1 and p[\"at\"] > 0, p
" &&
	touch go &&
	n=0 &&
	until grep -q "\"event\":\"run-finished\"" run.out; do
		test $n -lt 200 && sleep 0.05 && n=$((n + 1)) || return 1
	done &&
	test_grep "\"state\":\"succeeded\"" run.out &&
	runjob status --journal "$PWD/j.db" migrate >after &&
	test_grep -v "^  progress" after &&
	test "$(q j.db "select count(*) from events where kind = \"progress\"")" = 0
'

test_expect_success 'off a terminal, a progress line every RUNJOB_PROGRESS_INTERVAL, with an honest ETA when nothing has history' '
	mkdir plain && cd plain &&
	printf "runjob: 1\nname: fresh\nsteps:\n  - { id: wait, run: sleep 2.5 }\n  - { id: then, needs: [wait], run: \"true\" }\n" >fresh.yaml &&
	RUNJOB_PROGRESS_INTERVAL=300 runjob run --journal "$PWD/j.db" fresh.yaml >out &&
	grep "runjob: progress: " out >lines &&
	test "$(wc -l <lines)" -ge 2 &&
	test_grep "^20[0-9-]*T[0-9:]*Z runjob: progress: 0 of 2 steps, [0-9.]*s elapsed, ETA unknown: no step left has succeeded before\$" lines &&
	runjob run --journal "$PWD/j.db" fresh.yaml >again &&
	test_grep -v "progress:" again
'

test_expect_success 'a running built-in that says how far it is has an ETA from that, with no history' '
	mkdir builtin && cd builtin &&
	sqlite3 big.db "
	CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, updated_at INTEGER);
	WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200000)
	INSERT INTO items SELECT i, \"row \" || i, i FROM c;" &&
	cat >sync.yaml <<-\EOF &&
	runjob: 1
	name: sync
	steps:
	  - id: sync
	    sqlite.sync: { source: big.db, target: copy.db, batch: 10 }
	EOF
	{ RUNJOB_PROGRESS_INTERVAL=200 runjob run --json --journal "$PWD/j.db" sync.yaml >run.out 2>&1 & } &&
	pid=$! &&
	n=0 &&
	until grep "\"event\":\"progress\"" run.out | grep -q "\"eta_ms\":[0-9]"; do
		test $n -lt 300 && sleep 0.05 && n=$((n + 1)) || return 1
	done &&
	kill -INT $pid &&
	{ wait $pid; true; } &&
	grep "\"event\":\"progress\"" run.out | grep "\"eta_ms\":[0-9]" | head -n 1 >event &&
	python3 -c "
import json
e = json.load(open(\"event\"))
assert e[\"done\"] == 0 and e[\"total\"] == 1 and e[\"no_history\"] == 0, e
assert e[\"eta_ms\"] > 0, e
"
'

test_expect_success 'a RUNJOB_PROGRESS_INTERVAL that is no number of milliseconds is refused before anything runs' '
	mkdir bad && cd bad &&
	printf "runjob: 1\nname: bad\nsteps:\n  - { id: a, run: touch ran }\n" >bad.yaml &&
	for v in soon 0 -5 10s 1e3; do
		test_expect_code 2 env RUNJOB_PROGRESS_INTERVAL=$v runjob run --journal "$PWD/j.db" bad.yaml 2>err &&
		test_grep "RUNJOB_PROGRESS_INTERVAL=.$v. is not a number of milliseconds" err || return 1
	done &&
	! test -e ran &&
	! test -e j.db
'

test_expect_success 'a step past twice its median and a minute more: one warning, one step-overrun event, one hook' '
	cd overrun &&
	n=0 &&
	until test "$(q j.db "select count(*) from events where kind = \"step-overrun\"")" = 1; do
		test $n -lt 1200 && sleep 0.1 && n=$((n + 1)) || return 1
	done &&
	q j.db "select step_id, json_extract(data, \"\$.attempt\"), json_extract(data, \"\$.median_ms\"), json_extract(data, \"\$.runs\"), json_extract(data, \"\$.elapsed_ms\") >= 61000 from events where kind = \"step-overrun\"" >facts &&
	echo "slow|1|1000|3|1" >want &&
	test_cmp want facts &&
	test_grep "runjob: step slow has run for 1m0[0-9]s, more than twice its usual 1.0s (the median of 3 earlier successes): see that it is not stuck" run.err &&
	wait_for hooks.log &&
	sleep 2.5 &&
	test "$(wc -l <hooks.log)" = 1 &&
	test_grep "^step-overrun running job slow: run .*: step slow has run for 1m0[0-9]s, its usual is 1.0s\$" hooks.log &&
	test "$(grep -c "has run for" run.err)" = 1 &&
	test "$(q j.db "select count(*) from events where kind = \"notified\"")" = 1
'

test_expect_success 'after a crash and a resume, the overrun is neither warned of nor sent again' '
	cd overrun &&
	pid=$(q j.db "select pid from runs where job = \"slow\" and state = \"running\"") &&
	kill -9 "$pid" &&
	gone_within 10 "$pid" &&
	touch release &&
	# Its threads may hold its lock a moment after it is a zombie (it
	# is no child of this shell to wait for): a resume that finds the
	# lock held changes nothing, and is made again.
	n=0 &&
	until runjob resume --journal "$PWD/j.db" slow.yaml >resume.out 2>&1; do
		grep -q "already running" resume.out && test $n -lt 100 &&
		sleep 0.1 && n=$((n + 1)) || return 1
	done &&
	test "$(q j.db "select state from runs where job = \"slow\" and id not like \"old-%\"")" = succeeded &&
	test "$(q j.db "select count(*) from events where kind = \"step-overrun\"")" = 1 &&
	test_grep -v "has run for" resume.out &&
	test "$(wc -l <hooks.log)" = 1
'

# On a terminal: tmux gives runjob one. term NAME JOB runs JOB in
# directory NAME, in a tmux session NAME, then records its exit status
# in NAME/code and the terminal's settings in NAME/stty.
tmux_sock="$TRASH_DIRECTORY/tmux.sock"
tm() {
	tmux -S "$tmux_sock" -f /dev/null "$@"
}
term() {
	cat >"$1/run.sh" <<-\EOF &&
	cd "$1" || exit 1
	NO_COLOR=1; export NO_COLOR
	"$RUNJOB_ROOT/runjob" run --journal "$PWD/j.db" "$2"
	echo $? >code.tmp && mv code.tmp code
	stty -a >stty
	sleep 60
	EOF
	tm new-session -d -s "$1" -x 200 -y 40 "sh '$PWD/$1/run.sh' '$PWD/$1' '$2'"
}
# pane NAME PATTERN: the pane of NAME shows a line like PATTERN within
# 20 s; it is in NAME/pane.
pane() {
	n=0 &&
	until tm capture-pane -p -t "$1" | sed "/^\$/d" >"$1/pane" && grep -q "$2" "$1/pane"; do
		if [ $n -ge 200 ]; then
			echo "no line like '$2' on the terminal:" >&2
			cat "$1/pane" >&2
			return 1
		fi
		sleep 0.1
		n=$((n + 1))
	done
}
# ended NAME: the run in NAME ended within 20 s.
ended() {
	n=0 &&
	until test -e "$1/code"; do
		test $n -lt 200 && sleep 0.1 && n=$((n + 1)) || return 1
	done
}

# gated: a job whose step go-ahead waits for approval.
gated() {
	cat >"$1/gated.yaml" <<-\EOF
	runjob: 1
	name: gated
	steps:
	  - { id: verify, run: echo verified }
	  - id: go-ahead
	    needs: [verify]
	    approve: { message: "Switch production?" }
	  - { id: switch, needs: [go-ahead], run: touch switched }
	EOF
}

test_expect_success 'on a terminal, the live view ends with the run progress, and nothing of it stays' '
	test_when_finished "tm kill-session -t live" &&
	mkdir live &&
	printf "runjob: 1\nname: live\nsteps:\n  - { id: wait, run: \"while ! test -e go; do sleep 0.05; done\" }\n  - { id: then, needs: [wait], run: \"true\" }\n" >live/live.yaml &&
	term live live.yaml &&
	pane live "^  0 of 2 steps, [0-9.]*s elapsed, ETA unknown: no step left has succeeded before\$" &&
	test_grep "^  running wait " live/pane &&
	touch live/go &&
	ended live &&
	tm capture-pane -p -t live | sed "/^\$/d" >live/final &&
	test_grep "runjob: run .* succeeded" live/final &&
	test_grep -v "elapsed, ETA" live/final
'

test_expect_success 'a gate waiting on a terminal asks there; y and a reason approve it as runjob approve does, from that terminal' '
	test_when_finished "tm kill-session -t ask" &&
	mkdir ask && gated ask &&
	term ask gated.yaml &&
	pane ask "^  approve go-ahead? y or n, then a reason:\$" &&
	test_grep "^  [01] of 3 steps, .* elapsed, ETA unknown" ask/pane &&
	tm send-keys -t ask "maybe" Enter &&
	pane ask "answer y to approve it or n to reject it" &&
	tm send-keys -t ask "y CHG-9 from the consolX" BSpace "e" &&
	pane ask "^  approve go-ahead? y or n, then a reason: y CHG-9 from the console\$" &&
	tm send-keys -t ask Enter &&
	ended ask &&
	echo 0 >ask/expect && test_cmp ask/expect ask/code &&
	test -e ask/switched &&
	q ask/j.db "select json_extract(data, \"\$.user\"), json_extract(data, \"\$.from\") like \"/dev/pts/%\", json_extract(data, \"\$.reason\") from events where kind = \"gate-approved\"" >facts &&
	echo "$(id -un)|1|CHG-9 from the console" >want &&
	test_cmp want facts &&
	runjob status --journal "$PWD/ask/j.db" >status &&
	test_grep "go-ahead: approved by $(id -un)@.* (/dev/pts/[0-9]*) at .*: CHG-9 from the console" status &&
	test_grep " icanon " ask/stty &&
	test_grep " echo " ask/stty
'

test_expect_success 'n at the prompt rejects the gate: it fails, with the reason' '
	test_when_finished "tm kill-session -t no" &&
	mkdir no && gated no &&
	term no gated.yaml &&
	pane no "^  approve go-ahead? y or n, then a reason:\$" &&
	tm send-keys -t no "n: not tonight" Enter &&
	ended no &&
	echo 1 >no/expect && test_cmp no/expect no/code &&
	! test -e no/switched &&
	test "$(q no/j.db "select json_extract(data, \"\$.reason\") from events where kind = \"gate-rejected\"")" = "not tonight"
'

test_expect_success 'an answer from another terminal wins, and the question there goes, the terminal as it was' '
	test_when_finished "tm kill-session -t other" &&
	mkdir other && gated other &&
	term other gated.yaml &&
	pane other "^  approve go-ahead? y or n, then a reason:\$" &&
	tm send-keys -t other "n half typed" &&
	pane other "then a reason: n half typed\$" &&
	runjob approve --journal "$PWD/other/j.db" "$(q other/j.db "select id from runs")" go-ahead --reason "from the desk" >/dev/null &&
	ended other &&
	echo 0 >other/expect && test_cmp other/expect other/code &&
	test -e other/switched &&
	test "$(q other/j.db "select count(*) from events where kind like \"gate-%ed\"")" = 1 &&
	tm capture-pane -p -t other | sed "/^\$/d" >other/final &&
	test_grep -v "approve go-ahead?" other/final &&
	test_grep " icanon " other/stty &&
	test_grep " echo " other/stty
'

test_expect_success 'off a terminal nothing is asked, and the gate waits for runjob approve' '
	mkdir off && gated off && cd off &&
	{ runjob run --journal "$PWD/j.db" gated.yaml </dev/null >out 2>&1 & } &&
	n=0 &&
	until test "$(q j.db "select state from steps where step_id = \"go-ahead\"" 2>/dev/null)" = waiting; do
		test $n -lt 200 && sleep 0.05 && n=$((n + 1)) || return 1
	done &&
	runjob approve --journal "$PWD/j.db" "$(q j.db "select id from runs")" go-ahead >/dev/null &&
	n=0 &&
	until test "$(q j.db "select state from runs")" = succeeded; do
		test $n -lt 200 && sleep 0.05 && n=$((n + 1)) || return 1
	done &&
	test_grep -v "y or n" out
'
tm kill-server 2>/dev/null

test_done
