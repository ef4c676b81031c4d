/*
 * notify.h - notify: hooks: a job's shell text run on the run's events
 * (started, succeeded, failed, ...), with the facts in its environment.
 * A hook never changes the run's outcome: it has its own timeout, and
 * how it ended is an event in the journal (notified).
 */
#ifndef RUNJOB_NOTIFY_H
#define RUNJOB_NOTIFY_H

#include <stdint.h>

#include "buf.h"
#include "job.h"
#include "mask.h"
#include "plan.h"
#include "proc.h"

enum { NOTIFY_TIMEOUT_MS = 30000, NOTIFY_OUTPUT_MAX = 4096 };

/* A hook's process. */
struct hook_proc {
	struct proc proc;
	size_t hook;		/* its index in job->hooks */
	unsigned event;
	int64_t deadline;	/* when it is killed */
	int timed_out, done, status;
	struct buf out;		/* the first NOTIFY_OUTPUT_MAX bytes of its
				 * output */
};

/* What a hook is told. */
struct notice {
	const struct plan *plan;	/* its job and params */
	const char *run, *outcome, *summary;
	const char *dir;		/* where hooks run */
};

/* Start the hooks that run on event, appending them to *v (*n of them,
 * *cap room). Returns how many were started. */
size_t notify_start(const struct notice *nt, unsigned event,
	struct hook_proc **v, size_t *n, size_t *cap);
/* Read what h printed so far. */
void notify_drain(struct hook_proc *h);
/* h passed its deadline: kill it. */
void notify_kill(struct hook_proc *h);
/* The data of h's notified event, masked with m, once it ended; the
 * caller frees it. */
char *notify_data(const struct job *job, struct hook_proc *h,
	const struct mask *m);
/* Wait for the hooks in v (not done yet) to end, each killed at its
 * deadline, and record each through rec. Frees them; *n becomes 0. */
void notify_finish(const struct job *job, struct hook_proc *v, size_t *n,
	const struct mask *m, void (*rec)(void *arg, const char *data),
	void *arg);

#endif
