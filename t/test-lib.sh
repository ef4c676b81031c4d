# test-lib.sh - the test harness, in the manner of git's t/test-lib.sh.
#
# A test file sets test_description, sources this file, then runs
#   test_expect_success 'what a user would notice' '
#       commands joined with &&
#   '
# and ends with test_done. Output is TAP, for prove. Each test file runs
# in a scratch directory of its own, t/trash/NAME, with the built runjob
# first on PATH. Run a file with -v to see the commands' output.

TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
RUNJOB_ROOT=$(cd "$TEST_DIRECTORY/.." && pwd)
TEST_NAME=$(basename "$0" .sh)
TRASH_DIRECTORY="$TEST_DIRECTORY/trash/$TEST_NAME"
PATH="$RUNJOB_ROOT:$PATH"
export PATH RUNJOB_ROOT TEST_DIRECTORY TRASH_DIRECTORY
unset RUNJOB_JOURNAL RUNJOB_NOW
LC_ALL=C
export LC_ALL

verbose=
case "$1" in -v|--verbose) verbose=t ;; esac

test_count=0
test_failed=0

rm -rf "$TRASH_DIRECTORY"
mkdir -p "$TRASH_DIRECTORY" || exit 1
cd "$TRASH_DIRECTORY" || exit 1

say() { printf '# %s\n' "$*"; }

# test_when_finished CMD: run CMD after the current test, pass or fail.
test_when_finished() {
	test_cleanup="$*; $test_cleanup"
}

# The body of a test, in a function so that `return 1` ends just it.
test_body_() {
	eval "$1"
}

# test_chain_lint_ BODY: BODY is one &&-chain, so that no failure in it
# can go unnoticed (as git's test-lib checks). Run after a failing
# command, a whole chain runs nothing and keeps its status, 117; a chain
# broken by a missing && goes on after the break and ends otherwise.
test_chain_lint_() {
	test "$(
		(
			test_body_ "(exit 117) && $1
echo chain-\$?"
		) 2>/dev/null </dev/null
	)" = chain-117
}

test_expect_success() {
	test_count=$((test_count + 1))
	log="$TRASH_DIRECTORY/.log.$test_count"
	if ! test_chain_lint_ "$2"; then
		test_failed=$((test_failed + 1))
		printf 'not ok %d - %s # broken &&-chain: a command in it can fail unnoticed\n' \
			"$test_count" "$1"
		printf '%s\n' "$2" | sed 's/^/#	/'
		return
	fi
	# The body runs in a subshell, and its cleanup in that subshell too,
	# where test_when_finished recorded it.
	(
		test_cleanup=
		test_body_ "$2"
		status=$?
		if [ -n "$test_cleanup" ]; then
			(eval "$test_cleanup") >/dev/null 2>&1
		fi
		exit $status
	) >"$log" 2>&1
	status=$?
	[ -n "$verbose" ] && sed 's/^/# /' "$log"
	if [ $status -eq 0 ]; then
		printf 'ok %d - %s\n' "$test_count" "$1"
	else
		test_failed=$((test_failed + 1))
		printf 'not ok %d - %s\n' "$test_count" "$1"
		printf '%s\n' "$2" | sed 's/^/#	/'
		tail -n 40 "$log" | sed 's/^/# > /'
		# And on stderr, which prove shows: a CI log then says why.
		{
			printf '%s: not ok %d - %s\n' "$TEST_NAME" "$test_count" "$1"
			tail -n 150 "$log" | sed 's/^/# > /'
		} >&2
	fi
}

# test_must_fail CMD...: CMD must fail, but not crash (no signal death).
test_must_fail() {
	"$@"
	code=$?
	if [ $code -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ $code -gt 128 ]; then
		echo "test_must_fail: '$*' died of signal $((code - 128))" >&2
		return 1
	fi
	return 0
}

# test_expect_code N CMD...: CMD must exit with status N.
test_expect_code() {
	want=$1
	shift
	"$@"
	code=$?
	if [ $code -ne "$want" ]; then
		echo "test_expect_code: '$*' exited $code, wanted $want" >&2
		return 1
	fi
	return 0
}

# test_cmp EXPECTED ACTUAL: the files must be equal; shows the diff.
test_cmp() {
	diff -u "$1" "$2"
}

# test_grep [-v] PATTERN FILE: like grep, but shows FILE when it fails.
test_grep() {
	if [ "$1" = -v ]; then
		shift
		if grep -e "$1" "$2" >/dev/null; then
			echo "test_grep: '$1' found in $2:" >&2
			cat "$2" >&2
			return 1
		fi
		return 0
	fi
	grep -e "$1" "$2" >/dev/null && return 0
	echo "test_grep: '$1' not found in $2:" >&2
	cat "$2" >&2
	return 1
}

# q DB SQL: the rows of one query of the journal DB, columns joined by |.
# Write string literals in SQL with double quotes: they are made single
# quotes here.
q() {
	sqlite3 -batch -init /dev/null "$1" "$(printf '%s' "$2" | tr '"' "'")"
}

# alive PID: PID is running (a zombie is not).
alive() {
	kill -0 "$1" 2>/dev/null &&
	! grep -q "^State:[[:space:]]*Z" "/proc/$1/status" 2>/dev/null
}

# kill_supervisor PID: SIGKILL the run's supervisor, the parent of the
# step process PID, as when the whole of runjob dies at once (out of
# memory): how the step ends is then recorded nowhere.
kill_supervisor() {
	read _ _ _ _sv _ </proc/"$1"/stat &&
	kill -9 "$_sv"
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

# wait_for FILE [SECONDS]: FILE exists within SECONDS (10).
wait_for() {
	n=0
	while ! test -e "$1"; do
		if [ $n -ge $((${2:-10} * 20)) ]; then
			echo "no $1 after ${2:-10} s" >&2
			return 1
		fi
		sleep 0.05
		n=$((n + 1))
	done
}

# wait_q DB SQL WANT: the query SQL of DB gives WANT within 20 s.
wait_q() {
	n=0
	while test "$(q "$1" "$2" 2>/dev/null)" != "$3"; do
		test $n -lt 400 || return 1
		sleep 0.05
		n=$((n + 1))
	done
}

# wait_attempt DB STEP: the start of STEP is committed to DB.
wait_attempt() {
	wait_q "$1" "select count(*) from attempts where step_id = \"$2\"" 1
}

# run_bg ARGS: runjob run ARGS in the background; its output in run.out,
# its exit code in run.code.
run_bg() {
	{ runjob run "$@" >run.out 2>&1; echo $? >run.code; } &
}

# loader_keys: what a job file may say, as runjob help --keys prints it
# (job.h): "job KEY", "step KEY", "rollback KEY", "param KEY", "retry
# KEY", "window KEY", "blackout KEY", "word KEY WORD", "builtin NAME KEY"
# and "output NAME OUTPUT" lines.
loader_keys() {
	runjob help --keys
}

# test_skip DESCRIPTION REASON: count a test as skipped, saying why.
test_skip() {
	test_count=$((test_count + 1))
	printf 'ok %d - %s # SKIP %s\n' "$test_count" "$1" "$2"
}

# test_skip REASON: skip the rest of this file.
test_skip_all() {
	printf '1..0 # SKIP %s\n' "$1"
	exit 0
}

test_done() {
	printf '1..%d\n' "$test_count"
	if [ $test_failed -eq 0 ]; then
		cd "$TEST_DIRECTORY" && rm -rf "$TRASH_DIRECTORY"
		exit 0
	fi
	exit 1
}
