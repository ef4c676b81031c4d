/*
 * clock.c - runjob's clock.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

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
		struct tm tm;

		memset(&tm, 0, sizeof(tm));
		if (fake && strptime(fake, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
			base = (int64_t)timegm(&tm) * 1000;
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
