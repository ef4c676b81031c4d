/*
 * expand.c - unit tests of ${{ }} parsing and expansion.
 */
#include <stdlib.h>

#include "buf.h"
#include "expand.h"
#include "tap.h"

static const char *
value(void *arg, const struct ref *r)
{
	(void)arg;
	switch (r->kind) {
	case REF_PARAM:
		return r->namelen == 3 ? "p-value" : NULL;
	case REF_OUTPUT:
		return "o-value";
	case REF_RUN_ID:
		return "RUN";
	case REF_ITEM:
		return "ITEM";
	}
	return NULL;
}

static void
expands(const char *s, const char *want)
{
	struct buf b = {0};
	const char *why = NULL;

	ok(expand(&b, s, value, NULL, &why) == 0, "'%s' expands", s);
	is_str(buf_str(&b), want, "'%s' gives '%s'", s, want);
	buf_free(&b);
}

static void
malformed(const char *s)
{
	struct buf b = {0};
	const char *why = NULL;

	ok(expand(&b, s, value, NULL, &why) < 0 && why, "'%s' is refused: %s",
		s, why ? why : "(no reason)");
	buf_free(&b);
}

static int
collect(void *arg, const struct ref *r)
{
	struct ref *out = arg;

	*out = *r;
	return 1;
}

int
main(void)
{
	struct ref r;
	const char *why;

	expands("plain", "plain");
	expands("", "");
	expands("${{ params.SRC }}", "p-value");
	expands("a${{params.SRC}}b", "ap-valueb");
	expands("${{ params.LONGER }}", "${{ params.LONGER }}");
	expands("${{ steps.a.b.outputs.N }}", "o-value");
	expands("${{ run.id }}-${{ item }}", "RUN-ITEM");
	expands("$SRC ${X} ${ {", "$SRC ${X} ${ {");
	malformed("${{ params.SRC");
	malformed("${{ nope }}");
	malformed("${{ params. }}");
	malformed("${{ steps.a.outputs. }}");
	malformed("${{ steps..outputs.N }}");
	malformed("${{ params.A B }}");

	ok(expand_scan("x ${{ steps.my.step.outputs.COUNT }}", collect, &r,
		&why) == 1, "scan stops when fn returns non-zero");
	ok(r.kind == REF_OUTPUT && r.steplen == 7 && r.namelen == 5 &&
		r.start == 2, "a step id with dots is taken up to .outputs.");
	return tap_done();
}
