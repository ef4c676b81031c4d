/*
 * gate.c - approve: steps. A gate waits, with no process, for a person's
 * answer: `runjob approve RUN STEP [--reject]` from another terminal
 * writes it to the journal as an event, and the waiting runjob reads it
 * from there, about once a second. The journal is the only channel, so
 * an answer given while no runjob waits (it crashed) is there for the
 * one that takes the run up, and whoever can answer is whoever can
 * write the journal, as whoever can run the job.
 *
 * An answer counts only when given after the gate's newest gate-waiting
 * event: a wait cut short by a window's close, or stopped, is over, and
 * the next one needs a new answer.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "gate.h"
#include "journal.h"
#include "scheduler_int.h"
#include "units.h"
#include "util.h"
#include "window.h"

enum { POLL_MS = 500 };

void
gate_who(struct buf *b)
{
	char host[256] = "?", from[256];
	struct passwd *pw = getpwuid(geteuid());
	const char *ssh = getenv("SSH_CONNECTION");
	const char *tty = ttyname(STDIN_FILENO);

	gethostname(host, sizeof(host) - 1);
	snprintf(from, sizeof(from), "%s%s%.*s", tty ? tty : "no terminal",
		ssh ? ", ssh from " : "", ssh ? (int)strcspn(ssh, " ") : 0,
		ssh ? ssh : "");
	buf_adds(b, "\"user\":");
	buf_add_json(b, pw ? pw->pw_name : "?");
	buf_adds(b, ",\"host\":");
	buf_add_json(b, host);
	buf_addf(b, ",\"pid\":\"%ld\",\"from\":", (long)getpid());
	buf_add_json(b, from);
}

/* The command that answers gate i, for messages. */
static char *
answer_command(const struct sched *s, size_t i)
{
	return xasprintf("runjob approve %s %s", s->r->run_id, inst_id(s, i));
}

static int
advance(const struct sched *s, size_t i)
{
	size_t k;

	for (k = 0; k < s->napproved; k++)
		if (strcmp(s->approved[k], inst_id(s, i)) == 0 ||
		    strcmp(s->approved[k], inst_step(s, i)->id) == 0)
			return 1;
	return 0;
}

struct answer {
	int found;
	int64_t waiting, at;
	char *kind, *user, *host, *from, *reason;
};

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int
answer_row(void *arg, const struct jrow *row)
{
	struct answer *a = arg;
	const char *v;

	a->found = 1;
	a->waiting = (v = jrow_get(row, "waiting")) ? strtoll(v, NULL, 10) : 0;
	a->at = (v = jrow_get(row, "at")) ? strtoll(v, NULL, 10) : 0;
	a->kind = dup_or_null(jrow_get(row, "kind"));
	a->user = dup_or_null(jrow_get(row, "user"));
	a->host = dup_or_null(jrow_get(row, "host"));
	a->from = dup_or_null(jrow_get(row, "from"));
	a->reason = dup_or_null(jrow_get(row, "reason"));
	return 1;
}

static void
answer_free(struct answer *a)
{
	free(a->kind);
	free(a->user);
	free(a->host);
	free(a->from);
	free(a->reason);
}

/* Read the journal as others wrote it: a connection of the gates' own,
 * beside the writer's, kept for the run. */
static int
ask(struct sched *s, size_t i, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	if (!s->reader && journal_open_beside(&s->reader, s->r->journal) < 0)
		return -1;
	return journal_gate(s->reader, s->r->run_id, inst_id(s, i),
		answer_row, a);
}

static void
add_wait(struct sched *s, size_t i, int64_t since)
{
	const struct action *act = &inst_step(s, i)->action;
	struct gatewait *g;

	xgrow(&s->gates, &s->capgates, s->ngates + 1, sizeof(*s->gates));
	g = &s->gates[s->ngates++];
	g->task = i;
	g->since = since;
	g->deadline = act->wait_ms > 0 ? since + act->wait_ms : 0;
	g->batch = 0;
	s->t[i].state = T_ACTIVE;
}

/* A new wait is the gate event of the notify: hooks: once a wait, so
 * not again when a runjob takes up the wait of one that died. */
static void
notify_gate(struct sched *s, size_t i, const char *cmd)
{
	const struct action *act = &inst_step(s, i)->action;
	char *summary = xasprintf("job %s: run %s waits for approval of %s%s%s%s:"
		" %s", s->job->name, s->r->run_id, inst_id(s, i), act->message ?
		" (" : "", act->message ? act->message : "", act->message ? ")" :
		"", cmd);
	struct notice nt = { s->p, s->r->run_id, "waiting", summary,
		s->r->dir };

	notify_start(&nt, NOTIFY_GATE, &s->hooks, &s->nhooks, &s->caphooks);
	free(summary);
}

static void
record_hook(void *arg, const char *data)
{
	struct sched *s = arg;

	jw_event(s->w, s->r->run_id, now_ms(), "notified", NULL, data);
}

int
gate_hook_reaped(struct sched *s, pid_t pid, int status)
{
	size_t k;
	char *data;

	for (k = 0; k < s->nhooks; k++) {
		struct hook_proc *h = &s->hooks[k];

		if (h->done || h->proc.pid != pid)
			continue;
		h->done = 1;
		h->status = status;
		data = notify_data(s->job, h, s->r->mask);
		record_hook(s, data);
		free(data);
		if (h->proc.out >= 0)
			close(h->proc.out);
		buf_free(&h->out);
		s->hooks[k] = s->hooks[--s->nhooks];
		return 1;
	}
	return 0;
}

void
gate_hooks_tick(struct sched *s, int64_t now)
{
	size_t k;

	for (k = 0; k < s->nhooks; k++) {
		notify_drain(&s->hooks[k]);
		if (now >= s->hooks[k].deadline)
			notify_kill(&s->hooks[k]);
	}
}

void
gate_hooks_finish(struct sched *s)
{
	notify_finish(s->job, s->hooks, &s->nhooks, s->r->mask, record_hook,
		s);
	free(s->hooks);
	s->hooks = NULL;
}

/* Gate task i ended: the scheduler finishes it with result, or leaves
 * it not_run. */
static void
ended(struct sched *s, size_t i, enum tresult result, const char *not_run)
{
	struct gateend *e;

	xgrow(&s->gate_ends, &s->capgate_ends, s->ngate_ends + 1,
		sizeof(*s->gate_ends));
	e = &s->gate_ends[s->ngate_ends++];
	e->task = i;
	e->result = result;
	e->not_run = not_run;
}

void
gate_start(struct sched *s, size_t i, int64_t now)
{
	const struct action *act = &inst_step(s, i)->action;
	const char *id = inst_id(s, i);
	struct buf data = {0};
	struct answer a;
	char *cmd = answer_command(s, i), when[32], d[32];
	int64_t since = now;

	if (advance(s, i)) {
		buf_adds(&data, "{\"how\":\"in advance\",");
		gate_who(&data);
		buf_adds(&data, "}");
		sched_event(s, "gate-approved", id, &data);
		sched_set_step(s, i, "succeeded");
		ui_note(s->r->ui, now, "step %s: approved in advance (--approve)",
			id);
		s->t[i].done_at = now;
		ended(s, i, RES_OK, NULL);
		buf_free(&data);
		free(cmd);
		return;
	}
	if (s->t[i].rewait && ask(s, i, &a) >= 0 && a.found && a.waiting) {
		/* The runjob that died waited here: the wait goes on, and
		 * an answer given meanwhile counts. */
		since = a.waiting;
		answer_free(&a);
	} else {
		buf_adds(&data, "{\"message\":");
		buf_add_json(&data, act->message ? act->message : "");
		if (act->wait_ms > 0)
			buf_addf(&data, ",\"timeout\":\"%s\"",
				format_duration(act->wait_ms, d, sizeof(d)));
		buf_adds(&data, ",\"command\":");
		buf_add_json(&data, cmd);
		buf_adds(&data, "}");
		sched_event(s, "gate-waiting", id, &data);
		sched_set_step(s, i, "waiting");
		notify_gate(s, i, cmd);
	}
	s->t[i].rewait = 0;
	add_wait(s, i, since);
	ui_step_started(s->r->ui, id, "step", 1, since);
	ui_note(s->r->ui, now, "waiting for approval of %s%s%s%s since %s%s%s: "
		"answer with '%s' (or --reject)", id, act->message ? " (" : "",
		act->message ? act->message : "", act->message ? ")" : "",
		clock_utc(since, when, sizeof(when)), act->wait_ms > 0 ?
		", for at most " : "", act->wait_ms > 0 ?
		format_duration(act->wait_ms, d, sizeof(d)) : "", cmd);
	buf_reset(&data);
	buf_addf(&data, "waiting for approval: %s", cmd);
	ui_step_progress(s->r->ui, id, buf_str(&data), now);
	buf_free(&data);
	free(cmd);
}

/* Gate k's wait is over: it is taken off the list. */
static void
end_wait(struct sched *s, size_t k, const char *state, const char *why,
	int64_t now)
{
	size_t i = s->gates[k].task;
	int64_t since = s->gates[k].since;

	s->gates[k] = s->gates[--s->ngates];
	ui_step_finished(s->r->ui, inst_id(s, i), "step", 1, state, -1, -1,
		now - since, why, now);
}

static void
answered(struct sched *s, size_t k, const struct answer *a, int64_t now)
{
	size_t i = s->gates[k].task;
	int ok = strcmp(a->kind, "gate-approved") == 0;
	char *why = xasprintf("%s by %s@%s (%s)%s%s", ok ? "approved" :
		"rejected", a->user ? a->user : "?", a->host ? a->host : "?",
		a->from ? a->from : "?", a->reason ? ": " : "",
		a->reason ? a->reason : "");

	end_wait(s, k, ok ? "succeeded" : "failed", why, now);
	free(why);
	sched_set_step(s, i, ok ? "succeeded" : "failed");
	if (ok)
		s->t[i].done_at = now;
	ended(s, i, ok ? RES_OK : RES_FAILED, NULL);
}

static void
timed_out(struct sched *s, size_t k, int64_t now)
{
	size_t i = s->gates[k].task;
	const struct action *act = &inst_step(s, i)->action;
	struct buf data = {0};
	char d[32], *why;

	why = xasprintf("no answer within its timeout of %s",
		format_duration(act->wait_ms, d, sizeof(d)));
	buf_addf(&data, "{\"waited\":\"%s\"}", format_duration(now -
		s->gates[k].since, d, sizeof(d)));
	sched_event(s, "gate-timeout", inst_id(s, i), &data);
	buf_free(&data);
	end_wait(s, k, "failed", why, now);
	free(why);
	sched_set_step(s, i, "failed");
	ended(s, i, RES_FAILED, NULL);
}

/* The run stops (an interrupt, a failure, the window's close) while
 * gates wait: their waits end unanswered. A paused run waits again in
 * the next window, for a new answer. */
static void
withdraw(struct sched *s, int64_t now)
{
	int pause = s->paused && !s->failed && !s->signal &&
		!s->journal_broken;
	const char *why = pause ? "the window closed" : s->signal ?
		"the run was interrupted" : "the run stopped";
	struct buf data = {0};

	while (s->ngates) {
		size_t i = s->gates[0].task;

		buf_reset(&data);
		buf_adds(&data, "{\"reason\":");
		buf_add_json(&data, why);
		buf_adds(&data, "}");
		sched_event(s, "gate-withdrawn", inst_id(s, i), &data);
		end_wait(s, 0, pause ? "stopped" : "not-run", why, now);
		if (pause) {
			sched_set_step(s, i, "pending");
			s->t[i].state = T_WAIT;
		} else {
			ended(s, i, RES_NONE, s->signal ? "stopped" :
				"not-run");
		}
	}
	buf_free(&data);
}

int
gate_poll(struct sched *s, int64_t now)
{
	size_t k, before = s->ngates;

	if (!s->ngates)
		return 0;
	for (k = 0; k < s->ngates; k++)
		if (!s->gates[k].batch)
			s->gates[k].batch = s->sealed;
	if (s->stopping) {
		withdraw(s, now);
		return 1;
	}
	for (k = 0; k < s->ngates; ) {
		if (s->gates[k].deadline && now >= s->gates[k].deadline)
			timed_out(s, k, now);
		else
			k++;
	}
	if (now - s->gates_polled < POLL_MS)
		return s->ngates != before;
	s->gates_polled = now;
	for (k = 0; k < s->ngates; ) {
		struct answer a;

		/* Until its gate-waiting event is in the journal, an answer
		 * there is one to an earlier wait. */
		if (s->gates[k].batch > s->durable || ask(s,
		    s->gates[k].task, &a) < 0) {
			k++;
			continue;
		}
		if (a.kind)
			answered(s, k, &a, now);
		else
			k++;
		answer_free(&a);
	}
	return s->ngates != before;
}

int64_t
gate_wakeup(const struct sched *s, int64_t at)
{
	size_t k;

	for (k = 0; k < s->ngates; k++)
		if (s->gates[k].deadline && s->gates[k].deadline < at)
			at = s->gates[k].deadline;
	return at;
}

void
gate_free(struct sched *s)
{
	free(s->gates);
	free(s->gate_ends);
	journal_close(s->reader);
}
