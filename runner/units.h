/*
 * units.h - durations and sizes.
 */
#ifndef RUNJOB_UNITS_H
#define RUNJOB_UNITS_H

#include <stddef.h>

/* Parse a duration ("500ms", "10s", "1h30m", ...) into milliseconds.
 * Returns 0, or -1 when s is not a duration. */
int parse_duration(const char *s, long long *ms);
/* Format ms the way a duration is written, into buf of size n. */
const char *format_duration(long long ms, char *buf, size_t n);

/* Parse "64MB", "512KB", "1GB", "1000": bytes. 0 or -1. */
int parse_size(const char *s, long long *out);
/* "1.2 MB": a byte count for people, into buf. */
const char *format_bytes(long long n, char *buf, size_t len);

#endif
