/*
 * show.h - the commands that read the journal: status, history, show.
 */
#ifndef RUNJOB_SHOW_H
#define RUNJOB_SHOW_H

#include "cli.h"

extern const struct command cmd_status_entry;
extern const struct command cmd_history_entry;
extern const struct command cmd_show_entry;

#endif
