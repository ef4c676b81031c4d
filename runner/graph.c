/*
 * graph.c - step ids, dependencies, waves and cycles.
 *
 * Everything here is linear in steps + edges: a job of a million steps is
 * ordered in one pass of Kahn's algorithm.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "graph.h"
#include "util.h"

enum { MAX_HINTS = 100, MAX_CYCLES = 20 };

long
graph_find(const struct graph *g, const char *id)
{
	size_t mask = g->nslots - 1, i;
	uint64_t h = hash_str(id);
	uint32_t tag = (uint32_t)(h >> 32);

	if (!g->nslots)
		return -1;
	/* The slot holds the id and a tag, so that a probe touches neither
	 * the step nor, mostly, a string that does not match. */
	for (i = h & mask; g->slots[i].id; i = (i + 1) & mask)
		if (g->slots[i].tag == tag && strcmp(g->slots[i].id, id) == 0)
			return (long)g->slots[i].index;
	return -1;
}

static void
index_ids(struct graph *g, const struct job *job, struct diags *d)
{
	size_t i, mask;

	for (g->nslots = 16; g->nslots < 2 * job->nsteps; g->nslots *= 2)
		;
	g->slots = xcalloc(g->nslots, sizeof(*g->slots));
	mask = g->nslots - 1;
	for (i = 0; i < job->nsteps; i++) {
		const struct step *s = &job->steps[i];
		uint64_t h;
		long prev;
		size_t k;

		if (!s->id)
			continue;
		if ((prev = graph_find(g, s->id)) >= 0) {
			const struct step *p = &job->steps[prev];

			diag_error(d, MARK_FILE(job, s->at), s->at.line, s->at.col,
				"step id '%s' is used twice (first at line %u); "
				"step ids must be unique", s->id, p->at.line);
			continue;
		}
		h = hash_str(s->id);
		for (k = h & mask; g->slots[k].id; k = (k + 1) & mask)
			;
		g->slots[k].id = s->id;
		g->slots[k].index = (uint32_t)i;
		g->slots[k].tag = (uint32_t)(h >> 32);
	}
}

static const char *
suggest(const struct job *job, const char *id, size_t *budget)
{
	const char **ids;
	const char *hint;
	size_t i;

	if (!*budget || job->nsteps > 100000)
		return NULL;
	--*budget;
	ids = xreallocarray(NULL, job->nsteps + 1, sizeof(*ids));
	for (i = 0; i < job->nsteps; i++)
		ids[i] = job->steps[i].id ? job->steps[i].id : "";
	ids[job->nsteps] = NULL;
	hint = did_you_mean(id, ids);
	free(ids);
	return hint;
}

/* Resolve needs into the deps arrays, reporting what cannot be. */
static void
resolve_needs(struct graph *g, const struct job *job, struct diags *d)
{
	size_t i, j, nedges = 0, budget = MAX_HINTS;
	size_t *seen = xcalloc(job->nsteps, sizeof(*seen));

	for (i = 0; i < job->nsteps; i++)
		nedges += job->steps[i].nneeds;
	g->dep_start = xcalloc(job->nsteps + 1, sizeof(*g->dep_start));
	g->deps = xreallocarray(NULL, nedges ? nedges : 1, sizeof(*g->deps));
	nedges = 0;
	for (i = 0; i < job->nsteps; i++) {
		const struct step *s = &job->steps[i];

		g->dep_start[i] = nedges;
		for (j = 0; j < s->nneeds; j++) {
			const char *need = s->needs[j];
			const struct mark *m = &s->needs_at[j];
			const char *hint;
			long k;

			if (!need)
				continue;
			k = graph_find(g, need);
			if (k < 0) {
				hint = suggest(job, need, &budget);
				diag_error(d, MARK_FILE(job, *m), m->line, m->col,
					"step '%s' needs '%s', but there is no "
					"step with that id%s%s%s",
					s->id ? s->id : "?", need,
					hint ? "; did you mean '" : "",
					hint ? hint : "", hint ? "'?" : "");
			} else if ((size_t)k == i) {
				diag_error(d, MARK_FILE(job, *m), m->line, m->col,
					"step '%s' needs itself; remove it from "
					"its own needs", need);
			} else if (seen[k] == i + 1) {
				diag_error(d, MARK_FILE(job, *m), m->line, m->col,
					"step '%s' lists '%s' twice in needs",
					s->id ? s->id : "?", need);
			} else {
				seen[k] = i + 1;
				g->deps[nedges++] = (size_t)k;
			}
		}
	}
	g->dep_start[job->nsteps] = nedges;
	free(seen);

	/* The reverse edges, as a second CSR array. */
	g->rdep_start = xcalloc(job->nsteps + 2, sizeof(*g->rdep_start));
	g->rdeps = xreallocarray(NULL, nedges ? nedges : 1, sizeof(*g->rdeps));
	for (i = 0; i < nedges; i++)
		g->rdep_start[g->deps[i] + 2]++;
	for (i = 2; i <= job->nsteps + 1; i++)
		g->rdep_start[i] += g->rdep_start[i - 1];
	for (i = 0; i < job->nsteps; i++)
		for (j = g->dep_start[i]; j < g->dep_start[i + 1]; j++)
			g->rdeps[g->rdep_start[g->deps[j] + 1]++] = i;
}

/* Name every cycle among the steps Kahn's algorithm could not order
 * (indeg > 0), by depth-first search with an explicit stack. */
static void
report_cycles(struct graph *g, const struct job *job, const size_t *indeg,
	struct diags *d)
{
	unsigned char *color = xcalloc(g->n, 1);	/* 0 new, 1 open, 2 done */
	size_t *stack = xreallocarray(NULL, g->n, sizeof(*stack));
	size_t *next = xreallocarray(NULL, g->n, sizeof(*next));
	size_t i, reported = 0, top;
	struct buf b = {0};

	for (i = 0; i < g->n; i++) {
		if (!indeg[i] || color[i])
			continue;
		top = 0;
		stack[top++] = i;
		next[i] = g->dep_start[i];
		color[i] = 1;
		while (top) {
			size_t v = stack[top - 1], w, k;

			if (next[v] == g->dep_start[v + 1]) {
				color[v] = 2;
				top--;
				continue;
			}
			w = g->deps[next[v]++];
			if (!indeg[w])
				continue;	/* ordered, so on no cycle */
			if (color[w] == 0) {
				color[w] = 1;
				next[w] = g->dep_start[w];
				stack[top++] = w;
				continue;
			}
			if (color[w] != 1)
				continue;
			/* A back edge: the cycle is w ... v on the stack. */
			if (++reported > MAX_CYCLES)
				continue;
			for (k = top; stack[k - 1] != w; k--)
				;
			buf_reset(&b);
			for (; k <= top; k++)
				buf_addf(&b, "%s -> ", job->steps[stack[k - 1]].id);
			buf_adds(&b, job->steps[w].id);
			diag_error(d, MARK_FILE(job, job->steps[w].at),
			    job->steps[w].at.line,
				job->steps[w].at.col, "steps depend on each "
				"other in a cycle: %s (each needs the next); "
				"remove one of these needs", buf_str(&b));
		}
	}
	if (reported > MAX_CYCLES)
		diag_error(d, job->file, 0, 0, "%zu more dependency cycles",
			reported - MAX_CYCLES);
	buf_free(&b);
	free(next);
	free(stack);
	free(color);
}

int
graph_build(struct graph *g, const struct job *job, struct diags *d)
{
	size_t i, j, head = 0, tail = 0, *indeg, *queue, *count;
	unsigned w;

	memset(g, 0, sizeof(*g));
	g->job = job;
	g->n = job->nsteps;
	index_ids(g, job, d);
	resolve_needs(g, job, d);

	/* Kahn's algorithm; a step's wave is one past its latest need's. */
	indeg = xcalloc(g->n + 1, sizeof(*indeg));
	queue = xreallocarray(NULL, g->n + 1, sizeof(*queue));
	g->wave = xcalloc(g->n + 1, sizeof(*g->wave));
	for (i = 0; i < g->n; i++)
		indeg[i] = g->dep_start[i + 1] - g->dep_start[i];
	for (i = 0; i < g->n; i++)
		if (!indeg[i])
			queue[tail++] = i;
	while (head < tail) {
		size_t v = queue[head++];

		if (g->wave[v] + 1 > g->nwaves)
			g->nwaves = g->wave[v] + 1;
		for (j = g->rdep_start[v]; j < g->rdep_start[v + 1]; j++) {
			size_t u = g->rdeps[j];

			if (g->wave[v] + 1 > g->wave[u])
				g->wave[u] = g->wave[v] + 1;
			if (--indeg[u] == 0)
				queue[tail++] = u;
		}
	}
	free(queue);
	if (tail < g->n) {
		report_cycles(g, job, indeg, d);
		free(indeg);
		g->nwaves = 0;
		return -1;
	}
	free(indeg);

	/* Counting sort by wave keeps file order within a wave. */
	count = xcalloc(g->nwaves + 1, sizeof(*count));
	for (i = 0; i < g->n; i++)
		count[g->wave[i] + 1]++;
	for (w = 1; w <= g->nwaves; w++)
		count[w] += count[w - 1];
	g->order = xreallocarray(NULL, g->n + 1, sizeof(*g->order));
	for (i = 0; i < g->n; i++)
		g->order[count[g->wave[i]]++] = i;
	free(count);
	return 0;
}

int
graph_is_ancestor(const struct graph *g, size_t anc, size_t s,
	unsigned char *mark)
{
	size_t *stack, top = 0, nvisited = 0, *visited, j;
	int found = 0;

	for (j = g->dep_start[s]; j < g->dep_start[s + 1]; j++)
		if (g->deps[j] == anc)
			return 1;
	stack = xreallocarray(NULL, g->n, sizeof(*stack));
	visited = xreallocarray(NULL, g->n, sizeof(*visited));
	stack[top++] = s;
	while (top && !found) {
		size_t v = stack[--top];

		for (j = g->dep_start[v]; j < g->dep_start[v + 1]; j++) {
			size_t u = g->deps[j];

			if (u == anc) {
				found = 1;
				break;
			}
			if (!mark[u]) {
				mark[u] = 1;
				visited[nvisited++] = u;
				stack[top++] = u;
			}
		}
	}
	for (j = 0; j < nvisited; j++)
		mark[visited[j]] = 0;
	free(visited);
	free(stack);
	return found;
}

void
graph_free(struct graph *g)
{
	free(g->dep_start);
	free(g->deps);
	free(g->rdep_start);
	free(g->rdeps);
	free(g->order);
	free(g->wave);
	free(g->slots);
	memset(g, 0, sizeof(*g));
}
