/*
 * action_cmd.h - `runjob action NAME`.
 */
#ifndef RUNJOB_ACTION_CMD_H
#define RUNJOB_ACTION_CMD_H

/* Read the settings from RUNJOB_ACTION_CONFIG and run the action. */
int cmd_action(int argc, char **argv);

#endif
