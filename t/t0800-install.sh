#!/bin/sh
test_description='make install and make uninstall put runjob and its man pages in place and take them away'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'make install honours PREFIX and DESTDIR' '
	make -s -C "$RUNJOB_ROOT" install PREFIX=/opt/rj DESTDIR="$TRASH_DIRECTORY/root" >out 2>&1 &&
	test -x root/opt/rj/bin/runjob &&
	test -f root/opt/rj/share/man/man1/runjob.1 &&
	test -f root/opt/rj/share/man/man5/runjob-job.5 &&
	root/opt/rj/bin/runjob --version >v &&
	test_grep "^runjob [0-9]" v
'

test_expect_success 'the installed man page renders' '
	mandoc -T utf8 root/opt/rj/share/man/man1/runjob.1 >page &&
	test_grep "runjob" page
'

test_expect_success 'make uninstall removes what install put there' '
	make -s -C "$RUNJOB_ROOT" uninstall PREFIX=/opt/rj DESTDIR="$TRASH_DIRECTORY/root" &&
	test_must_fail test -e root/opt/rj/bin/runjob &&
	test_must_fail test -e root/opt/rj/share/man/man1/runjob.1 &&
	test_must_fail test -e root/opt/rj/share/man/man5/runjob-job.5
'

test_done
