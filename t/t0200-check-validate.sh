#!/bin/sh
test_description='runjob check finds every problem of a job file and says where and how to fix it'
. "$(dirname "$0")/test-lib.sh"

# job FILE: write a job file whose steps: follow on stdin.
job() {
	{ printf 'runjob: 1\nname: t\nsteps:\n' && cat; } >"$1"
}

# refused FILE PATTERN...: check exits 3 and err matches every pattern.
refused() {
	f=$1
	shift
	test_expect_code 3 runjob check "$f" 2>err || return 1
	for p in "$@"; do
		test_grep "$p" err || return 1
	done
}

test_expect_success 'a valid job is ok, with its size' '
	job ok.yaml <<-\EOF &&
	  - { id: a, run: "true" }
	  - { id: b, run: "true", needs: [a] }
	EOF
	runjob check ok.yaml >out &&
	test_grep "ok.yaml: ok (2 steps in 2 waves)" out
'

test_expect_success 'check -q prints nothing for a valid file' '
	runjob check -q ok.yaml >out 2>&1 &&
	test_must_fail test -s out
'

test_expect_success 'runjob: format version is required and must be 1' '
	printf "name: t\nsteps: [{id: a, run: x}]\n" >nover.yaml &&
	refused nover.yaml "nover.yaml:1:1: error: no .runjob:. format version; add .runjob: 1." &&
	printf "runjob: 2\nname: t\nsteps: [{id: a, run: x}]\n" >v2.yaml &&
	refused v2.yaml "v2.yaml:1:9: error: job format version 2 is not supported"
'

test_expect_success 'name and steps are required; the name is checked' '
	printf "runjob: 1\n" >bare.yaml &&
	refused bare.yaml "no .name:." "no .steps:." &&
	printf "runjob: 1\nname: a b\nsteps: [{id: a, run: x}]\n" >badname.yaml &&
	refused badname.yaml "badname.yaml:2:7: error: job name .a b. may hold only letters, digits"
'

test_expect_success 'unknown keys are errors with a did-you-mean' '
	printf "runjob: 1\nname: t\nconcurrancy: 2\nsteps:\n  - { id: a, run: x, neds: [b] }\n" >typo.yaml &&
	refused typo.yaml \
		"typo.yaml:3:1: error: unknown key .concurrancy. in the job; did you mean .concurrency.?" \
		"typo.yaml:5:22: error: unknown key .neds. in step .a.; did you mean .needs.?"
'

test_expect_success 'a step without id, and a duplicate id, are named' '
	job ids.yaml <<-\EOF &&
	  - { run: x }
	  - { id: a, run: x }
	  - { id: a, run: y }
	  - { id: "b c", run: y }
	EOF
	refused ids.yaml "ids.yaml:4:5: error: a step without .id:." \
		"ids.yaml:6:5: error: step id .a. is used twice (first at line 5)" \
		"ids.yaml:7:11: error: step id .b c. may hold only"
'

test_expect_success 'unknown needs get a suggestion' '
	job needs.yaml <<-\EOF &&
	  - { id: backup, run: x }
	  - { id: copy, run: x, needs: [bakup] }
	EOF
	refused needs.yaml "needs.yaml:5:33: error: step .copy. needs .bakup., but there is no step with that id; did you mean .backup.?"
'

test_expect_success 'a step that needs itself, or a need listed twice' '
	job self.yaml <<-\EOF &&
	  - { id: a, run: x, needs: [a] }
	  - { id: b, run: x, needs: [c, c] }
	  - { id: c, run: x }
	EOF
	refused self.yaml "self.yaml:4:30: error: step .a. needs itself" \
		"self.yaml:5:33: error: step .b. lists .c. twice in needs"
'

test_expect_success 'a dependency cycle is printed as a path' '
	job cycle.yaml <<-\EOF &&
	  - { id: a, run: x, needs: [c] }
	  - { id: b, run: x, needs: [a] }
	  - { id: c, run: x, needs: [b] }
	  - { id: d, run: x, needs: [c] }
	EOF
	refused cycle.yaml "cycle.yaml:4:5: error: steps depend on each other in a cycle: a -> c -> b -> a"
'

test_expect_success 'two separate cycles are both reported' '
	job cycles.yaml <<-\EOF &&
	  - { id: a, run: x, needs: [b] }
	  - { id: b, run: x, needs: [a] }
	  - { id: c, run: x, needs: [d] }
	  - { id: d, run: x, needs: [c] }
	EOF
	refused cycles.yaml "cycle: a -> b -> a" "cycle: c -> d -> c"
'

test_expect_success 'a step has exactly one action' '
	job act.yaml <<-\EOF &&
	  - { id: none, timeout: 1m }
	  - id: two
	    run: x
	    redis.copy: { source: a, target: b }
	EOF
	refused act.yaml "act.yaml:4:5: error: step .none. has no action; give .run:." \
		"act.yaml:7:5: error: step .two. has more than one action (.run. and .redis.copy.)"
'

test_expect_success 'durations are checked, with examples of the right form' '
	job dur.yaml <<-\EOF &&
	  - { id: a, run: x, timeout: 10 }
	  - { id: b, run: x, timeout: 30m1h }
	  - { id: c, run: x, timeout: 0s }
	  - { id: d, run: x, timeout: 1h30m, kill_grace: 500ms }
	EOF
	refused dur.yaml "dur.yaml:4:31: error: timeout: .10. is not a duration; write e.g. 500ms, 10s, 5m, 2h, 1d or 1h30m" \
		"dur.yaml:5:31: error: timeout: .30m1h. is not a duration" \
		"dur.yaml:6:31: error: timeout must be longer than 0" &&
	test_grep -v "dur.yaml:7" err
'

test_expect_success 'retry fields are checked' '
	job retry.yaml <<-\EOF &&
	  - id: a
	    run: x
	    retry: { attempts: 0, delay: soon, backoff: 0.5, on_exit: [0, 75], jitter: 1 }
	  - id: b
	    run: x
	    retry: { attempts: 3, delay: 1m, max_delay: 10s }
	EOF
	refused retry.yaml "retry.attempts must be between 1 and 1000, not 0" \
		"retry.delay: .soon. is not a duration" \
		"retry.backoff must be a number from 1 to 100" \
		"retry.on_exit must be between 1 and 255, not 0" \
		"unknown key .jitter. in retry" \
		"retry.yaml:9:12: error: retry.max_delay is shorter than retry.delay"
'

test_expect_success 'on_failure and on_unknown take their words' '
	printf "runjob: 1\nname: t\non_failure: rollbak\nsteps:\n  - { id: a, run: x, on_unknown: maybe }\n" >words.yaml &&
	refused words.yaml "on_failure: .rollbak. is not one of stop, rollback, continue; did you mean .rollback.?" \
		"on_unknown: .maybe. is not one of ask, rerun, fail"
'

test_expect_success '${{ }} in shell text is refused with the variable to use' '
	printf "runjob: 1\nname: t\nparams: { SRC: x }\nsteps:\n  - { id: a, run: \"redis-cli -u \${{ params.SRC }}\" }\n  - { id: b, run: x, if: \"test \${{ run.id }}\", rollback: \"echo \${{item}}\" }\n" >shell.yaml &&
	refused shell.yaml "shell.yaml:5:19: error: run: .\${{ ... }}. is not expanded in shell text; parameters are environment variables: write \"\$SRC\"" \
		"shell.yaml:6:26: error: if: .\${{ ... }}. is not expanded in shell text" \
		"shell.yaml:6:58: error: rollback: .\${{ ... }}. is not expanded"
'

test_expect_success '${{ }} in shell: is refused: a value never chooses the interpreter' '
	cat >interp.yaml <<-\EOF &&
	runjob: 1
	name: t
	params: { P: x }
	steps:
	  - id: a
	    shell: "bash -c ${{ params.P }}"
	    run: "true"
	    rollback: { run: "true", shell: "${{params.P}} -e" }
	  - { id: b, shell: bash -eu, run: "true" }
	EOF
	refused interp.yaml "interp.yaml:6:12: error: shell: .\${{ ... }}. is not expanded here; shell names the interpreter and its options as written, such as .bash -eu." \
		"interp.yaml:8:37: error: rollback.shell: .\${{ ... }}. is not expanded here" &&
	test $(grep -c "error:" err) = 2
'

test_expect_success 'expressions must name params, steps and outputs that exist' '
	cat >refs.yaml <<-\EOF &&
	runjob: 1
	name: t
	params: { SRC: x }
	env: { A: "${{ params.SRX }}", B: "${{ steps.a.outputs.N }}" }
	steps:
	  - { id: a, run: x, outputs: [N] }
	  - { id: b, run: x, dir: "${{ steps.a.outputs.M }}" }
	  - { id: c, run: x, needs: [a], dir: "${{ steps.z.outputs.N }}" }
	  - { id: d, run: x, dir: "${{ steps.a.outputs.N }}" }
	  - { id: e, run: x, needs: [a], env: { X: "${{ item }}" } }
	  - { id: f, run: x, dir: "${{ params.SRC" }
	  - { id: g, run: x, dir: "${{ nope }}" }
	EOF
	refused refs.yaml "refs.yaml:4:11: error: env.A: .\${{ params.SRX }}. names no param" \
		"refs.yaml:4:35: error: env.B: step outputs can only be used inside a step" \
		"refs.yaml:7:27: error: dir: step .a. declares no output .M." \
		"refs.yaml:8:39: error: dir: .\${{ steps.z.outputs.N }}. names no step .z." \
		"refs.yaml:9:27: error: dir: step .d. uses an output of step .a. but does not need it; add .a. to its needs" \
		"refs.yaml:10:44: error: env.X: .\${{ item }}. is only set in a step with for_each" \
		"refs.yaml:11:27: error: dir: .\${{. without a closing .}}." \
		"refs.yaml:12:27: error: dir: an expression must be one of: params.NAME, steps.ID.outputs.NAME, run.id, item"
'

test_expect_success 'an output used through a chain of needs is fine' '
	job chain.yaml <<-\EOF &&
	  - { id: a, run: x, outputs: [N] }
	  - { id: b, run: x, needs: [a] }
	  - { id: c, run: x, needs: [b], dir: "d-${{ steps.a.outputs.N }}-${{ run.id }}" }
	EOF
	runjob check chain.yaml
'

test_expect_success 'two ancestors exporting one output name is an error' '
	job outs.yaml <<-\EOF &&
	  - { id: a, run: x, outputs: [COUNT] }
	  - { id: b, run: x, outputs: [COUNT] }
	  - { id: c, run: x, needs: [a] }
	  - { id: d, run: x, needs: [b, c] }
	  - { id: e, run: x, needs: [a], outputs: [COUNT] }
	EOF
	refused outs.yaml "outs.yaml:7:5: error: step .d. gets output .COUNT. from both .a. and .b.; rename one of them" &&
	test_grep -v "step .e. gets" err
'

test_expect_success 'a fan-out step exporting outputs to a dependent is an error' '
	job fanout.yaml <<-\EOF &&
	  - { id: a, run: x, for_each: [x, y], outputs: [N] }
	  - { id: b, run: x, needs: [a] }
	EOF
	refused fanout.yaml "step .b. gets output .N. from every instance of fan-out step .a."
'

test_expect_success 'output names follow the param rules and may not shadow a param' '
	printf "runjob: 1\nname: t\nparams: { N: x }\nsteps:\n  - { id: a, run: x, outputs: [N, lower, LD_PRELOAD, N] }\n" >outname.yaml &&
	refused outname.yaml "output .N. of step .a. has the name of a param" \
		"output name .lower. must be upper case" \
		"output name .LD_PRELOAD. is refused" \
		"output .N. is listed twice"
'

test_expect_success 'for_each lists are checked' '
	job each.yaml <<-\EOF &&
	  - { id: a, run: x, for_each: [] }
	  - { id: b, run: x, for_each: [p, q, p] }
	  - { id: c, run: x, for_each: ["x]y"] }
	  - { id: d, run: x, for_each: "eu,us" }
	EOF
	refused each.yaml "for_each is an empty list" \
		"for_each item .p. is listed twice" \
		"for_each item .x]y. holds .\[., .\]. or a control character" \
		"for_each takes a list (\[a, b\]) or .\${{ params.NAME }}."
'

test_expect_success 'for_each items that cannot make a step id are refused where they are written' '
	long=$(printf "%04097d" 0 | tr 0 y) &&
	job items.yaml <<-EOF &&
	  - { id: a, run: x, for_each: ["tab\\there", "c1\\u009b[31m", "$long", "ok/item", "\\u00e9"] }
	EOF
	refused items.yaml \
		"items.yaml:4:33: error: for_each item .tab\.\.\.. holds .\[., .\]. or a control character" \
		"items.yaml:4:46: error: for_each item .c1\.\.\.. holds .\[., .\]. or a control character" \
		"items.yaml:4:62: error: for_each item .yyyy*\.\.\.. is 4097 bytes long; items are limited to 4096 bytes" &&
	test $(grep -c "error:" err) = 3 &&
	printf "runjob: 1\nname: t\nparams: { R: \"a, b\\\\u0085c\" }\nsteps:\n  - { id: s, run: x, for_each: \"\${{ params.R }}\" }\n" >pitem.yaml &&
	refused pitem.yaml "pitem.yaml:5:32: error: for_each item .b\.\.\.. holds .\[., .\]. or a control character"
'

test_expect_success 'for_each from a param is expanded and its items checked' '
	printf "runjob: 1\nname: t\nparams: { R: \"a, b, a\", E: \"\" }\nsteps:\n  - { id: s, run: x, for_each: \"\${{ params.R }}\" }\n  - { id: t, run: x, for_each: \"\${{ params.E }}\" }\n" >peach.yaml &&
	refused peach.yaml "step .s.: for_each item .a. comes twice" \
		"step .t.: for_each .\${{ params.E }}. gives no items" &&
	runjob check -p R=x,y -p E=z peach.yaml >out &&
	test_grep "ok (3 steps in 1 wave)" out
'

test_expect_success 'env keys are names, and RUNJOB_ names are runjob'"'"'s' '
	printf "runjob: 1\nname: t\nenv: { 1X: a, RUNJOB_STEP: b, OK_1: c }\nsteps:\n  - { id: a, run: x, env: { \"A-B\": x } }\n" >envk.yaml &&
	refused envk.yaml ".1X. is not an environment variable name" \
		".RUNJOB_STEP.: names starting with RUNJOB_ are set by runjob" \
		".A-B. is not an environment variable name" &&
	test_grep -v OK_1 err
'

test_expect_success 'the sqlite built-ins are taken, their settings checked where they are written' '
	cat >sq.yaml <<-\EOF &&
	runjob: 1
	name: t
	steps:
	  - id: copy
	    sqlite.sync: { source: a.db, target: b.db, key: [a, b], changed_column: at }
	    rollback:
	      sqlite.exec: { db: x.db, sql: "select 1" }
	EOF
	runjob check sq.yaml &&
	cat >sqbad.yaml <<-\EOF &&
	runjob: 1
	name: t
	steps:
	  - id: copy
	    sqlite.sync: { source: a.db, target: a.db }
	  - id: more
	    sqlite.sync: { source: a.db, target: b.db, batch: 0 }
	    rollback:
	      sqlite.exec: { db: x.db }
	EOF
	refused sqbad.yaml "sqbad.yaml:5:42: error: sqlite.sync: target: is the source: .a.db." \
		"sqbad.yaml:7:55: error: sqlite.sync: batch: .0. is not a whole number from 1 to 1000000" \
		"sqbad.yaml:9:7: error: sqlite.exec: sql: is required (or file:): the SQL to run"
'

test_expect_success 'built-in actions still get their keys checked' '
	job bkeys.yaml <<-\EOF &&
	  - id: copy
	    redis.copy: { source: a, target: b, mach: "x*" }
	EOF
	refused bkeys.yaml "unknown key .mach. in redis.copy; did you mean .match.?"
'

test_expect_success 'redis built-in settings are checked where they are written' '
	job rsettings.yaml <<-\EOF &&
	  - id: copy
	    redis.copy: { source: "rediss://a:6380/0", target: "redis://b", tls_cert: c.pem }
	  - id: copy2
	    redis.copy: { source: "redis://a", target: "redis://b", on_conflict: overwrite }
	  - id: copy3
	    redis.copy: { source: "redis://a", target: "redis://b", big_key: lots }
	  - id: verify
	    redis.verify: { source: "redis://a", target: "redis://b:99999", mode: full }
	  - id: verify2
	    redis.verify: { source: "redis://a", types: [string, blob] }
	EOF
	refused rsettings.yaml \
		"rsettings.yaml:5:79: error: redis.copy: tls_cert: goes with tls_key" \
		"rsettings.yaml:7:74: error: redis.copy: on_conflict: .overwrite. is not one of: replace skip fail" \
		"rsettings.yaml:9:70: error: redis.copy: big_key: .lots. is not a size" \
		"rsettings.yaml:11:50: error: redis.verify: target: cannot read the host and port" \
		"rsettings.yaml:13:5: error: redis.verify: target: is required"
'

test_expect_success 'a redis setting given by a param is checked when the job runs' '
	job rparam.yaml <<-\EOF &&
	  - id: copy
	    redis.copy: { source: "${{ params.SRC }}", target: "redis://b", batch: "${{ params.N }}" }
	EOF
	sed -i "s/^steps:/params: { SRC: redis:\/\/a, N: \"100\" }\nsteps:/" rparam.yaml &&
	runjob check rparam.yaml &&
	runjob check -p N=lots rparam.yaml &&
	# The action reads its settings before it connects anywhere.
	test_expect_code 1 runjob run --journal "$PWD/rparam.db" -p N=lots \
		rparam.yaml >out 2>&1 &&
	test_grep "redis.copy: batch: .lots. is not a whole number" out
'

test_expect_success 'a built-in names only the outputs it gives' '
	job routs.yaml <<-\EOF &&
	  - id: copy
	    redis.copy: { source: "redis://a", target: "redis://b" }
	    outputs: [KEYS_COPIED, ROWS]
	EOF
	refused routs.yaml "routs.yaml:6:28: error: step .copy.: redis.copy gives no output .ROWS.; it gives KEYS_COPIED, KEYS_SKIPPED, KEYS_EXPIRED, BYTES"
'

test_expect_success 'two built-in ancestors giving the same output are an error until one lists fewer' '
	job rtwo.yaml <<-\EOF &&
	  - id: a
	    redis.copy: { source: "redis://a", target: "redis://b" }
	  - id: b
	    redis.copy: { source: "redis://c", target: "redis://d" }
	  - id: after
	    needs: [a, b]
	    run: echo "$KEYS_COPIED"
	EOF
	refused rtwo.yaml "KEYS_COPIED" &&
	sed -i "/redis:\/\/c/a\\    outputs: []" rtwo.yaml &&
	runjob check rtwo.yaml
'

test_expect_success 'values of the wrong kind are named' '
	printf "runjob: 1\nname: [a]\nconcurrency: many\nsteps:\n  - id: a\n    run: { x: 1 }\n    needs: { b: 1 }\n" >kinds.yaml &&
	refused kinds.yaml "kinds.yaml:2:7: error: name must be a single value, not a list" \
		"kinds.yaml:3:14: error: concurrency must be a whole number, not .many." \
		"kinds.yaml:6:10: error: run must be a single value, not a mapping" \
		"kinds.yaml:7:12: error: needs must be a list, not a mapping"
'

test_expect_success 'every error of a file is reported, in file order, with a count' '
	job many.yaml <<-\EOF &&
	  - { id: a, run: x, timeout: never }
	  - { id: b, run: x, needs: [zz] }
	  - { id: c, run: x, bogus: 1 }
	EOF
	refused many.yaml "many.yaml: 3 errors" &&
	grep -n "error:" err | cut -d: -f3 >lines &&
	printf "4\n5\n6\n" >want &&
	test_cmp want lines
'

test_expect_success 'check --json prints one object per problem and a summary' '
	test_expect_code 3 runjob check --json many.yaml >out &&
	test $(grep -c "\"level\":\"error\"" out) = 3 &&
	test_grep "{\"level\":\"error\",\"file\":\"many.yaml\",\"line\":4,\"column\":31,\"message\":\"timeout: " out &&
	test_grep "{\"file\":\"many.yaml\",\"ok\":false,\"errors\":3,\"warnings\":0,\"steps\":0}" out &&
	runjob check --json ok.yaml >out &&
	test_grep "{\"file\":\"ok.yaml\",\"ok\":true,\"errors\":0,\"warnings\":0,\"steps\":2}" out
'

test_expect_success 'check without a file, or with a wrong option, is a usage error' '
	test_expect_code 2 runjob check 2>err &&
	test_grep "no job file given" err &&
	test_expect_code 2 runjob check --dot ok.yaml 2>err &&
	test_grep ".--dot. does not apply to .check." err &&
	test_expect_code 2 runjob check --bogus ok.yaml 2>err &&
	test_grep "unknown option .--bogus." err
'

test_expect_success 'an option that does not apply is named as written, not by its value' '
	test_expect_code 2 runjob check -j 2 ok.yaml 2>err &&
	test_grep "^runjob: .-j. does not apply to .check.$" err &&
	test_expect_code 2 runjob check -j2 ok.yaml 2>err &&
	test_grep "^runjob: .-j. does not apply to .check.$" err &&
	test_expect_code 2 runjob check --jobs=2 ok.yaml 2>err &&
	test_grep "^runjob: .--jobs. does not apply to .check.$" err &&
	test_expect_code 2 runjob check --jobs 2 ok.yaml 2>err &&
	test_grep "^runjob: .--jobs. does not apply to .check.$" err &&
	test_expect_code 2 runjob status --limit 5 2>err &&
	test_grep "^runjob: .--limit. does not apply to .status.$" err
'

test_done
