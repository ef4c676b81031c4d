/*
 * scheduler.c - the scheduler.
 *
 * One poll loop over the output pipes of the running steps, a signalfd
 * for SIGCHLD, SIGINT and SIGTERM, and the journal writer's eventfd, in
 * the manner of samurai's build.c. Each turn reaps what ended, records
 * the starts of what became ready, and hands the turn's transitions to
 * the journal's writer thread; a step's process is made only once the
 * batch holding its start is durable, so no command runs that the
 * journal does not know of.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "clock.h"
#include "exitcode.h"
#include "resume.h"
#include "scheduler_int.h"
#include "units.h"
#include "util.h"
#include "window.h"
#include "writer.h"

/* Dependents. */

typedef void (*inst_fn)(struct sched *s, size_t inst);

/* The journal cannot be written: start nothing more. */
static void
jfail(struct sched *s)
{
	s->journal_broken = 1;
	s->stopping = 1;
}





/* Call fn on each instance that needs instance i. */
static void
each_dependent(struct sched *s, size_t i, inst_fn fn)
{
	size_t st = s->p->v[i].step, j, k;

	for (j = s->g->rdep_start[st]; j < s->g->rdep_start[st + 1]; j++) {
		size_t dep = s->g->rdeps[j];

		for (k = s->p->first[dep]; k < s->p->first[dep + 1]; k++)
			fn(s, k);
	}
}

static void
spread_push(struct sched *s, size_t i)
{
	xgrow(&s->stack, &s->capstack, s->top + 1, sizeof(*s->stack));
	s->stack[s->top++] = i;
}

/* Apply visit to i and everything downstream of it, with an explicit
 * stack (a chain of a million steps must not overflow the C stack);
 * visit returns 0 for an instance already dealt with, to prune there. */
static void
spread(struct sched *s, size_t i, int (*visit)(struct sched *s, size_t i))
{
	size_t base = s->top;

	each_dependent(s, i, spread_push);
	while (s->top > base) {
		size_t v = s->stack[--s->top];

		if (visit(s, v))
			each_dependent(s, v, spread_push);
	}
}

static void
make_ready(struct sched *s, size_t i)
{
	s->t[i].state = T_READY;
	s->ready[s->rtail++ % (s->p->n + 1)] = i;
}

static void
satisfied(struct sched *s, size_t i)
{
	struct task *t = &s->t[i];

	if (t->state == T_WAIT && t->pending && --t->pending == 0)
		make_ready(s, i);
}

static int
not_run(struct sched *s, size_t i)
{
	struct task *t = &s->t[i];

	if (t->state == T_DONE)
		return 0;
	t->state = T_DONE;
	t->result = RES_NOT_RUN;
	sched_set_step(s, i, "not-run");
	return 1;
}

static void
task_not_run(struct sched *s, size_t i, const char *state)
{
	sched_set_step(s, i, state);
	s->t[i].state = T_DONE;
	s->t[i].result = RES_NOT_RUN;
	spread(s, i, not_run);
}

static void
finish_task(struct sched *s, size_t i, enum tresult result)
{
	struct task *t = &s->t[i];

	t->state = T_DONE;
	t->result = result;
	if (result == RES_FAILED) {
		s->failed = 1;
		if (s->job->on_failure != ON_FAILURE_CONTINUE)
			s->stopping = 1;
		spread(s, i, not_run);
	} else {
		each_dependent(s, i, satisfied);
	}
}

static int64_t
retry_delay(const struct retry *r, int tries)
{
	double d = (double)r->delay_ms;
	int i;

	for (i = 1; i < tries; i++)
		d *= r->backoff;
	/* Jitter of +-10%, so that retries of many steps spread out; then
	 * the cap, which holds whatever the jitter. */
	d *= 0.9 + 0.2 * ((double)rand() / RAND_MAX);
	if (r->max_delay_ms >= 0 && d > (double)r->max_delay_ms)
		d = (double)r->max_delay_ms;
	return (int64_t)d;
}

static int
retryable(const struct retry *r, int tries, int code)
{
	size_t i;

	if (tries >= r->attempts)
		return 0;
	if (!r->non_exit)
		return 1;
	for (i = 0; i < r->non_exit; i++)
		if (r->on_exit[i] == code)
			return 1;
	return 0;
}

static void
finish_attempt(struct sched *s, struct attempt *a)
{
	const struct step *st = inst_step(s, a->task);
	struct task *t = &s->t[a->task];
	int code = WIFEXITED(a->status) ? WEXITSTATUS(a->status) : -1;
	int sig = WIFSIGNALED(a->status) ? WTERMSIG(a->status) : -1;
	const char *state, *why = NULL, *id = inst_id(s, a->task);
	const char *kname = kind_names[a->kind];
	int64_t now = a->ended ? a->ended : now_ms();
	struct buf data = {0};
	char whybuf[512];

	if (a->never) {
		/* It never ran: nothing to say but that. */
		jw_end_attempt(s->w, a->id, "not-started", -1, -1, now, NULL,
			NULL);
		if (a->kind == K_ROLLBACK) {
			sched_set_step(s, a->task, "succeeded");	/* still to undo */
		} else if (s->paused && !s->failed && !s->signal &&
		    !s->journal_broken) {
			/* Left for the next window, as what was not reached:
			 * it stays pending. */
			t->state = T_WAIT;
			return;
		} else {
			sched_set_step(s, a->task, "not-run");
			t->state = T_DONE;
			t->result = RES_NOT_RUN;
			spread(s, a->task, not_run);
		}
		t->state = T_DONE;
		return;
	}
	attempt_checkpoint(s, a);
	if (a->stopped)
		state = "stopped";
	else if (a->timed_out)
		state = "timeout";
	else if (a->kind == K_IF && code == 1)
		state = "skipped";
	else if (code == 0)
		state = "succeeded";
	else
		state = "failed";
	if (a->kind == K_STEP && strcmp(state, "succeeded") == 0 &&
	    outputs_read(s, a, whybuf, sizeof(whybuf)) < 0) {
		char *line = xasprintf("runjob: step %s fails: %s", id, whybuf);

		attempt_emit(s, a, line, strlen(line));
		free(line);
		state = "failed";
		why = whybuf;
	}
	if (a->timed_out && !a->stopped) {
		char d[32];

		snprintf(whybuf, sizeof(whybuf), "%s timeout of %s passed",
			a->job_timeout ? "the job's" : "its",
			format_duration(a->job_timeout ? s->job->timeout_ms :
			a->kind == K_ROLLBACK ? st->rollback.timeout_ms :
			st->timeout_ms, d, sizeof(d)));
		why = whybuf;
	} else if (a->kind == K_IF && strcmp(state, "failed") == 0) {
		snprintf(whybuf, sizeof(whybuf), "its if: must exit 0 (run) or "
			"1 (skip)");
		why = whybuf;
	}
	/* What is left of the step once its main process is gone: after a
	 * timeout or a stop, nothing may stay; otherwise say so. */
	if (a->timed_out || a->stopped) {
		leftover_kill(s, a);
	} else if (a->proc.pid > 0 && kill(-a->proc.pid, 0) == 0) {
		ui_note(s->r->ui, now, "step %s left processes running in its "
			"process group %d; they are stopped when the run ends",
			id, (int)a->proc.pid);
	}

	jw_end_attempt(s->w, a->id, state, code, sig, now,
		a->tail.len ? a->tail.s : NULL, a->logged ? a->log_path : NULL);
	buf_addf(&data, "{\"kind\":\"%s\",\"attempt\":%d,\"state\":\"%s\"",
		kname, a->n, state);
	if (code >= 0)
		buf_addf(&data, ",\"exit_code\":%d", code);
	if (sig >= 0)
		buf_addf(&data, ",\"signal\":%d", sig);
	buf_addf(&data, ",\"duration_ms\":%lld}", (long long)(now - a->started));
	sched_event(s, a->kind == K_ROLLBACK ? "rollback-finished" : "step-finished",
		id, &data);
	buf_free(&data);
	ui_step_finished(s->r->ui, id, kname, a->n, state, code, sig,
		now - a->started, why, now);

	if (a->kind == K_ROLLBACK) {
		if (strcmp(state, "succeeded") == 0) {
			sched_set_step(s, a->task, "rolled-back");
		} else if (a->stopped) {
			sched_set_step(s, a->task, "succeeded");	/* still to undo */
		} else {
			sched_set_step(s, a->task, "rollback-failed");
			s->rollback_failed = 1;
		}
		t->state = T_DONE;
	} else if (a->stopped) {
		task_not_run(s, a->task, "stopped");
	} else if (a->kind == K_IF && code == 0) {
		t->probed = 1;
		make_ready(s, a->task);
	} else if (a->kind == K_IF && code == 1) {
		sched_set_step(s, a->task, "skipped");
		finish_task(s, a->task, RES_SKIPPED);
	} else if (strcmp(state, "succeeded") == 0) {
		sched_set_step(s, a->task, "succeeded");
		t->done_at = now;
		finish_task(s, a->task, RES_OK);
	} else if (a->kind == K_STEP && !s->stopping &&
	    retryable(&st->retry, t->tries, code)) {
		int64_t delay = retry_delay(&st->retry, t->tries);
		char d[32];

		t->state = T_DELAY;
		t->next_at = now + delay;
		xgrow(&s->delayed, &s->capdelayed, s->ndelayed + 1,
			sizeof(*s->delayed));
		s->delayed[s->ndelayed++] = a->task;
		ui_note(s->r->ui, now, "step %s: trying again in %s (attempt "
			"%d of %d)", id, ui_duration(delay, d, sizeof(d)),
			t->tries + 1, st->retry.attempts);
	} else {
		sched_set_step(s, a->task, "failed");
		finish_task(s, a->task, RES_FAILED);
	}
}


static int64_t
grace(const struct sched *s, const struct attempt *a)
{
	return task_grace(s, a->task);
}

static void
terminate(struct sched *s, struct attempt *a, int64_t now)
{
	int escaped;

	attempt_signal(s, a, SIGTERM);
	escaped = a->proc.pid > 0 ? leftover_signal(s, a, SIGTERM) : 0;
	if (escaped)
		ui_note(s->r->ui, now, "step %s: %d process%s had left its "
			"process group; stopping %s too", inst_id(s, a->task),
			escaped, escaped == 1 ? "" : "es",
			escaped == 1 ? "it" : "them");
	a->kill_at = now + grace(s, a);
}

static void
interrupt(struct sched *s, int sig)
{
	int64_t now = now_ms();
	size_t i;

	if (s->signal == SIGINT && sig == SIGINT) {
		ui_note(s->r->ui, now, "second interrupt: killing every step now");
		for (i = 0; i < s->na; i++) {
			leftover_kill(s, s->a[i]);
		}
		return;
	}
	if (s->signal)
		return;
	s->signal = sig;
	s->stopping = 1;
	ui_note(s->r->ui, now, "%s: stopping %zu running step%s%s; the run "
		"can be resumed", sig == SIGINT ? "interrupted" : "terminated",
		s->na, s->na == 1 ? "" : "s", sig == SIGINT ? " (interrupt "
		"again to kill them at once)" : "");
	for (i = 0; i < s->na; i++) {
		s->a[i]->stopped = 1;
		terminate(s, s->a[i], now);
	}
}

/* The terminal is gone (a lost ssh session): runjob starts nothing more
 * and leaves, and the steps running go on under the run's supervisor,
 * which sees them to their end, as when runjob dies; the next runjob
 * takes up the run and adopts how they ended. */
static void
hang_up(struct sched *s)
{
	size_t i, running = 0;

	if (s->hung_up || s->sv.c.fd < 0)
		return;
	s->hung_up = 1;
	s->stopping = 1;
	for (i = 0; i < s->na; i++)
		running += s->a[i]->made && !s->a[i]->done;
	ui_note(s->r->ui, now_ms(), "hung up: %zu running step%s go%s on under "
		"the run's supervisor (pid %ld); run the job again to take up "
		"run %s", running, running == 1 ? "" : "s", running == 1 ?
		"es" : "", (long)s->sv.pid, s->r->run_id);
}

static void
check_timers(struct sched *s, int64_t now)
{
	size_t i;

	for (i = 0; i < s->na; i++) {
		struct attempt *a = s->a[i];

		if (a->deadline && now >= a->deadline && !a->timed_out &&
		    !a->stopped) {
			a->timed_out = 1;
			terminate(s, a, now);
		} else if (a->kill_at && now >= a->kill_at) {
			leftover_kill(s, a);
			a->kill_at = 0;
		}
	}
	if (s->deadline && now >= s->deadline) {
		char d[32];

		ui_note(s->r->ui, now, "the job's timeout of %s passed: "
			"stopping", format_duration(s->job->timeout_ms, d,
			sizeof(d)));
		s->deadline = 0;	/* once */
		s->stopping = 1;
		s->failed = 1;
		for (i = 0; i < s->na; i++) {
			if (s->a[i]->timed_out || s->a[i]->stopped)
				continue;
			s->a[i]->timed_out = 1;
			s->a[i]->job_timeout = 1;
			terminate(s, s->a[i], now);
		}
	}
}

static struct attempt *
attempt_named(struct sched *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->na; i++)
		if (!s->a[i]->done && strcmp(s->a[i]->id, id) == 0)
			return s->a[i];
	return NULL;
}

/* The attempts that ended, settled. */
static void
settle_ended(struct sched *s)
{
	size_t i;

	for (i = 0; i < s->na; ) {
		struct attempt *a = s->a[i];

		if (!a->done) {
			i++;
			continue;
		}
		s->a[i] = s->a[--s->na];
		finish_attempt(s, a);
		if (a->out_path && strcmp(a->out_path, "/dev/null") != 0) {
			xgrow(&s->later, &s->caplater, s->nlater + 1,
				sizeof(*s->later));
			s->later[s->nlater].path = a->out_path;
			s->later[s->nlater++].batch = 0;
			a->out_path = NULL;
		}
		attempt_free(a);
	}
}

/* The supervisor is gone, though runjob did not ask it to go: what it
 * made was given to runjob, the subreaper, and is waited for here;
 * nothing more is started. */
static void
supervisor_lost(struct sched *s)
{
	size_t i;

	if (s->sv.c.fd < 0)
		return;
	chan_free(&s->sv.c);
	ui_note(s->r->ui, now_ms(), "the run's supervisor (pid %ld) ended "
		"unexpectedly: no step will be started; waiting for the "
		"running ones", (long)s->sv.pid);
	s->stopping = 1;
	s->failed = 1;
	for (i = 0; i < s->na; i++)
		if (s->a[i]->launched && !s->a[i]->made && !s->a[i]->done)
			attempt_unmade(s, s->a[i], ECHILD, "exec");
}

/* Shell steps wrote to their checkpoint files: journal what is new.
 * Few steps checkpoint, and each not often, so each event is looked
 * up among the running attempts. An attempt no event named is quiet:
 * its file need not be read when it ends. */
static void
checkpoints_written(struct sched *s)
{
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	size_t i;

	while ((n = read(s->ckpt_fd, ev, sizeof(ev))) > 0) {
		char *p;

		for (p = ev; p < ev + n; ) {
			struct inotify_event *e = (struct inotify_event *)p;

			for (i = 0; i < s->na; i++) {
				struct attempt *a = s->a[i];
				const char *base;

				if (!a->ckpt_path)
					continue;
				/* Events were lost: every file is read. */
				if (e->mask & IN_Q_OVERFLOW) {
					a->ckpt_quiet = 0;
					continue;
				}
				base = strrchr(a->ckpt_path, '/') + 1;
				if (e->len && strcmp(base, e->name) == 0) {
					a->ckpt_quiet = 0;
					attempt_checkpoint(s, a);
				}
			}
			p += sizeof(*e) + e->len;
		}
	}
}

/* What the supervisor says: processes made or not, their output, how
 * they ended, values to hide from now on. */
static void
from_supervisor(struct sched *s)
{
	struct frame m;
	struct attempt *a;
	int r = chan_fill(&s->sv.c);

	/* A step writes its checkpoint file before it ends, so the events
	 * of the ends just read are in the watch's queue now: taken first,
	 * they tell which files are to be read at those ends. */
	if (s->ckpt_fd >= 0)
		checkpoints_written(s);
	while (chan_next(&s->sv.c, &m)) {
		if (m.type == SV_MASK && m.nf >= 1) {
			mask_add(s->r->mask, m.f[0]);
			continue;
		}
		/* A process made into the slot of one that ended: that end
		 * is journaled first, as it came first. */
		if (m.type == SV_PID)
			settle_ended(s);
		if (m.nf < 1 || !(a = attempt_named(s, m.f[0]))) {
			/* Whatever held the supervisor, it is told to go on. */
			s->sv_held |= m.type == SV_FAIL || m.type == SV_EXIT;
			continue;
		}
		switch (m.type) {
		case SV_PID:
			if (m.nf >= 3)
				attempt_made(s, a, (pid_t)atol(m.f[1]),
					atoll(m.f[2]));
			break;
		case SV_FAIL:
			if (m.nf >= 3)
				attempt_unmade(s, a, atoi(m.f[1]), m.f[2]);
			s->sv_held = 1;
			break;
		case SV_DROPPED:
			a->done = a->never = 1;
			a->status = 0;
			break;
		case SV_LINE:
			if (m.nf >= 2)
				attempt_line(s, a, m.f[1], strlen(m.f[1]));
			break;
		case SV_MARK:
			if (m.nf >= 2)
				attempt_mark(s, a, m.f[1]);
			break;
		case SV_EXIT:
			if (m.nf < 3)
				break;
			a->done = 1;
			a->status = atoi(m.f[1]);
			a->logged |= strcmp(m.f[2], "1") == 0;
			/* As the supervisor has it: it waits for a word. */
			if (a->status || a->hold || a->stopped || a->timed_out)
				s->sv_held = 1;
			if (a->made)
				s->hist[a->hist].end = proc_now();
			break;
		}
	}
	if (r <= 0)
		supervisor_lost(s);
}

/* Runjob's own children: the supervisor, and, should it die, the
 * steps it made, given to runjob as their subreaper. */
static void
reap(struct sched *s)
{
	pid_t pid;
	int status;
	size_t i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == s->sv.pid) {
			s->sv.pid = 0;
			supervisor_lost(s);
			continue;
		}
		if (gate_hook_reaped(s, pid, status))
			continue;
		for (i = 0; i < s->na; i++)
			if (s->a[i]->proc.pid == pid && !s->a[i]->done) {
				s->a[i]->done = 1;
				s->a[i]->status = status;
				s->hist[s->a[i]->hist].end = proc_now();
				/* Reaped after the watch's queue was read. */
				s->a[i]->ckpt_quiet = 0;
				break;
			}
	}
}

static int64_t
next_wakeup(struct sched *s, int64_t now)
{
	int64_t at = now + 1000;
	size_t i;

	for (i = 0; i < s->na; i++) {
		if (s->a[i]->deadline && s->a[i]->deadline < at)
			at = s->a[i]->deadline;
		if (s->a[i]->kill_at && s->a[i]->kill_at < at)
			at = s->a[i]->kill_at;
	}
	for (i = 0; i < s->ndelayed; i++)
		if (s->t[s->delayed[i]].next_at < at)
			at = s->t[s->delayed[i]].next_at;
	if (s->deadline && s->deadline < at)
		at = s->deadline;
	if (s->queued_at && s->queued_at + SEAL_LAG_MS < at)
		at = s->queued_at + SEAL_LAG_MS;
	at = gate_wakeup(s, at);
	return at < now ? now : at;
}

/* Starts recorded whose process is not made yet. */
static size_t
waiting(const struct sched *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->na; i++)
		n += !s->a[i]->made && !s->a[i]->done;
	return n;
}

/* Whether to seal what the turn queued now. A start must be committed
 * before its process is made, and a gate's wait before its answer is
 * read; ends and events need not be (a runjob that dies before they
 * are finds them in the supervisor's record). While recorded starts
 * wait to be made, more will be recorded soon: ends and events wait a
 * little to share their commit, instead of costing one each. */
static int
must_seal(struct sched *s, int64_t now)
{
	size_t i;

	for (i = 0; i < s->na; i++)
		if (!s->a[i]->launched && !s->a[i]->batch)
			return 1;
	for (i = 0; i < s->ngates; i++)
		if (!s->gates[i].batch)
			return 1;
	if (!jwriter_queued(s->w)) {
		s->queued_at = 0;
		return 0;
	}
	if (!s->queued_at)
		s->queued_at = now;
	return s->stopping || now - s->queued_at >= SEAL_LAG_MS ||
		!waiting(s);
}

/* The window closed (or a blackout began): start nothing more, and say
 * so, once, with when a step may start next. */
static void
sched_window_closed(struct sched *s, const struct wstate *w, int64_t now)
{
	struct buf data = {0};
	char when[96] = "no window opens again";

	s->stopping = 1;
	s->paused = 1;
	if (s->window_closed++)
		return;
	if (w->opens)
		window_local(s->job, w->opens, when, sizeof(when));
	buf_adds(&data, "{\"reason\":");
	buf_add_json(&data, w->blackout ? w->blackout : "the window closed");
	buf_addf(&data, ",\"opens\":%lld}", (long long)w->opens);
	sched_event(s, "window-closed", NULL, &data);
	buf_free(&data);
	ui_note(s->r->ui, now, "%s%s%s: no step starts now; the run pauses once "
		"the running ones end (next window: %s)", w->blackout ?
		"a blackout began (" : "the maintenance window closed",
		w->blackout ? w->blackout : "", w->blackout ? ")" : "", when);
}

/* Whether the job's window is open now; when it is not, the run
 * stops starting steps, and says so. */
static int
window_open_now(struct sched *s, int64_t now)
{
	struct wstate w;

	window_state(s->job, now, &w);
	if (!w.open)
		sched_window_closed(s, &w, now);
	return w.open;
}

/* Hand the turn's transitions to the journal's writer when they must
 * be, and make the processes whose start is durable by now; the others
 * wait for a later turn. When the journal cannot be written, they are
 * never made. */
static void
seal_and_launch(struct sched *s, int64_t now)
{
	uint64_t batch = s->sealed, durable = 0;
	long room = s->r->gate ? s->jobs : LONG_MAX;
	size_t i;

	if (must_seal(s, now)) {
		batch = jwriter_seal(s->w);
		s->queued_at = 0;
		for (i = 0; i < s->nlater; i++)
			if (!s->later[i].batch)
				s->later[i].batch = batch;
		for (i = 0; i < s->na; i++)
			if (!s->a[i]->launched && !s->a[i]->batch)
				s->a[i]->batch = batch;
	}
	if (jwriter_durable(s->w, &durable) < 0)
		jfail(s);
	s->sealed = batch;
	s->durable = durable;
	for (i = 0; i < s->nlater; ) {
		struct later *l = &s->later[i];

		if (l->batch && l->batch <= durable) {
			unlink(l->path);
			free(l->path);
			*l = s->later[--s->nlater];
		} else {
			i++;
		}
	}
	for (i = 0; i < s->na; i++) {
		struct attempt *a = s->a[i];

		if (!s->journal_broken && !a->stopped && !a->timed_out &&
		    (!s->stopping || s->undo))
			continue;
		/* Never made: the journal failed, or the run began to stop
		 * while its start was being recorded, or while it waited
		 * for a slot (then the supervisor says whether it still
		 * did). */
		if (!a->launched) {
			a->launched = a->done = a->never = 1;
			a->status = 0;
		} else if (!a->made && !a->done && !a->dropping &&
		    s->sv.c.fd >= 0) {
			const char *f[1] = { a->id };

			chan_send(&s->sv.c, SV_DROP, f, 1);
			a->dropping = 1;
		}
	}
	/* What waits is dropped before the supervisor goes on. */
	if (s->sv_held && s->sv.c.fd >= 0) {
		char num[16];
		const char *f[1] = { num };

		snprintf(num, sizeof(num), "%d", s->jobs);
		chan_send(&s->sv.c, SV_SLOTS, f, 1);
		s->sv_held = 0;
	}
	/* Inside a maintenance window, none waits in the supervisor: it
	 * would be made whether the window is still open or not; and a
	 * start recorded while it was open is made only while it is. */
	for (i = 0; s->r->gate && i < s->na; i++)
		room -= s->a[i]->launched && !s->a[i]->done;
	for (i = 0; i < s->na && room > 0; i++) {
		struct attempt *a = s->a[i];

		if (a->launched || !a->batch || a->batch > durable ||
		    s->sv.c.fd < 0)
			continue;
		/* The way back is not held to the window. */
		if (s->r->gate && !s->undo && !window_open_now(s, now))
			break;
		attempt_launch(s, a);
		room--;
	}
	if (s->sv.c.fd >= 0 && chan_flush(&s->sv.c) < 0)
		supervisor_lost(s);
}

/* Whether instance t can start now: inside a window, and ending before
 * it closes as far as runjob can tell. A step that cannot is left for
 * the next window, which the journal is told. */
static int
fits(struct sched *s, size_t t, int64_t now)
{
	int64_t need = s->r->expected ? s->r->expected[t] : 0;
	struct wstate w;
	struct buf data = {0};
	char d[32], when[96];

	window_state(s->job, now, &w);
	if (!w.open) {
		sched_window_closed(s, &w, now);
		return 0;
	}
	/* A gate's wait is not fitted in: it starts while the window is
	 * open, and the window's close ends it. */
	if (inst_step(s, t)->action.kind == ACT_APPROVE)
		return 1;
	if (!need || !w.closes || now + need <= w.closes)
		return 1;
	s->paused = 1;
	buf_addf(&data, "{\"needs_ms\":%lld,\"closes\":%lld}", (long long)need,
		(long long)w.closes);
	sched_event(s, "step-deferred", inst_id(s, t), &data);
	buf_free(&data);
	ui_note(s->r->ui, now, "step %s not started: it may take %s, and the "
		"window closes at %s; it waits for the next one", inst_id(s, t),
		ui_duration(need, d, sizeof(d)), window_local(s->job, w.closes,
		when, sizeof(when)));
	return 0;
}

/* The gates whose wait ended: finished, or left not run. */
static void
gates_settle(struct sched *s)
{
	size_t k;

	for (k = 0; k < s->ngate_ends; k++) {
		const struct gateend *e = &s->gate_ends[k];

		if (e->not_run)
			task_not_run(s, e->task, e->not_run);
		else
			finish_task(s, e->task, e->result);
	}
	s->ngate_ends = 0;
}

/* Start what can start now. In the forward phase: ready steps, up to
 * the concurrency. In the rollback phase: one rollback at a time, newest
 * first, so that a step is never undone before the steps that needed it. */
static void
start_ready(struct sched *s, int64_t now)
{
	size_t i, ahead, most;

	if (s->undo) {
		if (!s->na && !s->signal && !s->rollback_failed &&
		    !s->journal_broken && s->undo_next < s->nundo)
			attempt_start(s, s->undo[s->undo_next++], K_ROLLBACK);
		return;
	}
	for (i = 0; i < s->ndelayed; ) {
		if (s->t[s->delayed[i]].next_at <= now && !s->stopping) {
			make_ready(s, s->delayed[i]);
			s->delayed[i] = s->delayed[--s->ndelayed];
		} else {
			i++;
		}
	}
	/* Up to -j steps run, and more may have their start recorded
	 * meanwhile and wait in the supervisor, so that a step follows one
	 * that ends without waiting for the journal or runjob: once no more
	 * than AHEAD / 2 more than -j wait, the starts of up to that many
	 * more ready steps are recorded, in one commit. */
	ahead = waiting(s);
	most = ahead > (size_t)s->jobs + AHEAD / 2 ? ahead :
		(size_t)s->jobs + AHEAD;
	if (s->r->gate)
		most = (size_t)s->jobs;	/* each is fitted to the window */
	while (!s->stopping && ahead < most && s->rhead != s->rtail) {
		size_t t = s->ready[s->rhead++ % (s->p->n + 1)];
		const struct step *st = inst_step(s, t);

		if (s->r->gate && !fits(s, t, now)) {
			s->t[t].state = T_WAIT;	/* for the next window */
			continue;
		}
		if (st->action.kind == ACT_APPROVE && (!st->if_ ||
		    s->t[t].probed)) {
			gate_start(s, t, now);
			gates_settle(s);
			continue;
		}
		if (attempt_start(s, t, st->if_ && !s->t[t].probed ? K_IF : K_STEP) < 0) {
			sched_set_step(s, t, "failed");
			finish_task(s, t, RES_FAILED);
		} else {
			ahead++;
		}
	}
}

static int
finished(const struct sched *s)
{
	size_t i;

	/* Hung up: once each start not yet made is settled, what runs is
	 * the supervisor's. */
	for (i = 0; s->hung_up && i < s->na; i++)
		if (s->a[i]->done || !s->a[i]->made)
			return 0;
	if (s->hung_up)
		return 1;
	if (s->na || s->ngates)
		return 0;
	if (s->undo)
		return s->signal || s->rollback_failed || s->journal_broken ||
			s->undo_next == s->nundo;
	return s->stopping || (s->rhead == s->rtail && !s->ndelayed);
}

static void
loop(struct sched *s)
{
	struct pollfd *pfd = NULL;
	size_t cappfd = 0, i;
	int journal_noted = 0, gated;

	for (;;) {
		int64_t now = now_ms(), wake;
		size_t npfd = 0;

		start_ready(s, now);
		seal_and_launch(s, now);
		/* A gate still waiting when the window closes pauses the
		 * run, which ends its wait. */
		if (s->ngates && s->r->gate && !s->stopping)
			window_open_now(s, now);
		gated = gate_poll(s, now);
		gates_settle(s);
		if (gated)
			continue;
		if (s->journal_broken && !journal_noted) {
			journal_noted = 1;
			ui_note(s->r->ui, now, "the journal %s cannot be written: "
				"no step will be started; stopping the running "
				"ones", journal_path(s->r->journal));
			for (i = 0; i < s->na; i++) {
				s->a[i]->stopped = 1;
				terminate(s, s->a[i], now);
			}
		}
		if (finished(s))
			break;

		xgrow(&pfd, &cappfd, 5, sizeof(*pfd));
		pfd[npfd].fd = s->sigfd;
		pfd[npfd++].events = POLLIN;
		pfd[npfd].fd = jwriter_fd(s->w);
		pfd[npfd++].events = POLLIN;
		pfd[npfd].fd = s->sv.c.fd;
		pfd[npfd++].events = POLLIN | (chan_pending(&s->sv.c) ?
			POLLOUT : 0);
		pfd[npfd].fd = s->ckpt_fd;
		pfd[npfd++].events = POLLIN;
		pfd[npfd].fd = prompt_fd(s, now);
		pfd[npfd++].events = POLLIN;
		wake = next_wakeup(s, now);
		for (i = 0; i < s->na; i++)
			if (s->a[i]->done)
				wake = now;	/* could not be made: settle it */
		if (poll(pfd, npfd, (int)(wake - now)) < 0 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
				if (si.ssi_signo == SIGHUP)
					hang_up(s);
				else if (si.ssi_signo == SIGINT ||
				    si.ssi_signo == SIGTERM)
					interrupt(s, (int)si.ssi_signo);
		}
		if (s->sv.c.fd >= 0 && (pfd[2].revents & POLLOUT) &&
		    chan_flush(&s->sv.c) < 0)
			supervisor_lost(s);
		if (s->sv.c.fd >= 0 && (pfd[2].revents & (POLLIN | POLLHUP |
		    POLLERR)))
			from_supervisor(s);
		if (pfd[3].revents & POLLIN)
			checkpoints_written(s);
		if (pfd[4].revents & POLLIN)
			prompt_read(s, now);
		reap(s);
		settle_ended(s);
		now = now_ms();
		check_timers(s, now);
		gate_hooks_tick(s, now);
		progress_tick(s, now);
		ui_tick(s->r->ui, now);
	}
	free(pfd);
}

/* The rollback phase: every step that succeeded and has a rollback
 * action, and was not rolled back yet, newest first. */
static int
newest_first(const void *pa, const void *pb, void *arg)
{
	const struct sched *s = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

	if (s->t[a].done_at != s->t[b].done_at)
		return s->t[a].done_at > s->t[b].done_at ? -1 : 1;
	/* The same millisecond: later in plan order first. */
	return s->order_of[a] > s->order_of[b] ? -1 : 1;
}

static void
roll_back(struct sched *s)
{
	size_t i;
	struct buf list = {0};

	/* The way back is not cut short by the job's timeout; each action
	 * has its own. */
	s->deadline = 0;
	s->undo = xcalloc(s->p->n + 1, sizeof(*s->undo));
	for (i = 0; i < s->p->n; i++)
		if (s->t[i].result == RES_OK && !s->t[i].rolled_back &&
		    inst_step(s, i)->rollback.kind != ACT_NONE)
			s->undo[s->nundo++] = i;
	qsort_r(s->undo, s->nundo, sizeof(*s->undo), newest_first, s);
	s->undo_next = 0;
	for (i = 0; i < s->nundo; i++)
		buf_addf(&list, "%s%s", i ? ", " : "", inst_id(s, s->undo[i]));
	ui_note(s->r->ui, now_ms(), s->nundo ? "rolling back, newest first: %s" :
		"nothing to roll back%s", buf_str(&list));
	buf_free(&list);
	jw_resume_run(s->w, s->r->run_id, (long)getpid(), "rolling-back");
	sched_event(s, "rollback-started", NULL, NULL);
	loop(s);
	if (s->rollback_failed || s->signal || s->journal_broken) {
		buf_reset(&list);
		for (i = s->undo_next; i < s->nundo; i++)
			buf_addf(&list, "%s%s", i > s->undo_next ? ", " : "",
				inst_id(s, s->undo[i]));
		if (s->rollback_failed)
			ui_note(s->r->ui, now_ms(), "a rollback action failed: "
				"this needs a person. Still to roll back after it: "
				"%s", list.len ? buf_str(&list) : "nothing");
		buf_free(&list);
	}
}

static int
names(const struct sched *s, size_t i, const char *const *list, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (strcmp(list[k], inst_id(s, i)) == 0 ||
		    strcmp(list[k], inst_step(s, i)->id) == 0)
			return 1;
	return 0;
}

static int
select_one(struct sched *s, size_t i)
{
	if (s->t[i].result != RES_EXCLUDED)
		return 0;
	s->t[i].result = RES_NONE;
	return 1;
}

int
sched_names_step(const struct plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].id, name) == 0 ||
		    strcmp(p->job->steps[p->v[i].step].id, name) == 0)
			return 1;
	return 0;
}

static void
journal_steps_added(struct sched *s)
{
	size_t i;

	for (i = 0; i < s->p->n; i++) {
		char hash[65];

		plan_def_hash(s->p, i, hash);
		jw_add_step(s->w, s->r->run_id, inst_id(s, i), hash);
	}
}

/* Run no more steps at once than there are descriptors for, once
 * runjob's own are open; saying so when that is fewer than asked. */
static void
fit_jobs(struct sched *s, const struct sched_opts *o)
{
	long limit, room = proc_fds_free(&limit), fit;

	fit = (room - FDS_SPARE) / FDS_PER_STEP;
	if (fit < 1)
		fit = 1;
	if (s->jobs <= fit)
		return;
	if (o->jobs_from)
		ui_note(s->r->ui, now_ms(), "%s %d lowered to %ld: the open-file "
			"limit is %ld", o->jobs_from, s->jobs, fit, limit);
	else
		ui_note(s->r->ui, now_ms(), "%d CPUs, but at most %ld steps at "
			"once: the open-file limit is %ld", s->jobs, fit, limit);
	s->jobs = (int)fit;
}

/* The last TAIL_MAX bytes of a log, for the journal. */
static void
log_tail(struct buf *b, const char *path)
{
	char chunk[TAIL_MAX];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = pread(fd, chunk, sizeof(chunk), fstat(fd, &st) == 0 &&
		st.st_size > TAIL_MAX ? st.st_size - TAIL_MAX : 0);
	if (n > 0)
		buf_add(b, chunk, (size_t)n);
	close(fd);
}

/* An attempt left running by a runjob that died, which ended while
 * none was there: its supervisor recorded how, and it is settled as if
 * this runjob had seen it end (retried, if it failed and may be). */
static void
adopt(struct sched *s, size_t i, const struct prior_step *ps)
{
	enum kind kind = strcmp(ps->orphan_kind, "if") == 0 ? K_IF : K_STEP;
	const struct step *st = inst_step(s, i);
	struct attempt *a = xcalloc(1, sizeof(*a));
	char how[32];
	struct stat sb;

	a->task = i;
	a->kind = kind;
	a->n = ps->orphan_n;
	a->id = xstrdup(ps->orphan);
	a->proc.out = -1;
	attempt_paths(s, a);
	a->builtin = st->action.kind != ACT_RUN;
	a->launched = a->done = 1;
	a->status = ps->adopt_status;
	a->timed_out = ps->adopt_timeout;
	a->started = ps->orphan_started;
	a->ended = a->started + ps->adopt_duration;
	a->logged = stat(a->log_path, &sb) == 0;
	log_tail(&a->tail, a->log_path);
	if (WIFEXITED(a->status))
		snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(a->status));
	else
		snprintf(how, sizeof(how), "signal %d", WTERMSIG(a->status));
	ui_note(s->r->ui, now_ms(), "step %s: its attempt %d ended while no "
		"runjob was there (%s%s): taking that as its outcome",
		inst_id(s, i), a->n, how, a->timed_out ? ", its timeout passed" :
		"");
	s->t[i].state = T_ACTIVE;
	xgrow(&s->a, &s->capa, s->na + 1, sizeof(*s->a));
	s->a[s->na++] = a;
}

/* Take up what the journal says of the run: what succeeded stays done
 * with its outputs, what did not runs again. */
static void
apply_prior(struct sched *s)
{
	const struct prior *p = s->r->prior;
	size_t i, k;

	for (i = 0; i < s->p->n; i++) {
		const struct prior_step *ps = &p->v[i];
		struct task *t = &s->t[i];

		t->tries = ps->tries;
		t->rb_tries = ps->rb_tries;
		t->if_tries = ps->if_tries;
		if (ps->checkpoint)
			t->checkpoint = xstrdup(ps->checkpoint);
		if (ps->adopt) {
			adopt(s, i, ps);
			continue;
		}
		if (!ps->state)
			continue;
		t->rewait = strcmp(ps->state, "waiting") == 0;
		if (strcmp(ps->state, "succeeded") == 0 ||
		    strcmp(ps->state, "rolled-back") == 0 ||
		    strcmp(ps->state, "rollback-failed") == 0 ||
		    strcmp(ps->state, "rolling-back") == 0) {
			t->state = T_DONE;
			t->result = RES_OK;
			t->done_at = ps->ended;
			t->rolled_back = strcmp(ps->state, "rolled-back") == 0;
			t->out = xcalloc(ps->nout + 1, sizeof(*t->out));
			for (k = 0; k < ps->nout; k++)
				t->out[k] = xstrdup(ps->out[k]);
			t->nout = ps->nout;
		} else if (strcmp(ps->state, "skipped") == 0) {
			t->state = T_DONE;
			t->result = RES_SKIPPED;
		} else if (strcmp(ps->state, "failed-unknown") == 0) {
			t->state = T_DONE;
			t->result = RES_FAILED;
		} else if (s->r->rollback_only &&
		    strcmp(ps->state, "failed") == 0) {
			/* Rolling back leaves what failed recorded so. */
			t->state = T_DONE;
			t->result = RES_FAILED;
		}
	}
}

/* Where shell steps' checkpoint files go, watched for their writes;
 * -1 when it cannot be (they are still read as each attempt ends). */
static int
watch_checkpoints(const char *logdir)
{
	char *dir = checkpoint_dir(logdir);
	int fd;

	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    (fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		free(dir);
		return -1;
	}
	if (inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MODIFY |
	    IN_MOVED_TO) < 0) {
		close(fd);
		fd = -1;
	}
	free(dir);
	return fd;
}

/* The scheduler of run r, with the signals it waits for blocked and
 * read through s->sigfd: SIGCHLD, SIGINT, SIGTERM and SIGHUP (children
 * unblock them before they exec). */
static void
sched_init(struct sched *s, struct sched_run *r, const struct sched_opts *o,
	sigset_t *mask)
{
	size_t i, k;

	memset(s, 0, sizeof(*s));
	s->r = r;
	s->p = r->plan;
	s->job = r->plan->job;
	s->g = r->plan->g;
	s->jobs = o->jobs;
	s->approved = o->approve;
	s->napproved = o->napprove;
	s->t = xcalloc(s->p->n + 1, sizeof(*s->t));
	s->ready = xcalloc(s->p->n + 1, sizeof(*s->ready));
	s->mark = xcalloc(s->g->n + 1, 1);
	s->scratch = xcalloc(s->g->n + 1, sizeof(*s->scratch));
	if (s->job->timeout_ms > 0)
		s->deadline = now_ms() + s->job->timeout_ms;
	for (i = 0; i < s->job->nsteps; i++)
		if (s->job->steps[i].noutputs)
			s->any_outputs = 1;
	base_env(s);

	sigemptyset(mask);
	sigaddset(mask, SIGCHLD);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	sigprocmask(SIG_BLOCK, mask, NULL);
	s->sigfd = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		fatal("signalfd: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	proc_init();
	srand((unsigned)(now_ms() ^ getpid()));

	s->launched = launched_open(r->logdir);
	s->ckpt_fd = watch_checkpoints(r->logdir);
	/* Before the journal's writer thread: a process forked with one
	 * thread only. */
	if (sv_start(&s->sv, r->logdir, r->run_id, r->key, r->mask) < 0)
		fatal("cannot run any step without the run's supervisor");
	s->w = jwriter_start(r->journal);
	journal_steps_added(s);
	fit_jobs(s, o);
	s->sv_held = 1;	/* to tell the supervisor -j */

	/* Plan order, for ties in the rollback order. */
	s->order_of = xcalloc(s->p->n + 1, sizeof(*s->order_of));
	for (i = 0, k = 0; i < s->g->n; i++) {
		size_t st = s->g->order[i], j;

		for (j = s->p->first[st]; j < s->p->first[st + 1]; j++)
			s->order_of[j] = k++;
	}
}

/* Steps left out by --only / --from are settled as excluded. */
static void
exclude_unselected(struct sched *s, const struct sched_opts *o)
{
	size_t i;

	if (o->nonly || o->nfrom) {
		for (i = 0; i < s->p->n; i++)
			if (s->t[i].state != T_DONE)
				s->t[i].result = RES_EXCLUDED;
		for (i = 0; i < s->p->n; i++) {
			if (s->t[i].state == T_DONE)
				continue;
			if (names(s, i, o->only, o->nonly))
				s->t[i].result = RES_NONE;
			if (names(s, i, o->from, o->nfrom)) {
				s->t[i].result = RES_NONE;
				spread(s, i, select_one);
			}
		}
	}
	for (i = 0; i < s->p->n; i++)
		if (s->t[i].state != T_DONE && s->t[i].result == RES_EXCLUDED) {
			s->t[i].state = T_DONE;
			sched_set_step(s, i, "excluded");
		}
}

/* Before a forward run: count each instance's needs not settled yet, in
 * plan order, so that a step after one that cannot run is seen not to
 * run either; and make ready, in plan order (earlier waves start first),
 * what needs nothing more. */
static void
count_needs(struct sched *s)
{
	size_t i, k, inst;

	for (i = 0; i < s->g->n; i++) {
		size_t st = s->g->order[i];

		for (inst = s->p->first[st]; inst < s->p->first[st + 1]; inst++) {
			int blocked = 0;

			if (s->t[inst].state == T_DONE)
				continue;
			for (k = s->g->dep_start[st]; k < s->g->dep_start[st + 1];
			    k++) {
				size_t dep = s->g->deps[k], j;

				for (j = s->p->first[dep]; j < s->p->first[dep + 1];
				    j++)
					if (s->t[j].state != T_DONE)
						s->t[inst].pending++;
					else if (s->t[j].result == RES_FAILED ||
					    s->t[j].result == RES_NOT_RUN)
						blocked = 1;
			}
			if (blocked)
				not_run(s, inst);
		}
	}
	/* A step settled failed by on_unknown counts as failing now. */
	for (i = 0; i < s->p->n; i++)
		if (s->t[i].result == RES_FAILED) {
			s->failed = 1;
			if (s->job->on_failure != ON_FAILURE_CONTINUE)
				s->stopping = 1;
		}
	for (i = 0; i < s->g->n; i++) {
		size_t st = s->g->order[i];

		for (k = s->p->first[st]; k < s->p->first[st + 1]; k++)
			if (s->t[k].state == T_WAIT && !s->t[k].pending)
				make_ready(s, k);
	}
}

/* After the loop: a step waiting to be tried again when the run stopped
 * did run, and failed; in a forward run, the steps it did not reach
 * never ran (rolling back leaves their states as the run left them). */
static void
settle_unreached(struct sched *s)
{
	size_t i;

	/* A paused run goes on in the next window: what it did not reach
	 * stays pending, a step waiting to be tried again too; so does one
	 * that hung up, when it is taken up again. */
	if ((s->paused && !s->failed && !s->signal && !s->journal_broken) ||
	    s->hung_up)
		return;
	for (i = 0; i < s->ndelayed; i++) {
		sched_set_step(s, s->delayed[i], "failed");
		finish_task(s, s->delayed[i], RES_FAILED);
	}
	for (i = 0; i < s->p->n && !s->r->rollback_only; i++)
		if (s->t[i].state != T_DONE)
			not_run(s, i);
}

/* The run's outcome into r->outcome; returns its exit code. */
static int
outcome(struct sched *s, struct sched_run *r)
{
	size_t i;

	if (s->journal_broken) {
		r->outcome = "failed";
		return EXIT_FAILED;
	}
	if (s->hung_up) {
		r->outcome = "interrupted";
		return EXIT_SIGHUP;
	}
	if (s->signal) {
		r->outcome = s->undo ? "rolling-back" : "interrupted";
		return s->signal == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
	}
	if (s->rollback_failed) {
		r->outcome = "rollback-failed";
		return EXIT_ROLLBACK;
	}
	if (s->undo) {
		/* runjob rollback did what it was asked. Otherwise the run
		 * failed, and undoing it does not change that. */
		for (i = 0; i < s->p->n; i++)
			if (s->t[i].result == RES_FAILED)
				s->failed = 1;
		r->outcome = "rolled-back";
		if (s->paused && !s->failed)
			return EXIT_WINDOW;	/* on_window_close: rollback */
		return r->on_demand || !s->failed ? EXIT_OK : EXIT_FAILED;
	}
	if (s->paused && !s->failed) {
		r->outcome = "paused";
		return EXIT_WINDOW;
	}
	r->outcome = s->failed ? "failed" : "succeeded";
	return s->failed ? EXIT_FAILED : EXIT_OK;
}

static void
sched_free(struct sched *s, const sigset_t *mask)
{
	size_t i, k;

	for (i = 0; i < s->p->n; i++) {
		for (k = 0; k < s->t[i].nout; k++)
			free(s->t[i].out[k]);
		free(s->t[i].out);
		free(s->t[i].checkpoint);
	}
	if (s->launched >= 0)
		close(s->launched);
	if (s->ckpt_fd >= 0)
		close(s->ckpt_fd);
	/* The journal is finished and what it holds durable; when it
	 * could not be written, the files stay for the resume to read. */
	for (i = 0; i < s->nlater; i++) {
		if (!s->journal_broken)
			unlink(s->later[i].path);
		free(s->later[i].path);
	}
	free(s->later);
	close(s->sigfd);
	sigprocmask(SIG_UNBLOCK, mask, NULL);
	env_free(&s->base);
	for (i = 0; i < s->nhist; i++)
		free(s->hist[i].id);
	free(s->hist);
	free(s->stack);
	free(s->t);
	free(s->ready);
	free(s->mark);
	free(s->scratch);
	/* Left running under the supervisor (hung up): their outputs files
	 * are still to be written, and read by the next runjob. */
	for (i = 0; i < s->na; i++) {
		free(s->a[i]->out_path);
		s->a[i]->out_path = NULL;
		attempt_free(s->a[i]);
	}
	free(s->a);
	free(s->delayed);
	free(s->killed);
	free(s->undo);
	free(s->order_of);
	prompt_end(s);
	gate_free(s);
}

int
sched_run(struct sched_run *r, const struct sched_opts *o)
{
	struct sched s;
	sigset_t mask;
	int code;

	sched_init(&s, r, o, &mask);
	if (r->prior)
		apply_prior(&s);
	exclude_unselected(&s, o);
	if (!r->rollback_only) {
		count_needs(&s);
		loop(&s);
	}
	settle_unreached(&s);
	if (!s.hung_up && (r->rollback_only || (!s.signal &&
	    !s.journal_broken && ((s.failed &&
	    s.job->on_failure == ON_FAILURE_ROLLBACK) || (s.paused &&
	    !s.failed && s.job->on_window_close == ON_WINDOW_CLOSE_ROLLBACK)))))
		roll_back(&s);
	gate_hooks_finish(&s);
	if (s.hung_up) {
		/* The supervisor carries on alone; what steps left running
		 * is theirs, as after a crash. */
		chan_free(&s.sv.c);
	} else {
		leftover_reap(&s);
		leftover_stop(&s);
		sv_stop(&s.sv);
	}
	if (jwriter_finish(s.w) < 0)
		s.journal_broken = 1;
	code = outcome(&s, r);
	sched_free(&s, &mask);
	return code;
}
