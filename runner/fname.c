/*
 * fname.c - file names for step instance ids.
 *
 * Fan-out items may hold any printable character, '/' included, and be
 * long; a file name may hold neither '/' nor more than 255 bytes. Two
 * items must never share a log, so the name is an escape of the id, not
 * a lossy cleaning of it.
 */
#include <string.h>

#include "fname.h"
#include "sha256.h"
#include "util.h"

static int
safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	    c == '[' || c == ']';
}

char *
fname_of(const char *id)
{
	static const char hexdigits[] = "0123456789ABCDEF";
	const unsigned char *p;
	size_t len = 0, cut = 0;
	char *name, *q, hex[65];

	for (p = (const unsigned char *)id; *p; p++)
		len += safe(*p) ? 1 : 3;
	if (len <= FNAME_MAX && len == strlen(id))
		return xstrdup(id);
	name = xmalloc(len + 1 > FNAME_MAX + 1 ? len + 1 : FNAME_MAX + 1);
	for (p = (const unsigned char *)id, q = name; *p; p++) {
		if (safe(*p)) {
			*q++ = (char)*p;
		} else {
			*q++ = '%';
			*q++ = hexdigits[*p >> 4];
			*q++ = hexdigits[*p & 15];
		}
		/* Where a readable start may end: never inside a %XX. */
		if ((size_t)(q - name) <= FNAME_MAX - 65)
			cut = (size_t)(q - name);
	}
	*q = '\0';
	if (len <= FNAME_MAX)
		return name;
	sha256_hex(id, strlen(id), hex);
	name[cut] = '~';
	memcpy(name + cut + 1, hex, 65);
	return name;
}
