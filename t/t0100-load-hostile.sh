#!/bin/sh
test_description='hostile and broken job files are refused quickly, clearly, in bounded memory'
. "$(dirname "$0")/test-lib.sh"

# check_refused FILE PATTERN: check exits 3 and its message matches.
check_refused() {
	test_expect_code 3 runjob check "$1" 2>err &&
	test_grep "$2" err
}

# Run "$@" with a 2 s CPU and 256 MiB memory limit: hostile input must be
# refused long before either is reached. The sanitizers reserve terabytes
# of address space, so under them only the time is bounded.
bounded() {
	if [ -n "$RUNJOB_SANITIZE" ]; then
		(ulimit -t 10 && "$@")
	else
		(ulimit -t 2 && ulimit -v 262144 && "$@")
	fi
}

test_expect_success 'a missing file is named' '
	check_refused nosuch.yaml "nosuch.yaml: error: cannot open the job file: No such file"
'

test_expect_success 'an empty file is refused with what a job needs' '
	: >empty.yaml &&
	check_refused empty.yaml "empty.yaml: error: is empty"
'

test_expect_success 'a file of only comments is refused' '
	printf "# nothing\n\n" >comments.yaml &&
	check_refused comments.yaml "comments.yaml:1:1: error: no YAML document"
'

test_expect_success 'a directory is refused' '
	mkdir dir.yaml &&
	check_refused dir.yaml "dir.yaml: error: is a directory"
'

test_expect_success 'a FIFO is refused without waiting for a writer' '
	mkfifo fifo.yaml &&
	bounded test_expect_code 3 runjob check fifo.yaml 2>err &&
	test_grep "fifo.yaml: error: is not a regular file" err
'

test_expect_success 'a file over 4 MiB is refused before it is parsed' '
	head -c 5000000 /dev/zero | tr "\0" "#" >big.yaml &&
	bounded test_expect_code 3 runjob check big.yaml 2>err &&
	test_grep "limited to 4194304 bytes" err
'

test_expect_success 'a billion-laughs file is refused at the first anchor' '
	cat >laughs.yaml <<-\EOF &&
	a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
	b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
	c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
	d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
	e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
	f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
	g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
	h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
	i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
	EOF
	bounded test_expect_code 3 runjob check laughs.yaml 2>err &&
	test_grep "laughs.yaml:1:4: error: YAML anchors and aliases" err
'

test_expect_success 'a self-referencing alias is refused' '
	printf "runjob: 1\nname: x\nsteps: &a [*a]\n" >self.yaml &&
	bounded test_expect_code 3 runjob check self.yaml 2>err &&
	test_grep "self.yaml:3:8: error: YAML anchors and aliases" err
'

test_expect_success 'an alias alone is refused' '
	printf "runjob: 1\nname: *x\n" >alias.yaml &&
	check_refused alias.yaml "alias.yaml:2:7: error: YAML anchors and aliases"
'

test_expect_success 'nesting deeper than 64 is refused' '
	awk "BEGIN { for (i = 0; i < 100; i++) printf \"[\"; for (i = 0; i < 100; i++) printf \"]\"; print \"\" }" >deep.yaml &&
	bounded test_expect_code 3 runjob check deep.yaml 2>err &&
	test_grep "deep.yaml:1:65: error: nesting deeper than 64 levels" err
'

test_expect_success 'a scalar over 1 MiB is refused' '
	{ printf "runjob: 1\nname: x\ndescription: " && head -c 1100000 /dev/zero | tr "\0" a && echo; } >scalar.yaml &&
	check_refused scalar.yaml "scalar.yaml:3:14: error: a value of 1100000 bytes; values are limited to 1 MiB"
'

test_expect_success 'duplicate keys are refused, naming both places' '
	cat >dup.yaml <<-\EOF &&
	runjob: 1
	name: one
	name: two
	steps:
	  - id: a
	    run: "true"
	    run: "false"
	EOF
	check_refused dup.yaml "dup.yaml:3:1: error: duplicate key .name. (first given at line 2, column 1)" &&
	test_grep "dup.yaml:7:5: error: duplicate key .run. (first given at line 6, column 5)" err
'

test_expect_success 'duplicate keys in a large mapping are found too' '
	{ printf "runjob: 1\nname: x\nparams:\n" &&
	  seq 1 2000 | sed "s/.*/  P&: v/" && echo "  P77: again" &&
	  printf "steps:\n  - { id: a, run: x }\n"; } >dupbig.yaml &&
	check_refused dupbig.yaml "dupbig.yaml:2004:3: error: duplicate key .P77. (first given at line 80, column 3)"
'

test_expect_success 'an unknown tag is refused' '
	printf "runjob: 1\nname: !!python/object x\nsteps: []\n" >tag.yaml &&
	check_refused tag.yaml "tag.yaml:2:7: error: unknown YAML tag .tag:yaml.org,2002:python/object."
'

test_expect_success 'the standard tags are accepted' '
	printf "runjob: !!int 1\nname: !!str x\nsteps:\n  - { id: a, run: !!str 1 }\n" >stdtag.yaml &&
	runjob check stdtag.yaml
'

test_expect_success 'invalid UTF-8 is refused with its position' '
	printf "runjob: 1\nname: ab\377c\n" >utf8.yaml &&
	check_refused utf8.yaml "utf8.yaml:2:9: error: invalid UTF-8 (byte 0xff)"
'

test_expect_success 'an overlong UTF-8 form is refused' '
	printf "runjob: 1\nname: \300\257\n" >overlong.yaml &&
	check_refused overlong.yaml "overlong.yaml:2:7: error: invalid UTF-8 (byte 0xc0)"
'

test_expect_success 'a NUL byte in the file is refused' '
	printf "runjob: 1\nname: a\000b\n" >nul.yaml &&
	check_refused nul.yaml "nul.yaml:2:8: error: a NUL byte"
'

test_expect_success 'a NUL byte from an escape is refused' '
	printf "runjob: 1\nname: x\ndescription: \"a\\\\0b\"\nsteps:\n  - { id: a, run: x }\n" >nulesc.yaml &&
	check_refused nulesc.yaml "nulesc.yaml:3:14: error: a NUL byte (\\\\0) in a value"
'

test_expect_success 'a second YAML document is refused' '
	printf "runjob: 1\nname: x\nsteps: [{id: a, run: x}]\n---\nname: y\n" >docs.yaml &&
	check_refused docs.yaml "docs.yaml:4:1: error: a second YAML document"
'

test_expect_success 'a YAML syntax error names line and column' '
	printf "runjob: 1\nname: [x\nsteps: []\n" >syntax.yaml &&
	check_refused syntax.yaml "syntax.yaml:3:6: error: YAML syntax:"
'

test_expect_success 'a mapping key that is not a string is refused' '
	printf "runjob: 1\nname: x\n? [a]\n: b\nsteps: [{id: a, run: x}]\n" >cplx.yaml &&
	check_refused cplx.yaml "cplx.yaml:3:3: error: a mapping key must be a string"
'

test_expect_success 'a file that is a list, not a mapping, is refused' '
	printf -- "- a\n- b\n" >list.yaml &&
	check_refused list.yaml "list.yaml:1:1: error: a job file must be a mapping"
'

test_expect_success 'more than 1,000,000 steps is refused quickly' '
	{ printf "runjob: 1\nname: x\nsteps: [" && head -c 1000001 /dev/zero | tr "\0" "0" | sed "s/0/{},/g" && printf "{}]\n"; } >many.yaml &&
	test $(wc -c <many.yaml) -le 4194304 &&
	bounded test_expect_code 3 runjob check many.yaml 2>err &&
	test_grep "many.yaml:3:8: error: 1000002 steps; a job is limited to 1000000" err
'

# items N [LAST]: N distinct short items, comma-separated: every string of
# one, two, three... letters and digits in turn, but YAML's nulls; LAST,
# when given, ends the list instead of the Nth.
items() {
	awk -v n="$1" -v last="$2" 'BEGIN {
		a = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		for (i = 1; c < n; i++) {
			s = ""; k = i
			while (k > 0) { k--; s = substr(a, k % 62 + 1, 1) s; k = int(k / 62) }
			if (s == "null" || s == "Null" || s == "NULL")
				continue
			if (++c == n && last != "")
				s = last
			printf "%s%s", (c > 1 ? "," : ""), s
		}
	}'
}

test_expect_success 'a for_each of 800,000 items is checked and planned in bounded time' '
	{ printf "runjob: 1\nname: x\nsteps:\n  - id: a\n    run: \"true\"\n    for_each: [" && items 800000 && printf "]\n"; } >items.yaml &&
	test $(wc -c <items.yaml) -le 4194304 &&
	timeout 60 runjob check items.yaml >out &&
	test_grep "ok (800000 steps in 1 wave)" out &&
	timeout 60 runjob plan items.yaml >out &&
	test_grep "^  a\[2l6d\]  run: true" out &&
	{ printf "runjob: 1\nname: x\nsteps:\n  - id: a\n    run: \"true\"\n    for_each: [" && items 800000 7 && printf "]\n"; } >itemsdup.yaml &&
	test_expect_code 3 timeout 60 runjob check itemsdup.yaml 2>err &&
	test_grep "itemsdup.yaml:6:[0-9]*: error: for_each item .7. is listed twice" err &&
	test $(grep -c "error:" err) = 1
'

test_expect_success 'a for_each of 200,000 items from a param is checked in bounded time' '
	{ printf "runjob: 1\nname: x\nparams: { R: \"" && items 200000 && printf "\" }\nsteps:\n  - { id: a, run: \"true\", for_each: \"\${{ params.R }}\" }\n"; } >pitems.yaml &&
	timeout 60 runjob check pitems.yaml >out &&
	test_grep "ok (200000 steps in 1 wave)" out &&
	test_expect_code 3 timeout 60 runjob check -p R="$(items 20000 x),x" pitems.yaml 2>err &&
	test_grep "for_each item .x. comes twice" err
'

test_expect_success 'every file given to check is checked, the bad ones counted' '
	printf "runjob: 1\nname: ok\nsteps: [{id: a, run: x}]\n" >good.yaml &&
	test_expect_code 3 runjob check good.yaml empty.yaml nosuch.yaml >out 2>err &&
	test_grep "good.yaml: ok" out &&
	test_grep "empty.yaml: 1 error" err &&
	test_grep "nosuch.yaml: 1 error" err
'

test_done
