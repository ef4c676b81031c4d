/*
 * cron.h - 5-field cron schedules (minute hour day-of-month month
 * day-of-week), and the next wall-clock time one fires.
 */
#ifndef RUNJOB_CRON_H
#define RUNJOB_CRON_H

#include <stddef.h>
#include <stdint.h>

struct cron {
	uint64_t minute;	/* bit m: minute m, 0-59 */
	uint32_t hour;		/* bit h: 0-23 */
	uint32_t mday;		/* bit d: 1-31 */
	uint32_t month;		/* bit m: 1-12 */
	uint32_t wday;		/* bit d: 0-6, Sunday 0 */
	/* The day field was written starting with '*': as in Vixie
	 * cron, only when both are restricted does either one matching
	 * suffice; otherwise both must match. */
	int mday_star, wday_star;
};

/* A wall-clock time, in no time zone. */
struct civil {
	int year, month, day, hour, minute;	/* month 1-12, day 1-31 */
};

/* Parse s into c. On error -1, with what is wrong (which field, what
 * in it) in err of n bytes. A schedule that can never fire (0 0 30 2 *)
 * is an error. */
int cron_parse(struct cron *c, const char *s, char *err, size_t n);

/* The first time at or after *t that c fires, into *t. It jumps month
 * by month, day by day, hour by hour: never minute by minute. -1 when
 * there is none before the year limit. */
int cron_next(const struct cron *c, struct civil *t, int limit);

/* Calendar arithmetic on the proleptic Gregorian calendar. */
int civil_days_in_month(int year, int month);
int64_t civil_to_days(int year, int month, int day);	/* 1970-01-01: 0 */
void civil_from_days(int64_t days, int *year, int *month, int *day);
/* Seconds since 1970-01-01 00:00 of t, as if t were UTC. */
int64_t civil_to_secs(const struct civil *t);
void civil_from_secs(int64_t secs, struct civil *t);

#endif
