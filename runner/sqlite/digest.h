/*
 * digest.h - a table's rows summed up by key range, on each side of
 * sqlite.sync: per range, the number of rows and the sum of their
 * hashes (row.h), computed inside SQLite by rj_digest(key, column...)
 * in the WHERE clause of a SELECT. Only the ranges whose digests differ
 * are then read row by row: a table that barely changed is compared in
 * one pass over each side, without stepping each row through the
 * caller. rj_digest() is true once every DIGEST_YIELD rows, so the
 * SELECT returns a row now and then: the reader may stop there for
 * other work on the same connection and go on later.
 */
#ifndef RUNJOB_SQLITE_DIGEST_H
#define RUNJOB_SQLITE_DIGEST_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct stable;
struct digest;

/* One side of a digest: what rj_digest() adds to. */
struct digest_side {
	struct digest *d;
	uint32_t *n;		/* per range: rows */
	uint64_t *h;		/* and the sum of their hashes */
	int odd;		/* a key that is not an integer was seen */
	unsigned since;		/* rows since the SELECT last returned one */
};

enum { DIGEST_YIELD = 4096 };

struct digest {
	int64_t lo;		/* the lowest key: range b starts at */
	int shift;		/* lo + (b << shift); range 0 at any key */
	size_t nb;		/* ranges; the first and the last are open */
	struct digest_side side[2];	/* 0: the source, 1: the target */
};

/* Cut the keys of t (t->ranges), as both sides have them, into about a
 * range for every four rows. Returns 1, or 0 when the lowest or highest
 * key of a side is not an integer (no digest then). */
int digest_plan(struct digest *d, const struct stable *t, sqlite3 *src,
	sqlite3 *dst);
/* Run sql, a SELECT with rj_digest(), on both sides at once: the target's
 * in a thread of its own; src NULL: the source's side was read before.
 * Returns 0, 1 when a key is not an integer, -1 after saying what went
 * wrong. */
int digest_read(struct digest *d, sqlite3 *src, sqlite3 *dst, const char *sql,
	const char *spath, const char *dpath, long long busy_ms);
/* The ranges whose digests differ (*differ of them), those next to each
 * other joined, into temp.rj_ranges (lo, hi) of both connections. *same
 * and *sum: the rows of the ranges alike, and the sum of their hashes.
 * Returns the number of ranges written, or -1 after saying what went
 * wrong. */
long long digest_ranges(struct digest *d, sqlite3 *src, sqlite3 *dst,
	const char *dpath, long long *same, uint64_t *sum, size_t *differ);
/* rj_digest() on db, adding to side i. Returns SQLite's result code. */
int digest_bind(struct digest *d, int i, sqlite3 *db);
/* Run sql, a SELECT with rj_digest(), on db; saying nothing, it may run in
 * a thread of its own. Returns SQLITE_DONE, or the error's code. */
int digest_scan(sqlite3 *db, const char *sql);
void digest_free(struct digest *d);

#endif
