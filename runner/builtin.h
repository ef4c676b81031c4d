/*
 * builtin.h - the registry of built-in actions: what each is called in
 * a job file, the settings it takes, the outputs it gives, and how
 * runjob check reads its settings. A new built-in is a file of its own
 * defining a struct builtin, one row in builtin.c's table, and one in
 * action_cmd.c's, which runs it.
 *
 * The registry knows nothing of how an action runs, so that the loader
 * and the checks can be linked, and fuzzed, without any server's client
 * library.
 */
#ifndef RUNJOB_BUILTIN_H
#define RUNJOB_BUILTIN_H

#include <stdio.h>

struct acfg;

/* One setting of a built-in. */
struct builtin_setting {
	const char *name;
	/* What runjob check takes for the setting when it is written as an
	 * expression, whose value is known only when the step runs: a valid
	 * value for a setting the action cannot do without (a server URL),
	 * NULL to leave it out. */
	const char *stand_in;
};

/* A setting written as a mapping of these keys, each a value; the
 * action sees each as a setting of its own, "NAME.KEY". */
struct builtin_map {
	const char *name;
	const char *const *keys;	/* NULL-terminated */
};

struct builtin {
	const char *name;			/* the step key, "redis.copy" */
	const struct builtin_setting *settings;	/* ends with a NULL name */
	const char *const *outputs;	/* what it writes to $RUNJOB_OUTPUT,
					 * NULL-terminated */
	/* Check the settings without connecting anywhere: 0, or -1 with
	 * the problem in c->err (action.h). NULL: this runjob knows the
	 * action but cannot run it yet. */
	int (*check)(const struct acfg *c);
	/* The settings that take a mapping, ending with a NULL name; NULL:
	 * none. */
	const struct builtin_map *maps;
};

/* The mapping setting name of b, or NULL. */
const struct builtin_map *builtin_map_find(const struct builtin *b,
	const char *name);

/* The built-in named name, or NULL. */
const struct builtin *builtin_find(const char *name);
/* The names of all of them, NULL-terminated. */
const char *const *builtin_names(void);
/* The setting names of b, NULL-terminated, for did-you-mean hints. */
const char *const *builtin_setting_names(const struct builtin *b);
/* "KEYS_COPIED, KEYS_SKIPPED, ..." into buf of size n. */
const char *builtin_outputs_text(const struct builtin *b, char *buf,
	size_t n);

/* The built-ins this runjob has. */
extern const struct builtin redis_copy_builtin, redis_verify_builtin,
	sqlite_exec_builtin, sqlite_sync_builtin;

#endif
