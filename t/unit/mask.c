/*
 * mask.c - unit tests of secret masking.
 */
#include <stdio.h>
#include <string.h>

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

	ok(mask_cut(&m, "abcdef", 6) == 6, "no secrets: a line can go whole");
	mask_add(&m, "secret");
	ok(mask_cut(&m, "xxxxxxxxsec", 11) == 6,
		"a tail that may begin a secret waits");
	ok(mask_cut(&m, "xxsecretxx", 10) == 8,
		"a secret is never cut: the cut comes after it");
	ok(mask_cut(&m, "xxxxsecret", 10) == 10,
		"a secret ending the text goes with it");
	ok(mask_cut(&m, "xxxxx", 5) == 0, "nothing is let go too early");
	{
		/* Every way of cutting a text in two at mask_cut's point masks
		 * it as masking it whole does. */
		const char *text = "a secret, secrets and more secret";
		char whole[64], piece[64];
		size_t n, cut;

		snprintf(whole, sizeof(whole), "%s", mask_str(&m, text));
		for (n = 0; n <= strlen(text); n++) {
			cut = mask_cut(&m, text, n);
			snprintf(piece, sizeof(piece), "%.*s", (int)cut, text);
			snprintf(piece, sizeof(piece), "%s", mask_str(&m, piece));
			if (strncmp(whole, piece, strlen(piece)) != 0)
				break;
		}
		ok(n > strlen(text), "a text cut at mask_cut reads as masked whole");
	}
	mask_free(&m);
	return tap_done();
}
