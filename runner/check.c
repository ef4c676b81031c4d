/*
 * check.c - whole-job validation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "builtin.h"
#include "check.h"
#include "expand.h"
#include "util.h"

/* Where an expression is being checked. */
struct scope {
	const struct job *job;
	const struct graph *g;
	struct diags *d;
	long step;		/* index of the step, or -1 at job level */
	const char *field;	/* for messages: "dir", "env.X", ... */
	struct mark at;
	unsigned char *mark;	/* scratch for graph_is_ancestor */
};

static int
check_ref(void *arg, const struct ref *r)
{
	struct scope *sc = arg;
	const struct job *job = sc->job;
	const char *file = MARK_FILE(job, sc->at);
	char *name = NULL, *id = NULL;
	const struct step *producer;
	long k;
	size_t i;

	switch (r->kind) {
	case REF_RUN_ID:
		return 0;
	case REF_ITEM:
		if (sc->step >= 0 && (job->steps[sc->step].nfor_each ||
		    job->steps[sc->step].for_each_expr))
			return 0;
		diag_error(sc->d, file, sc->at.line, sc->at.col, "%s: "
			"'${{ item }}' is only set in a step with for_each",
			sc->field);
		return 0;
	case REF_PARAM:
		name = xstrndup(r->name, r->namelen);
		if (!job_param(job, name))
			diag_error(sc->d, file, sc->at.line, sc->at.col, "%s: "
				"'${{ params.%s }}' names no param; declare it "
				"under params:", sc->field, name);
		break;
	case REF_OUTPUT:
		name = xstrndup(r->name, r->namelen);
		id = xstrndup(r->step, r->steplen);
		if (sc->step < 0) {
			diag_error(sc->d, file, sc->at.line, sc->at.col, "%s: "
				"step outputs can only be used inside a step",
				sc->field);
			break;
		}
		if ((k = graph_find(sc->g, id)) < 0) {
			diag_error(sc->d, file, sc->at.line, sc->at.col, "%s: "
				"'${{ steps.%s.outputs.%s }}' names no step '%s'",
				sc->field, id, name, id);
			break;
		}
		producer = &job->steps[k];
		for (i = 0; i < producer->noutputs; i++)
			if (producer->outputs[i] &&
			    strcmp(producer->outputs[i], name) == 0)
				break;
		if (i == producer->noutputs)
			diag_error(sc->d, file, sc->at.line, sc->at.col, "%s: "
				"step '%s' declares no output '%s'; list it "
				"under its outputs:", sc->field, id, name);
		else if (!sc->g->nwaves)
			;	/* a cycle: ancestry is meaningless */
		else if (!graph_is_ancestor(sc->g, (size_t)k, (size_t)sc->step,
		    sc->mark))
			diag_error(sc->d, file, sc->at.line, sc->at.col, "%s: "
				"step '%s' uses an output of step '%s' but does "
				"not need it; add '%s' to its needs", sc->field,
				job->steps[sc->step].id, id, id);
		break;
	}
	free(name);
	free(id);
	return 0;
}

static void
check_string(struct scope *sc, const char *s, const char *field,
	struct mark at)
{
	const char *why;

	if (!s)
		return;
	sc->field = field;
	sc->at = at;
	if (expand_scan(s, check_ref, sc, &why) < 0)
		diag_error(sc->d, MARK_FILE(sc->job, at), at.line, at.col, "%s: %s",
			field, why);
}

static void
check_env(struct scope *sc, const struct kv *env, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char field[128];

		snprintf(field, sizeof(field), "%s.%s", what, env[i].key);
		check_string(sc, env[i].value, field, env[i].at);
	}
}

/* Every scalar of a built-in's configuration may hold expressions. */
/* The expressions in a built-in's settings. */
static void
check_settings(struct scope *sc, const struct action *a, const char *what)
{
	size_t i, k;

	for (i = 0; i < a->nsettings; i++)
		for (k = 0; k < a->settings[i].nvalues; k++)
			check_string(sc, a->settings[i].values[k], what,
				a->settings[i].at);
}

static void
not_yet(const struct job *job, struct diags *d, struct mark at,
	const char *what, const char *why)
{
	diag_error(d, MARK_FILE(job, at), at.line, at.col, "%s is not supported yet "
		"by this runjob; %s", what, why);
}

/* A value for runjob check: literal ones as they are; one with an
 * expression is known only at run time, so it is left out, or stands
 * in as a valid one where the built-in says (a server URL it cannot do
 * without). */
static const char *
literal(void *arg, const char *name, const char *value)
{
	const struct builtin *b = arg;
	size_t i;

	if (!strstr(value, "${{"))
		return value;
	for (i = 0; b->settings[i].name; i++)
		if (strcmp(b->settings[i].name, name) == 0)
			return b->settings[i].stand_in;
	return NULL;
}

/* Where setting name of a is written, or a itself. */
static struct mark
setting_at(const struct action *a, const char *name)
{
	size_t i;

	for (i = 0; name && i < a->nsettings; i++)
		if (strcmp(a->settings[i].name, name) == 0)
			return a->settings[i].at;
	return a->at;
}

/* A built-in's settings, checked by the code that will read them, and
 * reported at the value that is wrong (or unsafe). */
static void
check_builtin(struct scope *sc, const struct action *a)
{
	const char *bad = NULL, *risky = NULL;
	struct mark at;
	struct acfg c;
	char err[1024] = "", warn[1024] = "";

	acfg_from_settings(&c, a, literal, (void *)a->builtin);
	c.err = err;
	c.errlen = sizeof(err);
	c.err_name = &bad;
	c.warn = warn;
	c.warnlen = sizeof(warn);
	c.warn_name = &risky;
	if (a->builtin->check(&c) < 0) {
		at = setting_at(a, bad);
		diag_error(sc->d, MARK_FILE(sc->job, at), at.line, at.col, "%s: %s",
			a->builtin->name, err);
	} else if (warn[0]) {
		at = setting_at(a, risky);
		diag_warn(sc->d, MARK_FILE(sc->job, at), at.line, at.col, "%s: %s",
			a->builtin->name, warn);
	}
	acfg_free(&c);
}

static void
check_action(struct scope *sc, const struct action *a, const char *what)
{
	char field[64];

	if (a->kind != ACT_BUILTIN)
		return;
	snprintf(field, sizeof(field), "%s", action_name(a));
	check_settings(sc, a, field);
	if (a->builtin->check) {
		check_builtin(sc, a);
		return;
	}
	snprintf(field, sizeof(field), "the built-in action '%s'",
		action_name(a));
	not_yet(sc->job, sc->d, a->at, field, what);
}

static void
check_for_each(struct scope *sc, const struct step *s)
{
	const char *e = s->for_each_expr, *p, *q;

	if (!e)
		return;
	p = e + strspn(e, " ");
	q = strstr(p, "}}");
	if (strncmp(p, "${{", 3) != 0 || !q || q[2 + strspn(q + 2, " ")] ||
	    !strstr(p, "params.")) {
		diag_error(sc->d, MARK_FILE(sc->job, s->for_each_at),
		    s->for_each_at.line,
			s->for_each_at.col, "for_each takes a list ([a, b]) or "
			"'${{ params.NAME }}' naming a param that holds a "
			"comma-separated list");
		return;
	}
	check_string(sc, e, "for_each", s->for_each_at);
}

/* One output name exported by one step. */
struct export {
	const char *name;
	size_t step;
	struct mark at;
};

static int
cmp_export(const void *pa, const void *pb)
{
	const struct export *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	return a->step < b->step ? -1 : a->step > b->step;
}

static void
conflict(const struct job *job, struct diags *d, size_t v, size_t a,
	size_t b, const char *name)
{
	const struct step *vs = &job->steps[v];

	if (a == b)
		diag_error(d, MARK_FILE(job, vs->at), vs->at.line, vs->at.col, "step '%s' "
			"gets output '%s' from every instance of fan-out step "
			"'%s'; only one value can reach it", vs->id, name,
			job->steps[a].id);
	else
		diag_error(d, MARK_FILE(job, vs->at), vs->at.line, vs->at.col, "step '%s' "
			"gets output '%s' from both '%s' and '%s'; rename one "
			"of them", vs->id, name, job->steps[a].id,
			job->steps[b].id);
}

/* Two ancestors of one step must not export the same output name: the
 * step's environment would hold one of them by chance. Every instance of
 * a fan-out step exports its outputs, so such a step counts twice. The
 * exports are sorted by name and each name's exporters searched
 * downstream together, so the cost is the edges reached per shared name. */
static void
check_outputs(const struct job *job, const struct graph *g, struct diags *d)
{
	struct export *ex = NULL;
	size_t nex = 0, cap = 0, i, j, k;
	size_t *count = xcalloc(g->n, sizeof(*count));
	size_t *first = xcalloc(g->n, sizeof(*first));
	size_t *seen = xcalloc(g->n, sizeof(*seen));
	size_t *queue = xreallocarray(NULL, g->n, sizeof(*queue));
	size_t *touched = xreallocarray(NULL, g->n, sizeof(*touched));
	size_t stamp = 0;

	for (i = 0; i < job->nsteps; i++)
		for (j = 0; j < job->steps[i].noutputs; j++) {
			if (!job->steps[i].outputs[j])
				continue;
			xgrow(&ex, &cap, nex + 1, sizeof(*ex));
			ex[nex].name = job->steps[i].outputs[j];
			ex[nex].step = i;
			ex[nex].at = job->steps[i].outputs_at[j];
			nex++;
		}
	if (nex)
		qsort(ex, nex, sizeof(*ex), cmp_export);

	for (i = 0; i < nex; i = j) {
		size_t ntouched = 0, reported = 0, weight = 0;

		for (j = i; j < nex && strcmp(ex[j].name, ex[i].name) == 0; j++) {
			const struct step *s = &job->steps[ex[j].step];

			if (j > i && ex[j].step == ex[j - 1].step)
				diag_error(d, MARK_FILE(job, ex[j].at), ex[j].at.line,
					ex[j].at.col, "output '%s' is listed "
					"twice", ex[j].name);
			if (job_param(job, ex[j].name))
				diag_error(d, MARK_FILE(job, ex[j].at), ex[j].at.line,
					ex[j].at.col, "output '%s' of step '%s' "
					"has the name of a param; rename one",
					ex[j].name, s->id);
			weight += s->nfor_each > 1 || s->for_each_expr ? 2 : 1;
		}
		if (weight < 2)
			continue;
		for (k = i; k < j; k++) {
			size_t p = ex[k].step, head = 0, tail = 0, q, w;
			const struct step *ps = &job->steps[p];

			if (k > i && p == ex[k - 1].step)
				continue;
			w = ps->nfor_each > 1 || ps->for_each_expr ? 2 : 1;
			stamp++;
			/* Mark when queued, so that each step is queued once. */
			for (q = g->rdep_start[p]; q < g->rdep_start[p + 1]; q++) {
				seen[g->rdeps[q]] = stamp;
				queue[tail++] = g->rdeps[q];
			}
			while (head < tail) {
				size_t v = queue[head++];

				if (!count[v]) {
					first[v] = p;
					touched[ntouched++] = v;
				}
				count[v] += w;
				if (count[v] >= 2 && reported++ < 3)
					conflict(job, d, v, first[v], p, ex[i].name);
				for (q = g->rdep_start[v]; q < g->rdep_start[v + 1]; q++)
					if (seen[g->rdeps[q]] != stamp) {
						seen[g->rdeps[q]] = stamp;
						queue[tail++] = g->rdeps[q];
					}
			}
		}
		for (k = 0; k < ntouched; k++)
			count[touched[k]] = 0;
	}
	free(touched);
	free(queue);
	free(seen);
	free(first);
	free(count);
	free(ex);
}

int
check_job(const struct job *job, const struct graph *g, struct diags *d)
{
	size_t nerrors = d->nerrors, i;
	struct scope sc = { .job = job, .g = g, .d = d, .step = -1 };

	sc.mark = xcalloc(g->n + 1, 1);
	check_env(&sc, job->env, job->nenv, "env");
	for (i = 0; i < job->nsteps; i++) {
		const struct step *s = &job->steps[i];

		sc.step = (long)i;
		check_string(&sc, s->dir, "dir", s->dir_at);
		check_env(&sc, s->env, s->nenv, "env");
		check_string(&sc, s->rollback.dir, "rollback.dir",
			s->rollback.dir_at);
		check_env(&sc, s->rollback.env, s->rollback.nenv, "rollback.env");
		check_for_each(&sc, s);
		check_action(&sc, &s->action, "use a 'run:' step for now");
		check_action(&sc, &s->rollback, "use a 'run:' rollback for now");
	}
	free(sc.mark);
	if (g->nwaves)
		check_outputs(job, g, d);

	/* Before a step starts runjob must tell whether it can end before
	 * the window closes; its timeout says so, or its past runs. A
	 * gate's wait is ended by the close instead. */
	if (job->schedule.nwindows)
		for (i = 0; i < job->nsteps; i++)
			if (job->steps[i].timeout_ms < 0 &&
			    job->steps[i].action.kind != ACT_APPROVE)
				diag_warn(d, MARK_FILE(job, job->steps[i].at),
				    job->steps[i].at.line,
					job->steps[i].at.col, "step %s has no "
					"timeout: until it has run once, runjob "
					"cannot tell whether it ends before the "
					"maintenance window closes, and starts it "
					"anyway; give it a timeout such as "
					"'timeout: 20m'", job->steps[i].id);
	return d->nerrors > nerrors ? -1 : 0;
}
