/*
 * clock.c - runjob's clock.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cron.h"

/* n digits at *p. */
static int
digits(const char **p, int n)
{
	int v = 0;

	for (; n > 0; n--, ++*p) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

int
clock_parse(const char *s, int64_t *secs)
{
	struct civil c = { 0, 0, 0, 0, 0 };
	int sec = 0, sign, oh, om;

	if ((c.year = digits(&s, 4)) < 0 || *s++ != '-' ||
	    (c.month = digits(&s, 2)) < 0 || *s++ != '-' ||
	    (c.day = digits(&s, 2)) < 0)
		return -1;
	if (c.year < 1970 || c.year > 2100 || c.month < 1 || c.month > 12 ||
	    c.day < 1 || c.day > civil_days_in_month(c.year, c.month))
		return -1;
	if (!*s) {
		*secs = civil_to_secs(&c);
		return CLOCK_DATE;
	}
	if ((*s != 'T' && *s != ' ') || (s++, c.hour = digits(&s, 2)) < 0 ||
	    *s++ != ':' || (c.minute = digits(&s, 2)) < 0)
		return -1;
	if (*s == ':' && (s++, sec = digits(&s, 2)) < 0)
		return -1;
	if (c.hour > 23 || c.minute > 59 || sec > 59)
		return -1;
	*secs = civil_to_secs(&c) + sec;
	if (!*s)
		return CLOCK_LOCAL;
	if (strcmp(s, "Z") == 0)
		return CLOCK_INSTANT;
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if ((oh = digits(&s, 2)) < 0 || *s++ != ':' ||
	    (om = digits(&s, 2)) < 0 || *s || oh > 23 || om > 59)
		return -1;
	*secs -= sign * (oh * 3600 + om * 60);
	return CLOCK_INSTANT;
}

int
clock_check(char *err, size_t n)
{
	const char *fake = getenv("RUNJOB_NOW");
	int64_t secs;

	if (!fake)
		return 0;
	if (clock_parse(fake, &secs) == CLOCK_INSTANT &&
	    secs >= 0 && secs < civil_to_days(2101, 1, 1) * 86400)
		return 0;
	snprintf(err, n, "RUNJOB_NOW='%s' is not an instant runjob can go "
		"by; write one between 1970 and 2100 in UTC, such as "
		"2026-11-21T02:30:00Z, or unset it", fake);
	return -1;
}

int64_t
now_ms(void)
{
	static int64_t base = -1, mono0;
	struct timespec ts;
	int64_t mono;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	mono = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (base < 0) {
		const char *fake = getenv("RUNJOB_NOW");
		int64_t secs;

		/* main() has refused a RUNJOB_NOW that is not an instant
		 * (clock_check). */
		if (fake && clock_parse(fake, &secs) == CLOCK_INSTANT) {
			base = secs * 1000;
		} else {
			clock_gettime(CLOCK_REALTIME, &ts);
			base = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		}
		mono0 = mono;
	}
	/* The wall clock at start, advanced by the monotonic clock: a
	 * clock step during a run does not bend its durations. */
	return base + (mono - mono0);
}

const char *
clock_utc(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}
