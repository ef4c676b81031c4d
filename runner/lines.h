/*
 * lines.h - a process's output cut into lines, masked: what a step and a
 * dry-run probe print both go through it. A line too long to wait for
 * its end goes in pieces, cut where no secret can straddle the cut (the
 * tail that may begin one waits for the rest of it), so that masking a
 * line at a time hides a secret however the output was split.
 */
#ifndef RUNJOB_LINES_H
#define RUNJOB_LINES_H

#include <stddef.h>

#include "buf.h"
#include "mask.h"

enum { LINES_MAX = 64 * 1024 };	/* a longer line is cut */

struct lines {
	const struct mask *mask;
	struct buf part;	/* the line not ended yet */
};

/* Called with each line (its newline left out), not masked yet: line
 * has room for a NUL at line[len], and the callee may change it. */
typedef void line_fn(void *arg, char *line, size_t len);

/* Take n more bytes of output; fn gets each line they end. */
void lines_add(struct lines *l, const char *p, size_t n, line_fn *fn,
	void *arg);
/* The output ended: fn gets the unfinished last line, if any. */
void lines_end(struct lines *l, line_fn *fn, void *arg);
void lines_free(struct lines *l);

/* line masked into out, a NUL byte (which would end it) shown as '?'. */
void lines_mask(const struct mask *m, struct buf *out, char *line,
	size_t len);

#endif
