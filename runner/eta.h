/*
 * eta.h - how long a job's steps take, as the journal remembers them,
 * and when a run of it may end: what plan shows ahead of a run, and
 * the live view, the progress lines and status during one.
 */
#ifndef RUNJOB_ETA_H
#define RUNJOB_ETA_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "journal.h"
#include "plan.h"

/* How many of a step's latest tries that succeeded its median is of. */
#define HISTORY_RECENT 50

/* Each instance of a plan, as its job's earlier runs saw it. */
struct history {
	int64_t *median;	/* ms: the median of the last HISTORY_RECENT
				 * tries of it that succeeded; -1 when none
				 * did */
	int *count;		/* how many tries that median is of */
};

/* Read it from the journal: the runs of the plan's job other than run
 * (NULL: all of them). Returns 0, or -1 (reported) with every median
 * -1. */
int history_load(struct history *h, struct journal *j, const struct plan *p,
	const char *run);
void history_free(struct history *h);

/* When the last instance ends, in ms from now, placing them in plan
 * order on jobs workers, each as soon as one is free and what it needs
 * has ended (list scheduling; a fan-out instance waits for every
 * instance of the steps it needs): left[i] is what instance i still
 * takes, 0 when it has ended or will not run, -1 when that is not
 * known (counted in *unknown, and as taking no time); running[i] (NULL:
 * none) is 1 for what runs already, which holds its worker from now. */
int64_t eta_finish(const struct plan *p, const int64_t *left,
	const unsigned char *running, int jobs, size_t *unknown);

/* Where a run stands. */
struct progress {
	size_t done;		/* instances ended (or skipped, not run) */
	size_t total;		/* instances of the run, excluded ones not */
	size_t unknown;		/* instances still to run with no history */
	size_t gates;		/* gates still to pass, whose wait for a
				 * person is not counted */
	int64_t elapsed;	/* ms since this runjob started or took up
				 * the run */
	int64_t eta;		/* ms until it may end; -1: not known */
	int64_t at;		/* when this was so */
};

/* "3 of 10 steps, 4m12s elapsed, ETA 6m00s (02:40:10Z)", and what the
 * ETA leaves out. */
void progress_text(struct buf *b, const struct progress *pg);
/* The same as JSON members, without braces: "done":3,"total":10,... */
void progress_json(struct buf *b, const struct progress *pg);

/* The fraction a built-in's progress line says is done ("... 120 of 400
 * keys ..."), or -1 when it says none. */
double progress_fraction(const char *line);

#endif
