/*
 * server.h - what redis.copy and redis.verify ask of the two servers
 * alike: their keys (SCAN), their names and versions, and both
 * connections again after a failure.
 */
#ifndef RUNJOB_REDIS_SERVER_H
#define RUNJOB_REDIS_SERVER_H

#include <stddef.h>

#include "conn.h"
#include "settings.h"

/* After a failure on either: connect both sides again, as the one that
 * did not fail may still owe replies to what was sent. Says which
 * failed. Returns 0, or -1 with the message in the err of the side that
 * could not be reached. */
int rpair_renew(struct rconn *src, struct rconn *dst);
/* That err. */
const char *rpair_err(const struct rconn *src, const struct rconn *dst);

/* One SCAN step over the source: the next cursor into *cursor and the
 * keys into *reply (its element[1]). Returns 0 or -1 (conn->err). */
int rscan(struct rconn *conn, const struct rcommon *rc,
	unsigned long long *cursor, long long count, redisReply **reply);

/* "redis 7.0.15" or "valkey 8.0.1", from INFO server text, into buf. */
const char *rserver_name(const char *info, char *buf, size_t n);

/* The version of a DUMP payload (its RDB version), or -1. */
int rpayload_version(const char *p, size_t len);

#endif
