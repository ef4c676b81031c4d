/*
 * env.h - building the environment of a step process: the runner's
 * environment, then the job's env:, the params, the outputs of the step's
 * ancestors, the step's env: and the RUNJOB_* facts, later ones winning.
 */
#ifndef RUNJOB_ENV_H
#define RUNJOB_ENV_H

#include <stddef.h>

struct env {
	char **v;		/* "NAME=VALUE" strings, owned; NULL-terminated */
	size_t n, cap;
};

/* Start from a copy of envp (e.g. environ). */
void env_init(struct env *e, char *const *envp);
/* A copy of another environment. */
void env_copy(struct env *e, const struct env *from);
/* Set name to value, replacing any earlier value. */
void env_set(struct env *e, const char *name, const char *value);
/* Remove name, if set. */
void env_unset(struct env *e, const char *name);
/* Set from a "NAME=VALUE" pair. */
void env_put(struct env *e, const char *pair);
/* The value of name, or NULL. */
const char *env_get(const struct env *e, const char *name);
void env_free(struct env *e);

#endif
