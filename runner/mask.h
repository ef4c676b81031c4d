/*
 * mask.h - hiding secret values in everything runjob writes.
 */
#ifndef RUNJOB_MASK_H
#define RUNJOB_MASK_H

#include <stddef.h>

#include "buf.h"

#define MASK_TEXT "***"

struct mask {
	char **words;		/* values to hide, longest first; owned */
	size_t n;
};

/* Hide value: the whole of it and, when it spans lines, each line of
 * three bytes or more (a line on its own may be printed on its own). */
void mask_add(struct mask *m, const char *value);
/* Append s to out with every secret replaced by "***". */
void mask_append(const struct mask *m, struct buf *out, const char *s);
/* How much of s[0..n), a line whose end has not come yet, can be masked
 * and let go now: all but a tail that may be the start of a secret whose
 * rest is still to come. No secret straddles the point returned, so the
 * line masked in pieces cut there reads as the line masked whole. Past
 * n - mask_longest(m) whenever n is over mask_longest(m). */
size_t mask_cut(const struct mask *m, const char *s, size_t n);
/* The length of the longest value hidden; 0 when none. */
size_t mask_longest(const struct mask *m);
/* A masked copy of s in a static buffer, valid until the next call. */
const char *mask_str(const struct mask *m, const char *s);
void mask_free(struct mask *m);

#endif
