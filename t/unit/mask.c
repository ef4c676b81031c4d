/*
 * mask.c - unit tests of secret masking.
 */
#include <stdio.h>
#include <string.h>

#include "lines.h"
#include "mask.h"
#include "tap.h"
#include "util.h"

/* The lines of output a struct lines let go, masked, each followed by
 * a '|'. */
static struct buf got;
static const struct mask *got_mask;

static void
collect(void *arg, char *line, size_t len)
{
	(void)arg;
	lines_mask(got_mask, &got, line, len);
	buf_addc(&got, '|');
}

/* The parts of URL-shaped secrets a shell prints on their own. */
static void
url_parts(void)
{
	struct mask m = {0};

	mask_add(&m, "redis://mig-user:p%40ss%3Aw%2Fo%25rd@db.example:6379/0");
	is_str(mask_str(&m, "connect redis://mig-user:p%40ss%3Aw%2Fo%25rd@"
		"db.example:6379/0 ok"), "connect *** ok", "the whole URL");
	is_str(mask_str(&m, "+ pass=p%40ss%3Aw%2Fo%25rd"), "+ pass=***",
		"the password as written");
	is_str(mask_str(&m, "+ pass=p@ss:w/o%rd"), "+ pass=***",
		"the password percent-decoded");
	is_str(mask_str(&m, "auth mig-user:p%40ss%3Aw%2Fo%25rd."), "auth ***.",
		"user:password as written");
	is_str(mask_str(&m, "auth mig-user:p@ss:w/o%rd."), "auth ***.",
		"user:password decoded");
	is_str(mask_str(&m, "Authorization: Basic "
		"bWlnLXVzZXI6cEBzczp3L28lcmQ="), "Authorization: Basic ***",
		"user:password decoded, in base64 as a Basic header");
	is_str(mask_str(&m, "user mig-user on db.example"),
		"user mig-user on db.example", "the user name alone is not hidden");
	is_str(mask_str(&m, "p@ss:w/"), "p@ss:w/", "nor half a password");
	mask_free(&m);

	mask_add(&m, "https://ghp_tok3n@github.com/o/r.git");
	is_str(mask_str(&m, "token ghp_tok3n"), "token ***",
		"scheme://TOKEN@host: the token");
	mask_add(&m, "redis://:pw9@h:1 postgres://ab:xy@h/d");
	is_str(mask_str(&m, "-a pw9"), "-a ***",
		"an empty user name; every URL in the value");
	is_str(mask_str(&m, "ab:xy xy abc"), "*** xy abc",
		"a password under three bytes is not hidden alone, user:password is");
	mask_add(&m, "redis://user:@h redis://u@h http://h/a:b@c");
	is_str(mask_str(&m, "user u a:b b@c"), "user u a:b b@c",
		"no password, a one-byte token, an '@' after the path: nothing");
	mask_add(&m, "redis://u:it's%27q@h");
	is_str(mask_str(&m, "+ p='it'\\''s'\\''q'"), "+ p='***'",
		"a quote in the password as bash's set -x prints it");
	mask_add(&m, "say \"hi\"\\\n-----END KEY-----");
	is_str(mask_str(&m, "{\"k\":\"say \\\"hi\\\"\\\\\\n-----END KEY-----\"}"),
		"{\"k\":\"***\"}", "a value as a JSON string holds it");
	mask_add(&m, "p@ss w/rd~");
	is_str(mask_str(&m, "redis://u:p%40ss%20w%2Frd~@h"), "redis://u:***@h",
		"a value percent-encoded");
	mask_add(&m, "jdbc:postgresql://db/app?user=mig&Password=s3%26cr&ssl=1 "
		"https://api/x?q=1&access_token=tk9");
	is_str(mask_str(&m, "-W s3&cr s3%26cr tk9 mig ssl=1 q=1"),
		"-W *** *** *** mig ssl=1 q=1",
		"the credentials in a URL's query, not its other parameters");
	mask_add(&m, "postgres://postgres@db/app?password=pw7");
	is_str(mask_str(&m, "postgres://db pw7"), "postgres://db ***",
		"with a password in the query, scheme://USER@host names a user");
	mask_add(&m, "x://u:%00zz@h");
	is_str(mask_str(&m, "%00zz"), "***",
		"a part that decodes to a NUL is hidden as written");
	mask_free(&m);
}

/* Values made of the pieces URLs are cut at, 5000 of them from a fixed
 * seed: adding each never fails, and the value itself is masked whole
 * whatever parts it also gave. */
static void
odd_values(void)
{
	static const char *const pieces[] = { "a", "b", ":", "/", "@", "?",
		"&", "=", "%", "#", "'", "\"", "\\", "\n", "4F", "://",
		"pass=", "%27" };
	unsigned seed = 13;
	char v[64];
	int i, bad = 0;

	for (i = 0; i < 5000; i++) {
		struct mask m = {0};
		size_t n, k;

		seed = seed * 1103515245 + 12345;
		n = 1 + (seed >> 16) % 12;
		v[0] = '\0';
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			strcat(v, pieces[(seed >> 16) % ARRAY_SIZE(pieces)]);
		}
		mask_add(&m, v);
		if (strcmp(mask_str(&m, v), MASK_TEXT) != 0 && !bad++)
			printf("# not masked whole: '%s'\n", v);
		mask_free(&m);
	}
	ok(!bad, "5000 odd values are each masked whole");
}

/* A value added while a line is on its way: what was not let go yet is
 * masked with it, however long the line has grown. */
static void
added_mid_line(void)
{
	struct mask m = {0};
	struct lines l = { &m, { 0 } };
	static char pad[LINES_MAX + 100];
	const char *longer = "a-much-longer-secret-added-when-the-line-is-"
		"already-past-its-cut-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

	got_mask = &m;
	mask_add(&m, "early");
	lines_add(&l, "x late-secret-", 14, collect, NULL);
	mask_add(&m, "late-secret-value-0123456789");
	lines_add(&l, "value-0123456789 y\n", 19, collect, NULL);
	is_str(buf_str(&got), "x *** y|",
		"a secret whose first half came before it was added is hidden");

	buf_reset(&got);
	memset(pad, '.', sizeof(pad));
	lines_add(&l, pad, sizeof(pad), collect, NULL);
	lines_add(&l, "late-secret-value-01234", 23, collect, NULL);
	mask_add(&m, longer);
	lines_add(&l, "56789 ", 6, collect, NULL);
	ok(l.part.len < mask_longest(&m) + 6,
		"what waits stays within the bound of the longest secret");
	lines_add(&l, longer, strlen(longer), collect, NULL);
	lines_add(&l, " z\n", 3, collect, NULL);
	ok(strstr(buf_str(&got), "late-secret") == NULL &&
		strstr(buf_str(&got), "xxxxxx") == NULL &&
		strstr(buf_str(&got), ".*** *** z|") != NULL,
		"secrets across the cut of a long line are hidden");
	lines_free(&l);
	mask_free(&m);
	buf_free(&got);
}

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
	url_parts();
	odd_values();
	added_mid_line();
	return tap_done();
}
