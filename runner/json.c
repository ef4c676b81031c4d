/*
 * json.c - a reader for flat objects of strings.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "util.h"

static const char *
skip(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Append the UTF-8 of code point c. */
static void
add_utf8(struct buf *b, unsigned c)
{
	if (c < 0x80) {
		buf_addc(b, (char)c);
	} else if (c < 0x800) {
		buf_addc(b, (char)(0xc0 | c >> 6));
		buf_addc(b, (char)(0x80 | (c & 0x3f)));
	} else {
		buf_addc(b, (char)(0xe0 | c >> 12));
		buf_addc(b, (char)(0x80 | (c >> 6 & 0x3f)));
		buf_addc(b, (char)(0x80 | (c & 0x3f)));
	}
}

/* A string literal at p into b; returns the byte past it, or NULL. */
static const char *
string(const char *p, struct buf *b)
{
	buf_reset(b);
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		if (*p != '\\') {
			buf_addc(b, *p);
			continue;
		}
		switch (*++p) {
		case '"': case '\\': case '/': buf_addc(b, *p); break;
		case 'n': buf_addc(b, '\n'); break;
		case 't': buf_addc(b, '\t'); break;
		case 'r': buf_addc(b, '\r'); break;
		case 'b': buf_addc(b, '\b'); break;
		case 'f': buf_addc(b, '\f'); break;
		case 'u': {
			char hex[5] = {0};
			char *end;
			unsigned long c;

			memcpy(hex, p + 1, 4);
			c = strtoul(hex, &end, 16);
			if (end != hex + 4)
				return NULL;
			add_utf8(b, (unsigned)c);
			p += 4;
			break;
		}
		default:
			return NULL;
		}
	}
	return *p == '"' ? p + 1 : NULL;
}

int
json_each_string(const char *text,
	void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	struct buf name = {0}, value = {0};
	const char *p = skip(text);
	int r = -1;

	if (*p++ != '{')
		return -1;
	p = skip(p);
	if (*p == '}') {
		r = 0;
		goto out;
	}
	for (;;) {
		if (!(p = string(skip(p), &name)))
			goto out;
		p = skip(p);
		if (*p++ != ':')
			goto out;
		{
			char *n = xstrdup(buf_str(&name));

			p = string(skip(p), &value);
			if (!p) {
				free(n);
				goto out;
			}
			fn(arg, n, buf_str(&value));
			free(n);
		}
		p = skip(p);
		if (*p == '}')
			break;
		if (*p++ != ',')
			goto out;
	}
	r = 0;
out:
	buf_free(&name);
	buf_free(&value);
	return r;
}
