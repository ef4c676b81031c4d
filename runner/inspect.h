/*
 * inspect.h - the commands that read a job file and run nothing: check
 * and plan.
 */
#ifndef RUNJOB_INSPECT_H
#define RUNJOB_INSPECT_H

#include "cli.h"

extern const struct command cmd_check_entry;
extern const struct command cmd_plan_entry;

#endif
