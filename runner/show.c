/*
 * show.c - reading the journal: runjob status, history and show.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "cli.h"
#include "exitcode.h"
#include "job.h"
#include "journal.h"
#include "mask.h"
#include "json.h"
#include "show.h"
#include "ui.h"
#include "util.h"
#include "visible.h"
#include "where.h"

static const char *
when(const char *ms, char *buf, size_t n)
{
	return ms ? clock_utc(strtoll(ms, NULL, 10), buf, n) : "-";
}

static const char *
took(const char *start, const char *end, char *buf, size_t n)
{
	if (!start || !end)
		return "-";
	return ui_duration(strtoll(end, NULL, 10) - strtoll(start, NULL, 10),
		buf, n);
}

static const char *
or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* A run recorded running whose runjob is gone (it was killed, or its
 * machine restarted): on this host, no process has its pid. Another
 * host's runs cannot be told apart. */
static int
gone(const char *state, const char *host, const char *pid)
{
	char me[256] = "";

	if (!state || strcmp(state, "running") != 0 || !host || !pid)
		return 0;
	gethostname(me, sizeof(me) - 1);
	return strcmp(me, host) == 0 && kill((pid_t)atol(pid), 0) < 0 &&
		errno == ESRCH;
}

/* A JSON object of a row's columns; numbers stay numbers. */
static void
row_json(struct buf *b, const struct jrow *row, const char *const *numeric,
	struct journal *jn)
{
	struct mask m = {0};
	struct buf masked = {0};
	int i;

	buf_addc(b, '{');
	for (i = 0; i < row->n; i++) {
		const char *const *k;
		int num = 0;

		for (k = numeric; *k; k++)
			if (strcmp(*k, row->names[i]) == 0)
				num = 1;
		if (i)
			buf_addc(b, ',');
		buf_add_json(b, row->names[i]);
		buf_addc(b, ':');
		if (!row->values[i])
			buf_adds(b, "null");
		else if (num || strcmp(row->names[i], "data") == 0 ||
		    strcmp(row->names[i], "params") == 0)
			buf_adds(b, row->values[i]);	/* JSON already */
		else if (strcmp(row->names[i], "text") == 0) {
			const char *id = jrow_get(row, "id"),
			    *file = jrow_get(row, "file");

			mask_text_secrets(&m, row->values[i], file, id && file ?
				run_sources(jn, id, file) : NULL);
			mask_append(&m, &masked, row->values[i]);
			buf_add_json(b, buf_str(&masked));
		} else {
			buf_add_json(b, row->values[i]);
		}
	}
	buf_addc(b, '}');
	buf_free(&masked);
	mask_free(&m);
}

static const char *const numeric[] = { "pid", "started", "ended",
	"exit_code", "signal", "attempt", "seq", "at", "git_dirty", NULL };

/* Which journal a reading command opens: --journal, $RUNJOB_JOURNAL, the
 * one of the job file given, or the one of the current directory. */
static int
open_journal(struct journal **jn, const struct opts *o, const char *jobfile)
{
	char *path = journal_choose(o->journal, jobfile);
	int r = journal_open(jn, path, JOURNAL_READ);

	free(path);
	return r;
}

static int
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A job file given where a job name or run may stand: its name. */
static char *
job_name_of(const char *arg)
{
	struct diags d = {0};
	struct job *job;
	char *name = NULL;

	if (!is_file(arg))
		return NULL;
	job_load(&job, arg, &d);
	if (job->name)
		name = xstrdup(job->name);
	job_free(job);
	diags_free(&d);
	return name;
}

/* history */

struct hist {
	int json, n;
	struct buf out;
	struct journal *jn;
};

static int
history_row(void *arg, const struct jrow *row)
{
	struct hist *h = arg;
	char t[32], d[32], who[160], version[16];
	const char *commit = jrow_get(row, "git_commit");
	const char *dirty = jrow_get(row, "git_dirty");
	const char *code = jrow_get(row, "exit_code");

	h->n++;
	if (h->json) {
		row_json(&h->out, row, numeric, h->jn);
		buf_addc(&h->out, '\n');
		return 0;
	}
	snprintf(who, sizeof(who), "%s@%s", or_dash(jrow_get(row, "user")),
		or_dash(jrow_get(row, "host")));
	/* The commit, marked + when the text that ran was not committed. */
	snprintf(version, sizeof(version), "%.12s%s", commit ? commit :
		jrow_get(row, "sha256"), dirty && strcmp(dirty, "1") == 0 ?
		"+" : "");
	buf_addf(&h->out, "%-23s  %-16s  %-13s  %-16s  %s  %8s  %s",
		jrow_get(row, "id"), jrow_get(row, "job"), version, who,
		when(jrow_get(row, "started"), t, sizeof(t)),
		took(jrow_get(row, "started"), jrow_get(row, "ended"), d,
		sizeof(d)), jrow_get(row, "state"));
	if (gone(jrow_get(row, "state"), jrow_get(row, "host"),
	    jrow_get(row, "pid")))
		buf_adds(&h->out, " (its runjob is gone: rerun to resume)");
	if (code && strcmp(code, "0") != 0)
		buf_addf(&h->out, " (exit %s)", code);
	buf_addc(&h->out, '\n');
	return 0;
}

static int
cmd_history(int argc, char **argv)
{
	struct journal *jn = NULL;
	struct hist h = {0};
	struct opts o;
	char *name = NULL;
	const char *job = NULL;
	int first, code = EXIT_FAILED;

	if ((first = parse_opts("history", argc, argv, &o,
	    "limit json journal")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (argc - first > 1) {
		free_opts(&o);
		return usage_error("history", "history takes at most one job");
	}
	if (first < argc) {
		job = argv[first];
		if ((name = job_name_of(job)))
			job = name;
	}
	h.json = o.json;
	if (open_journal(&jn, &o, name ? argv[first] : NULL) < 0)
		goto out;
	h.jn = jn;
	if (!o.json)
		buf_addf(&h.out, "%-23s  %-16s  %-13s  %-16s  %-20s  %8s  %s\n",
			"RUN", "JOB", "VERSION", "WHO", "STARTED", "TOOK",
			"OUTCOME");
	if (journal_runs(jn, job, o.limit ? o.limit : -1, history_row, &h) < 0)
		goto out;
	if (!h.n && !o.json)
		buf_addf(&h.out, "no runs%s%s in %s\n", job ? " of " : "",
			job ? job : "", journal_path(jn));
	fputs(buf_str(&h.out), stdout);
	code = EXIT_OK;
out:
	buf_free(&h.out);
	free(name);
	journal_close(jn);
	free_opts(&o);
	return code;
}

const struct command cmd_history_entry = { "history", cmd_history,
	"history [--json] [--limit N] [--journal PATH] [JOB.yaml | JOB]",
	"past runs: id, job, version, who, when, how long, outcome",
	"--limit N          at most N runs, newest first\n"
	"--json             print one JSON object a run\n"
	"--journal PATH     the journal to read\n" };

/* A run's rows, copied out of the journal for printing. */

struct table {
	char ***rows;		/* rows[i][c] for the columns below */
	size_t n, cap;
	const char *const *cols;
	struct buf json;	/* the rows as JSON objects, comma-separated */
	struct journal *jn;	/* where the rows come from */
};

static int
collect(void *arg, const struct jrow *row)
{
	struct table *t = arg;
	size_t c, ncols = 0;
	char **r;

	while (t->cols[ncols])
		ncols++;
	r = xcalloc(ncols, sizeof(*r));
	for (c = 0; c < ncols; c++) {
		const char *v = jrow_get(row, t->cols[c]);

		r[c] = v ? xstrdup(v) : NULL;
	}
	xgrow(&t->rows, &t->cap, t->n + 1, sizeof(*t->rows));
	t->rows[t->n++] = r;
	if (t->json.len)
		buf_addc(&t->json, ',');
	row_json(&t->json, row, numeric, t->jn);
	return 0;
}

static void
table_free(struct table *t)
{
	size_t i, c;

	for (i = 0; i < t->n; i++) {
		for (c = 0; t->cols[c]; c++)
			free(t->rows[i][c]);
		free(t->rows[i]);
	}
	free(t->rows);
	buf_free(&t->json);
}

static const char *const run_cols[] = { "id", "job", "file", "sha256",
	"git_commit", "user", "host", "pid", "trigger", "started", "ended",
	"state", "exit_code", "params", "git_dirty", NULL };
static const char *const step_cols[] = { "step_id", "state", NULL };
static const char *const attempt_cols[] = { "id", "step_id", "kind",
	"attempt", "pid", "started", "ended", "state", "exit_code", "signal",
	"output", "log", NULL };
static const char *const output_cols[] = { "step_id", "name", "value", NULL };
static const char *const event_cols[] = { "seq", "at", "kind", "step_id",
	"data", "prev", "hash", NULL };

enum { R_ID, R_JOB, R_FILE, R_SHA, R_COMMIT, R_USER, R_HOST, R_PID,
	R_TRIGGER, R_STARTED, R_ENDED, R_STATE, R_EXIT, R_PARAMS, R_DIRTY };
enum { A_ID, A_STEP, A_KIND, A_ATTEMPT, A_PID, A_STARTED, A_ENDED, A_STATE,
	A_EXIT, A_SIGNAL, A_OUTPUT, A_LOG };

struct runview {
	struct table run, steps, attempts, outputs, events;
};

/* Find the run: an id, a job file (its job's latest run), a job name,
 * or none (the latest run of all). */
static int
load_run(struct journal *jn, const char *arg, struct runview *v,
	int with_events)
{
	char *name = arg ? job_name_of(arg) : NULL;
	const char *id;
	int found;

	memset(v, 0, sizeof(*v));
	v->run.cols = run_cols;
	v->steps.cols = step_cols;
	v->attempts.cols = attempt_cols;
	v->outputs.cols = output_cols;
	v->events.cols = event_cols;
	v->run.jn = jn;
	if (name)
		found = journal_run(jn, NULL, name, collect, &v->run);
	else if (!arg)
		found = journal_run(jn, NULL, NULL, collect, &v->run);
	else if ((found = journal_run(jn, arg, NULL, collect, &v->run)) == 0)
		found = journal_run(jn, NULL, arg, collect, &v->run);
	free(name);
	if (found <= 0) {
		if (found == 0)
			error("no run %s in the journal %s; 'runjob history' "
				"lists the runs", arg ? arg : "at all",
				journal_path(jn));
		return -1;
	}
	id = v->run.rows[0][R_ID];
	if (journal_steps(jn, id, collect, &v->steps) < 0 ||
	    journal_attempts(jn, id, collect, &v->attempts) < 0 ||
	    journal_outputs(jn, id, collect, &v->outputs) < 0 ||
	    (with_events && journal_events(jn, id, collect, &v->events) < 0))
		return -1;
	return 0;
}

static void
runview_free(struct runview *v)
{
	table_free(&v->run);
	table_free(&v->steps);
	table_free(&v->attempts);
	table_free(&v->outputs);
	table_free(&v->events);
}

/* The last time the run's maintenance window held it back, if it did:
 * why, and when a step could start next. */
static void
print_window(const struct runview *v)
{
	const char *data = NULL, *kind = NULL, *p;
	char reason[128] = "", t[32];
	long long opens = 0;
	size_t i;

	for (i = 0; i < v->events.n; i++) {
		const char *k = v->events.rows[i][2];

		if (k && (strcmp(k, "window-refused") == 0 ||
		    strcmp(k, "window-closed") == 0 ||
		    strcmp(k, "step-deferred") == 0)) {
			kind = k;
			data = v->events.rows[i][4];
		}
	}
	if (!kind || !data)
		return;
	if ((p = strstr(data, "\"reason\":\"")))
		snprintf(reason, sizeof(reason), "%.*s",
			(int)strcspn(p + 10, "\""), p + 10);
	if ((p = strstr(data, "\"opens\":")))
		opens = strtoll(p + 8, NULL, 10);
	if (strcmp(kind, "step-deferred") == 0)
		printf("  window   a step could not end before the window "
			"closed\n");
	else
		printf("  window   %s%s%s\n", visible(reason), opens ?
			"; a step may start next at " : "", opens ?
			clock_utc(opens, t, sizeof(t)) : "");
}

static void
print_header(const struct runview *v)
{
	char *const *r = v->run.rows[0];
	char t[32], d[32];

	printf("run %s of job %s: %s", r[R_ID], r[R_JOB], r[R_STATE]);
	if (r[R_EXIT])
		printf(" (exit %s)", r[R_EXIT]);
	if (gone(r[R_STATE], r[R_HOST], r[R_PID]))
		printf(", but its runjob (pid %s) is gone: run the job again, or "
			"runjob resume %s, to take it up", r[R_PID], r[R_ID]);
	if (strcmp(r[R_STATE], "rollback-failed") == 0)
		printf(": needs a person. 'runjob rollback %s' goes on undoing; "
			"'runjob resolve %s STEP --rolled-back' records a step "
			"undone by hand", r[R_ID], r[R_ID]);
	printf("\n  file     %s (sha256 %.12s%s%.12s%s)\n", r[R_FILE], r[R_SHA],
		r[R_COMMIT] ? ", commit " : "", r[R_COMMIT] ? r[R_COMMIT] : "",
		r[R_DIRTY] && strcmp(r[R_DIRTY], "1") == 0 ?
		", with changes not committed" : "");
	printf("  by       %s@%s, pid %s, %s\n", r[R_USER], r[R_HOST], r[R_PID],
		r[R_TRIGGER]);
	printf("  started  %s, ", when(r[R_STARTED], t, sizeof(t)));
	if (r[R_ENDED])
		printf("took %s\n", took(r[R_STARTED], r[R_ENDED], d,
			sizeof(d)));
	else if (gone(r[R_STATE], r[R_HOST], r[R_PID]))
		printf("its runjob is gone\n");
	else if (strcmp(r[R_STATE], "running") == 0 && r[R_STARTED])
		printf("running for %s\n", ui_duration(now_ms() -
			strtoll(r[R_STARTED], NULL, 10), d, sizeof(d)));
	else
		printf("not ended\n");
	printf("  params   %s\n", r[R_PARAMS]);
	if (strcmp(r[R_STATE], "paused") == 0 ||
	    strcmp(r[R_STATE], "refused") == 0)
		print_window(v);
}

/* The last n lines of s, each indented. */
static void
print_tail(const char *s, int n)
{
	const char *p;
	int lines = 0;

	if (!s || !*s)
		return;
	for (p = s + strlen(s) - 1; p > s; p--)
		if (*p == '\n' && p[1] && ++lines == n)
			break;
	if (*p == '\n')
		p++;
	for (; *p; ) {
		size_t len = strcspn(p, "\n");

		struct buf line = {0};

		buf_add_visible(&line, p, len);
		printf("      | %s\n", buf_str(&line));
		buf_free(&line);
		p += len + (p[len] == '\n');
	}
}

struct gate_facts {
	const char *user, *host, *from, *reason, *message, *command, *how;
	char *own[7];
};

static void
gate_fact(void *arg, const char *name, const char *value)
{
	static const char *const names[] = { "user", "host", "from",
		"reason", "message", "command", "how" };
	struct gate_facts *g = arg;
	const char **slot[] = { &g->user, &g->host, &g->from, &g->reason,
		&g->message, &g->command, &g->how };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0) {
			free(g->own[i]);
			*slot[i] = g->own[i] = xstrdup(value);
		}
}

/* The run's gates: what each waits for, and the answers given, with
 * who gave them, from where and why. */
static void
print_gates(const struct runview *v, const char *run)
{
	size_t i, k, n = 0;
	char t[32];

	for (i = 0; i < v->events.n; i++) {
		char **e = v->events.rows[i];
		const char *kind = e[2], *step = e[3];
		struct gate_facts g;
		int waiting = 0;

		if (strncmp(kind, "gate-", 5) != 0 || !step)
			continue;
		if (strcmp(kind, "gate-waiting") == 0) {
			/* Only the newest wait of a step still waiting. */
			for (k = i + 1; k < v->events.n; k++)
				if (v->events.rows[k][3] &&
				    strcmp(v->events.rows[k][3], step) == 0 &&
				    strncmp(v->events.rows[k][2], "gate-", 5) == 0)
					break;
			for (k = k < v->events.n ? v->steps.n : 0;
			    k < v->steps.n; k++)
				if (strcmp(v->steps.rows[k][0], step) == 0 &&
				    strcmp(v->steps.rows[k][1], "waiting") == 0)
					waiting = 1;
			if (!waiting)
				continue;
		}
		memset(&g, 0, sizeof(g));
		json_each_string(e[4], gate_fact, &g);
		printf("%s", n++ ? "" : "\n");
		if (waiting)
			printf("  waiting for approval of %s since %s%s%s%s: "
				"'runjob approve %s %s' (or --reject)\n", step,
				when(e[1], t, sizeof(t)), g.message && *g.message ?
				" (" : "", g.message && *g.message ?
				visible(g.message) : "", g.message && *g.message ?
				")" : "", run, step);
		else if (strcmp(kind, "gate-timeout") == 0 ||
		    strcmp(kind, "gate-withdrawn") == 0)
			printf("  %s: %s at %s%s%s\n", step, kind + 5,
				when(e[1], t, sizeof(t)), g.reason ? ", " : "",
				g.reason ? visible(g.reason) : "");
		else if (strcmp(kind, "gate-waiting") != 0)
			printf("  %s: %s%s by %s@%s (%s) at %s%s%s\n", step,
				kind + 5, g.how ? " in advance" : "", g.user ?
				g.user : "?", g.host ? g.host : "?", g.from ?
				g.from : "?", when(e[1], t, sizeof(t)), g.reason ?
				": " : "", g.reason ? visible(g.reason) : "");
		for (k = 0; k < ARRAY_SIZE(g.own); k++)
			free(g.own[k]);
	}
}

/* What the runjob of a running run last said of its progress (eta.h),
 * in the run's log directory: the text, its JSON members and when it
 * was so; NULL when the run is not running or it said nothing yet. The
 * caller frees it. */
static char *
progress_of(struct journal *jn, const struct runview *v, char **json,
	int64_t *at)
{
	char *const *r = v->run.rows[0];
	char *dir, *path, *text = NULL, buf[4096], *nl, *at_is;
	ssize_t n = -1;
	int fd;

	*json = NULL;
	if (strcmp(r[R_STATE], "running") != 0 ||
	    gone(r[R_STATE], r[R_HOST], r[R_PID]))
		return NULL;
	dir = run_log_dir(journal_path(jn), r[R_ID]);
	path = xasprintf("%s/progress", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0 && (buf[n] = '\0', nl = strchr(buf, '\n')) &&
	    (at_is = strstr(nl, ",\"at\":"))) {
		text = xstrndup(buf, (size_t)(nl - buf));
		*json = xstrndup(nl + 1, strcspn(nl + 1, "\n"));
		*at = strtoll(at_is + 6, NULL, 10);
	}
	free(path);
	free(dir);
	return text;
}

static int
cmd_status(int argc, char **argv)
{
	struct journal *jn = NULL;
	struct runview v;
	struct opts o;
	int first, code = EXIT_FAILED;
	size_t i, k, wstep = 24, wstate = 10;
	char *progress = NULL, *pjson = NULL, t[32];
	int64_t pat = 0;

	if ((first = parse_opts("status", argc, argv, &o, "json journal")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (argc - first > 1) {
		free_opts(&o);
		return usage_error("status", "status takes at most one run or "
			"job");
	}
	memset(&v, 0, sizeof(v));
	if (open_journal(&jn, &o, first < argc && is_file(argv[first]) ?
	    argv[first] : NULL) < 0 ||
	    load_run(jn, first < argc ? argv[first] : NULL, &v, 1) < 0)
		goto out;
	progress = progress_of(jn, &v, &pjson, &pat);
	if (o.json) {
		printf("{\"run\":%s,\"steps\":[%s],\"attempts\":[%s],"
			"\"outputs\":[%s]", buf_str(&v.run.json),
			buf_str(&v.steps.json), buf_str(&v.attempts.json),
			buf_str(&v.outputs.json));
		if (pjson)
			printf(",\"progress\":{%s}", pjson);
		printf("}\n");
		code = EXIT_OK;
		goto out;
	}
	print_header(&v);
	if (progress)
		printf("  progress %s (as of %s)\n", visible(progress),
			clock_utc(pat, t, sizeof(t)) + 11);
	/* Columns as wide as what they hold: rolled-back, rollback-failed
	 * and long step ids are not cut and do not push the rest along. */
	for (i = 0; i < v.steps.n; i++) {
		if (strlen(v.steps.rows[i][0]) > wstep)
			wstep = strlen(v.steps.rows[i][0]);
		if (strlen(v.steps.rows[i][1]) > wstate)
			wstate = strlen(v.steps.rows[i][1]);
	}
	printf("\n  %-*s %-*s %8s %9s  %s\n", (int)wstep, "STEP", (int)wstate,
		"STATE", "ATTEMPTS", "TOOK", "EXIT");
	for (i = 0; i < v.steps.n; i++) {
		const char *step = v.steps.rows[i][0];
		char **last = NULL, d[32];
		int tries = 0;

		for (k = 0; k < v.attempts.n; k++) {
			char **a = v.attempts.rows[k];

			/* A start recorded ahead and never made is no try. */
			if (strcmp(a[A_STEP], step) != 0 ||
			    strcmp(a[A_STATE], "not-started") == 0)
				continue;
			/* The if: probe stands for the step until it runs. */
			if (strcmp(a[A_KIND], "step") == 0) {
				tries++;
				last = a;
			} else if (strcmp(a[A_KIND], "if") == 0 && !tries) {
				last = a;
			}
		}
		printf("  %-*s %-*s %8d %9s  %s", (int)wstep, step,
			(int)wstate, v.steps.rows[i][1],
			tries, last ? took(last[A_STARTED], last[A_ENDED], d,
			sizeof(d)) : "-", last && last[A_EXIT] ? last[A_EXIT] :
			last && last[A_SIGNAL] ? "signal" : "-");
		if (last && last[A_SIGNAL])
			printf(" %s", last[A_SIGNAL]);
		printf("\n");
		if (last && strcmp(v.steps.rows[i][1], "succeeded") != 0 &&
		    strcmp(v.steps.rows[i][1], "running") != 0) {
			print_tail(last[A_OUTPUT], 5);
			if (last[A_LOG])
				printf("      log: %s\n", last[A_LOG]);
		}
	}
	print_gates(&v, v.run.rows[0][R_ID]);
	for (i = 0; i < v.outputs.n; i++)
		printf("%s  output %s.%s = %s\n", i ? "" : "\n",
			v.outputs.rows[i][0], v.outputs.rows[i][1],
			visible(v.outputs.rows[i][2]));
	code = EXIT_OK;
out:
	runview_free(&v);
	journal_close(jn);
	free_opts(&o);
	free(progress);
	free(pjson);
	return code;
}

const struct command cmd_status_entry = { "status", cmd_status,
	"status [--json] [--journal PATH] [RUN | JOB.yaml | JOB]",
	"the latest run (or that one, or that job's latest), step by step",
	"--json             print the run as one JSON object\n"
	"--journal PATH     the journal to read\n" };

static void
csv_field(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static int
cmd_show(int argc, char **argv)
{
	struct journal *jn = NULL;
	struct runview v;
	struct opts o;
	int first, code = EXIT_FAILED;
	size_t i;

	if ((first = parse_opts("show", argc, argv, &o, "json csv journal")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (argc - first != 1) {
		free_opts(&o);
		return usage_error("show", "show takes one run or job");
	}
	if (o.json && o.csv) {
		free_opts(&o);
		return usage_error("show", "--json and --csv exclude each other");
	}
	memset(&v, 0, sizeof(v));
	if (open_journal(&jn, &o, is_file(argv[first]) ? argv[first] :
	    NULL) < 0 || load_run(jn, argv[first], &v, 1) < 0)
		goto out;
	code = EXIT_OK;
	if (o.json) {
		printf("{\"run\":%s,\"steps\":[%s],\"attempts\":[%s],"
			"\"outputs\":[%s],\"events\":[%s]}\n",
			buf_str(&v.run.json), buf_str(&v.steps.json),
			buf_str(&v.attempts.json), buf_str(&v.outputs.json),
			buf_str(&v.events.json));
		goto out;
	}
	if (o.csv) {
		printf("seq,at,kind,step,data,hash\n");
		for (i = 0; i < v.events.n; i++) {
			char **e = v.events.rows[i];
			char t[32];

			printf("%s,%s,", e[0], when(e[1], t, sizeof(t)));
			csv_field(e[2]);
			putchar(',');
			csv_field(e[3]);
			putchar(',');
			csv_field(e[4]);
			printf(",%s\n", e[6]);
		}
		goto out;
	}
	print_header(&v);
	printf("\n");
	for (i = 0; i < v.events.n; i++) {
		char **e = v.events.rows[i];
		char t[32];

		printf("  %5s  %s  %-14s %-20s %s\n", e[0], when(e[1], t,
			sizeof(t)), e[2], or_dash(e[3]), e[4]);
	}
	for (i = 0; i < v.attempts.n; i++) {
		char **a = v.attempts.rows[i];
		char d[32];

		if (strcmp(a[A_STATE], "not-started") == 0) {
			printf("\n  %s %s attempt %s: not started, its process "
				"was never made\n", a[A_STEP], a[A_KIND],
				a[A_ATTEMPT]);
			continue;
		}
		printf("\n  %s %s attempt %s: %s", a[A_STEP], a[A_KIND],
			a[A_ATTEMPT], a[A_STATE]);
		if (a[A_EXIT])
			printf(", exit %s", a[A_EXIT]);
		if (a[A_SIGNAL])
			printf(", signal %s", a[A_SIGNAL]);
		printf(", pid %s, took %s\n", or_dash(a[A_PID]),
			took(a[A_STARTED], a[A_ENDED], d, sizeof(d)));
		print_tail(a[A_OUTPUT], 20);
		if (a[A_LOG])
			printf("      log: %s\n", a[A_LOG]);
	}
out:
	runview_free(&v);
	journal_close(jn);
	free_opts(&o);
	return code;
}

const struct command cmd_show_entry = { "show", cmd_show,
	"show [--json | --csv] [--journal PATH] RUN | JOB.yaml | JOB",
	"every event of a run: the audit record",
	"--json             print the run, its attempts and events as JSON\n"
	"--csv              print the events as CSV\n"
	"--journal PATH     the journal to read\n" };
