#!/bin/sh
test_description='runjob report: a summary for a ticket, and one self-contained HTML page a browser shows'
. "$(dirname "$0")/test-lib.sh"

SECRET=Rep0rt-s3cret
export SECRET

test_expect_success 'setup: a run that fails and rolls back' '
	cat >rep.yaml <<-\EOF &&
	runjob: 1
	name: rep
	params:
	  S: { secret: true, env: SECRET }
	on_failure: rollback
	steps:
	  - { id: fetch, run: "echo \"<b>fetched</b> & $S\"; sleep 0.2", rollback: "echo undone" }
	  - { id: apply, needs: [fetch], run: "echo applying; exit 3" }
	  - { id: count, needs: [fetch], run: "sleep 0.3" }
	EOF
	test_expect_code 1 runjob --journal "$PWD/j.db" rep.yaml >out 2>&1 &&
	q j.db "select id from runs" >run.id &&
	test -s run.id
'

test_expect_success 'report RUN prints a summary: outcome, version, who, each step' '
	runjob report --journal "$PWD/j.db" "$(cat run.id)" >summary &&
	test_grep "^run $(cat run.id) of job rep: rolled-back (exit 1)$" summary &&
	test_grep "by .*@.* (manual)" summary &&
	test_grep "^  apply  *failed  *1 .* 3$" summary &&
	test_grep "^  fetch  *rolled-back " summary &&
	! grep -F "$SECRET" summary
'

test_expect_success 'report --html writes one page that needs no network and no script, everything escaped' '
	runjob report --journal "$PWD/j.db" --html -o report.html rep &&
	test_grep "^<!DOCTYPE html>" report.html &&
	test_grep "<svg" report.html &&
	! grep -i "<script" report.html &&
	! grep -E -i "(src|href)=" report.html &&
	! grep -F "$SECRET" report.html &&
	test_grep "&lt;b&gt;fetched&lt;/b&gt; &amp; \*\*\*" report.html &&
	for s in fetch apply count; do
		test_grep ">$s<" report.html || return 1
	done &&
	test_grep "fetch (rollback)" report.html &&
	test_grep "#c62828" report.html
'

test_expect_success 'report: -o without --html, or a run not in the journal, is a usage error' '
	test_expect_code 2 runjob report --journal "$PWD/j.db" -o x.html rep 2>err &&
	test_grep "html" err &&
	test_expect_code 2 runjob report --journal "$PWD/j.db" nosuch 2>err &&
	test_grep "no run nosuch" err
'

test_expect_success 'a browser shows the page: not blank, the steps in its text' '
	command -v chromium >/dev/null &&
	echo "<!DOCTYPE html><html><body></body></html>" >blank.html &&
	shot() {
		timeout 120 chromium --headless --no-sandbox --disable-gpu \
			--user-data-dir="$PWD/chromium" --window-size=1200,900 "$@" \
			2>/dev/null
	} &&
	shot --screenshot="$PWD/blank.png" "file://$PWD/blank.html" &&
	shot --screenshot="$PWD/report.png" "file://$PWD/report.html" &&
	test -s report.png &&
	test $(wc -c <report.png) -gt $((4 * $(wc -c <blank.png))) &&
	shot --dump-dom "file://$PWD/report.html" >dom &&
	for s in fetch apply count rolled-back; do
		test_grep "$s" dom || return 1
	done
'

test_expect_success 'the window'"'"'s close is read from the files the run was built from, not the work tree'"'"'s' '
	mkdir win && cd win &&
	mkdir presets &&
	cat >presets/night.yaml <<-\EOF &&
	runjob: 1
	window: { cron: "0 2 * * SAT", duration: 1h }
	EOF
	cat >win.yaml <<-\EOF &&
	runjob: 1
	name: win
	extends: presets/night.yaml
	steps:
	  - { id: s, timeout: 1m, run: "true" }
	EOF
	RUNJOB_NOW=2026-12-12T02:10:00Z runjob -q --journal "$PWD/j.db" win.yaml &&
	runjob report --journal "$PWD/j.db" win >before &&
	test_grep "^  window    closes 2026-12-12T03:00:00Z$" before &&
	runjob report --journal "$PWD/j.db" --html -o before.html win &&
	test_grep "<th>window closes</th><td>2026-12-12T03:00:00Z</td>" before.html &&
	printf "runjob: 1\n" >presets/night.yaml &&
	runjob report --journal "$PWD/j.db" win >after &&
	test_cmp before after &&
	rm presets/night.yaml &&
	runjob report --journal "$PWD/j.db" --html -o gone.html win &&
	test_grep "<th>window closes</th><td>2026-12-12T03:00:00Z</td>" gone.html
'

test_expect_success 'the page of a 10,000-step run stays under 10 MB' '
	{
		printf "runjob: 1\nname: big\nsteps:\n"
		i=0
		while [ $i -lt 10000 ]; do
			printf "  - { id: s%d, run: \"true\" }\n" $i
			i=$((i + 1))
		done
	} >big.yaml &&
	runjob -q -j 2 --journal "$PWD/big.db" big.yaml &&
	runjob report --journal "$PWD/big.db" --html -o big.html big &&
	test $(wc -c <big.html) -lt $((10 * 1024 * 1024)) &&
	test_grep ">s9999<" big.html
'

test_done
