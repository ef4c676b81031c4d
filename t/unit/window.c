/*
 * window.c - unit tests of windows and blackouts: openings across the
 * DST changes of a few zones, blackouts of each kind, merged windows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "job.h"
#include "util.h"
#include "window.h"
#include "zone.h"
#include "tap.h"

static struct job *
load(const char *schedule)
{
	struct diags d = {0};
	struct job *job;
	char *text;

	text = xmalloc(strlen(schedule) + 64);
	sprintf(text, "runjob: 1\nname: t\n%s\nsteps:\n  - { id: a, run: 'true' }\n",
		schedule);
	if (job_parse(&job, "t.yaml", text, strlen(text), &d) < 0)
		diags_print(&d, 0);
	diags_free(&d);
	return job;
}

/* schedule on one line, for a test's description. */
static const char *
line(const char *schedule)
{
	static char buf[4][512];
	static int k;
	char *p = buf[k++ % 4];

	snprintf(p, sizeof(buf[0]), "%s", schedule);
	for (schedule = p; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return schedule;
}

static int64_t
at(const char *s)
{
	int64_t secs = 0;

	if (clock_parse(s, &secs) != CLOCK_INSTANT)
		printf("# bad instant %s\n", s);
	return secs * 1000;
}

static const char *
utc(int64_t ms)
{
	static char buf[8][32];
	static int i;

	if (ms == 0)
		return "never";
	return clock_utc(ms, buf[i++ % 8], sizeof(buf[0]));
}

/* The job's first opening at or after from: at open, until close. */
static void
opens(const char *schedule, const char *from, const char *open,
	const char *close)
{
	struct job *job = load(schedule);
	int64_t o = 0, c = 0;
	char want[80], got[80];

	window_next(job, at(from), 1, &o, &c);
	snprintf(want, sizeof(want), "%s-%s", open, close);
	snprintf(got, sizeof(got), "%s-%s", utc(o), utc(c));
	is_str(got, want, "%s, after %s: %s", line(schedule), from, want);
	job_free(job);
}

/* What window_state says at now, in one line. */
static void
state(const char *schedule, const char *now, const char *want)
{
	struct job *job = load(schedule);
	struct wstate w;
	char got[256];

	window_state(job, at(now), &w);
	if (w.open)
		snprintf(got, sizeof(got), "open until %s", utc(w.closes));
	else
		snprintf(got, sizeof(got), "closed, opens %s", utc(w.opens));
	if (w.blackout)
		snprintf(got + strlen(got), sizeof(got) - strlen(got),
			"; %s until %s", w.blackout, utc(w.blackout_ends));
	is_str(got, want, "%s at %s: %s", line(schedule), now, want);
	job_free(job);
}

/* How many openings between from and to. */
static size_t
count(const char *schedule, const char *from, const char *to)
{
	struct job *job = load(schedule);
	int64_t o[200], c[200];
	size_t n, i, k = 0;

	n = window_next(job, at(from), 200, o, c);
	for (i = 0; i < n; i++)
		k += o[i] < at(to);
	job_free(job);
	return k;
}

#define W(cron, dur, tz) "window: { cron: \"" cron "\", duration: " dur \
	", timezone: " tz " }"

static void
berlin(void)
{
	/* 2026-03-29 02:00 CET the clocks go to 03:00 CEST (01:00Z). */
	opens(W("59 1 29 3 *", "10m", "Europe/Berlin"), "2026-03-01T00:00:00Z",
		"2026-03-29T00:59:00Z", "2026-03-29T01:09:00Z");
	opens(W("0 2 29 3 *", "1h", "Europe/Berlin"), "2026-03-01T00:00:00Z",
		"2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
	opens(W("30 2 29 3 *", "1h", "Europe/Berlin"), "2026-03-01T00:00:00Z",
		"2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
	opens(W("59 2 29 3 *", "1h", "Europe/Berlin"), "2026-03-01T00:00:00Z",
		"2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
	opens(W("0 3 29 3 *", "1h", "Europe/Berlin"), "2026-03-01T00:00:00Z",
		"2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
	opens(W("1 3 29 3 *", "1h", "Europe/Berlin"), "2026-03-01T00:00:00Z",
		"2026-03-29T01:01:00Z", "2026-03-29T02:01:00Z");
	/* Asked for at the very instant the gap ends: still that opening. */
	opens(W("30 2 29 3 *", "1h", "Europe/Berlin"), "2026-03-29T01:00:00Z",
		"2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
	/* 2026-10-25 03:00 CEST the clocks go back to 02:00 CET (01:00Z). */
	opens(W("59 1 25 10 *", "10m", "Europe/Berlin"), "2026-10-01T00:00:00Z",
		"2026-10-24T23:59:00Z", "2026-10-25T00:09:00Z");
	opens(W("0 2 25 10 *", "10m", "Europe/Berlin"), "2026-10-01T00:00:00Z",
		"2026-10-25T00:00:00Z", "2026-10-25T00:10:00Z");
	opens(W("30 2 25 10 *", "10m", "Europe/Berlin"), "2026-10-01T00:00:00Z",
		"2026-10-25T00:30:00Z", "2026-10-25T00:40:00Z");
	opens(W("0 3 25 10 *", "10m", "Europe/Berlin"), "2026-10-01T00:00:00Z",
		"2026-10-25T02:00:00Z", "2026-10-25T02:10:00Z");
	/* Once, at the first of the two: not again an hour later. */
	opens(W("30 2 25 10 *", "10m", "Europe/Berlin"), "2026-10-25T00:31:00Z",
		"2027-10-25T00:30:00Z", "2027-10-25T00:40:00Z");
	ok(count(W("30 2 * * *", "10m", "Europe/Berlin"), "2026-10-24T12:00:00Z",
		"2026-10-26T12:00:00Z") == 2, "02:30 daily opens once on the "
		"day 02:30 happens twice");
	ok(count(W("*/30 * 25 10 *", "10m", "Europe/Berlin"),
		"2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z") == 48,
		"every half hour of 2026-10-25 opens once: 48 openings");
	ok(count(W("30 2 * * *", "10m", "Europe/Berlin"), "2026-03-28T12:00:00Z",
		"2026-03-30T12:00:00Z") == 2, "02:30 daily opens on the "
		"day 02:30 does not happen");
	/* 2027: March 28 and October 31. */
	opens(W("30 2 * * SUN", "1h", "Europe/Berlin"), "2027-03-27T00:00:00Z",
		"2027-03-28T01:00:00Z", "2027-03-28T02:00:00Z");
	opens(W("30 2 * * SUN", "1h", "Europe/Berlin"), "2027-10-30T00:00:00Z",
		"2027-10-31T00:30:00Z", "2027-10-31T01:30:00Z");
	opens(W("30 2 * * SUN", "1h", "Europe/Berlin"), "2027-11-01T00:00:00Z",
		"2027-11-07T01:30:00Z", "2027-11-07T02:30:00Z");
	/* Real elapsed time: a 3h window across the change lasts 3h. */
	opens(W("0 1 25 10 *", "3h", "Europe/Berlin"), "2026-10-01T00:00:00Z",
		"2026-10-24T23:00:00Z", "2026-10-25T02:00:00Z");
	/* Years ahead, past the zone file's table: from its rule. */
	opens(W("30 2 * 3 SUN", "1h", "Europe/Berlin"), "2090-03-26T00:00:00Z",
		"2090-03-26T01:00:00Z", "2090-03-26T02:00:00Z");
}

static void
elsewhere(void)
{
	/* New York: 2026-03-08 02:00 EST to 03:00 EDT (07:00Z); 2026-11-01
	 * 02:00 EDT back to 01:00 EST (06:00Z). */
	opens(W("30 2 8 3 *", "1h", "America/New_York"), "2026-03-01T00:00:00Z",
		"2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z");
	opens(W("59 1 8 3 *", "1h", "America/New_York"), "2026-03-01T00:00:00Z",
		"2026-03-08T06:59:00Z", "2026-03-08T07:59:00Z");
	opens(W("30 1 1 11 *", "1h", "America/New_York"), "2026-10-01T00:00:00Z",
		"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z");
	opens(W("0 2 1 11 *", "1h", "America/New_York"), "2026-10-01T00:00:00Z",
		"2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z");
	opens(W("30 0 1 11 *", "1h", "America/New_York"), "2026-10-01T00:00:00Z",
		"2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z");
	/* Lord Howe moves by half an hour: 2026-10-04 02:00 (+10:30) to
	 * 02:30 (+11); 2026-04-05 02:00 (+11) back to 01:30 (+10:30). */
	opens(W("15 2 4 10 *", "1h", "Australia/Lord_Howe"),
		"2026-09-01T00:00:00Z", "2026-10-03T15:30:00Z",
		"2026-10-03T16:30:00Z");
	opens(W("0 2 4 10 *", "1h", "Australia/Lord_Howe"),
		"2026-09-01T00:00:00Z", "2026-10-03T15:30:00Z",
		"2026-10-03T16:30:00Z");
	opens(W("30 2 4 10 *", "1h", "Australia/Lord_Howe"),
		"2026-09-01T00:00:00Z", "2026-10-03T15:30:00Z",
		"2026-10-03T16:30:00Z");
	opens(W("59 1 4 10 *", "1h", "Australia/Lord_Howe"),
		"2026-09-01T00:00:00Z", "2026-10-03T15:29:00Z",
		"2026-10-03T16:29:00Z");
	opens(W("45 1 5 4 *", "1h", "Australia/Lord_Howe"),
		"2026-03-01T00:00:00Z", "2026-04-04T14:45:00Z",
		"2026-04-04T15:45:00Z");
	opens(W("0 2 5 4 *", "1h", "Australia/Lord_Howe"),
		"2026-03-01T00:00:00Z", "2026-04-04T15:30:00Z",
		"2026-04-04T16:30:00Z");
	ok(count(W("45 1 * * *", "10m", "Australia/Lord_Howe"),
		"2026-04-04T00:00:00Z", "2026-04-06T12:00:00Z") == 2,
		"01:45 daily opens once on the day it happens twice");
	/* Kolkata: +05:30 all year. */
	opens(W("30 2 29 3 *", "1h", "Asia/Kolkata"), "2026-03-01T00:00:00Z",
		"2026-03-28T21:00:00Z", "2026-03-28T22:00:00Z");
	opens(W("30 2 25 10 *", "1h", "Asia/Kolkata"), "2026-10-01T00:00:00Z",
		"2026-10-24T21:00:00Z", "2026-10-24T22:00:00Z");
	opens(W("0 2 * * SAT", "3h", "UTC"), "2026-12-06T13:09:00Z",
		"2026-12-12T02:00:00Z", "2026-12-12T05:00:00Z");
}

#define SAT W("0 2 * * SAT", "3h", "Europe/Berlin")

static void
blackouts(void)
{
	const char *days = SAT "\nblackout:\n"
		"  - { from: 2026-12-20, to: 2027-01-04, reason: holidays }";
	const char *instants = SAT "\nblackout:\n"
		"  - { from: \"2027-02-06T02:00:00Z\", to: \"2027-02-06T03:00:00Z\" }";
	const char *weekly = "window: { cron: \"0 8 * * *\", duration: 4h }\n"
		"blackout:\n"
		"  - { cron: \"0 9 * * MON-FRI\", duration: 8h, reason: business hours }";
	const char *only = "blackout:\n  - { from: 2026-12-24, to: 2026-12-26 }";

	/* Whole days in the job's zone, both included. */
	opens(days, "2026-12-13T00:00:00Z", "2026-12-19T01:00:00Z",
		"2026-12-19T04:00:00Z");
	opens(days, "2026-12-19T04:00:00Z", "2027-01-09T01:00:00Z",
		"2027-01-09T04:00:00Z");
	state(days, "2026-12-26T01:30:00Z", "closed, opens "
		"2027-01-09T01:00:00Z; holidays until 2027-01-04T23:00:00Z");
	state(days, "2026-12-19T23:30:00Z", "closed, opens "
		"2027-01-09T01:00:00Z; holidays until 2027-01-04T23:00:00Z");
	state(days, "2026-12-19T22:59:00Z", "closed, opens "
		"2027-01-09T01:00:00Z");
	/* Instants, inside a window: it opens around them. */
	opens(instants, "2027-02-05T00:00:00Z", "2027-02-06T01:00:00Z",
		"2027-02-06T02:00:00Z");
	opens(instants, "2027-02-06T01:30:00Z", "2027-02-06T03:00:00Z",
		"2027-02-06T04:00:00Z");
	state(instants, "2027-02-06T01:30:00Z", "open until 2027-02-06T02:00:00Z");
	state(instants, "2027-02-06T02:30:00Z", "closed, opens "
		"2027-02-06T03:00:00Z; blackout until 2027-02-06T03:00:00Z");
	state(instants, "2027-02-06T03:00:00Z", "open until 2027-02-06T04:00:00Z");
	/* Recurring: business hours on weekdays. 2026-12-07 is a Monday. */
	opens(weekly, "2026-12-07T00:00:00Z", "2026-12-07T08:00:00Z",
		"2026-12-07T09:00:00Z");
	state(weekly, "2026-12-07T10:00:00Z", "closed, opens "
		"2026-12-08T08:00:00Z; business hours until 2026-12-07T17:00:00Z");
	opens(weekly, "2026-12-12T00:00:00Z", "2026-12-12T08:00:00Z",
		"2026-12-12T12:00:00Z");
	/* No window: open but in the blackout. */
	state(only, "2026-12-23T12:00:00Z", "open until 2026-12-24T00:00:00Z");
	state(only, "2026-12-25T12:00:00Z", "closed, opens "
		"2026-12-27T00:00:00Z; blackout until 2026-12-27T00:00:00Z");
	opens(only, "2026-12-01T00:00:00Z", "2026-12-27T00:00:00Z", "never");
	state("description: none", "2026-12-25T12:00:00Z", "open until never");
}

static void
merged(void)
{
	const char *two = "window:\n"
		"  - { cron: \"0 1 * * *\", duration: 2h }\n"
		"  - { cron: \"0 2 * * *\", duration: 2h }";
	const char *touching = "window:\n"
		"  - { cron: \"0 1 * * *\", duration: 1h }\n"
		"  - { cron: \"0 2 * * *\", duration: 1h }";
	const char *self = "window: { cron: \"0 * * * *\", duration: 90m }";
	struct job *job = load(two);
	struct wstate w;

	opens(two, "2026-12-07T00:00:00Z", "2026-12-07T01:00:00Z",
		"2026-12-07T04:00:00Z");
	opens(touching, "2026-12-07T00:00:00Z", "2026-12-07T01:00:00Z",
		"2026-12-07T03:00:00Z");
	state(two, "2026-12-07T02:30:00Z", "open until 2026-12-07T04:00:00Z");
	state(self, "2026-12-07T02:30:00Z", "open until never");
	window_state(job, at("2026-12-07T05:00:00Z"), &w);
	ok(w.any && !w.open && !w.blackout, "a job with windows: closed "
		"between them");
	job_free(job);
}

int
main(void)
{
	char buf[64];
	struct job *job;

	berlin();
	elsewhere();
	blackouts();
	merged();
	job = load(SAT);
	is_str(window_local(job, at("2026-12-12T01:00:00Z"), buf, sizeof(buf)),
		"2026-12-12 02:00 Europe/Berlin", "window_local: the job's zone");
	job_free(job);
	job = load("description: x");
	is_str(window_local(job, at("2026-12-12T01:00:00Z"), buf, sizeof(buf)),
		"2026-12-12 01:00 UTC", "window_local: UTC without a window");
	job_free(job);
	return tap_done();
}
