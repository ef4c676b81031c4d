/*
 * schema.c - the two sides' tables read and compared before sqlite.sync
 * writes anything, and the statements it will run.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "action.h"
#include "buf.h"
#include "schema.h"
#include "settings.h"
#include "util.h"

/* The affinity of a declared type, by SQLite's rules (datatype3.html
 * 3.1), in their order. */
static char
affinity(const char *decl)
{
	char up[256];
	size_t i;

	for (i = 0; decl[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)decl[i]);
	up[i] = '\0';
	if (strstr(up, "INT"))
		return 'I';
	if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT"))
		return 'T';
	if (strstr(up, "BLOB") || !up[0])
		return 'B';
	if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB"))
		return 'R';
	return 'N';
}

static const char *
affinity_name(char a)
{
	return a == 'I' ? "INTEGER" : a == 'T' ? "TEXT" : a == 'B' ? "BLOB" :
		a == 'R' ? "REAL" : "NUMERIC";
}

static char *
quote(const char *name)
{
	struct buf b = {0};
	char *s;

	buf_addc(&b, '"');
	for (; *name; name++) {
		if (*name == '"')
			buf_addc(&b, '"');
		buf_addc(&b, *name);
	}
	buf_addc(&b, '"');
	s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

struct side {
	struct scol *col;
	int ncol;
	int found;
};

static void
side_free(struct side *sd)
{
	int i;

	for (i = 0; i < sd->ncol; i++) {
		free(sd->col[i].name);
		free(sd->col[i].decl);
	}
	free(sd->col);
	memset(sd, 0, sizeof(*sd));
}

/* The columns of table in db. Returns 0, or -1 after saying why. */
static int
read_side(struct side *sd, sqlite3 *db, const char *table, const char *what)
{
	sqlite3_stmt *st;
	int r;

	memset(sd, 0, sizeof(*sd));
	if (sqlite3_prepare_v2(db, "SELECT name, coalesce(type, ''), pk FROM "
	    "pragma_table_info(?1) ORDER BY cid", -1, &st, NULL) != SQLITE_OK) {
		action_say("sqlite.sync: %s: %s", what, sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct scol *c;

		sd->col = xreallocarray(sd->col, (size_t)sd->ncol + 1,
			sizeof(*sd->col));
		c = &sd->col[sd->ncol++];
		c->name = xstrdup((const char *)sqlite3_column_text(st, 0));
		c->decl = xstrdup((const char *)sqlite3_column_text(st, 1));
		c->aff = affinity(c->decl);
		c->pk = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		action_say("sqlite.sync: %s: reading table %s: %s", what, table,
			sqlite3_errmsg(db));
		side_free(sd);
		return -1;
	}
	sd->found = sd->ncol > 0;
	return 0;
}

static int
find_col(const struct side *sd, const char *name)
{
	int i;

	for (i = 0; i < sd->ncol; i++)
		if (strcasecmp(sd->col[i].name, name) == 0)
			return i;
	return -1;
}

/* The primary key's columns in order, "(a, b)", for a message. */
static void
pk_text(struct buf *b, const struct side *sd)
{
	int k, i, any = 0;

	buf_addc(b, '(');
	for (k = 1; k <= sd->ncol; k++)
		for (i = 0; i < sd->ncol; i++)
			if (sd->col[i].pk == k) {
				buf_addf(b, "%s%s", any ? ", " : "", sd->col[i].name);
				any = 1;
			}
	buf_adds(b, any ? ")" : "none)");
}

/* Compare the two sides of t; say every difference. Returns the number
 * of them. */
static int
compare(const struct stable *t, const struct side *src,
	const struct side *dst)
{
	struct buf a = {0}, b = {0};
	int i, j, bad = 0;

	for (i = 0; i < src->ncol; i++) {
		if ((j = find_col(dst, src->col[i].name)) < 0) {
			action_say("sqlite.sync: table %s: column %s is in the "
				"source, not in the target: add it to the target "
				"(ALTER TABLE %s ADD COLUMN %s%s%s)", t->name,
				src->col[i].name, t->qname, src->col[i].name,
				src->col[i].decl[0] ? " " : "", src->col[i].decl);
			bad++;
		} else if (src->col[i].aff != dst->col[j].aff) {
			action_say("sqlite.sync: table %s: column %s is %s in the "
				"source (declared '%s'), %s in the target "
				"(declared '%s'): the type affinities differ, and "
				"values would not be kept exactly; make the "
				"target's the same", t->name, src->col[i].name,
				affinity_name(src->col[i].aff), src->col[i].decl,
				affinity_name(dst->col[j].aff), dst->col[j].decl);
			bad++;
		}
	}
	for (j = 0; j < dst->ncol; j++)
		if (find_col(src, dst->col[j].name) < 0) {
			action_say("sqlite.sync: table %s: column %s is in the "
				"target, not in the source: drop it from the target "
				"or add it to the source", t->name,
				dst->col[j].name);
			bad++;
		}
	pk_text(&a, src);
	pk_text(&b, dst);
	if (!bad && strcasecmp(buf_str(&a), buf_str(&b)) != 0) {
		action_say("sqlite.sync: table %s: the primary key is %s in "
			"the source, %s in the target: make them the same",
			t->name, buf_str(&a), buf_str(&b));
		bad++;
	}
	buf_free(&a);
	buf_free(&b);
	return bad;
}

/* The statements that make the table and its indexes in the target, as
 * the source has them. */
static void
read_make(struct stable *t, sqlite3 *src)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(src, "SELECT sql FROM sqlite_schema WHERE "
	    "tbl_name = ?1 AND type IN ('table', 'index') AND sql IS NOT NULL "
	    "ORDER BY type = 'index', rowid", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		t->make = xreallocarray(t->make, t->nmake + 1, sizeof(*t->make));
		t->make[t->nmake++] = xstrdup((const char *)
			sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
}

enum style { NAMES, PARAMS, ASSIGN, IS, QUALIFIED };

/* The columns which[0..n-1] as a list: "a, b" (NAMES), "t.a, t.b"
 * (QUALIFIED), "?1, ?2"
 * (PARAMS, numbered from from), "a = ?1, b = ?2" (ASSIGN) and "a IS ?1
 * AND b IS ?2" (IS), these numbered by the column's place, so that a
 * row's values bind the same way to every statement. */
static char *
cols(const struct stable *t, const int *which, int n, enum style how,
	int from)
{
	struct buf b = {0};
	char *s, *q;
	int i;

	for (i = 0; i < n; i++) {
		if (i)
			buf_adds(&b, how == IS ? " AND " : ", ");
		q = quote(t->col[which[i]].name);
		if (how == QUALIFIED)
			buf_adds(&b, "t.");
		if (how == PARAMS)
			buf_addf(&b, "?%d", from + i);
		else
			buf_adds(&b, q);
		if (how == ASSIGN)
			buf_addf(&b, " = ?%d", which[i] + 1);
		else if (how == IS)
			buf_addf(&b, " IS ?%d", which[i] + 1);
		free(q);
	}
	s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

/* The statements of a comparison by key ranges (t->ranges): digests of
 * every row, and the rows in the ranges of temp.rj_ranges, all of them
 * or those after a key (?1), in key order. all: the places 0..ncol-1. */
static void
make_range_sql(struct stable *t, const int *all)
{
	char *list = cols(t, all, t->ncol, QUALIFIED, 0);
	char *k = cols(t, t->key, 1, QUALIFIED, 0), *m, *marks, *in;

	in = xasprintf("temp.rj_ranges AS r, %s AS t WHERE %s BETWEEN r.lo "
		"AND r.hi", t->qname, k);
	t->min_key = xasprintf("SELECT min(%s) FROM %s AS t", k, t->qname);
	t->max_key = xasprintf("SELECT max(%s) FROM %s AS t", k, t->qname);
	t->dig_rows = xasprintf("SELECT 1 FROM %s AS t WHERE rj_digest(%s, "
		"%s)", t->qname, k, list);
	t->rng_rows = xasprintf("SELECT %s FROM %s ORDER BY r.lo, %s", list,
		in, k);
	t->rng_rows_after = xasprintf("SELECT %s FROM %s AND %s > ?1 AND "
		"r.hi > ?1 ORDER BY r.lo, %s", list, in, k, k);
	if (t->changed >= 0) {
		m = cols(t, &t->changed, 1, QUALIFIED, 0);
		marks = xasprintf("%s, %s", k, m);
		t->dig_marks = xasprintf("SELECT 1 FROM %s AS t WHERE "
			"rj_digest(%s)", t->qname, marks);
		t->rng_marks = xasprintf("SELECT %s FROM %s ORDER BY r.lo, %s",
			marks, in, k);
		t->rng_marks_after = xasprintf("SELECT %s FROM %s AND %s > ?1 "
			"AND r.hi > ?1 ORDER BY r.lo, %s", marks, in, k, k);
		free(m);
		free(marks);
	}
	free(in);
	free(list);
	free(k);
}

static void
make_sql(struct stable *t)
{
	int *all = xcalloc((size_t)t->ncol + 1, sizeof(int)), *rest;
	int i, nrest = 0;
	char *list, *keys, *keyp, *keyis, *vals, *set, *q;

	rest = xcalloc((size_t)t->ncol + 1, sizeof(int));
	for (i = 0; i < t->ncol; i++) {
		int k, in = 0;

		all[i] = i;
		for (k = 0; k < t->nkey; k++)
			in |= t->key[k] == i;
		if (!in)
			rest[nrest++] = i;
	}
	list = cols(t, all, t->ncol, NAMES, 0);
	keys = cols(t, t->key, t->nkey, NAMES, 0);
	keyp = cols(t, t->key, t->nkey, PARAMS, 1);
	vals = cols(t, all, t->ncol, PARAMS, 1);
	set = cols(t, rest, nrest, ASSIGN, 1);
	keyis = cols(t, t->key, t->nkey, IS, 1);
	t->sel_all = xasprintf("SELECT %s FROM %s ORDER BY %s", list, t->qname,
		keys);
	t->sel_after = xasprintf("SELECT %s FROM %s WHERE (%s) > (%s) ORDER BY "
		"%s", list, t->qname, keys, keyp, keys);
	t->sel_one = xasprintf("SELECT %s FROM %s WHERE %s", list, t->qname,
		keyis);
	t->ins = xasprintf("INSERT INTO %s (%s) VALUES (%s)", t->qname, list,
		vals);
	t->upd = nrest ? xasprintf("UPDATE %s SET %s WHERE %s", t->qname, set,
		keyis) : NULL;
	t->del = xasprintf("DELETE FROM %s WHERE %s", t->qname, keyis);
	t->count = xasprintf("SELECT count(*) FROM %s", t->qname);
	if (t->changed >= 0) {
		q = quote(t->col[t->changed].name);
		t->sel_changed = xasprintf("SELECT %s FROM %s WHERE %s >= ?1 "
			"ORDER BY %s, %s", list, t->qname, q, q, keys);
		free(keyp);
		keyp = cols(t, t->key, t->nkey, PARAMS, 2);
		t->sel_changed_after = xasprintf("SELECT %s FROM %s WHERE (%s, "
			"%s) > (?1, %s) ORDER BY %s, %s", list, t->qname, q, keys,
			keyp, q, keys);
		t->max_changed = xasprintf("SELECT max(%s) FROM %s", q,
			t->qname);
		free(keyp);
		keyp = cols(t, t->key, t->nkey, PARAMS, 1);
		t->sel_marks = xasprintf("SELECT %s, %s FROM %s ORDER BY %s",
			keys, q, t->qname, keys);
		t->sel_marks_after = xasprintf("SELECT %s, %s FROM %s WHERE (%s) "
			"> (%s) ORDER BY %s", keys, q, t->qname, keys, keyp, keys);
		t->sel_by_mark = xasprintf("SELECT %s, %s FROM %s ORDER BY %s, %s",
			q, keys, t->qname, q, keys);
		t->has_key = xasprintf("SELECT 1 FROM %s WHERE %s", t->qname,
			keyis);
		free(q);
	}
	if (t->ranges)
		make_range_sql(t, all);
	free(list);
	free(keys);
	free(keyp);
	free(keyis);
	free(vals);
	free(set);
	free(all);
	free(rest);
}

static int
check_nkey(const struct stable *t)
{
	if (t->nkey <= SCHEMA_MAX_KEY)
		return 0;
	action_say("sqlite.sync: table %s: a key of %d columns; at most %d "
		"are taken", t->name, t->nkey, SCHEMA_MAX_KEY);
	return -1;
}

/* Which columns are the key: key: or the primary key. Returns 0, or -1
 * after saying why there is none. */
static int
choose_key(struct stable *t, const struct ssync *s)
{
	int i, k;

	t->key = xcalloc((size_t)t->ncol + 1, sizeof(int));
	if (s->key) {
		for (k = 0; k < (int)s->nkey; k++) {
			for (i = 0; i < t->ncol; i++)
				if (strcasecmp(t->col[i].name, s->key[k]) == 0)
					break;
			if (i == t->ncol) {
				action_say("sqlite.sync: table %s: key: column %s is "
					"not in it", t->name, s->key[k]);
				return -1;
			}
			t->key[t->nkey++] = i;
		}
		return check_nkey(t);
	}
	for (k = 1; k <= t->ncol; k++)
		for (i = 0; i < t->ncol; i++)
			if (t->col[i].pk == k)
				t->key[t->nkey++] = i;
	if (!t->nkey) {
		action_say("sqlite.sync: table %s has no primary key: name the "
			"columns that tell its rows apart with key:", t->name);
		return -1;
	}
	return check_nkey(t);
}

/* Whether db has a full index on column c of table that leads with
 * it: it then holds the primary key too, in its order. */
static int
has_index(sqlite3 *db, const char *table, const char *c)
{
	sqlite3_stmt *st;
	int r = 0;

	if (!db || sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_index_list(?1) "
	    "AS l, pragma_index_info(l.name) AS i WHERE l.partial = 0 AND "
	    "i.seqno = 0 AND i.name = ?2 COLLATE NOCASE", -1, &st, NULL) !=
	    SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

/* The source's tables, when tables: is not given: all but SQLite's own
 * and virtual ones. */
static char **
all_tables(sqlite3 *src, size_t *n)
{
	sqlite3_stmt *st;
	char **v = NULL;

	*n = 0;
	if (sqlite3_prepare_v2(src, "SELECT name FROM sqlite_schema WHERE type "
	    "= 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT "
	    "LIKE 'CREATE VIRTUAL%' ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		v = xreallocarray(v, *n + 2, sizeof(*v));
		v[(*n)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
		v[*n] = NULL;
	}
	sqlite3_finalize(st);
	return v;
}

int
schema_plan(struct stable **out, size_t *n, sqlite3 *src, sqlite3 *dst,
	const struct ssync *s)
{
	char **names = s->tables, **mine = NULL;
	size_t nn = s->ntables, i;
	struct stable *t;
	int bad = 0, changed_seen = 0;

	if (!names)
		names = mine = all_tables(src, &nn);
	if (!nn) {
		action_say("sqlite.sync: the source %s has no tables", s->source);
		return -1;
	}
	*out = t = xcalloc(nn + 1, sizeof(*t));
	*n = nn;
	for (i = 0; i < nn; i++) {
		struct side a, b;

		t[i].name = xstrdup(names[i]);
		t[i].qname = quote(names[i]);
		t[i].changed = -1;
		if (read_side(&a, src, names[i], "source") < 0) {
			bad++;
			continue;
		}
		if (!a.found) {
			action_say("sqlite.sync: table %s is not in the source %s",
				names[i], s->source);
			bad++;
			continue;
		}
		if (dst && read_side(&b, dst, names[i], "target") < 0) {
			side_free(&a);
			bad++;
			continue;
		}
		if (!dst || !b.found) {
			t[i].create = 1;
			read_make(&t[i], src);
		} else {
			bad += compare(&t[i], &a, &b);
		}
		if (dst)
			side_free(&b);
		t[i].col = a.col;
		t[i].ncol = a.ncol;
		if (choose_key(&t[i], s) < 0)
			bad++;
		if (s->changed && (t[i].changed = find_col(&a, s->changed)) >= 0)
			changed_seen = 1;
		/* A table made by the sync gets the source's indexes. */
		t[i].by_mark = t[i].changed >= 0 && !s->key &&
			has_index(src, names[i], s->changed) &&
			(t[i].create || has_index(dst, names[i], s->changed));
		t[i].ranges = t[i].nkey == 1 && !s->key;
		if (!bad)
			make_sql(&t[i]);
	}
	if (s->changed && !changed_seen && !bad) {
		action_say("sqlite.sync: changed_column: no table has a column "
			"%s; name one they have, or leave it out to compare every "
			"row's content", s->changed);
		bad++;
	}
	for (i = 0; mine && i < nn; i++)
		free(mine[i]);
	free(mine);
	if (bad) {
		action_say("sqlite.sync: nothing was written: the tables differ "
			"as said above");
		schema_free(t, nn);
		*out = NULL;
		return -1;
	}
	return 0;
}

void
schema_free(struct stable *t, size_t n)
{
	size_t i;
	int k;

	for (i = 0; t && i < n; i++) {
		for (k = 0; k < t[i].ncol; k++) {
			free(t[i].col[k].name);
			free(t[i].col[k].decl);
		}
		for (k = 0; k < (int)t[i].nmake; k++)
			free(t[i].make[k]);
		free(t[i].make);
		free(t[i].col);
		free(t[i].key);
		free(t[i].name);
		free(t[i].qname);
		free(t[i].sel_all);
		free(t[i].sel_after);
		free(t[i].sel_one);
		free(t[i].ins);
		free(t[i].upd);
		free(t[i].del);
		free(t[i].sel_changed);
		free(t[i].sel_changed_after);
		free(t[i].max_changed);
		free(t[i].sel_marks);
		free(t[i].sel_marks_after);
		free(t[i].sel_by_mark);
		free(t[i].has_key);
		free(t[i].min_key);
		free(t[i].max_key);
		free(t[i].dig_rows);
		free(t[i].dig_marks);
		free(t[i].rng_rows);
		free(t[i].rng_rows_after);
		free(t[i].rng_marks);
		free(t[i].rng_marks_after);
		free(t[i].count);
	}
	free(t);
}
