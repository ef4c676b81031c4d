/*
 * clock.h - the time runjob goes by: the wall clock, or RUNJOB_NOW for
 * tests and "what if" checks, advanced by the monotonic clock.
 */
#ifndef RUNJOB_CLOCK_H
#define RUNJOB_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the epoch. */
int64_t now_ms(void);
/* ms as 2026-11-21T02:30:00Z, into buf of n bytes. */
const char *clock_utc(int64_t ms, char *buf, size_t n);

/* What clock_parse read. */
enum clock_form {
	CLOCK_DATE,		/* 2026-12-20 */
	CLOCK_LOCAL,		/* 2026-11-21T02:30 or T02:30:00: no zone */
	CLOCK_INSTANT,		/* 2026-11-21T02:30:00Z, or +01:00 */
};
/* s as one of the clock_form forms, between the years 1970 and 2100:
 * its form, and into *secs seconds since 1970-01-01 00:00 (in UTC for
 * an instant, on the wall clock otherwise). -1 when it is none. */
int clock_parse(const char *s, int64_t *secs);
/* Whether RUNJOB_NOW, when set, is an instant runjob can go by; -1
 * with what is wrong in err of n bytes. */
int clock_check(char *err, size_t n);

#endif
