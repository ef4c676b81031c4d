/*
 * window.c - what a job's windows and blackouts say at an instant.
 *
 * Each window, each blackout, is a stream of stretches of time [a, b),
 * ordered by a: a window's openings one after another (the wall-clock
 * times its cron names, each turned into an instant by the zone's
 * rules for gaps and overlaps, and lasting its duration in real time),
 * a fixed blackout once. The windows' stretches are merged where they
 * overlap or touch, the blackouts' too, and a step may start in what
 * the windows cover and no blackout does. Instants are milliseconds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "cron.h"
#include "job.h"
#include "util.h"
#include "window.h"
#include "zone.h"

#define NEVER	INT64_MAX
#define EVER	INT64_MIN
/* How far ahead a stretch is followed: one that goes on further (a
 * window open around the clock, windows that overlap without end) is
 * taken as never ending. */
#define LOOKAHEAD	(10LL * 366 * 86400 * 1000)
#define MAX_STEPS	100000
/* How many years ahead a cron's next time is looked for: more than the
 * eight years between two 29ths of February around 2100. */
#define CRON_YEARS	30

struct ival {
	int64_t a, b;
};

struct src {
	const struct cron *cron;	/* NULL: the fixed stretch [a, b) */
	const struct zone *zone;
	int64_t dur;
	struct ival fixed, cur;
	int valid;
};

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The first time cron opens at or after t, in zone: an instant, in
 * ms; NEVER when it does not within CRON_YEARS. Wall-clock times are
 * tried in order from a little before t's own: an instant that is the
 * first after a gap, or the first of two, may belong to a wall-clock
 * time earlier than t's. */
static int64_t
cron_opening(const struct cron *cron, const struct zone *z, int64_t t)
{
	int64_t s = -floor_div(-t, 1000), lt, x;
	struct civil c;
	int limit;

	lt = s + zone_offset(z, s);
	if ((x = s + zone_offset(z, s - 86400)) < lt)
		lt = x;
	if ((x = s + zone_offset(z, s + 86400)) < lt)
		lt = x;
	lt = -floor_div(-lt, 60) * 60;
	civil_from_secs(lt, &c);
	limit = c.year + CRON_YEARS;
	for (;;) {
		if (cron_next(cron, &c, limit) < 0)
			return NEVER;
		lt = civil_to_secs(&c);
		x = zone_from_local(z, lt, NULL);
		if (x * 1000 >= t)
			return x * 1000;
		civil_from_secs(lt + 60, &c);
	}
}

/* s's first stretch, by start, that ends after t. */
static void
src_first(struct src *s, int64_t t)
{
	if (!s->cron) {
		s->cur = s->fixed;
		s->valid = s->fixed.b > t;
		return;
	}
	s->cur.a = cron_opening(s->cron, s->zone, t - s->dur + 1);
	s->cur.b = s->cur.a == NEVER ? NEVER : s->cur.a + s->dur;
	s->valid = s->cur.a != NEVER;
}

static void
src_advance(struct src *s)
{
	if (!s->cron) {
		s->valid = 0;
		return;
	}
	s->cur.a = cron_opening(s->cron, s->zone, s->cur.a + 1);
	s->cur.b = s->cur.a == NEVER ? NEVER : s->cur.a + s->dur;
	s->valid = s->cur.a != NEVER;
}

/* The first stretch of the union of the n streams at s that ends
 * after t, its end NEVER when it goes on past the lookahead. 0 when
 * there is none. */
static int
union_first(struct src *s, size_t n, int64_t t, struct ival *out)
{
	struct ival cur = { 0, 0 };
	size_t i, best;
	int have = 0, steps = 0;

	for (i = 0; i < n; i++)
		src_first(&s[i], t);
	for (;;) {
		for (best = n, i = 0; i < n; i++)
			if (s[i].valid && (best == n ||
			    s[i].cur.a < s[best].cur.a))
				best = i;
		if (best == n)
			break;
		if (!have) {
			if (s[best].cur.b > t) {
				cur = s[best].cur;
				have = 1;
			}
		} else if (s[best].cur.a <= cur.b) {
			if (s[best].cur.b > cur.b)
				cur.b = s[best].cur.b;
		} else {
			break;
		}
		src_advance(&s[best]);
		if (have && (cur.b == NEVER || cur.b - t > LOOKAHEAD ||
		    ++steps > MAX_STEPS)) {
			cur.b = NEVER;
			break;
		}
	}
	*out = cur;
	return have;
}

struct streams {
	struct src *w, *b;
	size_t nw, nb;
};

static void
streams(const struct job *job, struct streams *st)
{
	const struct schedule *sc = &job->schedule;
	size_t i;

	st->nw = sc->nwindows;
	st->nb = sc->nblackouts;
	st->w = xcalloc(st->nw + st->nb + 1, sizeof(*st->w));
	st->b = st->w + st->nw;
	for (i = 0; i < st->nw; i++) {
		st->w[i].cron = &sc->windows[i].cron;
		st->w[i].zone = sc->windows[i].zone;
		st->w[i].dur = sc->windows[i].duration_ms;
	}
	for (i = 0; i < st->nb; i++) {
		const struct blackout *b = &sc->blackouts[i];

		if (b->kind == BLACKOUT_CRON) {
			st->b[i].cron = &b->cron;
			st->b[i].zone = sc->zone;
			st->b[i].dur = b->duration_ms;
		} else {
			st->b[i].fixed.a = b->from;
			st->b[i].fixed.b = b->to;
		}
	}
}

/* The first stretch in which steps may start that ends after t, into
 * *out; *fresh says whether it begins at or after t (rather than
 * before, t inside it). 0 when there is none. */
static int
open_first(struct streams *st, int64_t t, struct ival *out, int *fresh)
{
	struct ival w = { EVER, NEVER }, b;
	int64_t s = t, p;
	int k, blk;

	for (k = 0; k < MAX_STEPS; k++) {
		if (st->nw && !union_first(st->w, st->nw, s, &w))
			return 0;
		p = w.a > s ? w.a : s;
		blk = st->nb && union_first(st->b, st->nb, p, &b);
		if (blk && b.a <= p) {
			if (b.b == NEVER)
				return 0;
			s = b.b;
			continue;
		}
		out->a = p;
		out->b = blk && b.a < w.b ? b.a : w.b;
		*fresh = p > t || w.a == t;
		if (!*fresh && st->nb && t > EVER &&
		    union_first(st->b, st->nb, t - 1, &b) && b.b == t)
			*fresh = 1;
		return 1;
	}
	return 0;
}

int
window_any(const struct job *job)
{
	return job->schedule.nwindows || job->schedule.nblackouts;
}

void
window_state(const struct job *job, int64_t now, struct wstate *w)
{
	const struct schedule *sc = &job->schedule;
	struct streams st;
	struct ival iv;
	size_t i;
	int fresh;

	memset(w, 0, sizeof(*w));
	w->any = window_any(job);
	streams(job, &st);
	for (i = 0; i < st.nb && !w->blackout; i++) {
		src_first(&st.b[i], now);
		if (st.b[i].valid && st.b[i].cur.a <= now)
			w->blackout = sc->blackouts[i].reason ?
				sc->blackouts[i].reason : "blackout";
	}
	if (w->blackout && union_first(st.b, st.nb, now, &iv))
		w->blackout_ends = iv.b == NEVER ? 0 : iv.b;
	if (!open_first(&st, now, &iv, &fresh)) {
		w->opens = 0;
	} else if (iv.a <= now) {
		w->open = 1;
		w->closes = iv.b == NEVER ? 0 : iv.b;
	} else {
		w->opens = iv.a;
	}
	free(st.w);
}

size_t
window_next(const struct job *job, int64_t now, size_t n, int64_t *opens,
	int64_t *closes)
{
	struct streams st;
	struct ival iv;
	int64_t t = now;
	size_t k = 0;
	int fresh;

	streams(job, &st);
	while (k < n && open_first(&st, t, &iv, &fresh)) {
		if (fresh) {
			opens[k] = iv.a;
			closes[k++] = iv.b == NEVER ? 0 : iv.b;
		}
		if (iv.b == NEVER)
			break;
		t = iv.b;
	}
	free(st.w);
	return k;
}

const char *
window_local(const struct job *job, int64_t t, char *buf, size_t n)
{
	static const struct zone utc = { .name = "UTC" };
	const struct zone *z = job->schedule.zone ? job->schedule.zone : &utc;
	struct civil c;

	civil_from_secs(zone_to_local(z, floor_div(t, 1000)), &c);
	snprintf(buf, n, "%04d-%02d-%02d %02d:%02d %s", c.year, c.month,
		c.day, c.hour, c.minute, z->name);
	return buf;
}

const char *
window_when(const struct job *job, int64_t t, char *buf, size_t n)
{
	char local[96], utc[32];

	snprintf(buf, n, "%s (%s)", window_local(job, t, local, sizeof(local)),
		clock_utc(t, utc, sizeof(utc)));
	return buf;
}

const char *
window_span(int64_t ms, char *buf, size_t n)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 },
		{ "s", 1000 },
	};
	size_t i, k = 0, off = 0;

	buf[0] = '\0';
	if (ms < 1000) {
		snprintf(buf, n, "0s");
		return buf;
	}
	for (i = 0; i < ARRAY_SIZE(units) && k < 2 && off < n; i++) {
		if (ms < units[i].ms && k == 0)
			continue;
		if (ms / units[i].ms)
			off += (size_t)snprintf(buf + off, n - off, "%s%lld%s",
				k ? " " : "", (long long)(ms / units[i].ms),
				units[i].unit);
		ms %= units[i].ms;
		k++;
	}
	return buf;
}

void
window_json_at(struct buf *b, const char *key, const struct job *job, int64_t t)
{
	char local[96], utc[32];

	buf_addf(b, "\"%s\":", key);
	if (!t) {
		buf_adds(b, "null");
		return;
	}
	buf_adds(b, "{\"local\":");
	buf_add_json(b, window_local(job, t, local, sizeof(local)));
	buf_addf(b, ",\"utc\":\"%s\"}", clock_utc(t, utc, sizeof(utc)));
}
