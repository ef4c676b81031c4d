/*
 * arena.h - a bump allocator for things freed together: everything that
 * belongs to one loaded job file lives in one arena.
 */
#ifndef RUNJOB_ARENA_H
#define RUNJOB_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;	/* newest chunk; older ones follow */
	size_t used;			/* bytes of all chunks, for reports */
};

/* Memory aligned for any type; never NULL. Freed only by arena_free(). */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t nmemb, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* s, a comma-separated list as a param gives one, into *out: each item
 * with its blanks trimmed, empty ones left out, NULL after the last.
 * Returns how many there are. */
size_t arena_split_list(struct arena *a, const char *s, const char ***out);
void arena_free(struct arena *a);

#endif
