#!/bin/sh
test_description='runjob run: steps run in order and in parallel, retry, if:, outputs, params, secrets, on_failure, --only/--from/--dry-run, the journal and its readers'
. "$(dirname "$0")/test-lib.sh"

# max_overlap FILE: the most intervals open at once, from lines
# "MS +1" (a start) and "MS -1" (an end); an end sorts before a start
# at the same millisecond.
max_overlap() {
	sort -k1,1n -k2,2n "$1" | awk '{ n += $2; if (n > m) m = n } END { print m + 0 }'
}

# gaps FILE: the differences between consecutive numbers in FILE.
gaps() {
	awk 'NR > 1 { print $1 - prev } { prev = $1 }' "$1"
}

# json_check FILE PYTHON: run PYTHON with d bound to the JSON in FILE
# (the system python, not whatever python3 is first on PATH).
json_check() {
	/usr/bin/python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
$2" "$1"
}

# A step that records when it ran: "MS +1" at its start, "MS -1" at its end.
SPAN='echo "$(date +%s%3N) +1" >>spans; sleep 0.5; echo "$(date +%s%3N) -1" >>spans'

test_expect_success 'a step that needs another starts after it ended and sees its files' '
	cat >order.yaml <<-\EOF &&
	runjob: 1
	name: order
	concurrency: 4
	steps:
	  - id: c
	    needs: [b]
	    run: test -f b.done && touch c.done
	  - id: b
	    needs: [a]
	    run: test -f a.done && touch b.done
	  - id: a
	    run: sleep 0.3 && touch a.done
	EOF
	RUNJOB_JOURNAL=$PWD/order.db runjob order.yaml &&
	test -f c.done &&
	q order.db "select s.step_id from attempts s join attempts n
		on n.run_id = s.run_id and s.started < n.ended
		where s.step_id || n.step_id in (\"ba\", \"cb\")" >overlap &&
	test_cmp /dev/null overlap
'

test_expect_success '-j 2 runs at most two steps at once, and two when it can' '
	cat >par.yaml <<-EOF &&
	runjob: 1
	name: par
	concurrency: 6
	steps:
	  - { id: s1, run: '\''$SPAN'\'' }
	  - { id: s2, run: '\''$SPAN'\'' }
	  - { id: s3, run: '\''$SPAN'\'' }
	  - { id: s4, run: '\''$SPAN'\'' }
	  - { id: s5, run: '\''$SPAN'\'' }
	  - { id: s6, run: '\''$SPAN'\'' }
	EOF
	rm -f spans &&
	RUNJOB_JOURNAL=$PWD/par.db runjob -j 2 par.yaml &&
	test $(wc -l <spans) = 12 &&
	echo 2 >want &&
	max_overlap spans >got &&
	test_cmp want got
'

test_expect_success 'concurrency: in the job file limits the steps at once; -j overrides it' '
	cat >conc.yaml <<-EOF &&
	runjob: 1
	name: conc
	concurrency: 3
	steps:
	  - { id: s1, run: '\''$SPAN'\'' }
	  - { id: s2, run: '\''$SPAN'\'' }
	  - { id: s3, run: '\''$SPAN'\'' }
	  - { id: s4, run: '\''$SPAN'\'' }
	EOF
	rm -f spans &&
	RUNJOB_JOURNAL=$PWD/conc.db runjob conc.yaml &&
	echo 3 >want &&
	max_overlap spans >got &&
	test_cmp want got &&
	rm -f spans &&
	RUNJOB_JOURNAL=$PWD/conc1.db runjob -j 1 conc.yaml &&
	echo 1 >want &&
	max_overlap spans >got &&
	test_cmp want got
'

test_expect_success 'a run where every step succeeds or is skipped exits 0' '
	cat >ok.yaml <<-\EOF &&
	runjob: 1
	name: ok
	steps:
	  - { id: yes, run: "true" }
	  - { id: skipped, if: "exit 1", run: "false" }
	EOF
	RUNJOB_JOURNAL=$PWD/ok.db test_expect_code 0 runjob ok.yaml &&
	echo "succeeded|0" >want &&
	q ok.db "select state, exit_code from runs" >got &&
	test_cmp want got
'

test_expect_success 'a run with a failed step exits 1' '
	cat >fail.yaml <<-\EOF &&
	runjob: 1
	name: fail
	steps:
	  - { id: good, run: "true" }
	  - { id: bad, run: "exit 9" }
	EOF
	RUNJOB_JOURNAL=$PWD/fail.db test_expect_code 1 runjob fail.yaml &&
	echo "failed|1" >want &&
	q fail.db "select state, exit_code from runs" >got &&
	test_cmp want got
'

test_expect_success 'an invalid job file exits 3, runs nothing and journals nothing' '
	cat >invalid.yaml <<-\EOF &&
	runjob: 1
	name: invalid
	steps:
	  - { id: first, run: "touch invalid.ran" }
	  - { id: second, needs: [nosuch], run: "touch invalid.ran" }
	EOF
	RUNJOB_JOURNAL=$PWD/invalid.db test_expect_code 3 runjob invalid.yaml 2>err &&
	test_grep "nosuch" err &&
	! test -e invalid.ran &&
	if test -e invalid.db
	then
		echo 0 >want &&
		q invalid.db "select count(*) from runs" >got &&
		test_cmp want got
	fi
'

test_expect_success '--only naming no step is a usage error: exit 2, nothing run or journaled' '
	cat >usage.yaml <<-\EOF &&
	runjob: 1
	name: usage
	steps:
	  - { id: real, run: "touch usage.ran" }
	EOF
	RUNJOB_JOURNAL=$PWD/usage.db test_expect_code 2 runjob --only nosuch usage.yaml 2>err &&
	test_grep "nosuch" err &&
	! test -e usage.ran &&
	! test -e usage.db
'

test_expect_success 'a step that fails twice then succeeds is retried: three attempts journaled' '
	cat >retry.yaml <<-\EOF &&
	runjob: 1
	name: retry
	steps:
	  - id: flaky
	    retry: { attempts: 3, delay: 100ms }
	    run: |
	      echo "$RUNJOB_ATTEMPT" >>flaky.attempts
	      test $(wc -l <flaky.attempts) -ge 3
	EOF
	rm -f flaky.attempts &&
	RUNJOB_JOURNAL=$PWD/retry.db runjob retry.yaml &&
	printf "1\n2\n3\n" >want &&
	test_cmp want flaky.attempts &&
	printf "1|failed\n2|failed\n3|succeeded\n" >want &&
	q retry.db "select attempt, state from attempts where kind = \"step\" order by attempt" >got &&
	test_cmp want got &&
	echo succeeded >want &&
	q retry.db "select state from steps" >got &&
	test_cmp want got
'

test_expect_success 'retry stops after attempts: tries; the run fails' '
	cat >retry-out.yaml <<-\EOF &&
	runjob: 1
	name: retry-out
	steps:
	  - { id: never, retry: { attempts: 2, delay: 10ms }, run: "exit 5" }
	EOF
	RUNJOB_JOURNAL=$PWD/retry-out.db test_expect_code 1 runjob retry-out.yaml &&
	printf "1|failed|5\n2|failed|5\n" >want &&
	q retry-out.db "select attempt, state, exit_code from attempts order by attempt" >got &&
	test_cmp want got
'

test_expect_success 'retry on_exit: [75] retries exit 75 but not exit 1' '
	cat >onexit.yaml <<-\EOF &&
	runjob: 1
	name: onexit
	params:
	  CODE: "75"
	steps:
	  - id: s
	    retry: { attempts: 3, delay: 10ms, on_exit: [75] }
	    run: |
	      echo x >>onexit.$CODE
	      test $(wc -l <onexit.$CODE) -ge 2 || exit $CODE
	EOF
	RUNJOB_JOURNAL=$PWD/onexit75.db runjob onexit.yaml &&
	printf "1|failed|75\n2|succeeded|0\n" >want &&
	q onexit75.db "select attempt, state, exit_code from attempts order by attempt" >got &&
	test_cmp want got &&
	RUNJOB_JOURNAL=$PWD/onexit1.db test_expect_code 1 runjob -p CODE=1 onexit.yaml &&
	printf "1|failed|1\n" >want &&
	q onexit1.db "select attempt, state, exit_code from attempts order by attempt" >got &&
	test_cmp want got
'

test_expect_success 'retry delays grow by backoff' '
	cat >backoff.yaml <<-\EOF &&
	runjob: 1
	name: backoff
	steps:
	  - id: s
	    retry: { attempts: 3, delay: 200ms, backoff: 3 }
	    run: |
	      date +%s%3N >>backoff.times
	      test $(wc -l <backoff.times) -ge 3
	EOF
	rm -f backoff.times &&
	RUNJOB_JOURNAL=$PWD/backoff.db runjob backoff.yaml &&
	gaps backoff.times >g &&
	test $(wc -l <g) = 2 &&
	test $(sed -n 1p g) -ge 180 &&
	test $(sed -n 2p g) -ge 540
'

test_expect_success 'retry delays never exceed max_delay' '
	cat >maxdelay.yaml <<-\EOF &&
	runjob: 1
	name: maxdelay
	steps:
	  - id: s
	    retry: { attempts: 3, delay: 100ms, backoff: 10, max_delay: 150ms }
	    run: |
	      date +%s%3N >>maxdelay.times
	      test $(wc -l <maxdelay.times) -ge 3
	EOF
	rm -f maxdelay.times &&
	RUNJOB_JOURNAL=$PWD/maxdelay.db runjob maxdelay.yaml &&
	gaps maxdelay.times >g &&
	test $(wc -l <g) = 2 &&
	test $(sed -n 1p g) -ge 90 &&
	test $(sed -n 2p g) -ge 135 &&
	# uncapped it would be 1000ms; a loose bound against a slow machine
	test $(sed -n 2p g) -lt 800
'

test_expect_success 'if: exiting 0 runs the step' '
	cat >if0.yaml <<-\EOF &&
	runjob: 1
	name: if0
	steps:
	  - { id: s, if: "test -n yes", run: "touch if0.ran" }
	EOF
	RUNJOB_JOURNAL=$PWD/if0.db runjob if0.yaml &&
	test -f if0.ran &&
	echo succeeded >want &&
	q if0.db "select state from steps" >got &&
	test_cmp want got
'

test_expect_success 'if: exiting 1 skips the step; the run still exits 0' '
	cat >if1.yaml <<-\EOF &&
	runjob: 1
	name: if1
	steps:
	  - { id: s, if: "test -z yes", run: "touch if1.ran" }
	EOF
	RUNJOB_JOURNAL=$PWD/if1.db test_expect_code 0 runjob if1.yaml &&
	! test -e if1.ran &&
	echo skipped >want &&
	q if1.db "select state from steps" >got &&
	test_cmp want got
'

test_expect_success 'if: exiting 2 fails the step without running it' '
	cat >if2.yaml <<-\EOF &&
	runjob: 1
	name: if2
	steps:
	  - { id: s, if: "exit 2", run: "touch if2.ran" }
	EOF
	RUNJOB_JOURNAL=$PWD/if2.db test_expect_code 1 runjob if2.yaml &&
	! test -e if2.ran &&
	echo failed >want &&
	q if2.db "select state from steps" >got &&
	test_cmp want got &&
	echo "if|2" >want &&
	q if2.db "select kind, exit_code from attempts" >got &&
	test_cmp want got
'

test_expect_success 'declared outputs reach the steps that depend on it, directly or not, and the journal' '
	cat >outputs.yaml <<-\EOF &&
	runjob: 1
	name: outputs
	steps:
	  - id: produce
	    run: |
	      echo "KEPT=kept value" >>"$RUNJOB_OUTPUT"
	      echo "DROPPED=nope" >>"$RUNJOB_OUTPUT"
	    outputs: [KEPT]
	  - id: unrelated
	    run: printf "%s" "${KEPT-unset}" >unrelated.out
	  - id: direct
	    needs: [produce]
	    run: printf "%s|%s" "$KEPT" "${DROPPED-unset}" >direct.out
	  - id: indirect
	    needs: [direct]
	    run: printf "%s" "$KEPT" >indirect.out
	EOF
	RUNJOB_JOURNAL=$PWD/outputs.db runjob -j 1 outputs.yaml &&
	printf "kept value|unset" >want &&
	test_cmp want direct.out &&
	printf "kept value" >want &&
	test_cmp want indirect.out &&
	printf "unset" >want &&
	test_cmp want unrelated.out &&
	echo "produce|KEPT|kept value" >want &&
	q outputs.db "select step_id, name, value from outputs" >got &&
	test_cmp want got
'

test_expect_success '${{ steps.ID.outputs.NAME }} is expanded in a dependent step'\''s env: and dir:' '
	mkdir -p work-target &&
	cat >expand.yaml <<-\EOF &&
	runjob: 1
	name: expand
	steps:
	  - id: produce
	    run: echo "SUB=target" >>"$RUNJOB_OUTPUT"
	    outputs: [SUB]
	  - id: use
	    needs: [produce]
	    dir: "work-${{ steps.produce.outputs.SUB }}"
	    env: { WHERE: "in ${{ steps.produce.outputs.SUB }}" }
	    run: printf "%s|%s" "$WHERE" "$(basename "$PWD")" >../expand.out
	EOF
	RUNJOB_JOURNAL=$PWD/expand.db runjob expand.yaml &&
	printf "in target|work-target" >want &&
	test_cmp want expand.out
'

test_expect_success 'for_each runs ID[a] and ID[b] with $RUNJOB_ITEM; a step needing ID waits for both' '
	cat >fan.yaml <<-\EOF &&
	runjob: 1
	name: fan
	concurrency: 4
	steps:
	  - id: fan
	    for_each: [a, b]
	    run: |
	      if [ "$RUNJOB_ITEM" = a ]; then sleep 0.4; fi
	      echo "$RUNJOB_STEP $RUNJOB_ITEM" >fan-$RUNJOB_ITEM.out
	  - id: after
	    needs: [fan]
	    run: cat fan-a.out fan-b.out >after.out
	EOF
	RUNJOB_JOURNAL=$PWD/fan.db runjob fan.yaml &&
	printf "fan[a] a\nfan[b] b\n" >want &&
	test_cmp want after.out &&
	printf "after|succeeded\nfan[a]|succeeded\nfan[b]|succeeded\n" >want &&
	q fan.db "select step_id, state from steps order by step_id" >got &&
	test_cmp want got
'

test_expect_success 'fan-out items that differ only in / and _ keep apart: both outputs, two logs' '
	cat >slash.yaml <<-\EOF &&
	runjob: 1
	name: slash
	concurrency: 2
	steps:
	  - id: a
	    for_each: ["b/c", "b_c"]
	    outputs: [V]
	    run: |
	      n=$(printf "%s" "$RUNJOB_ITEM" | tr / -)
	      touch "started-$n"
	      i=0
	      while [ $i -lt 50 ] && ! [ -e started-b-c -a -e started-b_c ]; do
	        sleep 0.1; i=$((i + 1))
	      done
	      echo "V=$RUNJOB_ITEM" >>"$RUNJOB_OUTPUT"
	      echo "the log of $RUNJOB_ITEM"
	EOF
	RUNJOB_JOURNAL=$PWD/slash.db runjob slash.yaml &&
	printf "a[b/c]|V|b/c\na[b_c]|V|b_c\n" >want &&
	q slash.db "select step_id, name, value from outputs order by step_id" >got &&
	test_cmp want got &&
	q slash.db "select log from attempts where step_id = \"a[b/c]\"" >log1 &&
	q slash.db "select log from attempts where step_id = \"a[b_c]\"" >log2 &&
	test -s log1 && test -s log2 &&
	! test_cmp log1 log2 &&
	echo "the log of b/c" >want &&
	test_cmp want "$(cat log1)" &&
	echo "the log of b_c" >want &&
	test_cmp want "$(cat log2)"
'

test_expect_success 'a 250-character item runs, and status and show find its log' '
	item=$(printf "%0250d" 0 | tr 0 x) &&
	cat >long.yaml <<-EOF &&
	runjob: 1
	name: long
	steps:
	  - id: a
	    for_each: [$item]
	    run: echo "ran \$RUNJOB_ITEM"; exit 3
	EOF
	RUNJOB_JOURNAL=$PWD/long.db test_expect_code 1 runjob long.yaml 2>err &&
	test_grep -v "too long" err &&
	log=$(q long.db "select log from attempts") &&
	echo "ran $item" >want &&
	test_cmp want "$log" &&
	RUNJOB_JOURNAL=$PWD/long.db runjob status >out &&
	grep -F "log: $log" out &&
	RUNJOB_JOURNAL=$PWD/long.db runjob show "$(q long.db "select id from runs")" >out &&
	grep -F "log: $log" out
'

test_expect_success 'param values reach steps byte for byte, as environment variables, never as shell text' '
	cat >params.yaml <<-\EOF &&
	runjob: 1
	name: params
	params:
	  P1: x
	  P2: x
	  P3: x
	  P4: x
	  P5: x
	  P6: x
	env: { E1: "${{ params.P1 }}", E6: "${{ params.P6 }}" }
	steps:
	  - id: s
	    run: |
	      printf "%s" "$P1" >got1
	      printf "%s" "$P2" >got2
	      printf "%s" "$P3" >got3
	      printf "%s" "$P4" >got4
	      printf "%s" "$P5" >got5
	      printf "%s" "$P6" >got6
	      printf "%s" "$E1" >gotE1
	      printf "%s" "$E6" >gotE6
	EOF
	nl="
" &&
	v1="'\''; touch pwned; '\''" &&
	v2="\$(touch pwned2)" &&
	v3="\`touch pwned3\`" &&
	v4="first line${nl}second line \"quoted\"${nl}" &&
	v5="-n --help" &&
	v6="\${{ params.P1 }} \$HOME" &&
	RUNJOB_JOURNAL=$PWD/params.db runjob -p "P1=$v1" -p "P2=$v2" -p "P3=$v3" \
		-p "P4=$v4" -p "P5=$v5" -p "P6=$v6" params.yaml &&
	for i in 1 2 3 4 5 6
	do
		eval "printf \"%s\" \"\$v$i\"" >want$i &&
		test_cmp want$i got$i || return 1
	done &&
	test_cmp want1 gotE1 &&
	test_cmp want6 gotE6 &&
	! test -e pwned && ! test -e pwned2 && ! test -e pwned3
'

test_expect_success 'secrets setup' '
	cat >sec.yaml <<-\EOF
	runjob: 1
	name: sec
	params:
	  S: { secret: true, env: RUNJOB_TEST_SECRET }
	  M: { secret: true, env: RUNJOB_TEST_MULTI }
	  PLAIN: visible
	steps:
	  - id: leak
	    run: |
	      echo "plain: $S"
	      echo "to stderr: $S" >&2
	      s=$S
	      while [ -n "$s" ]; do
	        rest=${s#?}
	        printf %s "${s%"$rest"}"
	        s=$rest
	        sleep 0.01
	      done
	      echo
	      printf "%s\n" "$M"
	      printf "%s\n" "$M" | sed -n 2p
	      echo "TOK=$S" >>"$RUNJOB_OUTPUT"
	      printf "no newline at the end: %s" "$S"
	    outputs: [TOK]
	  - id: peek
	    needs: [leak]
	    run: |
	      test -n "$S" && test -n "$M"
	      ls "$RUNJOB_JOURNAL"* >journal-files
	      for f in "$RUNJOB_JOURNAL"*; do
	        if grep -a -q -F -e "$S" -e "$M" "$f"; then
	          echo "$f" >>leaked
	        fi
	      done
	      tr "\0" " " </proc/$$/cmdline >cmdline.step
	      tr "\0" " " </proc/$PPID/cmdline >cmdline.supervisor
	      rj=$(cut -d" " -f4 /proc/$PPID/stat)
	      tr "\0" " " </proc/$rj/cmdline >cmdline.runjob
	      echo "tok=$TOK"
	EOF
'

SECRET=Xyzzy-s3cret-0451
MULTI="first-line-abc
second-line-def"
export SECRET MULTI

# no_secret FILE...: none of the secrets, nor a line of one, nor the
# SHA-256 of one, is in any FILE.
no_secret() {
	for f
	do
		if grep -a -F -e "$SECRET" -e first-line-abc -e second-line-def \
			-e "$(printf %s "$SECRET" | sha256sum | cut -c1-64)" \
			-e "$(printf %s "$MULTI" | sha256sum | cut -c1-64)" "$f" >/dev/null
		then
			echo "a secret is in $f:" >&2
			grep -a -F -e "$SECRET" -e first-line-abc -e second-line-def "$f" >&2
			return 1
		fi
	done
}

test_expect_success 'a secret is masked on the terminal, also written a byte at a time or over lines' '
	rm -rf sec.db* leaked &&
	RUNJOB_TEST_SECRET=$SECRET RUNJOB_TEST_MULTI=$MULTI RUNJOB_JOURNAL=$PWD/sec.db \
		runjob -j 1 sec.yaml >out 2>&1 &&
	no_secret out &&
	test_grep "leak.*plain: \*\*\*$" out &&
	test_grep "leak.*to stderr: \*\*\*$" out &&
	test $(grep -c "leak | \*\*\*$" out) = 4 &&
	test_grep "leak.*no newline at the end: \*\*\*$" out &&
	test_grep "peek.*tok=\*\*\*$" out
'

test_expect_success 'a secret is masked in the step logs' '
	logs=$(q sec.db "select log from attempts where log is not null") &&
	test -n "$logs" &&
	for f in $logs
	do
		test -f "$f" || return 1
	done &&
	no_secret $logs &&
	cat $logs >all-logs &&
	test_grep "plain: \*\*\*$" all-logs &&
	test_grep "no newline at the end: \*\*\*$" all-logs
'

test_expect_success 'a secret is in no journal file, neither while the run writes it (-wal) nor after' '
	test_grep "sec.db-wal$" journal-files &&
	! test -e leaked &&
	no_secret sec.db* &&
	echo "{\"S\":\"***\",\"M\":\"***\",\"PLAIN\":\"visible\"}" >want &&
	q sec.db "select params from runs" >got &&
	test_cmp want got &&
	echo "leak|TOK|***" >want &&
	q sec.db "select step_id, name, value from outputs" >got &&
	test_cmp want got &&
	q sec.db "select output from attempts" >outputs &&
	no_secret outputs &&
	test_grep "plain: \*\*\*" outputs
'

test_expect_success 'a secret is on no command line: not the step'\''s, not runjob'\''s, not its supervisor'\''s' '
	test_grep "echo \"tok=\$TOK\"" cmdline.step &&
	test_grep "runjob .*sec.yaml" cmdline.runjob &&
	test_grep "^runjob supervise " cmdline.supervisor &&
	no_secret cmdline.step cmdline.runjob cmdline.supervisor
'

test_expect_success 'a secret a step writes to $RUNJOB_OUTPUT is not left on disk beside the logs' '
	dir=$(dirname "$(q sec.db "select log from attempts where step_id = \"leak\"")") &&
	test -d "$dir" &&
	find "$dir" -type f >files &&
	no_secret $(cat files)
'

test_expect_success 'a secret is masked in error messages' '
	cat >secerr.yaml <<-\EOF &&
	runjob: 1
	name: secerr
	params:
	  S: { secret: true, env: RUNJOB_TEST_SECRET, pattern: "^[0-9]+$" }
	steps:
	  - { id: s, run: "true" }
	EOF
	RUNJOB_TEST_SECRET=$SECRET RUNJOB_JOURNAL=$PWD/secerr.db \
		test_expect_code 3 runjob secerr.yaml >out 2>&1 &&
	test_grep "param S: value .\*\*\*. (from \$RUNJOB_TEST_SECRET) does not match" out &&
	no_secret out &&
	cat >secdir.yaml <<-\EOF &&
	runjob: 1
	name: secdir
	params:
	  S: { secret: true, env: RUNJOB_TEST_SECRET }
	steps:
	  - { id: s, dir: "nosuch-${{ params.S }}", run: "true" }
	EOF
	RUNJOB_TEST_SECRET=$SECRET RUNJOB_JOURNAL=$PWD/secdir.db \
		test_expect_code 1 runjob secdir.yaml >out 2>&1 &&
	test_grep "nosuch-\*\*\*" out &&
	no_secret out secdir.db* &&
	runjob status --journal secdir.db >out 2>&1 &&
	test_grep "nosuch-\*\*\*" out &&
	no_secret out
'

test_expect_success 'on_failure: stop lets running steps finish, starts nothing new; the rest are not-run' '
	cat >stop.yaml <<-\EOF &&
	runjob: 1
	name: stop
	steps:
	  - { id: slow, run: "sleep 0.5 && touch slow.done" }
	  - { id: bad, run: "exit 1" }
	  - { id: later, run: "touch later.ran" }
	  - { id: after-slow, needs: [slow], run: "touch after-slow.ran" }
	EOF
	RUNJOB_JOURNAL=$PWD/stop.db test_expect_code 1 runjob -j 2 stop.yaml &&
	test -f slow.done &&
	! test -e later.ran &&
	! test -e after-slow.ran &&
	printf "after-slow|not-run\nbad|failed\nlater|not-run\nslow|succeeded\n" >want &&
	q stop.db "select step_id, state from steps order by step_id" >got &&
	test_cmp want got
'

test_expect_success 'on_failure: continue runs every step whose needs succeeded; dependents of the failed one are not-run' '
	cat >cont.yaml <<-\EOF &&
	runjob: 1
	name: cont
	on_failure: continue
	steps:
	  - { id: bad, run: "exit 1" }
	  - { id: child, needs: [bad], run: "touch child.ran" }
	  - { id: grandchild, needs: [child], run: "touch grandchild.ran" }
	  - { id: ok, run: "sleep 0.2 && touch ok.ran" }
	  - { id: after-ok, needs: [ok], run: "touch after-ok.ran" }
	EOF
	RUNJOB_JOURNAL=$PWD/cont.db test_expect_code 1 runjob -j 1 cont.yaml &&
	test -f ok.ran && test -f after-ok.ran &&
	! test -e child.ran && ! test -e grandchild.ran &&
	printf "after-ok|succeeded\nbad|failed\nchild|not-run\ngrandchild|not-run\nok|succeeded\n" >want &&
	q cont.db "select step_id, state from steps order by step_id" >got &&
	test_cmp want got
'

test_expect_success 'selection setup' '
	cat >sel.yaml <<-\EOF
	runjob: 1
	name: sel
	steps:
	  - { id: a, run: "touch sel-a" }
	  - { id: b, needs: [a], run: "touch sel-b" }
	  - { id: c, needs: [b], run: "touch sel-c" }
	  - { id: d, run: "touch sel-d" }
	  - { id: e, needs: [a], run: "touch sel-e" }
	EOF
'

test_expect_success '--only STEP runs just that step' '
	rm -f sel-* &&
	RUNJOB_JOURNAL=$PWD/only.db runjob --only b sel.yaml &&
	echo sel-b >want &&
	ls sel-* >got &&
	test_cmp want got &&
	echo b >want &&
	q only.db "select step_id from attempts" >got &&
	test_cmp want got
'

test_expect_success '--from STEP runs it and its dependents' '
	rm -f sel-* &&
	RUNJOB_JOURNAL=$PWD/from.db runjob --from b sel.yaml &&
	printf "sel-b\nsel-c\n" >want &&
	ls sel-* >got &&
	test_cmp want got &&
	printf "b\nc\n" >want &&
	q from.db "select step_id from attempts order by step_id" >got &&
	test_cmp want got
'

test_expect_success '--dry-run prints the plan and the if: results, runs no step, journals nothing' '
	cat >dry.yaml <<-\EOF &&
	runjob: 1
	name: dry
	steps:
	  - { id: first, run: "touch dry.ran" }
	  - { id: probed-yes, needs: [first], if: "test \"$RUNJOB_DRY_RUN\" = 1", run: "touch dry.ran" }
	  - { id: probed-no, needs: [first], if: "test \"$RUNJOB_DRY_RUN\" != 1", run: "touch dry.ran" }
	EOF
	rm -f dry.ran &&
	RUNJOB_JOURNAL=$PWD/dry.db test_expect_code 0 runjob --dry-run dry.yaml >out 2>&1 &&
	test_grep "first .*run: touch dry.ran" out &&
	test_grep "needs first" out &&
	test_grep "probed-yes.*would run" out &&
	test_grep "probed-no.*would be skipped" out &&
	! test -e dry.ran &&
	! test -e dry.db
'

test_expect_success '--dry-run exits 3 when an if: probe exits 2' '
	cat >dry2.yaml <<-\EOF &&
	runjob: 1
	name: dry2
	steps:
	  - { id: broken, if: "exit 2", run: "touch dry2.ran" }
	EOF
	RUNJOB_JOURNAL=$PWD/dry2.db test_expect_code 3 runjob --dry-run dry2.yaml >out 2>&1 &&
	test_grep "broken" out &&
	! test -e dry2.ran &&
	! test -e dry2.db
'

test_expect_success 'the journal is created mode 0600, in WAL mode, at the schema version runjob knows' '
	cat >mode.yaml <<-\EOF &&
	runjob: 1
	name: mode
	steps:
	  - { id: s, run: "stat -c %a \"$RUNJOB_JOURNAL\" \"$RUNJOB_JOURNAL-wal\" >mode.during" }
	EOF
	(umask 022 && RUNJOB_JOURNAL=$PWD/mode.db runjob mode.yaml) &&
	echo 600 >want &&
	stat -c %a mode.db >got &&
	test_cmp want got &&
	printf "600\n600\n" >want &&
	test_cmp want mode.during &&
	echo wal >want &&
	q mode.db "PRAGMA journal_mode" >got &&
	test_cmp want got &&
	sed -n "s/^#define JOURNAL_VERSION \([0-9][0-9]*\)$/\1/p" "$RUNJOB_ROOT/journal/journal.h" >want &&
	test $(cat want) -ge 1 &&
	q mode.db "PRAGMA user_version" >got &&
	test_cmp want got
'

test_expect_success 'a run records the full job text, its sha256, params, user, host and pid' '
	printf "# r\303\251sum\303\251 of a job  \nrunjob: 1\nname: record\nparams:\n  A: { default: x }\n  T: { secret: true, default: \"tok-9f8e7d\" }\nsteps:\n  - { id: s, run: \"read a b c p x </proc/\$PPID/stat; echo \$p >record.ppid\" }\n" >record.yaml &&
	RUNJOB_JOURNAL=$PWD/record.db runjob -p A="a b" record.yaml &&
	q record.db "select writefile(\"record.text\", text) from runs" &&
	cmp record.yaml record.text &&
	sha256sum record.yaml | cut -c1-64 >want &&
	q record.db "select sha256 from runs" >got &&
	test_cmp want got &&
	echo "{\"A\":\"a b\",\"T\":\"***\"}" >want &&
	q record.db "select params from runs" >got &&
	test_cmp want got &&
	echo "$(id -un)|$(uname -n)|$(cat record.ppid)|$PWD/record.yaml|manual|succeeded" >want &&
	q record.db "select user, host, pid, file, trigger, state from runs" >got &&
	test_cmp want got &&
	echo 0 >want &&
	q record.db "select count(*) from runs where started is null or ended is null or ended < started" >got &&
	test_cmp want got
'

test_expect_success 'every attempt records its pid, start, end and exit code' '
	cat >att.yaml <<-\EOF &&
	runjob: 1
	name: att
	on_failure: continue
	steps:
	  - { id: a, run: "echo $$ >att-a.pid" }
	  - { id: b, run: "echo $$ >att-b.pid; exit 3" }
	EOF
	RUNJOB_JOURNAL=$PWD/att.db test_expect_code 1 runjob att.yaml &&
	printf "a|%s|0|succeeded\nb|%s|3|failed\n" $(cat att-a.pid) $(cat att-b.pid) >want &&
	q att.db "select step_id, pid, exit_code, state from attempts order by step_id" >got &&
	test_cmp want got &&
	echo 0 >want &&
	q att.db "select count(*) from attempts where started is null or ended is null or ended < started" >got &&
	test_cmp want got
'

test_expect_success 'events carry a hash chain: each row'\''s prev is the hash of the one before' '
	RUNJOB_JOURNAL=$PWD/chain.db runjob ok.yaml &&
	RUNJOB_JOURNAL=$PWD/chain.db test_expect_code 1 runjob fail.yaml &&
	test $(q chain.db "select count(distinct run_id) from events") = 2 &&
	test $(q chain.db "select count(*) from events") -ge 8 &&
	echo 0 >want &&
	q chain.db "select count(*) from (select prev, lag(hash) over (order by seq) as h
		from events) where h is not null and prev <> h" >got &&
	test_cmp want got &&
	q chain.db "select count(*) from events where length(hash) <> 64 or hash glob \"*[^0-9a-f]*\"" >got &&
	test_cmp want got &&
	q chain.db "select count(*) - count(distinct hash) from events" >got &&
	test_cmp want got
'

test_expect_success 'without --journal the journal is .runjob/journal.db at the top of the git work tree' '
	rm -rf repo &&
	git init -q repo &&
	mkdir -p repo/sub/deeper &&
	cp ok.yaml repo/sub/deeper/job.yaml &&
	(cd / && runjob "$TRASH_DIRECTORY/repo/sub/deeper/job.yaml") &&
	test -f repo/.runjob/journal.db &&
	! test -e repo/sub/deeper/.runjob &&
	! test -e repo/sub/.runjob &&
	echo "ok|succeeded" >want &&
	q repo/.runjob/journal.db "select job, state from runs" >got &&
	test_cmp want got
'

test_expect_success 'without --journal and outside git the journal is beside the job file' '
	tmp=$(mktemp -d) &&
	test_when_finished "rm -rf \"$tmp\"" &&
	test_must_fail git -C "$tmp" rev-parse --git-dir 2>/dev/null &&
	mkdir "$tmp/sub" &&
	cp ok.yaml "$tmp/sub/job.yaml" &&
	runjob "$tmp/sub/job.yaml" &&
	test -f "$tmp/sub/.runjob/journal.db" &&
	! test -e "$tmp/.runjob" &&
	echo "ok|succeeded" >want &&
	q "$tmp/sub/.runjob/journal.db" "select job, state from runs" >got &&
	test_cmp want got
'

test_expect_success 'the readers find the default journal from the current directory or the job file' '
	(cd repo/sub && runjob history) >out &&
	test_grep "ok .*succeeded" out &&
	runjob status repo/sub/deeper/job.yaml >out &&
	test_grep "of job ok: succeeded" out
'

test_expect_success 'RUNJOB_JOURNAL chooses the journal; --journal wins over it' '
	RUNJOB_JOURNAL=$PWD/env.db runjob ok.yaml &&
	test -f env.db &&
	RUNJOB_JOURNAL=$PWD/env2.db runjob --journal "$PWD/flag.db" ok.yaml &&
	test -f flag.db &&
	! test -e env2.db &&
	echo 1 >want &&
	q flag.db "select count(*) from runs" >got &&
	test_cmp want got
'

test_expect_success 'a run of a job file in git records its commit, blob and whether it was dirty' '
	rm -rf gitrepo &&
	git init -q gitrepo &&
	cp ok.yaml gitrepo/job.yaml &&
	git -C gitrepo add job.yaml &&
	git -C gitrepo -c user.name=t -c user.email=t@example.com commit -q -m job &&
	RUNJOB_JOURNAL=$PWD/git.db runjob gitrepo/job.yaml &&
	echo "$(git -C gitrepo rev-parse HEAD)|$(git -C gitrepo rev-parse HEAD:job.yaml)|0" >want &&
	q git.db "select git_commit, git_blob, git_dirty from runs" >got &&
	test_cmp want got &&
	echo "# changed" >>gitrepo/job.yaml &&
	RUNJOB_JOURNAL=$PWD/git.db runjob gitrepo/job.yaml &&
	echo 1 >want &&
	q git.db "select git_dirty from runs order by started desc, rowid desc limit 1" >got &&
	test_cmp want got
'

test_expect_success 'readers setup: three runs of two jobs in one journal' '
	cat >one.yaml <<-\EOF &&
	runjob: 1
	name: one
	steps:
	  - { id: s, run: "echo $RUNJOB_RUN_ID >>run-ids" }
	EOF
	cat >two.yaml <<-\EOF &&
	runjob: 1
	name: two
	steps:
	  - { id: good, run: "echo $RUNJOB_RUN_ID >>run-ids" }
	  - id: bad
	    needs: [good]
	    run: |
	      i=1
	      while [ $i -le 30 ]; do echo "output line $i"; i=$((i + 1)); done
	      exit 4
	EOF
	rm -f run-ids &&
	RUNJOB_JOURNAL=$PWD/read.db runjob one.yaml &&
	sleep 0.01 &&
	RUNJOB_JOURNAL=$PWD/read.db test_expect_code 1 runjob two.yaml &&
	sleep 0.01 &&
	RUNJOB_JOURNAL=$PWD/read.db runjob one.yaml &&
	test $(wc -l <run-ids) = 3
'

RUN1=$(sed -n 1p run-ids 2>/dev/null)
RUN2=$(sed -n 2p run-ids 2>/dev/null)
RUN3=$(sed -n 3p run-ids 2>/dev/null)
export RUN1 RUN2 RUN3

test_expect_success 'runjob status shows the failed step, its exit code, its last output lines and its log' '
	RUNJOB_JOURNAL=$PWD/read.db runjob status two.yaml >out &&
	test_grep "$RUN2" out &&
	test_grep "bad  *failed .* 4$" out &&
	test_grep "output line 30$" out &&
	test_grep -v "output line 1$" out &&
	log=$(q read.db "select log from attempts where step_id = \"bad\"") &&
	test -n "$log" &&
	test_grep "$log" out &&
	test_grep "^output line 1$" "$log" &&
	test_grep "^output line 30$" "$log"
'

test_expect_success 'runjob status without arguments shows the latest run; with RUN, that run' '
	RUNJOB_JOURNAL=$PWD/read.db runjob status >out &&
	test_grep "run $RUN3 of job one" out &&
	RUNJOB_JOURNAL=$PWD/read.db runjob status "$RUN1" >out &&
	test_grep "run $RUN1 of job one" out &&
	test_grep -v "$RUN3" out
'

test_expect_success 'runjob status JOB.yaml shows the latest run of that job' '
	RUNJOB_JOURNAL=$PWD/read.db runjob status two.yaml >out &&
	test_grep "run $RUN2 of job two" out &&
	RUNJOB_JOURNAL=$PWD/read.db runjob status one.yaml >out &&
	test_grep "run $RUN3 of job one" out
'

test_expect_success 'runjob history lists the runs newest first, with job, who and outcome' '
	RUNJOB_JOURNAL=$PWD/read.db runjob history >out &&
	grep "^[0-9]" out | awk "{ print \$1, \$2 }" >got &&
	printf "%s one\n%s two\n%s one\n" "$RUN3" "$RUN2" "$RUN1" >want &&
	test_cmp want got &&
	who="$(id -un)@$(uname -n)" &&
	test $(grep -c -F "$who" out) = 3 &&
	test_grep "^$RUN2 .*failed" out &&
	test_grep "^$RUN3 .*succeeded" out
'

test_expect_success 'runjob history --limit 1 lists only the newest run' '
	RUNJOB_JOURNAL=$PWD/read.db runjob history --limit 1 >out &&
	grep "^[0-9]" out | awk "{ print \$1 }" >got &&
	echo "$RUN3" >want &&
	test_cmp want got
'

test_expect_success 'runjob history --json gives one JSON object a line' '
	RUNJOB_JOURNAL=$PWD/read.db runjob history --json >out &&
	/usr/bin/python3 -c "import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
got = [(r[\"id\"], r[\"job\"], r[\"state\"], r[\"user\"], r[\"host\"]) for r in rows]
print(\"\n\".join(\"|\".join(map(str, g)) for g in got))" out >got &&
	printf "%s|one|succeeded|%s|%s\n%s|two|failed|%s|%s\n%s|one|succeeded|%s|%s\n" \
		"$RUN3" "$(id -un)" "$(uname -n)" "$RUN2" "$(id -un)" "$(uname -n)" \
		"$RUN1" "$(id -un)" "$(uname -n)" >want &&
	test_cmp want got
'

test_expect_success 'runjob show RUN lists every event of the run' '
	RUNJOB_JOURNAL=$PWD/read.db runjob show "$RUN2" >out &&
	q read.db "select seq, kind, coalesce(step_id, \"-\") from events where run_id = \"$RUN2\" order by seq" >events &&
	test $(wc -l <events) -ge 6 &&
	while IFS="|" read seq kind step
	do
		grep "^ *$seq .* $kind  *$step " out >/dev/null || {
			echo "event $seq $kind $step not shown" >&2
			return 1
		}
	done <events &&
	test_grep -v "$RUN1" out
'

test_expect_success 'runjob show --json is one JSON object with run, steps, attempts, outputs and events' '
	RUNJOB_JOURNAL=$PWD/read.db runjob show --json "$RUN2" >out &&
	test $(wc -l <out) = 1 &&
	q read.db "select count(*) from events where run_id = \"$RUN2\"" >nevents &&
	json_check out "
assert sorted(d) == [\"attempts\", \"events\", \"outputs\", \"run\", \"steps\"], sorted(d)
assert d[\"run\"][\"id\"] == \"$RUN2\"
assert d[\"run\"][\"job\"] == \"two\"
assert len(d[\"events\"]) == $(cat nevents), len(d[\"events\"])
assert sorted(s[\"step_id\"] for s in d[\"steps\"]) == [\"bad\", \"good\"]
assert [a[\"exit_code\"] for a in d[\"attempts\"] if a[\"step_id\"] == \"bad\"] == [4]
"
'

test_expect_success 'runjob show --json hides the default of a secret param in the job text it shows' '
	printf "runjob: 1\nname: sectext\nparams:\n  T: { secret: true, default: \"tok-5a4b3c\" }\n  U: { default: tok-5a4b3c-not }\nsteps:\n  - { id: s, run: \"true\" }\n" >sectext.yaml &&
	RUNJOB_JOURNAL=$PWD/sectext.db runjob sectext.yaml 2>err &&
	test_grep "sectext.yaml:4:31: warning: param T is secret" err &&
	RUNJOB_JOURNAL=$PWD/sectext.db runjob show --json "$(q sectext.db "select id from runs")" >out &&
	test_grep -v "tok-5a4b3c" out &&
	json_check out "
text = open(\"sectext.yaml\").read()
assert d[\"run\"][\"text\"] == text.replace(\"tok-5a4b3c\", \"***\"), d[\"run\"][\"text\"]
"
'

test_expect_success 'runjob show --csv gives a header and one row per event' '
	RUNJOB_JOURNAL=$PWD/read.db runjob show --csv "$RUN2" >out &&
	q read.db "select seq from events where run_id = \"$RUN2\" order by seq" >want &&
	/usr/bin/python3 -c "import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline=\"\")))
assert len(set(len(r) for r in rows)) == 1, rows
print(\"\n\".join(r[0] for r in rows[1:]))" out >got &&
	test_cmp want got
'

test_expect_success 'an unknown run id is a clear error' '
	test_must_fail env RUNJOB_JOURNAL=$PWD/read.db runjob show 20000101-000000-000000 2>err &&
	test_grep "20000101-000000-000000" err &&
	test_must_fail env RUNJOB_JOURNAL=$PWD/read.db runjob status 20000101-000000-000000 2>err &&
	test_grep "20000101-000000-000000" err
'

test_expect_success 'a plain file at the journal path is refused and left unchanged' '
	echo "my notes, not a journal" >notes.db &&
	sha256sum notes.db >before &&
	test_must_fail runjob --journal notes.db usage.yaml 2>err &&
	test_grep "notes.db" err &&
	test_grep "not a runjob journal" err &&
	! test -e usage.ran &&
	test_must_fail runjob history --journal notes.db 2>err &&
	test_grep "notes.db" err &&
	sha256sum -c before &&
	! test -e notes.db-wal
'

test_expect_success 'an SQLite database of another application is refused and left unchanged' '
	q other.db "create table notes (t text); insert into notes values (\"keep me\")" &&
	sha256sum other.db >before &&
	test_must_fail runjob --journal other.db usage.yaml 2>err &&
	test_grep "other.db" err &&
	test_grep "not a runjob journal" err &&
	! test -e usage.ran &&
	test_must_fail runjob history --journal other.db 2>err &&
	test_grep "other.db" err &&
	sha256sum -c before &&
	! test -e other.db-wal &&
	echo delete >want &&
	q other.db "PRAGMA journal_mode" >got &&
	test_cmp want got
'

test_done
