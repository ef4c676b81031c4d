/*
 * fname.c - unit tests of the file names of step instances: distinct
 * ids never share a name, and no name is too long for the file system.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fname.h"
#include "tap.h"
#include "util.h"

static int
same_name(const char *a, const char *b)
{
	char *fa = fname_of(a), *fb = fname_of(b);
	int same = strcmp(fa, fb) == 0;

	free(fa);
	free(fb);
	return same;
}

/* Longest name of id with the longest suffix the runner adds. */
static size_t
longest(const char *id)
{
	char *f = fname_of(id), *path;
	size_t n;

	path = xasprintf("%s.rollback2147483647.log", f);
	n = strlen(path);
	free(path);
	path = xasprintf("%s.2147483647.output", f);
	if (strlen(path) > n)
		n = strlen(path);
	free(path);
	free(f);
	return n;
}

int
main(void)
{
	static const char *const pairs[][2] = {
		{ "a[b/c]", "a[b_c]" },
		{ "a[b/c]", "a[b%2Fc]" },
		{ "a[b c]", "a[b_c]" },
		{ "a[b%20c]", "a[b c]" },
		{ "a[b~c]", "a[b%7Ec]" },
		{ "a[\xc3\xa9]", "a[%C3%A9]" },
		{ "a[/]", "a[%]" },
		{ "a[.]", "a[..]" },
		{ "a[B]", "a[b]" },
	};
	char big[600], other[600], *f;
	size_t i, worst = 0;

	f = fname_of("copy[eu-west-1]");
	is_str(f, "copy[eu-west-1]", "a plain id is its own name");
	free(f);
	f = fname_of("a[b/c d]");
	is_str(f, "a[b%2Fc%20d]", "other bytes are %%XX");
	free(f);
	f = fname_of("a[50%]");
	is_str(f, "a[50%25]", "'%%' itself is escaped");
	free(f);

	for (i = 0; i < ARRAY_SIZE(pairs); i++)
		ok(!same_name(pairs[i][0], pairs[i][1]), "'%s' and '%s' differ",
			pairs[i][0], pairs[i][1]);

	/* Long ids: cut and hashed, and still apart when they differ only
	 * at the end, or only in a byte past the readable start. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "a[", 2);
	big[sizeof(big) - 2] = ']';
	memcpy(other, big, sizeof(big));
	other[sizeof(other) - 3] = 'y';
	ok(!same_name(big, other), "long ids differing at the end differ");
	other[sizeof(other) - 3] = 'x';
	other[300] = '/';
	ok(!same_name(big, other), "long ids differing in the middle differ");
	f = fname_of(big);
	ok(strlen(f) <= FNAME_MAX && strncmp(f, "a[xxxx", 6) == 0 &&
		strchr(f, '~'), "a long id keeps a readable start: %s", f);
	free(f);

	/* Around the edge: FNAME_MAX bytes plain, and one more. */
	for (i = FNAME_MAX - 3; i <= FNAME_MAX + 3; i++) {
		memset(big, 'z', i);
		big[i] = '\0';
		f = fname_of(big);
		ok(i <= FNAME_MAX ? strcmp(f, big) == 0 :
			strlen(f) <= FNAME_MAX && strchr(f, '~') != NULL,
			"an id of %zu safe bytes", i);
		free(f);
		memset(other, 'z', i);
		other[i] = '\0';
		other[i - 1] = '/';
		ok(!same_name(big, other), "and with a '/' at its end");
	}

	/* The escaped form near the edge: a cut never splits a %XX. */
	for (i = 60; i < 75; i++) {
		size_t k;

		for (k = 0; k < i; k++)
			big[k] = k % 3 ? '/' : 'q';
		big[i] = '\0';
		f = fname_of(big);
		ok(strlen(f) <= FNAME_MAX && (strchr(f, '~') ?
			strrchr(f, '%') < strchr(f, '~') - 2 : 1),
			"%zu mixed bytes: %zu long", i, strlen(f));
		free(f);
	}

	/* Every byte value, one at a time and in every pair. */
	for (i = 1; i < 256; i++) {
		size_t k, clash = 0;

		for (k = 1; k < 256; k++) {
			char a[8], b[8];

			if (k == i)
				continue;
			snprintf(a, sizeof(a), "s[%c]", (int)i);
			snprintf(b, sizeof(b), "s[%c]", (int)k);
			clash += same_name(a, b);
		}
		if (clash)
			ok(0, "byte %zu meets another", i);
	}
	ok(1, "no two single bytes meet");

	for (i = 0; i < 2000; i++) {
		size_t k, n = i % 1100 + 1;
		char *id = xmalloc(n + 1);

		for (k = 0; k < n; k++)
			id[k] = (char)(1 + (i * 7919 + k * 104729) % 255);
		id[n] = '\0';
		if (longest(id) > worst)
			worst = longest(id);
		free(id);
	}
	ok(worst <= NAME_MAX, "names with suffixes fit NAME_MAX: %zu", worst);
	return tap_done();
}
