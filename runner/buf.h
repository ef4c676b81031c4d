/*
 * buf.h - a growable byte string, always NUL-terminated.
 */
#ifndef RUNJOB_BUF_H
#define RUNJOB_BUF_H

#include <stddef.h>

struct buf {
	char *s;		/* the bytes, NUL-terminated; NULL when empty */
	size_t len, cap;	/* bytes used (without the NUL), allocated */
};

void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included. */
void buf_add_json(struct buf *b, const char *s);
void buf_add_jsonn(struct buf *b, const char *s, size_t n);
/* The contents as a C string ("" when empty); the buffer keeps them. */
const char *buf_str(const struct buf *b);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

#endif
