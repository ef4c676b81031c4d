#!/bin/sh
test_description='no object file of runjob needs, through the symbols it uses, one that needs it back'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'runner/ and journal/ have no cycle' '
	(cd "$RUNJOB_ROOT" && sh t/perf/link-graph.sh) >cycles 2>&1 &&
	! test -s cycles
'

test_expect_success 'a cycle is found and named' '
	mkdir obj &&
	printf "void b(void); void a(void) { b(); }\n" >obj/a.c &&
	printf "void a(void); void b(void) { a(); }\n" >obj/b.c &&
	printf "void c(void) { }\n" >obj/c.c &&
	for o in a b c; do
		cc -c -o obj/$o.o obj/$o.c || return 1
	done &&
	test_expect_code 1 sh "$RUNJOB_ROOT/t/perf/link-graph.sh" obj/a.o obj/b.o obj/c.o >cycles &&
	test_grep "^cycle: obj/a obj/b$" cycles
'

test_done
