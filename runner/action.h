/*
 * action.h - running a built-in action (redis.copy, redis.verify) in a
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
};

/* Report what is wrong with setting name: printed, or kept in c->err. */
int acfg_error(const struct acfg *c, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct node;
struct buf;

/* The settings as written in the job (config, a mapping): each value
 * passed through fn (which expands expressions; NULL from it leaves the
 * setting out), a list joined with commas. */
void acfg_from_node(struct acfg *c, const char *action,
	const struct node *config,
	const char *(*fn)(void *arg, const char *name, const char *value),
	void *arg);
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

/* Check an action's settings without connecting anywhere (for runjob
 * check); 0 or -1 with the problem in c->err. */
int redis_copy_check(const struct acfg *c);
int redis_verify_check(const struct acfg *c);

/* The actions, each given its settings and the checkpoint (NULL: none);
 * they return the process's exit status. */
int redis_copy_main(const struct acfg *c, const char *checkpoint, int dry_run);
int redis_verify_main(const struct acfg *c, int dry_run);

/* `runjob action NAME`: read the settings and run the action. */
int cmd_action(int argc, char **argv);

/* The names a built-in writes to $RUNJOB_OUTPUT, NULL-terminated; NULL
 * for an action that writes none. */
const char *const *action_outputs(const char *name);

#endif
