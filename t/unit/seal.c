/*
 * seal.c - unit tests of sealed values: what is sealed opens with the
 * key and context it was sealed with, and with nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "seal.h"
#include "tap.h"

int
main(void)
{
	unsigned char key[SEAL_KEY_LEN], other[SEAL_KEY_LEN];
	const char *value = "redis://user:Xyzzy-s3cret@db:6379/0";
	char *a, *b, *out = NULL, *ctx = seal_context("r1", "a[x]", "URL");
	char *ctx2 = seal_context("r1", "a[x]", "URL2");
	size_t i;

	memset(key, 7, sizeof(key));
	memset(other, 7, sizeof(other));
	other[31] = 8;
	a = seal(key, ctx, value);
	b = seal(key, ctx, value);
	ok(strncmp(a, "1:", 2) == 0, "a sealed value is marked with its version");
	ok(!strstr(a, "Xyzzy") && !strstr(a, "redis"), "it does not show the value");
	ok(strcmp(a, b) != 0, "sealing a value twice gives two texts");
	ok(unseal(key, ctx, a, &out) == 0 && out && strcmp(out, value) == 0,
		"it opens with its key and context");
	free(out);
	ok(unseal(other, ctx, a, &out) < 0 && !out, "not with another key");
	ok(unseal(key, ctx2, a, &out) < 0, "not for another place");
	for (i = 2; a[i]; i++) {
		char keep = a[i];

		a[i] = a[i] == '0' ? '1' : '0';
		if (unseal(key, ctx, a, &out) == 0)
			break;
		a[i] = keep;
	}
	ok(!a[i], "no digit of it can be changed unnoticed");
	ok(unseal(key, ctx, "1:00", &out) < 0, "a short text is refused");
	ok(unseal(key, ctx, "x", &out) < 0, "a text that is not sealed is refused");
	a[strlen(a) - 2] = '\0';
	ok(unseal(key, ctx, a, &out) < 0, "a cut one is refused");
	free(a);
	free(b);
	a = seal(key, ctx, "");
	ok(unseal(key, ctx, a, &out) == 0 && out && !*out, "an empty value");
	free(out);
	free(a);
	free(ctx);
	free(ctx2);
	return tap_done();
}
