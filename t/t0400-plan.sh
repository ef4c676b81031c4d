#!/bin/sh
test_description='runjob plan shows waves, params, fan-out and the rollback order'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	cat >job.yaml <<-\EOF
	runjob: 1
	name: deploy
	description: Ship it
	on_failure: rollback
	concurrency: 2
	timeout: 1h
	params:
	  REGIONS: { default: "eu,us" }
	  TOKEN: { secret: true, default: "tok-123456" }
	steps:
	  - id: build
	    run: make
	    timeout: 10m
	    retry: { attempts: 3, delay: 2s, backoff: 2, max_delay: 1m, on_exit: [75] }
	  - id: lint
	    run: make lint
	  - id: push
	    needs: [build, lint]
	    for_each: "${{ params.REGIONS }}"
	    run: ./push.sh "$RUNJOB_ITEM"
	    rollback: ./unpush.sh "$RUNJOB_ITEM"
	  - id: switch
	    needs: [push]
	    if: test -n "$TOKEN"
	    run: ./switch.sh
	    rollback:
	      run: ./switch.sh --back
	  - id: notify
	    needs: [build]
	    run: echo built
	EOF
'

test_expect_success 'plan prints the steps in waves with their details' '
	runjob plan job.yaml >out &&
	cat >want <<-\EOF &&
	job deploy (job.yaml)
	  Ship it
	6 steps in 3 waves; on failure: rollback; concurrency 2; timeout 1h

	params
	  REGIONS = eu,us  (default)
	  TOKEN   = ***  (default, secret)

	wave 1
	  build     run: make
	            timeout 10m; retry 3 attempts, delay 2s, backoff 2, max 1m, on exit 75
	  lint      run: make lint

	wave 2
	  push[eu]  run: ./push.sh "$RUNJOB_ITEM"
	            needs build, lint; has rollback
	  push[us]  run: ./push.sh "$RUNJOB_ITEM"
	            needs build, lint; has rollback
	  notify    run: echo built
	            needs build

	wave 3
	  switch    run: ./switch.sh
	            needs push[eu], push[us]; if: test -n "$TOKEN"; has rollback

	rollback order (newest first)
	  switch    run: ./switch.sh --back
	  push[us]  run: ./unpush.sh "$RUNJOB_ITEM"
	  push[eu]  run: ./unpush.sh "$RUNJOB_ITEM"
	EOF
	test_cmp want out
'

test_expect_success 'fan-out follows the param value' '
	runjob plan -p REGIONS="ap, eu, us" job.yaml >out &&
	test_grep "^  push\[ap\]" out &&
	test_grep "needs push\[ap\], push\[eu\], push\[us\]" out
'

test_expect_success 'plan --json is one JSON object with the same facts' '
	runjob plan --json job.yaml >plan.json &&
	test $(wc -l <plan.json) = 1 &&
	/usr/bin/python3 - >out <<-\EOF &&
	import json
	p = json.load(open("plan.json"))
	print(p["job"], p["waves"])
	for s in p["steps"]:
	    print(s["wave"], s["id"], s["step"], s.get("item", "-"), ",".join(s["needs"]) or "-", s["action"]["kind"])
	print("rollback", ",".join(p["rollback_order"]))
	print("params", ",".join("%s=%s" % (q["name"], q["value"]) for q in p["params"]))
	print("retry", p["steps"][0]["retry"])
	EOF
	cat >want <<-\EOF &&
	deploy 3
	1 build build - - run
	1 lint lint - - run
	2 push[eu] push eu build,lint run
	2 push[us] push us build,lint run
	2 notify notify - build run
	3 switch switch - push[eu],push[us] run
	rollback switch,push[us],push[eu]
	params REGIONS=eu,us,TOKEN=***
	retry {'"'"'attempts'"'"': 3, '"'"'delay_ms'"'"': 2000, '"'"'backoff'"'"': 2, '"'"'max_delay_ms'"'"': 60000, '"'"'on_exit'"'"': [75]}
	EOF
	test_cmp want out &&
	test_grep -v tok-123456 plan.json
'

test_expect_success 'plan --dot is a Graphviz digraph of every edge' '
	runjob plan --dot job.yaml >out &&
	test_grep "^digraph \"deploy\" {" out &&
	test_grep "\"build\" -> \"push\[eu\]\";" out &&
	test_grep "\"lint\" -> \"push\[us\]\";" out &&
	test_grep "\"push\[us\]\" -> \"switch\";" out &&
	test $(grep -c -- "->" out) = 7 &&
	tail -n 1 out >last && echo "}" >want && test_cmp want last
'

test_expect_success 'a built-in step is planned with its settings, secrets masked' '
	cat >builtin.yaml <<-\EOF &&
	runjob: 1
	name: b
	params:
	  PASS: { secret: true, default: "pw-9876" }
	steps:
	  - id: copy
	    redis.copy: { source: "redis://u:${{ params.PASS }}@src:6379/0", target: "redis://dst", types: [string, hash] }
	EOF
	runjob plan builtin.yaml >out &&
	test_grep "copy  redis.copy: {source: redis://u:\*\*\*@src:6379/0" out &&
	test_grep "types: \[string, hash\]" out &&
	! grep pw-9876 out
'

test_expect_success 'a job with a sqlite built-in is planned, its settings shown' '
	cat >sq.yaml <<-\EOF &&
	runjob: 1
	name: b
	steps:
	  - id: sync
	    sqlite.sync: { source: a.db, target: b.db, key: [a, b] }
	EOF
	runjob plan sq.yaml >out 2>err &&
	test_grep "sync  sqlite.sync: {source: a.db, target: b.db, key: \[a, b\]}" out
'

test_expect_success 'an invalid job is not planned' '
	printf "runjob: 1\nname: x\nsteps:\n  - { id: a, run: x, needs: [a] }\n" >bad.yaml &&
	test_expect_code 3 runjob plan bad.yaml >out 2>err &&
	test_grep "bad.yaml: 1 error; nothing to plan" err &&
	test_must_fail test -s out
'

test_expect_success 'plan takes one job file and one output form' '
	test_expect_code 2 runjob plan 2>err &&
	test_grep "no job file given" err &&
	test_expect_code 2 runjob plan job.yaml job.yaml 2>err &&
	test_grep "plan takes one job file" err &&
	test_expect_code 2 runjob plan --json --dot job.yaml 2>err &&
	test_grep "exclude each other" err
'

test_expect_success 'a job without rollback actions says so' '
	printf "runjob: 1\nname: x\nsteps:\n  - { id: a, run: x }\n" >norb.yaml &&
	runjob plan norb.yaml >out &&
	test_grep "no step has a rollback action" out
'

test_expect_success 'every example plans' '
	for f in "$RUNJOB_ROOT"/examples/*.yaml; do
		runjob plan "$f" >out 2>err || { cat err; return 1; }
		test_grep "^wave 1" out || return 1
	done
'

test_done
