/*
 * eta-bench.c - what working out a run's ETA costs, which runjob does
 * once a second while a run goes on.
 *
 *   make t/perf/eta-bench && ./t/perf/eta-bench
 *
 * A plan of 1,000,000 instances (1,000 steps in a chain, each a fan-out
 * of 1,000) placed on 8 and on 4096 slots by eta_finish, best of five;
 * beside it, the baseline of the same invocation: one pass that only
 * adds up what each instance has left, the least any estimate costs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "eta.h"
#include "util.h"

enum { STEPS = 1000, FAN = 1000, ROUNDS = 5 };

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(void)
{
	size_t n = (size_t)STEPS * FAN, i, unknown = 0;
	struct graph g = {0};
	struct plan p = {0};
	int64_t *left = xcalloc(n, sizeof(*left)), sink = 0;
	const int jobs[] = { 8, 4096 };
	double best, t;
	int r, k;

	g.n = STEPS;
	g.dep_start = xcalloc(STEPS + 1, sizeof(size_t));
	g.deps = xcalloc(STEPS, sizeof(size_t));
	g.order = xcalloc(STEPS, sizeof(size_t));
	p.first = xcalloc(STEPS + 1, sizeof(size_t));
	for (i = 0; i < STEPS; i++) {
		g.order[i] = i;
		g.dep_start[i + 1] = i;	/* step i needs step i - 1 */
		if (i)
			g.deps[i - 1] = i - 1;
		p.first[i + 1] = (i + 1) * FAN;
	}
	p.g = &g;
	p.n = n;
	for (i = 0; i < n; i++)
		left[i] = i % 7 == 0 ? -1 : (int64_t)(i % 1000) * 10;

	for (best = 1e9, r = 0; r < ROUNDS; r++) {
		t = seconds();
		for (i = 0; i < n; i++)
			sink += left[i] > 0 ? left[i] : 0;
		if (seconds() - t < best)
			best = seconds() - t;
	}
	printf("baseline: one pass over %zu instances: %.1f ms\n", n,
		best * 1e3);
	for (k = 0; k < 2; k++) {
		for (best = 1e9, r = 0; r < ROUNDS; r++) {
			t = seconds();
			sink += eta_finish(&p, left, NULL, jobs[k], &unknown);
			if (seconds() - t < best)
				best = seconds() - t;
		}
		printf("eta_finish, %zu instances on %d slots: %.1f ms\n", n,
			jobs[k], best * 1e3);
	}
	return sink == 42;
}
