/*
 * type.c - the settings and scanning that redis.copy and redis.verify
 * share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "type.h"
#include "util.h"

const char *const rtype_names[RT_COUNT + 1] = {
	"string", "hash", "list", "set", "zset", "stream", "none", "other",
	NULL,
};

enum rtype
rtype_of(const char *name)
{
	int i;

	for (i = 0; i < RT_OTHER; i++)
		if (strcmp(name, rtype_names[i]) == 0)
			return (enum rtype)i;
	return RT_OTHER;
}

static int
read_url(struct rurl *u, const struct acfg *c, const char *name)
{
	const char *v = acfg_str(c, name, NULL);
	char err[512];

	if (!v || !*v)
		return acfg_error(c, name, "is required: the server URL, "
			"redis://[user:password@]host:port/db");
	if (rurl_parse(u, v, err, sizeof(err)) < 0)
		return acfg_error(c, name, "%s", err);
	return 0;
}

int
rcommon_read(struct rcommon *rc, const struct acfg *c)
{
	const char *types = acfg_str(c, "types", NULL);

	memset(rc, 0, sizeof(*rc));
	if (read_url(&rc->src, c, "source") < 0 ||
	    read_url(&rc->dst, c, "target") < 0)
		return -1;
	rc->match = acfg_str(c, "match", NULL);
	/* "*" is every key: no pattern, so that the total is known. */
	if (rc->match && (!*rc->match || strcmp(rc->match, "*") == 0))
		rc->match = NULL;
	if (!types || !*types) {
		rc->types = RT_ALL;
	} else {
		char *copy = xstrdup(types), *save = NULL, *t;

		for (t = strtok_r(copy, ",", &save); t;
		    t = strtok_r(NULL, ",", &save)) {
			enum rtype ty = rtype_of(t);

			if (ty >= RT_NONE) {
				acfg_error(c, "types", "'%s' is not a type; use "
					"string, hash, list, set, zset or stream", t);
				free(copy);
				return -1;
			}
			rc->types |= 1u << ty;
		}
		free(copy);
	}
	if (acfg_int(c, "batch", 500, 1, 100000, &rc->batch) < 0 ||
	    acfg_int(c, "connections", 4, 1, 64, &rc->connections) < 0 ||
	    acfg_duration(c, "io_timeout", 30000, &rc->io_timeout) < 0)
		return -1;
	if (rc->io_timeout < 100)
		return acfg_error(c, "io_timeout", "must be at least 100ms");
	return 0;
}

void
rcommon_free(struct rcommon *rc)
{
	rurl_free(&rc->src);
	rurl_free(&rc->dst);
}

int
rpair_renew(struct rconn *src, struct rconn *dst)
{
	struct rconn *c[2] = { src, dst };
	int i;

	for (i = 0; i < 2; i++)
		if (!c[i]->c)
			action_say("%s; reconnecting", c[i]->err);
	for (i = 0; i < 2; i++)
		if (rconn_reopen(c[i]) < 0)
			return -1;
	return 0;
}

const char *
rpair_err(const struct rconn *src, const struct rconn *dst)
{
	return src->c ? dst->err : src->err;
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
