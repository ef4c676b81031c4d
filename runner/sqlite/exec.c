/*
 * exec.c - sqlite.exec: SQL run in one transaction, all or nothing.
 */
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action.h"
#include "git.h"
#include "settings.h"
#include "sqlite.h"
#include "sqlite_int.h"
#include "util.h"

/* The SQL of file:, read from the work tree, or from git at RUNJOB_REV
 * when the job runs at JOB.yaml@REV. NULL after saying why. */
static char *
read_sql(const char *file)
{
	const char *rev = getenv("RUNJOB_REV");
	char *text = NULL, err[PATH_MAX + 512];
	size_t len = 0;

	if (rev && *rev) {
		char cwd[PATH_MAX], *path;

		if (file[0] != '/' && !getcwd(cwd, sizeof(cwd)))
			fatal("cannot tell the working directory: %s",
				strerror(errno));
		path = file[0] == '/' ? xstrdup(file) : xasprintf("%s/%s", cwd,
			file);
		if (git_read_at(path, rev, &text, &len, NULL, err,
		    sizeof(err)) < 0) {
			action_say("sqlite.exec: file: %s", err);
			text = NULL;
		}
		free(path);
		return text;
	}
	if (!(text = slurp(file, &len)))
		action_say("sqlite.exec: file: cannot read %s: %s", file,
			strerror(errno));
	return text;
}

/* p past the blanks and comments before a statement. */
static const char *
skip_blanks(const char *p)
{
	const char *q;

	for (;;) {
		p += strspn(p, " \t\r\n");
		if (p[0] == '-' && p[1] == '-')
			p += strcspn(p, "\n");
		else if (p[0] == '/' && p[1] == '*' && (q = strstr(p + 2, "*/")))
			p = q + 2;
		else
			return p;
	}
}

/* The line of sql that the statement at p starts on. */
static int
line_of(const char *sql, const char *p)
{
	const char *q;
	int line = 1;

	p = skip_blanks(p);
	for (q = sql; q < p; q++)
		line += *q == '\n';
	return line;
}

/* The first line of the statement at p, for a message. */
static void
say_statement(const char *p)
{
	size_t n;

	p = skip_blanks(p);
	n = strcspn(p, "\n");
	action_say("  %.*s%s", (int)(n > 120 ? 120 : n), p, n > 120 ||
		p[n] ? " ..." : "");
}

/* Print the rows a statement returns, as sqlite3 -list would. */
static void
say_row(sqlite3_stmt *st)
{
	char line[1024];
	size_t off = 0;
	int i, n = sqlite3_column_count(st);

	line[0] = '\0';
	for (i = 0; i < n && off < sizeof(line); i++) {
		const unsigned char *v = sqlite3_column_text(st, i);

		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s",
			i ? "|" : "", v ? (const char *)v : "");
	}
	action_say("%s", line);
}

enum { MAX_ROWS_SHOWN = 100 };

int
sqlite_exec_main(const struct acfg *c, const char *checkpoint, int dry)
{
	struct sexec s;
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	char *text = NULL;
	const char *sql, *p, *tail;
	long long changed = 0, shown = 0, nstmt = 0, before;
	int code = 1, r;

	(void)checkpoint;	/* all or nothing: nothing to go on from */
	if (sexec_read(&s, c) < 0)
		return 1;
	if (s.file && !(text = read_sql(s.file)))
		return 1;
	sql = text ? text : s.sql;
	if (sdb_open(&db, s.db, "db", 0, s.busy_ms) < 0)
		goto out;
	if (sdb_exec(db, "BEGIN IMMEDIATE", s.db, s.busy_ms) < 0)
		goto out;
	before = sqlite3_total_changes64(db);
	for (p = sql; *p; p = tail) {
		if (sqlite3_prepare_v2(db, p, -1, &st, &tail) != SQLITE_OK) {
			action_say("sqlite.exec: %s%s line %d: %s", s.file ?
				s.file : "sql:", s.file ? ":" : "", line_of(sql,
				p), sqlite3_errmsg(db));
			say_statement(p);
			goto undo;
		}
		if (!st)	/* blanks or a comment at the end */
			continue;
		nstmt++;
		while ((r = sqlite3_step(st)) == SQLITE_ROW)
			if (shown++ < MAX_ROWS_SHOWN)
				say_row(st);
		if (r != SQLITE_DONE) {
			action_say("sqlite.exec: %s%s line %d: %s", s.file ?
				s.file : "sql:", s.file ? ":" : "", line_of(sql,
				p), sqlite3_errmsg(db));
			say_statement(p);
			sqlite3_finalize(st);
			goto undo;
		}
		sqlite3_finalize(st);
	}
	/* Rows inserted, updated and deleted by the statements. */
	changed = sqlite3_total_changes64(db) - before;
	if (shown > MAX_ROWS_SHOWN)
		action_say("(%lld rows in all, the first %d shown)", shown,
			MAX_ROWS_SHOWN);
	if (dry) {
		action_say("would run %lld statements on %s, changing %lld "
			"rows (run and rolled back)", nstmt, s.db, changed);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		code = 0;
		goto out;
	}
	if (sdb_exec(db, "COMMIT", s.db, s.busy_ms) < 0)
		goto undo;
	action_say("ran %lld statements on %s in one transaction: %lld rows "
		"changed", nstmt, s.db, changed);
	action_output("ROWS_CHANGED", changed);
	code = 0;
	goto out;
undo:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	action_say("sqlite.exec: rolled back: %s is as it was", s.db);
out:
	sqlite3_close(db);
	free(text);
	return code;
}
