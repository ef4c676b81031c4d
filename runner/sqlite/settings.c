/*
 * settings.c - the settings of sqlite.exec and sqlite.sync and their
 * entries in the registry of built-ins (builtin.h). runjob check reads
 * the settings here, and so does each action when it runs.
 */
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "builtin.h"
#include "settings.h"
#include "util.h"

/* A name list ("a,b") into a NULL-terminated vector; an empty name is
 * an error. */
static int
split(const struct acfg *c, const char *name, char ***out, size_t *n)
{
	const char *v = acfg_str(c, name, NULL), *p, *e;

	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	for (p = v;; p = e + 1) {
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		if (e == p)
			return acfg_error(c, name, "an empty name in '%s'", v);
		*out = xreallocarray(*out, *n + 2, sizeof(**out));
		(*out)[(*n)++] = xstrndup(p, (size_t)(e - p));
		(*out)[*n] = NULL;
		if (!*e)
			break;
	}
	return 0;
}

static int
need_path(const struct acfg *c, const char *name, const char **out)
{
	*out = acfg_str(c, name, NULL);
	if (!*out || !**out)
		return acfg_error(c, name, "is required: the path of an SQLite "
			"database file");
	return 0;
}

int
sexec_read(struct sexec *s, const struct acfg *c)
{
	memset(s, 0, sizeof(*s));
	if (need_path(c, "db", &s->db) < 0)
		return -1;
	s->sql = acfg_str(c, "sql", NULL);
	s->file = acfg_str(c, "file", NULL);
	if (s->sql && s->file)
		return acfg_error(c, "file", "sql: and file: are both given: "
			"keep one");
	if (!s->sql && !s->file)
		return acfg_error(c, "sql", "is required (or file:): the SQL "
			"to run");
	if (s->file && !*s->file)
		return acfg_error(c, "file", "is empty: name the file of SQL");
	return acfg_duration(c, "busy_timeout", 5000, &s->busy_ms);
}

int
ssync_read(struct ssync *s, const struct acfg *c)
{
	memset(s, 0, sizeof(*s));
	if (need_path(c, "source", &s->source) < 0 ||
	    need_path(c, "target", &s->target) < 0)
		return -1;
	if (strcmp(s->source, s->target) == 0)
		return acfg_error(c, "target", "is the source: '%s'",
			s->target);
	if (split(c, "tables", &s->tables, &s->ntables) < 0 ||
	    split(c, "key", &s->key, &s->nkey) < 0)
		return -1;
	s->changed = acfg_str(c, "changed_column", NULL);
	if (s->changed && !*s->changed)
		return acfg_error(c, "changed_column", "is empty: name a "
			"column, or leave it out to compare content hashes");
	return acfg_bool(c, "delete", 0, &s->del) < 0 ||
		acfg_int(c, "batch", 1000, 1, 1000000, &s->batch) < 0 ||
		acfg_duration(c, "busy_timeout", 5000, &s->busy_ms) < 0 ?
		-1 : 0;
}

void
ssync_free(struct ssync *s)
{
	size_t i;

	for (i = 0; i < s->ntables; i++)
		free(s->tables[i]);
	for (i = 0; i < s->nkey; i++)
		free(s->key[i]);
	free(s->tables);
	free(s->key);
	s->tables = s->key = NULL;
}

static int
exec_check(const struct acfg *c)
{
	struct sexec s;

	return sexec_read(&s, c);
}

static int
sync_check(const struct acfg *c)
{
	struct ssync s;
	int r = ssync_read(&s, c);

	ssync_free(&s);
	return r;
}

/* What runjob check takes for a path written as an expression. */
#define DB_STAND_IN "stand-in.db"

static const struct builtin_setting exec_settings[] = {
	{ "db", DB_STAND_IN }, { "sql", "SELECT 1" }, { "file", "stand-in.sql" },
	{ "busy_timeout", NULL }, { NULL, NULL },
};
static const char *const exec_outputs[] = { "ROWS_CHANGED", NULL };
const struct builtin sqlite_exec_builtin = {
	"sqlite.exec", exec_settings, exec_outputs, exec_check, NULL,
};

static const struct builtin_setting sync_settings[] = {
	{ "source", DB_STAND_IN }, { "target", "stand-in-target.db" },
	{ "tables", NULL }, { "key", NULL }, { "changed_column", NULL },
	{ "delete", NULL }, { "batch", NULL }, { "busy_timeout", NULL },
	{ NULL, NULL },
};
static const char *const sync_outputs[] = {
	"ROWS_INSERTED", "ROWS_UPDATED", "ROWS_DELETED", "ROWS_CHECKED",
	NULL,
};
const struct builtin sqlite_sync_builtin = {
	"sqlite.sync", sync_settings, sync_outputs, sync_check, NULL,
};
