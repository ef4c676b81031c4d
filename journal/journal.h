/*
 * journal.h - the SQLite journal: every run, step, attempt, output and
 * event. This is the only code that talks SQL to the journal; it knows
 * nothing of processes or job files.
 *
 * Writers group their changes: journal_begin(), any number of writes,
 * journal_commit(). Every function returns 0, or -1 after reporting what
 * went wrong (naming the journal file) with error(). When what went wrong
 * is that another process held the journal for longer than runjob waits
 * (RUNJOB_BUSY_TIMEOUT, 60 s by default), journal_open, journal_begin,
 * journal_commit and journal_run return JOURNAL_BUSY instead.
 */
#ifndef RUNJOB_JOURNAL_H
#define RUNJOB_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"
#include "sha256.h"

#define JOURNAL_VERSION 6
#define JOURNAL_BUSY (-2)

struct journal;

/* Reading. A row hands its columns as names and values (NULL for SQL
 * NULL), valid during the callback only; a callback returning non-zero
 * stops the walk. */
struct jrow {
	int n;
	const char *const *names;
	const char *const *values;
};
typedef int (*jrow_fn)(void *arg, const struct jrow *row);

/* How a journal is opened: to read it only (it may be on read-only
 * media; nothing is written, not even an upgrade), to write to an
 * existing one, or to record runs in one made when missing (its
 * directory too, mode 0600), checked first for damage. */
enum journal_access { JOURNAL_READ, JOURNAL_WRITE, JOURNAL_CREATE };

/* Open the journal at path; an existing file must be a runjob journal.
 * *out is the caller's, closed with journal_close. */
int journal_open(struct journal **out, const char *path,
	enum journal_access how);
/* A second connection to the journal j is open on, in the same
 * process, for reading what other processes write while j's own
 * connection is busy elsewhere (a thread's). Only this may open the
 * file again in a process that has it open: see journal.c. */
int journal_open_beside(struct journal **out, const struct journal *j);
void journal_close(struct journal *j);
const char *journal_path(const struct journal *j);

int journal_begin(struct journal *j);	/* BEGIN IMMEDIATE */
int journal_commit(struct journal *j);
void journal_abort(struct journal *j);	/* roll back an open transaction */

/* A new run. Strings are copied into the journal as they are. */
struct jrun {
	const char *id, *job, *file, *text, *sha256;
	const char *git_commit, *git_blob;	/* NULL: not in git */
	int git_dirty;
	const char *params;		/* JSON object, masked */
	const char *user, *host, *trigger;
	long pid;
	int64_t started;
};
int journal_add_run(struct journal *j, const struct jrun *r);
/* One of the files run's job was built from besides the job file. */
int journal_add_run_file(struct journal *j, const char *run, const char *name,
	const char *kind, const char *text, const char *sha256);
int journal_end_run(struct journal *j, const char *run, const char *state,
	int exit_code, int64_t ended);

int journal_add_step(struct journal *j, const char *run, const char *step,
	const char *def_hash);
int journal_set_step(struct journal *j, const char *run, const char *step,
	const char *state);

struct jattempt {
	const char *id, *run, *step, *kind;
	int attempt;
	long pid;
	long long pid_start;
	const char *boot_id;
	int64_t started;
};
int journal_start_attempt(struct journal *j, const struct jattempt *a);
/* exit_code or signal < 0: not applicable. */
/* The process of an attempt, once made: pid, start time and boot. */
int journal_set_pid(struct journal *j, const char *id, long pid,
	long long pid_start, const char *boot_id);
int journal_end_attempt(struct journal *j, const char *id, const char *state,
	int exit_code, int signal, int64_t ended, const char *output,
	const char *log);

/* Settle an attempt without touching its output: for one whose runjob
 * died (unknown), or one stopped after the fact. */
int journal_settle_attempt(struct journal *j, const char *id,
	const char *state, int64_t ended);
/* An unfinished run taken up again by process pid. */
int journal_resume_run(struct journal *j, const char *run, long pid,
	const char *state);

/* An output: its masked value and, when masking changed it, the value
 * itself sealed with the journal's key (seal.h); sealed NULL: none. */
int journal_add_output(struct journal *j, const char *run, const char *step,
	const char *name, const char *value, const char *sealed);

/* The lock row of job: who holds its lock (the lock itself is a flock,
 * see lock.h). */
int journal_set_lock(struct journal *j, const char *job, const char *run,
	long pid, const char *host, int64_t started);
int journal_clear_lock(struct journal *j, const char *job, long pid);

/* Append an event to the chain; data is a JSON object ("{}" for none).
 * Its hash is HMAC-SHA256 under the journal's key (journal_event_hash).
 * kind is one of journal_event_kinds, or "chain-rekeyed" for an event of
 * the journal itself (run ""); any other is refused. */
int journal_event(struct journal *j, const char *run, int64_t at,
	const char *kind, const char *step, const char *data);

/* Every kind of event a run's record may hold, NULL-terminated: what
 * runjob show lists and runjob(1) documents (`runjob help --events`). */
extern const char *const journal_event_kinds[];

/* An event as the chain hashes it; step NULL: none. */
struct jevent {
	int64_t seq, at;
	const char *run, *kind, *step, *data, *prev, *hash;
};
/* The keyed hash of e: HMAC-SHA256 under keyed (hmac_init'd with the
 * journal's key, left as it is) of
 *
 *	str(prev) u64(seq) str(run) u64(at) str(kind) str(step) str(data)
 *
 * where u64(n) is n as 8 bytes, big-endian (two's complement), and
 * str(s) is u64 of the length of s followed by its bytes, or for a NULL
 * step u64 of 2^64 - 1 and nothing. prev is the hash of the event
 * before, as stored: 64 hex digits, or "" for the first event. As 64
 * lower-case hex digits and a NUL into out. */
void journal_event_hash(const struct hmac *keyed, const struct jevent *e,
	char out[65]);
/* The journal's schema version (user_version). */
long journal_version(struct journal *j);
/* The events with after < seq <= upto, by seq; fn returning non-zero
 * stops. Returns 0 or -1. */
int journal_chain(struct journal *j, int64_t after, int64_t upto,
	int (*fn)(void *arg, const struct jevent *e), void *arg);
/* The number of events, and the newest; *seq 0 when there are none. */
int journal_head(struct journal *j, int64_t *count, int64_t *seq,
	char hash[65]);

/* What each run row says beside what its events say, for audit verify:
 * id, state, exit_code, started; started_at (the at of its run-started
 * event), events (how many it has); and the last of its run-started,
 * run-resumed, run-finished and run-unknown events: last_seq, last_kind
 * and the state and exit_code of its data (last_state, last_exit). */
int journal_run_facts(struct journal *j, jrow_fn fn, void *arg);

/* Runs ended before `before` (ms): their attempts with a log or output
 * tail, each as run_id, id, log, output_len. */
int journal_prunable(struct journal *j, int64_t before, jrow_fn fn,
	void *arg);
/* Forget an attempt's output tail and log file name. */
int journal_prune_attempt(struct journal *j, const char *id);

/* Runs, newest first: of job (NULL: every job), at most limit (0: all). */
int journal_runs(struct journal *j, const char *job, int limit, jrow_fn fn,
	void *arg);
/* The run with id, or with job's latest run when id is NULL. Returns 1
 * when found, 0 when not, -1 on error. */
int journal_run(struct journal *j, const char *id, const char *job,
	jrow_fn fn, void *arg);
int journal_steps(struct journal *j, const char *run, jrow_fn fn, void *arg);
/* The longest a try of each step instance of job took, among those that
 * succeeded in any of its runs: step_id and longest (ms) a row. */
int journal_durations(struct journal *j, const char *job, jrow_fn fn,
	void *arg);
/* How long the latest tries that succeeded of the step instances
 * ids[0..n) of job took, in its runs other than run (NULL: in all): at
 * most recent of each, the last to end (of two that ended at once, the
 * one recorded last). step_id and ms a row, by step_id and then ms, for
 * medians. */
int journal_recent_durations(struct journal *j, const char *job,
	const char *run, const char *const *ids, size_t n, int recent,
	jrow_fn fn, void *arg);
/* The gate step of run as it last waited: waiting, when its wait began
 * (the newest gate-waiting event), and the first answer given after
 * that, if any: kind (gate-approved or gate-rejected), at, and user,
 * host, from and reason out of its data, all NULL when none was. No row when the step never waited. */
int journal_gate(struct journal *j, const char *run, const char *step,
	jrow_fn fn, void *arg);
int journal_attempts(struct journal *j, const char *run, jrow_fn fn,
	void *arg);
int journal_outputs(struct journal *j, const char *run, jrow_fn fn,
	void *arg);
int journal_events(struct journal *j, const char *run, jrow_fn fn, void *arg);
/* The files run's job was built from besides the job file: name, kind,
 * text, sha256, by name. */
int journal_run_files(struct journal *j, const char *run, jrow_fn fn,
	void *arg);
/* Where each step instance of job stood when it last succeeded in a run
 * other than run: step_id, run_id and data, its last checkpoint there
 * (NULL when it made none), newest run first, so that a step's first row
 * is the one that counts. */
int journal_last_states(struct journal *j, const char *job, const char *run,
	jrow_fn fn, void *arg);

/* The value of column name in row, or NULL. */
const char *jrow_get(const struct jrow *row, const char *name);

#endif
