/*
 * util.h - the few helpers every file uses: diagnostics to stderr and
 * allocation that never returns NULL.
 */
#ifndef RUNJOB_UTIL_H
#define RUNJOB_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The program name used as the prefix of every message. */
extern const char *argv0;

/* Print "runjob: MESSAGE" and exit with status 1 (an internal failure). */
_Noreturn void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Print "runjob: error: MESSAGE" and return -1, so that
 * `return error(...)` reports and propagates in one line. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "runjob: warning: MESSAGE". */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation: out of memory is not an error path; these abort with the
 * byte count that could not be had. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A formatted string in memory of its own, for the caller to free. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *v (an array of *cap elements of `size` bytes) so that it holds at
 * least `need` elements. */
void xgrow(void *v, size_t *cap, size_t need, size_t size);

/* mkdir -p: path and its parents, new ones mode 0700. Returns 0 or -1
 * with a message. */
int make_dirs(const char *path);
/* Write all n bytes of p to fd, as far as it takes them: a log or a
 * record that cannot be written has nowhere to say so. */
void write_full(int fd, const char *p, size_t n);

/* FNV-1a of a string, for the open-addressed tables of ids. */
uint64_t hash_str(const char *s);

/* Mark in repeat[i] (n bytes, set here) whether v[i] equals an earlier
 * v[j]. Sorts a copy, so n log n however many there are, and however
 * the strings were chosen: no hash to flood. */
void find_repeats(const char *const *v, size_t n, unsigned char *repeat);

/* s[0..n) percent-decoded into out, which has room for n bytes; a '%'
 * not followed by two hex digits stays as it is. Returns the length
 * written, no NUL added. */
size_t pct_decode(char *out, const char *s, size_t n);

/* Levenshtein distance between a and b, capped at `max` + 1. */
size_t edit_distance(const char *a, const char *b, size_t max);
/* Suggest the closest of the NULL-terminated words to s, or NULL. */
const char *did_you_mean(const char *s, const char *const *words);

#endif
