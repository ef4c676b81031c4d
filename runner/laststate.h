/*
 * laststate.h - where a built-in step stood when it last succeeded: its
 * last checkpoint in the newest earlier run of the same job in which it
 * succeeded, handed to its action in RUNJOB_LAST_STATE so that a
 * differential copy goes on from the high-water mark that run reached.
 */
#ifndef RUNJOB_LASTSTATE_H
#define RUNJOB_LASTSTATE_H

#include <stddef.h>

#include "journal.h"
#include "plan.h"

struct last_states {
	char **data;	/* per plan instance: the state (JSON); NULL: none */
	char **from;	/* the run it comes from */
	size_t n;
};

/* Read them for plan's built-in instances from the runs of job other
 * than run. Returns 0, or -1 on a journal error (ls then holds none). */
int last_states_load(struct last_states *ls, struct journal *j,
	const struct plan *plan, const char *run);
/* Record, in the journal's audit log, which run each state was taken
 * from: a last-state event per instance. Returns 0 or -1. */
int last_states_record(const struct last_states *ls, struct journal *j,
	const struct plan *plan, const char *run, int64_t at);
void last_states_free(struct last_states *ls);

#endif
