/*
 * due.c - runjob due: is each job's maintenance window open, and when
 * does it open next.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "diag.h"
#include "exitcode.h"
#include "job.h"
#include "window.h"
#include "zone.h"

static void
print_json(const char *file, const struct job *job, int64_t now,
	const struct wstate *w, size_t nnext, int64_t opens, int64_t closes)
{
	struct buf b = {0};

	buf_adds(&b, "{\"file\":");
	buf_add_json(&b, file);
	buf_adds(&b, ",\"job\":");
	buf_add_json(&b, job->name);
	buf_adds(&b, ",\"timezone\":");
	buf_add_json(&b, job->schedule.zone->name);
	buf_adds(&b, ",");
	window_json_at(&b, "at", job, now);
	buf_addf(&b, ",\"window\":%s,\"open\":%s", job->schedule.nwindows ?
		"true" : "false", w->open ? "true" : "false");
	buf_adds(&b, ",");
	window_json_at(&b, "closes", job, w->open ? w->closes : 0);
	buf_adds(&b, ",");
	window_json_at(&b, "next_opens", job, nnext ? opens : 0);
	buf_adds(&b, ",");
	window_json_at(&b, "next_closes", job, nnext ? closes : 0);
	buf_adds(&b, ",\"blackout\":");
	if (w->blackout) {
		buf_adds(&b, "{\"reason\":");
		buf_add_json(&b, w->blackout);
		buf_adds(&b, ",");
		window_json_at(&b, "ends", job, w->blackout_ends);
		buf_adds(&b, "}");
	} else {
		buf_adds(&b, "null");
	}
	buf_adds(&b, "}\n");
	fputs(buf_str(&b), stdout);
	buf_free(&b);
}

static void
print_text(const char *file, const struct job *job, int64_t now,
	const struct wstate *w, size_t nnext, int64_t opens, int64_t closes)
{
	char a[160], b[160], in[32];

	printf("%s (%s): ", file, job->name);
	if (w->open && !w->any)
		printf("open: no window and no blackout\n");
	else if (w->open && w->closes)
		printf("open until %s, for %s\n", window_when(job, w->closes, a,
			sizeof(a)), window_span(w->closes - now, in, sizeof(in)));
	else if (w->open)
		printf("open\n");
	else
		printf("closed\n");
	if (w->blackout)
		printf("  blackout in force: %s, %s %s\n", w->blackout,
			w->blackout_ends ? "until" : "with no end",
			w->blackout_ends ? window_when(job, w->blackout_ends, a,
			sizeof(a)) : "in sight");
	if (nnext)
		printf("  next opening: %s, in %s; closes %s\n",
			window_when(job, opens, a, sizeof(a)),
			window_span(opens - now, in, sizeof(in)),
			closes ? window_when(job, closes, b, sizeof(b)) : "never");
	else if (w->any)
		printf("  next opening: none\n");
}

/* when as the instant it names for job: an instant as it is, a
 * wall-clock time on the job's clock. */
static int64_t
instant(const struct job *job, int form, int64_t secs)
{
	if (form == CLOCK_INSTANT)
		return secs * 1000;
	return zone_from_local(job->schedule.zone, secs, NULL) * 1000;
}

static int
cmd_due(int argc, char **argv)
{
	struct opts o;
	int i, first, form = CLOCK_INSTANT, bad = 0, closed = 0;
	int64_t at = 0;

	if ((first = parse_opts("due", argc, argv, &o, "json at")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (first == argc) {
		free_opts(&o);
		return usage_error("due", "no job file given");
	}
	if (o.at && ((form = clock_parse(o.at, &at)) < 0 ||
	    form == CLOCK_DATE)) {
		char msg[256];

		snprintf(msg, sizeof(msg), "--at %s: write an instant such as "
			"2026-11-21T02:30:00Z, or a time on the job's clock such "
			"as 2026-11-21T02:30 (between 1970 and 2100)", o.at);
		free_opts(&o);
		return usage_error("due", msg);
	}
	for (i = first; i < argc; i++) {
		struct diags d = {0};
		struct job *job;
		struct wstate w;
		int64_t now, opens = 0, closes = 0;
		size_t nnext;

		if (job_load(&job, argv[i], &d) < 0) {
			diags_print(&d, o.json);
			fprintf(stderr, "%s: %zu error%s\n", argv[i], d.nerrors,
				d.nerrors == 1 ? "" : "s");
			bad = 1;
		} else {
			now = o.at ? instant(job, form, at) : now_ms();
			window_state(job, now, &w);
			nnext = window_next(job, now, 1, &opens, &closes);
			if (o.json)
				print_json(argv[i], job, now, &w, nnext, opens,
					closes);
			else
				print_text(argv[i], job, now, &w, nnext, opens,
					closes);
			closed |= !w.open;
		}
		job_free(job);
		diags_free(&d);
	}
	free_opts(&o);
	return bad ? EXIT_INVALID : closed ? EXIT_WINDOW : EXIT_OK;
}

const struct command cmd_due_entry = { "due", cmd_due,
	"due [--json] [--at TIME] JOB.yaml...",
	"say whether each job's maintenance window is open, and when it opens",
	"--at TIME          at that instant, or that time on each job's clock\n"
	"--json             print one JSON object a job\n" };
