/*
 * duration.c - unit tests of parse_duration and format_duration.
 */
#include "units.h"
#include "tap.h"

static void
parses(const char *s, long long want)
{
	long long ms = -1;

	ok(parse_duration(s, &ms) == 0 && ms == want, "'%s' is %lld ms", s,
		want);
}

static void
refuses(const char *s)
{
	long long ms;

	ok(parse_duration(s, &ms) < 0, "'%s' is refused", s);
}

int
main(void)
{
	char buf[32];

	parses("500ms", 500);
	parses("10s", 10000);
	parses("5m", 300000);
	parses("2h", 7200000);
	parses("1d", 86400000);
	parses("1h30m", 5400000);
	parses("1m500ms", 60500);
	parses("0s", 0);
	parses("1d2h3m4s5ms", 93784005);
	refuses("");
	refuses("10");
	refuses("s");
	refuses("1x");
	refuses("30m1h");
	refuses("1s1s");
	refuses("-1s");
	refuses("1.5h");
	refuses("1 h");
	refuses("99999999999d");
	refuses("4000d");
	is_str(format_duration(5400000, buf, sizeof(buf)), "1h30m",
		"1h30m formats back");
	is_str(format_duration(500, buf, sizeof(buf)), "500ms", "500ms formats");
	is_str(format_duration(93784005, buf, sizeof(buf)), "1d2h3m4s5ms",
		"every unit formats");
	is_str(format_duration(0, buf, sizeof(buf)), "0s", "zero is 0s");
	return tap_done();
}
