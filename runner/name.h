/*
 * name.h - the rules for names a job file gives: job and step ids,
 * parameter and output names (which become environment variables), env
 * keys and for_each items.
 */
#ifndef RUNJOB_NAME_H
#define RUNJOB_NAME_H

#include <stdio.h>

#include "diag.h"

/* [A-Za-z0-9._-]+ ; what names the thing in messages ("step id"). */
int name_check_id(const char *s, const char *what, struct diags *d,
	const char *file, unsigned line, unsigned col);
/* ^[A-Z_][A-Z0-9_]*$ and not a name that changes how programs load or
 * shells start, nor RUNJOB_*. */
int name_check_var(const char *s, const char *what, struct diags *d,
	const char *file, unsigned line, unsigned col);
/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. One that is set
 * (a key of env:) may not be RUNJOB_*; one that is read (a param's env:)
 * may. */
int name_check_env(const char *s, int set, struct diags *d,
	const char *file, unsigned line, unsigned col);
/* A for_each item, which becomes part of a step id: ID[item]. Not
 * empty, no control characters, no brackets, at most NAME_ITEM_MAX bytes
 * (each is an environment variable too, and Linux takes one of at most
 * 128 KiB). */
#define NAME_ITEM_MAX 4096
int name_check_item(const char *s, struct diags *d, const char *file,
	unsigned line, unsigned col);

/* 1 when name is refused as a parameter: LD_PRELOAD, BASH_ENV, IFS, ... */
int name_is_refused(const char *name);

/* The names refused as params, outputs and env keys set from
 * expressions: "refused NAME" and "refused-prefix PREFIX" lines. */
void name_print_refused(FILE *f);

#endif
