/*
 * schedule.h - runjob schedule.
 */
#ifndef RUNJOB_SCHEDULE_H
#define RUNJOB_SCHEDULE_H

#include "cli.h"

extern const struct command cmd_schedule_entry;

#endif
