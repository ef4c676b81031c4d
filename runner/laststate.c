/*
 * laststate.c - a built-in step's state where it last succeeded, read
 * from the journal for the next run of its job.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "job.h"
#include "laststate.h"
#include "util.h"

struct reading {
	struct last_states *ls;
	const struct plan *plan;
	unsigned char *seen;	/* per instance: its newest row was had */
};

static int
state_row(void *arg, const struct jrow *row)
{
	struct reading *rd = arg;
	const char *step = jrow_get(row, "step_id");
	const char *data = jrow_get(row, "data");
	size_t i;

	if (!step)
		return 0;
	for (i = 0; i < rd->plan->n; i++) {
		const struct plan_step *ps = &rd->plan->v[i];

		if (rd->seen[i] || strcmp(ps->id, step) != 0)
			continue;
		/* Rows come newest run first: only the first counts, even
		 * when that success left no state. */
		rd->seen[i] = 1;
		if (data && *data) {
			rd->ls->data[i] = xstrdup(data);
			rd->ls->from[i] = xstrdup(jrow_get(row, "run_id"));
		}
		break;
	}
	return 0;
}

int
last_states_load(struct last_states *ls, struct journal *j,
	const struct plan *plan, const char *run)
{
	struct reading rd = { ls, plan, NULL };
	size_t i;
	int any = 0, r;

	ls->n = plan->n;
	ls->data = xcalloc(plan->n + 1, sizeof(*ls->data));
	ls->from = xcalloc(plan->n + 1, sizeof(*ls->from));
	rd.seen = xcalloc(plan->n + 1, 1);
	for (i = 0; i < plan->n; i++) {
		if (plan->job->steps[plan->v[i].step].action.kind == ACT_RUN)
			rd.seen[i] = 1;
		else
			any = 1;
	}
	r = any ? journal_last_states(j, plan->job->name, run, state_row,
		&rd) : 0;
	free(rd.seen);
	if (r < 0) {
		last_states_free(ls);
		ls->n = plan->n;
		ls->data = xcalloc(plan->n + 1, sizeof(*ls->data));
		ls->from = xcalloc(plan->n + 1, sizeof(*ls->from));
	}
	return r;
}

int
last_states_record(const struct last_states *ls, struct journal *j,
	const struct plan *plan, const char *run, int64_t at)
{
	size_t i;
	int any = 0;

	for (i = 0; i < ls->n; i++)
		any |= ls->data[i] != NULL;
	if (!any)
		return 0;
	if (journal_begin(j) < 0)
		return -1;
	for (i = 0; i < ls->n; i++) {
		struct buf data = {0};
		int r;

		if (!ls->data[i])
			continue;
		buf_adds(&data, "{\"from_run\":");
		buf_add_json(&data, ls->from[i]);
		buf_addc(&data, '}');
		r = journal_event(j, run, at, "last-state", plan->v[i].id,
			buf_str(&data));
		buf_free(&data);
		if (r < 0) {
			journal_abort(j);
			return -1;
		}
	}
	return journal_commit(j);
}

void
last_states_free(struct last_states *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		free(ls->data[i]);
		free(ls->from[i]);
	}
	free(ls->data);
	free(ls->from);
	memset(ls, 0, sizeof(*ls));
}
