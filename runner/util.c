/*
 * util.c - messages and allocation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

const char *argv0 = "runjob";

static void
vmessage(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s", argv0, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
	exit(1);
}

int
error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void
warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning: ", fmt, ap);
	va_end(ap);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fatal("out of memory allocating %zu bytes", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		fatal("out of memory allocating %zu x %zu bytes", nmemb, size);
	return p;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		fatal("out of memory: %zu x %zu bytes overflows", nmemb, size);
	p = realloc(p, nmemb && size ? nmemb * size : 1);
	if (!p)
		fatal("out of memory allocating %zu x %zu bytes", nmemb, size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("xasprintf: bad format");
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
xgrow(void *v, size_t *cap, size_t need, size_t size)
{
	void **vp = v;
	size_t n = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*vp = xreallocarray(*vp, n, size);
	*cap = n;
}

void
write_full(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

int
make_dirs(const char *path)
{
	char *p = xstrdup(path), *q;

	for (q = p + 1; ; q++) {
		char c = *q;

		if (c != '/' && c)
			continue;
		*q = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			int r = error("cannot create %s: %s", p, strerror(errno));

			free(p);
			return r;
		}
		*q = c;
		if (!c)
			break;
	}
	free(p);
	return 0;
}

uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct indexed {
	const char *s;
	size_t i;
};

static int
cmp_indexed(const void *pa, const void *pb)
{
	const struct indexed *a = pa, *b = pb;
	int c = strcmp(a->s, b->s);

	if (c)
		return c;
	return a->i < b->i ? -1 : a->i > b->i;
}

void
find_repeats(const char *const *v, size_t n, unsigned char *repeat)
{
	struct indexed *x;
	size_t i;

	memset(repeat, 0, n);
	if (n < 2)
		return;
	x = xreallocarray(NULL, n, sizeof(*x));
	for (i = 0; i < n; i++) {
		x[i].s = v[i];
		x[i].i = i;
	}
	qsort(x, n, sizeof(*x), cmp_indexed);
	/* Equal strings are together, the first written first. */
	for (i = 1; i < n; i++)
		if (strcmp(x[i].s, x[i - 1].s) == 0)
			repeat[x[i].i] = 1;
	free(x);
}

size_t
edit_distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64];

	if (lb >= ARRAY_SIZE(row) || (la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0], best;

		row[0] = i;
		best = row[0];
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], v;

			v = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > max)
			return max + 1;
	}
	return row[lb] > max ? max + 1 : row[lb];
}

const char *
did_you_mean(const char *s, const char *const *words)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, max = strlen(s) < 4 ? 1 : 2;

	for (; *words; words++) {
		size_t dist = edit_distance(s, *words, max);

		if (dist <= max && dist < bestd) {
			best = *words;
			bestd = dist;
		}
	}
	return best;
}

static int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
pct_decode(char *out, const char *s, size_t n)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && (hi = hex_digit(s[i + 1])) >= 0 &&
		    (lo = hex_digit(s[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}
