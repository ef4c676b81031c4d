/*
 * plan-bench.c - is planning linear in steps + edges?
 *
 *   make t/perf/plan-bench && ./t/perf/plan-bench 10000 100000 1000000
 *
 * For each N on the command line, build a job of N steps in memory (no
 * YAML): a layered DAG of layers of WIDTH steps, each step of a layer but
 * the first needing NEEDS steps of the layer before, chosen as
 * t/perf/gen-dag.py does. Then time graph_build and plan_build (no
 * params), best of REPS runs, and print the cost per step + edge, which
 * should stay about flat as N grows. Peak RSS is the process's so far
 * (getrusage), so it only grows from one N to the next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "arena.h"
#include "diag.h"
#include "graph.h"
#include "job.h"
#include "param.h"
#include "plan.h"
#include "util.h"

enum { WIDTH = 100, NEEDS = 2, REPS = 3 };

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long
peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* i as a base-36 counter ("0", "1", ..., "z", "10", ...), into the arena. */
static const char *
id36(struct arena *a, size_t i)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char buf[32], *p = buf + sizeof(buf) - 1;

	*p = '\0';
	do {
		*--p = digits[i % 36];
		i /= 36;
	} while (i);
	return arena_strdup(a, p);
}

/* The positions in the layer before that the step at pos needs: as
 * gen-dag.py's pick(), k distinct ones. */
static size_t
pick(size_t pos, size_t width, size_t k, size_t *out)
{
	size_t stride, base, j, m;

	if (k > width)
		k = width;
	stride = k && width / k ? width / k : 1;
	base = pos * 37 % width;
	for (j = 0; j < k; j++) {
		size_t p = (base + j * stride) % width;

		for (m = 0; m < j; m++)
			if (out[m] == p) {
				p = (p + 1) % width;
				m = (size_t)-1;	/* look again from the start */
			}
		out[j] = p;
	}
	return k;
}

/* A job of n steps, every field set as job_load sets it. */
static struct job *
make_job(size_t n, size_t *nedges)
{
	struct job *job = xcalloc(1, sizeof(*job));
	size_t i, j, pos[NEEDS];

	job->file = "plan-bench";
	job->text = NULL;	/* job_free frees it */
	job->version = 1;
	job->name = "plan-bench";
	job->timeout_ms = -1;
	job->steps = arena_calloc(&job->arena, n, sizeof(*job->steps));
	job->nsteps = n;
	*nedges = 0;
	for (i = 0; i < n; i++) {
		struct step *s = &job->steps[i];
		size_t layer = i / WIDTH, k;

		s->id = id36(&job->arena, i);
		s->at.line = (unsigned)(i + 5);
		s->at.col = 3;
		s->timeout_ms = s->kill_grace_ms = -1;
		s->retry.attempts = 1;
		s->retry.backoff = 1;
		s->retry.max_delay_ms = -1;
		s->rollback.timeout_ms = -1;
		s->action.kind = ACT_RUN;
		s->action.run = "true";
		s->action.at = s->at;
		s->action.run_at.line = s->at.line;
		s->action.run_at.col = 10;
		s->action.timeout_ms = -1;
		if (!layer)
			continue;
		k = pick(i % WIDTH, WIDTH, NEEDS, pos);
		s->needs = arena_calloc(&job->arena, k, sizeof(*s->needs));
		s->needs_at = arena_calloc(&job->arena, k, sizeof(*s->needs_at));
		for (j = 0; j < k; j++) {
			/* The layer before is always full. */
			s->needs[j] = job->steps[(layer - 1) * WIDTH + pos[j]].id;
			s->needs_at[j].line = s->at.line;
			s->needs_at[j].col = (unsigned)(30 + 6 * j);
		}
		s->nneeds = k;
		*nedges += k;
	}
	return job;
}

static int
bench(size_t n)
{
	struct param_values pv = {0};
	struct diags d = {0};
	struct graph g;
	struct plan p;
	struct job *job;
	size_t nedges, r;
	double t0, t1, t2, gbest = -1, pbest = -1, per;
	unsigned nwaves = 0;

	job = make_job(n, &nedges);
	for (r = 0; r < REPS; r++) {
		t0 = now_ms();
		if (graph_build(&g, job, &d) < 0 || d.nerrors) {
			diags_print(&d, 0);
			fprintf(stderr, "plan-bench: graph_build failed at "
				"%zu steps\n", n);
			return -1;
		}
		t1 = now_ms();
		if (plan_build(&p, job, &g, &pv, &d) < 0 || d.nerrors) {
			diags_print(&d, 0);
			fprintf(stderr, "plan-bench: plan_build failed at "
				"%zu steps\n", n);
			return -1;
		}
		t2 = now_ms();
		if (p.n != n) {
			fprintf(stderr, "plan-bench: %zu steps planned as %zu\n",
				n, p.n);
			return -1;
		}
		nwaves = g.nwaves;
		if (gbest < 0 || t1 - t0 < gbest)
			gbest = t1 - t0;
		if (pbest < 0 || t2 - t1 < pbest)
			pbest = t2 - t1;
		plan_free(&p);
		graph_free(&g);
	}
	per = (gbest + pbest) * 1e6 / (double)(n + nedges);
	printf("%9zu %9zu %7u %10.2f %10.2f %10.1f %10.1f %13.1f\n", n, nedges,
		nwaves, gbest, pbest, gbest * 1e6 / (double)(n + nedges),
		per, (double)peak_rss_kib() / 1024);
	fflush(stdout);
	job_free(job);
	diags_free(&d);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: plan-bench N...\n");
		return 2;
	}
	printf("graph_build + plan_build of a layered DAG (layers of %d, %d "
		"needs a step), best of %d\n", WIDTH, NEEDS, REPS);
	printf("%9s %9s %7s %10s %10s %10s %10s %13s\n", "steps", "edges",
		"waves", "graph ms", "plan ms", "graph ns/", "total ns/",
		"peak RSS MiB");
	printf("%9s %9s %7s %10s %10s %10s %10s %13s\n", "", "", "", "", "",
		"(s+e)", "(s+e)", "(so far)");
	for (i = 1; i < argc; i++) {
		char *end;
		unsigned long n = strtoul(argv[i], &end, 10);

		if (!*argv[i] || *end || n < 1 || n > JOB_MAX_STEPS) {
			fprintf(stderr, "plan-bench: '%s': give a step count "
				"from 1 to %d\n", argv[i], JOB_MAX_STEPS);
			return 2;
		}
		if (bench(n) < 0)
			status = 1;
	}
	return status;
}
