/*
 * copy_int.h - what redis.copy shares inside runner/redis/ (redis.h is
 * what the rest of runjob sees of it):
 *
 *   copy.c     the copy: the scans, the workers that DUMP and RESTORE
 *              the batches they queue, the checkpoint, the closing check
 *   reshard.c  a cluster source whose slots move between its primaries
 *              during the copy: the slots each scan read, and those read
 *              again once the resharding is over
 */
#ifndef RUNJOB_REDIS_COPY_INT_H
#define RUNJOB_REDIS_COPY_INT_H

#include <pthread.h>
#include <stddef.h>

#include "changes.h"
#include "cluster.h"
#include "conn.h"
#include "settings.h"
#include "url.h"

enum {
	PROGRESS_MS = 1000,
	MAX_NODES = 1024,		/* of a cluster source whose epochs are
					 * followed; past them, every slot moved */
};

struct ticks;		/* copy.c's: a scanning thread's clock */
struct worker;		/* copy.c's: a copying thread */

/* What became of the keys so far. */
struct counts {
	long long copied, skipped, expired, bytes;
	long long keys;		/* scanned and done with, of any type */
	long long restored;	/* of copied: RESTOREs the target took */
};

/* A SCAN reply's keys, or a slot's (read_again), copied as one unit of
 * work. */
struct batch {
	unsigned slot;			/* a slot's keys: of that slot */
	const struct rurl *node;	/* the server that scan asks; NULL
					 * for a slot's keys */
	unsigned long long next;	/* the cursor after it */
	redisReply *reply;		/* SCAN's or GETKEYSINSLOT's */
	redisReply *names;		/* its array of keys */
	int done;
	long long keys;			/* how many it had */
	struct counts n;		/* what became of them */
	struct batch *next_q;		/* the queue of batches not taken */
	struct batch *next_p;		/* every batch not yet checkpointed */
};

/* What one scan goes over: the source, or a primary of a cluster
 * source, which a thread of its own scans. */
struct shard {
	struct copy *cp;
	struct ticks *tk;
	unsigned slot;		/* the lowest it owned: its primary now owns it */
	struct rconn conn;	/* the scan's connection */
	struct rlocate at;
	struct rguard *pg;	/* whose INFO pause_if reads: the copy's guard,
				 * or a cluster primary's own */
	unsigned long long cursor;	/* where the scan starts */
	int skip;		/* done by an earlier attempt */
	struct batch *phead, *ptail;	/* every batch not yet checkpointed,
					 * in scan order */
	const struct rurl *ck_node;	/* the checkpoint: the cursor of the */
	unsigned long long ck_cursor;	/* scan of ck_node */
	int ck_done;
	/* As the scan of ck_node began, in this attempt or the one whose
	 * cursor it goes on from: the slots it served ("0-5460,5462"),
	 * and its config epoch. */
	char *owned;
	long long epoch;
	int carried;		/* owned and epoch are the earlier attempt's */
	pthread_t thread;
};

/* One run of redis.copy: its settings, its scans, and what its threads
 * share. */
struct copy {
	struct rcopy set;	/* its settings */
	struct rcluster *scl, *dcl;	/* a cluster source or target, or NULL */
	struct shard *sh;
	int nsh;
	unsigned char moved[RSLOTS];	/* of a cluster source: a key of the
					 * slot was elsewhere (resharded) */
	long long redirected;	/* keys a target's node sent elsewhere */
	char tag[16];		/* for runjob's own keys on the target */
	struct rguard *guard;	/* the load guard, or NULL */
	int use_dump;		/* the fast path works */
	const char *attempt;	/* RUNJOB_ATTEMPT_ID, for temporary keys */

	pthread_mutex_t lock;	/* guards everything below */
	pthread_cond_t work;	/* a batch was queued, or the end came */
	pthread_cond_t space;	/* a batch was taken or done */
	pthread_cond_t budget;	/* in-flight bytes were given back */
	struct batch *qhead, *qtail;
	size_t queued;
	int scan_done;
	int failed;
	int restore_gone;	/* RESTORE refused: typed from now on */
	long long inflight;
	/* Counts, over every attempt of the step: of the batches retired
	 * in scan order (what a checkpoint records: a later attempt starts
	 * after them), and of every batch done so far (what progress shows). */
	struct counts ck, all;
	long long typed;	/* keys copied type by type */
	int reconnected;	/* a connection was made again: what it had
				 * been sent may or may not have been done */
	int resumed;		/* an earlier attempt copied some keys */
	struct rchanges sbefore, dbefore;	/* when the copy began */
	long long prior_copied;	/* at the checkpoint this attempt began at */
};

/* copy.c */
/* Stop the copy, saying why (the first failure only), and wake every
 * thread that waits on it. */
void fail(struct copy *cp, const char *msg);
/* Whether the copy failed, read under the lock that fail() takes: for
 * a thread other than the workers, while they run. */
int copy_failed(struct copy *cp);
/* Hand b to the workers, keeping it on *head..*tail until it is done.
 * Called with the lock held. */
void enqueue(struct copy *cp, struct batch *b, struct batch **head,
	struct batch **tail);
/* Start the set.rc.connections workers w[] on the queue; stop_workers
 * lets them end once it is empty and waits for them. read_again runs
 * them once per round of slots. */
void start_workers(struct copy *cp, struct worker *w);
void stop_workers(struct copy *cp, struct worker *w);

/* reshard.c */
/* u's value in a checkpoint's list "host:port=value" (sep between
 * entries), to be freed, or NULL. */
char *value_of(const char *list, int sep, const struct rurl *u);
/* Take, for the scan sh of primary u that goes on from an earlier
 * attempt, that attempt's slots and epoch from its checkpoint (owned). */
void carry_owned(struct shard *sh, const char *owned, const struct rurl *u);
/* As the scans begin: each scan's slots and epoch, from the owner of
 * each slot now (owners[]) and the primaries' epochs (base[], set back
 * to an earlier attempt's for a primary whose scan goes on from it). */
void shards_owned(struct copy *cp, const int *owners, long long *base);
/* After the scans: from[] the primary each slot was read from. */
void scanned_from(struct copy *cp, const int *owners, int *from);
/* The primaries' config epochs into epoch[MAX_NODES]; 1 when a slot is
 * migrating or a primary cannot be asked. */
int migrating(struct copy *cp, long long *epoch, char *err, size_t n);
/* After the scans: copy again, with the workers w[], the slots that
 * moved, once the resharding is over. Returns 0, or -1: the copy failed,
 * or the resharding did not end in time. */
int read_again(struct copy *cp, struct worker *w, int *from,
	long long *base);

#endif
