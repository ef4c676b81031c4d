/*
 * zone.c - time zones, read from the system's zoneinfo (TZif files,
 * RFC 8536, in /usr/share/zoneinfo; $TZDIR when set).
 *
 * The files are read here rather than through TZ, tzset() and mktime():
 * TZ is one setting for the whole process, which also runs the
 * journal's writer thread and passes its environment to every step, and
 * mktime() leaves it to the C library which of the two times an
 * ambiguous wall-clock time is, and where a time in a gap goes.
 * runjob's rules for those (SPEC section 7) are zone_from_local's.
 * A zone's transitions come from the file's 64-bit table; past its
 * end, from the rule in its footer ("CET-1CEST,M3.5.0,M10.5.0/3"), as
 * the compact files tzdata ships list no transition a rule implies.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "zone.h"

#define ZONE_MAX_FILE	(1 << 20)

void
zone_utc(struct zone *z)
{
	memset(z, 0, sizeof(*z));
	z->name = "UTC";
}

#define FAIL(fmt, name) (snprintf(err, n, fmt, name), -1)
#define NOT_A_NAME "'%s' is not a time zone name; write an IANA name " \
	"such as Europe/Berlin or UTC"

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* [+-]hh[:mm[:ss]] at *p, into seconds; -1 when it is not one. */
static int
hms(const char **p, int32_t *out, int max_hours)
{
	const char *s = *p;
	int sign = 1, part[3] = { 0, 0, 0 }, i;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s) && part[i] < 1000)
			part[i] = part[i] * 10 + (*s++ - '0');
		if (*s != ':' || i == 2)
			break;
		s++;
	}
	if (part[0] > max_hours || part[1] > 59 || part[2] > 59)
		return -1;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*p = s;
	return 0;
}

static int
tzname(const char **p)
{
	const char *s = *p;

	if (*s == '<') {
		while (*s && *s != '>')
			s++;
		if (!*s)
			return -1;
		*p = s + 1;
		return 0;
	}
	while (isalpha((unsigned char)*s))
		s++;
	if (s - *p < 3)
		return -1;
	*p = s;
	return 0;
}

static int
rule(const char **p, struct zone_rule *r)
{
	const char *s = *p;
	char *end;

	r->time = 7200;
	if (*s == 'M') {
		r->kind = 'M';
		r->m = (int)strtol(s + 1, &end, 10);
		if (*end != '.')
			return -1;
		r->w = (int)strtol(end + 1, &end, 10);
		if (*end != '.')
			return -1;
		r->d = (int)strtol(end + 1, &end, 10);
		if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d < 0 ||
		    r->d > 6)
			return -1;
	} else {
		r->kind = *s == 'J' ? 'J' : 'n';
		if (*s == 'J')
			s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		r->d = (int)strtol(s, &end, 10);
		if (r->d > 365 || (r->kind == 'J' && r->d < 1))
			return -1;
	}
	s = end;
	if (*s == '/') {
		s++;
		if (hms(&s, &r->time, 167) < 0)
			return -1;
	}
	*p = s;
	return 0;
}

/* The POSIX TZ string of a TZif footer. */
static int
footer(struct zone *z, const char *s)
{
	if (!*s)
		return 0;
	if (tzname(&s) < 0 || hms(&s, &z->std_off, 24) < 0)
		return -1;
	z->std_off = -z->std_off;
	z->has_rule = 1;
	if (!*s)
		return 0;
	if (tzname(&s) < 0)
		return -1;
	z->dst_off = z->std_off + 3600;
	if (*s != ',') {
		if (hms(&s, &z->dst_off, 24) < 0)
			return -1;
		z->dst_off = -z->dst_off;
	}
	if (*s++ != ',' || rule(&s, &z->start) < 0 || *s++ != ',' ||
	    rule(&s, &z->end) < 0 || *s)
		return -1;
	z->has_dst = 1;
	return 0;
}

static int
parse(struct zone *z, const unsigned char *b, size_t len, struct arena *a)
{
	const unsigned char *p = b, *end = b + len;
	uint32_t cnt[6];
	size_t i, body, tsize = 4;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		if ((size_t)(end - p) < 44 || memcmp(p, "TZif", 4) != 0)
			return -1;
		for (i = 0; i < 6; i++)
			cnt[i] = be32(p + 20 + 4 * i);
		/* isutcnt isstdcnt leapcnt timecnt typecnt charcnt */
		if (cnt[3] > 100000 || cnt[4] == 0 || cnt[4] > 256 ||
		    cnt[5] > 100000 || cnt[2] > 100000)
			return -1;
		body = cnt[3] * tsize + cnt[3] + cnt[4] * 6 + cnt[5] +
			cnt[2] * (tsize + 4) + cnt[1] + cnt[0];
		if ((size_t)(end - p) - 44 < body)
			return -1;
		if (pass == 0 && p[4] >= '2') {
			p += 44 + body;
			tsize = 8;
			continue;
		}
		break;
	}
	p += 44;
	z->ntrans = cnt[3];
	z->ntypes = cnt[4];
	z->trans = arena_calloc(a, z->ntrans + 1, sizeof(*z->trans));
	z->type = arena_calloc(a, z->ntrans + 1, 1);
	z->utoff = arena_calloc(a, z->ntypes, sizeof(*z->utoff));
	for (i = 0; i < z->ntrans; i++, p += tsize)
		z->trans[i] = tsize == 8 ? be64(p) : (int32_t)be32(p);
	for (i = 0; i < z->ntrans; i++, p++) {
		if (*p >= z->ntypes)
			return -1;
		z->type[i] = *p;
	}
	for (i = 0; i < z->ntypes; i++, p += 6)
		z->utoff[i] = (int32_t)be32(p);
	p += cnt[5] + cnt[2] * (tsize + 4) + cnt[1] + cnt[0];
	if (tsize == 8 && p < end && *p == '\n') {
		const unsigned char *nl = memchr(p + 1, '\n', (size_t)(end - p - 1));
		char *tz;

		if (!nl)
			return -1;
		tz = arena_strndup(a, (const char *)p + 1, (size_t)(nl - p - 1));
		if (footer(z, tz) < 0)
			return -1;
	}
	return 0;
}

int
zone_load(struct zone *z, const char *name, struct arena *a, char *err,
	size_t n)
{
	const char *dir = getenv("TZDIR"), *s;
	unsigned char *buf;
	char path[4096];
	size_t len;
	FILE *f;
	int r;

	zone_utc(z);
	if (strcmp(name, "UTC") == 0)
		return 0;
	if (!*name || name[0] == '/' || strlen(name) > 255)
		return FAIL(NOT_A_NAME, name);
	for (s = name; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("/_+-.", *s))
			return FAIL(NOT_A_NAME, name);
	if (strstr(name, "..") || strstr(name, "//") || s[-1] == '/')
		return FAIL(NOT_A_NAME, name);
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "rb")) && (errno == ENOENT || errno == ENOTDIR))
		return FAIL("unknown time zone '%s': there is no such zone in "
			"the system's zoneinfo; write an IANA name such as "
			"Europe/Berlin (is the tzdata package installed?)", name);
	if (!f)
		return FAIL("time zone '%s' cannot be read from the system's "
			"zoneinfo", name);
	buf = arena_alloc(a, ZONE_MAX_FILE);
	len = fread(buf, 1, ZONE_MAX_FILE, f);
	r = ferror(f) || len == ZONE_MAX_FILE ? -1 : 0;
	fclose(f);
	if (r == 0)
		r = parse(z, buf, len, a);
	if (r < 0)
		return FAIL("'%s' is not a time zone: its file in the system's "
			"zoneinfo is no TZif file", name);
	z->name = arena_strdup(a, name);
	return 0;
}

/* The local day (days since the epoch) rule r names in year. */
static int64_t
rule_day(const struct zone_rule *r, int year)
{
	int64_t first;
	int leap = civil_days_in_month(year, 2) == 29, dim, day;

	if (r->kind == 'J')
		return civil_to_days(year, 1, 1) + r->d - 1 +
			(leap && r->d >= 60);
	if (r->kind == 'n')
		return civil_to_days(year, 1, 1) + r->d;
	first = civil_to_days(year, r->m, 1);
	/* The first day r->d of the month, then r->w - 1 weeks on. */
	day = 1 + (int)((r->d - (first % 7 + 11) % 7 + 7) % 7);
	day += 7 * (r->w - 1);
	dim = civil_days_in_month(year, r->m);
	while (day > dim)
		day -= 7;
	return first + day - 1;
}

static int32_t
rule_offset(const struct zone *z, int64_t t)
{
	struct civil c;
	int64_t start, end;

	if (!z->has_dst)
		return z->std_off;
	civil_from_secs(t + z->std_off, &c);
	start = rule_day(&z->start, c.year) * 86400 + z->start.time -
		z->std_off;
	end = rule_day(&z->end, c.year) * 86400 + z->end.time - z->dst_off;
	if (start < end)
		return t >= start && t < end ? z->dst_off : z->std_off;
	return t >= end && t < start ? z->std_off : z->dst_off;
}

int32_t
zone_offset(const struct zone *z, int64_t t)
{
	size_t lo = 0, hi = z->ntrans;

	if (z->ntrans == 0 || t >= z->trans[z->ntrans - 1]) {
		if (z->has_rule)
			return rule_offset(z, t);
		if (z->ntrans == 0)
			return z->ntypes ? z->utoff[0] : 0;
		return z->utoff[z->type[z->ntrans - 1]];
	}
	if (t < z->trans[0])
		return z->utoff[0];
	/* The last transition at or before t. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->utoff[z->type[lo]];
}

int64_t
zone_to_local(const struct zone *z, int64_t t)
{
	return t + zone_offset(z, t);
}

int64_t
zone_from_local(const struct zone *z, int64_t lt, enum zone_fit *fit)
{
	int32_t before = zone_offset(z, lt - 86400);
	int32_t after = zone_offset(z, lt + 86400);
	int64_t a = lt - before, b = lt - after, lo, hi;
	int ok_a = zone_offset(z, a) == before;
	int ok_b = zone_offset(z, b) == after;
	enum zone_fit f = ZONE_ONCE;

	if (ok_a && ok_b && a != b) {
		f = ZONE_TWICE;
		a = a < b ? a : b;
	} else if (ok_b && !ok_a) {
		a = b;
	} else if (!ok_a && !ok_b) {
		/* In a gap: the first instant whose offset is the one after
		 * it, between the two readings. */
		f = ZONE_GAP;
		lo = (a < b ? a : b) - 1;
		hi = a < b ? b : a;
		while (hi - lo > 1) {
			int64_t mid = lo + (hi - lo) / 2;

			if (zone_offset(z, mid) == after)
				hi = mid;
			else
				lo = mid;
		}
		a = hi;
	}
	if (fit)
		*fit = f;
	return a;
}
