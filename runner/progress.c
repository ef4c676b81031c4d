/*
 * progress.c - where a running run stands, said as it goes: steps
 * done of all, time elapsed and the ETA, in the live view, on a line of
 * its own every RUNJOB_PROGRESS_INTERVAL off a terminal, as progress
 * events with --json, and in the run's log directory for runjob status;
 * and a step that runs far longer than it did before, said once.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "eta.h"
#include "scheduler_int.h"
#include "util.h"

enum {
	PROGRESS_MS = 1000,		/* how often it is worked out */
	OVERRUN_FACTOR = 2,		/* a step overruns at twice its median */
	OVERRUN_MIN_MS = 60000,		/* and at least this much more */
};

static int64_t
median_of(const struct sched *s, size_t task)
{
	return s->r->history ? s->r->history->median[task] : -1;
}

/* What a running try has still to do: what its built-in says it has
 * left at the pace it went so far, else its median less what it ran. */
static int64_t
left_of(const struct sched *s, const struct attempt *a, int64_t now)
{
	int64_t ran = now - a->started, med = median_of(s, a->task);

	if (a->done_frac > 0 && a->done_frac <= 1)
		return (int64_t)((double)ran * (1 - a->done_frac) /
			a->done_frac);
	if (med < 0)
		return -1;
	return med > ran ? med - ran : 0;
}

static void
snapshot(struct sched *s, int64_t now, struct progress *pg)
{
	int64_t *left = xcalloc(s->p->n + 1, sizeof(*left));
	unsigned char *running = xcalloc(s->p->n + 1, 1);
	size_t i, ahead = 0, known = 0;

	memset(pg, 0, sizeof(*pg));
	pg->at = now;
	pg->elapsed = now - s->r->started;
	for (i = 0; i < s->p->n; i++) {
		const struct task *t = &s->t[i];

		if (t->result == RES_EXCLUDED)
			continue;
		pg->total++;
		if (t->state == T_DONE) {
			pg->done++;
			continue;
		}
		/* A gate's wait is a person's, which no history tells. */
		if (inst_step(s, i)->action.kind == ACT_APPROVE) {
			pg->gates++;
			continue;
		}
		ahead++;
		left[i] = median_of(s, i);
	}
	for (i = 0; i < s->na; i++) {
		const struct attempt *a = s->a[i];

		/* A start recorded but not made yet waits, as what is to
		 * start does. */
		if (a->kind == K_ROLLBACK || !a->launched || a->done ||
		    s->t[a->task].state == T_DONE)
			continue;
		running[a->task] = 1;
		left[a->task] = left_of(s, a, now);
	}
	for (i = 0; i < s->p->n; i++)
		known += s->t[i].state != T_DONE && left[i] >= 0 &&
			inst_step(s, i)->action.kind != ACT_APPROVE;
	pg->eta = eta_finish(s->p, left, running, s->jobs, &pg->unknown);
	if (ahead && !known)
		pg->eta = -1;
	free(left);
	free(running);
}

/* For runjob status, which reads it while the run goes on: the text on
 * the first line, the JSON members on the second. Written whole, then
 * renamed, so that it is never read half done. When it was so is the
 * run's clock, which RUNJOB_NOW may have set, not the file's time. */
static void
keep(const struct sched *s, const struct buf *text, const struct buf *json)
{
	char *path = xasprintf("%s/progress", s->r->logdir);
	char *tmp = xasprintf("%s/progress.tmp", s->r->logdir);
	struct buf b = {0};
	int fd;

	buf_addf(&b, "%s\n%s,\"at\":%lld\n", buf_str(text), buf_str(json),
		(long long)s->progress_at);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		write_full(fd, b.s, b.len);
		if (close(fd) == 0)
			rename(tmp, path);
		else
			unlink(tmp);
	}
	buf_free(&b);
	free(path);
	free(tmp);
}

/* A try running more than twice as long as its step's median, and a
 * minute longer at least: said on the screen, journaled and sent to
 * the step-overrun hooks, once a try. */
static void
overrun(struct sched *s, struct attempt *a, int64_t now)
{
	int64_t ran = now - a->started, med = median_of(s, a->task);
	const char *id = inst_id(s, a->task);
	struct buf data = {0};
	char r[32], m[32], *summary;
	struct notice nt = { s->p, s->r->run_id, "running", NULL, s->r->dir };

	if (a->overrun || a->kind != K_STEP || !a->made || a->done ||
	    med < 0 || ran <= OVERRUN_FACTOR * med || ran - med < OVERRUN_MIN_MS)
		return;
	a->overrun = 1;
	ui_duration(ran, r, sizeof(r));
	ui_duration(med, m, sizeof(m));
	buf_addf(&data, "{\"attempt\":%d,\"attempt_id\":", a->n);
	buf_add_json(&data, a->id);
	buf_addf(&data, ",\"elapsed_ms\":%lld,\"median_ms\":%lld,"
		"\"runs\":%d}", (long long)ran, (long long)med,
		s->r->history->count[a->task]);
	sched_event(s, "step-overrun", id, &data);
	buf_free(&data);
	ui_warn(s->r->ui, now, "step %s has run for %s, more than twice its "
		"usual %s (the median of %d earlier success%s): see that it is "
		"not stuck", id, r, m, s->r->history->count[a->task],
		s->r->history->count[a->task] == 1 ? "" : "es");
	summary = xasprintf("job %s: run %s: step %s has run for %s, its "
		"usual is %s", s->job->name, s->r->run_id, id, r, m);
	nt.summary = summary;
	notify_start(&nt, NOTIFY_STEP_OVERRUN, &s->hooks, &s->nhooks,
		&s->caphooks);
	free(summary);
}

void
progress_tick(struct sched *s, int64_t now)
{
	struct progress pg;
	struct buf text = {0}, json = {0};
	size_t i;

	if (now - s->progress_at < PROGRESS_MS || s->undo || s->r->rollback_only)
		return;
	s->progress_at = now;
	for (i = 0; i < s->na; i++)
		overrun(s, s->a[i], now);
	snapshot(s, now, &pg);
	progress_text(&text, &pg);
	progress_json(&json, &pg);
	keep(s, &text, &json);
	/* Off a terminal the first line comes an interval in: a run that
	 * is over by then needs none. */
	if (!s->progress_shown)
		s->progress_shown = now;
	if (s->r->ui->mode == UI_TTY ||
	    now - s->progress_shown >= ui_progress_interval()) {
		s->progress_shown = now;
		ui_run_progress(s->r->ui, buf_str(&text), buf_str(&json), now);
	}
	buf_free(&text);
	buf_free(&json);
}
