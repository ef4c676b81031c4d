/*
 * keys.c - what a job file may say, printed from the tables the loader
 * and the built-in actions check it against, so that nothing outside the
 * program has to read them from its source.
 */
#include <stddef.h>
#include <stdio.h>

#include "action.h"
#include "keys.h"

/*
 * What the job model (job.c) and the built-in actions provide:
 *
 * job_key_table: the keys the mapping named table may hold, up to a
 * NULL; table is "job", "step", "rollback", "param", "retry", "window"
 * or "blackout". NULL for any other name.
 *
 * job_word_table: the words key takes, up to a NULL; key is
 * "on_failure" or "on_unknown". NULL for any other key.
 *
 * builtin_name: the name of the i-th built-in action, NULL past the
 * last. builtin_keys: the settings the built-in action name takes, up to
 * a NULL.
 *
 * action_outputs (action.h): the outputs it writes.
 */
const char *const *job_key_table(const char *table);
const char *const *job_word_table(const char *key);
const char *builtin_name(size_t i);
const char *const *builtin_keys(const char *name);

static void
print_list(FILE *f, const char *what, const char *name,
	const char *const *list)
{
	for (; list && *list; list++) {
		if (name)
			fprintf(f, "%s %s %s\n", what, name, *list);
		else
			fprintf(f, "%s %s\n", what, *list);
	}
}

void
job_print_keys(FILE *f)
{
	static const char *const tables[] = { "job", "step", "rollback",
		"param", "retry", "window", "blackout", NULL };
	static const char *const worded[] = { "on_failure", "on_unknown",
		NULL };
	const char *name;
	size_t i;

	for (i = 0; tables[i]; i++)
		print_list(f, tables[i], NULL, job_key_table(tables[i]));
	for (i = 0; worded[i]; i++)
		print_list(f, "word", worded[i], job_word_table(worded[i]));
	for (i = 0; (name = builtin_name(i)); i++)
		print_list(f, "builtin", name, builtin_keys(name));
	for (i = 0; (name = builtin_name(i)); i++)
		print_list(f, "output", name, action_outputs(name));
}
