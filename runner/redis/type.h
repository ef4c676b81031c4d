/*
 * type.h - what the redis built-ins share: the data types, the settings
 * every one of them takes, and copying one key type by type.
 */
#ifndef RUNJOB_REDIS_TYPE_H
#define RUNJOB_REDIS_TYPE_H

#include <stddef.h>

#include "action.h"
#include "conn.h"

enum rtype { RT_STRING, RT_HASH, RT_LIST, RT_SET, RT_ZSET, RT_STREAM,
	RT_NONE, RT_OTHER, RT_COUNT, RT_UNKNOWN = RT_COUNT };

#define RT_ALL ((1u << RT_NONE) - 1)	/* every data type */

extern const char *const rtype_names[RT_COUNT + 1];

/* The type named in a TYPE reply. */
enum rtype rtype_of(const char *name);

/* What both actions read from their settings. */
struct rcommon {
	struct rurl src, dst;
	const char *match;	/* NULL: every key */
	unsigned types;		/* 1 << enum rtype of each wanted type */
	long long batch;	/* keys per round trip */
	long long connections;
	long long io_timeout;	/* ms */
};

/* Read source, target, match, types, batch, connections, io_timeout.
 * Returns 0, or -1 after printing what is wrong. */
int rcommon_read(struct rcommon *rc, const struct acfg *c);
void rcommon_free(struct rcommon *rc);

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

/* What became of a key that was to be copied. */
enum rkey_outcome {
	RK_COPIED,
	RK_SKIPPED,		/* on_conflict: skip, and the target has it */
	RK_CONFLICT,		/* on_conflict: fail, and the target has it */
	RK_GONE,		/* expired or deleted on the source meanwhile */
	RK_LATER,		/* not for rkey_copy_small: copy it alone */
};

enum on_conflict { OC_REPLACE, OC_SKIP, OC_FAIL };

/* Copy one key of the given type element by element, in chunks of
 * about chunk bytes, into the temporary key tmp on the target, which is
 * then given the key's TTL and renamed into place in one transaction:
 * the target never holds part of a key. Returns 0 with *outcome and
 * *bytes (what was written); -1 when a connection failed (it is closed,
 * its message in its err; the caller reconnects and calls again, which
 * starts the key over); -2 when a server refused a command (the message
 * in err, n bytes). */
int rkey_copy_typed(struct rconn *src, struct rconn *dst, const char *key,
	size_t klen, enum rtype type, const char *tmp, enum on_conflict oc,
	int ttl_keep, long long chunk, enum rkey_outcome *outcome,
	long long *bytes, char *err, size_t n);

/* A small key copied by type with others (rkey_copy_small). */
struct rsmall {
	const char *key;
	size_t len;
	enum rtype type;	/* RT_UNKNOWN: asked first */
	enum rkey_outcome outcome;
	long long bytes;
};

/* Copy small keys (none a stream, each well under a chunk) by type, all
 * at once: their types where unknown, then each whole with its TTL in
 * one pipelined round trip, then each written in a MULTI/EXEC of DEL,
 * the write and its TTL, replacing what the target had. Returns 0, -1
 * when a connection failed (calling again redoes them all, which is
 * harmless), -2 when a server refused a command (err). Keys it cannot
 * copy this way (streams, a module's types) get RK_LATER. */
int rkey_copy_small(struct rconn *src, struct rconn *dst, struct rsmall *k,
	size_t n, int ttl_keep, char *err, size_t errlen);

/* Queue the command that reads a whole small key of type t (not a
 * stream): GET, HGETALL, LRANGE, SMEMBERS or ZRANGE ... WITHSCORES. */
void rread_whole(struct rconn *c, const char *key, size_t len,
	enum rtype t);

/* The stream id after id ("ms-seq"), where the next XRANGE starts. */
void rstream_next_id(const char *id, char *out, size_t n);

/* Comparing the two sides (verify.c). */
struct rverify {
	const struct rcommon *rc;
	int full;		/* values, not just types and lengths */
	int both_ways;		/* also look for keys only on the target */
	int ignore_ttl;		/* after a copy with ttl: drop */
	long long rounds;	/* looks at a mismatched key before it counts */
	long long interval_ms;	/* between them */
	long long ttl_tolerance_ms;
	long long checked, mismatched;	/* the outcome */
};

/* Compare, printing a line for each key that differs. Returns 0, or -1
 * when a server could not be read (the message printed). */
int rverify_run(struct rverify *v);

/* "redis 7.0.15" or "valkey 8.0.1", from INFO server text, into buf. */
const char *rserver_name(const char *info, char *buf, size_t n);

/* 1 when key holds the same on both sides (its TTL aside), 0 when not,
 * -1 when a connection failed. Compared element by element. */
int rkey_equal(struct rconn *src, struct rconn *dst, const char *key,
	size_t len);

/* The version of a DUMP payload (its RDB version), or -1. */
int rpayload_version(const char *p, size_t len);

#endif
