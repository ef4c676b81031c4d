/*
 * journal.c - the sqlite3 adapter.
 *
 * Every connection sets and reads back its pragmas: WAL, so that readers
 * never block the writer; synchronous=FULL, so that a committed
 * transition survives a power cut; a busy timeout, so that two runjob
 * processes sharing a journal wait for each other instead of failing.
 * A journal still busy when the wait ends is reported as such, and the
 * failure returned as JOURNAL_BUSY, for the caller to tell apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "journal.h"
#include "sha256.h"
#include "util.h"

/* 'rjob': marks an SQLite file as a runjob journal. */
#define APPLICATION_ID 0x726a6f62
#define BUSY_TIMEOUT_MS 60000	/* RUNJOB_BUSY_TIMEOUT overrides it */

/* schema.sql and upgrade-N.sql, compiled in. */
extern const char journal_schema_sql[], journal_upgrade_2_sql[],
	journal_upgrade_3_sql[], journal_upgrade_4_sql[],
	journal_upgrade_5_sql[], journal_upgrade_6_sql[];

/* upgrades[v] takes a journal from version v to v + 1. A new journal
 * goes through all of them, so every upgrade is run by every test. */
static const char *const upgrades[JOURNAL_VERSION] = {
	journal_schema_sql,	/* 0 -> 1: the first schema */
	journal_upgrade_2_sql,	/* 1 -> 2: locks */
	journal_upgrade_3_sql,	/* 2 -> 3: sealed outputs */
	journal_upgrade_4_sql,	/* 3 -> 4: the keyed chain (and rechain()) */
	journal_upgrade_5_sql,	/* 4 -> 5: the files a run's job is built from */
	journal_upgrade_6_sql,	/* 5 -> 6: successes by step, for medians */
};

enum stmt {
	ST_ADD_RUN, ST_END_RUN, ST_ADD_STEP, ST_SET_STEP, ST_START_ATTEMPT,
	ST_END_ATTEMPT, ST_ADD_OUTPUT, ST_LAST_EVENT, ST_ADD_EVENT, ST_SET_LOCK,
	ST_CLEAR_LOCK, ST_SETTLE_ATTEMPT, ST_RESUME_RUN, ST_SET_PID,
	ST_PRUNE_ATTEMPT, ST_ADD_RUN_FILE, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_ADD_RUN] = "INSERT INTO runs (id, job, file, text, sha256, "
		"git_commit, git_blob, git_dirty, params, user, host, pid, "
		"trigger, started, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
		"?, ?, ?, ?, 'running')",
	[ST_END_RUN] = "UPDATE runs SET state = ?, exit_code = ?, ended = ? "
		"WHERE id = ?",
	[ST_ADD_STEP] = "INSERT OR IGNORE INTO steps (run_id, step_id, "
		"def_hash, state) VALUES (?, ?, ?, 'pending')",
	[ST_SET_STEP] = "UPDATE steps SET state = ? WHERE run_id = ? AND "
		"step_id = ?",
	[ST_START_ATTEMPT] = "INSERT INTO attempts (id, run_id, step_id, kind, "
		"attempt, pid, pid_start, boot_id, started, state) VALUES (?, ?, "
		"?, ?, ?, ?, ?, ?, ?, 'running')",
	[ST_END_ATTEMPT] = "UPDATE attempts SET state = ?, exit_code = ?, "
		"signal = ?, ended = ?, output = ?, log = ? WHERE id = ?",
	[ST_ADD_OUTPUT] = "INSERT OR REPLACE INTO outputs (run_id, step_id, "
		"name, value, sealed) VALUES (?, ?, ?, ?, ?)",
	[ST_LAST_EVENT] = "SELECT seq, hash FROM events ORDER BY seq DESC "
		"LIMIT 1",
	[ST_ADD_EVENT] = "INSERT INTO events (seq, run_id, at, kind, step_id, "
		"data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_SET_LOCK] = "INSERT OR REPLACE INTO locks (job, run_id, pid, host, "
		"started) VALUES (?, ?, ?, ?, ?)",
	[ST_CLEAR_LOCK] = "DELETE FROM locks WHERE job = ? AND pid = ?",
	[ST_SETTLE_ATTEMPT] = "UPDATE attempts SET state = ?, ended = ? "
		"WHERE id = ?",
	[ST_RESUME_RUN] = "UPDATE runs SET state = ?, pid = ?, ended = NULL, "
		"exit_code = NULL WHERE id = ?",
	[ST_SET_PID] = "UPDATE attempts SET pid = ?, pid_start = ?, boot_id = ? "
		"WHERE id = ?",
	[ST_PRUNE_ATTEMPT] = "UPDATE attempts SET output = NULL, log = NULL "
		"WHERE id = ?",
	[ST_ADD_RUN_FILE] = "INSERT OR REPLACE INTO run_files (run_id, name, "
		"kind, text, sha256) VALUES (?, ?, ?, ?, ?)",
};

struct journal {
	sqlite3 *db;
	char *path;
	int busy_ms;		/* how long to wait for another writer */
	int writing;		/* opened to record runs, not only to read */
	int reading;		/* opened only to read: changes nothing */
	int chain_known;	/* chain_seq and chain_hash are the last event */
	int64_t chain_seq;
	char chain_hash[65];
	struct hmac keyed;	/* hmac_init'd with the key, when writing */
	sqlite3_stmt *stmt[ST_COUNT];	/* prepared on first use */
};

/* RUNJOB_BUSY_TIMEOUT, in milliseconds, when it is a number. */
static int
busy_timeout(void)
{
	const char *env = getenv("RUNJOB_BUSY_TIMEOUT");
	char *end;
	long ms;

	if (!env || !*env)
		return BUSY_TIMEOUT_MS;
	errno = 0;
	ms = strtol(env, &end, 10);
	if (*end || errno || ms < 0 || ms > 86400000L)
		return BUSY_TIMEOUT_MS;
	return (int)ms;
}

/* Another connection held the journal for longer than we wait. */
static int
busy(struct journal *j)
{
	int ms = j->busy_ms;

	error("the journal %s is busy: another process has held it for more "
		"than %d %s", j->path, ms >= 1000 ? ms / 1000 : ms,
		ms >= 1000 ? "s" : "ms");
	return JOURNAL_BUSY;
}

static int
is_busy(int code)
{
	return (code & 0xff) == SQLITE_BUSY;
}

static int
jerr(struct journal *j, const char *what)
{
	if (j->db && is_busy(sqlite3_extended_errcode(j->db)))
		return busy(j);
	return error("journal %s: %s: %s", j->path, what,
		j->db ? sqlite3_errmsg(j->db) : "cannot open");
}

static int
exec(struct journal *j, const char *sql)
{
	char *msg = NULL;
	int r;

	if ((r = sqlite3_exec(j->db, sql, NULL, NULL, &msg)) == SQLITE_OK)
		return 0;
	if (is_busy(r))
		r = busy(j);
	else
		r = error("journal %s: %s", j->path, msg ? msg :
			sqlite3_errmsg(j->db));
	sqlite3_free(msg);
	return r;
}

/* Run a pragma and return its first column as text in out. */
static int
pragma(struct journal *j, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
		return jerr(j, sql);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		sqlite3_finalize(st);
		return jerr(j, sql);
	}
	snprintf(out, n, "%s", r == SQLITE_ROW && sqlite3_column_text(st, 0) ?
		(const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_finalize(st);
	return 0;
}

static int
pragma_expect(struct journal *j, const char *set, const char *get,
	const char *want)
{
	char got[64];
	int r;

	if ((r = pragma(j, set, got, sizeof(got))) < 0 ||
	    (r = pragma(j, get, got, sizeof(got))) < 0)
		return r;
	if (strcmp(got, want) != 0)
		return error("journal %s: '%s' gives '%s', not '%s'; the "
			"journal must be on a local file system that supports "
			"it", j->path, get, got, want);
	return 0;
}

/* mkdir -p of the directory part of path. */
static int
make_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int r;

	if (!slash || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	r = make_dirs(dir);
	free(dir);
	return r;
}

/* Refuse what is plainly not a journal before SQLite touches it. */
static int
check_file(const char *path, int create)
{
	char head[16];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 && errno == ENOENT && create) {
		if (make_parent(path) < 0)
			return -1;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return error("cannot create the journal %s: %s", path,
				strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (fd < 0 && errno == ENOENT)
		return error("no journal at %s: no run has been recorded there",
			path);
	if (fd < 0)
		return error("cannot open the journal %s: %s", path,
			strerror(errno));
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n > 0 && (n < 16 || memcmp(head, "SQLite format 3", 16) != 0))
		return error("%s is not a runjob journal (not an SQLite "
			"database); move it aside or point --journal elsewhere",
			path);
	return 0;
}

/* Switching a new journal to WAL needs it to itself, and SQLite does not
 * wait for that with the busy handler: wait here, while another runjob
 * creates the same journal. */
static int
wal(struct journal *j)
{
	int64_t waited = 0;
	int r;

	while (is_busy(r = sqlite3_exec(j->db, "PRAGMA journal_mode = WAL",
	    NULL, NULL, NULL)) || (r & 0xff) == SQLITE_LOCKED) {
		struct timespec ts = { 0, 10 * 1000000 };

		if ((waited += 10) > j->busy_ms)
			return busy(j);
		nanosleep(&ts, NULL);
	}
	return r == SQLITE_OK ? 0 : jerr(j, "PRAGMA journal_mode = WAL");
}

/* Refuse a damaged journal before writing to it: a run recorded half in
 * a broken file could not be trusted, nor resumed. quick_check reads
 * every page, which a journal of thousands of runs does in well under a
 * second. */
static int
check_whole(struct journal *j)
{
	char result[256];

	int r;

	if (!j->writing)
		return 0;
	if ((r = pragma(j, "PRAGMA quick_check", result, sizeof(result))) < 0)
		return r;
	if (strcmp(result, "ok") != 0)
		return error("journal %s is damaged (%s); runjob will not write "
			"to it. Keep it for the record, and restore it from a "
			"backup or point --journal elsewhere", j->path, result);
	return 0;
}

/* The key, for a writer: made with a new journal, or for one whose
 * chain is not keyed yet; never in place of the lost key of a keyed
 * chain, which would start the chain afresh where nobody can tell the
 * events before from forgeries. */
static int
load_key(struct journal *j, long v)
{
	unsigned char key[JOURNAL_KEY_LEN];
	char any[8] = "0", *kp;
	int r;

	if ((r = journal_key(j->path, 0, key)) == 1) {
		if (v >= 4 && (r = pragma(j, "SELECT EXISTS (SELECT 1 FROM "
		    "events)", any, sizeof(any))) < 0)
			return r;
		if (strcmp(any, "1") == 0) {
			kp = journal_key_path(j->path);
			r = error("journal %s: its key %s is missing, and its "
				"events are chained with it: restore the key from "
				"where it is kept (or set RUNJOB_AUDIT_KEY_FILE to "
				"it); runjob will not make a new one for this "
				"journal", j->path, kp);
			free(kp);
			return r;
		}
		r = journal_key(j->path, 1, key);
	}
	if (r < 0)
		return r;
	hmac_init(&j->keyed, key, sizeof(key));
	memset(key, 0, sizeof(key));
	return 0;
}

#define EVENT_COLUMNS "seq, run_id, at, kind, step_id, data, prev, hash"

/* The event of the row st is on; 1 when a text column holds a NUL
 * byte, which runjob never writes and the hash would not see. */
static int
event_of(sqlite3_stmt *st, struct jevent *e)
{
	static const int text[] = { 1, 3, 4, 5, 6, 7 };
	const char **at[] = { &e->run, &e->kind, &e->step, &e->data, &e->prev,
		&e->hash };
	int i, nul = 0;

	e->seq = sqlite3_column_int64(st, 0);
	e->at = sqlite3_column_int64(st, 2);
	for (i = 0; i < 6; i++) {
		*at[i] = (const char *)sqlite3_column_text(st, text[i]);
		if (*at[i] && strlen(*at[i]) !=
		    (size_t)sqlite3_column_bytes(st, text[i]))
			nul = 1;
	}
	return nul;
}

/* Journals before version 4 chained their events with plain SHA-256,
 * which whoever edits a row can recompute. Check that chain, chain the
 * same events again with the key, and say so in the chain: how many,
 * and where the old chain was broken, if it was. */
static int
rechain(struct journal *j)
{
	sqlite3_stmt *rd = NULL, *up = NULL;
	char prev[65] = "", oldprev[65] = "", old[65], hash[65];
	int64_t n = 0, broken = 0, seq = 0;
	struct buf b = {0};
	struct jevent e;
	int r = -1;

	if (sqlite3_prepare_v2(j->db, "SELECT " EVENT_COLUMNS " FROM events "
	    "WHERE seq > ?1 ORDER BY seq LIMIT 1", -1, &rd, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(j->db, "UPDATE events SET prev = ?1, "
	    "hash = ?2 WHERE seq = ?3", -1, &up, NULL) != SQLITE_OK) {
		r = jerr(j, "re-keying the event chain");
		goto out;
	}
	for (;;) {
		sqlite3_reset(rd);
		sqlite3_bind_int64(rd, 1, seq);
		if ((r = sqlite3_step(rd)) == SQLITE_DONE)
			break;
		if (r != SQLITE_ROW) {
			r = jerr(j, "re-keying the event chain");
			goto out;
		}
		event_of(rd, &e);
		b.len = 0;
		buf_addf(&b, "%s\n%" PRId64 "\n%s\n%" PRId64 "\n%s\n%s\n%s",
			e.prev ? e.prev : "", e.seq, e.run ? e.run : "", e.at,
			e.kind ? e.kind : "", e.step ? e.step : "",
			e.data ? e.data : "");
		sha256_hex(b.s, b.len, old);
		if (!broken && (e.seq != seq + 1 || !e.prev || !e.hash ||
		    strcmp(e.prev, oldprev) != 0 || strcmp(e.hash, old) != 0))
			broken = e.seq;
		snprintf(oldprev, sizeof(oldprev), "%s", e.hash ? e.hash : "");
		e.prev = prev;
		journal_event_hash(&j->keyed, &e, hash);
		seq = e.seq;
		sqlite3_reset(rd);
		sqlite3_reset(up);
		sqlite3_bind_text(up, 1, prev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 2, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 3, seq);
		if (sqlite3_step(up) != SQLITE_DONE) {
			r = jerr(j, "re-keying the event chain");
			goto out;
		}
		memcpy(prev, hash, sizeof(prev));
		n++;
	}
	r = 0;
	if (n == 0)
		goto out;
	b.len = 0;
	buf_addf(&b, "{\"events\":%" PRId64, n);
	if (broken)
		buf_addf(&b, ",\"old_chain_broken_at\":%" PRId64, broken);
	buf_addc(&b, '}');
	j->chain_known = 0;
	r = journal_event(j, "", now_ms(), "chain-rekeyed", NULL, b.s);
	if (r == 0 && broken)
		warn("journal %s: its old event chain was already broken at "
			"event %" PRId64 "; re-keyed all the same, and recorded "
			"so in the chain-rekeyed event", j->path, broken);
out:
	sqlite3_finalize(rd);
	sqlite3_finalize(up);
	buf_free(&b);
	return r;
}

/* Returns 0, -1 or JOURNAL_BUSY. */
static int
set_up(struct journal *j)
{
	char appid[32], version[32], tables[32];
	long v;
	int r;

	sqlite3_busy_timeout(j->db, j->busy_ms);
	sqlite3_extended_result_codes(j->db, 1);
	/* One read transaction, so that a journal another runjob is
	 * creating right now is seen before or after, never half made. */
	if ((r = exec(j, "BEGIN")) < 0)
		return r;
	if ((r = pragma(j, "PRAGMA application_id", appid, sizeof(appid))) < 0 ||
	    (r = pragma(j, "PRAGMA user_version", version,
	    sizeof(version))) < 0 ||
	    (r = pragma(j, "SELECT count(*) FROM sqlite_master", tables,
	    sizeof(tables))) < 0) {
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL);
	v = strtol(version, NULL, 10);
	if (strtol(appid, NULL, 10) != APPLICATION_ID &&
	    (strcmp(appid, "0") != 0 || strcmp(tables, "0") != 0))
		return error("%s is an SQLite database but not a runjob "
			"journal; move it aside or point --journal elsewhere",
			j->path);
	if (v > JOURNAL_VERSION)
		return error("journal %s has schema version %ld, newer than "
			"this runjob knows (%d); use a newer runjob", j->path, v,
			JOURNAL_VERSION);
	/* A reader takes the journal as it is: it neither switches it to
	 * WAL nor upgrades it, which would be writes. */
	if (j->reading)
		return 0;
	if ((r = wal(j)) < 0 ||
	    (r = pragma_expect(j, "PRAGMA journal_mode = WAL",
	    "PRAGMA journal_mode", "wal")) < 0 ||
	    (r = pragma_expect(j, "PRAGMA synchronous = FULL",
	    "PRAGMA synchronous", "2")) < 0 ||
	    (r = pragma_expect(j, "PRAGMA foreign_keys = ON",
	    "PRAGMA foreign_keys", "1")) < 0)
		return r;
	/* A damaged journal is said to be that, before its key is asked. */
	if (v == JOURNAL_VERSION)
		return (r = check_whole(j)) < 0 ? r : load_key(j, v);
	if ((r = load_key(j, v)) < 0)
		return r;

	/* Create or upgrade, in one transaction; a concurrent runjob may
	 * have done it meanwhile, so look again once holding the lock. */
	if ((r = exec(j, "BEGIN IMMEDIATE")) < 0)
		return r;
	if ((r = pragma(j, "PRAGMA user_version", version,
	    sizeof(version))) < 0)
		goto fail;
	for (v = strtol(version, NULL, 10); v < JOURNAL_VERSION; v++) {
		char sql[64];

		if ((r = exec(j, upgrades[v])) < 0)
			goto fail;
		if (v == 3 && (r = rechain(j)) < 0)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %ld", v + 1);
		if ((r = exec(j, sql)) < 0)
			goto fail;
	}
	if ((r = exec(j, "PRAGMA application_id = 1919577954")) < 0 ||
	    (r = exec(j, "COMMIT")) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* The URI that opens path as immutable: read from the file alone, with
 * no -wal or -shm file and no lock, as on read-only media. */
static char *
immutable_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};
	const unsigned char *p;

	buf_adds(&b, "file:");
	for (p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~", *p)) {
			buf_addc(&b, (char)*p);
		} else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[*p >> 4]);
			buf_addc(&b, hex[*p & 15]);
		}
	}
	buf_adds(&b, "?immutable=1");
	return b.s;
}

/* Open j->path with flags, for reading: 0 when a first read works, 1
 * when it fails as where nothing can be written, -1 on another error
 * (left for set_up to report). */
static int
try_reading(struct journal *j, const char *name, int flags)
{
	int r;

	if (j->db) {
		sqlite3_close(j->db);
		j->db = NULL;
	}
	if (sqlite3_open_v2(name, &j->db, flags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(j->db, j->busy_ms);
	r = sqlite3_exec(j->db, "SELECT count(*) FROM sqlite_master", NULL,
		NULL, NULL) & 0xff;
	return r == SQLITE_CANTOPEN || r == SQLITE_READONLY ? 1 :
		r == SQLITE_OK ? 0 : -1;
}

/* A reader opens the journal read-only. Reading a WAL journal needs its
 * -shm file, which SQLite makes when it is missing, and a journal left
 * by a writer that died needs recovering, which writes: when neither
 * can be done read-only, the journal is opened for writing, as a writer
 * would, and when that fails too (read-only media, a directory the
 * reader may not write), it is read as immutable, from the main file
 * alone. Changes still in a -wal file are not seen that way, which is
 * said. */
static int
open_reading(struct journal *j)
{
	char *uri, *wal_path;
	struct stat st;
	int r;

	if ((r = try_reading(j, j->path, SQLITE_OPEN_READONLY)) != 1 ||
	    (r = try_reading(j, j->path, SQLITE_OPEN_READWRITE)) != 1)
		return j->db ? 0 : jerr(j, "open");
	uri = immutable_uri(j->path);
	r = try_reading(j, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
	free(uri);
	if (!j->db)
		return jerr(j, "open");
	if (r == 0) {
		wal_path = xasprintf("%s-wal", j->path);
		if (stat(wal_path, &st) == 0 && st.st_size > 0)
			warn("journal %s: its -wal file cannot be read here (it "
				"needs a -shm file that cannot be made, or recovery, "
				"which writes): the newest changes are not shown",
				j->path);
		free(wal_path);
	}
	return 0;
}

int
journal_open(struct journal **out, const char *path, enum journal_access how)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, r;

	*out = NULL;
	j->path = xstrdup(path);
	j->writing = how == JOURNAL_CREATE;
	j->reading = how == JOURNAL_READ;
	j->busy_ms = busy_timeout();
	if (check_file(path, how == JOURNAL_CREATE) < 0 ||
	    (j->reading ? open_reading(j) < 0 :
	    sqlite3_open_v2(path, &j->db, flags, NULL) != SQLITE_OK)) {
		if (j->db && !j->reading)
			jerr(j, "open");
		journal_close(j);
		return -1;
	}
	/* SQLite opens a file it may not write read-only, silently. */
	if (!j->reading && sqlite3_db_readonly(j->db, "main") == 1) {
		error("journal %s cannot be written (read-only media, or no "
			"permission): nothing was recorded. Point --journal at a "
			"journal runjob can write; status, history and show can "
			"read this one", path);
		journal_close(j);
		return -1;
	}
	if ((r = set_up(j)) < 0) {
		journal_close(j);
		return r;
	}
	*out = j;
	return 0;
}

int
journal_open_beside(struct journal **out, const struct journal *j)
{
	struct journal *r = xcalloc(1, sizeof(*r));

	*out = NULL;
	r->path = xstrdup(j->path);
	r->reading = 1;
	r->busy_ms = j->busy_ms;
	/* Not check_file: its open and close of the file would drop the
	 * locks j holds on it (POSIX locks are the process's), and another
	 * process could then take the journal for its last user, checkpoint
	 * it and remove the -wal file under j. SQLite's own opens share
	 * them. */
	if (sqlite3_open_v2(j->path, &r->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK || set_up(r) < 0) {
		if (r->db)
			jerr(r, "open");
		journal_close(r);
		return -1;
	}
	*out = r;
	return 0;
}

void
journal_close(struct journal *j)
{
	int i;

	if (!j)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(j->stmt[i]);
	sqlite3_close(j->db);
	free(j->path);
	free(j);
}

const char *
journal_path(const struct journal *j)
{
	return j->path;
}

int
journal_begin(struct journal *j)
{
	j->chain_known = 0;	/* another runjob may have written since */
	return exec(j, "BEGIN IMMEDIATE");
}

/* RUNJOB_FAULT_COMMIT=N makes the Nth commit of this process fail as a
 * full disk would, for tests of what a run does then. */
static int
injected_fault(struct journal *j)
{
	static long count, fault = -1;
	const char *env;

	if (fault < 0)
		fault = (env = getenv("RUNJOB_FAULT_COMMIT")) ? atol(env) : 0;
	if (!fault || ++count != fault)
		return 0;
	journal_abort(j);
	return error("journal %s: cannot commit: database or disk is full "
		"(injected by RUNJOB_FAULT_COMMIT=%ld)", j->path, fault);
}

int
journal_commit(struct journal *j)
{
	int r;

	if (injected_fault(j) < 0)
		return -1;
	if ((r = exec(j, "COMMIT")) < 0) {
		journal_abort(j);
		return r;
	}
	return 0;
}

void
journal_abort(struct journal *j)
{
	j->chain_known = 0;
	if (!sqlite3_get_autocommit(j->db))
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The prepared statement for s, reset and ready for binding. */
static sqlite3_stmt *
prepare(struct journal *j, enum stmt s)
{
	if (!j->stmt[s] && sqlite3_prepare_v3(j->db, stmt_sql[s], -1,
	    SQLITE_PREPARE_PERSISTENT, &j->stmt[s], NULL) != SQLITE_OK) {
		jerr(j, "prepare");
		return NULL;
	}
	sqlite3_reset(j->stmt[s]);
	sqlite3_clear_bindings(j->stmt[s]);
	return j->stmt[s];
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Step a write statement to its end. */
static int
done(struct journal *j, sqlite3_stmt *st, const char *what)
{
	int r = sqlite3_step(st);

	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return jerr(j, what);
	return 0;
}

int
journal_add_run(struct journal *j, const struct jrun *r)
{
	sqlite3_stmt *st = prepare(j, ST_ADD_RUN);

	if (!st)
		return -1;
	bind_text(st, 1, r->id);
	bind_text(st, 2, r->job);
	bind_text(st, 3, r->file);
	bind_text(st, 4, r->text);
	bind_text(st, 5, r->sha256);
	bind_text(st, 6, r->git_commit);
	bind_text(st, 7, r->git_blob);
	if (r->git_blob)
		sqlite3_bind_int(st, 8, r->git_dirty);
	bind_text(st, 9, r->params);
	bind_text(st, 10, r->user);
	bind_text(st, 11, r->host);
	sqlite3_bind_int64(st, 12, r->pid);
	bind_text(st, 13, r->trigger);
	sqlite3_bind_int64(st, 14, r->started);
	return done(j, st, "recording the run");
}

int
journal_add_run_file(struct journal *j, const char *run, const char *name,
	const char *kind, const char *text, const char *sha256)
{
	sqlite3_stmt *st = prepare(j, ST_ADD_RUN_FILE);

	if (!st)
		return -1;
	bind_text(st, 1, run);
	bind_text(st, 2, name);
	bind_text(st, 3, kind);
	bind_text(st, 4, text);
	bind_text(st, 5, sha256);
	return done(j, st, "recording the files of the job");
}

int
journal_end_run(struct journal *j, const char *run, const char *state,
	int exit_code, int64_t ended)
{
	sqlite3_stmt *st = prepare(j, ST_END_RUN);

	if (!st)
		return -1;
	bind_text(st, 1, state);
	sqlite3_bind_int(st, 2, exit_code);
	sqlite3_bind_int64(st, 3, ended);
	bind_text(st, 4, run);
	return done(j, st, "recording the end of the run");
}

int
journal_add_step(struct journal *j, const char *run, const char *step,
	const char *def_hash)
{
	sqlite3_stmt *st = prepare(j, ST_ADD_STEP);

	if (!st)
		return -1;
	bind_text(st, 1, run);
	bind_text(st, 2, step);
	bind_text(st, 3, def_hash);
	return done(j, st, "recording a step");
}

int
journal_set_step(struct journal *j, const char *run, const char *step,
	const char *state)
{
	sqlite3_stmt *st = prepare(j, ST_SET_STEP);

	if (!st)
		return -1;
	bind_text(st, 1, state);
	bind_text(st, 2, run);
	bind_text(st, 3, step);
	return done(j, st, "recording a step's state");
}

int
journal_start_attempt(struct journal *j, const struct jattempt *a)
{
	sqlite3_stmt *st = prepare(j, ST_START_ATTEMPT);

	if (!st)
		return -1;
	bind_text(st, 1, a->id);
	bind_text(st, 2, a->run);
	bind_text(st, 3, a->step);
	bind_text(st, 4, a->kind);
	sqlite3_bind_int(st, 5, a->attempt);
	if (a->pid > 0) {
		sqlite3_bind_int64(st, 6, a->pid);
		sqlite3_bind_int64(st, 7, a->pid_start);
	}
	bind_text(st, 8, a->boot_id);
	sqlite3_bind_int64(st, 9, a->started);
	return done(j, st, "recording a step start");
}

int
journal_set_pid(struct journal *j, const char *id, long pid,
	long long pid_start, const char *boot_id)
{
	sqlite3_stmt *st = prepare(j, ST_SET_PID);

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_int64(st, 2, pid_start);
	bind_text(st, 3, boot_id);
	bind_text(st, 4, id);
	return done(j, st, "recording a step's process");
}

int
journal_end_attempt(struct journal *j, const char *id, const char *state,
	int exit_code, int signal, int64_t ended, const char *output,
	const char *log)
{
	sqlite3_stmt *st = prepare(j, ST_END_ATTEMPT);

	if (!st)
		return -1;
	bind_text(st, 1, state);
	if (exit_code >= 0)
		sqlite3_bind_int(st, 2, exit_code);
	if (signal >= 0)
		sqlite3_bind_int(st, 3, signal);
	sqlite3_bind_int64(st, 4, ended);
	bind_text(st, 5, output);
	bind_text(st, 6, log);
	bind_text(st, 7, id);
	return done(j, st, "recording a step's end");
}

int
journal_settle_attempt(struct journal *j, const char *id, const char *state,
	int64_t ended)
{
	sqlite3_stmt *st = prepare(j, ST_SETTLE_ATTEMPT);

	if (!st)
		return -1;
	bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, ended);
	bind_text(st, 3, id);
	return done(j, st, "settling an attempt");
}

int
journal_resume_run(struct journal *j, const char *run, long pid,
	const char *state)
{
	sqlite3_stmt *st = prepare(j, ST_RESUME_RUN);

	if (!st)
		return -1;
	bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, pid);
	bind_text(st, 3, run);
	return done(j, st, "resuming the run");
}

int
journal_add_output(struct journal *j, const char *run, const char *step,
	const char *name, const char *value, const char *sealed)
{
	sqlite3_stmt *st = prepare(j, ST_ADD_OUTPUT);

	if (!st)
		return -1;
	bind_text(st, 1, run);
	bind_text(st, 2, step);
	bind_text(st, 3, name);
	bind_text(st, 4, value);
	bind_text(st, 5, sealed);
	return done(j, st, "recording an output");
}

int
journal_set_lock(struct journal *j, const char *job, const char *run,
	long pid, const char *host, int64_t started)
{
	sqlite3_stmt *st = prepare(j, ST_SET_LOCK);

	if (!st)
		return -1;
	bind_text(st, 1, job);
	bind_text(st, 2, run);
	sqlite3_bind_int64(st, 3, pid);
	bind_text(st, 4, host);
	sqlite3_bind_int64(st, 5, started);
	return done(j, st, "recording the lock");
}

int
journal_clear_lock(struct journal *j, const char *job, long pid)
{
	sqlite3_stmt *st = prepare(j, ST_CLEAR_LOCK);

	if (!st)
		return -1;
	bind_text(st, 1, job);
	sqlite3_bind_int64(st, 2, pid);
	return done(j, st, "clearing the lock");
}

const char *const journal_event_kinds[] = {
	"run-started", "run-resumed", "step-started", "step-finished",
	"step-deferred", "checkpoint", "rollback-started", "rollback-finished",
	"attempt-settled", "unknown-settled", "resolved", "last-state",
	"run-unknown",
	"window-refused", "window-closed", "pruned", "run-finished",
	"gate-waiting", "gate-approved", "gate-rejected", "gate-timeout",
	"gate-withdrawn", "notified", "step-overrun", NULL,
};

/* A kind not in the list would be missing from the manual and from what
 * readers of the record expect: refused, so that a test finds it. */
static int
known_kind(const char *run, const char *kind)
{
	size_t i;

	if (!*run)
		return strcmp(kind, "chain-rekeyed") == 0;
	for (i = 0; journal_event_kinds[i]; i++)
		if (strcmp(journal_event_kinds[i], kind) == 0)
			return 1;
	return 0;
}

int
journal_event(struct journal *j, const char *run, int64_t at,
	const char *kind, const char *step, const char *data)
{
	sqlite3_stmt *st;
	char prev[65] = "", hash[65];
	int64_t seq = 1;
	struct jevent e;
	int r;

	if (!known_kind(run, kind))
		return error("journal %s: an event of kind '%s', which is not "
			"in journal_event_kinds", j->path, kind);
	if (!(st = prepare(j, ST_LAST_EVENT)))
		return -1;
	if (j->chain_known) {
		/* Within one transaction the last event is the one we wrote. */
		seq = j->chain_seq + 1;
		memcpy(prev, j->chain_hash, sizeof(prev));
	} else if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof(prev), "%s",
			(const char *)sqlite3_column_text(st, 1));
	} else if (r != SQLITE_DONE) {
		sqlite3_reset(st);
		return jerr(j, "reading the event chain");
	}
	sqlite3_reset(st);

	e.seq = seq;
	e.at = at;
	e.run = run;
	e.kind = kind;
	e.step = step;
	e.data = data;
	e.prev = prev;
	journal_event_hash(&j->keyed, &e, hash);

	if (!(st = prepare(j, ST_ADD_EVENT)))
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	bind_text(st, 2, run);
	sqlite3_bind_int64(st, 3, at);
	bind_text(st, 4, kind);
	bind_text(st, 5, step);
	bind_text(st, 6, data);
	bind_text(st, 7, prev);
	bind_text(st, 8, hash);
	if (done(j, st, "recording an event") < 0)
		return -1;
	j->chain_known = !sqlite3_get_autocommit(j->db);
	j->chain_seq = seq;
	memcpy(j->chain_hash, hash, sizeof(j->chain_hash));
	return 0;
}

/* The bytes an event's hash covers, gathered into blocks for the HMAC:
 * one call per event, not one per field, as verify hashes millions. */
struct feed {
	struct hmac h;
	size_t n;
	unsigned char buf[512];
};

static void
feed(struct feed *f, const void *p, size_t n)
{
	if (f->n + n > sizeof(f->buf)) {
		hmac_update(&f->h, f->buf, f->n);
		f->n = 0;
		if (n > sizeof(f->buf)) {
			hmac_update(&f->h, p, n);
			return;
		}
	}
	memcpy(f->buf + f->n, p, n);
	f->n += n;
}

static void
put_u64(struct feed *f, uint64_t n)
{
	unsigned char d[8];
	int i;

	for (i = 7; i >= 0; i--, n >>= 8)
		d[i] = (unsigned char)(n & 0xff);
	if (f->n + 8 <= sizeof(f->buf)) {	/* the usual case, inline */
		memcpy(f->buf + f->n, d, 8);
		f->n += 8;
	} else {
		feed(f, d, sizeof(d));
	}
}

static void
put_str(struct feed *f, const char *s)
{
	size_t n;

	if (!s) {
		put_u64(f, UINT64_MAX);
		return;
	}
	n = strlen(s);
	put_u64(f, n);
	feed(f, s, n);
}

void
journal_event_hash(const struct hmac *keyed, const struct jevent *e,
	char out[65])
{
	struct feed f;
	unsigned char d[32];

	f.h = *keyed;
	f.n = 0;
	put_str(&f, e->prev);
	put_u64(&f, (uint64_t)e->seq);
	put_str(&f, e->run);
	put_u64(&f, (uint64_t)e->at);
	put_str(&f, e->kind);
	put_str(&f, e->step);
	put_str(&f, e->data);
	hmac_update(&f.h, f.buf, f.n);
	hmac_final(&f.h, d);
	sha256_to_hex(d, out);
}

long
journal_version(struct journal *j)
{
	char v[32];

	if (pragma(j, "PRAGMA user_version", v, sizeof(v)) < 0)
		return -1;
	return strtol(v, NULL, 10);
}

int
journal_chain(struct journal *j, int64_t after, int64_t upto,
	int (*fn)(void *arg, const struct jevent *e), void *arg)
{
	sqlite3_stmt *st;
	struct jevent e;
	int r;

	/* Read in one sweep, mapped rather than copied a page at a time;
	 * where mapping is not to be had, SQLite reads as it does anyway. */
	sqlite3_exec(j->db, "PRAGMA mmap_size = 17179869184", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(j->db, "SELECT " EVENT_COLUMNS " FROM events "
	    "WHERE seq > ?1 AND seq <= ?2 ORDER BY seq", -1, &st, NULL) !=
	    SQLITE_OK)
		return jerr(j, "reading the event chain");
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, upto);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (event_of(st, &e))
			e.hash = "";	/* a NUL byte: never what was hashed */
		if (fn(arg, &e))
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		sqlite3_finalize(st);
		return jerr(j, "reading the event chain");
	}
	sqlite3_finalize(st);
	return 0;
}

int
journal_head(struct journal *j, int64_t *count, int64_t *seq, char hash[65])
{
	sqlite3_stmt *st;
	int r;

	*count = *seq = 0;
	hash[0] = '\0';
	if (sqlite3_prepare_v2(j->db, "SELECT count(*), max(seq), (SELECT hash "
	    "FROM events ORDER BY seq DESC LIMIT 1) FROM events", -1, &st,
	    NULL) != SQLITE_OK)
		return jerr(j, "reading the event chain");
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		*seq = sqlite3_column_int64(st, 1);
		snprintf(hash, 65, "%s", sqlite3_column_text(st, 2) ?
			(const char *)sqlite3_column_text(st, 2) : "");
	}
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 0 : jerr(j, "reading the event chain");
}

/* Reading. */

/* Each row of st, bound, to fn until it returns non-zero; st is
 * finalized. Returns 1 when there was a row, 0 when not, -1 on error. */
static int
rows(struct journal *j, sqlite3_stmt *st, jrow_fn fn, void *arg)
{
	const char **names = NULL, **values = NULL;
	struct jrow row;
	int r, i, n, found = 0;

	n = sqlite3_column_count(st);
	names = xcalloc((size_t)n + 1, sizeof(*names));
	values = xcalloc((size_t)n + 1, sizeof(*values));
	for (i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	row.n = n;
	row.names = names;
	row.values = values;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		found = 1;
		for (i = 0; i < n; i++)
			values[i] = (const char *)sqlite3_column_text(st, i);
		if (fn(arg, &row))
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		found = jerr(j, "query");
	sqlite3_finalize(st);
	free(names);
	free(values);
	return found;
}

static int
walk(struct journal *j, const char *sql, const char *a, const char *b,
	int limit, jrow_fn fn, void *arg)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
		return jerr(j, "query");
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (limit)	/* -1: no limit */
		sqlite3_bind_int(st, a && b ? 3 : a || b ? 2 : 1, limit);
	return rows(j, st, fn, arg);
}

#define RUN_COLUMNS "id, job, file, sha256, git_commit, git_blob, git_dirty, " \
	"params, user, host, pid, trigger, started, ended, state, exit_code"

int
journal_runs(struct journal *j, const char *job, int limit, jrow_fn fn,
	void *arg)
{
	const char *sql = job ?
		"SELECT " RUN_COLUMNS " FROM runs WHERE job = ?1 "
		"ORDER BY started DESC, rowid DESC LIMIT ?2" :
		"SELECT " RUN_COLUMNS " FROM runs "
		"ORDER BY started DESC, rowid DESC LIMIT ?1";

	return walk(j, sql, job, NULL, limit > 0 ? limit : -1, fn, arg) < 0 ?
		-1 : 0;
}

int
journal_run(struct journal *j, const char *id, const char *job,
	jrow_fn fn, void *arg)
{
	if (id)
		return walk(j, "SELECT " RUN_COLUMNS ", text FROM runs "
			"WHERE id = ?1", id, NULL, 0, fn, arg);
	if (job)
		return walk(j, "SELECT " RUN_COLUMNS ", text FROM runs "
			"WHERE job = ?1 ORDER BY started DESC, rowid DESC "
			"LIMIT 1", job, NULL, 0, fn, arg);
	return walk(j, "SELECT " RUN_COLUMNS ", text FROM runs "
		"ORDER BY started DESC, rowid DESC LIMIT 1", NULL, NULL, 0, fn,
		arg);
}

int
journal_steps(struct journal *j, const char *run, jrow_fn fn, void *arg)
{
	return walk(j, "SELECT step_id, def_hash, state FROM steps "
		"WHERE run_id = ?1 ORDER BY rowid", run, NULL, 0, fn, arg) < 0 ?
		-1 : 0;
}

int
journal_attempts(struct journal *j, const char *run, jrow_fn fn, void *arg)
{
	return walk(j, "SELECT id, step_id, kind, attempt, pid, pid_start, "
		"boot_id, started, ended, state, exit_code, signal, output, log "
		"FROM attempts "
		"WHERE run_id = ?1 ORDER BY started, rowid", run, NULL, 0, fn,
		arg) < 0 ? -1 : 0;
}

int
journal_gate(struct journal *j, const char *run, const char *step,
	jrow_fn fn, void *arg)
{
	return walk(j, "SELECT w.at AS waiting, a.kind AS kind, a.at AS at, "
		"json_extract(a.data, '$.user') AS user, json_extract(a.data, "
		"'$.host') AS host, json_extract(a.data, '$.from') AS \"from\", "
		"json_extract(a.data, '$.reason') AS reason FROM events w "
		"LEFT JOIN events a ON a.run_id = w.run_id AND a.step_id = "
		"w.step_id AND a.seq > w.seq AND a.kind IN ('gate-approved', "
		"'gate-rejected') WHERE w.seq = (SELECT "
		"max(seq) FROM events WHERE run_id = ?1 AND step_id = ?2 AND "
		"kind = 'gate-waiting') ORDER BY a.seq LIMIT 1", run, step, 0, fn,
		arg) < 0 ? -1 : 0;
}

int
journal_durations(struct journal *j, const char *job, jrow_fn fn, void *arg)
{
	return walk(j, "SELECT a.step_id AS step_id, "
		"max(a.ended - a.started) AS longest FROM attempts a "
		"JOIN runs r ON r.id = a.run_id WHERE r.job = ?1 AND "
		"a.kind = 'step' AND a.state = 'succeeded' AND a.ended IS NOT NULL "
		"GROUP BY a.step_id", job, NULL, 0, fn, arg) < 0 ? -1 : 0;
}

/* The step ids go in as one JSON array, so that one statement serves a
 * plan of any size. For each id the subquery walks successes_by_step
 * from the newest end back and stops at the limit, so that the cost is
 * that of the tries kept however long the job's history; a window
 * function (row_number() over the job's successes by step) would read
 * and number every one of them first. A journal of schema version 5,
 * which a reader does not upgrade, has no such index: there the job's
 * runs are all read, as they were before it was made. */
int
journal_recent_durations(struct journal *j, const char *job,
	const char *run, const char *const *ids, size_t n, int recent,
	jrow_fn fn, void *arg)
{
	struct buf b = {0};
	sqlite3_stmt *st;
	size_t i;
	int r;

	buf_addc(&b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			buf_addc(&b, ',');
		buf_add_json(&b, ids[i]);
	}
	buf_addc(&b, ']');
	if (sqlite3_prepare_v2(j->db, "SELECT s.value AS step_id, "
	    "a.ended - a.started AS ms FROM json_each(?3) s JOIN attempts a "
	    "ON a.rowid IN (SELECT t.rowid FROM attempts t JOIN runs r ON "
	    "r.id = t.run_id WHERE t.step_id = s.value AND t.kind = 'step' "
	    "AND t.state = 'succeeded' AND t.ended IS NOT NULL AND "
	    "r.job = ?1 AND r.id <> ?2 ORDER BY t.ended DESC, t.rowid DESC "
	    "LIMIT ?4) ORDER BY step_id, ms", -1, &st, NULL) != SQLITE_OK) {
		buf_free(&b);
		return jerr(j, "query");
	}
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, run ? run : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, buf_str(&b), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, recent);
	r = rows(j, st, fn, arg);
	buf_free(&b);
	return r < 0 ? -1 : 0;
}

int
journal_outputs(struct journal *j, const char *run, jrow_fn fn, void *arg)
{
	return walk(j, "SELECT step_id, name, value, sealed FROM outputs "
		"WHERE run_id = ?1 ORDER BY rowid", run, NULL, 0, fn, arg) < 0 ?
		-1 : 0;
}

int
journal_run_files(struct journal *j, const char *run, jrow_fn fn, void *arg)
{
	return walk(j, "SELECT name, kind, text, sha256 FROM run_files "
		"WHERE run_id = ?1 ORDER BY name", run, NULL, 0, fn, arg) < 0 ?
		-1 : 0;
}

int
journal_events(struct journal *j, const char *run, jrow_fn fn, void *arg)
{
	return walk(j, "SELECT seq, at, kind, step_id, data, prev, hash FROM events "
		"WHERE run_id = ?1 ORDER BY seq", run, NULL, 0, fn, arg) < 0 ?
		-1 : 0;
}

int
journal_last_states(struct journal *j, const char *job, const char *run,
	jrow_fn fn, void *arg)
{
	return walk(j, "SELECT s.step_id AS step_id, s.run_id AS run_id, "
		"(SELECT e.data FROM events e WHERE e.run_id = s.run_id AND "
		"e.step_id = s.step_id AND e.kind = 'checkpoint' ORDER BY e.seq "
		"DESC LIMIT 1) AS data FROM steps s JOIN runs r ON r.id = "
		"s.run_id WHERE r.job = ?1 AND r.id <> ?2 AND s.state = "
		"'succeeded' ORDER BY r.started DESC, r.rowid DESC", job, run, 0,
		fn, arg) < 0 ? -1 : 0;
}

int
journal_run_facts(struct journal *j, jrow_fn fn, void *arg)
{
	return walk(j, "SELECT r.id AS id, r.state AS state, r.exit_code AS "
		"exit_code, r.started AS started, (SELECT at FROM events e WHERE "
		"e.run_id = r.id AND e.kind = 'run-started' ORDER BY seq LIMIT 1) "
		"AS started_at, (SELECT count(*) FROM events e WHERE e.run_id = "
		"r.id) AS events, l.seq AS last_seq, l.kind AS last_kind, "
		"json_extract(l.data, '$.state') AS last_state, "
		"json_extract(l.data, '$.exit_code') AS last_exit "
		"FROM runs r LEFT JOIN events l ON l.seq = (SELECT max(seq) FROM "
		"events e WHERE e.run_id = r.id AND e.kind IN ('run-started', "
		"'run-resumed', 'run-finished', 'run-unknown')) "
		"ORDER BY r.started, r.rowid", NULL, NULL, 0, fn, arg) < 0 ?
		-1 : 0;
}

int
journal_prunable(struct journal *j, int64_t before, jrow_fn fn, void *arg)
{
	char t[32];

	snprintf(t, sizeof(t), "%" PRId64, before);
	return walk(j, "SELECT a.run_id AS run_id, a.id AS id, a.log AS log, "
		"length(CAST(a.output AS BLOB)) AS output_len FROM attempts a "
		"JOIN runs r ON r.id = a.run_id WHERE r.ended IS NOT NULL AND "
		"r.ended < CAST(?1 AS INTEGER) AND r.state NOT IN ('running', "
		"'rolling-back') AND (a.log IS NOT NULL OR a.output IS NOT NULL) "
		"ORDER BY r.started, a.run_id, a.rowid", t, NULL, 0, fn, arg) < 0 ?
		-1 : 0;
}

int
journal_prune_attempt(struct journal *j, const char *id)
{
	sqlite3_stmt *st = prepare(j, ST_PRUNE_ATTEMPT);

	if (!st)
		return -1;
	bind_text(st, 1, id);
	return done(j, st, "pruning an attempt");
}

const char *
jrow_get(const struct jrow *row, const char *name)
{
	int i;

	for (i = 0; i < row->n; i++)
		if (strcmp(row->names[i], name) == 0)
			return row->values[i];
	return NULL;
}
