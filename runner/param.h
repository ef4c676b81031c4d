/*
 * param.h - giving each parameter its value.
 *
 * Highest first: -p NAME=VALUE, --env-file files, the job's env_files:,
 * the param's env: variable, its default.
 */
#ifndef RUNJOB_PARAM_H
#define RUNJOB_PARAM_H

#include <stddef.h>

#include "diag.h"
#include "job.h"

/* What the command line says about parameters. */
struct param_args {
	const char **set;	/* "NAME=VALUE" from -p, in order */
	size_t nset;
	const char **env_files;	/* --env-file paths, later ones win */
	size_t nenv_files;
	int unkept;		/* taking up a past run, whose secrets the
				 * journal never kept: they come again */
};

/* The value of each of a job's params, index for index. */
struct param_values {
	const char **value;	/* never NULL once resolved; "" when unset */
	const char **source;	/* where it came from, for plan */
	size_t n;
};

/* Resolve every param of job. Checks required, pattern and enum, and
 * reports problems (secrets masked) in d. Allocates in job's arena.
 * Returns 0 or -1. */
int params_resolve(struct param_values *out, struct job *job,
	const struct param_args *args, struct diags *d);

/* Check what can be checked without values: patterns compile, defaults
 * and enums agree with them. */
void params_check(struct job *job, struct diags *d);

/* Check the values a job gives its templates' params in with: against
 * their pattern, enum and secret, with the job's params resolved. */
void params_check_withs(const struct job *job, const struct param_values *pv,
	struct diags *d);

/* The value of param name, or NULL. */
const char *param_value(const struct job *job, const struct param_values *pv,
	const char *name);

#endif
