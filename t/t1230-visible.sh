#!/bin/sh
test_description='control characters from steps and params are written out on the terminal and in show, and kept as they came in the logs'
. "$(dirname "$0")/test-lib.sh"

ESC=$(printf '\033')
CR=$(printf '\r')

# raw FILE: FILE holds an escape character or a carriage return.
raw() {
	grep -q -e "$ESC" -e "$CR" "$1"
}

test_expect_success 'escape sequences a failing step prints are written out on the terminal, kept in the log' '
	cat >esc.yaml <<-\EOF &&
	runjob: 1
	name: esc
	steps:
	  - id: a
	    run: |
	      printf "\033[2J\033[31mred\033[0m\r"
	      printf "bell\007 back\010 c1\302\233x caf\303\251\n"
	      printf "bad utf-8 \377\n"
	      exit 1
	EOF
	test_expect_code 1 runjob --journal "$PWD/j.db" esc.yaml >out 2>&1 &&
	! raw out &&
	test_grep "a | \\\\x1b\[2J\\\\x1b\[31mred\\\\x1b\[0m\\\\rbell\\\\x07 back\\\\x08 c1\\\\xc2\\\\x9bx café$" out &&
	test_grep "a | bad utf-8 \\\\xff$" out &&
	log=$(q j.db "select log from attempts") &&
	raw "$log" &&
	test_grep "$ESC\[31mred" "$log"
'

test_expect_success 'runjob status writes out what the failed step printed' '
	runjob status --journal "$PWD/j.db" >out 2>&1 &&
	! raw out &&
	test_grep "| bad utf-8 \\\\xff$" out &&
	test_grep "| \\\\x1b\[2J" out
'

test_expect_success 'a param value with a newline or an escape cannot forge a line of plan or of an error' '
	cat >p.yaml <<-\EOF &&
	runjob: 1
	name: p
	params:
	  P: { default: x, pattern: "^[a-z]+$" }
	  Q: y
	steps:
	  - { id: a, run: "echo \"$Q\"" }
	EOF
	runjob plan -p "Q=one
runjob: forged$ESC[2J" p.yaml >out 2>&1 &&
	! raw out &&
	test_grep "Q = one\\\\nrunjob: forged\\\\x1b\[2J  (-p)" out &&
	test_grep -v "^runjob: forged" out &&
	test_expect_code 3 runjob check -p "P=a
p.yaml:1:1: error: forged" p.yaml >out 2>&1 &&
	test_grep "value .a\\\\np.yaml:1:1: error: forged. (from -p) does not match" out &&
	test_grep -v "^p.yaml:1:1: error: forged" out
'

test_expect_success 'an output value with control characters is written out by runjob status' '
	cat >o.yaml <<-\EOF &&
	runjob: 1
	name: o
	steps:
	  - id: a
	    run: printf "V=x\033[31my\r\n" >>"$RUNJOB_OUTPUT"
	    outputs: [V]
	EOF
	runjob --journal "$PWD/o.db" o.yaml >out 2>&1 &&
	runjob status --journal "$PWD/o.db" >out 2>&1 &&
	! raw out &&
	test_grep "output a.V = x\\\\x1b\[31my\\\\r" out
'

test_done
