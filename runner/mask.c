/*
 * mask.c - secret masking.
 */
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "util.h"

enum { MIN_LINE = 3 };

static void
add_word(struct mask *m, const char *s, size_t n)
{
	size_t i, j;

	if (!n)
		return;
	for (i = 0; i < m->n; i++)
		if (strlen(m->words[i]) == n && memcmp(m->words[i], s, n) == 0)
			return;
	m->words = xreallocarray(m->words, m->n + 1, sizeof(*m->words));
	/* Keep longest first so that a longer secret wins over its part. */
	for (i = 0; i < m->n && strlen(m->words[i]) >= n; i++)
		;
	for (j = m->n; j > i; j--)
		m->words[j] = m->words[j - 1];
	m->words[i] = xstrndup(s, n);
	m->n++;
}

void
mask_add(struct mask *m, const char *value)
{
	const char *p = value, *nl;

	add_word(m, value, strlen(value));
	if (!strchr(value, '\n'))
		return;
	for (; *p; p = nl + 1) {
		size_t n;

		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		n = (size_t)(nl - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n >= MIN_LINE)
			add_word(m, p, n);
		if (!*nl)
			break;
	}
}

void
mask_append(const struct mask *m, struct buf *out, const char *s)
{
	const char *p = s, *start = s;
	size_t i;

	if (!m || !m->n) {
		buf_adds(out, s);
		return;
	}
	while (*p) {
		for (i = 0; i < m->n; i++) {
			size_t n = strlen(m->words[i]);

			if (strncmp(p, m->words[i], n) == 0)
				break;
		}
		if (i == m->n) {
			p++;
			continue;
		}
		buf_add(out, start, (size_t)(p - start));
		buf_adds(out, MASK_TEXT);
		p += strlen(m->words[i]);
		start = p;
	}
	buf_add(out, start, (size_t)(p - start));
}

size_t
mask_longest(const struct mask *m)
{
	return m && m->n ? strlen(m->words[0]) : 0;
}

/* The length of the secret s[0..n) starts with, the longest first as
 * mask_append takes it; 0 when none. */
static size_t
match_at(const struct mask *m, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		size_t len = strlen(m->words[i]);

		if (len <= n && memcmp(s, m->words[i], len) == 0)
			return len;
	}
	return 0;
}

size_t
mask_cut(const struct mask *m, const char *s, size_t n)
{
	size_t longest = mask_longest(m), p = 0, len;

	if (!longest)
		return n;
	/* The scan mask_append makes: a position from which the longest
	 * secret would still fit is settled, matched or not. */
	while (p + longest <= n) {
		len = match_at(m, s + p, n - p);
		p += len ? len : 1;
	}
	return p;
}

const char *
mask_str(const struct mask *m, const char *s)
{
	static struct buf b;

	buf_reset(&b);
	mask_append(m, &b, s);
	return buf_str(&b);
}

void
mask_free(struct mask *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->words[i]);
	free(m->words);
	m->words = NULL;
	m->n = 0;
}
