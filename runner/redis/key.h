/*
 * key.h - copying keys type by type (a big one in chunks, small ones
 * together), and the reads redis.verify shares: a small key whole, the
 * next id of a stream.
 */
#ifndef RUNJOB_REDIS_KEY_H
#define RUNJOB_REDIS_KEY_H

#include <stddef.h>

#include "conn.h"
#include "settings.h"

/* What became of a key that was to be copied. */
enum rkey_outcome {
	RK_COPIED,
	RK_SKIPPED,		/* on_conflict: skip, and the target has it */
	RK_CONFLICT,		/* on_conflict: fail, and the target has it */
	RK_GONE,		/* expired or deleted on the source meanwhile */
	RK_LATER,		/* not for rkey_copy_small: copy it alone */
};

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

#endif
