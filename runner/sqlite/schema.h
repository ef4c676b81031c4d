/*
 * schema.h - the shape of a table on each side of sqlite.sync: its
 * columns, their type affinity, its key; the two sides compared before
 * anything is written, and the statements the copy uses.
 */
#ifndef RUNJOB_SQLITE_SCHEMA_H
#define RUNJOB_SQLITE_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>

struct ssync;

enum { SCHEMA_MAX_KEY = 16 };	/* columns in a key */

struct scol {
	char *name;
	char *decl;	/* the declared type, "" when none */
	char aff;	/* affinity: I(nteger), R(eal), T(ext), B(lob), N(umeric) */
	int pk;		/* place in the primary key, from 1; 0: not in it */
};

/* One table to sync. Columns are the source's, in its order; the
 * target's statements name them, so their order there does not matter. */
struct stable {
	char *name;
	char *qname;		/* quoted for SQL */
	struct scol *col;
	int ncol;
	int *key;		/* the key columns' places in col */
	int nkey;
	int changed;		/* changed_column's place; -1: none */
	int create;		/* not in the target: made from the source's */
	char **make;		/* CREATE TABLE and CREATE INDEX, to make it */
	size_t nmake;
	/* SQL text for both sides, each over every column in col order. */
	char *sel_all, *sel_after, *sel_one, *ins, *upd, *del;
	char *sel_changed, *sel_changed_after, *max_changed, *count;
	/* The key and changed_column only, in key order: what the end
	 * check compares when changes are found by changed_column. */
	char *sel_marks, *sel_marks_after;
	/* When both sides have an index on changed_column that holds the
	 * key: changed_column and the key in that order, read from the
	 * index alone; and whether a key is there at all. */
	int by_mark;
	char *sel_by_mark, *has_key;
	/* When the key is the primary key, of one column: both sides are
	 * first compared by digests of key ranges (digest.h), and only the
	 * ranges that differ are read row by row, from temp.rj_ranges. */
	int ranges;
	char *min_key, *max_key;
	char *dig_rows, *dig_marks;	/* SELECT .. WHERE rj_digest(key, ...) */
	char *rng_rows, *rng_rows_after, *rng_marks, *rng_marks_after;
};

/* The tables s names (or all of the source's) as the two databases have
 * them, into *out (*n of them). Returns 0, or -1 after naming every
 * table and column that differ and saying what to do: nothing has been
 * written then. */
int schema_plan(struct stable **out, size_t *n, sqlite3 *src, sqlite3 *dst,
	const struct ssync *s);
void schema_free(struct stable *t, size_t n);

#endif
