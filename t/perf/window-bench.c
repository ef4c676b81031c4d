/*
 * window-bench.c - how long the next opening of a window takes.
 *
 *   make t/perf/window-bench && ./t/perf/window-bench
 *
 * 1,000,000 evaluations of window_next in Europe/Berlin, from instants
 * spread over a year (so over both changes of the clocks), for a few
 * cron schedules; then the next time of "0 0 29 2 MON" and of
 * "0 0 29 2 *" (Vixie's rule makes the first fire on any Monday of
 * February; the second waits for a leap year) searched from 2097, the
 * longest wait there is, best of a thousand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "diag.h"
#include "job.h"
#include "util.h"
#include "window.h"

enum { EVALS = 1000000 };

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct job *
load(const char *cron)
{
	struct diags d = {0};
	struct job *job;
	char *text = xmalloc(512);

	snprintf(text, 512, "runjob: 1\nname: b\nwindow: { cron: \"%s\", "
		"duration: 3h, timezone: Europe/Berlin }\nsteps:\n"
		"  - { id: a, run: 'true', timeout: 1m }\n", cron);
	if (job_parse(&job, "bench.yaml", text, strlen(text), &d) < 0) {
		diags_print(&d, 0);
		exit(1);
	}
	diags_free(&d);
	return job;
}

int
main(void)
{
	static const char *const crons[] = { "0 2 * * SAT", "30 2 * * *",
		"*/15 1-4 * * MON-FRI", "0 3 1 * *" };
	/* 2026-01-01T00:00:00Z, and a year in ms. */
	const int64_t start = 1767225600000LL, year = 365LL * 86400000;
	int64_t sink = 0, o, c;
	size_t i, k;

	for (k = 0; k < sizeof(crons) / sizeof(crons[0]); k++) {
		struct job *job = load(crons[k]);
		double t0 = seconds(), dt;

		for (i = 0; i < EVALS; i++) {
			if (window_next(job, start + (int64_t)i * (year / EVALS),
			    1, &o, &c))
				sink += o;
		}
		dt = seconds() - t0;
		printf("next opening of \"%s\" (Europe/Berlin): %.0f ns per "
			"evaluation (%d in %.2f s)\n", crons[k], dt / EVALS * 1e9,
			EVALS, dt);
		job_free(job);
	}
	for (k = 0; k < 2; k++) {
		const char *s = k ? "0 0 29 2 *" : "0 0 29 2 MON";
		struct cron cr;
		char err[256];
		double best = 1e9, t0;
		struct civil t;

		cron_parse(&cr, s, err, sizeof(err));
		for (i = 0; i < 1000; i++) {
			t = (struct civil){ 2097, 3, 1, 0, 0 };
			t0 = seconds();
			cron_next(&cr, &t, 2097 + 30);
			t0 = seconds() - t0;
			if (t0 < best)
				best = t0;
		}
		printf("\"%s\" from 2097-03-01: fires %04d-%02d-%02d, found in "
			"%.1f us\n", s, t.year, t.month, t.day, best * 1e6);
	}
	return sink == 42;
}
