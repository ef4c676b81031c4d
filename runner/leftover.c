/*
 * leftover.c - what a step started that is not in its process group any
 * more, or that outlived it: found through the process table (the run's
 * supervisor is the child subreaper, so every orphan becomes its child;
 * runjob is, should the supervisor be gone), traced back to its step,
 * and stopped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "scheduler_int.h"
#include "util.h"

/* The process made for an attempt that p comes from, as far as can be
 * told: the attempt named by its RUNJOB_ATTEMPT_ID; else the one whose
 * group it is in; else, for a process whose environment was replaced,
 * the one attempt that was running when it started. -1: none, or more
 * than one could have started it. */
static ssize_t
owner_of(const struct sched *s, const struct pinfo *p)
{
	char id[4096];
	ssize_t found = -1;
	size_t i;
	int has = proc_env_value(p->pid, "RUNJOB_ATTEMPT_ID", id, sizeof(id));

	for (i = 0; i < s->nhist; i++) {
		const struct made *m = &s->hist[i];

		if (has > 0 ? strcmp(m->id, id) == 0 :
		    m->pid == p->pgid && m->start <= p->start)
			return (ssize_t)i;
	}
	if (has > 0)
		return -1;	/* another run's */
	for (i = 0; i < s->nhist; i++) {
		const struct made *m = &s->hist[i];

		if (m->start > p->start || (m->end && m->end < p->start))
			continue;
		if (found >= 0)
			return -1;
		found = (ssize_t)i;
	}
	return found;
}

/* The process that orphans of the run's steps are given to. */
static pid_t
reaper(const struct sched *s)
{
	return s->sv.pid > 0 && s->sv.c.fd >= 0 ? s->sv.pid : getpid();
}

/* 1 for runjob and its supervisor: never a step's leftover. */
static int
is_runjob(const struct sched *s, pid_t pid)
{
	return pid == getpid() || (s->sv.pid > 0 && pid == s->sv.pid);
}

/* 1 when p is the main process of a running attempt. */
static int
is_main(const struct sched *s, const struct pinfo *p)
{
	size_t i;

	for (i = 0; i < s->na; i++)
		if (s->a[i]->proc.pid == p->pid && !s->a[i]->done)
			return 1;
	return 0;
}

/* Send sig to every process of attempt a but its group, which the
 * caller signals: its main process's descendants, which may have left
 * the group or the session; what carries its RUNJOB_ATTEMPT_ID; what it
 * had when first stopped; the orphans adopted by runjob (the subreaper)
 * that are its; and their descendants. An orphan that may as well be
 * another running step's is left for the end of the run. Returns how
 * many were outside its group. */
int
leftover_signal(struct sched *s, struct attempt *a, int sig)
{
	struct ptable t = {0};
	unsigned char *mark;
	pid_t self = reaper(s);
	char id[4096];
	size_t i, k;
	int n = 0;

	proc_table(&t);
	mark = xcalloc(t.n + 1, 1);
	for (i = 0; i < t.n; i++) {
		const struct pinfo *p = &t.v[i];

		if (is_runjob(s, p->pid))
			continue;
		if (p->pid == a->proc.pid && p->start == a->pid_start) {
			mark[i] = 1;
			continue;
		}
		for (k = 0; k < a->ntree; k++)
			if (a->tree[k].pid == p->pid &&
			    a->tree[k].start == p->start)
				mark[i] = 1;
		if (mark[i])
			continue;
		if (p->ppid == self && !is_main(s, p)) {
			ssize_t o = owner_of(s, p);

			mark[i] = o >= 0 && (size_t)o == a->hist;
		} else if (proc_env_value(p->pid, "RUNJOB_ATTEMPT_ID", id,
		    sizeof(id)) > 0 && strcmp(id, a->id) == 0) {
			mark[i] = 1;
		}
	}
	proc_descendants(&t, mark);
	a->ntree = 0;
	for (i = 0; i < t.n; i++) {
		if (!mark[i] || is_runjob(s, t.v[i].pid))
			continue;
		xgrow(&a->tree, &a->captree, a->ntree + 1, sizeof(*a->tree));
		a->tree[a->ntree++] = t.v[i];
		if (t.v[i].pgid == a->proc.pid)
			continue;	/* the group is the caller's */
		if (kill(t.v[i].pid, sig) == 0)
			n++;
		if (sig == SIGKILL) {
			xgrow(&s->killed, &s->capkilled, s->nkilled + 1,
				sizeof(*s->killed));
			s->killed[s->nkilled++] = t.v[i].pid;
		}
	}
	free(mark);
	proc_table_free(&t);
	return n;
}

/* SIGKILL a step's group and what escaped it, remembering them so that
 * they can be reaped before runjob exits. */
void
leftover_kill(struct sched *s, struct attempt *a)
{
	if (a->proc.pid <= 0)
		return;	/* not made, or could not be: nothing runs */
	attempt_signal(s, a, SIGKILL);
	xgrow(&s->killed, &s->capkilled, s->nkilled + 1, sizeof(*s->killed));
	s->killed[s->nkilled++] = -a->proc.pid;	/* the group */
	leftover_signal(s, a, SIGKILL);
}

/* What runjob killed was reparented to it (the subreaper) or is in a
 * group of its: wait, briefly, until it is all gone, reaping the
 * zombies, so that none is left behind. Processes a step left running on
 * purpose are not waited for. */
void
leftover_reap(struct sched *s)
{
	int64_t until = now_ms() + 2000;
	size_t i;

	while (s->nkilled && now_ms() < until) {
		struct timespec ts = { 0, 10 * 1000000 };

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (i = 0; i < s->nkilled; i++)
			if (kill(s->killed[i], 0) == 0)
				break;
		if (i == s->nkilled)
			break;
		nanosleep(&ts, NULL);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* 1 when SIGINT, SIGTERM or SIGHUP came. */
static int
signalled(struct sched *s)
{
	struct signalfd_siginfo si;
	int any = 0;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
		any |= si.ssi_signo != SIGCHLD;
	return any;
}

/* SIGKILL what is left of procs, and every process runjob adopted
 * meanwhile with its descendants, until none is left (a little while
 * at most), reaping them. */
static void
kill_left(const struct sched *s, struct pinfo *procs, size_t n)
{
	int64_t until = now_ms() + 2000;
	struct ptable t = {0};
	pid_t self = reaper(s);
	size_t i;

	for (i = 0; i < n; i++)
		if (proc_alive(procs[i].pid, procs[i].start))
			kill(procs[i].pid, SIGKILL);
	for (;;) {
		struct timespec ts = { 0, 10 * 1000000 };
		unsigned char *mark;
		int any = 0;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		proc_table(&t);
		mark = xcalloc(t.n + 1, 1);
		for (i = 0; i < t.n; i++)
			mark[i] = t.v[i].ppid == self;
		proc_descendants(&t, mark);
		for (i = 0; i < t.n; i++)
			if (mark[i] && !is_runjob(s, t.v[i].pid)) {
				kill(t.v[i].pid, SIGKILL);
				any = 1;
			}
		free(mark);
		if (!any || now_ms() >= until)
			break;
		nanosleep(&ts, NULL);
	}
	proc_table_free(&t);
}

/* The end of the run: runjob is the parent (the subreaper) of every
 * process a step left running, and stops them, so that nothing of the
 * run outlives it unseen. Each is named with its step, when that can be
 * told, and sent SIGTERM with its descendants; what is left once the
 * longest kill_grace of their steps has passed, or at once on a signal,
 * is sent SIGKILL. */
void
leftover_stop(struct sched *s)
{
	struct ptable t = {0};
	struct pinfo *left = NULL;
	size_t nleft = 0, capleft = 0, norphans = 0, i, k;
	unsigned char *mark;
	pid_t self = reaper(s);
	int64_t wait = 0, longest = -1, until, now = now_ms();

	proc_table(&t);
	mark = xcalloc(t.n + 1, 1);
	for (i = 0; i < t.n; i++) {
		const struct pinfo *p = &t.v[i];
		ssize_t o;
		char cmd[256];

		if (p->ppid != self || is_runjob(s, p->pid))
			continue;
		mark[i] = 1;
		o = owner_of(s, p);
		if (o >= 0 && task_grace(s, s->hist[o].task) > wait)
			wait = task_grace(s, s->hist[o].task);
		else if (o < 0 && longest < 0)
			for (k = 0; k < s->p->n; k++)
				if (task_grace(s, k) > longest)
					longest = task_grace(s, k);
		if (o < 0 && longest > wait)
			wait = longest;	/* whoever's it is */
		if (norphans++ >= 10)
			continue;
		proc_cmdline(p->pid, cmd, sizeof(cmd));
		if (o >= 0)
			ui_note(s->r->ui, now, "step %s left process %d running "
				"(%s): stopping it", inst_id(s, s->hist[o].task),
				(int)p->pid, mask_str(s->r->mask, cmd));
		else
			ui_note(s->r->ui, now, "a step left process %d running "
				"(%s): stopping it", (int)p->pid,
				mask_str(s->r->mask, cmd));
	}
	if (norphans > 10)
		ui_note(s->r->ui, now, "and %zu more processes left by steps: "
			"stopping them", norphans - 10);
	proc_descendants(&t, mark);
	for (i = 0; i < t.n; i++) {
		if (!mark[i] || is_runjob(s, t.v[i].pid))
			continue;
		xgrow(&left, &capleft, nleft + 1, sizeof(*left));
		left[nleft++] = t.v[i];
		kill(t.v[i].pid, SIGTERM);
	}
	free(mark);
	proc_table_free(&t);
	if (!nleft)
		return;
	for (until = now + wait; now_ms() < until; ) {
		struct timespec ts = { 0, 20 * 1000000 };

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (i = 0; i < nleft; i++)
			if (proc_alive(left[i].pid, left[i].start))
				break;
		if (i == nleft || signalled(s))
			break;
		nanosleep(&ts, NULL);
	}
	kill_left(s, left, nleft);
	free(left);
}
