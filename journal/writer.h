/*
 * writer.h - the journal written from a thread of its own, so that a
 * commit's fsync never stalls the scheduler.
 *
 * The scheduler queues its writes and seals them into batches; the
 * writer commits every batch sealed since its last commit in one
 * transaction (group commit) and then says which batch is durable. A
 * step's process is made only once the batch holding its start is.
 */
#ifndef RUNJOB_WRITER_H
#define RUNJOB_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"

struct jwriter;

/* Start the writer on j; until jwriter_finish, only it uses j. */
struct jwriter *jwriter_start(struct journal *j);

/* Queue a write; strings are copied. The same as the journal_* calls. */
void jw_add_step(struct jwriter *w, const char *run, const char *step,
	const char *def_hash);
void jw_set_step(struct jwriter *w, const char *run, const char *step,
	const char *state);
void jw_start_attempt(struct jwriter *w, const struct jattempt *a);
void jw_set_pid(struct jwriter *w, const char *id, long pid,
	long long pid_start, const char *boot_id);
void jw_end_attempt(struct jwriter *w, const char *id, const char *state,
	int exit_code, int signal, int64_t ended, const char *output,
	const char *log);
void jw_add_output(struct jwriter *w, const char *run, const char *step,
	const char *name, const char *value, const char *sealed);
void jw_resume_run(struct jwriter *w, const char *run, long pid,
	const char *state);
void jw_event(struct jwriter *w, const char *run, int64_t at,
	const char *kind, const char *step, const char *data);

/* Seal what was queued since the last seal into a batch for the writer.
 * Returns the batch's number, or the last one's when nothing was queued. */
uint64_t jwriter_seal(struct jwriter *w);
/* How many writes are queued and not sealed yet. */
size_t jwriter_queued(const struct jwriter *w);
/* Readable when a batch became durable or a commit failed. */
int jwriter_fd(const struct jwriter *w);
/* Drain the fd; the number of the last durable batch into *batch.
 * Returns 0, or -1 once a commit failed (nothing later is written). */
int jwriter_durable(struct jwriter *w, uint64_t *batch);
/* Seal, wait until everything is durable or has failed, stop the thread
 * and free w. Returns 0, or -1 when a commit failed. */
int jwriter_finish(struct jwriter *w);

#endif
