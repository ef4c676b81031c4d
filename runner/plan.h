/*
 * plan.h - what would run and in which order: the job's steps with
 * for_each expanded into instances, in waves of steps that can run
 * together, and the order rollback would take.
 */
#ifndef RUNJOB_PLAN_H
#define RUNJOB_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "graph.h"
#include "job.h"
#include "mask.h"
#include "param.h"

/* One step instance: a step, or one item of a fan-out step. */
struct plan_step {
	size_t step;		/* index into job->steps */
	const char *id;		/* "copy", or "copy[a]" for item a */
	const char *item;	/* the for_each item; NULL when none */
};

struct plan {
	const struct job *job;		/* borrowed, as are g and pv */
	const struct graph *g;
	const struct param_values *pv;
	struct plan_step *v;		/* instances, step by step in job order */
	size_t n;
	size_t *first;			/* instances of step i: first[i]..first[i+1] */
	struct arena arena;		/* ids and items */
};

enum plan_format { PLAN_TEXT, PLAN_JSON, PLAN_DOT };

/* Expand job (ordered as g, its params resolved in pv) into p. Reports
 * empty or duplicate for_each items. Returns 0 or -1. */
int plan_build(struct plan *p, const struct job *job, const struct graph *g,
	const struct param_values *pv, struct diags *d);

/* Write the plan to stdout, every secret masked by m. */
void plan_print(const struct plan *p, const struct mask *m,
	enum plan_format fmt);

/* How long a run of the plan may take, from the job's history. */
struct plan_times {
	const int64_t *ms;	/* per instance: its median duration in
				 * past runs; -1 when none */
	const int *runs;	/* per instance: how many tries that is of */
	int jobs;		/* steps at once */
	int64_t total;		/* the whole run, as eta_finish() places
				 * the steps */
	size_t unknown;		/* instances with no history */
};
/* The same, with each instance's expected duration and the whole
 * run's (times NULL: none known, as plan_print). */
void plan_print_times(const struct plan *p, const struct mask *m,
	enum plan_format fmt, const struct plan_times *times);

void plan_free(struct plan *p);

#endif
