/*
 * run.c - `runjob run`: a job file through check and plan, into the
 * journal and the scheduler.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "cli.h"
#include "git.h"
#include "exitcode.h"
#include "gate.h"
#include "notify.h"
#include "journal.h"
#include "key.h"
#include "laststate.h"
#include "json.h"
#include "lock.h"
#include "resume.h"
#include "run.h"
#include "scheduler.h"
#include "sha256.h"
#include "ui.h"
#include "util.h"
#include "window.h"
#include "where.h"

/* A run id that sorts by time: 20261121-023000-7f3a9c. */
static void
new_run_id(char *id, size_t n)
{
	time_t t = (time_t)(now_ms() / 1000);
	unsigned char r[3] = {0};
	struct tm tm;
	char stamp[32];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r[0] = (unsigned char)getpid();
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(id, n, "%s-%02x%02x%02x", stamp, r[0], r[1], r[2]);
}

/* A run read back from the journal, as far as taking it up needs. */
struct past {
	char *id, *job, *file, *state, *sha256, *params, *text;
};

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int
past_row(void *arg, const struct jrow *row)
{
	struct past *p = arg;

	p->id = dup_or_null(jrow_get(row, "id"));
	p->job = dup_or_null(jrow_get(row, "job"));
	p->file = dup_or_null(jrow_get(row, "file"));
	p->state = dup_or_null(jrow_get(row, "state"));
	p->sha256 = dup_or_null(jrow_get(row, "sha256"));
	p->params = dup_or_null(jrow_get(row, "params"));
	p->text = dup_or_null(jrow_get(row, "text"));
	return 1;
}

static void
past_free(struct past *p)
{
	free(p->id);
	free(p->job);
	free(p->file);
	free(p->state);
	free(p->sha256);
	free(p->params);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/* States a run can be taken up again from. */
static int
unfinished(const char *state)
{
	static const char *const states[] = { "running", "failed",
		"interrupted", "unknown", "rolling-back", "paused", NULL };
	size_t i;

	for (i = 0; states[i]; i++)
		if (strcmp(state, states[i]) == 0)
			return 1;
	return 0;
}

/* The journal stayed busy past the wait before anything was recorded:
 * what (a run, a resolve) did not start. Say who else is using the
 * journal, as the job locks beside it tell. Returns EXIT_LOCKED. */
static int
busy_not_started(const char *jpath, const char *what)
{
	struct buf who = {0};

	if (joblock_holders(jpath, &who))
		error("%s not started; runjobs using the journal %s now: %s. "
			"Try again once it is free", what, jpath, buf_str(&who));
	else
		error("%s not started; no runjob holds a job lock beside the "
			"journal %s, so another program has it open for writing "
			"(an sqlite3 shell, a backup). Try again once it is free",
			what, jpath);
	buf_free(&who);
	return EXIT_LOCKED;
}

/* What the run p, whose rollback stopped, still has to undo: its steps
 * that succeeded and have a rollback action (by the job text the run
 * ran), not rolled back yet. A step whose instance id the text does not
 * name counts too: better listed than forgotten. */
struct undo {
	const struct job *job;
	char **v;		/* step ids: rollbacks that failed, then the rest */
	size_t n, nfailed;
	int run_failed;		/* a step of the run failed */
	int live;		/* steps with a rollback action still running
				 * or of unknown outcome: they may succeed */
};

static int
has_rollback(const struct job *job, const char *id)
{
	size_t len = strcspn(id, "["), i;

	for (i = 0; job && i < job->nsteps; i++)
		if (strlen(job->steps[i].id) == len &&
		    strncmp(job->steps[i].id, id, len) == 0)
			return job->steps[i].rollback.kind != ACT_NONE;
	return 1;
}

static int
undo_row(void *arg, const struct jrow *row)
{
	struct undo *u = arg;
	const char *id = jrow_get(row, "step_id");
	const char *state = jrow_get(row, "state");
	int failed = strcmp(state, "rollback-failed") == 0;
	size_t at;

	if (strcmp(state, "failed") == 0)
		u->run_failed = 1;
	if ((strcmp(state, "running") == 0 || strcmp(state, "unknown") == 0) &&
	    has_rollback(u->job, id))
		u->live++;
	if (!failed && strcmp(state, "succeeded") != 0 &&
	    strcmp(state, "rolling-back") != 0)
		return 0;
	if (!has_rollback(u->job, id))
		return 0;
	/* Failed rollbacks first; the rest newest (latest in the plan)
	 * first, as a rollback takes them. */
	at = failed ? u->nfailed++ : u->nfailed;
	u->v = xreallocarray(u->v, u->n + 1, sizeof(*u->v));
	memmove(u->v + at + 1, u->v + at, (u->n - at) * sizeof(*u->v));
	u->v[at] = xstrdup(id);
	u->n++;
	return 0;
}

static void
undo_free(struct undo *u)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		free(u->v[i]);
	free(u->v);
	memset(u, 0, sizeof(*u));
}

/* Fill u from the journal. Returns 0 or -1. */
static int
undo_load(struct undo *u, struct journal *jn, const char *run,
	const char *file, const char *text)
{
	struct diags d = {0};
	struct job *job = NULL;
	int r;

	memset(u, 0, sizeof(*u));
	job_parse_with(&job, file, xstrdup(text), strlen(text),
		run_sources(jn, run, file), &d);
	u->job = job;
	r = journal_steps(jn, run, undo_row, u);
	u->job = NULL;
	job_free(job);
	diags_free(&d);
	return r;
}

/* "three (its rollback failed), two, one" */
static void
undo_list(const struct undo *u, struct buf *out)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		buf_addf(out, "%s%s%s", i ? ", " : "", u->v[i],
			i < u->nfailed ? " (its rollback failed)" : "");
	if (!u->n)
		buf_adds(out, "nothing");
}

/* How to settle a run whose rollback stopped. */
static void
undo_advice(FILE *f, const struct undo *u, const char *run)
{
	struct buf list = {0};

	undo_list(u, &list);
	fprintf(f, "Still to undo: %s.\n"
		"Once the cause is fixed, 'runjob rollback %s' goes on undoing;\n"
		"for a step undone by hand, record it with\n"
		"  runjob resolve %s STEP --rolled-back\n", buf_str(&list), run,
		run);
	buf_free(&list);
}

/* A run that failed to roll back needs a person before its job runs
 * again: nothing is started until it is settled. Returns EXIT_ROLLBACK. */
static int
refuse_rollback_failed(struct journal *jn, const struct past *p,
	const char *cmd)
{
	struct undo u;

	if (undo_load(&u, jn, p->id, p->file, p->text) < 0)
		return EXIT_FAILED;
	error("run %s of job %s failed to roll back: it needs a person, and "
		"runjob %s starts nothing until it is settled", p->id, p->job,
		cmd);
	undo_advice(stderr, &u, p->id);
	if (strcmp(cmd, "run") == 0)
		fprintf(stderr, "'runjob run --new' starts a new run all the "
			"same.\n");
	undo_free(&u);
	return EXIT_ROLLBACK;
}

/* runjob rollback of a run that has nothing to undo: no step of it that
 * succeeded has a rollback action (none has one, or --only ran others).
 * Marking it rolled back would close it for nothing, and it could not be
 * resumed: say so and leave it as it is. Returns 1 when that was said,
 * 0 when there is something to undo, -1 when the journal failed. */
static int
nothing_to_undo(struct journal *jn, const struct past *p)
{
	struct undo u;
	int none;

	if (strcmp(p->state, "rolling-back") == 0)
		return 0;	/* its rollback goes on, and ends it */
	if (undo_load(&u, jn, p->id, p->file, p->text) < 0)
		return -1;
	none = u.n == 0 && u.live == 0;
	undo_free(&u);
	if (!none)
		return 0;
	printf("run %s of job %s: no step of it that succeeded has a rollback "
		"action: nothing to undo\n", p->id, p->job);
	if (unfinished(p->state))
		printf("it stays %s: 'runjob resume %s' takes it up\n",
			p->state, p->id);
	return 1;
}

/* Everything a run needs once it is chosen. */
struct exec {
	struct loaded *l;
	struct opts *o;
	struct journal *jn;
	const char *jpath;
	const char *file;	/* the job file, absolute */
	const char *run_id;
	struct joblock *lock;	/* the job's lock, held */
	struct git_facts git;	/* the version of the job file that runs */
	int resume;		/* take up run_id from the journal */
	int rollback_only;
	int on_demand;		/* runjob rollback */
};

static const char *
me(char *buf, size_t n)
{
	struct passwd *pw = getpwuid(geteuid());

	snprintf(buf, n, "%s", pw ? pw->pw_name : "?");
	return buf;
}

/* The run's runjob died while steps ran: say so first, on standard
 * error, where what is done about them (waited for, stopped) and what
 * is asked of a person (exit 7) follow. */
static void
say_crashed(struct ui *ui, const struct prior *pr, const struct plan *plan,
	const char *run)
{
	struct buf ids = {0};
	size_t i, n = 0;

	for (i = 0; i < pr->n; i++)
		if (pr->v[i].orphan)
			buf_addf(&ids, "%s%s", n++ ? ", " : "", plan->v[i].id);
	if (n)
		ui_warn(ui, now_ms(), "run %s did not end: the runjob running it "
			"died while %s ran", run, buf_str(&ids));
	buf_free(&ids);
}

/* Apply on_unknown to the steps whose outcome is unknown. Returns how
 * many need a person (ask). */
static size_t
settle_unknown(struct exec *x, struct prior *pr)
{
	const struct plan *plan = &x->l->plan;
	size_t i, asked = 0;

	for (i = 0; i < pr->n; i++) {
		struct prior_step *ps = &pr->v[i];
		const struct step *st = &plan->job->steps[plan->v[i].step];
		enum on_unknown how = st->on_unknown;
		const char *state;

		if (!ps->state || strcmp(ps->state, "unknown") != 0)
			continue;
		if (how == ON_UNKNOWN_DEFAULT)
			how = st->action.kind == ACT_RUN ? ON_UNKNOWN_ASK :
				ON_UNKNOWN_RERUN;
		if (how == ON_UNKNOWN_ASK) {
			if (!asked++)
				fprintf(stderr, "runjob: the outcome of these steps "
					"of run %s is unknown: runjob stopped while "
					"they ran. Find out what they did, then "
					"settle each:\n", x->run_id);
			fprintf(stderr, "  runjob resolve %s %s --ok|--failed|"
				"--rerun\n", x->run_id, plan->v[i].id);
			continue;
		}
		state = how == ON_UNKNOWN_RERUN ? "pending" : "failed";
		if (journal_begin(x->jn) < 0 ||
		    journal_set_step(x->jn, x->run_id, plan->v[i].id, state) < 0 ||
		    journal_event(x->jn, x->run_id, now_ms(), "unknown-settled",
		    plan->v[i].id, how == ON_UNKNOWN_RERUN ?
		    "{\"on_unknown\":\"rerun\"}" : "{\"on_unknown\":\"fail\"}") < 0 ||
		    journal_commit(x->jn) < 0) {
			journal_abort(x->jn);
			continue;
		}
		free(ps->state);
		ps->state = xstrdup(how == ON_UNKNOWN_RERUN ? "pending" :
			"failed-unknown");
	}
	return asked;
}

/* What started the run: runjob schedule says so in RUNJOB_TRIGGER;
 * anything else is a person. */
static const char *
trigger(void)
{
	const char *t = getenv("RUNJOB_TRIGGER");

	return t && strcmp(t, "schedule") == 0 ? "schedule" : "manual";
}

/* Add the run's row: who, where, which job text at which git version,
 * with what params. In the caller's transaction. */
static int
add_run(struct exec *x, const char *host, int64_t started)
{
	const struct job *job = x->l->job;
	char sha[65], who[64], *params = loaded_params_json(x->l);
	struct jrun jr;
	int r;

	sha256_hex(job->text, job->len, sha);
	memset(&jr, 0, sizeof(jr));
	if (x->git.in_git) {
		jr.git_commit = x->git.commit[0] ? x->git.commit : NULL;
		jr.git_blob = x->git.blob;
		jr.git_dirty = x->git.dirty;
	}
	jr.id = x->run_id;
	jr.job = job->name;
	jr.file = x->file;
	jr.text = job->text;
	jr.sha256 = sha;
	jr.params = params;
	jr.user = me(who, sizeof(who));
	jr.host = host;
	jr.trigger = trigger();
	jr.pid = (long)getpid();
	jr.started = started;
	r = journal_add_run(x->jn, &jr);
	if (r == 0)
		r = loaded_files_record(x->l, x->jn, x->run_id);
	free(params);
	return r;
}

static void
record_notified(void *arg, const char *data)
{
	struct exec *x = arg;

	if (journal_begin(x->jn) < 0 || journal_event(x->jn, x->run_id,
	    now_ms(), "notified", NULL, data) < 0 ||
	    journal_commit(x->jn) < 0) {
		journal_abort(x->jn);
		warn("the journal does not record how a notify: hook ended");
	}
}

/* Run the job's notify: hooks for event and wait for them (each until
 * its timeout at most); how each ended is journaled, and nothing of it
 * changes the run's outcome. */
static void
notify_run(struct exec *x, unsigned event, const char *outcome,
	const char *fmt, ...)
{
	struct hook_proc *v = NULL;
	size_t n = 0, cap = 0;
	struct notice nt;
	char *dir = dir_of(x->file), *summary;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&summary, fmt, ap) < 0)
		fatal("out of memory");
	va_end(ap);
	memset(&nt, 0, sizeof(nt));
	nt.plan = &x->l->plan;
	nt.run = x->run_id;
	nt.outcome = outcome;
	nt.summary = summary;
	nt.dir = dir;
	if (notify_start(&nt, event, &v, &n, &cap))
		notify_finish(x->l->job, v, &n, &x->l->mask, record_notified, x);
	free(v);
	free(summary);
	free(dir);
}

/* The hooks of the run's end: its outcome, or a person needed. */
static void
notify_end(struct exec *x, const char *outcome, int code, int64_t took)
{
	const char *job = x->l->job->name;
	char d[32];

	if (code == EXIT_ROLLBACK || code == EXIT_UNKNOWN)
		notify_run(x, NOTIFY_NEEDS_ATTENTION, outcome, "job %s: run %s "
			"needs a person (%s, exit %d): see 'runjob status %s'", job,
			x->run_id, outcome, code, x->run_id);
	else if (strcmp(outcome, "succeeded") == 0 ||
	    strcmp(outcome, "failed") == 0 || strcmp(outcome, "paused") == 0 ||
	    strcmp(outcome, "rolled-back") == 0)
		notify_run(x, strcmp(outcome, "succeeded") == 0 ?
			NOTIFY_SUCCEEDED : strcmp(outcome, "failed") == 0 ?
			NOTIFY_FAILED : strcmp(outcome, "paused") == 0 ?
			NOTIFY_PAUSED : NOTIFY_ROLLED_BACK, outcome, "job %s: run "
			"%s %s after %s (exit %d)", job, x->run_id, outcome,
			ui_duration(took, d, sizeof(d)), code);
}

/* Record that the run starts, or is taken up again, and who holds the
 * job's lock. Returns 0, or the exit code. */
static int
record_start(struct exec *x, const char *what, const char *host,
	int64_t started)
{
	const struct job *job = x->l->job;
	struct buf data = {0};
	char who[64];
	int r;

	buf_addf(&data, "{\"pid\":%ld,\"user\":\"%s\",\"host\":", (long)getpid(),
		me(who, sizeof(who)));
	buf_add_json(&data, host);
	buf_addf(&data, ",\"trigger\":\"%s\"", trigger());
	if (x->o->ignore_window)
		buf_adds(&data, ",\"ignore_window\":true");
	buf_adds(&data, "}");
	if ((r = journal_begin(x->jn)) < 0)
		goto out;
	if (x->resume) {
		r = journal_resume_run(x->jn, x->run_id, (long)getpid(),
			x->rollback_only ? "rolling-back" : "running") < 0 ||
			journal_event(x->jn, x->run_id, started, "run-resumed",
			NULL, data.s) < 0 ? -1 : 0;
	} else {
		r = add_run(x, host, started) < 0 ||
			journal_event(x->jn, x->run_id, started, "run-started",
			NULL, data.s) < 0 ? -1 : 0;
	}
	if (r == 0 && (r = journal_set_lock(x->jn, job->name, x->run_id,
	    (long)getpid(), host, started)) == 0)
		r = journal_commit(x->jn);
	if (r < 0)
		journal_abort(x->jn);
out:
	buf_free(&data);
	if (r == JOURNAL_BUSY)
		return busy_not_started(x->jpath, what);
	return r < 0 ? EXIT_FAILED : 0;
}

/* Record how the run ended, and say what to do next. Returns the exit
 * code, EXIT_FAILED for a run that succeeded but could not be recorded
 * so. */
static int
record_end(struct exec *x, struct ui *ui, const char *outcome, int code,
	int64_t started)
{
	int64_t ended = now_ms();
	struct buf data = {0};

	buf_addf(&data, "{\"state\":\"%s\",\"exit_code\":%d}", outcome, code);
	if (journal_begin(x->jn) < 0 || journal_end_run(x->jn, x->run_id,
	    outcome, code, ended) < 0 || journal_event(x->jn, x->run_id,
	    ended, "run-finished", NULL, data.s) < 0 ||
	    journal_clear_lock(x->jn, x->l->job->name, (long)getpid()) < 0 ||
	    journal_commit(x->jn) < 0) {
		journal_abort(x->jn);
		if (code == EXIT_OK)
			code = EXIT_FAILED;
	}
	buf_free(&data);
	ui_run_finished(ui, outcome, code, ended - started, ended);
	if (x->o->json || code == EXIT_OK || strcmp(outcome, "rolled-back") == 0)
		return code;
	if (strcmp(outcome, "rollback-failed") == 0)
		ui_note(ui, ended, "once the cause is fixed, 'runjob rollback %s' "
			"goes on undoing; 'runjob status %s' shows what is left",
			x->run_id, x->run_id);
	else
		ui_note(ui, ended, "rerun the same command to resume run %s, or "
			"see 'runjob status %s'", x->run_id, x->run_id);
	return code;
}

/* Steps at once: -j, the job's concurrency:, or the number of CPUs. */
static void
sched_opts_of(struct sched_opts *so, const struct opts *o,
	const struct job *job)
{
	memset(so, 0, sizeof(*so));
	so->jobs = o->jobs ? o->jobs : job->concurrency ? job->concurrency :
		(int)sysconf(_SC_NPROCESSORS_ONLN);
	if (so->jobs < 1)
		so->jobs = 1;
	so->jobs_from = o->jobs ? "-j" : job->concurrency ? "concurrency:" :
		NULL;
	so->only = o->only;
	so->nonly = o->nonly;
	so->from = o->from;
	so->nfrom = o->nfrom;
	so->approve = o->approve;
	so->napprove = o->napprove;
}

/* How long each instance of the plan may take, for the window to tell
 * whether it fits: its timeout, else its longest success in this job's
 * past runs (the journal), else 0: not known. The caller frees it. */
struct longest {
	const struct plan *plan;
	int64_t *ms;
	size_t *order;		/* instance indices sorted by id */
};

static int
cmp_id(const void *a, const void *b, void *arg)
{
	const struct plan *p = arg;

	return strcmp(p->v[*(const size_t *)a].id, p->v[*(const size_t *)b].id);
}

static int
longest_row(void *arg, const struct jrow *row)
{
	struct longest *lg = arg;
	const char *id = jrow_get(row, "step_id"), *v = jrow_get(row, "longest");
	size_t lo = 0, hi = lg->plan->n;

	while (lo < hi && id && v) {
		size_t mid = (lo + hi) / 2, i = lg->order[mid];
		int c = strcmp(id, lg->plan->v[i].id);

		if (c == 0) {
			if (!lg->ms[i])
				lg->ms[i] = strtoll(v, NULL, 10);
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static int64_t *
expected_durations(struct exec *x)
{
	const struct plan *p = &x->l->plan;
	struct longest lg = { p, xcalloc(p->n + 1, sizeof(int64_t)), NULL };
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->job->steps[p->v[i].step].timeout_ms > 0)
			lg.ms[i] = p->job->steps[p->v[i].step].timeout_ms;
	lg.order = xcalloc(p->n + 1, sizeof(*lg.order));
	for (i = 0; i < p->n; i++)
		lg.order[i] = i;
	qsort_r(lg.order, p->n, sizeof(*lg.order), cmp_id, (void *)p);
	if (journal_durations(x->jn, x->l->job->name, longest_row, &lg) < 0)
		warn("the journal does not say how long steps took before; "
			"steps without a timeout start whatever the window");
	free(lg.order);
	return lg.ms;
}

/* Outside a window: start nothing, record the refusal (who, when, why,
 * when a step may start next) on the run this would take up, or as a
 * run of its own, refused, and say so. Returns EXIT_WINDOW, or another
 * exit code when the journal cannot be written. */
static int
refuse(struct exec *x, const struct wstate *w, const char *host,
	int64_t now)
{
	const struct job *job = x->l->job;
	struct buf data = {0};
	char who[64], when[96] = "", far[32] = "";
	int r;

	if (w->opens) {
		window_local(job, w->opens, when, sizeof(when));
		/* Whole seconds, rounded up: "in 1h", not "in 59m 59s", when the
		 * clock has moved on a few milliseconds since the hour. */
		window_span(w->opens - now + 999, far, sizeof(far));
	}
	buf_addf(&data, "{\"user\":");
	buf_add_json(&data, me(who, sizeof(who)));
	buf_adds(&data, ",\"host\":");
	buf_add_json(&data, host);
	buf_adds(&data, ",\"reason\":");
	buf_add_json(&data, w->blackout ? w->blackout :
		"outside the maintenance window");
	buf_addf(&data, ",\"opens\":%lld}", (long long)w->opens);
	if ((r = journal_begin(x->jn)) == 0) {
		if (!x->resume)
			r = add_run(x, host, now) < 0 || journal_end_run(x->jn,
				x->run_id, "refused", EXIT_WINDOW, now) < 0 ? -1 : 0;
		if (r == 0 && (r = journal_event(x->jn, x->run_id, now,
		    "window-refused", NULL, data.s)) == 0)
			r = journal_commit(x->jn);
		if (r < 0)
			journal_abort(x->jn);
	}
	buf_free(&data);
	if (r < 0)
		return r == JOURNAL_BUSY ? busy_not_started(x->jpath,
			job->name) : EXIT_FAILED;
	if (w->blackout)
		error("job %s is in a blackout (%s)%s%s%s%s%s; nothing was "
			"started", job->name, w->blackout, w->opens ?
			"; the next window opens " : "; no window opens again",
			when, w->opens ? " (in " : "", far, w->opens ? ")" : "");
	else
		error("outside the maintenance window of job %s; %s%s%s%s%s; "
			"nothing was started", job->name, w->opens ?
			"the next one opens " : "no window opens again", when,
			w->opens ? " (in " : "", far, w->opens ? ")" : "");
	fprintf(stderr, "runjob: --ignore-window runs it anyway, and the journal "
		"records who did\n");
	return EXIT_WINDOW;
}

static int
execute(struct exec *x)
{
	struct loaded *l = x->l;
	struct opts *o = x->o;
	struct prior pr, *prp = NULL;
	struct last_states ls = {0};
	struct history hist = { NULL, NULL };
	struct sched_opts so;
	struct sched_run sr;
	struct ui ui;
	char host[256] = "?", holder[512], *logdir, *jobdir = NULL;
	char what[160];
	unsigned char key[JOURNAL_KEY_LEN];
	int64_t started = now_ms(), *expected = NULL;
	int code = EXIT_FAILED;

	if (x->resume)
		snprintf(what, sizeof(what), "run %s of job %s", x->run_id,
			l->job->name);
	else
		snprintf(what, sizeof(what), "job %s", l->job->name);
	memset(&pr, 0, sizeof(pr));
	gethostname(host, sizeof(host) - 1);
	snprintf(holder, sizeof(holder), "pid %ld on %s, run %s", (long)getpid(),
		host, x->run_id);
	joblock_describe(x->lock, holder);

	ui_init(&ui, o->json, o->quiet, o->verbose);
	ui.run = x->run_id;
	/* Windows gate steps going forward; undoing what a run did is not
	 * held back by them. */
	if (window_any(l->job) && !x->rollback_only && !o->ignore_window) {
		struct wstate w;

		window_state(l->job, started, &w);
		if (!w.open) {
			logdir = NULL;
			code = refuse(x, &w, host, started);
			goto out;
		}
	}
	logdir = run_log_dir(x->jpath, x->run_id);
	if (make_dirs(logdir) < 0 || journal_key(x->jpath, 1, key) < 0)
		goto out;

	if (x->resume) {
		prp = &pr;
		if (prior_load(&pr, x->jn, x->run_id, &l->plan, key) < 0)
			goto out;
		say_crashed(&ui, &pr, &l->plan, x->run_id);
		if (prior_settle(&pr, x->jn, x->run_id, &l->plan, &ui,
		    o->kill_orphans, logdir, key, &l->mask) < 0)
			goto out;
		if (settle_unknown(x, &pr)) {
			if (journal_begin(x->jn) == 0 &&
			    journal_end_run(x->jn, x->run_id, "unknown",
			    EXIT_UNKNOWN, now_ms()) == 0 &&
			    journal_event(x->jn, x->run_id, now_ms(),
			    "run-unknown", NULL, "{}") == 0)
				journal_commit(x->jn);
			else
				journal_abort(x->jn);
			code = EXIT_UNKNOWN;
			notify_end(x, "unknown", code, now_ms() - started);
			goto out;
		}
	}
	if ((code = record_start(x, what, host, started)) != 0)
		goto out;
	/* A built-in goes on from where it stood when it last succeeded
	 * (a high-water mark); the journal says which run that was. */
	if (!x->rollback_only &&
	    (last_states_load(&ls, x->jn, &l->plan, x->run_id) < 0 ||
	    last_states_record(&ls, x->jn, &l->plan, x->run_id, now_ms()) < 0))
		warn("the journal does not say where the built-in steps stood "
			"when they last succeeded; they start afresh");

	ui_run_started(&ui, l->job->name, x->file, started);
	if (!x->resume)
		notify_run(x, NOTIFY_STARTED, "running", "job %s: run %s started "
			"on %s", l->job->name, x->run_id, host);
	if (x->resume && !o->quiet && !o->json)
		ui_note(&ui, started, x->rollback_only ? "rolling back run %s: "
			"undoing what succeeded, newest first" : "resuming run "
			"%s: what succeeded stays done", x->run_id);
	sched_opts_of(&so, o, l->job);
	memset(&sr, 0, sizeof(sr));
	sr.plan = &l->plan;
	sr.mask = &l->mask;
	sr.journal = x->jn;
	sr.key = key;
	sr.ui = &ui;
	sr.run_id = x->run_id;
	sr.dir = jobdir = dir_of(x->file);
	sr.logdir = logdir;
	sr.prior = prp;
	sr.last_state = (const char *const *)ls.data;
	sr.rollback_only = x->rollback_only;
	sr.on_demand = x->on_demand;
	sr.gate = window_any(l->job) && !o->ignore_window && !x->rollback_only;
	if (sr.gate)
		sr.expected = expected = expected_durations(x);
	sr.started = started;
	if (!x->rollback_only) {
		/* Without it the run goes on, with no ETA and no overrun
		 * said. */
		if (history_load(&hist, x->jn, &l->plan, x->run_id) == 0)
			sr.history = &hist;
	}
	code = sched_run(&sr, &so);
	code = record_end(x, &ui, sr.outcome, code, started);
	notify_end(x, sr.outcome, code, now_ms() - started);
out:
	if (prp)
		prior_free(&pr);
	last_states_free(&ls);
	ui_free(&ui);
	free(logdir);
	free(jobdir);
	free(expected);
	history_free(&hist);
	return code;
}

/* Take job's lock before reading what the journal says of its runs, so
 * that two runjobs never both decide to start or resume it. Returns 0,
 * or the exit code. */
static int
lock_job(struct joblock *lock, const char *jpath, const char *job)
{
	char holder[512];
	int r = joblock_take(lock, jpath, job, holder, sizeof(holder));

	if (r > 0)
		error("job %s is already running: %s; not started", job, holder);
	return r == 0 ? 0 : r > 0 ? EXIT_LOCKED : EXIT_FAILED;
}

static int
check_selection(const struct loaded *l, const struct opts *o,
	const char *file)
{
	size_t i;

	for (i = 0; i < o->nonly + o->nfrom; i++) {
		const char *name = i < o->nonly ? o->only[i] :
			o->from[i - o->nonly];
		char msg[256];

		if (sched_names_step(&l->plan, name))
			continue;
		snprintf(msg, sizeof(msg), "job %s has no step '%s' (see 'runjob "
			"plan %s')", l->job->name, name, file);
		return usage_error("run", msg);
	}
	return 0;
}

/* --approve names gates of the job, by step or instance id. */
static int
check_approve(const struct loaded *l, const struct opts *o, const char *cmd)
{
	const struct plan *p = &l->plan;
	size_t i, k;

	for (i = 0; i < o->napprove; i++) {
		const char *name = o->approve[i];
		char msg[320];
		int step = 0, gate = 0;

		for (k = 0; k < p->n; k++) {
			const struct step *st = &p->job->steps[p->v[k].step];

			if (strcmp(p->v[k].id, name) == 0 ||
			    strcmp(st->id, name) == 0) {
				step = 1;
				gate |= st->action.kind == ACT_APPROVE;
			}
		}
		if (gate)
			continue;
		snprintf(msg, sizeof(msg), step ? "--approve %s: step %s is no "
			"approve: step; there is nothing to approve" : "--approve "
			"%s: job %s has no such step", name, step ? name :
			l->job->name);
		return usage_error(cmd, msg);
	}
	return 0;
}

static int
refuse_changed(struct journal *jn, const struct past *p, struct loaded *l,
	const struct buf *files)
{
	struct prior pr;
	struct buf list = {0};
	size_t n;

	if (prior_load(&pr, jn, p->id, &l->plan, NULL) < 0)
		return EXIT_FAILED;
	n = prior_changes(&pr, &l->plan, &list);
	error("the job file changed since run %s (%s), which did not finish; "
		"runjob will not resume it with another definition. %s%s%s%s"
		"%s%s", p->id, p->state, files->len ? "Files it is built from "
		"that changed: " : "", buf_str(files), files->len ? ". " : "",
		n ? "Steps that differ:\n" : "The change is outside the steps "
		"(params, env or settings). ", buf_str(&list), files->len ?
		"Run with --new to start a new run, or restore the files." :
		"Run with --new to start a new run, or restore the file.");
	buf_free(&list);
	prior_free(&pr);
	return EXIT_INVALID;
}

/* The unfinished run of this job's name ran another job file: two job
 * files with one name share a journal. Saying "the file changed" would
 * send the reader looking for edits that were never made. */
static int
refuse_other_file(struct journal *jn, const struct past *p, const char *file)
{
	error("run %s of job %s (%s), which did not finish, ran another job "
		"file, %s, not %s: two job files named %s share the journal "
		"%s, and runjob takes them for one job. Tell them apart: give "
		"one another name:, or run it with --journal PATH of its own. "
		"--new starts a new run of this file all the same.", p->id,
		p->job, p->state, p->file, file, p->job, journal_path(jn));
	return EXIT_INVALID;
}

static int
cmd_run(int argc, char **argv)
{
	struct diags d = {0};
	struct journal *jn = NULL;
	struct past past = {0};
	struct joblock lock = { -1 };
	struct loaded l;
	struct opts o;
	struct exec x;
	char run_id[64], sha[65], real[PATH_MAX], what[160], *jpath = NULL;
	char *params = NULL;
	struct buf changed = {0};
	int first, code = EXIT_FAILED, found, r;

	memset(&l, 0, sizeof(l));
	if ((first = parse_opts("run", argc, argv, &o, "param env-file jobs "
	    "dry-run only from new journal json quiet verbose kill-orphans "
	    "ignore-window allow-outside approve "
	    "require-clean")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (first != argc - 1) {
		free_opts(&o);
		return usage_error("run", first == argc ? "no job file given" :
			"run takes one job file");
	}
	/* Messages name the job file as the user wrote it; where it runs
	 * and is recorded comes from the file itself. */
	job_path_real(argv[first], real);
	if (load(&l, argv[first], &o, &d) < 0) {
		diags_print(&d, 0);
		fprintf(stderr, "%s: %zu error%s; nothing was run\n",
			argv[first], d.nerrors, d.nerrors == 1 ? "" : "s");
		code = EXIT_INVALID;
		goto out;
	}
	diags_print(&d, 0);
	if ((code = check_selection(&l, &o, argv[first])) != 0 ||
	    (code = check_approve(&l, &o, "run")) != 0)
		goto out;
	if (o.dry_run) {
		char *jobdir = dir_of(real);

		plan_print(&l.plan, &l.mask, PLAN_TEXT);
		fflush(stdout);
		code = sched_dry_run(&l.plan, &l.mask, jobdir);
		free(jobdir);
		goto out;
	}

	memset(&x, 0, sizeof(x));
	if (l.at_rev.in_git)	/* FILE@REV: that commit's, clean */
		x.git = l.at_rev;
	else if (git_facts_of(&x.git, argv[first], l.job->text,
	    l.job->len) < 0) {
		/* Which version ran is not known: say so, and go on unless
		 * the job must be clean. */
		if (l.job->require_clean || o.require_clean) {
			code = EXIT_FAILED;
			goto out;
		}
		warn("the run records no git version of %s", argv[first]);
		memset(&x.git, 0, sizeof(x.git));
	}
	if ((l.job->require_clean || o.require_clean) &&
	    (!x.git.in_git || x.git.dirty)) {
		error("%s: %s; this job requires a clean job file "
			"(require_clean). Commit it first.", argv[first],
			!x.git.in_git ? "is not in a git repository" :
			!x.git.commit[0] ? "is in a repository with no commit" :
			"has changes not committed to git");
		code = EXIT_INVALID;
		goto out;
	}
	code = EXIT_FAILED;
	jpath = journal_choose(o.journal, real);
	snprintf(what, sizeof(what), "job %s", l.job->name);
	if ((r = journal_open(&jn, jpath, JOURNAL_CREATE)) < 0) {
		if (r == JOURNAL_BUSY)
			code = busy_not_started(jpath, what);
		goto out;
	}
	if ((code = lock_job(&lock, jpath, l.job->name)) != 0)
		goto out;
	code = EXIT_FAILED;
	x.l = &l;
	x.o = &o;
	x.jn = jn;
	x.jpath = jpath;
	x.file = real;
	x.lock = &lock;

	/* The latest run of this job, when it did not finish, is taken up
	 * again with its run id, unless --new. */
	found = journal_run(jn, NULL, l.job->name, past_row, &past);
	if (found < 0) {
		if (found == JOURNAL_BUSY)
			code = busy_not_started(jpath, what);
		goto out;
	}
	if (found && o.new_run) {
		if (strcmp(past.state, "rollback-failed") == 0 ||
		    strcmp(past.state, "unknown") == 0)
			warn("run %s of job %s is %s and still needs a person "
				"(see 'runjob status %s'); starting a new run, as "
				"--new asks", past.id, past.job, past.state,
				past.id);
		found = 0;
	}
	if (found && strcmp(past.state, "rollback-failed") == 0) {
		code = refuse_rollback_failed(jn, &past, "run");
		goto out;
	}
	if (found && unfinished(past.state)) {
		sha256_hex(l.job->text, l.job->len, sha);
		params = loaded_params_json(&l);
		if (strcmp(sha, past.sha256) != 0 || loaded_files_differ(&l,
		    jn, past.id, &changed)) {
			code = past.file && strcmp(past.file, real) != 0 ?
			    refuse_other_file(jn, &past, argv[first]) :
			    refuse_changed(jn, &past, &l, &changed);
			goto out;
		}
		if (strcmp(params, past.params) != 0) {
			error("the params differ from those of run %s (%s), "
				"which did not finish: it ran with %s, this command "
				"gives %s. Give the same values, or --new to start "
				"a new run.", past.id, past.state, past.params,
				params);
			code = EXIT_INVALID;
			goto out;
		}
		x.run_id = past.id;
		x.resume = 1;
		x.rollback_only = strcmp(past.state, "rolling-back") == 0;
	} else {
		new_run_id(run_id, sizeof(run_id));
		x.run_id = run_id;
	}
	code = execute(&x);
out:
	joblock_release(&lock);
	past_free(&past);
	free(params);
	buf_free(&changed);
	free(jpath);
	journal_close(jn);
	unload(&l);
	diags_free(&d);
	free_opts(&o);
	return code;
}

const struct command cmd_run_entry = { "run", cmd_run,
	"run [-q | -v] [--json] [-j N] [--dry-run] [--only STEP]... [--from STEP]... [--new] [--ignore-window] [--kill-orphans] [--require-clean] [--allow-outside] [--approve STEP]... [--journal PATH] [-p NAME=VALUE]... [--env-file FILE]... JOB.yaml[@REV]",
	"run the job, or resume its last run if that did not finish (also: runjob JOB.yaml)",
	"-p NAME=VALUE      give a param its value\n"
	"--env-file FILE    read param values from FILE (NAME=VALUE lines)\n"
	"-j N               run at most N steps at once\n"
	"--dry-run          check, plan and ask each if: probe; run nothing\n"
	"--only STEP        run just this step (repeatable), nothing else\n"
	"--from STEP        run this step and every step after it\n"
	"--new              start a new run, even when the last one did not finish\n"
	"--ignore-window    run outside the maintenance window (recorded)\n"
	"--kill-orphans     stop a step a crashed runjob left running, not wait\n"
	"--require-clean    refuse a job file with changes not committed to git\n"
	"--allow-outside    let a job use files outside its repository\n"
	"--approve STEP     approve the approve: step STEP in advance\n"
	"--journal PATH     the journal file to record the run in\n"
	"--json             print one JSON event a line\n"
	"-q                 print only failures and the outcome\n"
	"-v                 print more: if: probes that passed\n" };

/* resume, rollback and resolve name a run; its job comes from the
 * journal, the text that ran, and its params but secrets from it. */

static void
keep_param(void *arg, const char *name, const char *value)
{
	struct opts *o = arg;
	size_t i, len = strlen(name);

	if (strcmp(value, MASK_TEXT) == 0)
		return;		/* a secret: from its source again */
	for (i = 0; i < o->params.nset; i++)
		if (strncmp(o->params.set[i], name, len) == 0 &&
		    o->params.set[i][len] == '=')
			return;		/* given again: that wins */
	o->params.set = xreallocarray(o->params.set, o->params.nset + 1,
		sizeof(*o->params.set));
	o->kept = xreallocarray(o->kept, o->nkept + 1, sizeof(*o->kept));
	o->params.set[o->params.nset++] = o->kept[o->nkept++] =
		xasprintf("%s=%s", name, value);
}

/* Find the run named by arg: a run id, or a job file or job name (its
 * job's latest run).
 * Opens the journal into *jn. Returns 0, or an exit code. */
static int
find_past(const char *cmd, const char *arg, struct opts *o,
	struct journal **jn, char **jpath, struct past *p)
{
	struct diags d = {0};
	struct job *job = NULL;
	struct stat st;
	const char *name = NULL;
	char what[256];
	int found;

	if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
		job_load(&job, arg, &d);
		name = job->name;
		if (!name) {
			diags_print(&d, 0);
			job_free(job);
			diags_free(&d);
			return EXIT_INVALID;
		}
	}
	*jpath = journal_choose(o->journal, job ? arg : NULL);
	snprintf(what, sizeof(what), "runjob %s %s", cmd, arg);
	if ((found = journal_open(jn, *jpath, JOURNAL_WRITE)) < 0) {
		job_free(job);
		diags_free(&d);
		return found == JOURNAL_BUSY ? busy_not_started(*jpath, what) :
			EXIT_FAILED;
	}
	found = journal_run(*jn, job ? NULL : arg, name, past_row, p);
	if (found == 0 && !job)
		found = journal_run(*jn, NULL, arg, past_row, p);
	if (found == 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "no run %s%s in the journal %s; "
			"'runjob history' lists the runs", job ? "of job " :
			"or job ", job ? name : arg, *jpath);
		usage_error(cmd, msg);
	}
	job_free(job);
	diags_free(&d);
	if (found == JOURNAL_BUSY)
		return busy_not_started(*jpath, what);
	return found > 0 ? 0 : found == 0 ? EXIT_USAGE : EXIT_FAILED;
}

/* The job text of run id, taken up again, has errors (printed): say
 * which are secrets to give again, as that is the usual cause. */
static void
no_longer_checks(const struct loaded *l, const struct diags *d,
	const char *id)
{
	struct buf names = {0};
	size_t i, n = 0;

	for (i = 0; l->job && l->values.source && i < l->job->nparams; i++) {
		const struct param *p = &l->job->params[i];

		if (p->secret && p->required &&
		    strcmp(l->values.source[i], "unset") == 0)
			buf_addf(&names, "%s%s", n++ ? ", " : "", p->name);
	}
	if (n)
		fprintf(stderr, "run %s: nothing was run: its secret param%s %s "
			"must be given again, as the journal never keeps "
			"secrets%s\n", id, n == 1 ? "" : "s", buf_str(&names),
			d->nerrors > n ? "; its job has other errors too" : "");
	else
		fprintf(stderr, "run %s: its job no longer checks (%zu error%s); "
			"nothing was run\n", id, d->nerrors,
			d->nerrors == 1 ? "" : "s");
	buf_free(&names);
}

/* resume and rollback: take up a past run. */
static int
take_up(const char *cmd, int argc, char **argv, int rollback_only)
{
	struct journal *jn = NULL;
	struct diags d = {0};
	struct past past = {0};
	struct joblock lock = { -1 };
	struct loaded l;
	struct opts o;
	struct exec x;
	char *jpath = NULL;
	int first, code;

	memset(&l, 0, sizeof(l));
	if ((first = parse_opts(cmd, argc, argv, &o, rollback_only ?
	    "param env-file jobs journal json quiet verbose kill-orphans" :
	    "param env-file jobs journal json quiet verbose kill-orphans "
	    "ignore-window approve")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (first != argc - 1) {
		free_opts(&o);
		return usage_error(cmd, rollback_only ? "rollback takes one run "
			"or job file" : "resume takes one run");
	}
	if ((code = find_past(cmd, argv[first], &o, &jn, &jpath, &past)) != 0 ||
	    (code = lock_job(&lock, jpath, past.job)) != 0)
		goto out;
	/* Read it again now that no other runjob can change it. */
	{
		char *id = xstrdup(past.id);

		past_free(&past);
		if (journal_run(jn, id, NULL, past_row, &past) <= 0) {
			free(id);
			code = EXIT_FAILED;
			goto out;
		}
		free(id);
	}
	if (!rollback_only && strcmp(past.state, "rollback-failed") == 0) {
		code = refuse_rollback_failed(jn, &past, cmd);
		goto out;
	}
	if (rollback_only ? strcmp(past.state, "rolled-back") == 0 :
	    !unfinished(past.state)) {
		printf("run %s of job %s is %s: nothing to %s\n", past.id,
			past.job, past.state, cmd);
		code = EXIT_OK;
		goto out;
	}
	if (rollback_only && (code = nothing_to_undo(jn, &past)) != 0) {
		code = code > 0 ? EXIT_OK : EXIT_FAILED;
		goto out;
	}
	if (json_each_string(past.params, keep_param, &o) < 0) {
		error("run %s: its params in the journal are not readable",
			past.id);
		code = EXIT_FAILED;
		goto out;
	}
	o.params.unkept = 1;
	if (load_text(&l, past.file, past.text, run_sources(jn, past.id,
	    past.file), &o, &d) < 0) {
		diags_print(&d, 0);
		no_longer_checks(&l, &d, past.id);
		code = EXIT_INVALID;
		goto out;
	}
	diags_print(&d, 0);
	if ((code = check_approve(&l, &o, cmd)) != 0)
		goto out;
	memset(&x, 0, sizeof(x));
	x.l = &l;
	x.o = &o;
	x.jn = jn;
	x.jpath = jpath;
	x.file = past.file;
	x.run_id = past.id;
	x.lock = &lock;
	x.resume = 1;
	x.rollback_only = rollback_only || strcmp(past.state,
		"rolling-back") == 0;
	x.on_demand = rollback_only;
	code = execute(&x);
out:
	joblock_release(&lock);
	past_free(&past);
	free(jpath);
	journal_close(jn);
	unload(&l);
	diags_free(&d);
	free_opts(&o);
	return code;
}

static int
cmd_resume(int argc, char **argv)
{
	return take_up("resume", argc, argv, 0);
}

const struct command cmd_resume_entry = { "resume", cmd_resume,
	"resume [-q | -v] [--json] [-j N] [--ignore-window] [--kill-orphans] [--approve STEP]... [--journal PATH] [-p NAME=VALUE]... [--env-file FILE]... RUN | JOB.yaml | JOB",
	"take up that run where it stopped, with the job text it ran",
	"-p NAME=VALUE      give a param (the run's own values are kept otherwise)\n"
	"--env-file FILE    read param values from FILE\n"
	"-j N               run at most N steps at once\n"
	"--ignore-window    run outside the maintenance window (recorded)\n"
	"--kill-orphans     stop a step a crashed runjob left running, not wait\n"
	"--approve STEP     approve the approve: step STEP in advance\n"
	"--journal PATH     the journal the run is in\n"
	"--json             print one JSON event a line\n"
	"-q                 print only failures and the outcome\n"
	"-v                 print more\n" };

static int
cmd_rollback(int argc, char **argv)
{
	return take_up("rollback", argc, argv, 1);
}

const struct command cmd_rollback_entry = { "rollback", cmd_rollback,
	"rollback [-q | -v] [--json] [--kill-orphans] [--journal PATH] [-p NAME=VALUE]... [--env-file FILE]... RUN | JOB.yaml | JOB",
	"run the rollback actions of the steps that succeeded, newest first",
	"-p NAME=VALUE      give a param (the run's own values are kept otherwise)\n"
	"--env-file FILE    read param values from FILE\n"
	"--kill-orphans     stop a step a crashed runjob left running, not wait\n"
	"--journal PATH     the journal the run is in\n"
	"--json             print one JSON event a line\n"
	"-q                 print only failures and the outcome\n"
	"-v                 print more\n" };

struct step_state {
	const char *step;
	char *state;
};

static int
step_state_row(void *arg, const struct jrow *row)
{
	struct step_state *s = arg;

	if (strcmp(jrow_get(row, "step_id"), s->step) == 0)
		s->state = xstrdup(jrow_get(row, "state"));
	return 0;
}

/* runjob resolve RUN STEP --rolled-back, the step recorded: once
 * nothing is left to undo, the run counts as rolled back. Runs inside
 * the open transaction of cmd_resolve; *left is what is left. Returns 0,
 * or <0. */
static int
resolve_rolled_back(struct journal *jn, const struct past *p,
	size_t *left)
{
	struct undo u;
	int r, failed;

	if ((r = undo_load(&u, jn, p->id, p->file, p->text)) < 0)
		return r;
	*left = u.n;
	failed = u.run_failed;
	undo_free(&u);
	if (*left)
		return 0;
	/* The way back is complete. A run with a failed step stays a
	 * failure, as when its rollback ends by itself. */
	return journal_end_run(jn, p->id, "rolled-back", failed ?
		EXIT_FAILED : EXIT_OK, now_ms());
}

static int
cmd_resolve(int argc, char **argv)
{
	struct journal *jn = NULL;
	struct past past = {0};
	struct joblock lock = { -1 };
	struct step_state ss = { NULL, NULL };
	struct buf data = {0};
	struct undo u = {0};
	struct opts o;
	char *jpath = NULL, who[64];
	const char *to;
	size_t left = 0;
	int first, code, r, undo;

	if ((first = parse_opts("resolve", argc, argv, &o, "journal ok failed "
	    "rerun rolled-back")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (first != argc - 2 || !o.resolve) {
		free_opts(&o);
		return usage_error("resolve", "give a run, a step and one of "
			"--ok, --failed, --rerun, --rolled-back");
	}
	undo = strcmp(o.resolve, "rolled-back") == 0;
	if ((code = find_past("resolve", argv[first], &o, &jn, &jpath,
	    &past)) != 0)
		goto out;
	if ((code = lock_job(&lock, jpath, past.job)) != 0)
		goto out;
	code = EXIT_FAILED;
	ss.step = argv[first + 1];
	if (journal_steps(jn, past.id, step_state_row, &ss) < 0)
		goto out;
	if (!ss.state) {
		code = usage_error("resolve", "that run has no such step; "
			"'runjob status RUN' lists them");
		goto out;
	}
	if (!undo && strcmp(ss.state, "unknown") != 0) {
		error("step %s of run %s is %s, not unknown: there is nothing "
			"to settle%s", ss.step, past.id, ss.state,
			strcmp(ss.state, "rollback-failed") == 0 ? " (for a "
			"rollback done by hand, give --rolled-back)" : "");
		code = EXIT_USAGE;
		goto out;
	}
	if (undo) {
		size_t i;
		int found = 0;

		if (strcmp(past.state, "rollback-failed") != 0 &&
		    strcmp(past.state, "rolling-back") != 0) {
			error("run %s is %s, not being rolled back: only a run "
				"whose rollback stopped has steps to settle as rolled "
				"back (see 'runjob rollback %s')", past.id, past.state,
				past.id);
			code = EXIT_USAGE;
			goto out;
		}
		if (undo_load(&u, jn, past.id, past.file, past.text) < 0)
			goto out;
		for (i = 0; i < u.n; i++)
			if (strcmp(u.v[i], ss.step) == 0)
				found = 1;
		if (!found) {
			struct buf list = {0};

			undo_list(&u, &list);
			error("step %s of run %s is %s%s: it is not left to undo. "
				"Still to undo: %s", ss.step, past.id, ss.state,
				strcmp(ss.state, "succeeded") == 0 ?
				", with no rollback action" : "", buf_str(&list));
			buf_free(&list);
			code = EXIT_USAGE;
			goto out;
		}
	}
	to = strcmp(o.resolve, "ok") == 0 ? "succeeded" :
		strcmp(o.resolve, "failed") == 0 ? "failed" :
		undo ? "rolled-back" : "pending";
	buf_adds(&data, "{\"as\":");
	buf_add_json(&data, o.resolve);
	buf_adds(&data, ",\"user\":");
	buf_add_json(&data, me(who, sizeof(who)));
	buf_adds(&data, "}");
	if ((r = journal_begin(jn)) < 0 || (r = journal_set_step(jn, past.id,
	    ss.step, to)) < 0 || (r = journal_event(jn, past.id, now_ms(),
	    "resolved", ss.step, data.s)) < 0 ||
	    (undo && (r = resolve_rolled_back(jn, &past, &left)) < 0) ||
	    (undo && !left && (r = journal_event(jn, past.id, now_ms(),
	    "run-finished", NULL, "{\"state\":\"rolled-back\",\"by\":"
	    "\"resolve\"}")) < 0) || (r = journal_commit(jn)) < 0) {
		journal_abort(jn);
		if (r == JOURNAL_BUSY)
			code = busy_not_started(jpath, "runjob resolve");
		goto out;
	}
	if (!undo) {
		printf("step %s of run %s settled as %s; run 'runjob resume %s' "
			"to go on\n", ss.step, past.id, to, past.id);
	} else if (!left) {
		printf("step %s of run %s recorded as rolled back by hand; "
			"nothing is left to undo: the run is rolled back\n",
			ss.step, past.id);
	} else {
		struct undo now;

		printf("step %s of run %s recorded as rolled back by hand\n",
			ss.step, past.id);
		fflush(stdout);
		if (undo_load(&now, jn, past.id, past.file, past.text) == 0) {
			undo_advice(stdout, &now, past.id);
			undo_free(&now);
		}
	}
	code = EXIT_OK;
out:
	joblock_release(&lock);
	buf_free(&data);
	undo_free(&u);
	free(ss.state);
	past_free(&past);
	free(jpath);
	journal_close(jn);
	free_opts(&o);
	return code;
}

const struct command cmd_resolve_entry = { "resolve", cmd_resolve,
	"resolve [--journal PATH] RUN | JOB.yaml | JOB STEP --ok | --failed | --rerun | --rolled-back",
	"settle a step whose outcome is unknown after a crash, or record a rollback done by hand",
	"--ok               it did its work: count it as succeeded\n"
	"--failed           it did not: count it as failed (it runs again)\n"
	"--rerun            run it again\n"
	"--rolled-back      a person undid it by hand: count it as rolled back\n"
	"--journal PATH     the journal the run is in\n" };

/* runjob approve RUN STEP: the answer is an event in the journal, where
 * the runjob waiting at the gate reads it. It is taken only while the
 * step waits, checked in the same transaction that records it. */
static int
cmd_approve(int argc, char **argv)
{
	struct journal *jn = NULL;
	struct past past = {0};
	struct step_state ss = { NULL, NULL };
	struct buf data = {0};
	struct opts o;
	char *jpath = NULL;
	int first, code, r;

	if ((first = parse_opts("approve", argc, argv, &o, "journal reject "
	    "reason")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (first != argc - 2) {
		free_opts(&o);
		return usage_error("approve", "give a run and the approve: step "
			"to answer");
	}
	if (o.reason && strlen(o.reason) > GATE_REASON_MAX) {
		char msg[160];

		snprintf(msg, sizeof(msg), "--reason is %zu bytes; give at most "
			"%d (a line or two; link to the ticket for more)",
			strlen(o.reason), GATE_REASON_MAX);
		free_opts(&o);
		return usage_error("approve", msg);
	}
	if ((code = find_past("approve", argv[first], &o, &jn, &jpath,
	    &past)) != 0)
		goto out;
	code = EXIT_FAILED;
	ss.step = argv[first + 1];
	if ((r = journal_begin(jn)) < 0) {
		if (r == JOURNAL_BUSY)
			code = busy_not_started(jpath, "runjob approve");
		goto out;
	}
	if (journal_steps(jn, past.id, step_state_row, &ss) < 0) {
		journal_abort(jn);
		goto out;
	}
	if (!ss.state || strcmp(ss.state, "waiting") != 0 ||
	    (strcmp(past.state, "running") != 0 &&
	    strcmp(past.state, "unknown") != 0)) {
		char msg[512];

		journal_abort(jn);
		if (ss.state && strcmp(ss.state, "waiting") == 0)
			snprintf(msg, sizeof(msg), "run %s is %s: it waits at no "
				"gate any more, and there is nothing to %s", past.id,
				past.state, o.reject ? "reject" : "approve");
		else if (ss.state)
			snprintf(msg, sizeof(msg), "step %s of run %s is %s, not "
				"waiting for approval: there is nothing to %s. Only "
				"an approve: step the run waits at now can be "
				"answered; 'runjob status %s' shows where it stands",
				ss.step, past.id, ss.state, o.reject ? "reject" :
				"approve", past.id);
		else
			snprintf(msg, sizeof(msg), "run %s has no step %s; "
				"'runjob status %s' lists them", past.id, ss.step,
				past.id);
		code = usage_error("approve", msg);
		goto out;
	}
	buf_addc(&data, '{');
	gate_who(&data);
	if (o.reason) {
		buf_adds(&data, ",\"reason\":");
		buf_add_json(&data, o.reason);
	}
	buf_addc(&data, '}');
	if ((r = journal_event(jn, past.id, now_ms(), o.reject ?
	    "gate-rejected" : "gate-approved", ss.step, data.s)) < 0 ||
	    (r = journal_commit(jn)) < 0) {
		journal_abort(jn);
		if (r == JOURNAL_BUSY)
			code = busy_not_started(jpath, "runjob approve");
		goto out;
	}
	printf("step %s of run %s %s; the runjob waiting there reads it "
		"within a second or two (one whose runjob is gone reads it when "
		"resumed)\n", ss.step, past.id, o.reject ? "rejected: it fails" :
		"approved");
	code = EXIT_OK;
out:
	buf_free(&data);
	free(ss.state);
	past_free(&past);
	free(jpath);
	journal_close(jn);
	free_opts(&o);
	return code;
}

const struct command cmd_approve_entry = { "approve", cmd_approve,
	"approve [--reject] [--reason TEXT] [--journal PATH] RUN | JOB.yaml | JOB STEP",
	"answer an approve: step the run waits at: go on, or fail it",
	"--reject           refuse: the step fails\n"
	"--reason TEXT      why, recorded with the answer (at most 1 KiB)\n"
	"--journal PATH     the journal the run is in\n" };
