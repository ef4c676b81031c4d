#!/bin/sh
test_description='every example runs, and does what its comment says

The examples are copied into the scratch directory and run there with
runjob run, all into one journal. Each must exit as documented: 0, or 1
for continue.yaml, which shows a failure. Then for each example, its
output, its files and the journal (through runjob status and show) must
show what it is about. A new example needs a check here.'
. "$(dirname "$0")/test-lib.sh"

J="$TRASH_DIRECTORY/j.db"
EX="$TRASH_DIRECTORY/examples"

# expected_code NAME: the exit status the example NAME documents.
expected_code() {
	case $1 in
	continue.yaml) echo 1 ;;
	*) echo 0 ;;
	esac
}

# status NAME: runjob status of the latest run of the example NAME.
status() {
	runjob status --journal "$J" "$EX/$1"
}

# step_state NAME STEP: the state of STEP in the latest run of NAME.
step_state() {
	status "$1" | awk -v s="$2" '$1 == s { print $2 }'
}

# step_attempts NAME STEP: how often STEP was tried in that run.
step_attempts() {
	status "$1" | awk -v s="$2" '$1 == s { print $3 }'
}

# run_id NAME: the id of the latest run of NAME.
run_id() {
	status "$1" | sed -n "s/^run \([^ ]*\) of job .*/\1/p"
}

# check_example NAME WHAT BODY: a test of what example NAME shows.
check_example() {
	echo "$1" >>"$TRASH_DIRECTORY/checked"
	test_expect_success "examples/$1: $2" "$3"
}

test_expect_success 'the examples are copied to a scratch directory' '
	cp -R "$RUNJOB_ROOT/examples" "$EX" &&
	ls "$EX"/*.yaml >list &&
	test "$(wc -l <list)" -ge 13
'

# EXAMPLE_TOKEN gives params.yaml its secret, to see it masked.
EXAMPLE_TOKEN=s3cr3t-t0ken-value
export EXAMPLE_TOKEN

for f in "$RUNJOB_ROOT"/examples/*.yaml; do
	name=$(basename "$f")
	code=$(expected_code "$name")
	test_expect_success "examples/$name says what it shows and runs: exit $code" '
		head -n 1 "$EX/$name" | grep "^# ." >/dev/null &&
		test_expect_code "$code" runjob run --journal "$J" \
			"$EX/$name" >"out-$name" 2>&1 &&
		test_grep "(exit $code)\$" "out-$name"
	'
done

check_example hello.yaml 'one step greets' '
	test_grep "greet | hello from hello\$" out-hello.yaml &&
	test "$(step_state hello.yaml greet)" = succeeded
'

check_example waves.yaml 'each wave ran after the one before it' '
	printf "a\nb\n" >expect &&
	test_cmp expect "$EX/merged.txt" &&
	test_grep "report | 2 merged.txt" out-waves.yaml &&
	for s in fetch-a fetch-b merge report; do
		test "$(step_state waves.yaml $s)" = succeeded || return 1
	done &&
	merge=$(grep -n "merge: started" out-waves.yaml | cut -d: -f1) &&
	for s in fetch-a fetch-b; do
		done_at=$(grep -n "$s: succeeded" out-waves.yaml | cut -d: -f1) &&
		test "$done_at" -lt "$merge" || return 1
	done
'

check_example params.yaml 'params are environment variables; the secret is masked' '
	test_grep "show | copying to localhost:6379 in batches of 500 (copy)" \
		out-params.yaml &&
	test_grep "use-token | calling https://localhost:6379/api with the token \*\*\*\$" \
		out-params.yaml &&
	test_grep -v "s3cr3t" out-params.yaml &&
	runjob show --json --journal "$J" "$(run_id params.yaml)" >show.json &&
	test_grep "with the token \*\*\*" show.json &&
	test_grep -v "s3cr3t" show.json &&
	if grep -r "s3cr3t" "$TRASH_DIRECTORY/logs"; then
		echo "the secret is in a log" >&2
		return 1
	fi
'

check_example fan-out.yaml 'one step per item, each recorded' '
	test_grep "deploy\[eu\] | deploying to eu" out-fan-out.yaml &&
	test_grep "deploy\[us\] | deploying to us" out-fan-out.yaml &&
	for s in "deploy[eu]" "deploy[us]" "smoke-test[health]" \
	    "smoke-test[login]" announce; do
		test "$(step_state fan-out.yaml "$s")" = succeeded || return 1
	done
'

check_example outputs.yaml 'declared outputs reach later steps, env: and dir:' '
	test_grep "report | counted 42 rows" out-outputs.yaml &&
	test_grep "archive | archiving rows-42 in .*/examples/archive-42\$" \
		out-outputs.yaml &&
	status outputs.yaml >status &&
	test_grep "output count.ROWS = 42\$" status &&
	test_grep -v "IGNORED" status
'

check_example checkpoint.yaml 'the second try goes on after the last checkpoint; no batch is copied twice' '
	test_grep "copy | try 1 starts after batch 0\$" out-checkpoint.yaml &&
	test_grep "copy | connection lost in batch 8\$" out-checkpoint.yaml &&
	test_grep "copy | try 2 starts after batch 7\$" out-checkpoint.yaml &&
	test_grep "copy | copied 2000 rows\$" out-checkpoint.yaml &&
	test "$(step_attempts checkpoint.yaml copy)" = 2 &&
	test_cmp "$EX/rows.txt" "$EX/copied.txt"
'

check_example if.yaml 'a false precondition skips the step, and what needs it runs' '
	test "$(step_state if.yaml migrate-v1-to-v2)" = skipped &&
	test "$(step_state if.yaml vacuum)" = succeeded &&
	test "$(step_state if.yaml report)" = succeeded &&
	test_grep -v "migrating" out-if.yaml &&
	test_grep "report | schema version 2" out-if.yaml &&
	runjob run --dry-run -p MODE=report-only "$EX/if.yaml" >dry &&
	test_grep "vacuum  *would be skipped" dry &&
	test_grep "dry run: nothing was run" dry
'

check_example retry.yaml 'a step that fails twice with 75 succeeds on its third try' '
	test "$(step_state retry.yaml flaky)" = succeeded &&
	test "$(step_attempts retry.yaml flaky)" = 3 &&
	test_grep "flaky | upstream answered on attempt 3" out-retry.yaml &&
	test "$(grep -c "trying again" out-retry.yaml)" = 2
'

check_example timeout.yaml 'a hanging try is stopped by its timeout, and the retry succeeds' '
	test "$(step_state timeout.yaml fetch)" = succeeded &&
	test "$(step_attempts timeout.yaml fetch)" = 2 &&
	test_grep "fetch | attempt 1: stopped, cleaning up" out-timeout.yaml &&
	test_grep "its timeout of 1s passed" out-timeout.yaml &&
	runjob show --journal "$J" "$(run_id timeout.yaml)" >show &&
	test_grep "fetch step attempt 1: timeout" show &&
	test_grep "fetch step attempt 2: succeeded" show
'

check_example continue.yaml 'a failure stops only what needs it; the run fails' '
	test "$(step_state continue.yaml sync-eu)" = failed &&
	test "$(step_state continue.yaml notify-eu)" = not-run &&
	test "$(step_state continue.yaml sync-us)" = succeeded &&
	test "$(step_state continue.yaml notify-us)" = succeeded &&
	status continue.yaml >status &&
	test_grep "^run .* of job continue: failed (exit 1)" status
'

check_example env.yaml 'the step env: wins over the job env:, dir: is used' '
	test_grep "show | hello from the step, in work-staging, for staging" \
		out-env.yaml &&
	test_grep "show | step show of job env, try 1" out-env.yaml &&
	id=$(run_id env.yaml) &&
	echo "run $id" >expect &&
	test_cmp expect "$EX/work-staging/staging-$id.log"
'

check_example shell.yaml 'shell: runs the text with another interpreter' '
	test_grep "strict | gamma" out-shell.yaml &&
	test_grep "strict | pipefail is on" out-shell.yaml &&
	test "$(step_state shell.yaml direct)" = succeeded
'

check_example rollback.yaml 'a failure after the switch undoes it, newest first' '
	echo "backend=valkey" >expect &&
	test_cmp expect "$EX/app.conf" &&
	test_expect_code 1 runjob run --new --journal "$J" -p BREAK=yes \
		"$EX/rollback.yaml" >out 2>&1 &&
	echo "backend=redis" >expect &&
	test_cmp expect "$EX/app.conf" &&
	test_must_fail test -e "$EX/app.conf.before" &&
	test "$(step_state rollback.yaml check)" = failed &&
	test "$(step_state rollback.yaml switch)" = rolled-back &&
	test "$(step_state rollback.yaml snapshot)" = rolled-back &&
	test "$(step_state rollback.yaml setup)" = succeeded &&
	sw=$(grep -n "switch: rollback started" out | cut -d: -f1) &&
	sn=$(grep -n "snapshot: rollback started" out | cut -d: -f1) &&
	test "$sw" -lt "$sn"
'

check_example templates.yaml 'a template used twice, a preset and a prelude' '
	for s in configs.pack configs.check logs.pack logs.check; do
		test "$(step_state templates.yaml $s)" = succeeded || return 1
	done &&
	test_grep "setup | hi: set up\$" out-templates.yaml &&
	test_grep "done | hi: configs.tar logs.tar" out-templates.yaml &&
	test -s "$EX/archives/configs.tar" &&
	test -s "$EX/archives/logs.tar" &&
	d=$(grep -n "done: started" out-templates.yaml | cut -d: -f1) &&
	c=$(grep -n "configs.check: succeeded" out-templates.yaml | cut -d: -f1) &&
	test "$c" -lt "$d"
'

check_example notify.yaml 'a hook that fails (nothing listens at the webhook) is journaled; the run succeeds' '
	test "$(step_state notify.yaml migrate)" = succeeded &&
	run=$(q "$J" "select id from runs where job = \"notify\"") &&
	test "$(q "$J" "select json_extract(data, \"\$.event\") || \" \" || json_extract(data, \"\$.state\") from events where kind = \"notified\" and run_id = \"$run\"")" = "started failed
succeeded failed"
'

test_expect_success 'every example has a check of what it shows' '
	ls "$RUNJOB_ROOT"/examples/*.yaml | sed "s|.*/||" | sort >example-list &&
	sort "$TRASH_DIRECTORY/checked" >checked.sorted &&
	test_cmp example-list checked.sorted
'

test_done
