/*
 * window.h - maintenance windows and blackouts (SPEC section 7): when a
 * job may start a step. The job's window: and blackout: are decoded by
 * the loader into struct schedule (job.h); this answers what they say
 * at an instant. Instants are milliseconds since the epoch, UTC.
 */
#ifndef RUNJOB_WINDOW_H
#define RUNJOB_WINDOW_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct job;

/* What a job's windows and blackouts say at one instant. */
struct wstate {
	int any;		/* the job has a window: or a blackout: */
	int open;		/* a step may start now: inside a window (or
				 * the job has none) and in no blackout */
	int64_t closes;		/* open: when that stops being so (the
				 * window closes or a blackout begins); 0:
				 * never */
	int64_t opens;		/* not open: when a step may start next (a
				 * window opens outside any blackout, or the
				 * blackout in force ends inside a window);
				 * 0: never */
	const char *blackout;	/* the reason of the blackout in force
				 * ("blackout" when it gave none); NULL */
	int64_t blackout_ends;	/* when that blackout ends */
};

/* 1 when the job has a window: or a blackout:, which then gate its
 * steps; a job with neither is always open, and asks nothing. */
int window_any(const struct job *job);

/* What job's windows and blackouts say at now. */
void window_state(const struct job *job, int64_t now, struct wstate *w);

/* The next n openings at or after now: each the instant a step may
 * start and the one it may no longer, into opens[] and closes[].
 * Returns how many there are (fewer than n when the schedule ends). */
size_t window_next(const struct job *job, int64_t now, size_t n,
	int64_t *opens, int64_t *closes);

/* t in the job's time zone, as "2026-12-12 02:00 Europe/Berlin", into
 * buf of n bytes. */
const char *window_local(const struct job *job, int64_t t, char *buf,
	size_t n);

/* t as window_local gives it, then in UTC: "2026-12-12 02:00
 * Europe/Berlin (2026-12-12T01:00:00Z)". */
const char *window_when(const struct job *job, int64_t t, char *buf,
	size_t n);

/* "KEY":{"local":..., "utc":...} of t, or "KEY":null for 0, into b. */
void window_json_at(struct buf *b, const char *key, const struct job *job,
	int64_t t);

/* A span of ms for people, to the two largest units: "3d 4h", "25m". */
const char *window_span(int64_t ms, char *buf, size_t n);

#endif
