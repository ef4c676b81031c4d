/*
 * cron.c - unit tests of cron_parse and cron_next.
 */
#include <stdio.h>
#include <string.h>

#include "cron.h"
#include "tap.h"

static void
parses(const char *s)
{
	struct cron c;
	char err[256] = "";

	if (!ok(cron_parse(&c, s, err, sizeof(err)) == 0, "'%s' parses", s))
		printf("#   %s\n", err);
}

static void
refuses(const char *s, const char *why)
{
	struct cron c;
	char err[256] = "";

	if (!ok(cron_parse(&c, s, err, sizeof(err)) < 0 && strstr(err, why),
	    "'%s' is refused: %s", s, why))
		printf("#   got '%s'\n", err);
}

/* The first time s fires at or after from, as YYYY-MM-DD HH:MM. */
static void
next(const char *s, const char *from, const char *want)
{
	struct civil t;
	struct cron c;
	char err[256], got[32] = "none";

	sscanf(from, "%d-%d-%d %d:%d", &t.year, &t.month, &t.day, &t.hour,
		&t.minute);
	if (cron_parse(&c, s, err, sizeof(err)) == 0 &&
	    cron_next(&c, &t, t.year + 30) == 0)
		snprintf(got, sizeof(got), "%04d-%02d-%02d %02d:%02d", t.year,
			t.month, t.day, t.hour, t.minute);
	is_str(got, want, "'%s' from %s fires %s", s, from, want);
}

int
main(void)
{
	struct cron c;
	char err[256];

	parses("0 2 * * SAT");
	parses("*/15 * * * *");
	parses("0 9 * * mon-fri");
	parses("0 0 1,15 jan,Jul *");
	parses("1-5/2 0 * * 7");
	parses("  0\t2  *  *  *  ");
	parses("0 0 29 2 *");
	parses("0 0 31 1-12 *");
	parses("0 0 30 2 MON");

	cron_parse(&c, "1-5/2 0 * * 7", err, sizeof(err));
	ok(c.minute == 0x2a, "1-5/2 is 1, 3, 5");
	ok(c.wday == 1, "7 is Sunday");
	cron_parse(&c, "0 0 * * 5-7", err, sizeof(err));
	ok(c.wday == 0x61, "5-7 is Friday to Sunday");
	cron_parse(&c, "10/20 * * * *", err, sizeof(err));
	ok(c.minute == ((1ull << 10) | (1ull << 30) | (1ull << 50)),
		"10/20 is 10, 30, 50");
	ok(c.mday_star && c.wday_star, "'*' days are unrestricted");

	refuses("", "0 fields");
	refuses("0 2 * *", "4 fields");
	refuses("0 2 * * * *", "more than 5 fields");
	refuses("60 2 * * *", "minute field '60': 60 is out of range 0-59");
	refuses("0 24 * * *", "hour field '24'");
	refuses("0 0 0 * *", "day-of-month field '0': 0 is out of range 1-31");
	refuses("0 0 * 13 *", "month field '13'");
	refuses("0 0 * * 8", "day-of-week field '8'");
	refuses("0 0 * * FUN", "unknown name");
	refuses("0 0 * * MONDAY", "unknown name");
	refuses("MON 0 * * *", "numbers only");
	refuses("5-1 0 * * *", "runs backwards");
	refuses("*/0 0 * * *", "step after '/'");
	refuses("1,,2 0 * * *", "minute field '1,,2'");
	refuses("0 0 31 2 *", "never fires");
	refuses("0 0 30 2 *", "never fires");
	refuses("0 0 31 4,6,9,11 *", "never fires");

	next("0 2 * * SAT", "2026-12-06 13:09", "2026-12-12 02:00");
	next("0 2 * * SAT", "2026-12-12 02:00", "2026-12-12 02:00");
	next("0 2 * * SAT", "2026-12-12 02:01", "2026-12-19 02:00");
	next("*/15 * * * *", "2026-12-31 23:46", "2027-01-01 00:00");
	next("0 0 29 2 *", "2026-03-01 00:00", "2028-02-29 00:00");
	next("0 0 29 2 *", "2096-03-01 00:00", "2104-02-29 00:00");
	next("0 0 31 * *", "2026-04-01 00:00", "2026-05-31 00:00");
	/* Both day fields restricted: either one (Vixie cron). */
	next("0 0 13 * FRI", "2026-12-01 00:00", "2026-12-04 00:00");
	next("0 0 29 2 MON", "2026-03-01 00:00", "2027-02-01 00:00");
	/* One of them '*': both. */
	next("0 0 */2 * FRI", "2026-12-01 00:00", "2026-12-11 00:00");
	next("30 1-3/2 * * *", "2026-12-01 01:31", "2026-12-01 03:30");
	next("0 9 * * MON-FRI", "2026-12-05 10:00", "2026-12-07 09:00");
	next("0 0 1 JAN *", "2026-01-01 00:01", "2027-01-01 00:00");
	return tap_done();
}
