/*
 * show.h - the commands that read the journal.
 */
#ifndef RUNJOB_SHOW_H
#define RUNJOB_SHOW_H

int cmd_status(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_show(int argc, char **argv);

#endif
