/*
 * expand.c - parsing and expanding ${{ ... }}.
 */
#include <string.h>

#include "expand.h"

static int
parse(const char *s, size_t start, struct ref *r, const char **why)
{
	const char *p = s + start + 3, *close, *e, *out;

	close = strstr(p, "}}");
	if (!close) {
		*why = "'${{' without a closing '}}'";
		return -1;
	}
	while (*p == ' ')
		p++;
	e = close;
	while (e > p && e[-1] == ' ')
		e--;
	memset(r, 0, sizeof(*r));
	r->start = start;
	r->end = (size_t)(close + 2 - s);
	if ((size_t)(e - p) == 4 && memcmp(p, "item", 4) == 0) {
		r->kind = REF_ITEM;
	} else if ((size_t)(e - p) == 6 && memcmp(p, "run.id", 6) == 0) {
		r->kind = REF_RUN_ID;
	} else if (e - p > 7 && memcmp(p, "params.", 7) == 0) {
		r->kind = REF_PARAM;
		r->name = p + 7;
		r->namelen = (size_t)(e - p - 7);
	} else if (e - p > 6 && memcmp(p, "steps.", 6) == 0 &&
	    (out = strstr(p + 6, ".outputs.")) && out < e && out > p + 6 &&
	    out + 9 < e) {
		/* Step ids may hold dots: the id is up to ".outputs.". */
		r->kind = REF_OUTPUT;
		r->step = p + 6;
		r->steplen = (size_t)(out - p - 6);
		r->name = out + 9;
		r->namelen = (size_t)(e - out - 9);
	} else {
		*why = "an expression must be one of: params.NAME, "
			"steps.ID.outputs.NAME, run.id, item";
		return -1;
	}
	if (memchr(p, ' ', (size_t)(e - p))) {
		*why = "an expression holds one name, without spaces";
		return -1;
	}
	return 0;
}

int
expand_scan(const char *s, int (*fn)(void *arg, const struct ref *r),
	void *arg, const char **why)
{
	const char *p = s;
	struct ref r;
	int ret;

	while ((p = strstr(p, "${{"))) {
		if (parse(s, (size_t)(p - s), &r, why) < 0)
			return -1;
		if (fn && (ret = fn(arg, &r)) != 0)
			return ret;
		p = s + r.end;
	}
	return 0;
}

int
expand(struct buf *out, const char *s,
	const char *(*value)(void *arg, const struct ref *r), void *arg,
	const char **why)
{
	const char *p = s, *q;
	struct ref r;

	while ((q = strstr(p, "${{"))) {
		const char *v;

		if (parse(s, (size_t)(q - s), &r, why) < 0)
			return -1;
		buf_add(out, p, (size_t)(q - p));
		v = value(arg, &r);
		if (v)
			buf_adds(out, v);
		else
			buf_add(out, s + r.start, r.end - r.start);
		p = s + r.end;
	}
	buf_adds(out, p);
	return 0;
}
