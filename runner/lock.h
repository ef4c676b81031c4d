/*
 * lock.h - one run of a job at a time.
 *
 * The lock is a flock on a file beside the journal (never on the journal
 * itself, whose locking is SQLite's), so the kernel releases it when its
 * holder dies however it dies: no lock is ever left for a person to
 * clear. The file also says who holds it, for the runjob that finds it
 * taken.
 */
#ifndef RUNJOB_LOCK_H
#define RUNJOB_LOCK_H

#include <stddef.h>

struct joblock {
	int fd;			/* the open, locked file; -1: none */
};

/* Take the lock of job beside the journal at jpath. Returns 0 when it is
 * ours, 1 when another process holds it (holder then says who), -1 on an
 * error (reported). */
int joblock_take(struct joblock *l, const char *jpath, const char *job,
	char *holder, size_t n);
/* Say in the lock file who holds it now. */
void joblock_describe(struct joblock *l, const char *who);
void joblock_release(struct joblock *l);

struct buf;
/* Who holds the locks beside the journal at jpath, as their files say,
 * other than this process and holders known to be gone: "job NAME
 * (HOLDER)", "; "-separated, added to out. Returns how many. */
size_t joblock_holders(const char *jpath, struct buf *out);

#endif
