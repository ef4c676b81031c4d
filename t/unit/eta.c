/*
 * eta.c - unit tests of when a run ends (eta_finish), what a built-in's
 * progress line says is done, and how progress reads.
 */
#include <stdlib.h>

#include "buf.h"
#include "eta.h"
#include "tap.h"

/* Three steps: a, a fan-out of two instances; b, which needs a; c,
 * which needs nothing. Plan order a[0] a[1] b c. */
static size_t dep_start[] = { 0, 0, 1, 1 }, deps[] = { 0 },
	order[] = { 0, 2, 1 }, first[] = { 0, 2, 3, 4 };
static struct graph g;
static struct plan p;

static void
setup(void)
{
	g.n = 3;
	g.dep_start = dep_start;
	g.deps = deps;
	g.order = order;
	p.g = &g;
	p.n = 4;
	p.first = first;
}

static int64_t
finish(int64_t a0, int64_t a1, int64_t b, int64_t c, const unsigned char *run,
	int jobs, size_t *unknown)
{
	int64_t left[] = { a0, a1, b, c };

	return eta_finish(&p, left, run, jobs, unknown);
}

int
main(void)
{
	unsigned char running[] = { 1, 0, 0, 0 };
	struct progress pg = { .done = 2, .total = 5, .elapsed = 70000,
		.eta = 180000 };
	struct buf b = {0};
	size_t unknown;

	setup();
	ok(finish(10, 10, 5, 7, NULL, 1, &unknown) == 32 && unknown == 0,
		"one at a time: the sum");
	/* a[0] a[1] side by side, then c beside b: b starts once both a
	 * ended. */
	ok(finish(10, 10, 5, 7, NULL, 2, &unknown) == 17,
		"two at a time: a's instances together, then b and c");
	ok(finish(10, 4, 5, 30, NULL, 8, &unknown) == 30,
		"more slots than steps: the longest chain or step");
	ok(finish(0, 0, 5, 0, NULL, 2, &unknown) == 5,
		"what ended takes nothing");
	ok(finish(-1, 10, 5, 7, NULL, 1, &unknown) == 22 && unknown == 1,
		"an instance with no history counts as nothing, and is counted");
	/* a[0] runs and has 10 left: it holds one of the two slots, so a[1]
	 * and c share the other. */
	ok(finish(10, 3, 5, 7, running, 2, &unknown) == 15,
		"a running instance holds its slot from now");

	ok(progress_fraction("[#####...............] 25% 100 of 400 keys, "
		"50 keys/s, 1.2 MiB") == 0.25, "redis.copy: 100 of 400 keys");
	ok(progress_fraction("copy of t [##########..........] 50% 3 of 6 "
		"rows, 3 rows/s") == 0.5, "sqlite.sync: 3 of 6 rows");
	ok(progress_fraction("1200 keys, 300 keys/s, 5 MiB") < 0,
		"no total: no fraction");
	ok(progress_fraction("the copy of a table") < 0,
		"\"of\" between words is no fraction");

	progress_text(&b, &pg);
	ok(strcmp(buf_str(&b), "2 of 5 steps, 1m10s elapsed, ETA 3m00s "
		"(00:03:00Z)") == 0, "progress: %s", buf_str(&b));
	buf_reset(&b);
	pg.unknown = 1;
	progress_text(&b, &pg);
	ok(strcmp(buf_str(&b), "2 of 5 steps, 1m10s elapsed, ETA at least "
		"3m00s (00:03:00Z): 1 step left has no history") == 0,
		"steps with no history are said: %s", buf_str(&b));
	buf_reset(&b);
	pg.gates = 1;
	progress_text(&b, &pg);
	ok(strcmp(buf_str(&b), "2 of 5 steps, 1m10s elapsed, ETA at least "
		"3m00s after approval: 1 step left has no history") == 0,
		"a gate ahead: no clock time, as a person answers first: %s",
		buf_str(&b));
	buf_reset(&b);
	pg.gates = 0;
	pg.eta = -1;
	pg.unknown = 3;
	progress_text(&b, &pg);
	ok(strcmp(buf_str(&b), "2 of 5 steps, 1m10s elapsed, ETA unknown: no "
		"step left has succeeded before") == 0, "no ETA: %s",
		buf_str(&b));
	buf_free(&b);
	return tap_done();
}
