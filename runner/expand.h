/*
 * expand.h - ${{ ... }} expressions in the string fields of a job that
 * are not shell text: params.NAME, steps.ID.outputs.NAME, run.id, item.
 */
#ifndef RUNJOB_EXPAND_H
#define RUNJOB_EXPAND_H

#include <stddef.h>

#include "buf.h"

enum ref_kind { REF_PARAM, REF_OUTPUT, REF_RUN_ID, REF_ITEM };

/* One expression. Pointers borrow from the string scanned. */
struct ref {
	enum ref_kind kind;
	const char *name;	/* REF_PARAM, REF_OUTPUT: the name */
	size_t namelen;
	const char *step;	/* REF_OUTPUT: the step id */
	size_t steplen;
	size_t start, end;	/* byte offsets of "${{" and past "}}" */
};

/* Call fn for each expression of s, in order; stops at the first fn
 * returning non-zero and returns that. Returns -1 with *why set on an
 * expression that is not well formed. */
int expand_scan(const char *s, int (*fn)(void *arg, const struct ref *r),
	void *arg, const char **why);

/* Append s to out with each expression replaced by value(arg, ref); an
 * expression whose value is NULL is kept as written. Returns 0 or -1
 * like expand_scan. */
int expand(struct buf *out, const char *s,
	const char *(*value)(void *arg, const struct ref *r), void *arg,
	const char **why);

#endif
