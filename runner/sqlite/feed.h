/*
 * feed.h - the rows of a statement on the source read by a thread of
 * their own, a few chunks ahead of the writer of the target, and, while
 * the writer still writes, the source's digest for the check: the
 * reading of the source and the writing of the target at once, on two
 * connections, one thread each. The thread reads the digest whenever it
 * is far enough ahead, so the digest is mostly read by the time the
 * last row is written.
 */
#ifndef RUNJOB_SQLITE_FEED_H
#define RUNJOB_SQLITE_FEED_H

#include <sqlite3.h>

struct digest;
struct feed;

/* Read st's rows, of ncol columns each, and, when d is not NULL, the
 * source's side of d by the statement dig on db, st's connection, in
 * the same transaction. Until feed_end, nothing else may use db. */
struct feed *feed_start(sqlite3_stmt *st, int ncol, struct digest *d,
	sqlite3 *db, const char *dig);
/* The next row's values, until the next call; NULL after the last row
 * or a failure to read. */
sqlite3_value **feed_next(struct feed *f);
/* Stop reading (the writer failed) or wait for the digest, and free f.
 * Returns st's last result, SQLITE_DONE when every row was read; *read:
 * whether d was read whole. */
int feed_end(struct feed *f, int *read);

#endif
