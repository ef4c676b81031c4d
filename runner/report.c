/*
 * report.c - runjob report: one run for a reviewer. As text, a summary
 * for a ticket; with --html, one self-contained page (no network, no
 * script): the run's facts, an SVG timeline with a bar for each attempt
 * and rollback coloured by outcome and the maintenance window's closing
 * marked, the steps, each step's output tail and the events. What the
 * journal holds is masked already; the page escapes it all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "cli.h"
#include "exitcode.h"
#include "job.h"
#include "journal.h"
#include "report.h"
#include "ui.h"
#include "util.h"
#include "visible.h"
#include "where.h"
#include "window.h"

enum { TAIL_LINES = 20 };	/* of each step's output, on the page */

/* Rows of one query, each value copied. */
struct rows {
	const char *const *cols;	/* the columns kept */
	char ***v;
	size_t n, cap;
};

static int
keep(void *arg, const struct jrow *row)
{
	struct rows *t = arg;
	size_t i, nc = 0;

	while (t->cols[nc])
		nc++;
	xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
	t->v[t->n] = xcalloc(nc + 1, sizeof(char *));
	for (i = 0; i < nc; i++) {
		const char *s = jrow_get(row, t->cols[i]);

		t->v[t->n][i] = s ? xstrdup(s) : NULL;
	}
	t->n++;
	return 0;
}

static void
rows_free(struct rows *t)
{
	size_t i, k;

	for (i = 0; i < t->n; i++) {
		for (k = 0; t->cols[k]; k++)
			free(t->v[i][k]);
		free(t->v[i]);
	}
	free(t->v);
}

static const char *const run_cols[] = { "id", "job", "file", "sha256",
	"git_commit", "git_dirty", "user", "host", "pid", "trigger", "started",
	"ended", "state", "exit_code", "params", "text", NULL };
enum { R_ID, R_JOB, R_FILE, R_SHA, R_COMMIT, R_DIRTY, R_USER, R_HOST, R_PID,
	R_TRIGGER, R_STARTED, R_ENDED, R_STATE, R_EXIT, R_PARAMS, R_TEXT };
static const char *const step_cols[] = { "step_id", "state", NULL };
static const char *const attempt_cols[] = { "step_id", "kind", "attempt",
	"started", "ended", "state", "exit_code", "signal", "output", NULL };
enum { A_STEP, A_KIND, A_N, A_STARTED, A_ENDED, A_STATE, A_EXIT, A_SIGNAL,
	A_OUTPUT };
static const char *const event_cols[] = { "seq", "at", "kind", "step_id",
	"data", NULL };

struct record {
	struct rows run, steps, attempts, events;
	int64_t closes;		/* its window's closing, or 0 */
};

static long long
num(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

/* The closing of the maintenance window the run started in, from its
 * own job text and the files it was built from as the journal keeps
 * them (a window may come from a preset changed since); 0 when it had
 * none. */
static int64_t
window_closing(struct journal *jn, char *const *run)
{
	const char *text = run[R_TEXT], *file = run[R_FILE];
	struct sources *src;
	struct diags d = {0};
	struct job *job = NULL;
	struct wstate w;
	int64_t closes = 0;

	if (!text || !(src = run_sources(jn, run[R_ID], file)))
		return 0;
	if (job_parse_with(&job, file, xstrdup(text), strlen(text), src,
	    &d) == 0 || job) {
		window_state(job, num(run[R_STARTED]), &w);
		if (w.any && w.open)
			closes = w.closes;
	}
	job_free(job);
	diags_free(&d);
	return closes;
}

/* The run named by arg: a run id, a job file or a job name (its latest
 * run). Returns 0, or an exit code. */
static int
load_record(struct journal *jn, const char *arg, struct record *r)
{
	struct stat st;
	char *name = NULL;
	int found;

	memset(r, 0, sizeof(*r));
	r->run.cols = run_cols;
	r->steps.cols = step_cols;
	r->attempts.cols = attempt_cols;
	r->events.cols = event_cols;
	if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
		struct diags d = {0};
		struct job *job;

		job_load(&job, arg, &d);
		name = job->name ? xstrdup(job->name) : NULL;
		job_free(job);
		diags_free(&d);
	}
	found = name ? journal_run(jn, NULL, name, keep, &r->run) :
		journal_run(jn, arg, NULL, keep, &r->run);
	if (found == 0 && !name)
		found = journal_run(jn, NULL, arg, keep, &r->run);
	free(name);
	if (found <= 0) {
		if (found == 0)
			error("no run %s in the journal %s; 'runjob history' "
				"lists the runs", arg, journal_path(jn));
		return found == 0 ? EXIT_USAGE : EXIT_FAILED;
	}
	if (journal_steps(jn, r->run.v[0][R_ID], keep, &r->steps) < 0 ||
	    journal_attempts(jn, r->run.v[0][R_ID], keep, &r->attempts) < 0 ||
	    journal_events(jn, r->run.v[0][R_ID], keep, &r->events) < 0)
		return EXIT_FAILED;
	r->closes = window_closing(jn, r->run.v[0]);
	return 0;
}

static void
record_free(struct record *r)
{
	rows_free(&r->run);
	rows_free(&r->steps);
	rows_free(&r->attempts);
	rows_free(&r->events);
}

/* Each step's last try and how many it had, found once for all steps
 * (a run may have tens of thousands). */
struct tries {
	char ***last;		/* per step: its last attempt row, or NULL */
	int *count;
};

static int
by_id(const void *a, const void *b, void *arg)
{
	const struct rows *steps = arg;

	return strcmp(steps->v[*(const size_t *)a][0],
		steps->v[*(const size_t *)b][0]);
}

static void
tries_of(const struct record *r, struct tries *t)
{
	size_t *order = xcalloc(r->steps.n + 1, sizeof(*order)), i;

	t->last = xcalloc(r->steps.n + 1, sizeof(*t->last));
	t->count = xcalloc(r->steps.n + 1, sizeof(*t->count));
	for (i = 0; i < r->steps.n; i++)
		order[i] = i;
	qsort_r(order, r->steps.n, sizeof(*order), by_id,
		(void *)&r->steps);
	for (i = 0; i < r->attempts.n; i++) {
		char **a = r->attempts.v[i];
		size_t lo = 0, hi = r->steps.n;

		if (strcmp(a[A_KIND], "step") != 0 ||
		    strcmp(a[A_STATE], "not-started") == 0)
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int c = strcmp(a[A_STEP], r->steps.v[order[mid]][0]);

			if (c == 0) {
				t->last[order[mid]] = a;
				t->count[order[mid]]++;
				break;
			}
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	free(order);
}

static void
tries_free(struct tries *t)
{
	free(t->last);
	free(t->count);
}

static const char *
span(const char *from, const char *to, char *buf, size_t n)
{
	if (!from || !to)
		return "-";
	return ui_duration(num(to) - num(from), buf, n);
}

/* Plain text, for a ticket. */
static void
print_text(const struct record *r)
{
	char *const *run = r->run.v[0];
	char t[32], d[32];
	struct tries tr;
	size_t i;

	tries_of(r, &tr);
	printf("run %s of job %s: %s", run[R_ID], run[R_JOB], run[R_STATE]);
	if (run[R_EXIT])
		printf(" (exit %s)", run[R_EXIT]);
	printf("\n  file      %s\n", run[R_FILE]);
	printf("  version   sha256 %.12s", run[R_SHA]);
	if (run[R_COMMIT])
		printf(", commit %.12s%s", run[R_COMMIT],
			num(run[R_DIRTY]) ? " with changes not committed" : "");
	printf("\n  by        %s@%s (%s)\n", run[R_USER], run[R_HOST],
		run[R_TRIGGER]);
	printf("  when      %s, took %s\n", clock_utc(num(run[R_STARTED]), t,
		sizeof(t)), span(run[R_STARTED], run[R_ENDED], d, sizeof(d)));
	if (r->closes)
		printf("  window    closes %s\n", clock_utc(r->closes, t,
			sizeof(t)));
	printf("  params    %s\n", visible(run[R_PARAMS]));
	printf("\n  %-24s %-12s %8s %9s  %s\n", "STEP", "STATE", "ATTEMPTS",
		"TOOK", "EXIT");
	for (i = 0; i < r->steps.n; i++) {
		const char *step = r->steps.v[i][0];
		char **a = tr.last[i];

		printf("  %-24s %-12s %8d %9s  %s\n", visible(step),
			r->steps.v[i][1], tr.count[i], a ? span(a[A_STARTED], a[A_ENDED], d,
			sizeof(d)) : "-", a && a[A_EXIT] ? a[A_EXIT] : "-");
	}
	printf("\n%zu events; 'runjob show %s' lists them, 'runjob report %s "
		"--html' makes a page for a reviewer\n", r->events.n, run[R_ID],
		run[R_ID]);
	tries_free(&tr);
}

/* HTML. */

/* s escaped for HTML, its control characters written out; with lines,
 * its newlines kept (for a <pre>). */
static void
esc_text(struct buf *b, const char *s, int lines)
{
	struct buf v = {0};
	const char *p;

	if (!s)
		return;
	for (p = s; lines && *p; ) {
		size_t n = strcspn(p, "\n");

		buf_add_visible(&v, p, n);
		if (p[n])
			buf_addc(&v, '\n');
		p += n + (p[n] == '\n');
	}
	if (!lines)
		buf_add_visible(&v, s, strlen(s));
	for (p = buf_str(&v); *p; p++)
		switch (*p) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default: buf_addc(b, *p);
		}
	buf_free(&v);
}

static void
esc(struct buf *b, const char *s)
{
	esc_text(b, s, 0);
}

static const char *
colour(const char *state)
{
	return strcmp(state, "succeeded") == 0 ? "#2e7d32" :
		strcmp(state, "skipped") == 0 ? "#9e9e9e" :
		strcmp(state, "running") == 0 ? "#1565c0" :
		strcmp(state, "stopped") == 0 || strcmp(state, "unknown") == 0 ?
		"#ef6c00" : "#c62828";
}

static void
fact(struct buf *b, const char *what, const char *value)
{
	buf_adds(b, "<tr><th>");
	esc(b, what);
	buf_adds(b, "</th><td>");
	esc(b, value ? value : "-");
	buf_adds(b, "</td></tr>\n");
}

/* One bar a process made, on a time axis from the run's start to its
 * end, a row for each. */
static void
timeline(struct buf *b, const struct record *r)
{
	char *const *run = r->run.v[0];
	int64_t t0 = num(run[R_STARTED]), t1 = num(run[R_ENDED]), closes;
	size_t i, rows = 0;
	const double w = 900, left = 160, h = 14;
	char d[32];

	for (i = 0; i < r->attempts.n; i++) {
		char **a = r->attempts.v[i];

		if (a[A_ENDED] && num(a[A_ENDED]) > t1)
			t1 = num(a[A_ENDED]);
		rows += strcmp(a[A_STATE], "not-started") != 0;
	}
	if (t1 <= t0)
		t1 = t0 + 1;
	closes = r->closes;
	buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100%%\" "
		"viewBox=\"0 0 %.0f %.0f\" style=\"max-width:%.0fpx\" "
		"role=\"img\" aria-label=\"timeline\">\n", left + w + 90,
		(double)rows * (h + 4) + 40, left + w + 90);
	buf_addf(b, "<text x=\"%.0f\" y=\"12\" class=\"axis\">0</text>"
		"<text x=\"%.0f\" y=\"12\" class=\"axis\" text-anchor=\"end\">%s"
		"</text>\n", left, left + w, ui_duration(t1 - t0, d, sizeof(d)));
	if (closes && closes <= t1) {
		double x = left + w * (double)(closes - t0) / (double)(t1 - t0);

		buf_addf(b, "<line x1=\"%.1f\" y1=\"16\" x2=\"%.1f\" y2=\"%.0f\" "
			"class=\"window\"/><text x=\"%.1f\" y=\"%.0f\" "
			"class=\"axis\">window closes</text>\n", x, x,
			(double)rows * (h + 4) + 24, x + 3,
			(double)rows * (h + 4) + 36);
	}
	for (i = 0, rows = 0; i < r->attempts.n; i++) {
		char **a = r->attempts.v[i];
		int64_t s = num(a[A_STARTED]), e = a[A_ENDED] ? num(a[A_ENDED]) :
			t1;
		double x = left + w * (double)(s - t0) / (double)(t1 - t0);
		double bw = w * (double)(e - s) / (double)(t1 - t0);
		double y = 20 + (double)rows * (h + 4);

		if (strcmp(a[A_STATE], "not-started") == 0)
			continue;
		rows++;
		buf_addf(b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" "
			"class=\"label\">", left - 6, y + h - 3);
		esc(b, a[A_STEP]);
		if (strcmp(a[A_KIND], "step") != 0) {
			buf_adds(b, " (");
			esc(b, a[A_KIND]);
			buf_adds(b, ")");
		}
		buf_addf(b, "</text><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.0f\" fill=\"%s\"><title>", x, y, bw < 1 ? 1 : bw,
			h, colour(a[A_STATE]));
		esc(b, a[A_STEP]);
		buf_addf(b, " %s %s: %s, %s</title></rect>\n", a[A_KIND], a[A_N],
			a[A_STATE], span(a[A_STARTED], a[A_ENDED], d, sizeof(d)));
	}
	buf_adds(b, "</svg>\n<p class=\"axis\"><span style=\"color:#2e7d32\">"
		"&#9632; succeeded</span> <span style=\"color:#c62828\">&#9632; "
		"failed or timed out</span> <span style=\"color:#ef6c00\">"
		"&#9632; stopped or unknown</span> <span style=\"color:#1565c0\">"
		"&#9632; running</span> <span style=\"color:#9e9e9e\">&#9632; "
		"skipped</span></p>\n");
}

/* The last TAIL_LINES lines of s. */
static const char *
tail_of(const char *s)
{
	const char *p;
	int lines = 0;

	if (!s || !*s)
		return s;
	for (p = s + strlen(s) - 1; p > s; p--)
		if (*p == '\n' && p[1] && ++lines == TAIL_LINES)
			return p + 1;
	return s;
}

static void
page(struct buf *b, const struct record *r)
{
	char *const *run = r->run.v[0];
	char t[32], d[32], commit[64];
	struct tries tr;
	size_t i;

	tries_of(r, &tr);
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
		"charset=\"utf-8\"><title>runjob: run ");
	esc(b, run[R_ID]);
	buf_adds(b, " of ");
	esc(b, run[R_JOB]);
	buf_adds(b, "</title>\n<style>\n"
		"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\n"
		"table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
		"th,td{text-align:left;padding:.2em .8em;border-bottom:1px solid "
		"#ddd;vertical-align:top}\n"
		"pre{background:#f6f6f6;padding:.5em;overflow-x:auto;margin:.2em 0}\n"
		".axis{font-size:11px;fill:#555}.label{font-size:11px}\n"
		".window{stroke:#6a1b9a;stroke-width:2;stroke-dasharray:4 3}\n"
		".succeeded{color:#2e7d32}.failed,.timeout,.rollback-failed"
		"{color:#c62828}\n"
		"</style></head><body>\n<h1>Run ");
	esc(b, run[R_ID]);
	buf_adds(b, " of job ");
	esc(b, run[R_JOB]);
	buf_adds(b, ": <span class=\"");
	esc(b, run[R_STATE]);
	buf_adds(b, "\">");
	esc(b, run[R_STATE]);
	buf_adds(b, "</span></h1>\n<table>\n");
	fact(b, "job file", run[R_FILE]);
	fact(b, "job text sha256", run[R_SHA]);
	snprintf(commit, sizeof(commit), "%s%s", run[R_COMMIT] ? run[R_COMMIT] :
		"not in git", num(run[R_DIRTY]) ? " (the file had changes not "
		"committed)" : "");
	fact(b, "git commit", commit);
	fact(b, "by", run[R_USER]);
	fact(b, "on", run[R_HOST]);
	fact(b, "trigger", run[R_TRIGGER]);
	fact(b, "started", clock_utc(num(run[R_STARTED]), t, sizeof(t)));
	fact(b, "took", span(run[R_STARTED], run[R_ENDED], d, sizeof(d)));
	if (r->closes)
		fact(b, "window closes", clock_utc(r->closes, t, sizeof(t)));
	fact(b, "exit status", run[R_EXIT]);
	fact(b, "params (secrets masked)", run[R_PARAMS]);
	buf_adds(b, "</table>\n<h2>Timeline</h2>\n");
	timeline(b, r);
	buf_adds(b, "<h2>Steps</h2>\n<table>\n<tr><th>step</th><th>state</th>"
		"<th>attempts</th><th>took</th><th>exit</th></tr>\n");
	for (i = 0; i < r->steps.n; i++) {
		char **a = tr.last[i];

		buf_adds(b, "<tr><td>");
		esc(b, r->steps.v[i][0]);
		buf_adds(b, "</td><td class=\"");
		esc(b, r->steps.v[i][1]);
		buf_adds(b, "\">");
		esc(b, r->steps.v[i][1]);
		buf_addf(b, "</td><td>%d</td><td>%s</td><td>", tr.count[i], a ?
			span(a[A_STARTED], a[A_ENDED], d, sizeof(d)) : "-");
		esc(b, a && a[A_EXIT] ? a[A_EXIT] : a && a[A_SIGNAL] ?
			a[A_SIGNAL] : "-");
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</table>\n<h2>Output</h2>\n");
	for (i = 0; i < r->attempts.n; i++) {
		char **a = r->attempts.v[i];

		if (!a[A_OUTPUT] || !*a[A_OUTPUT])
			continue;
		buf_adds(b, "<h3>");
		esc(b, a[A_STEP]);
		buf_addf(b, " %s %s: ", a[A_KIND], a[A_N]);
		esc(b, a[A_STATE]);
		buf_adds(b, "</h3>\n<pre>");
		esc_text(b, tail_of(a[A_OUTPUT]), 1);
		buf_adds(b, "</pre>\n");
	}
	buf_adds(b, "<h2>Events</h2>\n<table>\n<tr><th>seq</th><th>at</th>"
		"<th>event</th><th>step</th><th>data</th></tr>\n");
	for (i = 0; i < r->events.n; i++) {
		char **e = r->events.v[i];

		buf_addf(b, "<tr><td>%s</td><td>%s</td><td>", e[0],
			clock_utc(num(e[1]), t, sizeof(t)));
		esc(b, e[2]);
		buf_adds(b, "</td><td>");
		esc(b, e[3] ? e[3] : "");
		buf_adds(b, "</td><td>");
		esc(b, e[4]);
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</table>\n</body></html>\n");
	tries_free(&tr);
}

static int
write_file(const char *path, const struct buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t off = 0;

	if (fd < 0)
		return error("cannot write %s: %s", path, strerror(errno));
	while (off < b->len) {
		ssize_t w = write(fd, b->s + off, b->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return error("cannot write %s: %s", path, strerror(errno));
		}
		off += (size_t)w;
	}
	return close(fd) < 0 ? error("cannot write %s: %s", path,
		strerror(errno)) : 0;
}

static int
cmd_report(int argc, char **argv)
{
	struct journal *jn = NULL;
	struct record r;
	struct opts o;
	char *path;
	int first, code;

	memset(&r, 0, sizeof(r));
	if ((first = parse_opts("report", argc, argv, &o, "html output "
	    "journal")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (first != argc - 1) {
		free_opts(&o);
		return usage_error("report", "give one run, job file or job");
	}
	if (o.output && !o.html) {
		free_opts(&o);
		return usage_error("report", "-o writes the page of --html");
	}
	path = journal_choose(o.journal, access(argv[first], R_OK) == 0 ?
		argv[first] : NULL);
	code = journal_open(&jn, path, JOURNAL_READ) < 0 ? EXIT_FAILED :
		load_record(jn, argv[first], &r);
	free(path);
	if (code == 0 && !o.html) {
		print_text(&r);
	} else if (code == 0) {
		struct buf b = {0};

		page(&b, &r);
		if (o.output)
			code = write_file(o.output, &b) < 0 ? EXIT_FAILED : EXIT_OK;
		else
			fwrite(b.s, 1, b.len, stdout);
		buf_free(&b);
	}
	record_free(&r);
	journal_close(jn);
	free_opts(&o);
	return code;
}

const struct command cmd_report_entry = { "report", cmd_report,
	"report [--html [-o FILE]] [--journal PATH] RUN | JOB.yaml | JOB",
	"the run for a reviewer: a summary, or with --html one self-contained page",
	"--html             print one HTML page: facts, timeline, steps, output, events\n"
	"-o FILE            write the page to FILE\n"
	"--journal PATH     the journal to read\n" };
