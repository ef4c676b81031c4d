/*
 * graph.h - the dependency graph of a job's steps: ids resolved to
 * indices, a topological order in waves, and cycles found and named.
 */
#ifndef RUNJOB_GRAPH_H
#define RUNJOB_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "job.h"

struct graph {
	size_t n;		/* steps, index for index with job->steps */
	size_t *dep_start;	/* deps of i: deps[dep_start[i]..dep_start[i+1]) */
	size_t *deps;		/* indices of the steps i needs, each once */
	size_t *rdep_start;	/* the same for the steps that need i */
	size_t *rdeps;
	size_t *order;		/* topological: by wave, then file order */
	unsigned *wave;		/* 0-based wave of each step */
	unsigned nwaves;	/* 0 when the graph has a cycle */
	struct graph_slot {	/* open-addressed id table */
		const char *id;		/* NULL: empty */
		uint32_t index;		/* of the step */
		uint32_t tag;		/* high bits of the id's hash */
	} *slots;
	size_t nslots;
	const struct job *job;	/* borrowed */
};

/* Build the graph of job. Reports duplicate ids, unknown needs (with a
 * suggestion), steps needing themselves, needs listed twice and every
 * cycle (as "a -> b -> a"). Returns 0, or -1 when the graph cannot be
 * ordered; g must be freed with graph_free either way. */
int graph_build(struct graph *g, const struct job *job, struct diags *d);

/* The index of the step with id, or -1. */
long graph_find(const struct graph *g, const char *id);

/* 1 when step anc is an ancestor of step s (s needs it, directly or
 * not). mark is scratch of g->n entries, all 0, and is left so. */
int graph_is_ancestor(const struct graph *g, size_t anc, size_t s,
	unsigned char *mark);

void graph_free(struct graph *g);

#endif
