#!/bin/sh
test_description='maintenance windows and blackouts: check, plan and due'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: weekly
	window:
	  cron: "0 2 * * SAT"
	  duration: 3h
	  timezone: Europe/Berlin
	blackout:
	  - { from: 2026-12-20, to: 2027-01-04, reason: code freeze }
	  - { from: "2027-02-06T02:00:00Z", to: "2027-02-06T03:00:00Z" }
	steps:
	  - id: copy
	    run: "true"
	    timeout: 20m
	  - id: switch
	    needs: [copy]
	    run: "true"
	EOF
	cat >always.yaml <<-\EOF
	runjob: 1
	name: always
	steps:
	  - { id: a, run: "true" }
	EOF
'

test_expect_success 'check takes windows and blackouts, and warns of steps without a timeout' '
	runjob check job.yaml >out 2>err &&
	test_grep "job.yaml: ok" out &&
	test_grep "job.yaml:14:5: warning: step switch has no timeout: .*maintenance window closes" err &&
	test_must_fail test_grep "step copy" err &&
	runjob check always.yaml 2>err &&
	test_must_fail test_grep warning err
'

test_expect_success 'check reports a bad window or blackout at its file:line:col' '
	cat >bad.yaml <<-\EOF &&
	runjob: 1
	name: bad
	window:
	  - { cron: "0 2 * * SATX", duration: 3h }
	  - { cron: "0 0 31 2 *", duration: 3h }
	  - { cron: "0 2 * * *", duration: 0s, timezone: Europe/Nowhere }
	  - { cron: "0 2 * * *", duration: 8d, timezone: ../../etc/passwd }
	blackout:
	  - { from: 2027-01-04, to: 2026-12-20 }
	  - { from: 2026-12-20, to: "2027-01-04T00:00:00Z" }
	  - { from: 2026-02-30, to: 2026-03-01 }
	  - { cron: "0 9 * * MON-FRI", from: 2026-12-20 }
	on_window_close: later
	steps:
	  - { id: a, run: "true", timeout: 1m }
	EOF
	test_expect_code 3 runjob check bad.yaml 2>err &&
	test_grep "bad.yaml:4:13: error: window.cron \"0 2 \* \* SATX\": day-of-week field .SATX.: unknown name" err &&
	test_grep "bad.yaml:5:13: error: window.cron \"0 0 31 2 \*\": .31 2. never happens" err &&
	test_grep "bad.yaml:6:36: error: window.duration must be longer than 0" err &&
	test_grep "bad.yaml:6:50: error: window.timezone: unknown time zone .Europe/Nowhere." err &&
	test_grep "bad.yaml:7:36: error: window.duration: .8d. is longer than 7d" err &&
	test_grep "bad.yaml:7:50: error: window.timezone: .\.\./\.\./etc/passwd. is not a time zone name" err &&
	test_grep "bad.yaml:9:29: error: blackout.to (2026-12-20) is before blackout.from (2027-01-04)" err &&
	test_grep "bad.yaml:10:29: error: blackout.to is an instant but blackout.from is a date" err &&
	test_grep "bad.yaml:11:13: error: blackout.from: .2026-02-30. is not a date" err &&
	test_grep "bad.yaml:12:38: error: a blackout is either recurring" err &&
	test_grep "bad.yaml:13:18: error: on_window_close: .later. is not one of pause, rollback" err
'

test_expect_success 'due: open inside the window, with when it closes; exit 0' '
	RUNJOB_NOW=2026-12-12T01:30:00Z runjob due job.yaml >out &&
	test_grep "^job.yaml (weekly): open until 2026-12-12 05:00 Europe/Berlin (2026-12-12T04:00:00Z), for 2h 30m\$" out &&
	test_grep "next opening: 2026-12-19 02:00 Europe/Berlin (2026-12-19T01:00:00Z), in 6d 23h; closes 2026-12-19 05:00 Europe/Berlin (2026-12-19T04:00:00Z)" out
'

test_expect_success 'due: outside the window exits 5 and says when it opens' '
	test_expect_code 5 env RUNJOB_NOW=2026-12-12T04:00:00Z runjob due job.yaml >out &&
	test_grep "^job.yaml (weekly): closed\$" out &&
	test_grep "next opening: 2026-12-19 02:00 Europe/Berlin" out
'

test_expect_success 'due: a blackout wins over the window and is named' '
	test_expect_code 5 runjob due --at 2026-12-26T02:00:00Z job.yaml >out &&
	test_grep "blackout in force: code freeze, until 2027-01-05 00:00 Europe/Berlin (2027-01-04T23:00:00Z)" out &&
	test_grep "next opening: 2027-01-09 02:00 Europe/Berlin (2027-01-09T01:00:00Z)" out &&
	test_expect_code 5 runjob due --at 2027-02-06T02:30:00Z job.yaml >out &&
	test_grep "blackout in force: blackout, until 2027-02-06 04:00 Europe/Berlin" out &&
	test_grep "next opening: 2027-02-06 04:00 Europe/Berlin (2027-02-06T03:00:00Z)" out
'

test_expect_success 'due --at takes a time on the job clock, and --json' '
	runjob due --json --at 2026-12-12T02:30 job.yaml >out &&
	test_grep "\"job\":\"weekly\",\"timezone\":\"Europe/Berlin\"" out &&
	test_grep "\"at\":{\"local\":\"2026-12-12 02:30 Europe/Berlin\",\"utc\":\"2026-12-12T01:30:00Z\"}" out &&
	test_grep "\"open\":true,\"closes\":{\"local\":\"2026-12-12 05:00 Europe/Berlin\",\"utc\":\"2026-12-12T04:00:00Z\"}" out &&
	test_grep "\"blackout\":null" out
'

test_expect_success 'due over several jobs: 5 when one is closed; 3 for an invalid one; 2 for bad usage' '
	RUNJOB_NOW=2026-12-12T01:30:00Z runjob due job.yaml always.yaml >out &&
	test_grep "^always.yaml (always): open: no window and no blackout\$" out &&
	test_expect_code 5 env RUNJOB_NOW=2026-12-13T01:30:00Z runjob due always.yaml job.yaml &&
	test_expect_code 3 runjob due job.yaml bad.yaml >out 2>err &&
	test_grep "bad.yaml:4:13: error" err &&
	test_expect_code 2 runjob due 2>err &&
	test_expect_code 2 runjob due --at tomorrow job.yaml 2>err &&
	test_grep "\-\-at tomorrow" err
'

test_expect_success 'a RUNJOB_NOW runjob cannot go by is refused, before anything runs' '
	ls -a | grep -v -e "^before\$" -e "^after\$" >before &&
	test_expect_code 2 env RUNJOB_NOW=1969-12-31T23:59:59Z runjob due job.yaml 2>err &&
	test_grep "RUNJOB_NOW=.1969-12-31T23:59:59Z. is not an instant" err &&
	test_expect_code 2 env RUNJOB_NOW=2101-01-01T00:00:00Z runjob always.yaml 2>err &&
	test_grep "between 1970 and 2100" err &&
	test_expect_code 2 env RUNJOB_NOW=soon runjob check job.yaml 2>err &&
	ls -a | grep -v -e "^before\$" -e "^after\$" >after &&
	test_cmp before after
'

test_expect_success 'plan shows the window state and the next 5 openings' '
	RUNJOB_NOW=2026-12-19T12:00:00Z runjob plan job.yaml >out 2>/dev/null &&
	test_grep "^window (times in Europe/Berlin and UTC; now 2026-12-19 13:00 Europe/Berlin (2026-12-19T12:00:00Z))\$" out &&
	test_grep "^  closed; opens 2027-01-09 02:00 Europe/Berlin (2027-01-09T01:00:00Z)\$" out &&
	test_grep "^next 5 openings\$" out &&
	test_grep "^  2027-01-09 02:00 Europe/Berlin (2027-01-09T01:00:00Z) to 2027-01-09 05:00 Europe/Berlin (2027-01-09T04:00:00Z)\$" out &&
	test_grep "^  2027-02-06 02:00 Europe/Berlin (2027-02-06T01:00:00Z) to 2027-02-06 03:00 Europe/Berlin (2027-02-06T02:00:00Z)\$" out &&
	test "$(sed -n "/^next 5 openings/,/^\$/p" out | grep -c " to ")" = 5 &&
	RUNJOB_NOW=2026-12-19T12:00:00Z runjob plan --json job.yaml >json 2>/dev/null &&
	test_grep "\"window\":{\"timezone\":\"Europe/Berlin\",\"on_window_close\":\"pause\",\"open\":false" json &&
	runjob plan --json always.yaml >json &&
	test_grep "\"window\":null" json
'

test_done
