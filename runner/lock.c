/*
 * lock.c - job locks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "lock.h"
#include "util.h"

/* How long a lock whose holder is gone may stay taken, in ms: see
 * joblock_take(). */
enum { SETTLE_MS = 10000 };

/* The directory of the job locks beside the journal at jpath. */
static char *
locks_dir(const char *jpath)
{
	const char *slash = strrchr(jpath, '/');

	return slash ? xasprintf("%.*s/locks", (int)(slash - jpath), jpath) :
		xstrdup("locks");
}

/* Who holds the lock, from its file. The holder writes it right after
 * taking the lock: a file still empty is read again for a moment. */
static void
read_holder(int fd, char *holder, size_t n)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		struct timespec ts = { 0, 10 * 1000000 };
		ssize_t r = pread(fd, holder, n - 1, 0);

		holder[r > 0 ? r : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		if (holder[0])
			return;
		nanosleep(&ts, NULL);
	}
	snprintf(holder, n, "another runjob, which did not say who it is");
}

/* A lock file's text names a holder that is gone when it names a pid of
 * this host that no process has: the text a runjob killed with SIGKILL
 * leaves. Another host's holders cannot be told apart. */
static int
holder_gone(const char *holder)
{
	char host[256], me[256] = "";
	long pid;

	if (sscanf(holder, "pid %ld on %255[^,\n]", &pid, host) != 2)
		return 0;
	gethostname(me, sizeof(me) - 1);
	return strcmp(host, me) == 0 && (pid == (long)getpid() ||
		(kill((pid_t)pid, 0) < 0 && errno == ESRCH));
}

int
joblock_take(struct joblock *l, const char *jpath, const char *job,
	char *holder, size_t n)
{
	char *dir = locks_dir(jpath);
	char *path = xasprintf("%s/%s.lock", dir, job);
	ssize_t r;
	int fd, waited;

	l->fd = -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = error("cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	/* O_CLOEXEC: no step inherits the lock (and close_range in the
	 * child closes it anyway). */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = error("cannot open the lock %s: %s", path, strerror(errno));
		goto out;
	}
	for (waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 20) {
		struct timespec ts = { 0, 20 * 1000000 };

		if (errno != EWOULDBLOCK) {
			r = error("cannot lock %s: %s", path, strerror(errno));
			close(fd);
			goto out;
		}
		/* A holder that is gone still holds the lock while a process
		 * it had just forked has not yet closed its copy on exec: the
		 * lock is free in a moment. Any other holder is running. */
		read_holder(fd, holder, n);
		if (!holder_gone(holder) || waited >= SETTLE_MS) {
			if (waited >= SETTLE_MS) {
				size_t len = strlen(holder);

				snprintf(holder + len, n - len, " (gone, but a "
					"process it started still holds the lock "
					"%s)", path);
			}
			close(fd);
			r = 1;
			goto out;
		}
		nanosleep(&ts, NULL);
	}
	l->fd = fd;
	/* Say who holds it at once, so that a runjob that finds it taken
	 * can name the holder; the run id follows (joblock_describe). */
	{
		char host[256] = "?", who[320];

		gethostname(host, sizeof(host) - 1);
		snprintf(who, sizeof(who), "pid %ld on %s", (long)getpid(), host);
		joblock_describe(l, who);
	}
	r = 0;
out:
	free(path);
	free(dir);
	return (int)r;
}

void
joblock_describe(struct joblock *l, const char *who)
{
	if (l->fd < 0)
		return;
	if (ftruncate(l->fd, 0) == 0 &&
	    pwrite(l->fd, who, strlen(who), 0) == (ssize_t)strlen(who))
		(void)pwrite(l->fd, "\n", 1, (off_t)strlen(who));
}

void
joblock_release(struct joblock *l)
{
	if (l->fd < 0)
		return;
	/* Empty the file first: a reader between unlock and close would
	 * otherwise name a holder that is gone. */
	if (ftruncate(l->fd, 0) < 0) {
		/* No matter: the flock going away is what counts. */
	}
	close(l->fd);
	l->fd = -1;
}

size_t
joblock_holders(const char *jpath, struct buf *out)
{
	char *dir = locks_dir(jpath);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	/* The files are read, never locked: a lock taken to look would
	 * turn away a runjob starting that job at the same moment. */
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char holder[512], *path;
		ssize_t r;
		int fd;

		if (len <= 5 || strcmp(e->d_name + len - 5, ".lock") != 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		free(path);
		if (fd < 0)
			continue;
		r = pread(fd, holder, sizeof(holder) - 1, 0);
		close(fd);
		holder[r > 0 ? r : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		if (!holder[0] || holder_gone(holder))
			continue;
		buf_addf(out, "%sjob %.*s (%s)", n++ ? "; " : "", (int)(len - 5),
			e->d_name, holder);
	}
	if (d)
		closedir(d);
	free(dir);
	return n;
}
