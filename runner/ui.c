/*
 * ui.c - terminal, plain and JSON output of a run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "ui.h"
#include "util.h"
#include "visible.h"

enum { TICK_MS = 1000, MAX_SHOWN = 8 };

#define C_RESET	"\033[0m"
#define C_DIM	"\033[2m"
#define C_RED	"\033[31m"
#define C_GREEN	"\033[32m"
#define C_YELLOW "\033[33m"
#define C_BOLD	"\033[1m"

/* A terminal that cannot move the cursor or change colour (TERM=dumb:
 * an editor's shell buffer, a serial console) gets the lines of a log,
 * not a live view drawn with escapes it would print as they are. */
static int
dumb_terminal(void)
{
	const char *term = getenv("TERM");

	return !term || !*term || strcmp(term, "dumb") == 0;
}

void
ui_init(struct ui *u, int json, int quiet, int verbose)
{
	const char *nc = getenv("NO_COLOR");

	memset(u, 0, sizeof(*u));
	u->quiet = quiet;
	u->verbose = verbose;
	if (json)
		u->mode = UI_JSON;
	else if (isatty(STDOUT_FILENO) && !dumb_terminal())
		u->mode = UI_TTY;
	else
		u->mode = UI_PLAIN;
	u->color = u->mode == UI_TTY && !(nc && *nc);
	/* Into a pipe or a file, each line as it comes: someone may be
	 * following the log of a run that takes hours. */
	if (u->mode != UI_TTY)
		setvbuf(stdout, NULL, _IOLBF, 0);
}

void
ui_free(struct ui *u)
{
	size_t i;

	for (i = 0; i < u->nrunning; i++) {
		free(u->running[i].id);
		free(u->running[i].progress);
	}
	free(u->running);
	free(u->progress);
	u->progress = NULL;
	free(u->prompt);
	u->prompt = NULL;
	u->running = NULL;
	u->nrunning = 0;
}

const char *
ui_duration(int64_t ms, char *buf, size_t n)
{
	if (ms < 1000)
		snprintf(buf, n, "%dms", (int)ms);
	else if (ms < 60000)
		snprintf(buf, n, "%.1fs", (double)ms / 1000);
	else if (ms < 3600000)
		snprintf(buf, n, "%dm%02ds", (int)(ms / 60000),
			(int)(ms / 1000 % 60));
	else
		snprintf(buf, n, "%dh%02dm", (int)(ms / 3600000),
			(int)(ms / 60000 % 60));
	return buf;
}

static const char *
color(const struct ui *u, const char *c)
{
	return u->color ? c : "";
}

/* Erase the live view, so that lines can be printed above it. */
static void
erase(struct ui *u)
{
	if (u->mode != UI_TTY || !u->drawn)
		return;
	/* From the prompt's line, where the cursor stays, the lines above
	 * it; otherwise from the line below the last. */
	if (u->open_line && u->drawn > 1)
		printf("\r\033[%zuA\033[J", u->drawn - 1);
	else if (u->open_line)
		printf("\r\033[J");
	else
		printf("\033[%zuA\033[J", u->drawn);
	u->drawn = 0;
	u->open_line = 0;
}

/* The terminal's width in columns; 80 when it will not say. */
static size_t
term_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void
draw(struct ui *u, int64_t now)
{
	size_t i, shown, width;
	char d[32];

	if (u->mode != UI_TTY)
		return;
	erase(u);
	shown = u->nrunning < MAX_SHOWN ? u->nrunning : MAX_SHOWN;
	width = term_width();
	for (i = 0; i < shown; i++) {
		const struct ui_running *r = &u->running[i];
		struct buf rest = {0};
		size_t room;

		/* One screen row a step, or erase() would leave the wrapped
		 * part behind: what does not fit is cut. */
		buf_addf(&rest, " %s", ui_duration(now - r->since, d, sizeof(d)));
		if (r->attempt > 1)
			buf_addf(&rest, " (attempt %d)", r->attempt);
		if (r->progress)
			buf_addf(&rest, "  %s", r->progress);
		room = width > 11 + strlen(r->id) ? width - 11 - strlen(r->id) :
			0;
		printf("%s  running %s%.*s%s%.*s%s\n", color(u, C_DIM),
			color(u, C_RESET), (int)(width > 12 ? width - 12 : 0), r->id,
			color(u, C_DIM), (int)(rest.len < room ? rest.len : room),
			buf_str(&rest), color(u, C_RESET));
		buf_free(&rest);
	}
	if (u->nrunning > shown) {
		printf("%s  and %zu more running%s\n", color(u, C_DIM),
			u->nrunning - shown, color(u, C_RESET));
		shown++;
	}
	if (u->progress && shown) {
		printf("%s  %.*s%s\n", color(u, C_DIM), (int)(width > 3 ?
			width - 3 : 0), u->progress, color(u, C_RESET));
		shown++;
	}
	if (u->prompt) {
		size_t len = strlen(u->prompt), room = width > 3 ? width - 3 : 0;

		/* What was typed last stays in sight when it is long. */
		printf("  %s%s", color(u, C_BOLD), len > room ? u->prompt + len -
			room : u->prompt);
		printf("%s", color(u, C_RESET));
		u->open_line = 1;
		shown++;
	}
	u->drawn = shown;
	u->drawn_at = now;
	fflush(stdout);
}

/* Called once every turn of the scheduler's loop, after the output read
 * in that turn was printed: a step that prints all the time erases the
 * live view with each line, so it is drawn again here at once, not on
 * the next second, or it would hardly ever be seen. */
void
ui_tick(struct ui *u, int64_t now)
{
	if (u->mode == UI_TTY && ((u->nrunning && !u->drawn) ||
	    now - u->drawn_at >= TICK_MS))
		draw(u, now);
}

static void
json_event(struct buf *b, const char *event, const char *run, int64_t at)
{
	buf_adds(b, "{\"event\":");
	buf_add_json(b, event);
	buf_adds(b, ",\"run\":");
	buf_add_json(b, run ? run : "");
	buf_addf(b, ",\"at\":%lld", (long long)at);
}

static void
emit(struct buf *b)
{
	fwrite(b->s, 1, b->len, stdout);
	buf_free(b);
}

void
ui_run_started(struct ui *u, const char *job, const char *file, int64_t at)
{
	struct buf b = {0};
	char t[32];

	if (u->mode == UI_JSON) {
		json_event(&b, "run-started", u->run, at);
		buf_adds(&b, ",\"job\":");
		buf_add_json(&b, job);
		buf_adds(&b, ",\"file\":");
		buf_add_json(&b, file);
		buf_adds(&b, "}\n");
		emit(&b);
		fflush(stdout);
		return;
	}
	if (u->quiet)
		return;
	if (u->mode == UI_PLAIN)
		buf_addf(&b, "%s ", clock_utc(at, t, sizeof(t)));
	buf_addf(&b, "runjob: run %s%s%s of job %s (%s)\n", color(u, C_BOLD),
		u->run, color(u, C_RESET), job, file);
	emit(&b);
	fflush(stdout);
}

static void
add_running(struct ui *u, const char *step, int attempt, int64_t at)
{
	xgrow(&u->running, &u->caprunning, u->nrunning + 1,
		sizeof(*u->running));
	u->running[u->nrunning].id = xstrdup(step);
	u->running[u->nrunning].since = at;
	u->running[u->nrunning].attempt = attempt;
	u->running[u->nrunning].progress = NULL;
	u->nrunning++;
}

static void
remove_running(struct ui *u, const char *step)
{
	size_t i;

	for (i = 0; i < u->nrunning; i++)
		if (strcmp(u->running[i].id, step) == 0) {
			free(u->running[i].id);
			free(u->running[i].progress);
			memmove(&u->running[i], &u->running[i + 1],
				(u->nrunning - i - 1) * sizeof(*u->running));
			u->nrunning--;
			return;
		}
}

void
ui_step_progress(struct ui *u, const char *step, const char *text,
	int64_t at)
{
	size_t i;

	if (u->mode != UI_TTY)
		return;
	for (i = 0; i < u->nrunning; i++)
		if (strcmp(u->running[i].id, step) == 0) {
			free(u->running[i].progress);
			u->running[i].progress = xstrdup(text);
		}
	ui_tick(u, at);
}

void
ui_step_started(struct ui *u, const char *step, const char *kind,
	int attempt, int64_t at)
{
	struct buf b = {0};
	char t[32];

	if (strcmp(kind, "step") == 0)
		add_running(u, step, attempt, at);
	if (u->mode == UI_JSON) {
		json_event(&b, "step-started", u->run, at);
		buf_adds(&b, ",\"step\":");
		buf_add_json(&b, step);
		buf_adds(&b, ",\"kind\":");
		buf_add_json(&b, kind);
		buf_addf(&b, ",\"attempt\":%d}\n", attempt);
		emit(&b);
		return;
	}
	if (u->mode == UI_PLAIN && !u->quiet) {
		buf_addf(&b, "%s %s: %s%s", clock_utc(at, t, sizeof(t)), step,
			strcmp(kind, "step") == 0 ? "started" : kind,
			strcmp(kind, "step") == 0 ? "" : " started");
		if (attempt > 1)
			buf_addf(&b, " (attempt %d)", attempt);
		buf_adds(&b, "\n");
		emit(&b);
	} else if (u->mode == UI_TTY) {
		draw(u, at);
	}
}

void
ui_step_line(struct ui *u, const char *step, int attempt, const char *line,
	size_t len, int64_t at)
{
	struct buf b = {0};
	char t[32];

	if (u->mode == UI_JSON) {
		json_event(&b, "output", u->run, at);
		buf_adds(&b, ",\"step\":");
		buf_add_json(&b, step);
		buf_addf(&b, ",\"attempt\":%d,\"line\":", attempt);
		buf_add_jsonn(&b, line, len);
		buf_adds(&b, "}\n");
		emit(&b);
		return;
	}
	if (u->quiet)
		return;
	erase(u);
	if (u->mode == UI_PLAIN)
		buf_addf(&b, "%s ", clock_utc(at, t, sizeof(t)));
	buf_addf(&b, "%s%s |%s ", color(u, C_DIM), step, color(u, C_RESET));
	buf_add_visible(&b, line, len);
	buf_adds(&b, "\n");
	emit(&b);
}

void
ui_step_finished(struct ui *u, const char *step, const char *kind,
	int attempt, const char *state, int exit_code, int signal,
	int64_t duration, const char *why, int64_t at)
{
	struct buf b = {0};
	const char *c = strcmp(state, "succeeded") == 0 ? C_GREEN :
		strcmp(state, "skipped") == 0 || strcmp(state, "not-run") == 0 ?
		C_YELLOW : C_RED;
	char t[32], d[32];

	if (strcmp(kind, "step") == 0)
		remove_running(u, step);
	if (u->mode == UI_JSON) {
		json_event(&b, "step-finished", u->run, at);
		buf_adds(&b, ",\"step\":");
		buf_add_json(&b, step);
		buf_adds(&b, ",\"kind\":");
		buf_add_json(&b, kind);
		buf_addf(&b, ",\"attempt\":%d,\"state\":", attempt);
		buf_add_json(&b, state);
		if (exit_code >= 0)
			buf_addf(&b, ",\"exit_code\":%d", exit_code);
		if (signal >= 0)
			buf_addf(&b, ",\"signal\":%d", signal);
		buf_addf(&b, ",\"duration_ms\":%lld", (long long)duration);
		if (why) {
			buf_adds(&b, ",\"reason\":");
			buf_add_json(&b, why);
		}
		buf_adds(&b, "}\n");
		emit(&b);
		fflush(stdout);
		return;
	}
	if (u->quiet && strcmp(state, "failed") != 0 &&
	    strcmp(state, "timeout") != 0)
		return;
	if (strcmp(kind, "if") == 0 && strcmp(state, "succeeded") == 0 &&
	    !u->verbose)
		return;
	erase(u);
	if (u->mode == UI_PLAIN)
		buf_addf(&b, "%s ", clock_utc(at, t, sizeof(t)));
	if (strcmp(kind, "step") != 0)
		buf_addf(&b, "%s of ", kind);
	buf_addf(&b, "%s: %s%s%s", step, color(u, c), state,
		color(u, C_RESET));
	if (exit_code > 0)
		buf_addf(&b, " (exit %d)", exit_code);
	if (signal > 0)
		buf_addf(&b, " (signal %d)", signal);
	if (strcmp(state, "not-run") != 0)
		buf_addf(&b, " after %s", ui_duration(duration, d, sizeof(d)));
	if (attempt > 1)
		buf_addf(&b, ", attempt %d", attempt);
	if (why)
		buf_addf(&b, ": %s", why);
	buf_adds(&b, "\n");
	emit(&b);
	if (u->mode == UI_TTY)
		draw(u, at);
}

void
ui_prompt(struct ui *u, const char *question, const char *typed, int64_t at)
{
	if (u->mode != UI_TTY)
		return;
	free(u->prompt);
	u->prompt = question ? xasprintf("%s %s", question, typed) : NULL;
	draw(u, at);
}

int64_t
ui_progress_interval(void)
{
	const char *v = getenv("RUNJOB_PROGRESS_INTERVAL");

	/* ui_progress_check() refused anything else before the run. */
	return v && *v ? strtoll(v, NULL, 10) : 10000;
}

int
ui_progress_check(char *err, size_t n)
{
	const char *v = getenv("RUNJOB_PROGRESS_INTERVAL");
	char *end;
	long long ms;

	if (!v || !*v)
		return 0;
	ms = strtoll(v, &end, 10);
	if (*end || end == v || ms < 1 || ms > 86400000) {
		snprintf(err, n, "RUNJOB_PROGRESS_INTERVAL='%s' is not a number "
			"of milliseconds between 1 and 86400000; write one, such "
			"as 10000 for a progress line every 10 s, or unset it", v);
		return -1;
	}
	return 0;
}

void
ui_run_progress(struct ui *u, const char *text, const char *json, int64_t at)
{
	struct buf b = {0};
	char t[32];

	if (u->mode == UI_TTY) {
		free(u->progress);
		u->progress = xstrdup(text);
		return;
	}
	if (u->mode == UI_JSON) {
		json_event(&b, "progress", u->run, at);
		buf_addf(&b, ",%s}\n", json);
		emit(&b);
		fflush(stdout);
		return;
	}
	if (u->quiet)
		return;
	buf_addf(&b, "%s runjob: progress: %s\n", clock_utc(at, t, sizeof(t)),
		text);
	emit(&b);
}

/* A note from runjob itself, on f (stdout or stderr) unless --json. */
static void
note(struct ui *u, FILE *f, int64_t at, const char *fmt, va_list ap)
{
	struct buf b = {0};
	va_list aq;
	char t[32], *msg;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	msg = xmalloc((size_t)n + 1);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	if (u->mode == UI_JSON) {
		f = stdout;
		json_event(&b, "note", u->run, at);
		buf_adds(&b, ",\"message\":");
		buf_add_json(&b, msg);
		buf_adds(&b, "}\n");
	} else {
		erase(u);
		if (u->mode == UI_PLAIN)
			buf_addf(&b, "%s ", clock_utc(at, t, sizeof(t)));
		buf_addf(&b, "runjob: %s\n", visible(msg));
	}
	free(msg);
	if (f != stdout)
		fflush(stdout);
	fwrite(b.s, 1, b.len, f);
	buf_free(&b);
	if (u->mode == UI_TTY)
		draw(u, at);
	fflush(f);
}

void
ui_note(struct ui *u, int64_t at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(u, stdout, at, fmt, ap);
	va_end(ap);
}

void
ui_warn(struct ui *u, int64_t at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(u, stderr, at, fmt, ap);
	va_end(ap);
}

void
ui_run_finished(struct ui *u, const char *state, int exit_code,
	int64_t duration, int64_t at)
{
	struct buf b = {0};
	char t[32], d[32];
	const char *c = strcmp(state, "succeeded") == 0 ? C_GREEN : C_RED;

	if (u->mode == UI_JSON) {
		json_event(&b, "run-finished", u->run, at);
		buf_adds(&b, ",\"state\":");
		buf_add_json(&b, state);
		buf_addf(&b, ",\"exit_code\":%d,\"duration_ms\":%lld}\n",
			exit_code, (long long)duration);
		emit(&b);
		fflush(stdout);
		return;
	}
	erase(u);
	if (u->mode == UI_PLAIN)
		buf_addf(&b, "%s ", clock_utc(at, t, sizeof(t)));
	buf_addf(&b, "runjob: run %s %s%s%s after %s (exit %d)\n", u->run,
		color(u, c), state, color(u, C_RESET),
		ui_duration(duration, d, sizeof(d)), exit_code);
	emit(&b);
	fflush(stdout);
}
