/*
 * where.h - where the files of a job are: the job file itself, its
 * directory and its journal.
 */
#ifndef RUNJOB_WHERE_H
#define RUNJOB_WHERE_H

/* The directory part of path ("." when none), for the caller to free. */
char *dir_of(const char *path);
/* jobfile with its symbolic links resolved, into real[PATH_MAX]. */
void job_realpath(const char *jobfile, char *real);
/* .runjob/journal.db at the top of the git work tree holding jobfile,
 * or in jobfile's directory when it is not in git; jobfile's links are
 * followed first. jobfile NULL: the current directory's. */
char *journal_default_path(const char *jobfile);
/* --journal, else $RUNJOB_JOURNAL, else the default. */
char *journal_choose(const char *given, const char *jobfile);
/* Where a run's logs go: logs/RUN beside the journal jpath, absolute.
 * The caller frees it. */
char *run_log_dir(const char *jpath, const char *run_id);

#endif
