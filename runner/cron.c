/*
 * cron.c - 5-field cron schedules: parsing them, and the next time one
 * fires. The search moves a field at a time (the next month that
 * matches, then the day, the hour, the minute), so that a schedule that
 * fires once in years is found in a few hundred steps.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cron.h"

static const struct field {
	const char *name;
	int min, max;
	const char *const *names;	/* names[i] is min + i */
} fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day-of-month", 1, 31, NULL },
	{ "month", 1, 12, (const char *const[]){ "JAN", "FEB", "MAR", "APR",
		"MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL } },
	/* 7 is Sunday too. */
	{ "day-of-week", 0, 7, (const char *const[]){ "SUN", "MON", "TUE",
		"WED", "THU", "FRI", "SAT", NULL } },
};

/* A number or a name of field f at *p; -1 when there is neither. */
static int
value(const struct field *f, const char **p)
{
	const char *s = *p;
	int i, v = 0;

	if (isdigit((unsigned char)*s)) {
		for (; isdigit((unsigned char)*s) && v < 1000; s++)
			v = v * 10 + (*s - '0');
		*p = s;
		return v;
	}
	if (f->names && isalpha((unsigned char)s[0]) &&
	    isalpha((unsigned char)s[1]) && isalpha((unsigned char)s[2]) &&
	    !isalpha((unsigned char)s[3]))
		for (i = 0; f->names[i]; i++)
			if (strncasecmp(s, f->names[i], 3) == 0) {
				*p = s + 3;
				return f->min + i;
			}
	return -1;
}

static int
bad(char *err, size_t n, const struct field *f, const char *text, size_t len,
	const char *why)
{
	snprintf(err, n, "%s field '%.*s': %s", f->name, (int)len, text, why);
	return -1;
}

/* Field f, the len bytes at s, into the bit set *bits. */
static int
field(const struct field *f, const char *s, size_t len, uint64_t *bits,
	char *err, size_t n)
{
	const char *p = s, *end = s + len;
	char why[128];

	*bits = 0;
	for (;;) {
		int lo, hi, step = 1, v, single = 0;

		if (*p == '*') {
			lo = f->min, hi = f->max;
			if (f->max == 7)
				hi = 6;
			p++;
		} else {
			if ((lo = value(f, &p)) < 0)
				goto syntax;
			hi = lo;
			single = *p != '-';
			if (*p == '-') {
				p++;
				if ((hi = value(f, &p)) < 0)
					goto syntax;
			}
			if (lo < f->min || lo > f->max || hi < f->min ||
			    hi > f->max) {
				snprintf(why, sizeof(why), "%d is out of range "
					"%d-%d", lo < f->min || lo > f->max ? lo :
					hi, f->min, f->max);
				return bad(err, n, f, s, len, why);
			}
			if (hi < lo) {
				snprintf(why, sizeof(why), "the range %d-%d runs "
					"backwards; write %d-%d", lo, hi, hi, lo);
				return bad(err, n, f, s, len, why);
			}
		}
		if (*p == '/') {
			p++;
			if (!isdigit((unsigned char)*p) ||
			    (step = value(f, &p)) < 1 || step > f->max)
				return bad(err, n, f, s, len, "the step after '/' "
					"must be a number from 1 to the field's "
					"range");
			/* 5/15 is 5-59/15, as in Vixie cron. */
			if (single)
				hi = f->max == 7 ? 6 : f->max;
		}
		for (v = lo; v <= hi; v += step)
			*bits |= (uint64_t)1 << (f->max == 7 && v == 7 ? 0 : v);
		if (p == end)
			return 0;
		if (*p != ',')
			goto syntax;
		p++;
	}
syntax:
	if (p < end && isalpha((unsigned char)*p))
		return bad(err, n, f, s, len, f->names ? "unknown name; write "
			"a number or a three-letter English name such as "
			"MON or JAN" : "this field takes numbers only");
	return bad(err, n, f, s, len, "write a number, a range (1-5), a "
		"list (1,3,5), a step (*/15) or '*'");
}

int
cron_parse(struct cron *c, const char *s, char *err, size_t n)
{
	const char *f[6];
	size_t len[5];
	uint64_t bits[5];
	int i, m, d;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < 5; i++) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s) {
			snprintf(err, n, "%d field%s where cron takes 5 (minute "
				"hour day-of-month month day-of-week), e.g. "
				"\"0 2 * * SAT\"", i, i == 1 ? "" : "s");
			return -1;
		}
		f[i] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		len[i] = (size_t)(s - f[i]);
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s) {
		snprintf(err, n, "more than 5 fields (minute hour day-of-month "
			"month day-of-week); seconds and years are not "
			"taken, and '@' names neither");
		return -1;
	}
	for (i = 0; i < 5; i++)
		if (field(&fields[i], f[i], len[i], &bits[i], err, n) < 0)
			return -1;
	c->minute = bits[0];
	c->hour = (uint32_t)bits[1];
	c->mday = (uint32_t)bits[2];
	c->month = (uint32_t)bits[3];
	c->wday = (uint32_t)bits[4];
	c->mday_star = f[2][0] == '*';
	c->wday_star = f[4][0] == '*';
	/* Days of the month that no month it names has (Feb 30). When the
	 * day of the week also decides, some day always matches. */
	if (c->wday_star || c->mday_star)
		for (m = 1; m <= 12; m++) {
			if (!(c->month >> m & 1))
				continue;
			for (d = 1; d <= civil_days_in_month(2000, m); d++)
				if (c->mday >> d & 1)
					return 0;
		}
	else
		return 0;
	snprintf(err, n, "'%.*s %.*s' never happens: no month named has that "
		"day, so the schedule never fires", (int)len[2], f[2],
		(int)len[3], f[3]);
	return -1;
}

int
civil_days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	if (month == 2 && year % 4 == 0 && (year % 100 != 0 ||
	    year % 400 == 0))
		return 29;
	return days[month - 1];
}

/* After Howard Hinnant's days_from_civil. */
int64_t
civil_to_days(int year, int month, int day)
{
	int64_t y = year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
civil_from_days(int64_t z, int *year, int *month, int *day)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = (int)(y + (*month <= 2));
}

int64_t
civil_to_secs(const struct civil *t)
{
	return civil_to_days(t->year, t->month, t->day) * 86400 +
		t->hour * 3600 + t->minute * 60;
}

void
civil_from_secs(int64_t secs, struct civil *t)
{
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rest = secs - days * 86400;

	civil_from_days(days, &t->year, &t->month, &t->day);
	t->hour = (int)(rest / 3600);
	t->minute = (int)(rest % 3600 / 60);
}

/* The lowest bit at or above from in bits, or -1. */
static int
next_bit(uint64_t bits, int from)
{
	if (from > 63)
		return -1;
	bits &= ~(uint64_t)0 << from;
	return bits ? __builtin_ctzll(bits) : -1;
}

static int
day_matches(const struct cron *c, int year, int month, int day)
{
	int md = (int)(c->mday >> day & 1);
	int wd = (int)(c->wday >> ((civil_to_days(year, month, day) % 7 + 11) %
		7) & 1);

	if (!c->mday_star && !c->wday_star)
		return md || wd;
	return md && wd;
}

int
cron_next(const struct cron *c, struct civil *t, int limit)
{
	int y = t->year, mo = t->month, d = t->day, h = t->hour, mi = t->minute;
	int v;

	while (y <= limit) {
		if ((v = next_bit(c->month, mo)) < 0) {
			y++, mo = 1, d = 1, h = 0, mi = 0;
			continue;
		}
		if (v != mo)
			mo = v, d = 1, h = 0, mi = 0;
		for (; d <= civil_days_in_month(y, mo); d++, h = 0, mi = 0)
			if (day_matches(c, y, mo, d))
				break;
		if (d > civil_days_in_month(y, mo)) {
			if (++mo > 12)
				y++, mo = 1;
			d = 1, h = 0, mi = 0;
			continue;
		}
		if ((v = next_bit(c->hour, h)) < 0) {
			d++, h = 0, mi = 0;
			goto day;
		}
		if (v != h)
			h = v, mi = 0;
		if ((v = next_bit(c->minute, mi)) < 0) {
			h++, mi = 0;
			if (h > 23) {
				d++, h = 0;
				goto day;
			}
			continue;
		}
		t->year = y, t->month = mo, t->day = d, t->hour = h;
		t->minute = v;
		return 0;
day:
		if (d > civil_days_in_month(y, mo)) {
			if (++mo > 12)
				y++, mo = 1;
			d = 1;
		}
	}
	return -1;
}
