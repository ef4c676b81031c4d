/*
 * sync.c - sqlite.sync: a differential copy of tables between two SQLite
 * databases. Each table is read from one snapshot of the source. Rows
 * that changed are found by the high-water mark of changed_column kept
 * from the step's last successful run, or else by comparing every row's
 * content hash, both sides read in key order; they are written in
 * batches, one transaction each on the target, each batch's position
 * checkpointed so that a killed copy goes on where it stopped. Then both
 * sides are read again, summed up by key range (digest.h) when the key
 * allows it and only the ranges that differ read row by row, else every
 * row in key order: rows the source no longer has are deleted (delete:
 * true), and any other difference fails the step, naming the first keys
 * that differ.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "action.h"
#include "buf.h"
#include "clock.h"
#include "digest.h"
#include "feed.h"
#include "json.h"
#include "row.h"
#include "schema.h"
#include "settings.h"
#include "sqlite.h"
#include "sqlite_int.h"
#include "ui.h"
#include "util.h"

enum phase { PH_CHANGED, PH_MERGE, PH_CHECK };

static const char *const phase_names[] = { "changed", "merge", "check",
	NULL };

enum { MAX_FIRST = 5, PROGRESS_MS = 1000 };

/* A checkpoint, or the state of the last successful run, read back. */
struct saved {
	char *src, *dst, *cc;		/* what it was about */
	char *table;			/* the table in progress; NULL: none */
	enum phase phase;
	char *lo, *hwm;			/* its marks, encoded (row.h) */
	char *c;			/* changed pass: changed_column's value */
	char *k[SCHEMA_MAX_KEY];	/* and the key after which to go on */
	int nk;
	long long ins, upd, del, chk;
	int done;			/* the whole sync was done */
	char **tdone, **thwm;		/* finished tables and their marks */
	size_t ntdone;
};

struct sync {
	const struct ssync *s;
	sqlite3 *src, *dst;
	struct stable *t;
	size_t nt;
	struct saved ck;		/* from RUNJOB_CHECKPOINT */
	struct saved last;		/* from RUNJOB_LAST_STATE */
	long long ins, upd, del, chk;	/* the sync so far, all attempts */
	char **thwm;			/* per table: its mark once done */
	int *tdone;
	/* Progress of the table being worked on. */
	char what[300];
	long long done, total, base;
	int64_t started, shown;
};

/* What a pass over both sides found. */
struct found {
	long long same, differ, src_only, dst_only;
	uint64_t hs, hd;		/* the sides' content hashes */
	struct buf first;		/* the first keys that differ */
	int nfirst;
	/* A copy that reads back each row it writes: the sums of the row
	 * hashes of the source and of the target's rows with a key the
	 * source has, once written. */
	int readback;
	long long readback_max;	/* rows written before it stops */
	uint64_t sum_src, sum_dst;
	int ranged;		/* compared by key ranges (merge_ranges) */
};

static void
saved_field(void *arg, const char *name, const char *value)
{
	struct saved *sv = arg;

	if (strncmp(name, "t.", 2) == 0) {
		sv->tdone = xreallocarray(sv->tdone, sv->ntdone + 1,
			sizeof(*sv->tdone));
		sv->thwm = xreallocarray(sv->thwm, sv->ntdone + 1,
			sizeof(*sv->thwm));
		sv->tdone[sv->ntdone] = xstrdup(name + 2);
		sv->thwm[sv->ntdone++] = xstrdup(value);
	} else if (name[0] == 'k' && name[1] >= '0' && name[1] <= '9') {
		int i = atoi(name + 1);

		if (i < SCHEMA_MAX_KEY && !sv->k[i]) {
			sv->k[i] = xstrdup(value);
			if (i + 1 > sv->nk)
				sv->nk = i + 1;
		}
	} else if (strcmp(name, "src") == 0) {
		sv->src = xstrdup(value);
	} else if (strcmp(name, "dst") == 0) {
		sv->dst = xstrdup(value);
	} else if (strcmp(name, "cc") == 0) {
		sv->cc = xstrdup(value);
	} else if (strcmp(name, "table") == 0) {
		sv->table = xstrdup(value);
	} else if (strcmp(name, "phase") == 0) {
		for (int i = 0; phase_names[i]; i++)
			if (strcmp(value, phase_names[i]) == 0)
				sv->phase = (enum phase)i;
	} else if (strcmp(name, "lo") == 0) {
		sv->lo = xstrdup(value);
	} else if (strcmp(name, "hwm") == 0) {
		sv->hwm = xstrdup(value);
	} else if (strcmp(name, "c") == 0) {
		sv->c = xstrdup(value);
	} else if (strcmp(name, "ins") == 0) {
		sv->ins = atoll(value);
	} else if (strcmp(name, "upd") == 0) {
		sv->upd = atoll(value);
	} else if (strcmp(name, "del") == 0) {
		sv->del = atoll(value);
	} else if (strcmp(name, "chk") == 0) {
		sv->chk = atoll(value);
	} else if (strcmp(name, "done") == 0) {
		sv->done = strcmp(value, "1") == 0;
	}
}

static void
saved_free(struct saved *sv)
{
	size_t i;

	free(sv->src);
	free(sv->dst);
	free(sv->cc);
	free(sv->table);
	free(sv->lo);
	free(sv->hwm);
	free(sv->c);
	for (i = 0; i < SCHEMA_MAX_KEY; i++)
		free(sv->k[i]);
	for (i = 0; i < sv->ntdone; i++) {
		free(sv->tdone[i]);
		free(sv->thwm[i]);
	}
	free(sv->tdone);
	free(sv->thwm);
	memset(sv, 0, sizeof(*sv));
}

/* Read text (a checkpoint) into sv when it is about this source and
 * target. Returns 1 when it is, 0 when not (or there is none). */
static int
saved_read(struct saved *sv, const char *text, const struct ssync *s)
{
	memset(sv, 0, sizeof(*sv));
	if (!text || !*text || json_each_string(text, saved_field, sv) < 0 ||
	    !sv->src || !sv->dst || strcmp(sv->src, s->source) != 0 ||
	    strcmp(sv->dst, s->target) != 0) {
		saved_free(sv);
		return 0;
	}
	return 1;
}

/* The mark table name finished with in sv; NULL: not finished there. */
static const char *
saved_table(const struct saved *sv, const char *name)
{
	size_t i;

	for (i = 0; i < sv->ntdone; i++)
		if (strcmp(sv->tdone[i], name) == 0)
			return sv->thwm[i];
	return NULL;
}

static void
add_field(struct buf *b, const char *name, const char *value)
{
	if (b->len > 1)
		buf_addc(b, ',');
	buf_add_json(b, name);
	buf_addc(b, ':');
	buf_add_json(b, value);
}

static void
add_count(struct buf *b, const char *name, long long n)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", n);
	add_field(b, name, v);
}

/* Checkpoint the sync: the tables done, and where table t stands (NULL:
 * between tables). pos: the key of the last row done (t->nkey values),
 * c: changed_column's value there. */
static void
checkpoint(struct sync *sy, const struct stable *t, enum phase ph,
	const char *lo, const char *hwm, sqlite3_value *const *pos,
	sqlite3_value *c, int done)
{
	struct buf b = {0}, v = {0};
	char name[32];
	size_t i;
	int k;

	buf_addc(&b, '{');
	add_field(&b, "src", sy->s->source);
	add_field(&b, "dst", sy->s->target);
	add_field(&b, "cc", sy->s->changed ? sy->s->changed : "");
	add_count(&b, "ins", sy->ins);
	add_count(&b, "upd", sy->upd);
	add_count(&b, "del", sy->del);
	add_count(&b, "chk", sy->chk);
	for (i = 0; i < sy->nt; i++) {
		if (!sy->tdone[i])
			continue;
		buf_reset(&v);
		buf_addf(&v, "t.%s", sy->t[i].name);
		add_field(&b, buf_str(&v), sy->thwm[i] ? sy->thwm[i] : "");
	}
	if (t) {
		add_field(&b, "table", t->name);
		add_field(&b, "phase", phase_names[ph]);
		if (lo)
			add_field(&b, "lo", lo);
		if (hwm)
			add_field(&b, "hwm", hwm);
		if (c) {
			buf_reset(&v);
			value_encode(&v, c);
			add_field(&b, "c", buf_str(&v));
		}
		for (k = 0; pos && k < t->nkey; k++) {
			buf_reset(&v);
			value_encode(&v, pos[k]);
			snprintf(name, sizeof(name), "k%d", k);
			add_field(&b, name, buf_str(&v));
		}
	}
	if (done)
		add_field(&b, "done", "1");
	buf_addc(&b, '}');
	action_checkpoint(buf_str(&b));
	buf_free(&b);
	buf_free(&v);
}

static void
progress(struct sync *sy, int force)
{
	int64_t now = now_ms();
	double secs;
	double rate;
	char eta[48] = "", d[32];

	if (!force && now - sy->shown < PROGRESS_MS)
		return;
	sy->shown = now;
	secs = (double)(now - sy->started) / 1000;
	rate = secs > 0 ? (double)(sy->done - sy->base) / secs : 0;
	if (sy->total > 0 && rate > 0 && sy->done < sy->total)
		snprintf(eta, sizeof(eta), ", ETA %s", ui_duration((int64_t)
			((double)(sy->total - sy->done) / rate * 1000), d,
			sizeof(d)));
	if (sy->total > 0) {
		long long done = sy->done < sy->total ? sy->done : sy->total;
		int cells = (int)(done * 20 / sy->total);
		char bar[24];

		memset(bar, '#', (size_t)cells);
		memset(bar + cells, '.', (size_t)(20 - cells));
		bar[20] = 0;
		action_progress("%s [%s] %d%% %lld of %lld rows, %.0f rows/s%s",
			sy->what, bar, (int)(done * 100 / sy->total), sy->done,
			sy->total, rate, eta);
	} else {
		action_progress("%s %lld rows, %.0f rows/s", sy->what, sy->done,
			rate);
	}
}

static void
progress_start(struct sync *sy, const char *what, long long total,
	long long done)
{
	snprintf(sy->what, sizeof(sy->what), "%s", what);
	sy->total = total;
	sy->done = sy->base = done;
	sy->started = now_ms();
	/* The first line soon, with a rate to tell; then one a second. */
	sy->shown = sy->started - PROGRESS_MS + 100;
}

static int
prep(sqlite3 *db, const char *sql, sqlite3_stmt **st, const char *path)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	sdb_say_error(db, path, sql, 0);
	return -1;
}

/* Step st, a read of path: 1 on a row, 0 at the end, -1 after saying
 * what went wrong. */
static int
next(sqlite3 *db, sqlite3_stmt *st, const char *path, const char *doing,
	long long busy_ms)
{
	int r = sqlite3_step(st);

	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	sdb_say_error(db, path, doing, busy_ms);
	return -1;
}

/* Run w, a statement of the target with a row's values bound. Returns 0,
 * or -1 after saying what went wrong. */
static int
write_bound(struct sync *sy, sqlite3_stmt *w, const char *doing)
{
	if (sqlite3_step(w) != SQLITE_DONE) {
		sdb_say_error(sy->dst, sy->s->target, doing, sy->s->busy_ms);
		sqlite3_reset(w);
		return -1;
	}
	sqlite3_reset(w);
	return 0;
}

/* Write st's row (its columns bound by place) with w, a statement of the
 * target. Returns 0, or -1 after saying what went wrong. */
static int
write_row(struct sync *sy, sqlite3_stmt *w, sqlite3_stmt *row, int ncol,
	const char *doing)
{
	int i;

	for (i = 0; i < ncol; i++)
		sqlite3_bind_value(w, i + 1, sqlite3_column_value(row, i));
	return write_bound(sy, w, doing);
}

/* The same for a row's values v. */
static int
write_values(struct sync *sy, sqlite3_stmt *w, sqlite3_value **v, int ncol,
	const char *doing)
{
	int i;

	for (i = 0; i < ncol; i++)
		sqlite3_bind_value(w, i + 1, v[i]);
	return write_bound(sy, w, doing);
}

/* What a pass over both sides reads: every row, or those after a key;
 * their columns, and the key's places among them. */
struct view {
	const char *all, *after;
	int ncol;
	const int *key;		/* what the rows are ordered by */
	int nkey;
	const int *rowkey;	/* the table's key */
	int by_mark;		/* ordered by changed_column, then the key */
	int seq[SCHEMA_MAX_KEY + 1];	/* places 0, 1, 2... */
};

/* Every column of t's rows. */
static void
view_rows(struct view *v, const struct stable *t)
{
	v->all = t->sel_all;
	v->after = t->sel_after;
	v->ncol = t->ncol;
	v->key = v->rowkey = t->key;
	v->nkey = t->nkey;
	v->by_mark = 0;
}

/* The key and changed_column of t's rows. */
static void
view_marks(struct view *v, const struct stable *t)
{
	int k;

	v->all = t->sel_marks;
	v->after = t->sel_marks_after;
	v->ncol = t->nkey + 1;
	for (k = 0; k <= t->nkey; k++)
		v->seq[k] = k;
	v->key = v->rowkey = v->seq;
	v->nkey = t->nkey;
	v->by_mark = 0;
}

/* changed_column and the key of t's rows in that order, read from an
 * index on changed_column: a row is the same on both sides when both
 * have its key with the same mark. */
static void
view_by_mark(struct view *v, const struct stable *t)
{
	int k;

	v->all = t->sel_by_mark;
	v->after = NULL;
	v->ncol = t->nkey + 1;
	for (k = 0; k <= t->nkey; k++)
		v->seq[k] = k;
	v->key = v->seq;
	v->nkey = t->nkey + 1;
	v->rowkey = v->seq + 1;
	v->by_mark = 1;
}

/* Whether the table behind probe (has_key) holds the key of st's row. */
static int
has_row(sqlite3_stmt *probe, sqlite3_stmt *st, const struct stable *t,
	const struct view *v)
{
	int k, r;

	for (k = 0; k < t->nkey; k++)
		sqlite3_bind_value(probe, t->key[k] + 1,
			sqlite3_column_value(st, v->rowkey[k]));
	r = sqlite3_step(probe);
	sqlite3_reset(probe);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

static void
keep_pos(sqlite3_value **pos, sqlite3_stmt *st, const int *key, int nkey)
{
	int k;

	for (k = 0; k < nkey; k++) {
		sqlite3_value_free(pos[k]);
		pos[k] = sqlite3_value_dup(sqlite3_column_value(st, key[k]));
	}
}

static void
free_pos(sqlite3_value **pos, int n)
{
	int k;

	for (k = 0; k < n; k++) {
		sqlite3_value_free(pos[k]);
		pos[k] = NULL;
	}
}

static void
note_first(struct found *f, sqlite3_stmt *st, const struct view *v,
	const char *how)
{
	if (f->nfirst++ >= MAX_FIRST)
		return;
	if (f->first.len)
		buf_adds(&f->first, ", ");
	key_text(&f->first, st, v->rowkey, v->nkey - v->by_mark);
	buf_addf(&f->first, " %s", how);
}

/* Delete the rows whose keys are in keys (t->nkey values each), batch
 * rows a transaction. Returns 0 or -1. */
static int
delete_rows(struct sync *sy, const struct stable *t, sqlite3_value **keys,
	long long n)
{
	sqlite3_stmt *del;
	long long i = 0, b;
	int k;

	if (!n)
		return 0;
	if (prep(sy->dst, t->del, &del, sy->s->target) < 0)
		return -1;
	while (i < n) {
		if (sdb_exec(sy->dst, "BEGIN IMMEDIATE", sy->s->target,
		    sy->s->busy_ms) < 0)
			goto fail;
		for (b = 0; b < sy->s->batch && i < n; b++, i++) {
			for (k = 0; k < t->nkey; k++)
				sqlite3_bind_value(del, t->key[k] + 1,
					keys[i * t->nkey + k]);
			if (sqlite3_step(del) != SQLITE_DONE) {
				sdb_say_error(sy->dst, sy->s->target, "deleting",
					sy->s->busy_ms);
				sqlite3_exec(sy->dst, "ROLLBACK", NULL, NULL, NULL);
				goto fail;
			}
			sqlite3_reset(del);
			sy->del++;
		}
		if (sdb_exec(sy->dst, "COMMIT", sy->s->target,
		    sy->s->busy_ms) < 0) {
			sqlite3_exec(sy->dst, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
	sqlite3_finalize(del);
	return 0;
fail:
	sqlite3_finalize(del);
	return -1;
}

/* Add the hash of the row the target now has with the key of st's row
 * to f->sum_dst. Returns 0, or -1 after saying what went wrong. */
static int
read_back(struct sync *sy, const struct stable *t, sqlite3_stmt *back,
	sqlite3_stmt *st, struct found *f)
{
	int k, r;

	for (k = 0; k < t->nkey; k++)
		sqlite3_bind_value(back, t->key[k] + 1,
			sqlite3_column_value(st, t->key[k]));
	if ((r = next(sy->dst, back, sy->s->target, "reading back",
	    sy->s->busy_ms)) < 0)
		return -1;
	if (r)
		f->sum_dst += row_hash(back, t->ncol);
	sqlite3_reset(back);
	return 0;
}

/* The transaction of a batch, begun at its first write. */
static int
begin_batch(struct sync *sy, int *inbatch)
{
	if (*inbatch)
		return 0;
	if (sdb_exec(sy->dst, "BEGIN IMMEDIATE", sy->s->target,
	    sy->s->busy_ms) < 0)
		return -1;
	*inbatch = 1;
	return 0;
}

/* The saved key of sv as values, into pos. Returns 0, or -1 when it
 * does not fit the table. */
static int
saved_pos(sqlite3 *db, const struct saved *sv, int nkey,
	sqlite3_value **pos)
{
	sqlite3_stmt *st;
	int k, r = 0;

	if (sv->nk != nkey ||
	    sqlite3_prepare_v2(db, "SELECT ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (k = 0; k < nkey && r == 0; k++) {
		if (value_bind(st, 1, sv->k[k]) < 0 ||
		    sqlite3_step(st) != SQLITE_ROW)
			r = -1;
		else
			pos[k] = sqlite3_value_dup(sqlite3_column_value(st, 0));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (r < 0)
		free_pos(pos, nkey);
	return r;
}

static void
bind_pos(sqlite3_stmt *st, sqlite3_value *const *pos, int nkey)
{
	int k;

	for (k = 0; k < nkey; k++)
		sqlite3_bind_value(st, k + 1, pos[k]);
}

/* Read both sides of t in key order, from after the saved key (when
 * from), and reconcile them: write (new and changed rows written to the
 * target, batch rows a transaction, each checkpointed), or only look (f
 * counts what differs; the keys of rows only in the target collected in
 * *gone when gone is not NULL). Returns 0 or -1. */
static int
merge(struct sync *sy, const struct stable *t, const struct view *v,
	int write, const struct saved *from, const char *hwm, struct found *f,
	sqlite3_value ***gone, long long *ngone)
{
	sqlite3_stmt *ss = NULL, *ds = NULL, *all = NULL, *after = NULL;
	sqlite3_stmt *ins = NULL, *upd = NULL, *psrc = NULL, *pdst = NULL;
	sqlite3_stmt *back = NULL;
	sqlite3_value *pos[SCHEMA_MAX_KEY] = {0};
	sqlite3_value **del = NULL;
	size_t delcap = 0;
	long long ndel = 0, n, wrote = sy->ins + sy->upd;
	int64_t said = now_ms();
	int havepos = 0, sr, dr, c, k, r, code = -1, inbatch = 0;
	const char *sp = sy->s->source, *dp = sy->s->target;

	if (prep(sy->dst, v->all, &all, dp) < 0 ||
	    (v->after && prep(sy->dst, v->after, &after, dp) < 0))
		goto out;
	if (v->by_mark && (prep(sy->src, t->has_key, &psrc, sp) < 0 ||
	    prep(sy->dst, t->has_key, &pdst, dp) < 0))
		goto out;
	if (write && (prep(sy->dst, t->ins, &ins, dp) < 0 ||
	    (t->upd && prep(sy->dst, t->upd, &upd, dp) < 0) ||
	    (f->readback && prep(sy->dst, t->sel_one, &back, dp) < 0)))
		goto out;
	if (from && saved_pos(sy->src, from, t->nkey, pos) < 0)
		action_say("sqlite.sync: table %s: the checkpoint does not fit "
			"the table's key; starting the table afresh", t->name);
	else if (from)
		havepos = 1;
	if (prep(sy->src, havepos ? v->after : v->all, &ss, sp) < 0)
		goto out;
	if (havepos)
		bind_pos(ss, pos, t->nkey);
	if ((sr = next(sy->src, ss, sp, "reading", sy->s->busy_ms)) < 0)
		goto out;
	for (;;) {
		/* One batch: the target read from after the last key done;
		 * its transaction begins at its first write, so that a batch
		 * with nothing to write costs no commit. */
		ds = havepos ? after : all;
		if (havepos)
			bind_pos(ds, pos, t->nkey);
		if ((dr = next(sy->dst, ds, dp, "reading", sy->s->busy_ms)) < 0)
			goto out;
		for (n = 0; (n < sy->s->batch || !write) && (sr || dr); n++) {
			sqlite3_stmt *at;

			c = !sr ? 1 : !dr ? -1 : key_cmp(ss, v->key, ds, v->key,
				v->nkey);
			at = c <= 0 ? ss : ds;
			if (c < 0 && v->by_mark) {
				/* Its key elsewhere in the target: a mark that
				 * differs. */
				f->hs = row_fold(f->hs, row_hash(ss, v->ncol));
				if ((r = has_row(pdst, ss, t, v)) < 0)
					goto out;
				if (r)
					f->differ++;
				else
					f->src_only++;
				note_first(f, ss, v, r ? "differs" :
					"only in the source");
			} else if (c > 0 && v->by_mark &&
			    (r = has_row(psrc, ds, t, v)) != 0) {
				/* Counted from the source's side. */
				if (r < 0)
					goto out;
			} else if (c < 0) {
				uint64_t a = row_hash(ss, v->ncol);

				f->src_only++;
				f->hs = row_fold(f->hs, a);
				f->sum_src += a;
				if (!write)
					note_first(f, ss, v, "only in the source");
				else if (begin_batch(sy, &inbatch) < 0 ||
				    write_row(sy, ins, ss, t->ncol,
				    "inserting") < 0 || (back &&
				    read_back(sy, t, back, ss, f) < 0))
					goto out;
				else
					sy->ins++;
			} else if (c > 0) {
				f->dst_only++;
				if (gone) {
					xgrow(&del, &delcap, (size_t)(ndel + 1) *
						(size_t)t->nkey, sizeof(*del));
					for (k = 0; k < t->nkey; k++)
						del[ndel * t->nkey + k] =
							sqlite3_value_dup(
							sqlite3_column_value(ds,
							v->rowkey[k]));
					ndel++;
				}
			} else if (v->by_mark) {
				/* Ordered by every column it reads: the same. */
				f->same++;
				f->hs = f->hd = row_fold(f->hs,
					row_hash(ss, v->ncol));
			} else {
				uint64_t a = row_hash(ss, v->ncol),
					b = row_hash(ds, v->ncol);

				f->hs = row_fold(f->hs, a);
				f->hd = row_fold(f->hd, b);
				f->sum_src += a;
				if (a == b) {
					f->same++;
					f->sum_dst += b;
				} else {
					f->differ++;
					if (!write)
						note_first(f, ss, v, "differs");
					else if (begin_batch(sy, &inbatch) < 0 ||
					    (upd && write_row(sy, upd, ss,
					    t->ncol, "updating") < 0) || (back &&
					    read_back(sy, t, back, ss, f) < 0))
						goto out;
					else
						sy->upd++;
				}
			}
			sy->done += c <= 0;
			if (back && f->src_only + f->differ > f->readback_max) {
				sqlite3_finalize(back);
				back = NULL;
				f->readback = 0;
			}
			if ((n & 1023) == 1023)
				progress(sy, 0);
			if (write && n + 1 == sy->s->batch) {
				keep_pos(pos, at, v->key, t->nkey);
				havepos = 1;
			}
			if (c <= 0 && (sr = next(sy->src, ss, sp, "reading",
			    sy->s->busy_ms)) < 0)
				goto out;
			if (c >= 0 && (dr = next(sy->dst, ds, dp, "reading",
			    sy->s->busy_ms)) < 0)
				goto out;
		}
		sqlite3_reset(ds);
		if (!write)
			break;
		if (inbatch && sdb_exec(sy->dst, "COMMIT", dp,
		    sy->s->busy_ms) < 0)
			goto out;
		inbatch = 0;
		if (!sr && !dr)
			break;
		/* Each batch that wrote is checkpointed; one that only read,
		 * once a second: going back over it costs a read. */
		if (sy->ins + sy->upd != wrote || now_ms() - said >= 1000) {
			checkpoint(sy, t, PH_MERGE, NULL, hwm, pos, NULL, 0);
			wrote = sy->ins + sy->upd;
			said = now_ms();
		}
		progress(sy, 0);
	}
	code = 0;
out:
	if (ds)
		sqlite3_reset(ds);
	if (inbatch)
		sqlite3_exec(sy->dst, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(ss);
	sqlite3_finalize(all);
	sqlite3_finalize(after);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	sqlite3_finalize(psrc);
	sqlite3_finalize(pdst);
	sqlite3_finalize(back);
	free_pos(pos, t->nkey);
	if (gone && code == 0) {
		*gone = del;
		*ngone = ndel;
	} else {
		for (long long i = 0; i < ndel; i++)
			free_pos(&del[i * t->nkey], t->nkey);
		free(del);
	}
	return code;
}

/* Compare t's two sides by the digests of their key ranges (t->ranges),
 * then merge over the ranges that differ only, with the columns of
 * marks (the key and changed_column) or of every row. f starts with the
 * rows of the ranges alike. Returns 1 when done so, 0 when the table's
 * keys are not integers (every row is to be merged then), -1 on
 * failure. */
static int
merge_ranges(struct sync *sy, const struct stable *t, int marks, int write,
	const char *hwm, struct digest *pre, struct found *f,
	sqlite3_value ***gone, long long *ngone)
{
	struct digest own, *d = pre ? pre : &own;
	struct view v;
	const char *dig = marks ? t->dig_marks : t->dig_rows;
	long long n;
	uint64_t sum;
	size_t differ;
	int r;

	if (!pre && (!t->ranges || !sy->dst || digest_plan(&own, t, sy->src,
	    sy->dst) <= 0))
		return 0;
	r = digest_read(d, pre ? NULL : sy->src, sy->dst, dig, sy->s->source,
		sy->s->target, sy->s->busy_ms);
	if (r == 0 && (n = digest_ranges(d, sy->src, sy->dst, sy->s->target,
	    &f->same, &sum, &differ)) < 0)
		r = -1;
	if (r == 0)
		action_say("%s: %zu key ranges compared by digest, %zu differ: "
			"their rows are compared one by one", t->name, d->nb,
			differ);
	if (!pre)
		digest_free(&own);
	if (r)
		return r < 0 ? -1 : 0;
	f->ranged = 1;
	f->sum_src = f->sum_dst = sum;
	sy->done += f->same;
	if (marks) {
		view_marks(&v, t);
		v.all = t->rng_marks;
		v.after = t->rng_marks_after;
	} else {
		view_rows(&v, t);
		v.all = t->rng_rows;
		v.after = t->rng_rows_after;
	}
	if (n && merge(sy, t, &v, write, NULL, hwm, f, gone, ngone) < 0)
		return -1;
	return 1;
}

/* The rows whose changed_column is at or past lo (or, going on, past
 * the saved place), in that order, each looked up in the target and
 * written when it is new or differs. The source is read by a thread of
 * its own (feed.h), which then reads the source's side of pre, when not
 * NULL, for the check; *digested says whether it did. Returns 0 or -1. */
static int
changed_pass(struct sync *sy, const struct stable *t, const char *lo,
	const char *hwm, const struct saved *from, struct digest *pre,
	int *digested)
{
	sqlite3_stmt *ss = NULL, *one = NULL, *ins = NULL, *upd = NULL;
	sqlite3_value *pos[SCHEMA_MAX_KEY] = {0}, *c = NULL, **row;
	const char *sp = sy->s->source, *dp = sy->s->target;
	struct feed *fd = NULL;
	long long n = 0;
	int r, k, code = -1, inbatch = 0, rc;

	*digested = 0;
	if (prep(sy->dst, t->sel_one, &one, dp) < 0 ||
	    prep(sy->dst, t->ins, &ins, dp) < 0 ||
	    (t->upd && prep(sy->dst, t->upd, &upd, dp) < 0))
		goto out;
	if (from && from->c && saved_pos(sy->src, from, t->nkey, pos) == 0 &&
	    prep(sy->src, t->sel_changed_after, &ss, sp) == 0 &&
	    value_bind(ss, 1, from->c) == 0) {
		/* Going on after the saved place. */
		for (k = 0; k < t->nkey; k++)
			sqlite3_bind_value(ss, k + 2, pos[k]);
	} else {
		sqlite3_finalize(ss);
		if (prep(sy->src, t->sel_changed, &ss, sp) < 0 ||
		    value_bind(ss, 1, lo) < 0)
			goto out;
	}
	fd = feed_start(ss, t->ncol, pre, sy->src, t->dig_marks);
	while ((row = feed_next(fd))) {
		if (!inbatch && sdb_exec(sy->dst, "BEGIN IMMEDIATE", dp,
		    sy->s->busy_ms) < 0)
			goto out;
		inbatch = 1;
		for (k = 0; k < t->nkey; k++)
			sqlite3_bind_value(one, t->key[k] + 1, row[t->key[k]]);
		if ((r = next(sy->dst, one, dp, "reading", sy->s->busy_ms)) < 0)
			goto out;
		if (!r) {
			sqlite3_reset(one);
			if (write_values(sy, ins, row, t->ncol, "inserting") < 0)
				goto out;
			sy->ins++;
		} else {
			int same = row_hash_values(row, t->ncol) ==
				row_hash(one, t->ncol);

			sqlite3_reset(one);
			if (!same) {
				if (upd && write_values(sy, upd, row, t->ncol,
				    "updating") < 0)
					goto out;
				sy->upd++;
			}
		}
		sy->done++;
		if (++n < sy->s->batch)
			continue;
		for (k = 0; k < t->nkey; k++) {
			sqlite3_value_free(pos[k]);
			pos[k] = sqlite3_value_dup(row[t->key[k]]);
		}
		sqlite3_value_free(c);
		c = sqlite3_value_dup(row[t->changed]);
		if (sdb_exec(sy->dst, "COMMIT", dp, sy->s->busy_ms) < 0)
			goto out;
		inbatch = 0;
		n = 0;
		checkpoint(sy, t, PH_CHANGED, lo, hwm, pos, c, 0);
		progress(sy, 0);
	}
	if (inbatch && sdb_exec(sy->dst, "COMMIT", dp, sy->s->busy_ms) < 0)
		goto out;
	inbatch = 0;
	code = 0;
out:
	if (inbatch)
		sqlite3_exec(sy->dst, "ROLLBACK", NULL, NULL, NULL);
	if (fd && (rc = feed_end(fd, digested)) != SQLITE_DONE && code == 0) {
		sdb_say_error(sy->src, sp, "reading", sy->s->busy_ms);
		code = -1;
	}
	sqlite3_finalize(ss);
	sqlite3_finalize(one);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	free_pos(pos, t->nkey);
	sqlite3_value_free(c);
	return code;
}

static long long
count_rows(sqlite3 *db, const struct stable *t)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(db, t->count, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* changed_column's highest value in the source's snapshot, encoded;
 * NULL when the table has none. */
static char *
read_hwm(struct sync *sy, const struct stable *t)
{
	sqlite3_stmt *st;
	struct buf b = {0};
	char *s = NULL;

	if (t->changed < 0 || sqlite3_prepare_v2(sy->src, t->max_changed, -1,
	    &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		value_encode(&b, sqlite3_column_value(st, 0));
		s = xstrdup(buf_str(&b));
	}
	sqlite3_finalize(st);
	buf_free(&b);
	return s;
}

/* After a check that failed: the next attempt (a retry, a resume)
 * compares every row of t by content from its first, and writes what
 * differs. */
static void
compare_next(struct sync *sy, const struct stable *t, const char *hwm)
{
	checkpoint(sy, t, PH_MERGE, NULL, hwm, NULL, NULL, 0);
	action_say("sqlite.sync: the next attempt of this step compares every "
		"row of %s and writes what differs: resume the run, or run the "
		"step again", t->name);
}

/* Both sides read again: the target's extra rows deleted (delete:
 * true), the rest compared; pre: the source's digest, read already.
 * Returns 0 when they are the same, -1. */
static int
check_pass(struct sync *sy, const struct stable *t, const char *hwm,
	struct digest *pre)
{
	struct found f = {0};
	struct view v;
	sqlite3_value **gone = NULL;
	long long ngone = 0, ns, nd, i;
	char what[300];
	int code = -1, r;

	snprintf(what, sizeof(what), "%s: checking", t->name);
	progress_start(sy, what, 0, 0);
	/* With changed_column, a row is as new as its mark says: the check
	 * compares keys and marks, not every byte. */
	if (t->by_mark)
		view_by_mark(&v, t);
	else if (t->changed >= 0)
		view_marks(&v, t);
	else
		view_rows(&v, t);
	if ((r = merge_ranges(sy, t, t->changed >= 0, 0, NULL, pre, &f,
	    sy->s->del ?
	    &gone : NULL, &ngone)) < 0 || (r == 0 && merge(sy, t, &v, 0, NULL,
	    NULL, &f, sy->s->del ? &gone : NULL, &ngone) < 0))
		goto out;
	sy->chk += f.same + f.differ + f.src_only;
	if (ngone && delete_rows(sy, t, gone, ngone) < 0)
		goto out;
	if (f.differ || f.src_only) {
		action_say("sqlite.sync: table %s: after the sync the target "
			"still differs from the source: %lld rows differ, %lld "
			"are only in the source; the first: %s", t->name,
			f.differ, f.src_only, buf_str(&f.first));
		if (t->changed >= 0)
			action_say("sqlite.sync: rows changed without a newer %s, "
				"or the target was changed by something else",
				t->col[t->changed].name);
		compare_next(sy, t, hwm);
		goto out;
	}
	/* Counted as both sides were read. */
	ns = f.same + f.differ + f.src_only;
	nd = f.same + f.differ + f.dst_only - (sy->s->del ? ngone : 0);
	if (ns != nd && sy->s->del) {
		action_say("sqlite.sync: table %s: %lld rows in the source, "
			"%lld in the target after the sync", t->name, ns, nd);
		compare_next(sy, t, hwm);
		goto out;
	}
	action_say("%s: %lld rows in the source, %lld in the target, content "
		"hash %016" PRIx64 " on both sides%s", t->name, ns, nd,
		f.ranged ? f.sum_src : f.hs,
		!sy->s->del && f.dst_only ? " (the rows only in the target are "
		"kept: delete: false)" : "");
	code = 0;
out:
	for (i = 0; i < ngone * t->nkey; i++)
		sqlite3_value_free(gone[i]);
	free(gone);
	buf_free(&f.first);
	return code;
}

/* Make table t in the target as the source has it. */
static int
create_table(struct sync *sy, const struct stable *t)
{
	size_t i;

	if (sdb_exec(sy->dst, "BEGIN IMMEDIATE", sy->s->target,
	    sy->s->busy_ms) < 0)
		return -1;
	for (i = 0; i < t->nmake; i++)
		if (sdb_exec(sy->dst, t->make[i], sy->s->target,
		    sy->s->busy_ms) < 0) {
			sqlite3_exec(sy->dst, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	if (sdb_exec(sy->dst, "COMMIT", sy->s->target, sy->s->busy_ms) < 0) {
		sqlite3_exec(sy->dst, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	action_say("%s: made in the target as the source has it", t->name);
	return 0;
}

/* Copy t by content, from its start or after the saved key. A copy from
 * the start that wrote few rows is checked as it goes: every row of both
 * sides was hashed, each row written is read back, and the counts are
 * taken after the deletes. Returns 1 when it was checked so, 0 when the
 * check pass is still to come, -1 on failure. */
static int
copy_table(struct sync *sy, const struct stable *t, const struct saved *from,
	const char *hwm)
{
	struct found f = {0};
	struct view v;
	sqlite3_value **gone = NULL;
	long long ngone = 0, ns, nd, i;
	char what[300];
	int r = -1;

	snprintf(what, sizeof(what), "%s: copying", t->name);
	ns = count_rows(sy->src, t);
	progress_start(sy, what, ns, 0);
	view_rows(&v, t);
	/* Reading back is a lookup a row; past a tenth of the table, reading
	 * both sides again is faster. */
	f.readback = !from && !t->create && ns >= 0;
	f.readback_max = ns / 10;
	if ((r = f.readback ? merge_ranges(sy, t, 0, 1, hwm, NULL, &f,
	    sy->s->del ?
	    &gone : NULL, &ngone) : 0) < 0 || (r == 0 && merge(sy, t, &v, 1,
	    from, hwm, &f, f.readback && sy->s->del ? &gone : NULL,
	    &ngone) < 0)) {
		r = -1;
		goto out;
	}
	r = 0;
	if (!f.readback)
		goto out;
	r = -1;
	if (ngone && delete_rows(sy, t, gone, ngone) < 0)
		goto out;
	ns = count_rows(sy->src, t);
	nd = count_rows(sy->dst, t);
	sy->chk += f.same + f.differ + f.src_only;
	if (ns != f.same + f.differ + f.src_only ||
	    nd != ns + (sy->s->del ? 0 : f.dst_only) ||
	    f.sum_src != f.sum_dst) {
		action_say("sqlite.sync: table %s: after the copy the target "
			"differs from the source: %lld rows in the source, %lld in "
			"the target, content sums %016" PRIx64 " and %016" PRIx64,
			t->name, ns, nd, f.sum_src, f.sum_dst);
		compare_next(sy, t, hwm);
		goto out;
	}
	action_say("%s: %lld rows in the source, %lld in the target, content "
		"hash %016" PRIx64 " on both sides (each row written read "
		"back)%s", t->name, ns, nd, f.sum_src, !sy->s->del && f.dst_only ?
		" (the rows only in the target are kept: delete: false)" : "");
	r = 1;
out:
	for (i = 0; i < ngone * t->nkey; i++)
		sqlite3_value_free(gone[i]);
	free(gone);
	buf_free(&f.first);
	return r;
}

static int
sync_table(struct sync *sy, size_t i)
{
	struct stable *t = &sy->t[i];
	const struct saved *at = NULL;
	const char *lo = NULL, *was;
	char *hwm = NULL, what[300];
	enum phase ph;
	int code = -1, r, checked = 0;
	long long ins = sy->ins, upd = sy->upd, del = sy->del;
	int64_t began = now_ms(), wrote;
	char d1[32], d2[32];
	struct digest pre;
	int planned = 0, digested = 0;

	if (sy->ck.table && strcmp(sy->ck.table, t->name) == 0)
		at = &sy->ck;
	sy->what[0] = '\0';
	/* The mark of the last successful run, when it was about the same
	 * column. */
	if (t->changed >= 0 && sy->last.cc &&
	    strcmp(sy->last.cc, sy->s->changed) == 0 &&
	    (was = saved_table(&sy->last, t->name)) && *was)
		lo = was;
	if (sdb_exec(sy->src, "BEGIN", sy->s->source, sy->s->busy_ms) < 0)
		return -1;
	if (t->create && !at && create_table(sy, t) < 0)
		goto out;
	if (at) {
		lo = at->lo;
		hwm = at->hwm ? xstrdup(at->hwm) : NULL;
		ph = at->phase;
		action_say("%s: going on from the checkpoint (%s)", t->name,
			phase_names[ph]);
	} else {
		hwm = read_hwm(sy, t);
		ph = lo ? PH_CHANGED : PH_MERGE;
	}
	if (ph == PH_CHANGED) {
		if (!at)
			action_say("%s: copying the rows with %s at or past %s, "
				"the mark of the last successful run", t->name,
				t->col[t->changed].name, lo + 1);
		snprintf(what, sizeof(what), "%s: rows with %s >= the last "
			"mark,", t->name, t->col[t->changed].name);
		progress_start(sy, what, 0, 0);
		/* The source's side of the check is read while the rows
		 * changed are written. */
		planned = t->ranges && digest_plan(&pre, t, sy->src,
			sy->dst) > 0;
		if (changed_pass(sy, t, lo, hwm, at, planned ? &pre : NULL,
		    &digested) < 0)
			goto out;
		ph = PH_CHECK;
		checkpoint(sy, t, ph, lo, hwm, NULL, NULL, 0);
	} else if (ph == PH_MERGE) {
		r = copy_table(sy, t, at && at->nk ? at : NULL, hwm);
		if (r < 0)
			goto out;
		checked = r == 1;
		ph = PH_CHECK;
		if (!checked)
			checkpoint(sy, t, ph, lo, hwm, NULL, NULL, 0);
	}
	if (sy->what[0])
		progress(sy, 1);
	wrote = now_ms();
	if (!checked) {
		struct sdb_ckpt ck = {0};

		/* What was written is copied from the WAL into the target
		 * while both sides are read for the check. */
		if (sy->ins + sy->upd > ins + upd)
			sdb_checkpoint_start(&ck, sy->s->target);
		r = check_pass(sy, t, hwm, digested ? &pre : NULL);
		sdb_checkpoint_wait(&ck);
		if (r < 0)
			goto out;
	}
	/* Where the time went, for whoever wants it shorter. */
	action_say("%s: %lld inserted, %lld updated, %lld deleted%s; copied in "
		"%s, checked %s%s", t->name, sy->ins - ins, sy->upd - upd,
		sy->del - del, at ? " in this attempt" : "", ui_duration(wrote -
		began, d1, sizeof(d1)), checked ? "as written" : "in ", checked ?
		"" : ui_duration(now_ms() - wrote, d2, sizeof(d2)));
	sy->tdone[i] = 1;
	sy->thwm[i] = hwm ? hwm : xstrdup("");
	hwm = NULL;
	checkpoint(sy, NULL, PH_MERGE, NULL, NULL, NULL, NULL, 0);
	code = 0;
out:
	if (planned)
		digest_free(&pre);
	sqlite3_exec(sy->src, "COMMIT", NULL, NULL, NULL);
	free(hwm);
	return code;
}

static void
outputs(const struct sync *sy)
{
	action_output("ROWS_INSERTED", sy->ins);
	action_output("ROWS_UPDATED", sy->upd);
	action_output("ROWS_DELETED", sy->del);
	action_output("ROWS_CHECKED", sy->chk);
}

/* --dry-run: what would be written, table by table, read from both
 * sides without writing. */
static int
dry_run(struct sync *sy)
{
	size_t i;
	int r;

	for (i = 0; i < sy->nt; i++) {
		const struct stable *t = &sy->t[i];
		struct found f = {0};
		struct view v;
		char what[300];
		long long ns = count_rows(sy->src, t);

		if (t->create) {
			action_say("%s: %lld new rows (the table is not in the "
				"target yet and would be made), 0 changed, 0 "
				"deleted", t->name, ns);
			continue;
		}
		snprintf(what, sizeof(what), "%s: comparing", t->name);
		progress_start(sy, what, ns, 0);
		view_rows(&v, t);
		if ((r = merge_ranges(sy, t, 0, 0, NULL, NULL, &f, NULL,
		    NULL)) < 0 ||
		    (r == 0 && merge(sy, t, &v, 0, NULL, NULL, &f, NULL,
		    NULL) < 0)) {
			buf_free(&f.first);
			return 1;
		}
		buf_free(&f.first);
		action_say("%s: %lld new rows, %lld changed, %lld %s (of %lld "
			"in the source)", t->name, f.src_only, f.differ,
			f.dst_only, sy->s->del ? "deleted" :
			"only in the target, kept (delete: false)", ns);
	}
	return 0;
}

int
sqlite_sync_main(const struct acfg *c, const char *checkpt, int dry)
{
	struct ssync s;
	struct sync sy;
	struct stat st, sst;
	char d[32];
	int64_t started = now_ms();
	size_t i;
	int code = 1;
	const char *was;

	memset(&sy, 0, sizeof(sy));
	if (ssync_read(&s, c) < 0) {
		ssync_free(&s);
		return 1;
	}
	sy.s = &s;
	if (!dry && saved_read(&sy.ck, checkpt, &s)) {
		sy.ins = sy.ck.ins;
		sy.upd = sy.ck.upd;
		sy.del = sy.ck.del;
		sy.chk = sy.ck.chk;
		if (sy.ck.done) {
			action_say("synced by an earlier attempt: %lld rows "
				"inserted, %lld updated, %lld deleted", sy.ins,
				sy.upd, sy.del);
			outputs(&sy);
			code = 0;
			goto out;
		}
	}
	if (!dry && saved_read(&sy.last, getenv("RUNJOB_LAST_STATE"), &s))
		action_say("the last successful run's marks are the starting "
			"point%s", s.changed ? "" : " (unused: no changed_column)");
	if (sdb_open(&sy.src, s.source, "source", SDB_READ, s.busy_ms) < 0)
		goto out;
	if (stat(s.target, &st) == 0 && stat(s.source, &sst) == 0 &&
	    st.st_dev == sst.st_dev && st.st_ino == sst.st_ino) {
		action_say("sqlite.sync: the target %s is the source %s", s.target,
			s.source);
		goto out;
	}
	if (dry && stat(s.target, &st) < 0) {
		action_say("the target %s does not exist yet: it would be made",
			s.target);
	} else if (sdb_open(&sy.dst, s.target, "target", dry ? SDB_READ :
	    SDB_TARGET, s.busy_ms) < 0) {
		goto out;
	}
	if (schema_plan(&sy.t, &sy.nt, sy.src, sy.dst, &s) < 0)
		goto out;
	if (dry) {
		code = dry_run(&sy);
		goto out;
	}
	sy.tdone = xcalloc(sy.nt + 1, sizeof(*sy.tdone));
	sy.thwm = xcalloc(sy.nt + 1, sizeof(*sy.thwm));
	for (i = 0; i < sy.nt; i++)
		if ((was = saved_table(&sy.ck, sy.t[i].name))) {
			sy.tdone[i] = 1;
			sy.thwm[i] = xstrdup(was);
		}
	for (i = 0; i < sy.nt; i++)
		if (!sy.tdone[i] && sync_table(&sy, i) < 0)
			goto out;
	checkpoint(&sy, NULL, PH_MERGE, NULL, NULL, NULL, NULL, 1);
	outputs(&sy);
	action_say("synced %zu tables in %s: %lld rows inserted, %lld "
		"updated, %lld deleted, %lld checked", sy.nt,
		ui_duration(now_ms() - started, d, sizeof(d)), sy.ins, sy.upd,
		sy.del, sy.chk);
	code = 0;
out:
	if (sy.thwm)
		for (i = 0; i < sy.nt; i++)
			free(sy.thwm[i]);
	free(sy.thwm);
	free(sy.tdone);
	schema_free(sy.t, sy.nt);
	sqlite3_close(sy.src);
	sqlite3_close(sy.dst);
	saved_free(&sy.ck);
	saved_free(&sy.last);
	ssync_free(&s);
	return code;
}
