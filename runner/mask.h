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
	size_t *lens;		/* their lengths */
	size_t n;
	unsigned char first[256 / 8];	/* the bytes a word begins with */
};

/*
 * Hide value, the forms a step naturally prints it in, and the pieces
 * of it a shell step prints on their own:
 *  - value percent-encoded (put in a URL by the step);
 *  - when it spans lines, each line of three bytes or more (a line on
 *    its own may be printed on its own);
 *  - for each URL in it with credentials, scheme://USER:PASSWORD@host:
 *    the password and USER:PASSWORD, as written and percent-decoded,
 *    and USER:PASSWORD decoded in base64 (an "Authorization: Basic"
 *    header); for scheme://TOKEN@host, the token as written and
 *    decoded; in its query, the value of password=, token= and the
 *    like, as written and decoded. The user name alone is not hidden,
 *    nor a piece shorter than three bytes;
 *  - each of those (but the base64) as bash's set -x quotes it ('\''
 *    for each single quote) and as a JSON string holds it (\" \\ \n \r
 *    \t).
 * It may be called while a run goes on, between two calls of
 * lines_add: what a struct lines has not let go yet is masked with the
 * value, and its cut waits for the longer mask_longest, so a secret
 * whose first half came before it was added is still hidden whole;
 * output let go before is not masked again. Not locked: call it from
 * the thread that masks.
 */
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
