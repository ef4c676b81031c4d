/*
 * run.h - the commands that run a job: run, resume, rollback, resolve,
 * approve.
 */
#ifndef RUNJOB_RUN_H
#define RUNJOB_RUN_H

#include "cli.h"

extern const struct command cmd_run_entry;
extern const struct command cmd_resume_entry;
extern const struct command cmd_rollback_entry;
extern const struct command cmd_resolve_entry;
extern const struct command cmd_approve_entry;

#endif
