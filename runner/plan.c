/*
 * plan.c - expanding and showing the plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "expand.h"
#include "name.h"
#include "plan.h"
#include "ui.h"
#include "units.h"
#include "util.h"
#include "visible.h"
#include "window.h"

/* How many of the next openings plan shows. */
#define PLAN_OPENINGS	5

/* The items of a for_each written as '${{ params.X }}': X's value split
 * at commas, each item trimmed, empty ones dropped. */
static size_t
param_items(struct plan *p, const struct step *s, const char ***out)
{
	const char *why, *value = NULL, *q;
	struct ref r;
	char *name;

	if (expand_scan(s->for_each_expr, NULL, NULL, &why) < 0)
		return 0;
	q = strstr(s->for_each_expr, "params.");
	if (!q)
		return 0;
	r.name = q + 7;
	r.namelen = strcspn(r.name, " }");
	name = xstrndup(r.name, r.namelen);
	value = param_value(p->job, p->pv, name);
	free(name);
	return arena_split_list(&p->arena, value ? value : "", out);
}

int
plan_build(struct plan *p, const struct job *job, const struct graph *g,
	const struct param_values *pv, struct diags *d)
{
	size_t nerrors = d->nerrors, i, j, total = 0;
	unsigned char *repeat;
	const char ***items = xcalloc(job->nsteps + 1, sizeof(*items));
	size_t *nitems = xcalloc(job->nsteps + 1, sizeof(*nitems));

	memset(p, 0, sizeof(*p));
	p->job = job;
	p->g = g;
	p->pv = pv;
	for (i = 0; i < job->nsteps; i++) {
		const struct step *s = &job->steps[i];

		if (s->for_each_expr) {
			nitems[i] = param_items(p, s, &items[i]);
			if (!nitems[i])
				diag_error(d, MARK_FILE(job, s->for_each_at),
				    s->for_each_at.line,
					s->for_each_at.col, "step '%s': for_each "
					"'%s' gives no items; the param must hold "
					"a comma-separated list", s->id,
					s->for_each_expr);
			repeat = xmalloc(nitems[i] + 1);
			find_repeats(items[i], nitems[i], repeat);
			for (j = 0; j < nitems[i]; j++) {
				name_check_item(items[i][j], d, job->file,
					s->for_each_at.line, s->for_each_at.col);
				if (repeat[j])
					diag_error(d, job->file,
						s->for_each_at.line,
						s->for_each_at.col, "step '%s': "
						"for_each item '%s' comes twice",
						s->id, items[i][j]);
			}
			free(repeat);
		} else if (s->nfor_each) {
			items[i] = s->for_each;
			nitems[i] = s->nfor_each;
		}
		total += nitems[i] ? nitems[i] : 1;
	}
	if (total > JOB_MAX_STEPS)
		diag_error(d, job->file, 0, 0, "for_each expands the job to %zu "
			"steps; a job is limited to %d", total, JOB_MAX_STEPS);
	if (d->nerrors > nerrors) {
		free(items);
		free(nitems);
		arena_free(&p->arena);
		return -1;
	}

	p->v = xcalloc(total + 1, sizeof(*p->v));
	p->first = xcalloc(job->nsteps + 1, sizeof(*p->first));
	for (i = 0; i < job->nsteps; i++) {
		const struct step *s = &job->steps[i];

		p->first[i] = p->n;
		if (!nitems[i]) {
			p->v[p->n].step = i;
			p->v[p->n].id = s->id;
			p->n++;
			continue;
		}
		for (j = 0; j < nitems[i]; j++) {
			p->v[p->n].step = i;
			p->v[p->n].item = items[i][j];
			p->v[p->n].id = arena_printf(&p->arena, "%s[%s]", s->id,
				items[i][j]);
			p->n++;
		}
	}
	p->first[job->nsteps] = p->n;
	free(items);
	free(nitems);
	return 0;
}

void
plan_free(struct plan *p)
{
	free(p->v);
	free(p->first);
	arena_free(&p->arena);
	memset(p, 0, sizeof(*p));
}

/* Printing. */

struct printer {
	const struct plan *p;
	const struct mask *m;
	const struct plan_step *ps;	/* the instance being printed */
	const struct plan_times *times;	/* NULL: none known */
	struct buf out, tmp;
};

static const char *
display_value(void *arg, const struct ref *r)
{
	struct printer *pr = arg;
	char *name;
	const char *v;

	switch (r->kind) {
	case REF_PARAM:
		name = xstrndup(r->name, r->namelen);
		v = param_value(pr->p->job, pr->p->pv, name);
		free(name);
		return v;
	case REF_ITEM:
		return pr->ps ? pr->ps->item : NULL;
	default:
		return NULL;	/* known only when the job runs */
	}
}

/* s with params and the item expanded, as shown to a person. */
static const char *
display(struct printer *pr, const char *s)
{
	const char *why;

	buf_reset(&pr->tmp);
	if (expand(&pr->tmp, s, display_value, pr, &why) < 0) {
		buf_reset(&pr->tmp);
		buf_adds(&pr->tmp, s);
	}
	return mask_str(pr->m, buf_str(&pr->tmp));
}

/* The first line of shell text, cut to fit a terminal line. */
static void
add_short(struct buf *b, const char *s)
{
	size_t n = strcspn(s, "\n"), max = 72;

	if (n > max) {
		buf_add_visible(b, s, max - 3);
		buf_adds(b, "...");
	} else {
		buf_add_visible(b, s, n);
		if (s[n] && s[n + 1])
			buf_adds(b, " ...");
	}
}

static void
add_settings(struct printer *pr, struct buf *b, const struct action *a)
{
	size_t i, k;

	buf_adds(b, "{");
	for (i = 0; i < a->nsettings; i++) {
		const struct setting *set = &a->settings[i];

		buf_addf(b, "%s%s: %s", i ? ", " : "", set->name,
			set->list ? "[" : "");
		for (k = 0; k < set->nvalues; k++)
			buf_addf(b, "%s%s", k ? ", " : "", display(pr,
				set->values[k]));
		buf_adds(b, set->list ? "]" : "");
	}
	buf_adds(b, "}");
}

static void
add_action(struct printer *pr, struct buf *b, const struct action *a)
{
	char d[32];

	buf_addf(b, "%s: ", action_name(a));
	if (a->kind == ACT_RUN)	/* the step's own text, past its prelude */
		add_short(b, mask_str(pr->m, a->run + a->prelude));
	else if (a->kind == ACT_APPROVE)
		buf_addf(b, "wait for a person%s%s%s%s", a->message ? ": " : "",
			a->message ? a->message : "", a->wait_ms > 0 ?
			", at most " : "", a->wait_ms > 0 ?
			format_duration(a->wait_ms, d, sizeof(d)) : "");
	else
		add_settings(pr, b, a);
}

static void
add_retry(struct buf *b, const struct retry *r)
{
	char t[32];

	buf_addf(b, "retry %d attempts", r->attempts);
	if (r->delay_ms)
		buf_addf(b, ", delay %s", format_duration(r->delay_ms, t,
			sizeof(t)));
	if (r->backoff != 1)
		buf_addf(b, ", backoff %g", r->backoff);
	if (r->max_delay_ms >= 0)
		buf_addf(b, ", max %s", format_duration(r->max_delay_ms, t,
			sizeof(t)));
	if (r->non_exit) {
		size_t i;

		buf_adds(b, ", on exit ");
		for (i = 0; i < r->non_exit; i++)
			buf_addf(b, "%s%d", i ? "," : "", r->on_exit[i]);
	}
}

/* The ids of the steps s needs, fan-outs shown as "ID[*]". */
static void
add_needs(struct printer *pr, struct buf *b, size_t s, const char *sep,
	int json)
{
	const struct graph *g = pr->p->g;
	size_t j, n = 0;

	for (j = g->dep_start[s]; j < g->dep_start[s + 1]; j++) {
		size_t dep = g->deps[j], k;

		for (k = pr->p->first[dep]; k < pr->p->first[dep + 1]; k++) {
			if (n++)
				buf_adds(b, sep);
			if (json)
				buf_add_json(b, pr->p->v[k].id);
			else
				buf_adds(b, pr->p->v[k].id);
		}
	}
}

/* The window state at now and the next openings, for people. */
static void
window_text(struct buf *b, const struct job *job)
{
	int64_t now = now_ms(), opens[PLAN_OPENINGS], closes[PLAN_OPENINGS];
	char x[160], y[160];
	struct wstate w;
	size_t i, n;

	window_state(job, now, &w);
	if (!w.any)
		return;
	buf_addf(b, "\nwindow (times in %s and UTC; now %s)\n",
		job->schedule.zone->name, window_when(job, now, x, sizeof(x)));
	if (w.open)
		buf_addf(b, "  open %s%s\n", w.closes ? "until " : "",
			w.closes ? window_when(job, w.closes, x, sizeof(x)) : "");
	else if (w.opens)
		buf_addf(b, "  closed; opens %s\n", window_when(job, w.opens, x,
			sizeof(x)));
	else
		buf_adds(b, "  closed; no opening in sight\n");
	if (w.blackout)
		buf_addf(b, "  blackout in force: %s%s%s\n", w.blackout,
			w.blackout_ends ? ", until " : "", w.blackout_ends ?
			window_when(job, w.blackout_ends, x, sizeof(x)) : "");
	n = window_next(job, now, PLAN_OPENINGS, opens, closes);
	if (n)
		buf_addf(b, "next %zu opening%s\n", n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		buf_addf(b, "  %s to %s\n", window_when(job, opens[i], x,
			sizeof(x)), closes[i] ? window_when(job, closes[i], y,
			sizeof(y)) : "no end in sight");
}

static void
window_json(struct buf *b, const struct job *job)
{
	int64_t now = now_ms(), opens[PLAN_OPENINGS], closes[PLAN_OPENINGS];
	struct wstate w;
	size_t i, n;

	window_state(job, now, &w);
	buf_adds(b, ",\"window\":");
	if (!w.any) {
		buf_adds(b, "null");
		return;
	}
	buf_adds(b, "{\"timezone\":");
	buf_add_json(b, job->schedule.zone->name);
	buf_addf(b, ",\"on_window_close\":\"%s\",\"open\":%s,",
		job->on_window_close == ON_WINDOW_CLOSE_ROLLBACK ? "rollback" :
		"pause", w.open ? "true" : "false");
	window_json_at(b, "at", job, now);
	buf_adds(b, ",");
	window_json_at(b, "closes", job, w.open ? w.closes : 0);
	buf_adds(b, ",");
	window_json_at(b, "opens", job, w.open ? 0 : w.opens);
	buf_adds(b, ",\"blackout\":");
	if (w.blackout) {
		buf_adds(b, "{\"reason\":");
		buf_add_json(b, w.blackout);
		buf_adds(b, ",");
		window_json_at(b, "ends", job, w.blackout_ends);
		buf_adds(b, "}");
	} else {
		buf_adds(b, "null");
	}
	buf_adds(b, ",\"next\":[");
	n = window_next(job, now, PLAN_OPENINGS, opens, closes);
	for (i = 0; i < n; i++) {
		buf_adds(b, i ? ",{" : "{");
		window_json_at(b, "opens", job, opens[i]);
		buf_adds(b, ",");
		window_json_at(b, "closes", job, closes[i]);
		buf_adds(b, "}");
	}
	buf_adds(b, "]}");
}

/* The whole run's expected duration, and what it leaves out. */
static void
times_text(struct buf *b, const struct plan_times *tm, size_t n)
{
	char d[32];

	buf_addf(b, "expected duration %s with %d step%s at once (each step "
		"its median in past runs, placed in plan order as soon as a "
		"slot is free)", ui_duration(tm->total, d, sizeof(d)), tm->jobs,
		tm->jobs == 1 ? "" : "s");
	if (tm->unknown)
		buf_addf(b, "; %zu of %zu step%s ha%s no history and %s not "
			"counted", tm->unknown, n, n == 1 ? "" : "s",
			tm->unknown == 1 ? "s" : "ve", tm->unknown == 1 ? "is" :
			"are");
	buf_adds(b, "\n");
}

static void
print_text(struct printer *pr)
{
	const struct plan *p = pr->p;
	const struct job *job = p->job;
	const struct graph *g = p->g;
	struct buf *b = &pr->out;
	size_t i, j, width = 0;
	unsigned wave = (unsigned)-1;
	char t[32];
	int any = 0;

	buf_addf(b, "job %s (%s)\n", job->name, job->file);
	if (job->description)
		buf_addf(b, "  %s\n", mask_str(pr->m, job->description));
	buf_addf(b, "%zu step%s in %u wave%s; on failure: %s", p->n,
		p->n == 1 ? "" : "s", g->nwaves, g->nwaves == 1 ? "" : "s",
		job->on_failure == ON_FAILURE_ROLLBACK ? "rollback" :
		job->on_failure == ON_FAILURE_CONTINUE ? "continue" : "stop");
	if (job->concurrency)
		buf_addf(b, "; concurrency %d", job->concurrency);
	if (job->timeout_ms >= 0)
		buf_addf(b, "; timeout %s", format_duration(job->timeout_ms,
			t, sizeof(t)));
	if (job->schedule.nwindows)
		buf_addf(b, "; on window close: %s", job->on_window_close ==
			ON_WINDOW_CLOSE_ROLLBACK ? "rollback" : "pause");
	buf_adds(b, "\n");
	if (pr->times && pr->times->unknown < p->n)
		times_text(b, pr->times, p->n);
	window_text(b, job);

	if (job->nparams) {
		buf_adds(b, "\nparams\n");
		for (i = 0; i < job->nparams; i++)
			if (strlen(job->params[i].name) > width)
				width = strlen(job->params[i].name);
		for (i = 0; i < job->nparams; i++) {
			const struct param *pa = &job->params[i];

			buf_addf(b, "  %-*s = %s  (%s%s)\n", (int)width, pa->name,
				pa->secret ? MASK_TEXT :
				visible(mask_str(pr->m, p->pv->value[i])),
				p->pv->source[i], pa->secret ? ", secret" : "");
		}
	}

	for (width = 0, i = 0; i < p->n; i++)
		if (strlen(p->v[i].id) > width)
			width = strlen(p->v[i].id);
	if (width > 30)
		width = 30;
	for (i = 0; i < g->n; i++) {
		size_t s = g->order[i];
		const struct step *st = &job->steps[s];

		if (g->wave[s] != wave) {
			wave = g->wave[s];
			buf_addf(b, "\nwave %u\n", wave + 1);
		}
		for (j = p->first[s]; j < p->first[s + 1]; j++) {
			struct buf detail = {0};

			pr->ps = &p->v[j];
			buf_addf(b, "  %-*s  ", (int)width, p->v[j].id);
			add_action(pr, b, &st->action);
			buf_adds(b, "\n");
			if (st->nneeds) {
				buf_adds(&detail, "needs ");
				add_needs(pr, &detail, s, ", ", 0);
			}
			if (st->if_) {
				buf_adds(&detail, detail.len ? "; if: " : "if: ");
				add_short(&detail, mask_str(pr->m, st->if_ +
					st->if_prelude));
			}
			if (st->timeout_ms >= 0)
				buf_addf(&detail, "%stimeout %s", detail.len ?
					"; " : "", format_duration(st->timeout_ms,
					t, sizeof(t)));
			if (st->retry.attempts > 1) {
				buf_adds(&detail, detail.len ? "; " : "");
				add_retry(&detail, &st->retry);
			}
			if (st->rollback.kind != ACT_NONE)
				buf_adds(&detail, detail.len ? "; has rollback" :
					"has rollback");
			if (pr->times && pr->times->ms[j] >= 0)
				buf_addf(&detail, "%sexpected %s (median of %d)",
					detail.len ? "; " : "", ui_duration(
					pr->times->ms[j], t, sizeof(t)),
					pr->times->runs[j]);
			if (detail.len)
				buf_addf(b, "  %-*s  %s\n", (int)width, "",
					buf_str(&detail));
			if (st->from)
				buf_addf(b, "  %-*s  from %s\n", (int)width, "",
					st->from);
			buf_free(&detail);
		}
	}

	for (i = g->n; i-- > 0; ) {
		size_t s = g->order[i];
		const struct step *st = &job->steps[s];

		if (st->rollback.kind == ACT_NONE)
			continue;
		if (!any++)
			buf_adds(b, "\nrollback order (newest first)\n");
		for (j = p->first[s + 1]; j-- > p->first[s]; ) {
			pr->ps = &p->v[j];
			buf_addf(b, "  %-*s  ", (int)width, p->v[j].id);
			add_action(pr, b, &st->rollback);
			buf_adds(b, "\n");
		}
	}
	if (!any)
		buf_adds(b, "\nno step has a rollback action\n");
}

static void
json_action(struct printer *pr, struct buf *b, const struct action *a)
{
	buf_adds(b, "{\"kind\":");
	buf_add_json(b, action_name(a));
	if (a->kind == ACT_RUN) {
		buf_adds(b, ",\"run\":");
		buf_add_json(b, mask_str(pr->m, a->run));
		if (a->shell) {
			buf_adds(b, ",\"shell\":");
			buf_add_json(b, a->shell);
		}
	} else if (a->kind == ACT_APPROVE) {
		if (a->message) {
			buf_adds(b, ",\"message\":");
			buf_add_json(b, a->message);
		}
		if (a->wait_ms > 0)
			buf_addf(b, ",\"timeout_ms\":%lld", a->wait_ms);
	} else if (a->kind == ACT_BUILTIN) {
		struct buf c = {0};

		add_settings(pr, &c, a);
		buf_adds(b, ",\"config\":");
		buf_add_json(b, buf_str(&c));
		buf_free(&c);
	}
	buf_adds(b, "}");
}

static void
print_json(struct printer *pr)
{
	const struct plan *p = pr->p;
	const struct job *job = p->job;
	const struct graph *g = p->g;
	struct buf *b = &pr->out;
	size_t i, j, n = 0;

	buf_adds(b, "{\"job\":");
	buf_add_json(b, job->name);
	buf_adds(b, ",\"file\":");
	buf_add_json(b, job->file);
	window_json(b, job);
	if (pr->times && pr->times->unknown < p->n)
		buf_addf(b, ",\"expected\":{\"ms\":%lld,\"jobs\":%d,"
			"\"no_history\":%zu}", (long long)pr->times->total,
			pr->times->jobs, pr->times->unknown);
	buf_adds(b, ",\"params\":[");
	for (i = 0; i < job->nparams; i++) {
		const struct param *pa = &job->params[i];

		buf_adds(b, i ? ",{\"name\":" : "{\"name\":");
		buf_add_json(b, pa->name);
		buf_adds(b, ",\"value\":");
		buf_add_json(b, pa->secret ? MASK_TEXT :
			mask_str(pr->m, p->pv->value[i]));
		buf_adds(b, ",\"source\":");
		buf_add_json(b, p->pv->source[i]);
		buf_addf(b, ",\"secret\":%s}", pa->secret ? "true" : "false");
	}
	buf_adds(b, "],\"steps\":[");
	for (i = 0; i < g->n; i++) {
		size_t s = g->order[i];
		const struct step *st = &job->steps[s];

		for (j = p->first[s]; j < p->first[s + 1]; j++) {
			pr->ps = &p->v[j];
			buf_adds(b, n++ ? ",{\"id\":" : "{\"id\":");
			buf_add_json(b, p->v[j].id);
			buf_adds(b, ",\"step\":");
			buf_add_json(b, st->id);
			buf_adds(b, ",\"from\":");
			if (st->from) {
				buf_add_json(b, st->from);
			} else {
				char *at = xasprintf("%s:%u", job->file,
					st->at.line);

				buf_add_json(b, at);
				free(at);
			}
			if (p->v[j].item) {
				buf_adds(b, ",\"item\":");
				buf_add_json(b, p->v[j].item);
			}
			buf_addf(b, ",\"wave\":%u,\"action\":", g->wave[s] + 1);
			json_action(pr, b, &st->action);
			buf_adds(b, ",\"needs\":[");
			add_needs(pr, b, s, ",", 1);
			buf_adds(b, "]");
			if (st->if_) {
				buf_adds(b, ",\"if\":");
				buf_add_json(b, mask_str(pr->m, st->if_));
			}
			if (st->timeout_ms >= 0)
				buf_addf(b, ",\"timeout_ms\":%lld", st->timeout_ms);
			if (pr->times && pr->times->ms[j] >= 0)
				buf_addf(b, ",\"expected_ms\":%lld,"
					"\"expected_of\":%d",
					(long long)pr->times->ms[j],
					pr->times->runs[j]);
			buf_addf(b, ",\"retry\":{\"attempts\":%d,\"delay_ms\":%lld,"
				"\"backoff\":%g", st->retry.attempts,
				st->retry.delay_ms, st->retry.backoff);
			if (st->retry.max_delay_ms >= 0)
				buf_addf(b, ",\"max_delay_ms\":%lld",
					st->retry.max_delay_ms);
			if (st->retry.non_exit) {
				size_t e;

				buf_adds(b, ",\"on_exit\":[");
				for (e = 0; e < st->retry.non_exit; e++)
					buf_addf(b, "%s%d", e ? "," : "",
						st->retry.on_exit[e]);
				buf_adds(b, "]");
			}
			buf_adds(b, "}");
			if (st->rollback.kind != ACT_NONE) {
				buf_adds(b, ",\"rollback\":");
				json_action(pr, b, &st->rollback);
			}
			buf_adds(b, "}");
		}
	}
	buf_addf(b, "],\"waves\":%u,\"rollback_order\":[", g->nwaves);
	for (n = 0, i = g->n; i-- > 0; ) {
		size_t s = g->order[i];

		if (job->steps[s].rollback.kind == ACT_NONE)
			continue;
		for (j = p->first[s + 1]; j-- > p->first[s]; ) {
			if (n++)
				buf_adds(b, ",");
			buf_add_json(b, p->v[j].id);
		}
	}
	buf_adds(b, "]}\n");
}

static void
dot_id(struct buf *b, const char *id)
{
	buf_addc(b, '"');
	for (; *id; id++) {
		if (*id == '"' || *id == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *id);
	}
	buf_addc(b, '"');
}

static void
print_dot(struct printer *pr)
{
	const struct plan *p = pr->p;
	const struct graph *g = p->g;
	struct buf *b = &pr->out;
	size_t i, j, k, e;

	buf_adds(b, "digraph ");
	dot_id(b, p->job->name);
	buf_adds(b, " {\n\trankdir=LR;\n\tnode [shape=box];\n");
	for (i = 0; i < g->n; i++) {
		size_t s = g->order[i];

		for (j = p->first[s]; j < p->first[s + 1]; j++) {
			buf_adds(b, "\t");
			dot_id(b, p->v[j].id);
			buf_adds(b, ";\n");
			for (e = g->dep_start[s]; e < g->dep_start[s + 1]; e++) {
				size_t dep = g->deps[e];

				for (k = p->first[dep]; k < p->first[dep + 1]; k++) {
					buf_adds(b, "\t");
					dot_id(b, p->v[k].id);
					buf_adds(b, " -> ");
					dot_id(b, p->v[j].id);
					buf_adds(b, ";\n");
				}
			}
		}
		/* Keep memory flat on a million steps: flush as we go. */
		if (b->len > (1 << 20)) {
			fwrite(b->s, 1, b->len, stdout);
			buf_reset(b);
		}
	}
	buf_adds(b, "}\n");
}

void
plan_print(const struct plan *p, const struct mask *m, enum plan_format fmt)
{
	plan_print_times(p, m, fmt, NULL);
}

void
plan_print_times(const struct plan *p, const struct mask *m,
	enum plan_format fmt, const struct plan_times *times)
{
	struct printer pr = { .p = p, .m = m, .times = times };

	if (fmt == PLAN_JSON)
		print_json(&pr);
	else if (fmt == PLAN_DOT)
		print_dot(&pr);
	else
		print_text(&pr);
	fwrite(pr.out.s ? pr.out.s : "", 1, pr.out.len, stdout);
	buf_free(&pr.out);
	buf_free(&pr.tmp);
}
