/*
 * run.h - the commands that run a job: run, resume, rollback, resolve.
 */
#ifndef RUNJOB_RUN_H
#define RUNJOB_RUN_H

int cmd_run(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_resolve(int argc, char **argv);

#endif
