/*
 * env.c - environment vectors.
 */
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "util.h"

static long
find(const struct env *e, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (strncmp(e->v[i], name, len) == 0 && e->v[i][len] == '=')
			return (long)i;
	return -1;
}

void
env_init(struct env *e, char *const *envp)
{
	e->v = NULL;
	e->n = e->cap = 0;
	xgrow(&e->v, &e->cap, 1, sizeof(*e->v));
	for (; envp && *envp; envp++) {
		if (!strchr(*envp, '='))
			continue;
		xgrow(&e->v, &e->cap, e->n + 2, sizeof(*e->v));
		e->v[e->n++] = xstrdup(*envp);
	}
	e->v[e->n] = NULL;
}

void
env_copy(struct env *e, const struct env *from)
{
	env_init(e, from->v);
}

void
env_set(struct env *e, const char *name, const char *value)
{
	size_t len = strlen(name), vlen = strlen(value);
	char *s = xmalloc(len + vlen + 2);
	long i;

	memcpy(s, name, len);
	s[len] = '=';
	memcpy(s + len + 1, value, vlen + 1);
	if ((i = find(e, name, len)) >= 0) {
		free(e->v[i]);
		e->v[i] = s;
		return;
	}
	xgrow(&e->v, &e->cap, e->n + 2, sizeof(*e->v));
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
}

void
env_unset(struct env *e, const char *name)
{
	long i = find(e, name, strlen(name));

	if (i < 0)
		return;
	free(e->v[i]);
	e->v[i] = e->v[--e->n];
	e->v[e->n] = NULL;
}

void
env_put(struct env *e, const char *pair)
{
	const char *eq = strchr(pair, '=');
	char *name;

	if (!eq)
		return;
	name = xstrndup(pair, (size_t)(eq - pair));
	env_set(e, name, eq + 1);
	free(name);
}

const char *
env_get(const struct env *e, const char *name)
{
	long i = find(e, name, strlen(name));

	return i < 0 ? NULL : e->v[i] + strlen(name) + 1;
}

void
env_free(struct env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}
