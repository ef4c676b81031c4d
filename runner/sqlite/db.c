/*
 * db.c - opening the databases of the sqlite built-ins and saying, in
 * words, what an SQLite error means for the step.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action.h"
#include "sqlite_int.h"
#include "util.h"

void
sdb_say_error(sqlite3 *db, const char *path, const char *doing,
	long long busy_ms)
{
	int rc = sqlite3_errcode(db);

	switch (rc) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		action_say("%s: %s %s: the database is locked by another "
			"connection, still after waiting %lld ms (busy_timeout:); "
			"find what holds it (fuser %s) or wait longer", path,
			"while", doing, busy_ms, path);
		break;
	case SQLITE_FULL:
		action_say("%s: %s %s: the disk is full (%s); free space "
			"where it lives and run the step again", path, "while",
			doing, sqlite3_errmsg(db));
		break;
	case SQLITE_READONLY:
		action_say("%s: %s %s: the database is read-only for this "
			"user (%s)", path, "while", doing, sqlite3_errmsg(db));
		break;
	default:
		action_say("%s: %s %s: %s", path, "while", doing,
			sqlite3_errmsg(db));
	}
}

int
sdb_exec(sqlite3 *db, const char *sql, const char *path, long long busy_ms)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sdb_say_error(db, path, sql, busy_ms);
	return -1;
}

int
sdb_open(sqlite3 **db, const char *path, const char *what,
	enum sdb_mode mode, long long busy_ms)
{
	/* One thread uses each connection: no locking on every call. */
	int flags = SQLITE_OPEN_NOMUTEX | (mode == SDB_READ ?
		SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	struct stat st;

	*db = NULL;
	if (mode == SDB_TARGET)
		flags |= SQLITE_OPEN_CREATE;
	else if (stat(path, &st) < 0) {
		action_say("%s: %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
		action_say("%s: cannot open %s: %s", what, path, *db ?
			sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, busy_ms > INT32_MAX ? INT32_MAX :
		(int)busy_ms);
	sqlite3_extended_result_codes(*db, 0);
	/* Not a database at all shows here, not at the first write. */
	if (sdb_exec(*db, "SELECT count(*) FROM sqlite_schema", path,
	    busy_ms) < 0)
		goto fail;
	/* Readers of the target see each batch as it commits and are not
	 * stopped by the copy; a batch checkpointed as done is on disk.
	 * The WAL is copied into the database every 64 MB of pages, not
	 * every 4 MB: a sync made at each of those copies costs more than
	 * the batch. */
	if (mode == SDB_TARGET &&
	    (sdb_exec(*db, "PRAGMA journal_mode = WAL", path, busy_ms) < 0 ||
	    sdb_exec(*db, "PRAGMA synchronous = FULL", path, busy_ms) < 0 ||
	    sdb_exec(*db, "PRAGMA cache_size = -32768", path, busy_ms) < 0 ||
	    sdb_exec(*db, "PRAGMA wal_autocheckpoint = 16384", path,
	    busy_ms) < 0))
		goto fail;
	return 0;
fail:
	sqlite3_close(*db);
	*db = NULL;
	return -1;
}

static void *
checkpoint_run(void *arg)
{
	struct sdb_ckpt *c = arg;
	sqlite3 *db = NULL;

	/* A read first: a connection knows that the database is in WAL
	 * mode only once it has read it. PASSIVE: the copy waits for no
	 * one, and stops no reader or writer. */
	if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL,
	    NULL) == SQLITE_OK)
		sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE,
			NULL, NULL);
	sqlite3_close(db);
	return NULL;
}

void
sdb_checkpoint_start(struct sdb_ckpt *c, const char *path)
{
	c->path = xstrdup(path);
	c->started = sqlite3_threadsafe() &&
		pthread_create(&c->t, NULL, checkpoint_run, c) == 0;
}

void
sdb_checkpoint_wait(struct sdb_ckpt *c)
{
	if (c->started)
		pthread_join(c->t, NULL);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *text;
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	text = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size &&
	    (n = read(fd, text + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	text[got] = '\0';
	*len = got;
	return text;
}
