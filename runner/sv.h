/*
 * sv.h - the run's supervisor, as runjob sees it.
 *
 * Each run has one supervisor, a small process (`runjob supervise`) that
 * is the parent of every step and holds their output pipes. It masks
 * their output into their logs, reaps them, and keeps a record of how
 * each ended; runjob asks it to start and signal processes and hears
 * back over a socket. It makes them in the order asked, no more at
 * once than runjob allows, so that the next is made as soon as one
 * ends, without a word to runjob between; what still waits when runjob
 * dies is never made. When runjob dies, the supervisor carries on: the
 * steps keep running with their output read, masked and logged, their
 * timeouts kept, and how each ended goes to the record, where the next
 * runjob finds it. It leaves once no step of its own is running.
 *
 * The record (LOGDIR/supervisor) is a text file of lines, appended and
 * never fsynced: it has to outlive runjob, not the machine, and a
 * machine that restarted took the steps with it. Each supervisor that
 * starts appends "sv PID START BOOT_ID"; then "made ID" for each process
 * made, "exit STATUS WHY DURATION_MS ID" for each that ended (or
 * could not be made), "ckpt ID JSON" for a built-in's checkpoint, "mask
 * SEALED" for a value a step asked to hide, sealed with the journal's
 * key; "alone PID" once runjob is gone and all it asked was read, and
 * "bye PID" as it leaves. IDs have '\\', ' ' and newline escaped.
 */
#ifndef RUNJOB_SV_H
#define RUNJOB_SV_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "mask.h"
#include "proc.h"

/* Frames: a 4-byte length (host order; both ends are one program on
 * one machine), a type byte, then fields each ended by a NUL. */
enum {
	/* runjob to the supervisor */
	SV_KEY = 'Y',	/* the journal's key in hex, and the run: to seal
			 * what the record keeps */
	SV_MASK = 'M',	/* a value to hide (either way) */
	SV_SPAWN = 'S',	/* id log dir builtin timeout_ms grace_ms hold
			 * argc argv... env... */
	SV_KILL = 'K',	/* id signal why ("timeout", "stop" or ""): to
			 * the group, if not reaped yet */
	SV_SLOTS = 'J',	/* n: at most n processes at once; a spawn asked
			 * for beyond them waits for one to end. After one
			 * that failed, was stopped or timed out, or was
			 * asked with hold 1, none is made until this comes
			 * again: runjob decides whether the run goes on */
	SV_DROP = 'U',	/* id: a spawn still waiting is not to be made */
	SV_QUIT = 'Q',	/* the run is over */
	/* the supervisor to runjob */
	SV_READY = 'O',	/* its record names it: steps may be asked for */
	SV_PID = 'P',	/* id pid start */
	SV_FAIL = 'F',	/* id errno what ("log" or "exec") */
	SV_DROPPED = 'N',	/* id: dropped while it waited, never made */
	SV_LINE = 'L',	/* id line, masked */
	SV_MARK = 'R',	/* id line: a built-in's report, as it came */
	SV_EXIT = 'X',	/* id status logged */
};

/* One end of the socket: frames out, queued until they can be written
 * without blocking, and bytes in until they make a frame. */
struct chan {
	int fd;
	struct buf out;
	size_t outoff;
	struct buf in;
	size_t inoff;
};

struct frame {
	int type;
	char *f[8];	/* the first fields */
	size_t nf;
	char *rest;	/* the fields past those, to end; NULL: none */
	char *end;
};

void chan_init(struct chan *c, int fd);
void chan_free(struct chan *c);
/* Queue a frame of nf fields. */
void chan_send(struct chan *c, int type, const char *const *f, size_t nf);
/* Write what can be written now. Returns 0, or -1 when the other end is
 * gone. */
int chan_flush(struct chan *c);
/* 1 when frames wait to be written. */
int chan_pending(const struct chan *c);
/* Read what is there. Returns 1, 0 at the end, -1 on an error. */
int chan_fill(struct chan *c);
/* The next whole frame read into m (valid until the next call): 1, or 0
 * when there is none. */
int chan_next(struct chan *c, struct frame *m);

/* runjob's end. */
struct sv {
	pid_t pid;
	struct chan c;
};

/* Start the supervisor of a run whose logs go to logdir, handing it the
 * journal's key and the values to hide. Returns 0, or -1 with the
 * reason reported. */
int sv_start(struct sv *sv, const char *logdir, const char *run,
	const unsigned char *key, const struct mask *m);
/* Ask it to leave once nothing runs, and wait until it has. */
void sv_stop(struct sv *sv);

/* The supervisor's process: `runjob supervise`, started by sv_start. */
int cmd_supervise(int argc, char **argv);

/* Why a process was stopped, in the record: its timeout passed, or
 * runjob stopped it (an interrupt, a journal it could not write). */
enum { SV_TIMED_OUT = 1, SV_STOPPED = 2 };

/* The record, read. */
struct sv_end {
	char *id;
	int status;	/* as wait() gives it */
	int timed_out;	/* its timeout passed */
	int stopped;	/* runjob stopped it */
	long long duration_ms;	/* from its start to its end */
	char *ckpt;	/* a built-in's last checkpoint, or NULL */
	int made;
	int ended;
};

struct sv_record {
	struct sv_end *v;
	size_t n, cap;
	char **masks;	/* values to hide, opened with the key */
	size_t nmasks, capmasks;
	struct pinfo *sv;	/* the supervisors of this boot that wrote
				 * it: pid and start; ppid 1 once it said
				 * alone or bye */
	size_t nsv, capsv;
};

/* Read logdir's record; masks are opened with key (for run). Lines from
 * before the machine restarted are left out. */
void sv_record_load(struct sv_record *r, const char *logdir,
	const char *run, const unsigned char *key);
const struct sv_end *sv_record_find(const struct sv_record *r,
	const char *id);
/* 1 when a supervisor that wrote the record is still running. */
int sv_record_live(const struct sv_record *r);
/* 1 when every supervisor that wrote it has read all runjob asked
 * (alone, or gone saying bye): an attempt it does not name was never
 * made. */
int sv_record_whole(const struct sv_record *r);
void sv_record_free(struct sv_record *r);

/* The context that seals a run's hidden values in the record. */
char *sv_mask_context(const char *run);

#endif
