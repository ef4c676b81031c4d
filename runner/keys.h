/*
 * keys.h - what a job file may say, as runjob prints it for the tests
 * and the documentation to compare against (runjob help --keys).
 */
#ifndef RUNJOB_KEYS_H
#define RUNJOB_KEYS_H

#include <stdio.h>

/* Print, one a line, in the order the loader holds them:
 *
 *	job KEY			a key of the job's top-level mapping
 *	step KEY		a key of a step
 *	rollback KEY		a key of a step's rollback:
 *	param KEY		a key of a param
 *	retry KEY		a key of retry:
 *	window KEY		a key of window:
 *	blackout KEY		a key of an item of blackout:
 *	word KEY WORD		a word KEY takes (on_failure, on_unknown)
 *	builtin NAME KEY	a setting of the built-in action NAME
 *	output NAME OUTPUT	an output the built-in action NAME writes
 *
 * Fields are separated by one blank; no field holds one. */
void job_print_keys(FILE *f);

#endif
