/*
 * resume.h - what the journal says of an unfinished run, so that taking
 * it up again runs nothing that already succeeded, restores the outputs
 * of what did, and settles what was running when its runjob died.
 */
#ifndef RUNJOB_RESUME_H
#define RUNJOB_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "mask.h"
#include "plan.h"
#include "ui.h"

/* One plan instance as the journal left it. */
struct prior_step {
	char *state;		/* the steps table's state; NULL: not there */
	char *def_hash;		/* its definition hash then */
	int tries;		/* step attempts so far */
	int rb_tries;		/* rollback attempts so far */
	int if_tries;		/* if: probes so far */
	int64_t ended;		/* when it succeeded: the rollback order */
	int64_t last_ended;	/* when its last attempt ended */
	char **out;		/* outputs, "NAME=VALUE": values that held a
				 * secret unsealed with the key, or masked
				 * without one */
	size_t nout;
	char *checkpoint;	/* its last checkpoint: a built-in's JSON, a
				 * shell step's line; NULL */
	/* An attempt recorded as running, whose runjob died. */
	char *orphan;		/* its id; NULL: none */
	char *orphan_kind;	/* step, if or rollback */
	long orphan_pid;
	long long orphan_start;
	char *orphan_boot;
	int orphan_n;		/* its attempt number */
	int64_t orphan_started;	/* when (ms) */
	/* It ended while no runjob was there, and its supervisor recorded
	 * how: the scheduler takes that outcome as its own. */
	int adopt;
	int adopt_status;	/* as wait() gives it */
	int adopt_timeout;	/* its timeout passed */
	int64_t adopt_duration;	/* ms */
};

struct prior {
	struct prior_step *v;	/* index for index with the plan's instances */
	size_t n;
	char **gone;		/* steps of the run the plan no longer has */
	size_t ngone;
};

/* Read run's steps, attempts and outputs from the journal; with key (the
 * journal's, key.h), the outputs that held a secret are opened, and one
 * that cannot be is an error. */
int prior_load(struct prior *p, struct journal *j, const char *run,
	const struct plan *plan, const unsigned char *key);
void prior_free(struct prior *p);

/* The plan's instances whose definition differs from the run's (and the
 * run's steps the plan lacks), one a line into out. Returns how many. */
size_t prior_changes(const struct prior *p, const struct plan *plan,
	struct buf *out);

/* Settle the attempts left running. A process still alive (same boot,
 * pid and start time) is waited for, or with kill_orphans its group is
 * stopped. One whose end the run's supervisor recorded (sv.h) is left
 * for the scheduler to adopt (ps->adopt); a rollback's is settled here.
 * Otherwise it is recorded unknown (stopped, when runjob stopped it) and
 * the step's state set to match; an attempt whose process the ledger
 * says was never made is recorded not-started, its step pending. The
 * checkpoints they made meanwhile are journaled, the values steps asked
 * to hide are added to mask, and the outputs files of attempts not
 * adopted are deleted. Never starts anything. */
int prior_settle(struct prior *p, struct journal *j, const char *run,
	const struct plan *plan, struct ui *ui, int kill_orphans,
	const char *logdir, const unsigned char *key, struct mask *mask);

/* The ledger of processes made: logdir/launched, this boot's id on its
 * first line, then the id of each attempt whose process runjob is about
 * to make. It is not fsynced: it only has to outlive runjob, not the
 * machine, to tell a start that was recorded but never made from one
 * whose process ran and ended unrecorded. */
int launched_open(const char *logdir);
void launched_note(int fd, const char *id);
/* 1 when id was noted, 0 when it was not (in this boot), -1 when the
 * ledger cannot tell (missing, or from before a restart). */
int launched_lookup(const char *logdir, const char *id);

/* The definition hash of instance i: its step as written, read back in
 * canonical form, and its item. */
void plan_def_hash(const struct plan *plan, size_t i, char hex[65]);

#endif
