/*
 * sqlite_int.h - what the sqlite built-ins share inside runner/sqlite/:
 * opening a database, running a statement with a message that says what
 * went wrong, and reading a file.
 */
#ifndef RUNJOB_SQLITE_INT_H
#define RUNJOB_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>

enum sdb_mode {
	SDB_WRITE,	/* an existing database, read and written */
	SDB_READ,	/* an existing database, only read */
	SDB_TARGET,	/* read and written, made when missing, in WAL mode */
};

/* Open path (what names it in messages: "db", "source") with a busy
 * timeout of busy_ms. Returns 0, or -1 after saying what is wrong. */
int sdb_open(sqlite3 **db, const char *path, const char *what,
	enum sdb_mode mode, long long busy_ms);
/* Run sql on db, whose file is path. Returns 0, or -1 after saying what
 * went wrong and what to do about it (a lock held, a full disk). */
int sdb_exec(sqlite3 *db, const char *sql, const char *path,
	long long busy_ms);
/* Say what the last error on db means, doing what (e.g. "writing"). */
void sdb_say_error(sqlite3 *db, const char *path, const char *doing,
	long long busy_ms);

/* A copy of path's WAL into the database, made by a connection and a
 * thread of their own while the caller goes on: the copy closing the
 * database would make at the end, done while the caller reads. Any
 * error is left to that last copy. */
struct sdb_ckpt {
	pthread_t t;
	char *path;
	int started;
};
void sdb_checkpoint_start(struct sdb_ckpt *c, const char *path);
void sdb_checkpoint_wait(struct sdb_ckpt *c);

/* The whole of file path, NUL-terminated (*len bytes); NULL with errno
 * set. */
char *slurp(const char *path, size_t *len);

#endif
