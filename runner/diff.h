/*
 * diff.h - runjob diff: how two runs, or a run and a job file, differ.
 */
#ifndef RUNJOB_DIFF_H
#define RUNJOB_DIFF_H

#include "cli.h"

extern const struct command cmd_diff_entry;

#endif
