/*
 * mask.c - unit tests of secret masking.
 */
#include "mask.h"
#include "tap.h"

int
main(void)
{
	struct mask m = {0};

	is_str(mask_str(&m, "nothing to hide"), "nothing to hide",
		"no secrets: unchanged");
	mask_add(&m, "hunter2");
	mask_add(&m, "");
	is_str(mask_str(&m, "pw=hunter2;again hunter2"), "pw=***;again ***",
		"every occurrence is masked");
	is_str(mask_str(&m, "hunter"), "hunter", "a prefix is not masked");
	mask_add(&m, "hunter2-long");
	is_str(mask_str(&m, "x hunter2-long y"), "x *** y",
		"the longer secret wins over its prefix");
	mask_add(&m, "line-one\nline-two\nab");
	is_str(mask_str(&m, "[line-two]"), "[***]",
		"each line of a multi-line secret is masked alone");
	is_str(mask_str(&m, "ab cab"), "ab cab",
		"lines shorter than three bytes are not masked alone");
	is_str(mask_str(&m, "line-one\nline-two\nab"), "***",
		"the whole multi-line secret is masked as one");
	mask_free(&m);
	ok(m.n == 0, "mask_free empties the mask");
	return tap_done();
}
