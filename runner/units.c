/*
 * units.c - durations and sizes, as written in job files and shown to
 * people.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"
#include "util.h"

int
parse_duration(const char *s, long long *ms)
{
	static const struct { const char *unit; long long ms; } units[] = {
		{ "d", 86400000LL }, { "h", 3600000LL }, { "ms", 1 },
		{ "m", 60000LL }, { "s", 1000LL },
	};
	/* Units must come largest first, each once: "1h30m", not "30m1h". */
	long long total = 0, last = -1;
	const char *p = s;

	if (!*p)
		return -1;
	while (*p) {
		long long n = 0;
		size_t i;

		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			n = n * 10 + (*p++ - '0');
			if (n > 1000000000LL)
				return -1;
		}
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (strncmp(p, units[i].unit, strlen(units[i].unit)) == 0)
				break;
		if (i == ARRAY_SIZE(units))
			return -1;
		if (last != -1 && units[i].ms >= last)
			return -1;
		last = units[i].ms;
		p += strlen(units[i].unit);
		total += n * units[i].ms;
		if (total > 3650LL * 86400000LL)
			return -1;
	}
	*ms = total;
	return 0;
}

const char *
format_duration(long long ms, char *buf, size_t n)
{
	static const struct { const char *unit; long long ms; } units[] = {
		{ "d", 86400000LL }, { "h", 3600000LL }, { "m", 60000LL },
		{ "s", 1000LL }, { "ms", 1 },
	};
	size_t i, off = 0;

	if (ms <= 0) {
		snprintf(buf, n, "0s");
		return buf;
	}
	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(units) && off < n; i++) {
		if (ms < units[i].ms)
			continue;
		off += (size_t)snprintf(buf + off, n - off, "%lld%s",
			ms / units[i].ms, units[i].unit);
		ms %= units[i].ms;
	}
	return buf;
}

int
parse_size(const char *s, long long *out)
{
	static const struct { const char *unit; long long mult; } units[] = {
		{ "", 1 }, { "B", 1 }, { "KB", 1024 }, { "K", 1024 },
		{ "MB", 1024 * 1024 }, { "M", 1024 * 1024 },
		{ "GB", 1024LL * 1024 * 1024 }, { "G", 1024LL * 1024 * 1024 },
	};
	char *end;
	long long n;
	size_t i;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (end == s || n < 0 || errno)
		return -1;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (strcasecmp(end, units[i].unit) == 0) {
			if (n > LLONG_MAX / units[i].mult)
				return -1;
			*out = n * units[i].mult;
			return 0;
		}
	return -1;
}

const char *
format_bytes(long long n, char *buf, size_t len)
{
	if (n < 1024)
		snprintf(buf, len, "%lld B", n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%.1f KB", (double)n / 1024);
	else if (n < 1024LL * 1024 * 1024)
		snprintf(buf, len, "%.1f MB", (double)n / (1024 * 1024));
	else
		snprintf(buf, len, "%.2f GB", (double)n / (1024 * 1024 * 1024));
	return buf;
}
