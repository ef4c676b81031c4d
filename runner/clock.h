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

#endif
