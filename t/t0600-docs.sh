#!/bin/sh
test_description='the manual pages and the README say what the program does'
. "$(dirname "$0")/test-lib.sh"

MAN1=$RUNJOB_ROOT/docs/runjob.1
MAN5=$RUNJOB_ROOT/docs/runjob-job.5
README=$RUNJOB_ROOT/README.md
CHECK_C=$RUNJOB_ROOT/runner/check.c
EXITCODE_H=$RUNJOB_ROOT/runner/exitcode.h
BS=$(printf '\b')

# need_mandoc: fail with the fix when mandoc is missing.
need_mandoc() {
	command -v mandoc >/dev/null && return 0
	echo "mandoc is not installed; run: make test-deps" >&2
	return 1
}

# render PAGE: the page as plain text, one SYNOPSIS entry a line.
render() {
	mandoc -T ascii -O width=1000 "$1" | sed "s/.$BS//g"
}

# section PAGE TITLE: the mdoc source of the .Sh or .Ss named TITLE, up
# to the next .Sh or .Ss.
section() {
	awk -v t="$2" '
		on && /^\.S[hs] / { exit }
		$0 == ".Sh " t || $0 == ".Ss " t { on = 1 }
		on { print }
	' "$1"
}

# block FILE START: the lines from the first line equal to START up to,
# not including, the next .It or .El line.
block() {
	awk -v s="$2" '
		on && /^\.(It|El)( |$)/ { exit }
		$0 == s { on = 1 }
		on { print }
	' "$1"
}

# command_block NAME: the source of NAME's entry under COMMANDS, with
# "Fl \-x" and "Fl x" written as the options they render as.
command_block() {
	section "$MAN1" COMMANDS | awk -v s=".It Cm $1" '
		on && /^\.It Cm / { exit }
		$0 == s { on = 1 }
		on { print }
	' | sed -e 's/Fl \\-/--/g' -e 's/Fl /-/g'
}

# re STRING: STRING with the characters special in an ERE escaped.
re() {
	printf '%s\n' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'
}

# key_tables: "TABLE KEY" for every key of every mapping the loader
# knows (job, step, rollback, param, retry, window, blackout, approve,
# notify).
key_tables() {
	loader_keys >loader-keys &&
	awk '
		$1 ~ /^(job|step|rollback|param|retry|window|blackout|approve|notify)$/ {
			print $1, $2
		}' loader-keys
}

# builtins: "NAME KEY..." for each built-in action.
builtins() {
	loader_keys >loader-keys &&
	awk '
		$1 != "builtin" { next }
		$2 != name { if (line) print line; name = $2; line = name }
		{ line = line " " $3 }
		END { if (line) print line }' loader-keys
}

# between FILE START END: the lines after the first line equal to START,
# up to the next line equal to END.
between() {
	S=$2 E=$3 awk '
		on && $0 == ENVIRON["E"] { exit }
		on { print }
		!on && $0 == ENVIRON["S"] { on = 1 }
	' "$1"
}

# not_yet: what check.c refuses as not supported yet, as it names it
# ("window", "require_clean: true", ...).
not_yet() {
	sed -n "s/.*not_yet([^,]*, [^,]*, [^,]*, \"'\([^']*\)'.*/\1/p" "$CHECK_C"
}

test_expect_success 'mandoc -T lint finds nothing in the manual pages' '
	need_mandoc &&
	mandoc -T lint -W warning "$MAN1" "$MAN5" >lint 2>&1 &&
	test_must_fail test -s lint
'

test_expect_success 'runjob help, runjob --version exit 0; an unknown topic exits 2' '
	runjob help >help &&
	test_grep "^usage:" help &&
	runjob --version >version &&
	test_grep "^runjob [0-9]" version &&
	test_expect_code 2 runjob help nosuch 2>err &&
	test_grep "nosuch" err
'

# The shorthand "runjob [options] JOB.yaml" for run has no usage line of
# its own in runjob help; its summary names it.
SHORTHAND="runjob [options] JOB.yaml"

test_expect_success 'the SYNOPSIS of runjob(1) has exactly the usage lines of runjob help' '
	need_mandoc &&
	runjob help | sed -n "/^usage:\$/,/^\$/p" | sed -e "1d" -e "/^\$/d" \
		-e "s/^ *//" -e "s/  */ /g" >usage.raw &&
	test_grep "^runjob check " usage.raw &&
	test_grep "^runjob run " usage.raw &&
	runjob help run >help-run &&
	test_grep "also: runjob JOB.yaml" help-run &&
	{ cat usage.raw && echo "$SHORTHAND"; } | sort >usage &&
	render "$MAN1" | sed -n "/^SYNOPSIS\$/,/^[A-Z]/p" | sed -e "1d" \
		-e "/^[A-Z]/d" -e "/^\$/d" -e "s/^ *//" -e "s/  */ /g" |
		sort >synopsis &&
	test_cmp usage synopsis
'

test_expect_success 'every command of runjob help is under COMMANDS in runjob(1), and only those' '
	runjob help | sed -n "/^commands:\$/,/^\$/p" | sed -e "1d" -e "/^\$/d" |
		awk "{ print \$1 }" | sort >commands &&
	test_grep "^check\$" commands &&
	test_grep "^plan\$" commands &&
	section "$MAN1" COMMANDS | sed -n "s/^\.It Cm \([^ ]*\).*/\1/p" |
		sort >documented &&
	test_cmp commands documented
'

test_expect_success 'every option of each command is an item of its entry in runjob(1)' '
	n=0 &&
	for c in $(cat commands); do
		runjob help "$c" >"help-$c" &&
		sed -n "/^options:\$/,/^\$/p" "help-$c" | sed -e "1d" -e "/^\$/d" |
			awk "{ print \$1 }" >"options-$c" &&
		command_block "$c" >"entry-$c" &&
		test -s "entry-$c" || return 1
		for o in $(cat "options-$c"); do
			case $o in
			-*) ;;
			*) echo "help $c: option line starts with $o" >&2; return 1 ;;
			esac
			n=$((n + 1))
			grep -E "^\.It $(re "$o")( |\$)" "entry-$c" >/dev/null || {
				echo "runjob(1) does not document $o under $c" >&2
				return 1
			}
		done
		for o in $(sed -n "s/^\.It \(-[^ ]*\).*/\1/p" "entry-$c"); do
			grep -Fx -e "$o" "options-$c" >/dev/null || {
				echo "runjob(1) documents $o under $c; runjob help $c does not list it" >&2
				return 1
			}
		done
	done &&
	test "$n" -ge 8
'

test_expect_success 'the shorthand runjob [options] JOB.yaml is runjob run' '
	printf "runjob: 1\nname: short\nsteps:\n  - { id: a, if: exit 1, run: \"false\" }\n" >short.yaml &&
	runjob run --dry-run short.yaml >expect &&
	runjob short.yaml --dry-run >actual &&
	test_cmp expect actual &&
	runjob --dry-run short.yaml >actual &&
	test_cmp expect actual &&
	test_grep "would be skipped" actual
'

test_expect_success 'the kinds of event runjob show lists in runjob(1) are every kind a run records, and only those' '
	runjob help --events | sort >kinds &&
	test_grep "^checkpoint\$" kinds &&
	test "$(wc -l <kinds)" -ge 10 &&
	command_block show | awk "
		/^\.Po/ { on = 1; next }
		on && /^\.Pc/ { exit }
		on && /^\.Li / { print \$2 }
	" | sort >listed &&
	test_cmp kinds listed
'

test_expect_success 'every exit code named in exitcode.h is in EXIT STATUS of runjob(1)' '
	sed -n "s/^[[:space:]]*EXIT_[A-Z]* = \([0-9]*\),.*/\1/p" "$EXITCODE_H" >codes &&
	test "$(wc -l <codes)" -ge 8 &&
	section "$MAN1" "EXIT STATUS" >exit-status &&
	for n in $(cat codes); do
		grep -E "^\.It (.* )?$n( |,|\$)" exit-status >/dev/null || {
			echo "exit code $n is not in EXIT STATUS" >&2
			return 1
		}
	done
'

test_expect_success 'EXIT STATUS lists what runjob help says it returns, then the rest of exitcode.h as reserved' '
	runjob help | sed -n "/^exit codes:/,/^Run /p" | sed "\$d" |
		grep -o "[0-9][0-9]*" | sort >returned &&
	test_grep "^130\$" returned &&
	sed -n "s/^[[:space:]]*EXIT_[A-Z]* = \([0-9]*\),.*/\1/p" "$EXITCODE_H" |
		sort >all &&
	comm -13 returned all >reserved.want &&
	section "$MAN1" "EXIT STATUS" | awk "
		/^\.El/ { list++ }
		/^\.It [0-9]/ { print list + 0, \$2 }
	" | tr -d , >items &&
	sed -n "s/^0 //p" items | sort >returned.doc &&
	sed -n "s/^1 //p" items | sort >reserved.doc &&
	test_cmp returned returned.doc &&
	test_cmp reserved.want reserved.doc
'

test_expect_success 'every variable runjob reads or gives to steps is in ENVIRONMENT of runjob(1)' '
	grep -ho "getenv(\"[A-Z_]*\")" "$RUNJOB_ROOT"/runner/*.c "$RUNJOB_ROOT"/journal/*.c |
		sed "s/getenv(\"\(.*\)\")/\1/" | sort -u >read &&
	test_grep "^RUNJOB_JOURNAL\$" read &&
	grep -ho "env_set([^,]*, \"RUNJOB_[A-Z_]*\"" "$RUNJOB_ROOT"/runner/*.c |
		sed "s/.*\"\(.*\)\"/\1/" | sort -u >given &&
	test_grep "^RUNJOB_ATTEMPT_ID\$" given &&
	test_grep "^RUNJOB_DRY_RUN\$" given &&
	section "$MAN1" ENVIRONMENT >environment &&
	for v in $(cat read); do
		grep -E "^\.It Ev $v\$" environment >/dev/null || {
			echo "runjob reads $v; it is not an item of ENVIRONMENT" >&2
			return 1
		}
	done &&
	for v in $(cat given); do
		grep -E "^\.Ev $v( |\$)" environment >/dev/null || {
			echo "steps get $v; ENVIRONMENT of runjob(1) does not name it" >&2
			return 1
		}
	done
'

test_expect_success 'every variable a step gets from runjob is an item of runjob-job(5)' '
	section "$MAN5" "The environment of a step" >stepenv &&
	test -s stepenv &&
	for v in $(cat given); do
		grep -E "^\.It Ev $v\$" stepenv >/dev/null || {
			echo "steps get $v; The environment of a step does not list it" >&2
			return 1
		}
	done &&
	for v in $(sed -n "s/^\.It Ev \(RUNJOB_[A-Z_]*\)\$/\1/p" stepenv); do
		grep -Fx -e "$v" given >/dev/null || {
			echo "runjob-job(5) lists $v; runjob does not set it" >&2
			return 1
		}
	done
'

test_expect_success 'every key the loader takes is an item in its section of runjob-job(5)' '
	key_tables >keys &&
	test "$(wc -l <keys)" -ge 50 &&
	while read -r table key; do
		case $table in
		job) where="The job" ;;
		step) where=Steps ;;
		rollback) where=Rollback ;;
		param) where=Parameters ;;
		retry) where=Retry ;;
		window|blackout) where="Maintenance windows" ;;
		approve) where=Gates ;;
		notify) where=Notifications ;;
		*) echo "no section of runjob-job(5) is known for $table" >&2
		   return 1 ;;
		esac
		section "$MAN5" "$where" >sect &&
		test -s sect || { echo "no section $where" >&2; return 1; }
		pat="^\.It( .*)? Ic $(re "$key")( |\$)" &&
		grep -E "$pat" sect >/dev/null || {
			echo "$table: key $key is not documented in $where" >&2
			return 1
		}
	done <keys
'

test_expect_success 'every built-in action and each of its keys is in runjob-job(5)' '
	builtins >builtins &&
	test "$(wc -l <builtins)" -eq 4 &&
	section "$MAN5" "NOT SUPPORTED IN THIS VERSION" >unsupported &&
	while read -r name keys; do
		test -n "$keys" &&
		section "$MAN5" "$name" >entry &&
		if test -s entry
		then
			pat="^\.It Ic %s( |\$)"
		else
			block unsupported ".It Ic $name" >entry &&
			pat="(^\.| )Ic %s( |\$)"
		fi &&
		test -s entry || {
			echo "built-in $name has no entry in runjob-job(5)" >&2
			return 1
		}
		for k in $keys; do
			grep -E "$(printf "$pat" "$(re "$k")")" entry >/dev/null || {
				echo "built-in $name: key $k is not documented" >&2
				return 1
			}
		done
	done <builtins
'

test_expect_success 'the DESCRIPTION of runjob(1) names the built-in actions this version has, and those check refuses' '
	builtins | cut -d" " -f1 >builtins &&
	test "$(wc -l <builtins)" -ge 2 &&
	# Which of them check refuses, as it says.
	for b in $(cat builtins); do
		printf "runjob: 1\nname: b\nsteps:\n  - id: s\n    %s: {}\n" "$b" >b.yaml &&
		{ runjob check b.yaml >/dev/null 2>b.err || :; } &&
		if grep -F "the built-in action '\''$b'\'' is not supported yet" b.err >/dev/null
		then echo "$b"
		fi || return 1
	done >not-yet &&
	section "$MAN1" DESCRIPTION >description &&
	paragraph=$(awk "/^This version has the built-in actions/ { on = 1 } on && /^\.Pp/ { exit } on" description) &&
	test -n "$paragraph" &&
	for b in $(cat builtins); do
		if grep -Fx -e "$b" not-yet >/dev/null
		then part=2 what="say check refuses"
		else part=1 what="name the built-in"
		fi &&
		printf "%s\n" "$paragraph" | awk -v b="$b" "
			/^This version has/ { part = 1 }
			/refuses/ { part = 2 }
			\$2 == b { print part }
		" | grep -qx $part || {
			echo "runjob(1) DESCRIPTION does not $what $b" >&2
			return 1
		}
	done
'

test_expect_success 'what check refuses as not supported yet is listed in runjob-job(5)' '
	not_yet >not-yet &&
	! grep -E "^(window|blackout)\$" not-yet &&
	section "$MAN5" "NOT SUPPORTED IN THIS VERSION" >section &&
	{ grep "^\.It " section || test ! -s not-yet; } >items &&
	while read -r what; do
		grep -F -e "$what" items >/dev/null || {
			echo "$what is not listed as not supported" >&2
			return 1
		}
	done <not-yet
'

test_expect_success 'every name refused for params and outputs is in runjob-job(5)' '
	loader_keys | sed -n "s/^refused\(-prefix\)\{0,1\} //p" >refused &&
	test "$(wc -l <refused)" -ge 20 &&
	section "$MAN5" Names >names &&
	for n in $(cat refused); do
		grep -E "(^\.| )Li $(re "$n")( |,|\$)" names >/dev/null || {
			echo "refused name $n is not in Names" >&2
			return 1
		}
	done
'

test_expect_success 'the example job of runjob-job(5) is valid and plans as it says' '
	section "$MAN5" EXAMPLES | awk "
		/^\.Bd -literal/ { on = 1; next }
		on && /^\.Ed/ { exit }
		on { print }
	" >job.yaml &&
	test_grep "^runjob: 1" job.yaml &&
	echo "DST=redis://10.0.0.7:6379/0" >prod.env &&
	runjob check job.yaml >out &&
	echo "job.yaml: ok (5 steps in 4 waves)" >expect &&
	test_cmp expect out &&
	runjob plan job.yaml >plan &&
	sed -n "/^rollback order/,\$p" plan | awk "NR > 1 { print \$1 }" >order &&
	printf "switch\ncopy[carts]\ncopy[sessions]\n" >expect &&
	test_cmp expect order
'

test_expect_success 'the plan shown in runjob(1) and README.md is what plan prints' '
	(cd "$RUNJOB_ROOT" && runjob plan -p REGIONS=eu,us examples/fan-out.yaml) >plan &&
	cmd="\$ runjob plan -p REGIONS=eu,us examples/fan-out.yaml" &&
	between "$MAN1" "$cmd" "\\&..." >shown1 &&
	between "$README" "$cmd" "..." >shown2 &&
	test "$(wc -l <shown1)" -ge 10 &&
	test "$(wc -l <shown2)" -ge 10 &&
	head -n "$(wc -l <shown1)" plan >expect1 &&
	test_cmp expect1 shown1 &&
	head -n "$(wc -l <shown2)" plan >expect2 &&
	test_cmp expect2 shown2
'

test_expect_success 'README.md shows every command of runjob help' '
	for c in $(cat commands); do
		grep -E "runjob $c( |\`|\$)" "$README" >/dev/null || {
			echo "README.md does not show runjob $c" >&2
			return 1
		}
	done
'

test_expect_success 'the job file of the README tour is valid' '
	between "$README" "\`\`\`yaml" "\`\`\`" >tour.yaml &&
	test_grep "^runjob: 1" tour.yaml &&
	runjob check tour.yaml
'

test_expect_success 'README.md opens with make demo and make check' '
	demo="    make demo     # installs missing build dependencies, builds, checks, plans and runs an example" &&
	check="    make check    # installs what the tests need, builds, runs every test" &&
	first=$(grep -n "^## " "$README" | head -n 1 | cut -d: -f1) &&
	d=$(grep -n -Fx -e "$demo" "$README" | cut -d: -f1) &&
	c=$(grep -n -Fx -e "$check" "$README" | cut -d: -f1) &&
	test -n "$first" && test -n "$d" && test -n "$c" &&
	test "$d" -lt "$first" && test "$c" -eq $((d + 1))
'

test_done
