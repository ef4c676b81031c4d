/*
 * key.c - copying one key type by type: for a target that cannot
 * RESTORE the source's payloads (an older server, RESTORE renamed away)
 * and for keys too big to hold in memory at once.
 *
 * The key is read in chunks (GETRANGE, HSCAN, LRANGE, SSCAN, ZRANGE,
 * XRANGE) and written into a temporary key on the target, which carries
 * a safety TTL so that an interrupted copy leaves nothing behind for
 * long. At the end one MULTI/EXEC gives it the key's TTL and renames it
 * into place, so the target holds either the old value or the whole new
 * one, never part of it. Each chunk's writes are read back only after
 * the next chunk has been asked of the source, so that both servers
 * work at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "util.h"

#include "conn.h"
#include "key.h"
#include "settings.h"

enum {
	SAFETY_TTL_MS = 600000,	/* a temporary key's life between chunks */
	MIN_COUNT = 16,
	MAX_COUNT = 1000,
};

/* A command's arguments, built up one by one. */
struct args {
	const char **v;
	size_t *len;
	size_t n, cap;
};

static void
arg(struct args *a, const char *s, size_t len)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
		a->len = xreallocarray(a->len, a->cap, sizeof(*a->len));
	}
	a->v[a->n] = s;
	a->len[a->n] = len;
	a->n++;
}

static void
args(struct args *a, const char *s)
{
	arg(a, s, strlen(s));
}

/* The state of one key's copy. */
struct kc {
	struct rconn *src, *dst;
	const char *key, *tmp;
	size_t klen;
	long long chunk;	/* bytes per write, about */
	long long count;	/* elements per read, adapted to chunk */
	long long bytes;	/* written */
	int owed;		/* write replies not yet read */
	struct args a;
	char *err;
	size_t errlen;
};

/* -2 with a message for an error reply. */
static int
refused(struct kc *k, const struct rconn *c, const char *cmd,
	const redisReply *r)
{
	char shown[160];

	snprintf(k->err, k->errlen, "%s %s: %s of key '%s': %s", c->role,
		c->url->shown, cmd, rkey_shown(k->key, k->klen, shown,
		sizeof(shown)), rerror_text(r->str));
	return -2;
}

/* Read the replies of the writes sent so far. */
static int
drain(struct kc *k)
{
	while (k->owed > 0) {
		redisReply *r;
		int rc = 0;

		if (rconn_reply(k->dst, &r) < 0)
			return -1;
		k->owed--;
		if (r->type == REDIS_REPLY_ERROR)
			rc = refused(k, k->dst, "writing", r);
		freeReplyObject(r);
		if (rc)
			return rc;
	}
	return 0;
}

/* Send the write in k->a, and renew the temporary key's safety TTL;
 * the replies are read later (drain). */
static void
write_chunk(struct kc *k)
{
	const char *pv[3] = { "PEXPIRE", k->tmp, NULL };
	size_t pl[3] = { 7, strlen(k->tmp), 0 };
	char ttl[24];

	snprintf(ttl, sizeof(ttl), "%d", SAFETY_TTL_MS);
	pv[2] = ttl;
	pl[2] = strlen(ttl);
	rconn_append(k->dst, (int)k->a.n, k->a.v, k->a.len);
	rconn_append(k->dst, 3, pv, pl);
	k->owed += 2;
}

/* Ask the source for one reply. */
static int
ask(struct kc *k, redisReply **r, const char *what)
{
	if (rconn_reply(k->src, r) < 0)
		return -1;
	if ((*r)->type == REDIS_REPLY_ERROR) {
		int rc = refused(k, k->src, what, *r);

		freeReplyObject(*r);
		*r = NULL;
		return rc;
	}
	return 0;
}

/* Grow or shrink the elements per read to keep chunks near k->chunk. */
static void
adapt(struct kc *k, long long got_bytes, size_t got)
{
	if (got_bytes > k->chunk && k->count > MIN_COUNT)
		k->count /= 2;
	else if (got == (size_t)k->count && got_bytes < k->chunk / 4 &&
	    k->count < MAX_COUNT)
		k->count *= 2;
}

static long long
sum_len(redisReply **v, size_t n)
{
	long long s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += (long long)v[i]->len;
	return s;
}

static int
copy_string(struct kc *k)
{
	long long off = 0;

	for (;;) {
		redisReply *r;
		char from[24], to[24];
		int rc;

		snprintf(from, sizeof(from), "%lld", off);
		snprintf(to, sizeof(to), "%lld", off + k->chunk - 1);
		k->a.n = 0;
		args(&k->a, "GETRANGE");
		arg(&k->a, k->key, k->klen);
		args(&k->a, from);
		args(&k->a, to);
		rconn_append(k->src, (int)k->a.n, k->a.v, k->a.len);
		if ((rc = ask(k, &r, "GETRANGE")) < 0)
			return rc;
		if ((rc = drain(k)) < 0) {
			freeReplyObject(r);
			return rc;
		}
		/* An empty string is still a key: SET it once. */
		if (r->len > 0 || off == 0) {
			k->a.n = 0;
			args(&k->a, off == 0 ? "SET" : "APPEND");
			args(&k->a, k->tmp);
			arg(&k->a, r->str ? r->str : "", r->len);
			write_chunk(k);
			k->bytes += (long long)r->len;
		}
		off += (long long)r->len;
		if (r->len < (size_t)k->chunk) {
			freeReplyObject(r);
			return drain(k);
		}
		freeReplyObject(r);
	}
}

/* HSCAN, SSCAN: cursor-driven reads; wcmd writes the elements. */
static int
copy_scanned(struct kc *k, const char *rcmd, const char *wcmd)
{
	char cursor[32] = "0", count[24];

	do {
		redisReply *r, *el;
		int rc;

		snprintf(count, sizeof(count), "%lld", k->count);
		k->a.n = 0;
		args(&k->a, rcmd);
		arg(&k->a, k->key, k->klen);
		args(&k->a, cursor);
		args(&k->a, "COUNT");
		args(&k->a, count);
		rconn_append(k->src, (int)k->a.n, k->a.v, k->a.len);
		if ((rc = ask(k, &r, rcmd)) < 0)
			return rc;
		if ((rc = drain(k)) < 0) {
			freeReplyObject(r);
			return rc;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		el = r->element[1];
		if (el->elements) {
			size_t i;

			k->a.n = 0;
			args(&k->a, wcmd);
			args(&k->a, k->tmp);
			for (i = 0; i < el->elements; i++)
				arg(&k->a, el->element[i]->str,
					el->element[i]->len);
			write_chunk(k);
			k->bytes += sum_len(el->element, el->elements);
			adapt(k, sum_len(el->element, el->elements),
				strcmp(rcmd, "HSCAN") == 0 ? el->elements / 2 :
				el->elements);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return drain(k);
}

/* LRANGE, ZRANGE ... WITHSCORES: reads by position. A sorted set's
 * scores come back as the shortest text that reads back as the same
 * double (inf, -0 included); ZADD takes them as they are. */
static int
copy_ranged(struct kc *k, enum rtype type)
{
	long long at = 0;

	for (;;) {
		redisReply *r;
		char from[24], to[24];
		size_t i, n;
		int rc;

		snprintf(from, sizeof(from), "%lld", at);
		snprintf(to, sizeof(to), "%lld", at + k->count - 1);
		k->a.n = 0;
		args(&k->a, type == RT_LIST ? "LRANGE" : "ZRANGE");
		arg(&k->a, k->key, k->klen);
		args(&k->a, from);
		args(&k->a, to);
		if (type == RT_ZSET)
			args(&k->a, "WITHSCORES");
		rconn_append(k->src, (int)k->a.n, k->a.v, k->a.len);
		if ((rc = ask(k, &r, type == RT_LIST ? "LRANGE" : "ZRANGE")) < 0)
			return rc;
		if ((rc = drain(k)) < 0) {
			freeReplyObject(r);
			return rc;
		}
		n = type == RT_ZSET ? r->elements / 2 : r->elements;
		if (n) {
			k->a.n = 0;
			args(&k->a, type == RT_LIST ? "RPUSH" : "ZADD");
			args(&k->a, k->tmp);
			for (i = 0; i < n; i++) {
				if (type == RT_LIST) {
					arg(&k->a, r->element[i]->str,
						r->element[i]->len);
				} else {
					arg(&k->a, r->element[2 * i + 1]->str,
						r->element[2 * i + 1]->len);
					arg(&k->a, r->element[2 * i]->str,
						r->element[2 * i]->len);
				}
			}
			write_chunk(k);
			k->bytes += sum_len(r->element, r->elements);
		}
		at += (long long)n;
		if (n < (size_t)k->count) {
			freeReplyObject(r);
			return drain(k);
		}
		adapt(k, sum_len(r->element, r->elements), n);
		freeReplyObject(r);
	}
}

/* The field of an XINFO reply (a flat name, value array); NULL. */
static redisReply *
xfield(redisReply *r, const char *name)
{
	size_t i;

	if (!r || r->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1];
	return NULL;
}

void
rstream_next_id(const char *id, char *out, size_t n)
{
	unsigned long long ms = strtoull(id, NULL, 10), seq = 0;
	const char *dash = strchr(id, '-');

	if (dash)
		seq = strtoull(dash + 1, NULL, 10);
	if (seq == ~0ULL)
		snprintf(out, n, "%llu-0", ms + 1);
	else
		snprintf(out, n, "%llu-%llu", ms, seq + 1);
}

/* One command to the target, its reply checked. */
static int
put(struct kc *k, const char *what)
{
	redisReply *r;
	int rc = 0;

	rconn_append(k->dst, (int)k->a.n, k->a.v, k->a.len);
	if (rconn_reply(k->dst, &r) < 0)
		return -1;
	if (r->type == REDIS_REPLY_ERROR)
		rc = refused(k, k->dst, what, r);
	freeReplyObject(r);
	return rc;
}

/* One command to the source, its reply to the caller. */
static int
get(struct kc *k, redisReply **r, const char *what)
{
	rconn_append(k->src, (int)k->a.n, k->a.v, k->a.len);
	return ask(k, r, what);
}

/* A stream: entries, then its last id and counters, its consumer groups,
 * their consumers and pending entries (each with its consumer, idle time
 * and delivery count). */
static int
copy_stream(struct kc *k)
{
	char start[64] = "-", count[24];
	redisReply *info = NULL, *groups = NULL, *r;
	redisReply *last, *added, *maxdel;
	size_t g;
	int rc;

	/* An empty stream made first: a stream may have no entries. */
	k->a.n = 0;
	args(&k->a, "XGROUP");
	args(&k->a, "CREATE");
	args(&k->a, k->tmp);
	args(&k->a, "runjob-empty");
	args(&k->a, "0");
	args(&k->a, "MKSTREAM");
	if ((rc = put(k, "XGROUP CREATE")) < 0)
		return rc;
	k->a.n = 0;
	args(&k->a, "XGROUP");
	args(&k->a, "DESTROY");
	args(&k->a, k->tmp);
	args(&k->a, "runjob-empty");
	if ((rc = put(k, "XGROUP DESTROY")) < 0)
		return rc;
	for (;;) {
		size_t i, j;

		snprintf(count, sizeof(count), "%lld", k->count);
		k->a.n = 0;
		args(&k->a, "XRANGE");
		arg(&k->a, k->key, k->klen);
		args(&k->a, start);
		args(&k->a, "+");
		args(&k->a, "COUNT");
		args(&k->a, count);
		if ((rc = get(k, &r, "XRANGE")) < 0)
			return rc;
		if ((rc = drain(k)) < 0) {
			freeReplyObject(r);
			return rc;
		}
		for (i = 0; i < r->elements; i++) {
			redisReply *e = r->element[i], *f = e->element[1];

			k->a.n = 0;
			args(&k->a, "XADD");
			args(&k->a, k->tmp);
			arg(&k->a, e->element[0]->str, e->element[0]->len);
			for (j = 0; j < f->elements; j++)
				arg(&k->a, f->element[j]->str,
					f->element[j]->len);
			rconn_append(k->dst, (int)k->a.n, k->a.v, k->a.len);
			k->owed++;
			k->bytes += sum_len(f->element, f->elements);
		}
		if (r->elements < (size_t)k->count) {
			freeReplyObject(r);
			break;
		}
		rstream_next_id(r->element[r->elements - 1]->element[0]->str, start,
			sizeof(start));
		freeReplyObject(r);
	}
	if ((rc = drain(k)) < 0)
		return rc;

	k->a.n = 0;
	args(&k->a, "XINFO");
	args(&k->a, "STREAM");
	arg(&k->a, k->key, k->klen);
	if ((rc = get(k, &info, "XINFO STREAM")) < 0)
		return rc;
	last = xfield(info, "last-generated-id");
	added = xfield(info, "entries-added");
	maxdel = xfield(info, "max-deleted-entry-id");
	k->a.n = 0;
	args(&k->a, "XSETID");
	args(&k->a, k->tmp);
	args(&k->a, last && last->str ? last->str : "0-0");
	if (added && maxdel && maxdel->str) {
		char n[32];

		snprintf(n, sizeof(n), "%lld", added->integer);
		args(&k->a, "ENTRIESADDED");
		args(&k->a, n);
		args(&k->a, "MAXDELETEDID");
		args(&k->a, maxdel->str);
		rc = put(k, "XSETID");
	} else {
		rc = put(k, "XSETID");
	}
	freeReplyObject(info);
	if (rc < 0)
		return rc;

	k->a.n = 0;
	args(&k->a, "XINFO");
	args(&k->a, "GROUPS");
	arg(&k->a, k->key, k->klen);
	if ((rc = get(k, &groups, "XINFO GROUPS")) < 0)
		return rc;
	for (g = 0; g < groups->elements && rc == 0; g++) {
		redisReply *gr = groups->element[g];
		redisReply *name = xfield(gr, "name");
		redisReply *ldi = xfield(gr, "last-delivered-id");
		redisReply *read = xfield(gr, "entries-read");
		redisReply *cons = NULL;
		char n[32], pstart[64] = "-";
		size_t c;

		if (!name || !ldi)
			continue;
		k->a.n = 0;
		args(&k->a, "XGROUP");
		args(&k->a, "CREATE");
		args(&k->a, k->tmp);
		arg(&k->a, name->str, name->len);
		args(&k->a, ldi->str);
		if (read && read->type == REDIS_REPLY_INTEGER) {
			snprintf(n, sizeof(n), "%lld", read->integer);
			args(&k->a, "ENTRIESREAD");
			args(&k->a, n);
		}
		if ((rc = put(k, "XGROUP CREATE")) < 0)
			break;
		/* Consumers, also those with nothing pending. */
		k->a.n = 0;
		args(&k->a, "XINFO");
		args(&k->a, "CONSUMERS");
		arg(&k->a, k->key, k->klen);
		arg(&k->a, name->str, name->len);
		if ((rc = get(k, &cons, "XINFO CONSUMERS")) < 0)
			break;
		for (c = 0; c < cons->elements && rc == 0; c++) {
			redisReply *cn = xfield(cons->element[c], "name");

			if (!cn)
				continue;
			k->a.n = 0;
			args(&k->a, "XGROUP");
			args(&k->a, "CREATECONSUMER");
			args(&k->a, k->tmp);
			arg(&k->a, name->str, name->len);
			arg(&k->a, cn->str, cn->len);
			rc = put(k, "XGROUP CREATECONSUMER");
		}
		freeReplyObject(cons);
		/* Pending entries: claimed by the same consumer, with their
		 * idle time and delivery count. */
		while (rc == 0) {
			size_t p;

			k->a.n = 0;
			args(&k->a, "XPENDING");
			arg(&k->a, k->key, k->klen);
			arg(&k->a, name->str, name->len);
			args(&k->a, pstart);
			args(&k->a, "+");
			args(&k->a, "1000");
			if ((rc = get(k, &r, "XPENDING")) < 0)
				break;
			for (p = 0; p < r->elements; p++) {
				redisReply *e = r->element[p];
				char idle[32], tries[32];

				snprintf(idle, sizeof(idle), "%lld",
					e->element[2]->integer);
				snprintf(tries, sizeof(tries), "%lld",
					e->element[3]->integer);
				k->a.n = 0;
				args(&k->a, "XCLAIM");
				args(&k->a, k->tmp);
				arg(&k->a, name->str, name->len);
				arg(&k->a, e->element[1]->str, e->element[1]->len);
				args(&k->a, "0");
				arg(&k->a, e->element[0]->str, e->element[0]->len);
				args(&k->a, "IDLE");
				args(&k->a, idle);
				args(&k->a, "RETRYCOUNT");
				args(&k->a, tries);
				args(&k->a, "FORCE");
				args(&k->a, "JUSTID");
				rconn_append(k->dst, (int)k->a.n, k->a.v,
					k->a.len);
				k->owed++;
			}
			if (r->elements < 1000) {
				freeReplyObject(r);
				break;
			}
			rstream_next_id(r->element[r->elements - 1]->element[0]->str,
				pstart, sizeof(pstart));
			freeReplyObject(r);
			if ((rc = drain(k)) < 0)
				break;
		}
		if (rc == 0)
			rc = drain(k);
	}
	freeReplyObject(groups);
	return rc;
}

/* Give the temporary key the source key's TTL and rename it into place,
 * in one transaction. */
static int
finish(struct kc *k, int ttl_keep, enum on_conflict oc,
	enum rkey_outcome *outcome)
{
	redisReply *r;
	int64_t asked = now_ms();
	long long pttl;
	char ttl[24];
	int rc, has_ttl;

	k->a.n = 0;
	args(&k->a, "PTTL");
	arg(&k->a, k->key, k->klen);
	if ((rc = get(k, &r, "PTTL")) < 0)
		return rc;
	pttl = r->integer;
	freeReplyObject(r);
	/* A TTL goes on from when it was read; PTTL 0 is a key in its last
	 * millisecond, as good as gone. */
	has_ttl = pttl >= 0;
	if (has_ttl)
		pttl -= now_ms() - asked;
	if (pttl == -2 || (ttl_keep && has_ttl && pttl <= 0)) {
		/* Expired or deleted while it was copied: not revived. */
		k->a.n = 0;
		args(&k->a, "DEL");
		args(&k->a, k->tmp);
		*outcome = RK_GONE;
		return put(k, "DEL");
	}
	rconn_appendf(k->dst, "MULTI");
	snprintf(ttl, sizeof(ttl), "%lld", pttl);
	if (ttl_keep && has_ttl)
		rconn_appendf(k->dst, "PEXPIRE %s %s", k->tmp, ttl);
	else
		rconn_appendf(k->dst, "PERSIST %s", k->tmp);
	rconn_appendf(k->dst, "%s %s %b", oc == OC_REPLACE ? "RENAME" :
		"RENAMENX", k->tmp, k->key, k->klen);
	rconn_appendf(k->dst, "EXEC");
	k->owed = 0;
	for (int i = 0; i < 4; i++) {
		if (rconn_reply(k->dst, &r) < 0)
			return -1;
		if (i == 3) {
			redisReply *ren = r->type == REDIS_REPLY_ARRAY &&
				r->elements == 2 ? r->element[1] : NULL;

			if (!ren || ren->type == REDIS_REPLY_ERROR) {
				if (ren && strstr(ren->str, "no such key")) {
					*outcome = RK_GONE;	/* emptied meanwhile */
				} else {
					rc = refused(k, k->dst, "RENAME", ren ? ren :
						r);
				}
			} else if (ren->type == REDIS_REPLY_INTEGER &&
			    ren->integer == 0) {
				*outcome = oc == OC_SKIP ? RK_SKIPPED :
					RK_CONFLICT;
			} else {
				*outcome = RK_COPIED;
			}
		} else if (r->type == REDIS_REPLY_ERROR) {
			rc = refused(k, k->dst, "MULTI", r);
		}
		freeReplyObject(r);
	}
	if (rc == 0 && *outcome != RK_COPIED) {
		k->a.n = 0;
		args(&k->a, "DEL");
		args(&k->a, k->tmp);
		rc = put(k, "DEL");
	}
	return rc;
}

int
rkey_copy_typed(struct rconn *src, struct rconn *dst, const char *key,
	size_t klen, enum rtype type, const char *tmp, enum on_conflict oc,
	int ttl_keep, long long chunk, enum rkey_outcome *outcome,
	long long *bytes, char *err, size_t n)
{
	struct kc k;
	redisReply *r;
	int rc;

	memset(&k, 0, sizeof(k));
	k.src = src;
	k.dst = dst;
	k.key = key;
	k.klen = klen;
	k.tmp = tmp;
	k.chunk = chunk;
	k.count = 128;
	k.err = err;
	k.errlen = n;
	*bytes = 0;
	*outcome = RK_COPIED;
	if (oc != OC_REPLACE) {
		/* Not worth copying what will not be renamed into place; the
		 * rename still decides, in case the key appears meanwhile. */
		k.a.n = 0;
		args(&k.a, "EXISTS");
		arg(&k.a, key, klen);
		rconn_append(dst, (int)k.a.n, k.a.v, k.a.len);
		if (rconn_reply(dst, &r) < 0) {
			rc = -1;
			goto out;
		}
		rc = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
		freeReplyObject(r);
		if (rc) {
			*outcome = oc == OC_SKIP ? RK_SKIPPED : RK_CONFLICT;
			rc = 0;
			goto out;
		}
	}
	k.a.n = 0;
	args(&k.a, "DEL");
	args(&k.a, tmp);
	if ((rc = put(&k, "DEL")) < 0)
		goto out;
	switch (type) {
	case RT_STRING: rc = copy_string(&k); break;
	case RT_HASH: rc = copy_scanned(&k, "HSCAN", "HSET"); break;
	case RT_SET: rc = copy_scanned(&k, "SSCAN", "SADD"); break;
	case RT_LIST:
	case RT_ZSET: rc = copy_ranged(&k, type); break;
	case RT_STREAM: rc = copy_stream(&k); break;
	default:
		snprintf(err, n, "key of an unknown type");
		rc = -2;
	}
	if (rc == 0)
		rc = finish(&k, ttl_keep, oc, outcome);
	/* A key whose type changed while it was read is gone as it was. */
	if (rc == -2 && strstr(err, "WRONGTYPE")) {
		*outcome = RK_GONE;
		rc = 0;
	}
	*bytes = k.bytes;
out:
	free(k.a.v);
	free(k.a.len);
	return rc;
}

void
rread_whole(struct rconn *src, const char *key, size_t len, enum rtype t)
{
	const char *v[5] = { NULL, key, "0", "-1", "WITHSCORES" };
	size_t l[5] = { 0, len, 1, 2, 10 };
	int argc = 2;

	switch (t) {
	case RT_STRING: v[0] = "GET"; break;
	case RT_HASH: v[0] = "HGETALL"; break;
	case RT_SET: v[0] = "SMEMBERS"; break;
	case RT_LIST: v[0] = "LRANGE"; argc = 4; break;
	case RT_ZSET: v[0] = "ZRANGE"; argc = 5; break;
	default: return;
	}
	l[0] = strlen(v[0]);
	rconn_append(src, argc, v, l);
}

/* The command writing it back: a sorted set's reply is member, score
 * pairs, ZADD takes score, member. */
static void
write_whole(struct rconn *dst, struct args *a, const char *key, size_t len,
	enum rtype t, const redisReply *r)
{
	static const char *const cmds[] = { [RT_STRING] = "SET",
		[RT_HASH] = "HSET", [RT_LIST] = "RPUSH", [RT_SET] = "SADD",
		[RT_ZSET] = "ZADD" };
	size_t i;

	a->n = 0;
	args(a, cmds[t]);
	arg(a, key, len);
	if (t == RT_STRING) {
		arg(a, r->str, r->len);
	} else if (t == RT_ZSET) {
		for (i = 0; i + 1 < r->elements; i += 2) {
			arg(a, r->element[i + 1]->str, r->element[i + 1]->len);
			arg(a, r->element[i]->str, r->element[i]->len);
		}
	} else {
		for (i = 0; i < r->elements; i++)
			arg(a, r->element[i]->str, r->element[i]->len);
	}
	rconn_append(dst, (int)a->n, a->v, a->len);
}

int
rkey_copy_small(struct rconn *src, struct rconn *dst, struct rsmall *k,
	size_t n, int ttl_keep, char *err, size_t errlen)
{
	redisReply **val = xcalloc(n + 1, sizeof(*val));
	int64_t *deadline = xcalloc(n + 1, sizeof(*deadline));
	struct args a = {0};
	struct kc kc;
	int64_t asked;
	size_t i, j, sent = 0;
	int rc = -1;

	memset(&kc, 0, sizeof(kc));
	kc.key = "";
	kc.src = src;
	kc.dst = dst;
	kc.err = err;
	kc.errlen = errlen;
	for (i = 0; i < n; i++) {
		const char *tv[2] = { "TYPE", k[i].key };
		size_t tl[2] = { 4, k[i].len };

		if (k[i].type == RT_UNKNOWN)
			rconn_append(src, 2, tv, tl);
	}
	for (i = 0; i < n; i++) {
		redisReply *r;

		if (k[i].type != RT_UNKNOWN)
			continue;
		if (rconn_reply(src, &r) < 0)
			goto out;
		k[i].type = r->type == REDIS_REPLY_STATUS ? rtype_of(r->str) :
			RT_OTHER;
		freeReplyObject(r);
	}
	asked = now_ms();
	for (i = 0; i < n; i++) {
		const char *pv[2] = { "PTTL", k[i].key };
		size_t pl[2] = { 4, k[i].len };

		k[i].outcome = k[i].type == RT_NONE ? RK_GONE :
			k[i].type >= RT_STREAM ? RK_LATER : RK_COPIED;
		if (k[i].outcome != RK_COPIED)
			continue;
		rconn_append(src, 2, pv, pl);
		rread_whole(src, k[i].key, k[i].len, k[i].type);
	}
	for (i = 0; i < n; i++) {
		redisReply *p;

		if (k[i].outcome != RK_COPIED)
			continue;
		if (rconn_reply(src, &p) < 0)
			goto out;
		if (rconn_reply(src, &val[i]) < 0) {
			freeReplyObject(p);
			goto out;
		}
		deadline[i] = p->type == REDIS_REPLY_INTEGER && p->integer >= 0 ?
			asked + p->integer : 0;
		if (p->type == REDIS_REPLY_INTEGER && p->integer == -2)
			k[i].outcome = RK_GONE;
		freeReplyObject(p);
		if (val[i]->type == REDIS_REPLY_ERROR) {
			/* WRONGTYPE: it changed type since it was asked. */
			k[i].outcome = RK_LATER;
		} else if (val[i]->type == REDIS_REPLY_NIL ||
		    (val[i]->type == REDIS_REPLY_ARRAY && !val[i]->elements)) {
			k[i].outcome = RK_GONE;
		}
	}
	for (i = 0; i < n; i++) {
		char ttl[24];
		int64_t left = 0;

		if (k[i].outcome != RK_COPIED)
			continue;
		if (ttl_keep && deadline[i]) {
			left = deadline[i] - now_ms();
			if (left <= 0) {
				k[i].outcome = RK_GONE;	/* not revived */
				continue;
			}
		}
		rconn_appendf(dst, "MULTI");
		rconn_appendf(dst, "DEL %b", k[i].key, k[i].len);
		write_whole(dst, &a, k[i].key, k[i].len, k[i].type, val[i]);
		if (left) {
			snprintf(ttl, sizeof(ttl), "%lld", (long long)left);
			rconn_appendf(dst, "PEXPIRE %b %s", k[i].key, k[i].len,
				ttl);
		}
		rconn_appendf(dst, "EXEC");
		k[i].bytes = val[i]->type == REDIS_REPLY_STRING ?
			(long long)val[i]->len : sum_len(val[i]->element,
			val[i]->elements);
		sent += left ? 5 : 4;
	}
	for (j = 0; j < sent; j++) {
		redisReply *r;

		if (rconn_reply(dst, &r) < 0)
			goto out;
		/* Only EXEC's reply says how the transaction went. */
		if (r->type == REDIS_REPLY_ARRAY) {
			size_t e;

			for (e = 0; e < r->elements; e++)
				if (r->element[e]->type == REDIS_REPLY_ERROR) {
					rc = refused(&kc, dst, "writing",
						r->element[e]);
					freeReplyObject(r);
					goto drain;
				}
		} else if (r->type == REDIS_REPLY_ERROR) {
			rc = refused(&kc, dst, "writing", r);
			freeReplyObject(r);
			goto drain;
		}
		freeReplyObject(r);
	}
	rc = 0;
	goto out;
drain:
	/* The replies still owed are read, so the connection stays in
	 * step for whoever uses it next. */
	while (++j < sent) {
		redisReply *r;

		if (rconn_reply(dst, &r) < 0)
			break;
		freeReplyObject(r);
	}
out:
	for (i = 0; i < n; i++)
		freeReplyObject(val[i]);
	free(val);
	free(deadline);
	free(a.v);
	free(a.len);
	return rc;
}
