/*
 * action.h - what a built-in action (builtin.h) uses to run in a
 * process of its own, `runjob action NAME`, supervised like any step: a
 * timeout or a stop signals it, its output is masked and logged by the
 * runjob that started it.
 *
 * The parent hands it the step's settings, expanded, as a flat JSON
 * object in RUNJOB_ACTION_CONFIG (never on the command line: a URL may
 * hold a password), and the last checkpoint of an earlier attempt in
 * RUNJOB_CHECKPOINT. The action reports back on its stdout: ordinary
 * lines for people, and lines starting with ACTION_MARK that the parent
 * takes as checkpoints (journaled) or progress (drawn), never shown.
 */
#ifndef RUNJOB_ACTION_H
#define RUNJOB_ACTION_H

#include <stddef.h>
#include <stdint.h>

#define ACTION_MARK '\036'	/* ASCII record separator */
#define ACTION_CHECKPOINT "checkpoint "
#define ACTION_PROGRESS "progress "

/* The settings of one action: names and values, lists comma-joined. */
struct acfg {
	char **names, **values;
	size_t n, cap;
	const char *action;	/* "redis.copy", for messages */
	/* Set by runjob check: errors go here (the first one, and the
	 * name of the setting it is about) instead of to stdout. */
	char *err;
	size_t errlen;
	const char **err_name;
	/* The same for a warning, when warn is set. */
	char *warn;
	size_t warnlen;
	const char **warn_name;
};

/* Report what is wrong with setting name: printed, or kept in c->err. */
int acfg_error(const struct acfg *c, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Warn about setting name, which is allowed but unsafe: printed (into
 * the step's output, which the journal keeps), or kept in c->warn. */
void acfg_warn(const struct acfg *c, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct action;
struct buf;

/* The settings of a built-in action as the job file gives them: each
 * value passed through fn (which expands expressions; NULL from it
 * leaves the value out), a list joined with commas. */
void acfg_from_settings(struct acfg *c, const struct action *a,
	const char *(*fn)(void *arg, const char *name, const char *value),
	void *arg);
/* The settings as RUNJOB_ACTION_CONFIG hands them to the action. Returns
 * 0, or -1 when json is not a flat object of strings. */
int acfg_from_json(struct acfg *c, const char *action, const char *json);
/* As a flat JSON object, for RUNJOB_ACTION_CONFIG. */
void acfg_json(const struct acfg *c, struct buf *out);
void acfg_free(struct acfg *c);

/* The value of name, or def when it is not set. */
const char *acfg_str(const struct acfg *c, const char *name, const char *def);
/* Integers, sizes ("64MB"), durations ("5s") and booleans: the value of
 * name (def when not set) into *out. Returns 0, or -1 after printing
 * what is wrong. */
int acfg_int(const struct acfg *c, const char *name, long long def,
	long long min, long long max, long long *out);
int acfg_size(const struct acfg *c, const char *name, long long def,
	long long *out);
int acfg_duration(const struct acfg *c, const char *name, long long def,
	long long *out);
int acfg_bool(const struct acfg *c, const char *name, int def, int *out);
/* The index of the value of name among the NULL-terminated words (def's
 * when not set); -1 after printing what is wrong. */
int acfg_enum(const struct acfg *c, const char *name, const char *def,
	const char *const *words);

/* What a running action reports. */
/* Append NAME=VALUE to the step's outputs ($RUNJOB_OUTPUT). */
void action_output(const char *name, long long value);
/* A checkpoint (a JSON object) for the journal; a later attempt gets the
 * last one back in RUNJOB_CHECKPOINT. */
void action_checkpoint(const char *json);
/* A line of progress for the live view (and, off a terminal, a line of
 * output now and then). */
void action_progress(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* A line of output, flushed at once. */
void action_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A built-in's main: given its settings and the checkpoint of an earlier
 * attempt (NULL: none), it runs in `runjob action NAME` and returns the
 * process's exit status; with dry_run it says what it would do and
 * changes nothing. */
typedef int action_main_fn(const struct acfg *c, const char *checkpoint,
	int dry_run);

#endif
