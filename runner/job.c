/*
 * job.c - decoding the YAML tree into the job model.
 *
 * Each field is checked on its own here (types, names, durations, keys);
 * what needs the whole job (references, the graph) is in check.c.  Errors
 * are collected, never fatal, so that `runjob check` reports them all.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "clock.h"
#include "cron.h"
#include "expand.h"
#include "job.h"
#include "name.h"
#include "units.h"
#include "util.h"

struct ctx {
	struct job *job;	/* the job, or a template it uses */
	struct job *root;	/* the job */
	struct diags *d;
	const char *file;
	struct arena *a;
	struct sources *src;	/* NULL: no file may be read */
	const char *self;	/* the name of the file being read (source.h);
				 * NULL: the job file */
	int kind;		/* SOURCE_TEMPLATE, else -1: the job */
	size_t withcap;
};

/* A node names the file it came from: a job's nodes may come from the
 * presets it extends. */
#define ERR(c, n, ...) diag_error((c)->d, (n)->file, (n)->line, (n)->col, \
	__VA_ARGS__)

static const char *const job_keys[] = {
	"runjob", "name", "description", "params", "env_files", "env",
	"concurrency", "timeout", "on_failure", "require_clean", "window",
	"blackout", "on_window_close", "steps", "extends", "prelude", "notify",
	NULL,
};
/* A step's and a rollback's keys, besides the built-ins' names. */
static const char *const step_keys[] = {
	"id", "description", "run", "shell", "needs", "rollback", "timeout",
	"kill_grace", "retry", "if", "outputs", "for_each", "env", "dir",
	"on_unknown", "uses", "with", "approve", NULL,
};
/* An approve: step's keys; and the step keys that make no sense for a
 * step that runs no process. */
static const char *const approve_keys[] = { "message", "timeout", NULL };
static const char *const notify_keys[] = { "on", "run", "timeout", NULL };
/* The words of on:, bit by bit (enum notify_event). */
static const char *const notify_events[] = { "started", "succeeded",
	"failed", "paused", "rolled-back", "needs-attention", "gate",
	"step-overrun", NULL };

const char *
notify_event_name(unsigned e)
{
	size_t i;

	for (i = 0; notify_events[i]; i++)
		if (e == 1u << i)
			return notify_events[i];
	return "?";
}
static const char *const not_for_gates[] = { "shell", "timeout",
	"kill_grace", "retry", "outputs", "env", "dir", "on_unknown", NULL };
static const char *const rollback_keys[] = {
	"run", "shell", "timeout", "dir", "env", NULL,
};
static const char *const param_keys[] = {
	"default", "required", "description", "pattern", "enum", "secret",
	"env", NULL,
};
static const char *const retry_keys[] = {
	"attempts", "delay", "backoff", "max_delay", "on_exit", NULL,
};
static const char *const window_keys[] = {
	"cron", "duration", "timezone", NULL,
};
static const char *const blackout_keys[] = { "from", "to", "cron",
	"duration", "reason", NULL };
static const char *const output_keys[] = { "name", "optional", NULL };
/* The words on_failure and on_unknown take. */
static const char *const failures[] = { "stop", "rollback", "continue",
		NULL };
static const char *const unknowns[] = { "ask", "rerun", "fail", NULL };
static const char *const window_closes[] = { "pause", "rollback", NULL };

const char *
action_name(const struct action *a)
{
	return a->kind == ACT_RUN ? "run" : a->kind == ACT_BUILTIN ?
		a->builtin->name : a->kind == ACT_APPROVE ? "approve" : "none";
}

static void
unknown_key(struct ctx *c, const struct node *k, const char *where,
	const char *const *known)
{
	const char *hint = did_you_mean(k->u.str, known);

	if (hint)
		ERR(c, k, "unknown key '%s' in %s; did you mean '%s'?",
			k->u.str, where, hint);
	else
		ERR(c, k, "unknown key '%s' in %s", k->u.str, where);
}

static const char *
kind_name(const struct node *n)
{
	if (n->kind == NODE_MAP)
		return "a mapping";
	if (n->kind == NODE_SEQ)
		return "a list";
	return node_is_null(n) ? "empty" : "a single value";
}

static int
want(struct ctx *c, const struct node *n, enum node_kind kind,
	const char *what)
{
	static const char *const names[] = { "a single value", "a list",
		"a mapping" };

	if (n->kind == kind && !(kind == NODE_SCALAR && node_is_null(n)))
		return 0;
	return ERR(c, n, "%s must be %s, not %s", what, names[kind],
		kind_name(n));
}

/* A string value; numbers and booleans are taken as written. */
static const char *
str(struct ctx *c, const struct node *n, const char *what)
{
	if (want(c, n, NODE_SCALAR, what) < 0)
		return NULL;
	return n->u.str;
}

static int
boolean(struct ctx *c, const struct node *n, const char *what, int *out)
{
	if (want(c, n, NODE_SCALAR, what) < 0)
		return -1;
	if (strcmp(n->u.str, "true") == 0)
		*out = 1;
	else if (strcmp(n->u.str, "false") == 0)
		*out = 0;
	else
		return ERR(c, n, "%s must be true or false, not '%s'", what,
			n->u.str);
	return 0;
}

static int
integer(struct ctx *c, const struct node *n, const char *what, long min,
	long max, long *out)
{
	char *end;
	long v;

	if (want(c, n, NODE_SCALAR, what) < 0)
		return -1;
	errno = 0;
	v = strtol(n->u.str, &end, 10);
	if (!isdigit((unsigned char)n->u.str[n->u.str[0] == '-']) || *end ||
	    errno)
		return ERR(c, n, "%s must be a whole number, not '%s'", what,
			n->u.str);
	if (v < min || v > max)
		return ERR(c, n, "%s must be between %ld and %ld, not %ld",
			what, min, max, v);
	*out = v;
	return 0;
}

static int
duration(struct ctx *c, const struct node *n, const char *what,
	int allow_zero, long long *out)
{
	if (want(c, n, NODE_SCALAR, what) < 0)
		return -1;
	if (parse_duration(n->u.str, out) < 0)
		return ERR(c, n, "%s: '%s' is not a duration; write e.g. "
			"500ms, 10s, 5m, 2h, 1d or 1h30m", what, n->u.str);
	if (!allow_zero && *out == 0)
		return ERR(c, n, "%s must be longer than 0", what);
	return 0;
}

static int
oneof(struct ctx *c, const struct node *n, const char *what,
	const char *const *words)
{
	const char *hint;
	char list[128] = "";
	int i;

	if (want(c, n, NODE_SCALAR, what) < 0)
		return -1;
	for (i = 0; words[i]; i++)
		if (strcmp(n->u.str, words[i]) == 0)
			return i;
	for (i = 0; words[i]; i++) {
		strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, words[i], sizeof(list) - strlen(list) - 1);
	}
	hint = did_you_mean(n->u.str, words);
	if (hint)
		return ERR(c, n, "%s: '%s' is not one of %s; did you mean '%s'?",
			what, n->u.str, list, hint);
	return ERR(c, n, "%s: '%s' is not one of %s", what, n->u.str, list);
}

/* A list of strings; a single string is taken as a list of one when
 * single_ok. Returns the count, or -1. */
static long
strlist(struct ctx *c, const struct node *n, const char *what, int single_ok,
	const char ***out, struct mark **marks)
{
	size_t i, count = n->kind == NODE_SEQ ? n->n : 1;
	const char **v;
	struct mark *m;
	int bad = 0;

	if (n->kind != NODE_SEQ && !(single_ok && n->kind == NODE_SCALAR &&
	    !node_is_null(n)))
		return want(c, n, NODE_SEQ, what);
	v = arena_calloc(c->a, count, sizeof(*v));
	m = arena_calloc(c->a, count, sizeof(*m));
	for (i = 0; i < count; i++) {
		const struct node *item = n->kind == NODE_SEQ ? n->u.items[i] : n;

		m[i].line = item->line;
		m[i].col = item->col;
		m[i].file = item->file;
		if (!(v[i] = str(c, item, what)))
			bad = 1;
	}
	*out = v;
	if (marks)
		*marks = m;
	return bad ? -1 : (long)count;
}

/* Shell text never holds expressions: values reach it as environment
 * variables, so that no value can ever become shell syntax. */
static void
shell_text(struct ctx *c, const struct node *n, const char *what)
{
	const char *p = strstr(n->u.str, "${{");
	const char *close, *name = NULL;
	size_t len = 0;

	if (!p)
		return;
	close = strstr(p, "}}");
	if (close) {
		const char *s = p + 3, *e = close;

		while (*s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (strncmp(s, "params.", 7) == 0)
			name = s + 7, len = (size_t)(e - s - 7);
	}
	if (name)
		ERR(c, n, "%s: '${{ ... }}' is not expanded in shell text; "
			"parameters are environment variables: write \"$%.*s\"",
			what, (int)len, name);
	else
		ERR(c, n, "%s: '${{ ... }}' is not expanded in shell text; "
			"use the environment variable instead (\"$NAME\", "
			"\"$RUNJOB_RUN_ID\", \"$RUNJOB_ITEM\", an output's name)",
			what);
}

/* shell: is an interpreter and its options, split at blanks and run
 * as they are written: no expression and no variable is expanded in
 * it, so a value can never choose the program. */
static void
interpreter(struct ctx *c, const struct node *n, const char *what)
{
	if (strstr(n->u.str, "${{"))
		ERR(c, n, "%s: '${{ ... }}' is not expanded here; %s names the "
			"interpreter and its options as written, such as "
			"'bash -eu'; pass values to the step in the environment",
			what, what);
}

static void
env_block(struct ctx *c, const struct node *n, const char *what,
	struct kv **out, size_t *nout)
{
	size_t i;

	if (want(c, n, NODE_MAP, what) < 0)
		return;
	*out = arena_calloc(c->a, n->n, sizeof(**out));
	*nout = 0;
	for (i = 0; i < n->n; i++) {
		const struct node *k = n->u.items[2 * i], *v = n->u.items[2 * i + 1];
		struct kv *kv = &(*out)[*nout];

		if (name_check_env(k->u.str, 1, c->d, k->file, k->line, k->col) < 0)
			continue;
		if (v->kind == NODE_SCALAR && node_is_null(v) && v->plain) {
			kv->value = "";
		} else if (!(kv->value = str(c, v, what))) {
			continue;
		}
		/* The job file may set these, but not to a value from a
		 * param, an output or an item: it comes from outside the
		 * job text, as a param's does. */
		if (strstr(kv->value, "${{") && name_is_refused(k->u.str)) {
			ERR(c, k, "%s.%s takes its value from '${{ ... }}', but "
				"%s changes how programs load or shells start, so "
				"only the job file may set it: write its value out",
				what, k->u.str, k->u.str);
			continue;
		}
		kv->key = k->u.str;
		kv->at.line = v->line;
		kv->at.col = v->col;
		kv->at.file = v->file;
		++*nout;
	}
}

static void
check_keys_only(struct ctx *c, const struct node *n, const char *where,
	const char *const *keys)
{
	size_t i, j;

	if (want(c, n, NODE_MAP, where) < 0)
		return;
	for (i = 0; i < n->n; i++) {
		const struct node *k = n->u.items[2 * i];

		for (j = 0; keys[j]; j++)
			if (strcmp(k->u.str, keys[j]) == 0)
				break;
		if (!keys[j])
			unknown_key(c, k, where, keys);
	}
}

/* keys and the built-ins' names, NULL-terminated, for did-you-mean
 * hints; in a static buffer of room enough. */
static const char *const *
with_builtins(const char *const *keys)
{
	static const char *all[64];
	const char *const *names = builtin_names();
	size_t n = 0;

	for (; *keys && n < ARRAY_SIZE(all) - 1; keys++)
		all[n++] = *keys;
	for (; *names && n < ARRAY_SIZE(all) - 1; names++)
		all[n++] = *names;
	all[n] = NULL;
	return all;
}

/* The mapping v of setting key, whose keys are those of bs, as
 * settings "KEY.SUBKEY" of act. */
static void
sub_settings(struct ctx *c, struct action *act, const struct node *key,
	const struct node *v, const struct builtin_map *bs)
{
	char *where = arena_printf(c->a, "%s of %s", key->u.str,
		act->builtin->name);
	size_t i, j;

	for (i = 0; i < v->n; i++) {
		const struct node *k = v->u.items[2 * i];
		const struct node *x = v->u.items[2 * i + 1];
		struct setting *set = &act->settings[act->nsettings];

		for (j = 0; bs->keys[j]; j++)
			if (strcmp(k->u.str, bs->keys[j]) == 0)
				break;
		if (!bs->keys[j]) {
			unknown_key(c, k, where, bs->keys);
			continue;
		}
		if (x->kind != NODE_SCALAR) {
			ERR(c, x, "%s: %s.%s takes a value", act->builtin->name,
				key->u.str, k->u.str);
			continue;
		}
		set->name = arena_printf(c->a, "%s.%s", key->u.str, k->u.str);
		set->at.line = x->line;
		set->at.col = x->col;
		set->at.file = x->file;
		set->nvalues = 1;
		set->values = arena_calloc(c->a, 2, sizeof(*set->values));
		set->values[0] = x->u.str;
		act->nsettings++;
	}
}

/* The settings of built-in b, decoded once: each a value or a list of
 * them (or a mapping, flattened), its key one that b takes. */
static void
settings(struct ctx *c, struct action *act, const struct node *n)
{
	const struct builtin *b = act->builtin;
	const struct builtin_map *m;
	size_t i, j, k, room;

	if (want(c, n, NODE_MAP, b->name) < 0)
		return;
	room = n->n;
	for (i = 0; i < n->n; i++)
		if (n->u.items[2 * i + 1]->kind == NODE_MAP)
			room += n->u.items[2 * i + 1]->n;
	act->settings = arena_calloc(c->a, room + 1, sizeof(*act->settings));
	for (i = 0; i < n->n; i++) {
		const struct node *key = n->u.items[2 * i];
		const struct node *v = n->u.items[2 * i + 1];
		struct setting *set = &act->settings[act->nsettings];

		for (j = 0; b->settings[j].name; j++)
			if (strcmp(key->u.str, b->settings[j].name) == 0)
				break;
		if (!b->settings[j].name) {
			unknown_key(c, key, b->name, builtin_setting_names(b));
			continue;
		}
		if ((m = builtin_map_find(b, key->u.str))) {
			if (want(c, v, NODE_MAP, arena_printf(c->a, "%s of %s",
			    key->u.str, b->name)) == 0)
				sub_settings(c, act, key, v, m);
			continue;
		}
		set->name = key->u.str;
		set->at.line = v->line;
		set->at.col = v->col;
		set->at.file = v->file;
		set->list = v->kind == NODE_SEQ;
		set->nvalues = set->list ? v->n : 1;
		set->values = arena_calloc(c->a, set->nvalues + 1,
			sizeof(*set->values));
		for (k = 0; k < set->nvalues; k++) {
			const struct node *item = set->list ? v->u.items[k] : v;

			if (item->kind != NODE_SCALAR) {
				ERR(c, item, "%s: %s takes %s", b->name, key->u.str,
					set->list ? "a list of values, not of "
					"lists or mappings" : "a value or a list of "
					"values, not a mapping");
				break;
			}
			set->values[k] = item->u.str;
		}
		if (k == set->nvalues)
			act->nsettings++;
	}
}

/* Take k: v as the action of a step or rollback when k names one.
 * Returns 1 when it did, 0 when k is no action key. */
static int
action_key(struct ctx *c, struct action *act, const struct node *k,
	const struct node *v, const char *where)
{
	const struct builtin *b = builtin_find(k->u.str);

	if (!b && strcmp(k->u.str, "run") != 0)
		return 0;
	if (act->kind != ACT_NONE) {
		ERR(c, k, "%s has more than one action ('%s' and '%s'); "
			"give exactly one", where, action_name(act),
			k->u.str);
		return 1;
	}
	act->at.line = k->line;
	act->at.col = k->col;
	act->at.file = k->file;
	if (!b) {
		if (!(act->run = str(c, v, "run")))
			return 1;
		act->kind = ACT_RUN;
		act->run_at.line = v->line;
		act->run_at.col = v->col;
		act->run_at.file = v->file;
		shell_text(c, v, "run");
		return 1;
	}
	act->kind = ACT_BUILTIN;
	act->builtin = b;
	settings(c, act, v);
	return 1;
}

/* approve: { message: TEXT, timeout: DURATION }: the step is a gate. */
static void
approve(struct ctx *c, struct step *s, const struct node *k,
	const struct node *n, const char *where)
{
	struct action *act = &s->action;
	size_t i;

	if (act->kind != ACT_NONE) {
		ERR(c, k, "%s has more than one action ('%s' and 'approve'); "
			"give exactly one", where, action_name(act));
		return;
	}
	act->kind = ACT_APPROVE;
	act->wait_ms = -1;
	act->at.line = k->line;
	act->at.col = k->col;
	act->at.file = k->file;
	if (node_is_null(n))
		return;
	if (want(c, n, NODE_MAP, "approve") < 0)
		return;
	for (i = 0; i < n->n; i++) {
		const struct node *key = n->u.items[2 * i], *v = n->u.items[2 * i + 1];

		if (strcmp(key->u.str, "message") == 0)
			act->message = str(c, v, "approve.message");
		else if (strcmp(key->u.str, "timeout") == 0) {
			if (v->kind == NODE_SCALAR && v->u.str[0] == '-')
				ERR(c, v, "%s: approve.timeout '%s' is negative; "
					"give how long to wait for an answer, e.g. "
					"30m, or leave it out to wait without limit",
					where, v->u.str);
			else
				duration(c, v, arena_printf(c->a, "%s: "
					"approve.timeout", where), 0, &act->wait_ms);
		} else
			unknown_key(c, key, "approve", approve_keys);
	}
}

/* A gate runs no process: what only a process takes is refused. */
static void
gate_keys(struct ctx *c, const struct node *n, const char *where)
{
	size_t i, k;

	for (i = 0; i < n->n; i++) {
		const struct node *key = n->u.items[2 * i];

		for (k = 0; not_for_gates[k]; k++)
			if (strcmp(key->u.str, not_for_gates[k]) == 0)
				ERR(c, key, "%s: '%s' does not apply to an "
					"approve: step, which runs no process%s",
					where, key->u.str, strcmp(key->u.str,
					"timeout") == 0 ? "; give how long it waits "
					"as approve: { timeout: 30m }" : "");
	}
}

static void
rollback(struct ctx *c, struct step *s, const struct node *n)
{
	struct action *r = &s->rollback;
	size_t i;

	r->timeout_ms = -1;
	if (n->kind == NODE_SCALAR && !node_is_null(n)) {
		r->kind = ACT_RUN;
		r->run = n->u.str;
		r->at.line = r->run_at.line = n->line;
		r->at.col = r->run_at.col = n->col;
		r->at.file = r->run_at.file = n->file;
		shell_text(c, n, "rollback");
		return;
	}
	if (want(c, n, NODE_MAP, "rollback") < 0)
		return;
	for (i = 0; i < n->n; i++) {
		const struct node *k = n->u.items[2 * i], *v = n->u.items[2 * i + 1];
		const char *key = k->u.str;

		if (action_key(c, r, k, v, "rollback"))
			continue;
		if (strcmp(key, "shell") == 0) {
			if ((r->shell = str(c, v, "rollback.shell")))
				interpreter(c, v, "rollback.shell");
		}
		else if (strcmp(key, "timeout") == 0)
			duration(c, v, "rollback.timeout", 0, &r->timeout_ms);
		else if (strcmp(key, "dir") == 0) {
			r->dir = str(c, v, "rollback.dir");
			r->dir_at.line = v->line;
			r->dir_at.col = v->col;
			r->dir_at.file = v->file;
		}
		else if (strcmp(key, "env") == 0)
			env_block(c, v, "rollback.env", &r->env, &r->nenv);
		else
			unknown_key(c, k, "rollback", with_builtins(rollback_keys));
	}
	if (r->kind == ACT_NONE)
		ERR(c, n, "rollback has no action; give 'run:' or a built-in "
			"such as 'redis.copy:'");
	else if (r->shell && r->kind != ACT_RUN)
		ERR(c, n, "rollback: 'shell' applies only to 'run'");
}

/* outputs: a list of names, each a name or { name: NAME, optional:
 * true }, for an output the step may leave unset. */
static void
outputs(struct ctx *c, struct step *s, const struct node *n)
{
	size_t i, j;

	s->outputs_given = 1;
	if (want(c, n, NODE_SEQ, "outputs") < 0)
		return;
	s->outputs = arena_calloc(c->a, n->n + 1, sizeof(*s->outputs));
	s->outputs_at = arena_calloc(c->a, n->n + 1, sizeof(*s->outputs_at));
	s->output_optional = arena_calloc(c->a, n->n + 1, 1);
	s->noutputs = n->n;
	for (i = 0; i < n->n; i++) {
		const struct node *item = n->u.items[i], *name = item;
		int optional = 0;

		if (item->kind == NODE_MAP) {
			name = NULL;
			for (j = 0; j < item->n; j++) {
				const struct node *k = item->u.items[2 * j];
				const struct node *v = item->u.items[2 * j + 1];

				if (strcmp(k->u.str, "name") == 0)
					name = v;
				else if (strcmp(k->u.str, "optional") == 0)
					boolean(c, v, "outputs: optional", &optional);
				else
					unknown_key(c, k, "an output", output_keys);
			}
			if (!name) {
				ERR(c, item, "an output given as a mapping needs "
					"'name:', e.g. { name: NOTE, optional: true }");
				continue;
			}
		}
		s->outputs_at[i].line = name->line;
		s->outputs_at[i].col = name->col;
		s->outputs_at[i].file = name->file;
		s->output_optional[i] = optional != 0;
		if ((s->outputs[i] = str(c, name, "outputs")))
			name_check_var(s->outputs[i], "output", c->d,
			    MARK_FILE(c->job, s->outputs_at[i]),
				name->line, name->col);
	}
}

static void
retry(struct ctx *c, struct step *s, const struct node *n)
{
	struct retry *r = &s->retry;
	size_t i;
	long v;

	s->retry_at.line = n->line;
	s->retry_at.col = n->col;
	s->retry_at.file = n->file;
	if (want(c, n, NODE_MAP, "retry") < 0)
		return;
	for (i = 0; i < n->n; i++) {
		const struct node *k = n->u.items[2 * i], *val = n->u.items[2 * i + 1];
		const char *key = k->u.str;

		if (strcmp(key, "attempts") == 0) {
			if (integer(c, val, "retry.attempts", 1, 1000, &v) == 0)
				r->attempts = (int)v;
		} else if (strcmp(key, "delay") == 0) {
			duration(c, val, "retry.delay", 1, &r->delay_ms);
		} else if (strcmp(key, "max_delay") == 0) {
			duration(c, val, "retry.max_delay", 0, &r->max_delay_ms);
		} else if (strcmp(key, "backoff") == 0) {
			char *end;
			double b;

			if (want(c, val, NODE_SCALAR, "retry.backoff") < 0)
				continue;
			errno = 0;
			b = strtod(val->u.str, &end);
			if (*end || errno || end == val->u.str || !(b >= 1 && b <= 100))
				ERR(c, val, "retry.backoff must be a number from 1 "
					"to 100 (the factor the delay grows by per "
					"try), not '%s'", val->u.str);
			else
				r->backoff = b;
		} else if (strcmp(key, "on_exit") == 0) {
			size_t j, count = val->kind == NODE_SEQ ? val->n : 0;

			if (want(c, val, NODE_SEQ, "retry.on_exit") < 0)
				continue;
			r->on_exit = arena_calloc(c->a, count, sizeof(int));
			for (j = 0; j < count; j++)
				if (integer(c, val->u.items[j], "retry.on_exit",
				    1, 255, &v) == 0)
					r->on_exit[r->non_exit++] = (int)v;
		} else {
			unknown_key(c, k, "retry", retry_keys);
		}
	}
	if (r->max_delay_ms >= 0 && r->max_delay_ms < r->delay_ms)
		ERR(c, n, "retry.max_delay is shorter than retry.delay");
}

static void
for_each(struct ctx *c, struct step *s, const struct node *n)
{
	unsigned char *repeat;
	size_t i;

	s->for_each_at.line = n->line;
	s->for_each_at.col = n->col;
	s->for_each_at.file = n->file;
	if (n->kind == NODE_SCALAR && !node_is_null(n)) {
		s->for_each_expr = n->u.str;
		return;
	}
	if (n->kind == NODE_SEQ && n->n == 0) {
		ERR(c, n, "for_each is an empty list; give at least one item");
		return;
	}
	if (strlist(c, n, "for_each", 0, &s->for_each, NULL) < 0)
		return;
	s->nfor_each = n->n;
	repeat = xmalloc(n->n);
	find_repeats(s->for_each, n->n, repeat);
	for (i = 0; i < n->n; i++) {
		const struct node *item = n->u.items[i];

		if (name_check_item(s->for_each[i], c->d, item->file, item->line,
		    item->col) < 0)
			continue;
		if (repeat[i])
			ERR(c, item, "for_each item '%s' is listed twice",
				s->for_each[i]);
	}
	free(repeat);
}

/* A built-in's outputs (KEYS_COPIED, ...) are exported like declared
 * ones: all of them, or those its outputs: list names. */
static void
builtin_outputs(struct ctx *c, struct step *s, const char *where)
{
	const struct builtin *b = s->action.builtin;
	size_t i, n = 0;

	for (i = 0; i < s->noutputs; i++) {
		char list[256];
		size_t k;

		for (k = 0; b->outputs[k]; k++)
			if (s->outputs[i] && strcmp(s->outputs[i],
			    b->outputs[k]) == 0)
				break;
		if (!b->outputs[k] && s->outputs[i])
			diag_error(c->d, MARK_FILE(c->job, s->outputs_at[i]),
			    s->outputs_at[i].line,
				s->outputs_at[i].col, "%s: %s gives no output "
				"'%s'; it gives %s", where, b->name, s->outputs[i],
				b->outputs[0] ? builtin_outputs_text(b, list,
				sizeof(list)) : "none");
	}
	if (s->outputs_given)
		return;
	while (b->outputs[n])
		n++;
	s->outputs = arena_alloc(c->a, (n + 1) * sizeof(*s->outputs));
	s->outputs_at = arena_alloc(c->a, (n + 1) * sizeof(*s->outputs_at));
	for (i = 0; i < n; i++) {
		s->outputs[i] = b->outputs[i];
		s->outputs_at[i] = s->action.at;
	}
	s->noutputs = n;
}

static void
step(struct ctx *c, struct step *s, const struct node *n)
{
	const char *where;
	size_t i;
	int v;

	s->timeout_ms = s->kill_grace_ms = -1;
	s->retry.attempts = 1;
	s->retry.backoff = 1;
	s->retry.max_delay_ms = -1;
	s->rollback.timeout_ms = -1;
	s->at.line = n->line;
	s->at.col = n->col;
	s->at.file = n->file;
	s->node = n;
	if (want(c, n, NODE_MAP, "a step") < 0) {
		s->id = arena_printf(c->a, "(step at %u:%u)", n->line, n->col);
		return;
	}

	/* The id first, so that messages can name the step. */
	for (i = 0; i < n->n; i++) {
		const struct node *k = n->u.items[2 * i], *val = n->u.items[2 * i + 1];

		if (strcmp(k->u.str, "id") == 0 && (s->id = str(c, val, "id")))
			name_check_id(s->id, "step id", c->d, val->file,
				val->line, val->col);
	}
	if (!s->id) {
		ERR(c, n, "a step without 'id:'; give every step a unique id");
		/* A stand-in, so that later checks can name the step. It
		 * holds a space, so no need can match it by accident. */
		s->id = arena_printf(c->a, "(step at %u:%u)", n->line, n->col);
	}
	where = arena_printf(c->a, "step '%s'", s->id);

	for (i = 0; i < n->n; i++) {
		const struct node *k = n->u.items[2 * i], *val = n->u.items[2 * i + 1];
		const char *key = k->u.str;

		if (strcmp(key, "id") == 0)
			continue;
		if (action_key(c, &s->action, k, val, where))
			continue;
		if (strcmp(key, "approve") == 0) {
			approve(c, s, k, val, where);
		} else if (strcmp(key, "description") == 0) {
			s->description = str(c, val, "description");
		} else if (strcmp(key, "shell") == 0) {
			if ((s->action.shell = str(c, val, "shell")))
				interpreter(c, val, "shell");
		} else if (strcmp(key, "needs") == 0) {
			long count = strlist(c, val, "needs", 1, &s->needs,
				&s->needs_at);

			s->nneeds = count > 0 ? (size_t)count : 0;
		} else if (strcmp(key, "rollback") == 0) {
			rollback(c, s, val);
		} else if (strcmp(key, "timeout") == 0) {
			duration(c, val, "timeout", 0, &s->timeout_ms);
		} else if (strcmp(key, "kill_grace") == 0) {
			duration(c, val, "kill_grace", 1, &s->kill_grace_ms);
		} else if (strcmp(key, "retry") == 0) {
			retry(c, s, val);
		} else if (strcmp(key, "if") == 0) {
			if ((s->if_ = str(c, val, "if"))) {
				s->if_at.line = val->line;
				s->if_at.col = val->col;
				s->if_at.file = val->file;
				shell_text(c, val, "if");
			}
		} else if (strcmp(key, "outputs") == 0) {
			outputs(c, s, val);
		} else if (strcmp(key, "for_each") == 0) {
			for_each(c, s, val);
		} else if (strcmp(key, "env") == 0) {
			env_block(c, val, "env", &s->env, &s->nenv);
		} else if (strcmp(key, "dir") == 0) {
			if ((s->dir = str(c, val, "dir"))) {
				s->dir_at.line = val->line;
				s->dir_at.col = val->col;
				s->dir_at.file = val->file;
			}
		} else if (strcmp(key, "on_unknown") == 0) {
			if ((v = oneof(c, val, "on_unknown", unknowns)) >= 0)
				s->on_unknown = (enum on_unknown)(ON_UNKNOWN_ASK + v);
		} else if (strcmp(key, "with") == 0) {
			ERR(c, k, "%s: 'with:' gives the params of a template "
				"and goes with 'uses:'", where);
		} else {
			unknown_key(c, k, where, with_builtins(step_keys));
		}
	}
	if (s->action.kind == ACT_NONE)
		ERR(c, n, "%s has no action; give 'run:' or a built-in such as "
			"'redis.copy:', or 'approve:' for a gate", where);
	else if (s->action.kind == ACT_APPROVE)
		gate_keys(c, n, where);
	else if (s->action.shell && s->action.kind != ACT_RUN)
		ERR(c, n, "%s: 'shell' applies only to 'run'", where);
	else if (s->action.kind != ACT_RUN)
		builtin_outputs(c, s, where);
}

static void
param(struct ctx *c, struct param *p, const struct node *k,
	const struct node *n)
{
	const struct node *def = NULL;
	size_t i;

	p->name = k->u.str;
	p->at.line = k->line;
	p->at.col = k->col;
	p->at.file = k->file;
	name_check_var(p->name, "param", c->d, k->file, k->line, k->col);
	if (n->kind == NODE_SCALAR) {
		if (node_is_null(n))
			ERR(c, n, "param %s has no value; give a default "
				"(%s: VALUE) or mark it required "
				"(%s: { required: true })", p->name, p->name,
				p->name);
		else
			p->def = n->u.str;
		return;
	}
	if (want(c, n, NODE_MAP, "a param") < 0)
		return;
	for (i = 0; i < n->n; i++) {
		const struct node *key = n->u.items[2 * i], *v = n->u.items[2 * i + 1];
		const char *s = key->u.str;

		if (strcmp(s, "default") == 0) {
			p->def = str(c, v, "default");
			def = v;
		} else if (strcmp(s, "required") == 0) {
			boolean(c, v, "required", &p->required);
		} else if (strcmp(s, "secret") == 0) {
			boolean(c, v, "secret", &p->secret);
		} else if (strcmp(s, "description") == 0) {
			p->description = str(c, v, "description");
		} else if (strcmp(s, "pattern") == 0) {
			p->pattern = str(c, v, "pattern");
			p->pattern_at.line = v->line;
			p->pattern_at.col = v->col;
			p->pattern_at.file = v->file;
		} else if (strcmp(s, "enum") == 0) {
			long count = strlist(c, v, "enum", 0, &p->enums, NULL);

			p->nenums = count > 0 ? (size_t)count : 0;
			p->enum_at.line = v->line;
			p->enum_at.col = v->col;
			p->enum_at.file = v->file;
			if (count == 0)
				ERR(c, v, "enum is empty; list the allowed values");
		} else if (strcmp(s, "env") == 0) {
			if ((p->env = str(c, v, "env")))
				name_check_env(p->env, 0, c->d, v->file, v->line,
					v->col);
		} else {
			unknown_key(c, key, "a param", param_keys);
		}
	}
	if (p->required && p->def)
		ERR(c, n, "param %s is required and has a default; a default "
			"makes 'required' meaningless, remove one", p->name);
	/* Not an error: the value is only as secret as the file is. But
	 * the journal keeps the job text that ran, so the value lands there
	 * too, where a secret's value is otherwise never stored. */
	if (p->secret && p->def && *p->def)
		diag_warn(c->d, def->file, def->line, def->col, "param %s is "
			"secret but its default is written in the job file, "
			"and the journal keeps the job text that ran; give the "
			"value with 'env: VARIABLE' (from the runner's "
			"environment) or in an env file instead", p->name);
}

/* notify: a list of { on: EVENTS, run: TEXT, timeout: DURATION }. */
static void
notify(struct ctx *c, const struct node *n)
{
	struct job *job = c->job;
	size_t i, k, e;

	if (want(c, n, NODE_SEQ, "notify") < 0)
		return;
	job->hooks = arena_calloc(c->a, n->n + 1, sizeof(*job->hooks));
	for (i = 0; i < n->n; i++) {
		const struct node *item = n->u.items[i];
		struct hook *h = &job->hooks[job->nhooks];
		const char **on = NULL;
		struct mark *on_at = NULL;
		long count = 0;

		if (want(c, item, NODE_MAP, "a notify: hook") < 0)
			continue;
		h->timeout_ms = -1;
		h->at.line = item->line;
		h->at.col = item->col;
		h->at.file = item->file;
		for (k = 0; k < item->n; k++) {
			const struct node *key = item->u.items[2 * k];
			const struct node *v = item->u.items[2 * k + 1];

			if (strcmp(key->u.str, "on") == 0) {
				count = strlist(c, v, "notify.on", 1, &on, &on_at);
			} else if (strcmp(key->u.str, "run") == 0) {
				if ((h->run = str(c, v, "notify.run")))
					shell_text(c, v, "notify.run");
			} else if (strcmp(key->u.str, "timeout") == 0) {
				duration(c, v, "notify.timeout", 0, &h->timeout_ms);
			} else {
				unknown_key(c, key, "a notify: hook", notify_keys);
			}
		}
		for (k = 0; k < (size_t)(count > 0 ? count : 0); k++) {
			for (e = 0; notify_events[e]; e++)
				if (strcmp(on[k], notify_events[e]) == 0) {
					h->on |= 1u << e;
					break;
				}
			if (!notify_events[e]) {
				const char *hint = did_you_mean(on[k],
					notify_events);

				diag_error(c->d, MARK_FILE(job, on_at[k]),
					on_at[k].line, on_at[k].col, "notify.on: "
					"unknown event '%s'%s%s%s; the events are "
					"started, succeeded, failed, paused, "
					"rolled-back, needs-attention, gate and "
					"step-overrun", on[k], hint ?
					" (did you mean '" : "", hint ? hint : "",
					hint ? "'?)" : "");
			}
		}
		if (!h->run)
			ERR(c, item, "a notify: hook without 'run:'; give the "
				"command to run");
		else if (count <= 0)
			ERR(c, item, "a notify: hook without 'on:'; list the "
				"events it runs on, e.g. on: [failed, "
				"needs-attention]");
		else
			job->nhooks++;
	}
}

static void
params(struct ctx *c, const struct node *n)
{
	struct job *job = c->job;
	size_t i;

	if (want(c, n, NODE_MAP, "params") < 0)
		return;
	job->params = arena_calloc(c->a, n->n, sizeof(*job->params));
	job->nparams = n->n;
	for (i = 0; i < n->n; i++)
		param(c, &job->params[i], n->u.items[2 * i],
			n->u.items[2 * i + 1]);
}

static void top(struct ctx *c, const struct node *root);
static const struct node *lookup(const struct node *n, const char *key);

/* A copy of v (n of size each) with room for cap, in the job's arena. */
static void *
arena_realloc_array(struct ctx *c, const void *v, size_t n, size_t cap,
	size_t size)
{
	void *p = arena_calloc(c->a, cap, size);

	if (n)
		memcpy(p, v, n * size);
	return p;
}

/* A step with uses: takes only these; the rest is the template's. */
static const char *const use_keys[] = { "id", "uses", "with", "needs",
	NULL };

/* The steps a steps: list expands to, and the uses: among them. */
struct stepvec {
	struct step *v;
	size_t n, cap;
	struct group {
		const char *id;		/* of the uses: step */
		size_t first, n;	/* its steps in v */
	} *g;
	size_t ng, capg;
};

static struct step *
push_step(struct stepvec *sv)
{
	xgrow(&sv->v, &sv->cap, sv->n + 1, sizeof(*sv->v));
	memset(&sv->v[sv->n], 0, sizeof(*sv->v));
	return &sv->v[sv->n++];
}

/* What brought the file named path in, for messages about it. */
static const char *
via_of_file(struct ctx *c, const char *what, const struct node *at)
{
	size_t i;

	for (i = 0; i < c->d->nvia; i++)
		if (strcmp(c->d->via[i].file, at->file) == 0)
			return arena_printf(c->a, "%s %s:%u:%u, %s", what,
				at->file, at->line, at->col, c->d->via[i].via);
	return arena_printf(c->a, "%s %s:%u:%u", what, at->file, at->line,
		at->col);
}

/* The file ref names, read once and not being expanded already: a file
 * that is, names itself through the chain that leads back to it. */
static struct source_file *
part(struct ctx *c, const struct node *ref, enum source_kind kind)
{
	const char *key = kind == SOURCE_TEMPLATE ? "uses" :
		kind == SOURCE_PRESET ? "extends" : "prelude.file";
	char err[PATH_MAX + 512], *name;
	struct source_file *f;
	int r;

	if (want(c, ref, NODE_SCALAR, key) < 0)
		return NULL;
	if (!c->src) {
		ERR(c, ref, "%s: no file can be read for a job read back "
			"this way", key);
		return NULL;
	}
	name = source_name(c->self, ref->u.str);
	if (strcmp(name, c->src->self) == 0 && kind != SOURCE_PRELUDE) {
		ERR(c, ref, "%s: %s is the job file itself; a job cannot %s "
			"itself, directly or through the files it names", key,
			ref->u.str, kind == SOURCE_TEMPLATE ? "use" : "extend");
		free(name);
		return NULL;
	}
	r = source_read(c->src, name, kind, &f, err, sizeof(err));
	free(name);
	if (r < 0) {
		ERR(c, ref, "%s: %s", key, err);
		return NULL;
	}
	if (f->loading) {
		ERR(c, ref, "%s: %s is already being expanded here: it %s "
			"itself, directly or through the files it names; "
			"break the cycle", key, f->path, kind == SOURCE_TEMPLATE ?
			"uses" : "extends");
		return NULL;
	}
	diag_via(c->d, f->path, via_of_file(c, kind == SOURCE_TEMPLATE ?
		"used by" : kind == SOURCE_PRESET ? "extended by" :
		"included by", ref));
	return f;
}

/* The template uses: names, decoded once however often it is used. */
static struct job *
template(struct ctx *c, const struct node *ref)
{
	struct source_file *f = part(c, ref, SOURCE_TEMPLATE);
	struct node *root;
	struct job *t;
	struct ctx tc;

	if (!f)
		return NULL;
	if (f->parsed)
		return f->parsed;
	t = xcalloc(1, sizeof(*t));
	t->file = f->path;
	t->text = f->text;
	t->timeout_ms = -1;
	c->root->parts = xreallocarray(c->root->parts, c->root->nparts + 1,
		sizeof(*c->root->parts));
	c->root->parts[c->root->nparts++] = t;
	f->parsed = t;
	if (load_yaml(&root, f->text, f->len, f->path, c->a, c->d) < 0 &&
	    !root)
		return NULL;
	tc = *c;
	tc.job = t;
	tc.file = f->path;
	tc.self = f->name;
	tc.kind = SOURCE_TEMPLATE;
	f->loading = 1;
	top(&tc, root);
	f->loading = 0;
	return t;
}

/* Values given in with: reach a template's steps in the environment
 * (for shell text) and in place of ${{ params.NAME }} elsewhere; its
 * steps' outputs are named by their new ids. */
struct subst {
	struct ctx *c;
	const struct job *t;
	const char **val;
	const char *use;
	struct buf b;
};

static const char *
subst_ref(void *arg, const struct ref *r)
{
	struct subst *x = arg;
	size_t i;

	if (r->kind == REF_PARAM) {
		for (i = 0; i < x->t->nparams; i++)
			if (strlen(x->t->params[i].name) == r->namelen &&
			    memcmp(x->t->params[i].name, r->name,
			    r->namelen) == 0)
				return x->val[i];
	} else if (r->kind == REF_OUTPUT) {
		for (i = 0; i < x->t->nsteps; i++)
			if (strlen(x->t->steps[i].id) == r->steplen &&
			    memcmp(x->t->steps[i].id, r->step, r->steplen) == 0)
				return arena_printf(x->c->a, "${{ steps.%s.%s."
					"outputs.%.*s }}", x->use,
					x->t->steps[i].id, (int)r->namelen,
					r->name);
	}
	return NULL;
}

static const char *
subst(struct subst *x, const char *s)
{
	const char *why;

	if (!s || !strstr(s, "${{"))
		return s;
	buf_reset(&x->b);
	if (expand(&x->b, s, subst_ref, x, &why) < 0)
		return s;	/* check.c says what is wrong with it */
	return arena_strdup(x->c->a, buf_str(&x->b));
}

static struct kv *
subst_env(struct subst *x, const struct kv *env, size_t n,
	const struct kv *first, size_t nfirst)
{
	struct kv *v = arena_calloc(x->c->a, n + nfirst, sizeof(*v));
	size_t i;

	for (i = 0; i < nfirst; i++)
		v[i] = first[i];
	for (i = 0; i < n; i++) {
		v[nfirst + i] = env[i];
		v[nfirst + i].value = subst(x, env[i].value);
	}
	return v;
}

static void
subst_action(struct subst *x, struct action *a)
{
	struct setting *set;
	size_t i, j;

	a->dir = subst(x, a->dir);
	a->env = subst_env(x, a->env, a->nenv, NULL, 0);
	if (!a->nsettings)
		return;
	set = arena_calloc(x->c->a, a->nsettings, sizeof(*set));
	for (i = 0; i < a->nsettings; i++) {
		set[i] = a->settings[i];
		set[i].values = arena_calloc(x->c->a, set[i].nvalues + 1,
			sizeof(*set[i].values));
		for (j = 0; j < set[i].nvalues; j++)
			set[i].values[j] = subst(x, a->settings[i].values[j]);
	}
	a->settings = set;
}

/* The values of a template's params at one use: with: or the default;
 * the checks against pattern, enum and secret wait for the job's params
 * (param.c). */
static const char **
with_values(struct ctx *c, const struct job *t, const char *id,
	const struct node *n, const struct node *with, struct mark *at)
{
	const char **val = arena_calloc(c->a, t->nparams + 1, sizeof(*val));
	const char **names = arena_calloc(c->a, t->nparams + 1,
		sizeof(*names));
	size_t i, j;

	for (i = 0; i < t->nparams; i++)
		names[i] = t->params[i].name;
	if (with && want(c, with, NODE_MAP, "with") < 0)
		with = NULL;
	for (i = 0; with && i < with->n; i++) {
		const struct node *k = with->u.items[2 * i];
		const struct node *v = with->u.items[2 * i + 1];
		struct with_value *w;

		for (j = 0; j < t->nparams; j++)
			if (names[j] && strcmp(names[j], k->u.str) == 0)
				break;
		if (j == t->nparams) {
			unknown_key(c, k, arena_printf(c->a, "with: (the "
				"params of %s)", t->file), names);
			continue;
		}
		if (!(val[j] = str(c, v, "a with: value")))
			continue;
		xgrow(&c->root->withs, &c->withcap, c->root->nwiths + 1,
			sizeof(*c->root->withs));
		w = &c->root->withs[c->root->nwiths++];
		w->param = &t->params[j];
		w->template = t->file;
		w->use = id;
		w->value = val[j];
		w->at.line = v->line;
		w->at.col = v->col;
		w->at.file = v->file;
		at[j] = w->at;
	}
	for (i = 0; i < t->nparams; i++) {
		const struct param *p = &t->params[i];

		if (val[i] || !p->name)
			continue;
		if (p->def) {
			val[i] = p->def;
			continue;
		}
		val[i] = "";
		if (p->required)
			ERR(c, with ? with : n, "step '%s': the template %s needs "
				"a value for its param %s (%s:%u:%u); give it in "
				"with: { %s: VALUE }", id, t->file, p->name,
				MARK_FILE(t, p->at), p->at.line, p->at.col,
				p->name);
	}
	return val;
}

/* for_each: "${{ params.X }}" of a template given a list in with: is
 * that list, split at commas as a param's value would be. */
static void
literal_items(struct ctx *c, struct step *s)
{
	const char **items;
	size_t n = arena_split_list(c->a, s->for_each_expr, &items), i;

	for (i = 0; i < n; i++)
		name_check_item(items[i], c->d, MARK_FILE(c->job,
			s->for_each_at), s->for_each_at.line, s->for_each_at.col);
	if (!n)
		diag_error(c->d, MARK_FILE(c->job, s->for_each_at),
			s->for_each_at.line, s->for_each_at.col, "step '%s': "
			"for_each gives no items; the value given in with: must "
			"be a comma-separated list", s->id);
	s->for_each = items;
	s->nfor_each = n;
	s->for_each_expr = NULL;
}

/* A uses: step becomes its template's steps, as ID.STEP: the needs of
 * the uses: step go to those that need nothing in the template. */
static void
use(struct ctx *c, struct stepvec *sv, const struct node *n)
{
	const struct node *idn = lookup(n, "id"), *with = lookup(n, "with");
	const struct node *needs = lookup(n, "needs");
	const char **uneeds = NULL, *id = NULL, **val;
	struct mark *uneeds_at = NULL, *at;
	struct subst x = { .c = c };
	struct kv *penv;
	long nuneeds = 0;
	struct group *g;
	struct job *t;
	size_t i, j;

	check_keys_only(c, n, "a step with uses:", use_keys);
	if (idn && (id = str(c, idn, "id")))
		name_check_id(id, "step id", c->d, idn->file, idn->line,
			idn->col);
	else if (!idn)
		ERR(c, n, "a step with uses: needs an 'id:'; its template's "
			"steps are named ID.STEP");
	if (needs && (nuneeds = strlist(c, needs, "needs", 1, &uneeds,
	    &uneeds_at)) < 0)
		nuneeds = 0;
	if (!(t = template(c, lookup(n, "uses"))) || !id)
		return;
	if (!t->nsteps)
		return;
	/* Every step of the template sees its params, as a step of a job
	 * sees the job's; a problem with a value is where it is given. */
	penv = arena_calloc(c->a, t->nparams + 1, sizeof(*penv));
	at = arena_calloc(c->a, t->nparams + 1, sizeof(*at));
	for (i = 0; i < t->nparams; i++)
		at[i] = t->params[i].at;
	val = with_values(c, t, id, n, with, at);
	for (i = 0; i < t->nparams; i++) {
		penv[i].key = t->params[i].name;
		penv[i].value = val[i];
		penv[i].at = at[i];
	}
	x.t = t;
	x.val = val;
	x.use = id;
	xgrow(&sv->g, &sv->capg, sv->ng + 1, sizeof(*sv->g));
	g = &sv->g[sv->ng++];
	g->id = id;
	g->first = sv->n;
	g->n = t->nsteps;
	for (i = 0; i < t->nsteps; i++) {
		const struct step *ts = &t->steps[i];
		struct step *s = push_step(sv);

		*s = *ts;
		s->id = arena_printf(c->a, "%s.%s", id, ts->id);
		if (ts->nneeds) {
			s->needs = arena_calloc(c->a, ts->nneeds,
				sizeof(*s->needs));
			for (j = 0; j < ts->nneeds; j++)
				s->needs[j] = arena_printf(c->a, "%s.%s", id,
					ts->needs[j]);
		} else {
			s->needs = uneeds;
			s->needs_at = uneeds_at;
			s->nneeds = (size_t)nuneeds;
		}
		s->from = arena_printf(c->a, "%s, uses: at %s:%u",
			ts->from ? ts->from : arena_printf(c->a, "%s:%u",
			MARK_FILE(t, ts->at), ts->at.line), n->file, n->line);
		s->env = subst_env(&x, ts->env, ts->nenv, penv, t->nparams);
		s->nenv = ts->nenv + t->nparams;
		s->dir = subst(&x, ts->dir);
		s->for_each_expr = subst(&x, ts->for_each_expr);
		if (s->for_each_expr && !strstr(s->for_each_expr, "${{"))
			literal_items(c, s);
		subst_action(&x, &s->action);
		subst_action(&x, &s->rollback);
	}
	buf_free(&x.b);
}

static int
cmp_group(const void *pa, const void *pb)
{
	return strcmp(((const struct group *)pa)->id,
		((const struct group *)pb)->id);
}

/* needs: [ID] of a uses: step waits for all of its steps. */
static void
group_needs(struct ctx *c, struct stepvec *sv)
{
	size_t i, j, k;

	if (!sv->ng)
		return;
	qsort(sv->g, sv->ng, sizeof(*sv->g), cmp_group);
	for (i = 0; i < sv->n; i++) {
		struct step *s = &sv->v[i];
		const char **needs = NULL;
		struct mark *at = NULL;
		size_t n = 0, cap = 0, more = 0;

		for (j = 0; j < s->nneeds; j++) {
			struct group key = { .id = s->needs[j] }, *g;

			if (!s->needs[j] || !(g = bsearch(&key, sv->g, sv->ng,
			    sizeof(*sv->g), cmp_group)))
				continue;
			more += g->n;
		}
		if (!more)
			continue;
		for (j = 0; j < s->nneeds; j++) {
			struct group key = { .id = s->needs[j] }, *g = NULL;

			if (s->needs[j])
				g = bsearch(&key, sv->g, sv->ng, sizeof(*sv->g),
					cmp_group);
			for (k = 0; k < (g ? g->n : 1); k++) {
				if (n == cap) {
					cap = cap ? 2 * cap : s->nneeds + more;
					needs = arena_realloc_array(c, needs, n,
						cap, sizeof(*needs));
					at = arena_realloc_array(c, at, n, cap,
						sizeof(*at));
				}
				needs[n] = g ? sv->v[g->first + k].id :
					s->needs[j];
				at[n++] = s->needs_at[j];
			}
		}
		s->needs = needs;
		s->needs_at = at;
		s->nneeds = n;
	}
}

/* Shell text of the job's own steps starts with its prelude, when the
 * shell is one that reads it; *len gets the prelude's bytes. */
static const char *
with_prelude(struct ctx *c, const char *shell, const char *text,
	size_t *len)
{
	const char *p = c->job->prelude, *word, *end;

	if (!p || !*p || !text)
		return text;
	if (shell) {
		end = shell + strcspn(shell, " \t");
		word = end;
		while (word > shell && word[-1] != '/')
			word--;
		if (end - word < 2 || memcmp(end - 2, "sh", 2) != 0)
			return text;
	}
	*len = strlen(p) + (p[strlen(p) - 1] != '\n');
	return arena_printf(c->a, "%s%s%s", p, p[strlen(p) - 1] == '\n' ?
		"" : "\n", text);
}

static void
prelude_apply(struct ctx *c)
{
	struct job *job = c->job;
	size_t i;

	for (i = 0; job->prelude && i < job->nsteps; i++) {
		struct step *s = &job->steps[i];

		if (s->from)
			continue;	/* a template's: its own prelude */
		if (s->action.kind == ACT_RUN)
			s->action.run = with_prelude(c, s->action.shell,
				s->action.run, &s->action.prelude);
		s->if_ = with_prelude(c, NULL, s->if_, &s->if_prelude);
		if (s->rollback.kind == ACT_RUN)
			s->rollback.run = with_prelude(c, s->rollback.shell,
				s->rollback.run, &s->rollback.prelude);
	}
}

static void
prelude(struct ctx *c, const struct node *n)
{
	const struct node *file;
	struct source_file *f;

	if (n->kind == NODE_SCALAR && !node_is_null(n)) {
		shell_text(c, n, "prelude");
		c->job->prelude = n->u.str;
		return;
	}
	check_keys_only(c, n, "prelude", (const char *const[]){ "file",
		NULL });
	if (n->kind != NODE_MAP)
		return;
	if (!(file = lookup(n, "file"))) {
		ERR(c, n, "prelude: give the shell text, or { file: PATH }");
		return;
	}
	if (!(f = part(c, file, SOURCE_PRELUDE)))
		return;
	if (strstr(f->text, "${{"))
		ERR(c, file, "prelude: %s holds '${{ ... }}', which is not "
			"expanded in shell text; use the environment variable "
			"instead (\"$NAME\")", f->path);
	c->job->prelude = f->text;
}

static void
steps(struct ctx *c, const struct node *n)
{
	struct job *job = c->job;
	struct stepvec sv = {0};
	size_t i;

	if (want(c, n, NODE_SEQ, "steps") < 0)
		return;
	if (n->n == 0) {
		ERR(c, n, "steps is empty; a job needs at least one step");
		return;
	}
	if (n->n > JOB_MAX_STEPS) {
		ERR(c, n, "%zu steps; a job is limited to %d", n->n,
			JOB_MAX_STEPS);
		return;
	}
	for (i = 0; i < n->n && sv.n <= JOB_MAX_STEPS; i++) {
		const struct node *item = n->u.items[i];

		if (item->kind == NODE_MAP && lookup(item, "uses"))
			use(c, &sv, item);
		else
			step(c, push_step(&sv), item);
	}
	if (sv.n > JOB_MAX_STEPS)
		ERR(c, n, "the templates it uses make more than %d steps; a "
			"job is limited to %d", JOB_MAX_STEPS, JOB_MAX_STEPS);
	group_needs(c, &sv);
	job->steps = arena_calloc(c->a, sv.n + 1, sizeof(*job->steps));
	if (sv.n)
		memcpy(job->steps, sv.v, sv.n * sizeof(*sv.v));
	job->nsteps = sv.n;
	free(sv.v);
	free(sv.g);
}

/* The longest a window or a recurring blackout may last. */
#define SCHEDULE_MAX_MS	(7LL * 86400 * 1000)

/* How long a window or recurring blackout lasts: more than 0, at most
 * a week. */
static int
span(struct ctx *c, const struct node *n, const char *what, long long *out)
{
	if (duration(c, n, what, 0, out) < 0)
		return -1;
	if (*out > SCHEDULE_MAX_MS)
		return ERR(c, n, "%s: '%s' is longer than 7d, the longest a "
			"%s may last; write a shorter one, or another "
			"cron time", what, n->u.str, what[0] == 'w' ? "window" :
			"blackout");
	return 0;
}

static int
cron_value(struct ctx *c, const struct node *n, const char *what,
	struct cron *cron, const char **text)
{
	char err[256];

	if (!(*text = str(c, n, what)))
		return -1;
	if (cron_parse(cron, *text, err, sizeof(err)) < 0)
		return ERR(c, n, "%s \"%s\": %s", what, *text, err);
	return 0;
}

/* The node under key in mapping n; NULL when it is not there. */
static const struct node *
lookup(const struct node *n, const char *key)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		if (strcmp(n->u.items[2 * i]->u.str, key) == 0)
			return n->u.items[2 * i + 1];
	return NULL;
}

static const struct zone *
zone(struct ctx *c, const struct node *n)
{
	const struct schedule *sc = &c->job->schedule;
	struct zone *z;
	const char *name;
	char err[256];
	size_t i;

	if (!(name = str(c, n, "window.timezone")))
		return NULL;
	for (i = 0; i < sc->nwindows; i++)
		if (sc->windows[i].zone &&
		    strcmp(sc->windows[i].zone->name, name) == 0)
			return sc->windows[i].zone;
	z = arena_calloc(c->a, 1, sizeof(*z));
	if (zone_load(z, name, c->a, err, sizeof(err)) < 0) {
		ERR(c, n, "window.timezone: %s", err);
		return NULL;
	}
	return z;
}

static int
window(struct ctx *c, struct window *w, const struct node *n)
{
	const struct node *v;
	int bad = 0;

	check_keys_only(c, n, "window", window_keys);
	if (n->kind != NODE_MAP)
		return -1;
	w->at.line = n->line;
	w->at.col = n->col;
	w->at.file = n->file;
	if (!(v = lookup(n, "cron")))
		bad = ERR(c, n, "window has no 'cron:'; say when it opens, "
			"e.g. cron: \"0 2 * * SAT\"");
	else if (cron_value(c, v, "window.cron", &w->cron, &w->cron_text) < 0)
		bad = -1;
	if (!(v = lookup(n, "duration")))
		bad = ERR(c, n, "window has no 'duration:'; say how long it "
			"stays open, e.g. duration: 3h");
	else if (span(c, v, "window.duration", &w->duration_ms) < 0)
		bad = -1;
	if ((v = lookup(n, "timezone")) && !(w->zone = zone(c, v)))
		bad = -1;
	return bad;
}

/* A blackout's from: or to:, a date or an instant, into *ms (a date:
 * the local midnight it begins, in days since the epoch times 86400,
 * not yet in the zone). Returns its clock_form, or -1. */
static int
when(struct ctx *c, const struct node *n, const char *what, int64_t *secs)
{
	const char *s;
	int form;

	if (!(s = str(c, n, what)))
		return -1;
	form = clock_parse(s, secs);
	if (form == CLOCK_LOCAL)
		return ERR(c, n, "%s: '%s' names no time zone; write an "
			"instant in UTC such as 2027-02-01T00:00:00Z (or with "
			"an offset, +01:00), or a whole day such as 2027-02-01",
			what, s);
	if (form < 0)
		return ERR(c, n, "%s: '%s' is not a date such as 2026-12-20 or "
			"an instant such as 2027-02-01T00:00:00Z (between 1970 "
			"and 2100)", what, s);
	return form;
}

static int
blackout(struct ctx *c, struct blackout *b, const struct node *n)
{
	const struct node *from, *to, *cron, *dur, *reason;
	const struct zone *z = c->job->schedule.zone;
	int64_t f, t;
	int ff, tf;

	check_keys_only(c, n, "blackout", blackout_keys);
	if (n->kind != NODE_MAP)
		return -1;
	b->at.line = n->line;
	b->at.col = n->col;
	b->at.file = n->file;
	from = lookup(n, "from");
	to = lookup(n, "to");
	cron = lookup(n, "cron");
	dur = lookup(n, "duration");
	if ((reason = lookup(n, "reason")) &&
	    !(b->reason = str(c, reason, "blackout.reason")))
		return -1;
	if (cron) {
		if (from || to)
			return ERR(c, from ? from : to, "a blackout is either "
				"recurring (cron: and duration:) or a period "
				"(from: and to:), not both; make it two blackouts");
		if (!dur)
			return ERR(c, n, "this blackout has 'cron:' but no "
				"'duration:'; say how long it lasts, e.g. "
				"duration: 8h");
		b->kind = BLACKOUT_CRON;
		if (cron_value(c, cron, "blackout.cron", &b->cron,
		    &b->cron_text) < 0 ||
		    span(c, dur, "blackout.duration", &b->duration_ms) < 0)
			return -1;
		return 0;
	}
	if (dur)
		return ERR(c, dur, "blackout.duration goes with 'cron:'; a "
			"period from: ... to: ... needs none");
	if (!from || !to)
		return ERR(c, n, "a blackout needs 'from:' and 'to:' (e.g. "
			"{ from: 2026-12-20, to: 2027-01-04 }), or 'cron:' and "
			"'duration:'");
	ff = when(c, from, "blackout.from", &f);
	tf = when(c, to, "blackout.to", &t);
	if (ff < 0 || tf < 0)
		return -1;
	if (ff != tf)
		return ERR(c, to, "blackout.to is %s but blackout.from is %s; "
			"give both as dates (whole days) or both as instants",
			tf == CLOCK_DATE ? "a date" : "an instant",
			ff == CLOCK_DATE ? "a date" : "an instant");
	if (ff == CLOCK_DATE) {
		if (t < f)
			return ERR(c, to, "blackout.to (%s) is before "
				"blackout.from (%s); both days are included, so "
				"a one-day blackout has from and to the same",
				to->u.str, from->u.str);
		b->kind = BLACKOUT_DAYS;
		/* Midnight to midnight on the job's wall clock. */
		b->from = zone_from_local(z, f, NULL) * 1000;
		b->to = zone_from_local(z, t + 86400, NULL) * 1000;
	} else {
		if (t <= f)
			return ERR(c, to, "blackout.to (%s) is not after "
				"blackout.from (%s)", to->u.str, from->u.str);
		b->kind = BLACKOUT_INSTANTS;
		b->from = f * 1000;
		b->to = t * 1000;
	}
	return 0;
}

/* window: and blackout:, once the whole top level is read: a blackout
 * of whole days is in the first window's time zone. */
static void
schedule(struct ctx *c)
{
	struct schedule *sc = &c->job->schedule;
	const struct node *n = c->job->window;
	struct zone *utc = arena_calloc(c->a, 1, sizeof(*utc));
	size_t i, count;

	zone_utc(utc);
	sc->zone = utc;
	if (n && (n->kind == NODE_SEQ || want(c, n, NODE_MAP, "window") == 0)) {
		count = n->kind == NODE_SEQ ? n->n : 1;
		if (count == 0)
			ERR(c, n, "window is an empty list; give at least one "
				"window, or leave 'window:' out");
		sc->windows = arena_calloc(c->a, count + 1, sizeof(*sc->windows));
		for (i = 0; i < count; i++) {
			struct window *w = &sc->windows[sc->nwindows];

			if (window(c, w, n->kind == NODE_SEQ ? n->u.items[i] :
			    n) < 0)
				continue;
			if (!w->zone)
				w->zone = utc;
			sc->nwindows++;
		}
		if (sc->nwindows)
			sc->zone = sc->windows[0].zone;
	}
	n = c->job->blackout;
	if (n && want(c, n, NODE_SEQ, "blackout") == 0) {
		sc->blackouts = arena_calloc(c->a, n->n + 1,
			sizeof(*sc->blackouts));
		for (i = 0; i < n->n; i++)
			if (blackout(c, &sc->blackouts[sc->nblackouts],
			    n->u.items[i]) == 0)
				sc->nblackouts++;
	}
}

/* What a preset may give; the rest belongs in the job. */
static const char *const preset_keys[] = { "runjob", "name", "description",
	"params", "env", "window", "blackout", "on_window_close", "extends",
	"notify", NULL };
/* What a template may give. */
static const char *const template_keys[] = { "runjob", "name",
	"description", "params", "prelude", "steps", NULL };

static void
preset_keys_only(struct ctx *c, const struct node *root)
{
	size_t i, j;

	for (i = 0; i < root->n; i++) {
		const struct node *k = root->u.items[2 * i];

		for (j = 0; preset_keys[j]; j++)
			if (strcmp(k->u.str, preset_keys[j]) == 0)
				break;
		if (preset_keys[j])
			continue;
		for (j = 0; job_keys[j]; j++)
			if (strcmp(k->u.str, job_keys[j]) == 0)
				break;
		if (job_keys[j])
			ERR(c, k, "'%s' is not taken from a preset, which gives "
				"params, env, window, blackout and on_window_close;"
				" write it in the job that extends it", k->u.str);
		else
			unknown_key(c, k, "a preset", preset_keys);
	}
}

static struct node *
new_map(struct ctx *c, const struct node *like, size_t cap)
{
	struct node *m = arena_calloc(c->a, 1, sizeof(*m));

	*m = *like;
	m->n = 0;
	m->u.items = arena_calloc(c->a, 2 * cap + 1, sizeof(*m->u.items));
	return m;
}

static void
map_put(struct node *m, const struct node *k, const struct node *v)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->u.items[2 * i]->u.str, k->u.str) == 0) {
			m->u.items[2 * i] = (struct node *)k;
			m->u.items[2 * i + 1] = (struct node *)v;
			return;
		}
	m->u.items[2 * m->n] = (struct node *)k;
	m->u.items[2 * m->n++ + 1] = (struct node *)v;
}

/* parent's keys, then child's over them; params: and env: key by key. */
static const struct node *
merge(struct ctx *c, const struct node *parent, const struct node *child)
{
	struct node *m = new_map(c, child, parent->n + child->n);
	size_t i;

	for (i = 0; i < parent->n; i++) {
		const char *k = parent->u.items[2 * i]->u.str;

		if (strcmp(k, "name") && strcmp(k, "description") &&
		    strcmp(k, "extends"))
			map_put(m, parent->u.items[2 * i],
				parent->u.items[2 * i + 1]);
	}
	for (i = 0; i < child->n; i++) {
		const struct node *k = child->u.items[2 * i];
		const struct node *v = child->u.items[2 * i + 1];
		const struct node *pv = lookup(parent, k->u.str);

		if (pv && pv->kind == NODE_MAP && v->kind == NODE_MAP &&
		    (strcmp(k->u.str, "params") == 0 ||
		    strcmp(k->u.str, "env") == 0)) {
			v = merge(c, pv, v);
		}
		map_put(m, k, v);
	}
	return m;
}

/* The job's root with the presets it extends merged under it, nearest
 * first. */
static const struct node *
extend(struct ctx *c, const struct node *root, const char *self)
{
	const struct node *ref = lookup(root, "extends"), *parent;
	const char *was = c->self;
	struct source_file *f;
	struct node *proot;

	if (!ref)
		return root;
	c->self = self;
	f = part(c, ref, SOURCE_PRESET);
	c->self = was;
	if (!f)
		return root;
	if (!(parent = f->tree)) {
		if (load_yaml(&proot, f->text, f->len, f->path, c->a,
		    c->d) < 0 && !proot)
			return root;
		if (proot->kind != NODE_MAP) {
			ERR(c, proot, "a preset must be a mapping with "
				"'runjob: 1' and the params, env, window and "
				"blackout it gives, not %s", kind_name(proot));
			return root;
		}
		preset_keys_only(c, proot);
		f->loading = 1;
		parent = f->tree = (void *)extend(c, proot, f->name);
		f->loading = 0;
	}
	return merge(c, parent, root);
}

static void
top(struct ctx *c, const struct node *root)
{
	struct job *job = c->job;
	const struct node *version = NULL;
	int have_steps = 0;
	size_t i;
	long v;

	if (root->kind != NODE_MAP) {
		ERR(c, root, "a job file must be a mapping with 'runjob: 1', "
			"'name:' and 'steps:', not %s", kind_name(root));
		return;
	}
	if (c->kind == SOURCE_TEMPLATE)
		check_keys_only(c, root, "a template", template_keys);
	else
		root = extend(c, root, NULL);
	for (i = 0; i < root->n; i++) {
		const struct node *k = root->u.items[2 * i], *val = root->u.items[2 * i + 1];
		const char *key = k->u.str;

		if (strcmp(key, "runjob") == 0) {
			version = val;
		} else if (strcmp(key, "name") == 0) {
			if ((job->name = str(c, val, "name"))) {
				job->name_at.line = val->line;
				job->name_at.col = val->col;
				job->name_at.file = val->file;
				name_check_id(job->name, "job name", c->d,
					val->file, val->line, val->col);
			}
		} else if (strcmp(key, "description") == 0) {
			job->description = str(c, val, "description");
		} else if (strcmp(key, "params") == 0) {
			params(c, val);
		} else if (strcmp(key, "env_files") == 0) {
			long count = strlist(c, val, "env_files", 1,
				&job->env_files, &job->env_files_at);

			job->nenv_files = count > 0 ? (size_t)count : 0;
		} else if (strcmp(key, "env") == 0) {
			env_block(c, val, "env", &job->env, &job->nenv);
		} else if (strcmp(key, "concurrency") == 0) {
			if (integer(c, val, "concurrency", 1, 4096, &v) == 0)
				job->concurrency = (int)v;
		} else if (strcmp(key, "timeout") == 0) {
			duration(c, val, "timeout", 0, &job->timeout_ms);
		} else if (strcmp(key, "on_failure") == 0) {
			if ((v = oneof(c, val, "on_failure", failures)) >= 0)
				job->on_failure = (enum on_failure)v;
		} else if (strcmp(key, "require_clean") == 0) {
			boolean(c, val, "require_clean", &job->require_clean);
			job->require_clean_at.line = val->line;
			job->require_clean_at.col = val->col;
			job->require_clean_at.file = val->file;
		} else if (strcmp(key, "window") == 0) {
			job->window = val;
		} else if (strcmp(key, "blackout") == 0) {
			job->blackout = val;
		} else if (strcmp(key, "on_window_close") == 0) {
			if ((v = oneof(c, val, "on_window_close",
			    window_closes)) >= 0)
				job->on_window_close = (enum on_window_close)v;
		} else if (strcmp(key, "steps") == 0) {
			have_steps = 1;
			steps(c, val);
		} else if (strcmp(key, "prelude") == 0) {
			prelude(c, val);
		} else if (strcmp(key, "notify") == 0) {
			notify(c, val);
		} else if (strcmp(key, "extends") == 0) {
			if (c->kind == SOURCE_TEMPLATE)
				continue;	/* check_keys_only said so */
		} else if (c->kind != SOURCE_TEMPLATE) {
			unknown_key(c, k, "the job", job_keys);
		}
	}
	prelude_apply(c);
	schedule(c);
	if (!version)
		ERR(c, root, "no 'runjob:' format version; add 'runjob: 1' at "
			"the top of the file");
	else if (integer(c, version, "runjob", 0, 1000000, &v) == 0) {
		if (v != 1)
			ERR(c, version, "job format version %ld is not supported "
				"by this runjob, which reads version 1", v);
		else
			job->version = 1;
	}
	if (!job->name && c->kind != SOURCE_TEMPLATE)
		ERR(c, root, "no 'name:'; give the job a name such as "
			"'name: cache-to-valkey'");
	if (!have_steps)
		ERR(c, root, "no 'steps:'; a job needs at least one step");
}

int
job_load(struct job **out, const char *path, struct diags *d)
{
	struct sources *src = xmalloc(sizeof(*src));

	sources_init(src, path, SOURCE_WORK, NULL);
	return job_load_with(out, path, src, d);
}

int
job_load_with(struct job **out, const char *path, struct sources *src,
	struct diags *d)
{
	char *text;
	size_t len;

	if (load_file(&text, &len, path, d) < 0) {
		*out = xcalloc(1, sizeof(**out));
		(*out)->file = path;
		(*out)->src = src;
		return -1;
	}
	return job_parse_with(out, path, text, len, src, d);
}

int
job_parse(struct job **out, const char *file, char *text, size_t len,
	struct diags *d)
{
	struct sources *src = xmalloc(sizeof(*src));

	sources_init(src, file, SOURCE_WORK, NULL);
	return job_parse_with(out, file, text, len, src, d);
}

int
job_parse_with(struct job **out, const char *file, char *text, size_t len,
	struct sources *src, struct diags *d)
{
	struct job *job = xcalloc(1, sizeof(*job));
	size_t nerrors = d->nerrors;
	struct node *root;
	struct ctx c;

	*out = job;
	job->file = file;
	job->text = text;
	job->len = len;
	job->timeout_ms = -1;
	job->src = src;
	if (load_yaml(&root, job->text, job->len, file, &job->arena, d) < 0 &&
	    !root)
		return -1;
	memset(&c, 0, sizeof(c));
	c.job = c.root = job;
	c.d = d;
	c.file = file;
	c.a = &job->arena;
	c.src = src;
	c.kind = -1;
	top(&c, root);
	return d->nerrors > nerrors ? -1 : 0;
}

void
job_free(struct job *job)
{
	size_t i;

	if (!job)
		return;
	for (i = 0; i < job->nparts; i++)
		free(job->parts[i]);
	free(job->parts);
	free(job->withs);
	if (job->src) {
		sources_free(job->src);
		free(job->src);
	}
	arena_free(&job->arena);
	free(job->text);
	free(job);
}

const struct param *
job_param(const struct job *job, const char *name)
{
	size_t i;

	for (i = 0; i < job->nparams; i++)
		if (job->params[i].name && strcmp(job->params[i].name, name) == 0)
			return &job->params[i];
	return NULL;
}

static void
print_list(FILE *f, const char *what, const char *name,
	const char *const *list)
{
	for (; *list; list++)
		if (name)
			fprintf(f, "%s %s %s\n", what, name, *list);
		else
			fprintf(f, "%s %s\n", what, *list);
}

void
job_print_keys(FILE *f)
{
	static const struct {
		const char *name;
		const char *const *keys;
	} tables[] = {
		{ "job", job_keys }, { "step", step_keys },
		{ "rollback", rollback_keys }, { "param", param_keys },
		{ "retry", retry_keys }, { "window", window_keys },
		{ "blackout", blackout_keys }, { "approve", approve_keys },
		{ "notify", notify_keys },
	};
	const char *const *names = builtin_names(), *const *n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tables); i++)
		print_list(f, tables[i].name, NULL, tables[i].keys == step_keys ||
			tables[i].keys == rollback_keys ?
			with_builtins(tables[i].keys) : tables[i].keys);
	print_list(f, "word", "on_failure", failures);
	print_list(f, "word", "on_unknown", unknowns);
	print_list(f, "word", "on_window_close", window_closes);
	print_list(f, "word", "on", notify_events);
	for (n = names; *n; n++)
		print_list(f, "builtin", *n,
			builtin_setting_names(builtin_find(*n)));
	for (n = names; *n; n++)
		print_list(f, "output", *n, builtin_find(*n)->outputs);
	name_print_refused(f);
}
