/*
 * guard.h - the load guard of redis.copy, which keeps a copy from a live
 * primary from starving it: a token bucket that every connection to the
 * source takes from before each command (max_ops_per_sec), and the
 * source's INFO read between batches to pause while it is busy
 * (pause_if: used_cpu_percent, replication_lag).
 */
#ifndef RUNJOB_REDIS_GUARD_H
#define RUNJOB_REDIS_GUARD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct rconn;

struct rguard {
	pthread_mutex_t lock;
	double rate;		/* commands a second; 0: no limit */
	double tokens;		/* below 0: taken ahead, to be waited for */
	int64_t last_ns;	/* of the last refill */
	int64_t throttled_ms;	/* when a command last had to wait */
	long long cpu_percent;	/* pause above this; 0: never */
	long long lag_ms;	/* pause at this replication lag; 0: never */
	int64_t polled_ms;	/* when INFO was last read */
	double cpu_s;		/* used_cpu_sys + used_cpu_user then */
	char paused[160];	/* why the copy is paused, or "" */
};

/* Set up g: ops a second (0: none), the pause_if thresholds (0: none). */
void rguard_init(struct rguard *g, long long ops, long long cpu_percent,
	long long lag_ms);
void rguard_free(struct rguard *g);

/* Take n commands' worth from the bucket of the rguard arg, waiting as
 * long as the rate asks. Any thread; the source URL's before hook. */
void rguard_take(void *arg, long long n);

/* Between batches: read the source's INFO on conn (at most once a
 * second) and say whether the copy is to pause, why in g->paused.
 * Returns 1 to pause, 0 to go on, -1 when conn failed (its err). */
int rguard_poll(struct rguard *g, struct rconn *conn);

/* What the progress line adds: ", paused: ..." or ", throttled: ...",
 * or "". */
const char *rguard_state(struct rguard *g, char *buf, size_t n);

#endif
