/*
 * due.h - runjob due.
 */
#ifndef RUNJOB_DUE_H
#define RUNJOB_DUE_H

#include "cli.h"

extern const struct command cmd_due_entry;

#endif
