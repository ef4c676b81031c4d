/*
 * server.c - what redis.copy and redis.verify ask of the two servers
 * alike: their keys (SCAN), their names and versions, and both
 * connections again after a failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "server.h"

int
rpair_renew(struct rconn *src, struct rconn *dst)
{
	struct rconn *c[2] = { src, dst };
	int i;

	for (i = 0; i < 2; i++)
		if (!rconn_up(c[i]))
			action_say("%s; reconnecting", c[i]->err);
	for (i = 0; i < 2; i++)
		if (rconn_reopen(c[i]) < 0)
			return -1;
	return 0;
}

const char *
rpair_err(const struct rconn *src, const struct rconn *dst)
{
	return rconn_up(src) ? dst->err : src->err;
}

int
rscan(struct rconn *conn, const struct rcommon *rc,
	unsigned long long *cursor, long long count, redisReply **reply)
{
	redisReply *r;
	char cur[32], cnt[32];
	const char *argv[6];
	size_t lens[6];
	int argc = 0;

	snprintf(cur, sizeof(cur), "%llu", *cursor);
	snprintf(cnt, sizeof(cnt), "%lld", count);
	argv[argc++] = "SCAN";
	argv[argc++] = cur;
	if (rc->match) {
		argv[argc++] = "MATCH";
		argv[argc++] = rc->match;
	}
	argv[argc++] = "COUNT";
	argv[argc++] = cnt;
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	rconn_append(conn, argc, argv, lens);
	if (rconn_reply(conn, &r) < 0)
		return -1;
	if (r->type == REDIS_REPLY_ERROR || r->type != REDIS_REPLY_ARRAY ||
	    r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		snprintf(conn->err, sizeof(conn->err), "%s %s: SCAN: %s",
			conn->role, conn->url->shown,
			r->type == REDIS_REPLY_ERROR ? rerror_text(r->str) :
			"unexpected reply");
		freeReplyObject(r);
		return -1;
	}
	errno = 0;
	*cursor = strtoull(r->element[0]->str, NULL, 10);
	*reply = r;
	return 0;
}

int
rpayload_version(const char *p, size_t len)
{
	/* A DUMP payload ends in its RDB version (2 bytes, little endian)
	 * and a CRC64 (8 bytes). */
	if (len < 10)
		return -1;
	return (unsigned char)p[len - 10] | (unsigned char)p[len - 9] << 8;
}

const char *
rserver_name(const char *info, char *buf, size_t n)
{
	char v[64];

	/* Valkey answers redis_version too, with the Redis version it
	 * stands in for; its own is valkey_version. */
	if (*rinfo_field(info, "valkey_version", v, sizeof(v)))
		snprintf(buf, n, "valkey %s", v);
	else if (*rinfo_field(info, "redis_version", v, sizeof(v)))
		snprintf(buf, n, "redis %s", v);
	else
		snprintf(buf, n, "an unknown server");
	return buf;
}
