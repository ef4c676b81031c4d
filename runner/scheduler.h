/*
 * scheduler.h - the scheduler: runs a plan's steps in dependency order, at
 * most N at once, supervising each process and recording every
 * transition in the journal before it takes effect.
 */
#ifndef RUNJOB_SCHEDULER_H
#define RUNJOB_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

#include "eta.h"
#include "journal.h"
#include "mask.h"
#include "param.h"
#include "plan.h"
#include "ui.h"

struct sched_opts {
	int jobs;		/* steps at once */
	const char *jobs_from;	/* where that came from, for a note: "-j",
				 * "concurrency:"; NULL: the CPU count */
	const char **only;	/* run just these step ids */
	size_t nonly;
	const char **from;	/* these and their dependents */
	size_t nfrom;
	const char *const *approve;	/* gates approved in advance */
	size_t napprove;
};

struct prior;

/* What one run is given, and its outcome. */
struct sched_run {
	const struct plan *plan;	/* its job, graph and params */
	struct mask *mask;	/* grows with what steps ask to hide */
	struct journal *journal;
	const unsigned char *key;	/* the journal's key (key.h): seals the
					 * outputs that hold a secret */
	struct ui *ui;
	const char *run_id;
	const char *dir;	/* where steps run: the job file's directory */
	const char *logdir;	/* where step logs go, made already */
	const struct prior *prior;	/* a resumed run's past; NULL: new */
	const char *const *last_state;	/* per instance: a built-in's state
					 * where it last succeeded
					 * (laststate.h); NULL: none */
	int rollback_only;	/* only roll back what succeeded */
	int gate;		/* start a step only inside a window (window.h)
				 * and when it can end before it closes */
	const int64_t *expected;	/* per instance: how long it may take
					 * (its timeout, or its longest past
					 * success); 0: not known */
	const struct history *history;	/* how long each instance took in
					 * earlier runs (eta.h); NULL: not
					 * known */
	int64_t started;	/* when this runjob started or took up the
				 * run, ms */
	int on_demand;		/* rolling back because runjob rollback said so */
	const char *outcome;	/* set: the run's state for the journal;
				 * "paused" when a window closed */
};

/* Run it; returns the exit code (exitcode.h). */
int sched_run(struct sched_run *r, const struct sched_opts *o);

/* --dry-run: run each if: probe with RUNJOB_DRY_RUN=1 and say what would
 * run; nothing else is started, nothing journaled. Returns EXIT_OK, or
 * EXIT_INVALID when a probe fails. */
int sched_dry_run(const struct plan *p, struct mask *m,
	const char *dir);

/* 1 when --only / --from name a step or instance of the plan. */
int sched_names_step(const struct plan *p, const char *name);


#endif
