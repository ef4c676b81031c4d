/*
 * verify.h - comparing the keys of two servers: redis.verify, and the
 * check at the end of redis.copy.
 */
#ifndef RUNJOB_REDIS_VERIFY_H
#define RUNJOB_REDIS_VERIFY_H

#include <stddef.h>

#include "conn.h"
#include "settings.h"

/* Compare, printing a line for each key that differs. Returns 0, or -1
 * when a server could not be read (the message printed). */
int rverify_run(struct rverify *v);

/* 1 when key holds the same on both sides (its TTL aside), 0 when not,
 * -1 when a connection failed. Compared element by element. */
int rkey_equal(struct rconn *src, struct rconn *dst, const char *key,
	size_t len);

#endif
