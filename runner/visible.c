/*
 * visible.c - control characters written out.
 */
#include <string.h>

#include "visible.h"

/* The length of the well-formed UTF-8 sequence at s (at most n bytes),
 * or 0 when it is not one: overlong forms, surrogates and code points
 * past U+10FFFF are not. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static void
add_hex(struct buf *b, unsigned char c)
{
	static const char digits[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', digits[c >> 4], digits[c & 15] };

	buf_add(b, e, sizeof(e));
}

void
buf_add_visible(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, len;

	while (i < n) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		if (p[i] == '\t' || (p[i] >= 0x80 &&
		    (len = utf8_len(p + i, n - i)) && !(len == 2 &&
		    p[i] == 0xc2 && p[i + 1] < 0xa0))) {
			i += p[i] == '\t' ? 1 : len;
			continue;
		}
		buf_add(b, s + start, i - start);
		if (p[i] == '\r')
			buf_adds(b, "\\r");
		else if (p[i] == '\n')
			buf_adds(b, "\\n");
		else if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 &&
		    p[i + 1] < 0xa0) {
			add_hex(b, p[i]);	/* a C1 control, both bytes */
			i++;
			add_hex(b, p[i]);
		} else
			add_hex(b, p[i]);
		start = ++i;
	}
	buf_add(b, s + start, i - start);
}

const char *
visible(const char *s)
{
	static struct buf b;

	buf_reset(&b);
	buf_add_visible(&b, s, strlen(s));
	return buf_str(&b);
}
