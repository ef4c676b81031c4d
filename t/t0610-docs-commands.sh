#!/bin/sh
test_description='every runjob command README.md and docs/*.md show runs, and prints what they show'
. "$(dirname "$0")/test-lib.sh"

# The commands run in a git work tree of their own, as a reader's
# checkout would be: the project's examples and jobs, committed, and the
# files the documents tell the reader to write (broken.yaml, my.env).
DOCS="$RUNJOB_ROOT/README.md $RUNJOB_ROOT/docs/redis-to-valkey.md $RUNJOB_ROOT/docs/reviewing-a-run.md"

test_expect_success 'setup: a checkout of the examples and jobs, and the files the documents have the reader write' '
	mkdir repo && cd repo &&
	cp -R "$RUNJOB_ROOT/examples" "$RUNJOB_ROOT/jobs" . &&
	# README: a job file with a misspelt key at line 13.
	cat >broken.yaml <<-\EOF &&
	# The README shows what runjob check says of this file.
	runjob: 1
	name: broken
	description: a key misspelt

	params:
	  MODE: { default: fast }

	steps:
	  - id: prep
	    run: echo prep
	  - id: a
	    timout: 30s
	    run: echo a
	EOF
	# docs/redis-to-valkey.md: my.env, from the example, readable by its owner alone.
	cp jobs/redis-to-valkey.example.env my.env && chmod 600 my.env &&
	# docs/reviewing-a-run.md: nightly.env, the param values of
	# jobs/nightly-maintenance.yaml, for an application in app/.
	mkdir -p app/logs && echo line >app/logs/today.log &&
	sqlite3 app/app.db "create table t (x); insert into t values (1)" &&
	echo "APP_DIR=$PWD/app" >nightly.env &&
	printf "app/\n*.env\n" >.gitignore &&
	git init -q . && git add -A &&
	git -c user.name=t -c user.email=t@t commit -q -m docs
'

test_expect_success 'every command the documents show runs as they show it' '
	cd repo &&
	{ /usr/bin/python3 "$TEST_DIRECTORY/docs-commands.py" $DOCS >report 2>&1; code=$?; } &&
	cat report &&
	test $code = 0 &&
	test "$(grep -c "^ok " report)" -ge 20
'

test_expect_success 'a shown output that drifts is caught' '
	cd repo &&
	sed "s/examples\/continue.yaml: ok (4 steps in 2 waves)/examples\/continue.yaml: ok (5 steps in 2 waves)/" \
		"$RUNJOB_ROOT/README.md" >drifted.md &&
	! cmp -s drifted.md "$RUNJOB_ROOT/README.md" &&
	test_must_fail /usr/bin/python3 "$TEST_DIRECTORY/docs-commands.py" drifted.md >report 2>&1 &&
	test_grep "^FAIL drifted.md:[0-9]*: runjob check examples/\*.yaml: its output is not what the document shows" report
'

test_expect_success 'a shown command that no longer runs is caught' '
	cd repo &&
	sed "s/runjob plan -p REGIONS=eu,us examples\/fan-out.yaml/runjob plan -p REGIONS=eu,us examples\/fan-in.yaml/" \
		"$RUNJOB_ROOT/README.md" >drifted.md &&
	test_must_fail /usr/bin/python3 "$TEST_DIRECTORY/docs-commands.py" drifted.md >report 2>&1 &&
	test_grep "^FAIL drifted.md:[0-9]*: runjob plan -p REGIONS=eu,us examples/fan-in.yaml: exited 3, not 0" report
'

test_done
