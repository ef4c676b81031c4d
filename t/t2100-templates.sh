#!/bin/sh
test_description='templates (uses: and with:), presets (extends:) and a prelude: expand at load time, point their errors into the file that holds them, and are kept with each run'
. "$(dirname "$0")/test-lib.sh"

git() {
	command git -c user.name=Test -c user.email=test@example.com \
		-c init.defaultBranch=main -c advice.detachedHead=false "$@"
}

# A template of two steps: save writes an output, check reads it; its
# own prelude gives say().
write_template() {
	mkdir -p lib &&
	cat >lib/backup.yaml <<-\EOF
	runjob: 1
	params:
	  URL: { required: true, pattern: "^redis://" }
	  MODE: { default: fast, enum: [fast, slow] }
	  TOKEN: { default: "", secret: true }
	prelude: |
	  say() { echo "[$MODE] $*"; }
	steps:
	  - id: save
	    run: say "save $URL token=$TOKEN" && echo "FILE=dump-$RUNJOB_RUN_ID" >>"$RUNJOB_OUTPUT"
	    outputs: [FILE]
	  - id: check
	    needs: [save]
	    run: say "check $FILE $FROM"
	    env: { FROM: "${{ steps.save.outputs.FILE }}@${{ params.URL }}" }
	EOF
	cat >lib/helpers.sh <<-\EOF
	hi() { echo "hi from the prelude: $*"; }
	EOF
}

write_job() {
	cat >job.yaml <<-\EOF
	runjob: 1
	name: tpl
	params:
	  SRC: redis://a
	  PW: { secret: true, env: TPL_PW }
	prelude: { file: lib/helpers.sh }
	steps:
	  - id: first
	    run: hi first
	  - id: backup
	    uses: lib/backup.yaml
	    with: { URL: "${{ params.SRC }}", TOKEN: "${{ params.PW }}" }
	    needs: [first]
	  - id: other
	    uses: lib/backup.yaml
	    with: { URL: redis://b, MODE: slow }
	    needs: [first]
	  - id: after
	    needs: [backup]
	    run: hi after "$FILE"
	    shell: bash -e
	  - id: py
	    needs: [first]
	    run: print("python sees no prelude")
	    shell: python3
	EOF
}

TPL_PW=pw-s3cr3t
export TPL_PW

test_expect_success 'setup: a job using a template twice, with a prelude file' '
	write_template &&
	write_job &&
	runjob check job.yaml >out &&
	test_grep "job.yaml: ok (7 steps" out
'

test_expect_success 'plan names the steps ID.STEP, waits for all of a uses: step, shows the step text without the prelude and where each step is written' '
	runjob plan job.yaml >plan &&
	test_grep "^  backup.save  *run: say \"save \$URL" plan &&
	test_grep "^  first  *run: hi first" plan &&
	test_grep "needs backup.save, backup.check" plan &&
	test_grep "from lib/backup.yaml:9, uses: at job.yaml:10" plan &&
	test_grep "from lib/backup.yaml:12, uses: at job.yaml:14" plan &&
	runjob plan --json job.yaml >plan.json &&
	test_grep "\"from\":\"job.yaml:8\"" plan.json &&
	test_grep "\"from\":\"lib/backup.yaml:12, uses: at job.yaml:10\"" plan.json
'

test_expect_success 'the run gives each use its values, the template its own prelude and the job its own, and masks a secret passed through' '
	runjob run --journal "$PWD/j.db" job.yaml >out 2>&1 &&
	test_grep "first | hi from the prelude: first" out &&
	test_grep "backup.save | \[fast\] save redis://a token=\*\*\*" out &&
	test_grep "other.save | \[slow\] save redis://b token=\$" out &&
	test_grep "backup.check | \[fast\] check dump-.* dump-.*@redis://a" out &&
	test_grep "after | hi from the prelude: after dump-" out &&
	test_grep "py | python sees no prelude" out &&
	test_grep -v "pw-s3cr3t" out &&
	test "$(q j.db "select count(*) from steps where state = \"succeeded\"")" = 7
'

test_expect_success 'the run keeps the template and the prelude file, with their SHA-256' '
	q j.db "select name, kind, sha256 from run_files order by name" >files &&
	sha=$(sha256sum <lib/backup.yaml | cut -d" " -f1) &&
	test_grep "^lib/backup.yaml|template|$sha\$" files &&
	test_grep "^lib/helpers.sh|prelude|" files &&
	test "$(wc -l <files)" = 2 &&
	q j.db "select text from run_files where name = \"lib/backup.yaml\"" >kept &&
	{ cat lib/backup.yaml && echo; } >expect &&
	test_cmp expect kept
'

test_expect_success 'with: values are checked as params are: required, unknown, pattern, enum, secret' '
	cat >bad.yaml <<-\EOF &&
	runjob: 1
	name: bad
	params:
	  PLAIN: x
	steps:
	  - id: a
	    uses: lib/backup.yaml
	    with: { URL: "http://x", MODEE: fast }
	  - id: b
	    uses: lib/backup.yaml
	  - id: c
	    uses: lib/backup.yaml
	    with: { URL: redis://c, MODE: medium, TOKEN: "${{ params.PLAIN }}" }
	EOF
	test_expect_code 3 runjob check bad.yaml 2>err &&
	test_grep "^bad.yaml:8:18: error: step .a.: with: URL: value .http://x. does not match the pattern" err &&
	test_grep "^bad.yaml:8:30: error: unknown key .MODEE. in with: (the params of lib/backup.yaml); did you mean .MODE.?" err &&
	test_grep "^bad.yaml:9:5: error: step .b.: the template lib/backup.yaml needs a value for its param URL (lib/backup.yaml:3:3)" err &&
	test_grep "^bad.yaml:13:35: error: step .c.: with: MODE: value .medium. is not one of: fast, slow (the enum of the param in lib/backup.yaml)" err &&
	test_grep "^bad.yaml:13:50: error: step .c.: param TOKEN of lib/backup.yaml is secret; give it a secret param" err
'

test_expect_success 'an error in a template points into it, with the chain of uses: that brought it in' '
	mkdir -p lib/deep &&
	cat >lib/outer.yaml <<-\EOF &&
	runjob: 1
	steps:
	  - id: in
	    uses: deep/inner.yaml
	EOF
	cat >lib/deep/inner.yaml <<-\EOF &&
	runjob: 1
	steps:
	  - id: x
	    run: "true"
	    timout: 1m
	EOF
	printf "runjob: 1\nname: chain\nsteps:\n  - id: o\n    uses: lib/outer.yaml\n" >chain.yaml &&
	test_expect_code 3 runjob check chain.yaml 2>err &&
	test_grep "^lib/deep/inner.yaml:5:5: error: unknown key .timout. in step .x.; did you mean .timeout.? (lib/deep/inner.yaml used by lib/outer.yaml:4:11, used by chain.yaml:5:11)" err
'

test_expect_success 'a missing template, a cycle of uses:, a job using itself: errors at the uses:' '
	printf "runjob: 1\nsteps:\n  - id: back\n    uses: b.yaml\n" >lib/a.yaml &&
	printf "runjob: 1\nsteps:\n  - id: fwd\n    uses: a.yaml\n" >lib/b.yaml &&
	cat >loops.yaml <<-\EOF &&
	runjob: 1
	name: loops
	steps:
	  - id: gone
	    uses: lib/nothing.yaml
	  - id: cyc
	    uses: lib/a.yaml
	  - id: me
	    uses: loops.yaml
	EOF
	test_expect_code 3 runjob check loops.yaml 2>err &&
	test_grep "^loops.yaml:5:11: error: uses: cannot open lib/nothing.yaml: No such file or directory" err &&
	test_grep "^lib/b.yaml:4:11: error: uses: lib/a.yaml is already being expanded here: it uses itself" err &&
	test_grep "^loops.yaml:9:11: error: uses: loops.yaml is the job file itself" err
'

test_expect_success 'a template for_each over a param takes a list or a param of the job from with:' '
	cat >lib/fe.yaml <<-\EOF &&
	runjob: 1
	params:
	  ITEMS: { required: true }
	steps:
	  - id: each
	    for_each: "${{ params.ITEMS }}"
	    run: echo "item $RUNJOB_ITEM"
	EOF
	printf "runjob: 1\nname: fe\nparams:\n  L: \"a, b\"\nsteps:\n  - id: x\n    uses: lib/fe.yaml\n    with: { ITEMS: \"\${{ params.L }}\" }\n  - id: y\n    uses: lib/fe.yaml\n    with: { ITEMS: \"c,d\" }\n" >fe.yaml &&
	runjob run --journal "$PWD/fe.db" fe.yaml >out 2>&1 &&
	for i in "x.each\[a\] | item a" "x.each\[b\] | item b" "y.each\[c\] | item c" "y.each\[d\] | item d"; do
		test_grep "$i" out || return 1
	done
'

test_expect_success 'a with: value naming no param of the job is an error where it is given' '
	printf "runjob: 1\nname: np\nsteps:\n  - id: x\n    uses: lib/backup.yaml\n    with: { URL: \"\${{ params.NOPE }}\" }\n" >np.yaml &&
	test_expect_code 3 runjob check np.yaml 2>err &&
	test_grep "^np.yaml:6:18: error: .*NOPE" err
'

test_expect_success 'a journal of the schema before run_files is upgraded, and keeps the files of the next run' '
	printf "runjob: 1\nname: up\nsteps:\n  - id: a\n    run: \"true\"\n" >plain.yaml &&
	runjob run -q --journal "$PWD/old.db" plain.yaml &&
	q old.db "drop table run_files; pragma user_version = 4" &&
	runjob run -q --journal "$PWD/old.db" job.yaml &&
	sed -n "s/^#define JOURNAL_VERSION \([0-9][0-9]*\)$/\1/p" "$RUNJOB_ROOT/journal/journal.h" >want &&
	q old.db "pragma user_version" >got &&
	test_cmp want got &&
	test "$(q old.db "select count(*) from run_files")" = 2
'

test_expect_success 'a template outside the git work tree of the job is refused unless --allow-outside' '
	git init -q inner &&
	mkdir -p outside &&
	cp lib/backup.yaml outside/t.yaml &&
	printf "runjob: 1\nname: out\nsteps:\n  - id: o\n    uses: ../outside/t.yaml\n    with: { URL: redis://x }\n" >inner/job.yaml &&
	test_expect_code 3 runjob check inner/job.yaml 2>err &&
	test_grep "^inner/job.yaml:5:11: error: uses: inner/../outside/t.yaml is outside .*/inner, the git work tree that holds the job; .*--allow-outside" err &&
	runjob check --allow-outside inner/job.yaml
'

test_expect_success 'two templates exporting one output to a step is an error' '
	cat >twice.yaml <<-\EOF &&
	runjob: 1
	name: twice
	steps:
	  - id: one
	    uses: lib/backup.yaml
	    with: { URL: redis://1 }
	  - id: two
	    uses: lib/backup.yaml
	    with: { URL: redis://2 }
	  - id: end
	    needs: [one, two]
	    run: echo "$FILE"
	EOF
	test_expect_code 3 runjob check twice.yaml 2>err &&
	test_grep "^twice.yaml:10:5: error: step .end. gets output .FILE. from both .one.save. and .two.save." err
'

test_expect_success 'extends: merges params, env and the window of presets, several levels, the job winning key by key' '
	mkdir -p presets &&
	cat >presets/base.yaml <<-\EOF &&
	runjob: 1
	params:
	  A: base-a
	  B: base-b
	env: { X: base-x, Y: base-y }
	window: { cron: "0 2 * * SAT", duration: 3h }
	EOF
	cat >presets/mid.yaml <<-\EOF &&
	runjob: 1
	extends: base.yaml
	params:
	  B: mid-b
	  C: mid-c
	env: { Y: mid-y }
	EOF
	cat >ext.yaml <<-\EOF &&
	runjob: 1
	name: ext
	extends: presets/mid.yaml
	params:
	  C: job-c
	steps:
	  - id: s
	    run: echo "$A $B $C $X $Y"
	    timeout: 1m
	EOF
	RUNJOB_NOW=2026-11-21T02:30:00Z runjob plan ext.yaml >plan &&
	test_grep "A = base-a" plan &&
	test_grep "B = mid-b" plan &&
	test_grep "C = job-c" plan &&
	test_grep "^  open until" plan &&
	RUNJOB_NOW=2026-11-21T02:30:00Z runjob run --journal "$PWD/e.db" ext.yaml >out 2>&1 &&
	test_grep "s | base-a mid-b job-c base-x mid-y" out &&
	q e.db "select name, kind from run_files order by name" >files &&
	printf "presets/base.yaml|preset\npresets/mid.yaml|preset\n" >expect &&
	test_cmp expect files
'

test_expect_success 'a preset with steps, a cycle of extends: and a bad param in a preset are errors in the preset' '
	printf "runjob: 1\nextends: loop2.yaml\nsteps: []\n" >presets/loop1.yaml &&
	printf "runjob: 1\nextends: loop1.yaml\nparams:\n  bad-name: 1\n" >presets/loop2.yaml &&
	printf "runjob: 1\nname: l\nextends: presets/loop1.yaml\nsteps:\n  - id: a\n    run: \"true\"\n" >loop.yaml &&
	test_expect_code 3 runjob check loop.yaml 2>err &&
	test_grep "^presets/loop1.yaml:3:1: error: .steps. is not taken from a preset" err &&
	test_grep "^presets/loop2.yaml:2:10: error: extends: presets/loop1.yaml is already being expanded here: it extends itself" err &&
	test_grep "^presets/loop2.yaml:4:3: error: .*bad-name.* (presets/loop2.yaml extended by presets/loop1.yaml:2:10, extended by loop.yaml:3:10)" err
'

test_expect_success 'an env file is kept with the run, the values of secret params masked' '
	printf "PW=env-s3cr3t\nSRC=redis://from-env\n" >vals.env &&
	sed "s/^params:/env_files: [vals.env]\nparams:/" job.yaml >envjob.yaml &&
	runjob run -q --journal "$PWD/v.db" envjob.yaml &&
	q v.db "select text from run_files where name = \"vals.env\"" >kept &&
	printf "PW=***\nSRC=redis://from-env\n\n" >expect &&
	test_cmp expect kept &&
	test "$(q v.db "select kind from run_files where name = \"vals.env\"")" = "env file"
'

test_expect_success 'a changed template stops a resume, as a changed job file does; runjob resume RUN runs the template as the run kept it' '
	cat >lib/stop.yaml <<-\EOF &&
	runjob: 1
	params:
	  URL: { required: true }
	steps:
	  - id: save
	    run: echo "[fast] save $URL" && test ! -e fail-here
	EOF
	printf "runjob: 1\nname: res\nsteps:\n  - id: b\n    uses: lib/stop.yaml\n    with: { URL: redis://r }\n" >res.yaml &&
	: >fail-here &&
	test_expect_code 1 runjob run -q --journal "$PWD/r.db" res.yaml &&
	echo "# changed" >>lib/stop.yaml &&
	test_expect_code 3 runjob run -q --journal "$PWD/r.db" res.yaml 2>err &&
	test_grep "Files it is built from that changed: lib/stop.yaml" err &&
	test_expect_code 1 runjob diff --journal "$PWD/r.db" "$(q r.db "select id from runs")" res.yaml >diff &&
	test_grep "^+# changed" diff &&
	sed -i "s/save \$URL\" \&\& test ! -e fail-here/save edited\"/" lib/stop.yaml &&
	test_grep "save edited\"\$" lib/stop.yaml &&
	rm fail-here &&
	runjob resume --journal "$PWD/r.db" "$(q r.db "select id from runs")" >out 2>&1 &&
	test_grep "b.save | \[fast\] save redis://r" out &&
	test_grep -v "save edited" out
'

test_expect_success 'runjob diff shows a template that changed between two runs' '
	runjob run -q --new --journal "$PWD/r.db" res.yaml &&
	q r.db "select id from runs order by started" >ids &&
	test_expect_code 1 runjob diff --journal "$PWD/r.db" $(cat ids) >diff &&
	test_grep "^--- run .*: lib/stop.yaml" diff &&
	test_grep "^+    run: echo \"\[fast\] save edited" diff
'

test_expect_success 'JOB.yaml@REV reads the templates, presets and prelude files as they were at REV' '
	git init -q repo &&
	mkdir -p repo/jobs/lib repo/jobs/presets &&
	cp lib/backup.yaml lib/helpers.sh repo/jobs/lib/ &&
	cp presets/base.yaml repo/jobs/presets/ &&
	sed "s/^prelude:/extends: presets\/base.yaml\nprelude:/" job.yaml >repo/jobs/job.yaml &&
	(cd repo && git add -A && git commit -q -m one && git tag v1) &&
	sed -i "s/hi from the prelude/hello from the work tree/" repo/jobs/lib/helpers.sh &&
	sed -i "s/A: base-a/A: changed/" repo/jobs/presets/base.yaml &&
	runjob plan repo/jobs/job.yaml@v1 >plan &&
	test_grep "A *= base-a" plan &&
	RUNJOB_NOW=2026-11-21T02:30:00Z runjob run --journal "$PWD/g.db" repo/jobs/job.yaml@v1 >out 2>&1 &&
	test_grep "first | hi from the prelude: first" out &&
	sha=$(cd repo && git show v1:jobs/lib/helpers.sh | sha256sum | cut -d" " -f1) &&
	test "$(q g.db "select sha256 from run_files where name = \"lib/helpers.sh\"")" = "$sha" &&
	RUNJOB_NOW=2026-11-21T02:30:00Z runjob run --new --journal "$PWD/g.db" repo/jobs/job.yaml >out 2>&1 &&
	test_grep "first | hello from the work tree: first" out &&
	rm repo/jobs/lib/backup.yaml &&
	runjob check repo/jobs/job.yaml@v1 &&
	test_expect_code 3 runjob check repo/jobs/job.yaml 2>err &&
	test_grep "cannot open repo/jobs/lib/backup.yaml" err
'

test_expect_success 'in a git work tree, a template anywhere in it may be used' '
	mkdir -p repo/shared &&
	cp lib/backup.yaml repo/shared/t.yaml &&
	printf "runjob: 1\nname: up\nsteps:\n  - id: o\n    uses: ../shared/t.yaml\n    with: { URL: redis://x }\n" >repo/jobs/up.yaml &&
	runjob check repo/jobs/up.yaml &&
	printf "runjob: 1\nname: up\nsteps:\n  - id: o\n    uses: ../../lib/backup.yaml\n    with: { URL: redis://x }\n" >repo/jobs/up2.yaml &&
	test_expect_code 3 runjob check repo/jobs/up2.yaml 2>err &&
	test_grep "the git work tree that holds the job" err
'

test_expect_success 'the notify hooks of a preset are the job'\''s, unless it has its own' '
	mkdir hooks && mkdir hooks/presets &&
	cat >hooks/presets/base.yaml <<-\EOF &&
	runjob: 1
	notify:
	  - on: [succeeded]
	    run: echo "preset hook $RUNJOB_EVENT" >>hooks.log
	EOF
	cat >hooks/uses.yaml <<-\EOF &&
	runjob: 1
	name: hooks-uses
	extends: presets/base.yaml
	steps:
	  - { id: a, run: "true" }
	EOF
	cat >hooks/own.yaml <<-\EOF &&
	runjob: 1
	name: hooks-own
	extends: presets/base.yaml
	notify:
	  - on: [succeeded]
	    run: echo "own hook $RUNJOB_EVENT" >>hooks.log
	steps:
	  - { id: a, run: "true" }
	EOF
	runjob run --journal "$PWD/hooks.db" hooks/uses.yaml >out 2>&1 &&
	runjob run --journal "$PWD/hooks.db" hooks/own.yaml >out 2>&1 &&
	printf "preset hook succeeded\nown hook succeeded\n" >want &&
	test_cmp want hooks/hooks.log
'

test_done
