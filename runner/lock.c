/*
 * lock.c - job locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "util.h"

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

int
joblock_take(struct joblock *l, const char *jpath, const char *job,
	char *holder, size_t n)
{
	const char *slash = strrchr(jpath, '/');
	char *dir = slash ? xasprintf("%.*s/locks", (int)(slash - jpath), jpath) :
		xstrdup("locks");
	char *path = xasprintf("%s/%s.lock", dir, job);
	ssize_t r;
	int fd;

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
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			r = error("cannot lock %s: %s", path, strerror(errno));
			close(fd);
			goto out;
		}
		read_holder(fd, holder, n);
		close(fd);
		r = 1;
		goto out;
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
