/*
 * run.h - the run command, and where the journal lives.
 */
#ifndef RUNJOB_RUN_H
#define RUNJOB_RUN_H

int cmd_run(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_resolve(int argc, char **argv);

/* jobfile with its symbolic links resolved, into real[PATH_MAX]. */
void job_realpath(const char *jobfile, char *real);
/* .runjob/journal.db at the top of the git work tree holding jobfile,
 * or in jobfile's directory when it is not in git; jobfile's links are
 * followed first. jobfile NULL: the current directory's. */
char *journal_default_path(const char *jobfile);
/* --journal, else $RUNJOB_JOURNAL, else the default. */
char *journal_choose(const char *given, const char *jobfile);

#endif
