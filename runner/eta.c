/*
 * eta.c - expected durations from the journal, and a run's end.
 *
 * A step's expected duration is the median of its last 50 tries that
 * succeeded in the job's earlier runs: one try that hung for an hour,
 * or one that found nothing to do, does not move it as it would a mean;
 * and a step that has grown slower with its data is expected to take
 * what it takes now, not what it took a year ago. Reading 50 costs the
 * same after a year of runs as after a week.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "eta.h"
#include "ui.h"
#include "util.h"

struct walk {
	struct history *h;
	const struct plan *p;
	size_t *order;		/* the instances, by id */
	size_t next;		/* the first in order not passed yet */
	char *id;		/* the step_id of the rows in ms */
	int64_t *ms;
	size_t n, cap;
};

static int
by_id(const void *a, const void *b, void *arg)
{
	const struct plan *p = arg;

	return strcmp(p->v[*(const size_t *)a].id, p->v[*(const size_t *)b].id);
}

/* The rows of one step_id came to an end: its median to the instance
 * of that id, if the plan has one. Rows and order are both by id, so
 * one pass over each finds them all. */
static void
settle(struct walk *w)
{
	int c = 1;

	if (!w->id)
		return;
	while (w->next < w->p->n && (c = strcmp(w->p->v[w->order[w->next]].id,
	    w->id)) < 0)
		w->next++;
	if (c == 0 && w->n) {
		size_t i = w->order[w->next];

		w->h->median[i] = w->n % 2 ? w->ms[w->n / 2] :
			(w->ms[w->n / 2 - 1] + w->ms[w->n / 2]) / 2;
		w->h->count[i] = (int)w->n;
	}
	free(w->id);
	w->id = NULL;
	w->n = 0;
}

static int
duration_row(void *arg, const struct jrow *row)
{
	struct walk *w = arg;
	const char *id = jrow_get(row, "step_id"), *v = jrow_get(row, "ms");

	if (!id || !v)
		return 0;
	if (!w->id || strcmp(w->id, id) != 0) {
		settle(w);
		w->id = xstrdup(id);
	}
	xgrow(&w->ms, &w->cap, w->n + 1, sizeof(*w->ms));
	w->ms[w->n++] = strtoll(v, NULL, 10);
	return 0;
}

int
history_load(struct history *h, struct journal *j, const struct plan *p,
	const char *run)
{
	struct walk w = { h, p, NULL, 0, NULL, NULL, 0, 0 };
	const char **ids;
	size_t i;
	int r;

	h->median = xcalloc(p->n + 1, sizeof(*h->median));
	h->count = xcalloc(p->n + 1, sizeof(*h->count));
	for (i = 0; i < p->n; i++)
		h->median[i] = -1;
	w.order = xcalloc(p->n + 1, sizeof(*w.order));
	for (i = 0; i < p->n; i++)
		w.order[i] = i;
	qsort_r(w.order, p->n, sizeof(*w.order), by_id, (void *)p);
	ids = xcalloc(p->n + 1, sizeof(*ids));
	for (i = 0; i < p->n; i++)
		ids[i] = p->v[i].id;
	r = journal_recent_durations(j, p->job->name, run, ids, p->n,
		HISTORY_RECENT, duration_row, &w);
	settle(&w);
	if (r < 0)
		for (i = 0; i < p->n; i++) {
			h->median[i] = -1;
			h->count[i] = 0;
		}
	free(ids);
	free(w.order);
	free(w.ms);
	return r;
}

void
history_free(struct history *h)
{
	free(h->median);
	free(h->count);
	h->median = NULL;
	h->count = NULL;
}

/* The slots, as a min-heap of when each comes free: the root is the
 * first free. It is taken until v, and sinks to its place. */
static void
take_first(int64_t *free_at, size_t n, int64_t v)
{
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && free_at[c + 1] < free_at[c])
			c++;
		if (free_at[c] >= v)
			break;
		free_at[i] = free_at[c];
		i = c;
	}
	free_at[i] = v;
}

int64_t
eta_finish(const struct plan *p, const int64_t *left,
	const unsigned char *running, int jobs, size_t *unknown)
{
	const struct graph *g = p->g;
	size_t nw = jobs > 0 ? (size_t)jobs : 1, i, k, inst;
	int64_t *free_at, *step_end, end = 0;

	*unknown = 0;
	if (nw > p->n)
		nw = p->n ? p->n : 1;
	free_at = xcalloc(nw, sizeof(*free_at));
	step_end = xcalloc(g->n + 1, sizeof(*step_end));
	/* What runs holds its worker from now: placed first. */
	for (i = 0; running && i < g->n; i++) {
		size_t st = g->order[i];

		for (inst = p->first[st]; inst < p->first[st + 1]; inst++) {
			int64_t end_at;

			if (!running[inst])
				continue;
			*unknown += left[inst] < 0;
			end_at = free_at[0] + (left[inst] > 0 ? left[inst] : 0);
			take_first(free_at, nw, end_at);
			if (end_at > step_end[st])
				step_end[st] = end_at;
		}
	}
	for (i = 0; i < g->n; i++) {
		size_t st = g->order[i];
		int64_t ready = 0;

		for (k = g->dep_start[st]; k < g->dep_start[st + 1]; k++)
			if (step_end[g->deps[k]] > ready)
				ready = step_end[g->deps[k]];
		for (inst = p->first[st]; inst < p->first[st + 1]; inst++) {
			int64_t end_at;

			if (running && running[inst])
				continue;
			if (left[inst] == 0) {
				/* Ended, or will not run: it waits for nothing
				 * and holds no worker, but what needs it still
				 * waits for what it needed. */
				if (ready > step_end[st])
					step_end[st] = ready;
				continue;
			}
			*unknown += left[inst] < 0;
			end_at = (free_at[0] > ready ? free_at[0] : ready) +
				(left[inst] > 0 ? left[inst] : 0);
			take_first(free_at, nw, end_at);
			if (end_at > step_end[st])
				step_end[st] = end_at;
		}
	}
	for (i = 0; i < g->n; i++)
		if (step_end[i] > end)
			end = step_end[i];
	free(free_at);
	free(step_end);
	return end;
}

void
progress_text(struct buf *b, const struct progress *pg)
{
	char d[32], t[32];

	buf_addf(b, "%zu of %zu step%s, %s elapsed", pg->done, pg->total,
		pg->total == 1 ? "" : "s", ui_duration(pg->elapsed, d,
		sizeof(d)));
	if (pg->done >= pg->total)
		return;
	if (pg->eta < 0) {
		buf_addf(b, ", ETA unknown: no step left has succeeded before");
		return;
	}
	/* The clock time, as the plain lines give theirs: UTC; none when
	 * a person's answer comes first. */
	clock_utc(pg->at + pg->eta, t, sizeof(t));
	if (pg->gates)
		buf_addf(b, ", ETA %s%s after approval", pg->unknown ?
			"at least " : "", ui_duration(pg->eta, d, sizeof(d)));
	else
		buf_addf(b, ", ETA %s%s (%s)", pg->unknown ? "at least " : "",
			ui_duration(pg->eta, d, sizeof(d)), t + 11);
	if (pg->unknown)
		buf_addf(b, ": %zu step%s left ha%s no history", pg->unknown,
			pg->unknown == 1 ? "" : "s", pg->unknown == 1 ? "s" :
			"ve");
}

void
progress_json(struct buf *b, const struct progress *pg)
{
	buf_addf(b, "\"done\":%zu,\"total\":%zu,\"elapsed_ms\":%lld",
		pg->done, pg->total, (long long)pg->elapsed);
	if (pg->eta >= 0)
		buf_addf(b, ",\"eta_ms\":%lld", (long long)pg->eta);
	else
		buf_adds(b, ",\"eta_ms\":null");
	buf_addf(b, ",\"no_history\":%zu,\"gates\":%zu", pg->unknown,
		pg->gates);
}

double
progress_fraction(const char *line)
{
	const char *p;

	/* "120 of 400 keys": the first number of a number. */
	for (p = strstr(line, " of "); p; p = strstr(p + 1, " of ")) {
		const char *q = p;
		long long done, total;
		char *end;

		while (q > line && q[-1] >= '0' && q[-1] <= '9')
			q--;
		if (q == p || (total = strtoll(p + 4, &end, 10), end == p + 4))
			continue;
		done = strtoll(q, NULL, 10);
		if (total <= 0)
			continue;
		return done >= total ? 1.0 : (double)done / (double)total;
	}
	return -1;
}
