#!/bin/sh
test_description='the fuzz corpus replays cleanly (under the sanitizers in CI)'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'every seed, example and test job replays without a crash' '
	set -- "$RUNJOB_ROOT"/t/fuzz/seeds/* "$RUNJOB_ROOT"/examples/*.yaml &&
	for f in "$RUNJOB_ROOT"/t/data/*/*.yaml "$RUNJOB_ROOT"/jobs/*.yaml; do
		if test -f "$f"; then set -- "$@" "$f"; fi
	done &&
	"$RUNJOB_ROOT"/t/fuzz/replay-load "$@" 2>err &&
	test_grep "replayed $# inputs" err
'

test_done
