/*
 * arena.c - chunked bump allocation.
 */
#include <stdarg.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "util.h"

enum { CHUNK_SIZE = 64 * 1024 };

struct arena_chunk {
	struct arena_chunk *next;	/* the chunk allocated before this one */
	size_t size, off;		/* capacity of data[] and bytes used */
	alignas(max_align_t) unsigned char data[];
};

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t align = alignof(max_align_t);

	n = (n + align - 1) & ~(align - 1);
	if (!c || c->size - c->off < n) {
		size_t size = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;

		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->off = 0;
		/* A large block gets a chunk of its own behind the current
		 * one so that the current chunk's free space is kept. */
		if (size != CHUNK_SIZE && a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
		a->used += size;
	}
	c->off += n;
	return c->data + c->off - n;
}

void *
arena_calloc(struct arena *a, size_t nmemb, size_t size)
{
	void *p;

	if (size && nmemb > SIZE_MAX / size)
		fatal("out of memory: %zu x %zu bytes overflows", nmemb, size);
	p = arena_alloc(a, nmemb * size);
	memset(p, 0, nmemb * size);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("arena_printf: bad format");
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t
arena_split_list(struct arena *a, const char *s, const char ***out)
{
	size_t n = 0, k = 0;
	const char *p;

	for (p = s; *p; p++)
		n += *p == ',';
	*out = arena_calloc(a, n + 2, sizeof(**out));
	while (*s) {
		size_t len = strcspn(s, ",");
		const char *b = s, *e = s + len;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > b)
			(*out)[k++] = arena_strndup(a, b, (size_t)(e - b));
		s += len + (s[len] == ',');
	}
	return k;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->used = 0;
}
