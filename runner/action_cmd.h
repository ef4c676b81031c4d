/*
 * action_cmd.h - `runjob action NAME`.
 */
#ifndef RUNJOB_ACTION_CMD_H
#define RUNJOB_ACTION_CMD_H

#include "cli.h"

/* Read the settings from RUNJOB_ACTION_CONFIG and run the action. */
extern const struct command cmd_action_entry;

#endif
