/*
 * digest.c - a table's rows summed up by key range on both sides of
 * sqlite.sync, and the ranges that differ handed to the row-by-row
 * comparison.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "digest.h"
#include "row.h"
#include "schema.h"
#include "sqlite_int.h"
#include "util.h"

enum {
	ROWS_PER_RANGE = 4,
	MAX_RANGES = 1 << 20,	/* 12 MB a side */
};

/* The integer of "SELECT min(key)" or max: 1 when there is one, 0 when
 * the table is empty, -1 when the key is not an integer or on error. */
static int
key_bound(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int r = -1;

	if (!db || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		switch (sqlite3_column_type(st, 0)) {
		case SQLITE_NULL:
			r = 0;
			break;
		case SQLITE_INTEGER:
			*v = sqlite3_column_int64(st, 0);
			r = 1;
			break;
		default:
			break;
		}
	}
	sqlite3_finalize(st);
	return r;
}

static long long
rows(sqlite3 *db, const struct stable *t)
{
	sqlite3_stmt *st;
	long long n = 0;

	if (sqlite3_prepare_v2(db, t->count, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
digest_plan(struct digest *d, const struct stable *t, sqlite3 *src,
	sqlite3 *dst)
{
	sqlite3 *db[2] = { src, dst };
	int64_t lo = 0, hi = 0, v;
	uint64_t span;
	long long n = 0, c;
	size_t want;
	int i, any = 0, r;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < 2; i++) {
		if ((r = key_bound(db[i], t->min_key, &v)) < 0)
			return 0;
		if (r && (!any || v < lo))
			lo = v;
		if (r && (r = key_bound(db[i], t->max_key, &v)) < 0)
			return 0;
		if (r && (!any || v > hi))
			hi = v;
		any |= r;
		if ((c = rows(db[i], t)) > n)
			n = c;
	}
	/* Keys from lo to hi, span + 1 of them, in ranges of 1 << shift. */
	span = (uint64_t)hi - (uint64_t)lo;
	want = (size_t)(n / ROWS_PER_RANGE);
	want = want < 1 ? 1 : want > MAX_RANGES ? MAX_RANGES : want;
	while (d->shift < 63 && (span >> d->shift) >= want)
		d->shift++;
	d->lo = lo;
	d->nb = (size_t)(span >> d->shift) + 1;
	for (i = 0; i < 2; i++) {
		d->side[i].d = d;
		d->side[i].n = xcalloc(d->nb, sizeof(*d->side[i].n));
		d->side[i].h = xcalloc(d->nb, sizeof(*d->side[i].h));
	}
	return 1;
}

/* rj_digest(key, column...): the row's hash added to its key's range;
 * true for one row in DIGEST_YIELD. */
static void
digest_row(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct digest_side *s = sqlite3_user_data(ctx);
	const struct digest *d = s->d;
	int64_t k;
	size_t b;

	if (++s->since == DIGEST_YIELD)
		s->since = 0;
	sqlite3_result_int(ctx, s->since == 0);
	if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER) {
		s->odd = 1;
		return;
	}
	k = sqlite3_value_int64(argv[0]);
	b = k < d->lo ? 0 : (size_t)(((uint64_t)k - (uint64_t)d->lo) >>
		d->shift);
	if (b >= d->nb)
		b = d->nb - 1;
	s->n[b]++;
	s->h[b] += row_hash_values(argv + 1, argc - 1);
}

int
digest_bind(struct digest *d, int i, sqlite3 *db)
{
	/* Not SQLITE_DETERMINISTIC: it must run for every row. */
	return sqlite3_create_function(db, "rj_digest", -1, SQLITE_UTF8,
		&d->side[i], digest_row, NULL, NULL);
}

int
digest_scan(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	return rc;
}

/* One side's digest read, by a thread of its own. */
struct scan {
	sqlite3 *db;
	const char *sql;
	int rc;
};

static void *
scan_run(void *arg)
{
	struct scan *sc = arg;

	sc->rc = sc->db ? digest_scan(sc->db, sc->sql) : SQLITE_DONE;
	return NULL;
}

int
digest_read(struct digest *d, sqlite3 *src, sqlite3 *dst, const char *sql,
	const char *spath, const char *dpath, long long busy_ms)
{
	struct scan sc[2] = { { src, sql, 0 }, { dst, sql, 0 } };
	const char *path[2] = { spath, dpath };
	pthread_t t;
	int i, threaded;

	for (i = 0; i < 2; i++)
		if (sc[i].db && digest_bind(d, i, sc[i].db) != SQLITE_OK) {
			sdb_say_error(sc[i].db, path[i], "rj_digest", busy_ms);
			return -1;
		}
	/* The two sides at once, on two connections, one thread each. */
	threaded = src && sqlite3_threadsafe() &&
		pthread_create(&t, NULL, scan_run, &sc[1]) == 0;
	scan_run(&sc[0]);
	if (threaded)
		pthread_join(t, NULL);
	else
		scan_run(&sc[1]);
	for (i = 0; i < 2; i++)
		if (sc[i].rc != SQLITE_DONE) {
			sdb_say_error(sc[i].db, path[i], "reading", busy_ms);
			return -1;
		}
	return d->side[0].odd || d->side[1].odd;
}

/* The first key of range b; range 0 takes every key below. */
static int64_t
range_start(const struct digest *d, size_t b)
{
	uint64_t u;

	if (b == 0)
		return INT64_MIN;
	u = (uint64_t)d->lo + ((uint64_t)b << d->shift);
	return u > (uint64_t)INT64_MAX ? (int64_t)(u - (uint64_t)INT64_MAX -
		1) + INT64_MIN : (int64_t)u;
}

/* temp.rj_ranges on db, empty, and the statement that fills it. */
static int
ranges_table(sqlite3 *db, sqlite3_stmt **ins)
{
	return sqlite3_exec(db, "CREATE TEMP TABLE IF NOT EXISTS rj_ranges "
		"(lo INTEGER PRIMARY KEY, hi INTEGER NOT NULL); "
		"DELETE FROM temp.rj_ranges", NULL, NULL, NULL) == SQLITE_OK &&
		sqlite3_prepare_v2(db, "INSERT INTO temp.rj_ranges VALUES "
		"(?1, ?2)", -1, ins, NULL) == SQLITE_OK ? 0 : -1;
}

static int
add_range(sqlite3_stmt *ins, int64_t lo, int64_t hi)
{
	int r;

	sqlite3_bind_int64(ins, 1, lo);
	sqlite3_bind_int64(ins, 2, hi);
	r = sqlite3_step(ins);
	sqlite3_reset(ins);
	return r == SQLITE_DONE ? 0 : -1;
}

long long
digest_ranges(struct digest *d, sqlite3 *src, sqlite3 *dst,
	const char *dpath, long long *same, uint64_t *sum, size_t *differ)
{
	const struct digest_side *a = &d->side[0], *b = &d->side[1];
	sqlite3_stmt *ins[2] = { NULL, NULL };
	sqlite3 *db[2] = { src, dst };
	long long n = 0;
	size_t i, from = 0;
	int open = 0, j, bad = 0, txn = 0, at = 1;

	*same = 0;
	*sum = 0;
	*differ = 0;
	for (j = 0; j < 2 && !bad; j++)
		if ((bad = ranges_table(db[j], &ins[j]) < 0))
			at = j;
	/* The target's ranges in one transaction of its own: the temp
	 * table only, the database itself is not locked by it. */
	if (!bad && sqlite3_get_autocommit(dst)) {
		bad = sqlite3_exec(dst, "BEGIN", NULL, NULL, NULL) != SQLITE_OK;
		txn = !bad;
	}
	for (i = 0; i <= d->nb && !bad; i++) {
		int unlike = i < d->nb && (a->n[i] != b->n[i] ||
			a->h[i] != b->h[i]);

		if (i < d->nb && !unlike) {
			*same += a->n[i];
			*sum += a->h[i];
		}
		*differ += (size_t)unlike;
		if (unlike && !open) {
			from = i;
			open = 1;
		} else if (!unlike && open) {
			int64_t hi = i == d->nb ? INT64_MAX :
				range_start(d, i) - 1;

			for (j = 0; j < 2 && !bad; j++)
				if ((bad = add_range(ins[j], range_start(d, from),
				    hi) < 0))
					at = j;
			open = 0;
			n++;
		}
	}
	if (txn && sqlite3_exec(dst, bad ? "ROLLBACK" : "COMMIT", NULL, NULL,
	    NULL) != SQLITE_OK)
		bad = 1;
	if (bad)
		action_say("%s: noting the key ranges that differ: %s", at ?
			dpath : "source", sqlite3_errmsg(db[at]));
	for (j = 0; j < 2; j++)
		sqlite3_finalize(ins[j]);
	return bad ? -1 : n;
}

void
digest_free(struct digest *d)
{
	int i;

	for (i = 0; i < 2; i++) {
		free(d->side[i].n);
		free(d->side[i].h);
	}
	memset(d, 0, sizeof(*d));
}
