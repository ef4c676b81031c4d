/*
 * settings.h - the settings of the sqlite built-ins, read the same way
 * by runjob check (which opens no database) and by the action when it
 * runs.
 */
#ifndef RUNJOB_SQLITE_SETTINGS_H
#define RUNJOB_SQLITE_SETTINGS_H

#include <stddef.h>

struct acfg;

/* What sqlite.exec's settings say. */
struct sexec {
	const char *db;
	const char *sql;	/* the SQL, or NULL with file set */
	const char *file;
	long long busy_ms;	/* how long to wait for a lock */
};

/* Returns 0, or -1 after reporting what is wrong. */
int sexec_read(struct sexec *s, const struct acfg *c);

/* What sqlite.sync's settings say. */
struct ssync {
	const char *source, *target;
	char **tables;		/* NULL: every table of the source */
	size_t ntables;
	char **key;		/* NULL: each table's primary key */
	size_t nkey;
	const char *changed;	/* changed_column; NULL: content hashes */
	int del;		/* delete rows the source no longer has */
	long long batch;	/* rows per transaction on the target */
	long long busy_ms;
};

/* Returns 0, or -1 after reporting what is wrong; s is to be freed
 * (ssync_free) either way. */
int ssync_read(struct ssync *s, const struct acfg *c);
void ssync_free(struct ssync *s);

#endif
