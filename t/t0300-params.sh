#!/bin/sh
test_description='parameters take their values in the documented order and are checked'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	mkdir envs &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: p
	params:
	  A: from-default
	  B: { default: from-default, env: RUNJOB_TEST_B }
	  C: { default: from-default, env: RUNJOB_TEST_C }
	  D: { default: from-default }
	  E: { default: from-default }
	env_files: [envs/job.env]
	steps:
	  - { id: s, run: "true" }
	EOF
	printf "C=from-env_files\nD=from-env_files\nE=from-env_files\n" >envs/job.env &&
	printf "D=from-env-file\nE=from-env-file\n" >cli.env
'

# value NAME: the value plan --json gives param NAME.
value() {
	runjob plan --json "$@" >plan.json &&
	/usr/bin/python3 -c "import json,sys; d=json.load(open(\"plan.json\")); print(\"\n\".join(p[\"name\"]+\"=\"+p[\"value\"]+\" \"+p[\"source\"] for p in d[\"params\"]))"
}

test_expect_success 'precedence: -p, --env-file, env_files:, env:, default' '
	RUNJOB_TEST_B=from-env RUNJOB_TEST_C=from-env \
		value --env-file cli.env -p E=from-p job.yaml >out &&
	cat >want <<-\EOF &&
	A=from-default default
	B=from-env $RUNJOB_TEST_B
	C=from-env_files env_files envs/job.env
	D=from-env-file --env-file cli.env
	E=from-p -p
	EOF
	test_cmp want out
'

test_expect_success 'env_files: paths are relative to the job file' '
	mkdir sub && cp job.yaml sub/ && cp -r envs sub/ &&
	printf "C=sub\n" >sub/envs/job.env &&
	(cd / && runjob plan "$TRASH_DIRECTORY/sub/job.yaml") >out &&
	test_grep "C = sub" out
'

test_expect_success 'later --env-file files win' '
	printf "E=second\n" >second.env &&
	value --env-file cli.env --env-file second.env job.yaml >out &&
	test_grep "^E=second --env-file second.env" out
'

test_expect_success 'env files: comments, export, quotes, CRLF' '
	printf "# a comment\n\n  export A=\"quoted value\"\r\nB='"'"'single'"'"'\nC=a=b\n" >fancy.env &&
	value --env-file fancy.env job.yaml >out &&
	test_grep "^A=quoted value --env-file" out &&
	test_grep "^B=single --env-file" out &&
	test_grep "^C=a=b --env-file" out
'

test_expect_success 'a bad env-file line is an error with its line number' '
	printf "A=1\nnot a pair\n" >bad.env &&
	test_expect_code 3 runjob check --env-file bad.env job.yaml 2>err &&
	test_grep "bad.env:2:1: error: not a NAME=VALUE line" err
'

test_expect_success 'a missing env file is an error' '
	test_expect_code 3 runjob check --env-file nosuch.env job.yaml 2>err &&
	test_grep "nosuch.env: error: cannot open the env file: No such file" err
'

test_expect_success 'unknown names in an env file are warned about, not fatal' '
	printf "A=1\nZZZ=2\n" >extra.env &&
	runjob check --env-file extra.env job.yaml 2>err &&
	test_grep "extra.env:2:1: warning: .ZZZ. is not a param of job .p.; ignored" err
'

test_expect_success 'an unknown -p name is an error with a suggestion' '
	test_expect_code 3 runjob check -p AA=1 job.yaml 2>err &&
	test_grep "error: .AA. is not a param of job .p.; did you mean .A.?" err
'

test_expect_success '-p without NAME=VALUE is a usage error' '
	test_expect_code 2 runjob check -p Q job.yaml 2>err &&
	test_grep "^runjob: -p Q: write -p NAME=VALUE" err
'

test_expect_success 'blanks around = in an env file are an error' '
	printf "A = 1\n" >blank.env &&
	test_expect_code 3 runjob check --env-file blank.env job.yaml 2>err &&
	test_grep "blank.env:1:1: error: blanks around .=. are not allowed" err
'

test_expect_success 'a required param without a value is a check error' '
	cat >req.yaml <<-\EOF &&
	runjob: 1
	name: r
	params:
	  DST: { required: true, env: RUNJOB_TEST_DST }
	steps: [{ id: s, run: "true" }]
	EOF
	test_expect_code 3 runjob check req.yaml 2>err &&
	test_grep "req.yaml:4:3: error: param DST is required and has no value; give it with -p DST=VALUE or an env file, or set \$RUNJOB_TEST_DST" err &&
	runjob check -p DST=x req.yaml &&
	RUNJOB_TEST_DST=y runjob check req.yaml
'

test_expect_success 'a required secret without a value points at its env: variable and --env-file, not at -p' '
	cat >reqsec.yaml <<-\EOF &&
	runjob: 1
	name: r
	params:
	  DST: { required: true, secret: true, env: RUNJOB_TEST_DST }
	  KEY: { required: true, secret: true }
	steps: [{ id: s, run: "true" }]
	EOF
	test_expect_code 3 runjob check reqsec.yaml 2>err &&
	test_grep "reqsec.yaml:4:3: error: secret param DST is required and has no value; set \$RUNJOB_TEST_DST (its env: variable) or put DST=VALUE in a file given with --env-file FILE" err &&
	test_grep "reqsec.yaml:5:3: error: secret param KEY is required and has no value; put KEY=VALUE in a file given with --env-file FILE" err &&
	test_grep -v -e " -p " err
'

test_expect_success 'pattern and enum are enforced on every source' '
	cat >pe.yaml <<-\EOF &&
	runjob: 1
	name: pe
	params:
	  BATCH: { default: "500", pattern: "^[0-9]+$" }
	  MODE: { default: copy, enum: [copy, verify] }
	steps: [{ id: s, run: "true" }]
	EOF
	runjob check pe.yaml &&
	test_expect_code 3 runjob check -p BATCH=5x -p MODE=move pe.yaml 2>err &&
	test_grep "pe.yaml:4:3: error: param BATCH: value .5x. (from -p) does not match pattern .^\[0-9\]+\$." err &&
	test_grep "pe.yaml:5:3: error: param MODE: value .move. (from -p) is not one of: copy, verify" err &&
	printf "BATCH=many\n" >pe.env &&
	test_expect_code 3 runjob check --env-file pe.env pe.yaml 2>err &&
	test_grep "value .many. (from --env-file pe.env)" err
'

test_expect_success 'a default must satisfy its own pattern and enum; patterns must compile' '
	cat >pd.yaml <<-\EOF &&
	runjob: 1
	name: pd
	params:
	  A: { default: x, pattern: "^[0-9]+$" }
	  B: { default: z, enum: [x, y] }
	  C: { pattern: "([" }
	  D: { required: true, default: x }
	  E:
	steps: [{ id: s, run: "true" }]
	EOF
	test_expect_code 3 runjob check -p D=1 pd.yaml 2>err &&
	test_grep "pd.yaml:4:3: error: param A: its default .x. does not match its pattern" err &&
	test_grep "pd.yaml:5:3: error: param B: its default .z. is not one of its enum values" err &&
	test_grep "pd.yaml:6:17: error: param C: pattern .(\[. is not a valid extended regular expression" err &&
	test_grep "param D is required and has a default" err &&
	test_grep "pd.yaml:8:5: error: param E has no value; give a default" err
'

test_expect_success 'param names: upper case, and never one that changes how programs load' '
	cat >names.yaml <<-\EOF &&
	runjob: 1
	name: n
	params:
	  lower: x
	  LD_PRELOAD: x
	  BASH_ENV: x
	  IFS: x
	  PATH: x
	  SHELLOPTS: x
	  RUNJOB_X: x
	  GOOD_1: x
	steps: [{ id: s, run: "true" }]
	EOF
	test_expect_code 3 runjob check names.yaml 2>err &&
	test_grep "names.yaml:4:3: error: param name .lower. must be upper case" err &&
	for n in LD_PRELOAD BASH_ENV IFS PATH SHELLOPTS; do
		test_grep "param name .$n. is refused: it changes how programs load or shells start" err || return 1
	done &&
	test_grep "param name .RUNJOB_X.: names starting with RUNJOB_ are reserved" err &&
	test_grep -v GOOD_1 err
'

# Names that change where programs find code, what they run at start,
# or which certificates they trust: one of every family.
LOADER_NAMES="GLIBC_TUNABLES PYTHONHOME PYTHONPATH PYTHONSTARTUP PYTHONUSERBASE
PERL5LIB PERL5OPT PERLLIB RUBYOPT RUBYLIB GEM_PATH NODE_OPTIONS NODE_PATH
NODE_EXTRA_CA_CERTS GIT_SSH_COMMAND GIT_SSH GIT_EXEC_PATH GIT_CONFIG
GIT_CONFIG_GLOBAL GIT_CONFIG_COUNT GIT_DIR GIT_SSL_NO_VERIFY ZDOTDIR
PROMPT_COMMAND FPATH SSL_CERT_FILE SSL_CERT_DIR OPENSSL_CONF CURL_CA_BUNDLE
LUA_INIT JAVA_TOOL_OPTIONS _JAVA_OPTIONS CLASSPATH MALLOC_ARENA_MAX
BASH_FUNC_X LD_AUDIT"

test_expect_success 'loader, interpreter and TLS names are refused as params, where they are written' '
	for n in $LOADER_NAMES; do
		printf "runjob: 1\nname: n\nparams:\n  %s: x\nsteps: [{ id: s, run: \"true\" }]\n" "$n" >"p-$n.yaml" &&
		test_expect_code 3 runjob check "p-$n.yaml" 2>err &&
		test_grep "^p-$n.yaml:4:3: error: param name .$n. is refused: it changes how programs load or shells start" err || return 1
	done
'

test_expect_success 'they are refused as env keys whose value comes from a param, and taken as written' '
	for n in $LOADER_NAMES; do
		printf "runjob: 1\nname: n\nparams: { V: x }\nenv:\n  %s: \"\${{ params.V }}\"\nsteps:\n  - id: s\n    run: \"true\"\n    env: { %s: \"a:\${{ params.V }}\" }\n" "$n" "$n" >"e-$n.yaml" &&
		test_expect_code 3 runjob check "e-$n.yaml" 2>err &&
		test_grep "^e-$n.yaml:5:3: error: env.$n takes its value from .\${{ ... }}., but $n changes how programs load or shells start" err &&
		test_grep "^e-$n.yaml:9:12: error: env.$n takes its value from" err &&
		printf "runjob: 1\nname: n\nenv:\n  %s: /opt/x\nsteps: [{ id: s, run: \"true\" }]\n" "$n" >"l-$n.yaml" &&
		runjob check "l-$n.yaml" >out || return 1
	done &&
	printf "runjob: 1\nname: n\nparams: { GIT_REF: a, NODE_ID: b, SSL_MODE: c, LDX: d, PYTHO: e }\nsteps: [{ id: s, run: \"true\" }]\n" >near.yaml &&
	runjob check near.yaml
'

test_expect_success 'secrets are masked in plan, text and JSON, whatever their source' '
	cat >sec.yaml <<-\EOF &&
	runjob: 1
	name: sec
	params:
	  TOKEN: { secret: true, env: RUNJOB_TEST_TOKEN }
	  URL: { default: "redis://host" }
	env: { AUTH: "Bearer ${{ params.TOKEN }}" }
	steps:
	  - id: s
	    run: "true"
	    dir: "/tmp/${{ params.TOKEN }}"
	EOF
	RUNJOB_TEST_TOKEN=hunter2-secret runjob plan sec.yaml >out 2>&1 &&
	RUNJOB_TEST_TOKEN=hunter2-secret runjob plan --json sec.yaml >>out 2>&1 &&
	printf "TOKEN=hunter2-secret\n" >sec.env && chmod 600 sec.env &&
	runjob plan --env-file sec.env sec.yaml >>out 2>&1 &&
	test_grep "TOKEN = \*\*\*" out &&
	test_grep -v hunter2 out
'

test_expect_success 'a secret that is also part of another value is masked there' '
	cat >sec2.yaml <<-\EOF &&
	runjob: 1
	name: sec2
	params:
	  PASS: { secret: true, default: "" }
	  DSN: { default: "" }
	steps: [{ id: s, run: "true" }]
	EOF
	runjob plan -p PASS=pw-1234 -p DSN=postgres://u:pw-1234@db sec2.yaml >out 2>err &&
	test_grep "DSN  = postgres://u:\*\*\*@db" out &&
	test_grep -v pw-1234 out
'

test_expect_success 'a secret given with -p draws a warning' '
	runjob check -p PASS=pw-1234 sec2.yaml 2>err &&
	test_grep "^runjob: warning: secret param PASS was given with -p" err
'

test_expect_success 'an env file giving a secret that others can read draws a warning' '
	chmod 644 sec.env &&
	runjob check --env-file sec.env sec.yaml 2>err &&
	test_grep "sec.env: warning: gives a secret param but is readable by other users (mode 0644); run: chmod 600 sec.env" err &&
	chmod 600 sec.env &&
	runjob check --env-file sec.env sec.yaml 2>err &&
	test_grep -v "readable" err
'

test_expect_success 'a secret with a default written in the job file is warned about, where it is written' '
	cat >secdef.yaml <<-\EOF &&
	runjob: 1
	name: secdef
	params:
	  TOKEN: { secret: true, default: "tok-literal-42" }
	  EMPTY: { secret: true, default: "" }
	  FROM_ENV: { secret: true, env: SOME_TOKEN }
	  PLAIN: { default: x }
	steps: [{ id: s, run: "true" }]
	EOF
	runjob check secdef.yaml >out 2>err &&
	test_grep "secdef.yaml: ok" out &&
	test_grep "^secdef.yaml:4:35: warning: param TOKEN is secret but its default is written in the job file, and the journal keeps the job text that ran; give the value with .env: VARIABLE." err &&
	test $(grep -c warning: err) = 1 &&
	test_grep -v tok-literal-42 err
'

test_expect_success 'a pattern error never shows a secret value' '
	cat >sec3.yaml <<-\EOF &&
	runjob: 1
	name: sec3
	params:
	  PIN: { secret: true, pattern: "^[0-9]{4}$", default: "0000" }
	steps: [{ id: s, run: "true" }]
	EOF
	test_expect_code 3 runjob check -p PIN=abcdefg sec3.yaml 2>err &&
	test_grep "param PIN: value .\*\*\*. (from -p) does not match" err &&
	test_grep -v abcdefg err
'

test_expect_success 'a NUL byte in an env file is refused' '
	printf "A=x\000y\n" >nul.env &&
	test_expect_code 3 runjob check --env-file nul.env job.yaml 2>err &&
	test_grep "nul.env: error: the env file holds a NUL byte" err
'

test_done
