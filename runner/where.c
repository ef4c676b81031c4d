/*
 * where.c - where the files of a job are: the job file with its links
 * resolved, and the journal that goes with it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "where.h"

char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* The job file's path with every symbolic link resolved, into real (of
 * PATH_MAX bytes); the path as given when it cannot be resolved. The
 * journal, the lock and the working directory all come from it, so that
 * a link to a job file is the same job as the file itself. */
void
job_realpath(const char *jobfile, char *real)
{
	if (!realpath(jobfile, real))
		snprintf(real, PATH_MAX, "%s", jobfile);
}

char *
journal_default_path(const char *jobfile)
{
	char file[PATH_MAX], real[PATH_MAX], *dir, *p, *top;
	struct stat st;

	if (jobfile) {
		job_realpath(jobfile, file);
		dir = dir_of(file);
	} else {
		dir = xstrdup(".");
	}
	if (!realpath(dir, real)) {
		snprintf(real, sizeof(real), "%s", dir);
	}
	free(dir);
	/* The top of the git work tree holding the job file, if any. */
	top = xstrdup(real);
	for (;;) {
		char *git = xasprintf("%s/.git", top);
		int found = lstat(git, &st) == 0;

		free(git);
		if (found) {
			p = xasprintf("%s/.runjob/journal.db",
				strcmp(top, "/") == 0 ? "" : top);
			free(top);
			return p;
		}
		p = strrchr(top, '/');
		if (!p || p == top)
			break;
		*p = '\0';
	}
	free(top);
	return xasprintf("%s/.runjob/journal.db", real);
}

char *
journal_choose(const char *given, const char *jobfile)
{
	const char *env = getenv("RUNJOB_JOURNAL");

	if (given)
		return xstrdup(given);
	if (env && *env)
		return xstrdup(env);
	return journal_default_path(jobfile);
}

/* Where the run's logs go: logs/RUN beside the journal, absolute, as
 * steps run in the job file's directory and find their $RUNJOB_OUTPUT
 * and logs from there. The caller frees it. */
char *
run_log_dir(const char *jpath, const char *run_id)
{
	char *dir = dir_of(jpath), *logdir, cwd[PATH_MAX];

	if (dir[0] == '/') {
		logdir = xasprintf("%s/logs/%s", dir, run_id);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			fatal("getcwd: %s", strerror(errno));
		logdir = xasprintf("%s/%s/logs/%s", cwd, dir, run_id);
	}
	free(dir);
	return logdir;
}
