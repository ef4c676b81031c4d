/*
 * builtin.c - the table of built-in actions.
 */
#include <string.h>

#include "builtin.h"
#include "util.h"

static const struct builtin *const table[] = {
	&redis_copy_builtin,
	&redis_verify_builtin,
	&sqlite_exec_builtin,
	&sqlite_sync_builtin,
};

enum { MAX_SETTINGS = 32 };

const struct builtin *
builtin_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		if (strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}

const char *const *
builtin_names(void)
{
	static const char *names[ARRAY_SIZE(table) + 1];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		names[i] = table[i]->name;
	return names;
}

const char *const *
builtin_setting_names(const struct builtin *b)
{
	static const char *names[MAX_SETTINGS + 1];
	size_t i;

	for (i = 0; b->settings[i].name && i < MAX_SETTINGS; i++)
		names[i] = b->settings[i].name;
	names[i] = NULL;
	return names;
}

const char *
builtin_outputs_text(const struct builtin *b, char *buf, size_t n)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; b->outputs[i] && off < n; i++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? ", " : "",
			b->outputs[i]);
	return buf;
}

const struct builtin_map *
builtin_map_find(const struct builtin *b, const char *name)
{
	const struct builtin_map *m;

	for (m = b->maps; m && m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}
