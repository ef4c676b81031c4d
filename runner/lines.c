/*
 * lines.c - output cut into lines.
 */
#include <string.h>

#include "lines.h"

/* Hand fn the piece p[0..len) of the part, then give back the byte
 * after it, which fn may have made a NUL. */
static void
give(char *p, size_t len, line_fn *fn, void *arg)
{
	char keep = p[len];

	fn(arg, p, len);
	p[len] = keep;
}

void
lines_add(struct lines *l, const char *p, size_t n, line_fn *fn, void *arg)
{
	size_t start = 0, i, from = l->part.len;

	buf_add(&l->part, p, n);
	for (i = from; i < l->part.len; i++) {
		if (l->part.s[i] != '\n')
			continue;
		give(l->part.s + start, i - start, fn, arg);
		start = i + 1;
	}
	if (start) {
		memmove(l->part.s, l->part.s + start, l->part.len - start);
		l->part.len -= start;
		l->part.s[l->part.len] = '\0';
	}
	if (l->part.len > LINES_MAX + mask_longest(l->mask)) {
		size_t cut = mask_cut(l->mask, l->part.s, l->part.len);

		give(l->part.s, cut, fn, arg);
		memmove(l->part.s, l->part.s + cut, l->part.len - cut);
		l->part.len -= cut;
		l->part.s[l->part.len] = '\0';
	}
}

void
lines_end(struct lines *l, line_fn *fn, void *arg)
{
	if (l->part.len)
		give(l->part.s, l->part.len, fn, arg);
	buf_reset(&l->part);
}

void
lines_free(struct lines *l)
{
	buf_free(&l->part);
}

void
lines_mask(const struct mask *m, struct buf *out, char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!line[i])
			line[i] = '?';
	line[len] = '\0';
	mask_append(m, out, line);
}
