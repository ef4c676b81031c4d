/*
 * verify.c - the redis.verify built-in, also run by redis.copy
 * when it is done: compare the keys of two servers.
 *
 * Keys are read in pipelined batches from both sides at once: type, TTL
 * and size, then (mode: full) the DUMP payloads. Equal payloads mean
 * equal values; payloads that differ (another server version, another
 * encoding of the same set) and big keys are compared element by
 * element, which also finds what differs. A key that differs is looked
 * at again after `interval`, up to `rounds` looks in all, so that keys a
 * live system changes under the check are not reported as long as they
 * settle.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "buf.h"
#include "clock.h"
#include "units.h"
#include "util.h"

#include "cluster.h"
#include "conn.h"
#include "key.h"
#include "redis.h"
#include "server.h"
#include "settings.h"
#include "verify.h"

enum {
	BIG = 8 << 20,		/* compared element by element, not by DUMP */
	CHUNK = 500,		/* elements per read when comparing */
	/* Read whole on both sides when its payload is no bigger: a
	 * payload is compressed, and what it holds comes back as one reply
	 * object an element, so this is kept small. */
	WHOLE = 16 << 10,
};

static const char *const len_cmds[] = {
	[RT_STRING] = "STRLEN", [RT_HASH] = "HLEN", [RT_LIST] = "LLEN",
	[RT_SET] = "SCARD", [RT_ZSET] = "ZCARD", [RT_STREAM] = "XLEN",
};

/* A key that differs, and how. */
struct miss {
	char *key;
	size_t len;
	char *why;
};

struct verify {
	struct rverify *v;
	struct rconn src, dst;
	struct rcluster *cl[2];	/* a cluster source, target; or NULL */
	struct rpool pool[2];	/* this thread's connections to them */
	int cl_err;		/* a slot map could not be read (said) */
	struct miss *m;		/* found this round */
	size_t nm, capm;
	struct buf sdata, ddata;	/* a batch's payloads, each side */
};

/* A connection to each side, for comparing a key. */
struct rpair {
	struct rconn *src, *dst;
};

/* What one side says of a key. */
struct side {
	enum rtype type;
	long long pttl;
	long long size;		/* its DUMP payload's length; -1: unknown */
	long long len;		/* elements (lengths mode) */
	const char *dump;	/* its DUMP payload (full mode); NULL: none */
	size_t dlen;
	redisReply *whole;	/* the value, read whole (full mode) */
};

static void
differs(struct verify *vf, const char *key, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
differs(struct verify *vf, const char *key, size_t len, const char *fmt, ...)
{
	struct miss *m;
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xgrow(&vf->m, &vf->capm, vf->nm + 1, sizeof(*vf->m));
	m = &vf->m[vf->nm++];
	m->key = xmalloc(len + 1);
	memcpy(m->key, key, len);
	m->key[len] = 0;
	m->len = len;
	m->why = xstrdup(buf);
}

/* Free m[from..n). */
static void
miss_free(struct miss *m, size_t from, size_t n)
{
	size_t i;

	for (i = from; i < n; i++) {
		free(m[i].key);
		free(m[i].why);
	}
}

/* One command on each side, both replies; -1 when either side failed
 * (the message in its err). */
static int
both(struct rpair *p, int argc, const char **argv, const size_t *lens,
	redisReply **a, redisReply **b)
{
	*a = *b = NULL;
	rconn_append(p->src, argc, argv, lens);
	rconn_append(p->dst, argc, argv, lens);
	if (rconn_reply(p->src, a) < 0)
		return -1;
	if (rconn_reply(p->dst, b) < 0) {
		freeReplyObject(*a);
		*a = NULL;
		return -1;
	}
	return 0;
}

typedef int keys_fn(struct verify *, char **, size_t *, size_t);

static int retried(struct verify *vf, keys_fn *fn, char **keys, size_t *lens,
	size_t n);

/* The node of side i (0 the source, 1 the target) that has a key: its
 * slot's primary in a cluster, 0 for a server of its own. */
static int
owner(struct verify *vf, int i, const char *key, size_t len)
{
	return vf->cl[i] ? rcluster_owner(vf->cl[i], rkeyslot(key, len)) : 0;
}

/* Put the connection of side i to node out, connected; -1 when it
 * cannot be (the message in its err). */
static int
use_node(struct verify *vf, int i, int node)
{
	struct rconn *c = i ? &vf->dst : &vf->src;

	if (!vf->cl[i])
		return 0;
	rpool_use(&vf->pool[i], c, node < 0 ? 0 : node);
	return rconn_up(c) || rconn_open_more(c) == 0 ? 0 : -1;
}

/* fn over keys of a cluster, the keys that both sides have on the same
 * nodes together. */
static int
routed(struct verify *vf, keys_fn *fn, char **keys, size_t *lens, size_t n)
{
	char **k = xcalloc(n + 1, sizeof(*k));
	size_t *l = xcalloc(n + 1, sizeof(*l)), i, m, left = n;
	int *o = xcalloc(2 * n + 2, sizeof(*o)), *done = xcalloc(n + 1,
		sizeof(*done)), rc = 0;

	for (i = 0; i < n; i++) {
		o[2 * i] = owner(vf, 0, keys[i], lens[i]);
		o[2 * i + 1] = owner(vf, 1, keys[i], lens[i]);
	}
	while (left && rc == 0) {
		int a = -2, b = -2;

		for (i = m = 0; i < n; i++) {
			if (done[i])
				continue;
			if (a == -2) {
				a = o[2 * i];
				b = o[2 * i + 1];
			}
			if (o[2 * i] != a || o[2 * i + 1] != b)
				continue;
			done[i] = 1;
			k[m] = keys[i];
			l[m++] = lens[i];
		}
		left -= m;
		if (use_node(vf, 0, a) < 0 || use_node(vf, 1, b) < 0)
			rc = -1;
		else
			rc = retried(vf, fn, k, l, m);
	}
	free(k);
	free(l);
	free(o);
	free(done);
	return rc;
}

/* Run fn over keys, on a cluster's nodes by slot. */
static int
with_retry(struct verify *vf, keys_fn *fn, char **keys, size_t *lens,
	size_t n)
{
	if (vf->cl[0] || vf->cl[1])
		return routed(vf, fn, keys, lens, n);
	return retried(vf, fn, keys, lens, n);
}

/* Run fn over keys, again after reconnecting when a server failed. */
static int
retried(struct verify *vf, keys_fn *fn, char **keys, size_t *lens, size_t n)
{
	int tries;

	for (tries = 0; tries < 10; tries++) {
		size_t had = vf->nm;

		if (fn(vf, keys, lens, n) == 0)
			return 0;
		/* What a failed pass found is found again. */
		miss_free(vf->m, had, vf->nm);
		vf->nm = had;
		if (rpair_renew(&vf->src, &vf->dst) < 0)
			return -1;
	}
	return -1;
}

static int
same_reply(const redisReply *a, const redisReply *b)
{
	size_t i;

	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case REDIS_REPLY_INTEGER:
		return a->integer == b->integer;
	case REDIS_REPLY_ARRAY:
		if (a->elements != b->elements)
			return 0;
		for (i = 0; i < a->elements; i++)
			if (!same_reply(a->element[i], b->element[i]))
				return 0;
		return 1;
	case REDIS_REPLY_NIL:
		return 1;
	default:
		return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	}
}

/* Sorted-set scores are equal when they read as the same double: the
 * text may differ between versions ("1" and "1.0"). -0 and 0 differ. */
static int
same_score(const char *a, const char *b)
{
	double x = strtod(a, NULL), y = strtod(b, NULL);

	return x == y && signbit(x) == signbit(y);
}

/* Element by element: what differs, into why; 0 when nothing does. */
static int
compare_values(struct rpair *p, const char *key, size_t klen,
	enum rtype type, char *why, size_t n)
{
	char shown[160], from[24], to[24], cursor[32] = "0", cnt[24];
	char xstart[64] = "-";
	long long at = 0;
	redisReply *a, *b;
	const char *argv[8];
	size_t lens[8], i;
	int argc;

	why[0] = 0;
	snprintf(cnt, sizeof(cnt), "%d", CHUNK);
	for (;;) {
		argc = 0;
		snprintf(from, sizeof(from), "%lld", at);
		snprintf(to, sizeof(to), "%lld", at + (type == RT_STRING ?
			(1 << 20) : CHUNK) - 1);
		switch (type) {
		case RT_STRING:
			argv[argc++] = "GETRANGE";
			break;
		case RT_LIST:
			argv[argc++] = "LRANGE";
			break;
		case RT_ZSET:
			argv[argc++] = "ZRANGE";
			break;
		case RT_STREAM:
			argv[argc++] = "XRANGE";
			break;
		case RT_HASH:
			argv[argc++] = "HSCAN";
			break;
		case RT_SET:
			argv[argc++] = "SSCAN";
			break;
		default:
			return 0;
		}
		argv[argc++] = key;
		if (type == RT_HASH || type == RT_SET) {
			argv[argc++] = cursor;
			argv[argc++] = "COUNT";
			argv[argc++] = cnt;
		} else if (type == RT_STREAM) {
			argv[argc++] = xstart;
			argv[argc++] = "+";
			argv[argc++] = "COUNT";
			argv[argc++] = cnt;
		} else {
			argv[argc++] = from;
			argv[argc++] = to;
			if (type == RT_ZSET)
				argv[argc++] = "WITHSCORES";
		}
		for (i = 0; i < (size_t)argc; i++)
			lens[i] = strlen(argv[i]);
		lens[1] = klen;
		if (type == RT_HASH || type == RT_SET) {
			/* The source's elements, looked up on the target. */
			redisReply *el, *t;

			rconn_append(p->src, argc, argv, lens);
			if (rconn_reply(p->src, &a) < 0)
				return -1;
			if (a->type != REDIS_REPLY_ARRAY) {
				freeReplyObject(a);
				return 0;
			}
			el = a->element[1];
			for (i = 0; i < el->elements; i += type == RT_HASH ? 2 : 1) {
				const char *lv[3] = { type == RT_HASH ? "HGET" :
					"SISMEMBER", key, el->element[i]->str };
				size_t ll[3] = { strlen(lv[0]), klen,
					el->element[i]->len };

				rconn_append(p->dst, 3, lv, ll);
			}
			for (i = 0; i < el->elements; i += type == RT_HASH ? 2 : 1) {
				int ok;

				if (rconn_reply(p->dst, &t) < 0) {
					freeReplyObject(a);
					return -1;
				}
				ok = type == RT_HASH ? t->type == REDIS_REPLY_STRING &&
					t->len == el->element[i + 1]->len &&
					memcmp(t->str, el->element[i + 1]->str,
					t->len) == 0 : t->type == REDIS_REPLY_INTEGER &&
					t->integer == 1;
				if (!ok && !why[0])
					snprintf(why, n, "%s '%s'", type == RT_HASH ?
						"hash field" : "set member",
						rkey_shown(el->element[i]->str,
						el->element[i]->len, shown,
						sizeof(shown)));
				freeReplyObject(t);
			}
			snprintf(cursor, sizeof(cursor), "%s", a->element[0]->str);
			freeReplyObject(a);
			if (why[0] || strcmp(cursor, "0") == 0)
				return why[0] != 0;
			continue;
		}
		if (both(p, argc, argv, lens, &a, &b) < 0)
			return -1;
		if (type == RT_STRING) {
			if (!same_reply(a, b)) {
				size_t k = 0;

				while (k < a->len && k < b->len && a->str[k] ==
				    b->str[k])
					k++;
				snprintf(why, n, "string from byte %lld", at +
					(long long)k);
			}
			at += (long long)a->len;
			i = a->len == (1 << 20);
		} else {
			size_t step = type == RT_ZSET ? 2 : 1;

			for (i = 0; i < a->elements && i < b->elements && !why[0];
			    i += step) {
				redisReply *x = a->element[i], *y = b->element[i];

				if (type == RT_LIST && !same_reply(x, y))
					snprintf(why, n, "list element %lld",
						at + (long long)i);
				else if (type == RT_ZSET && (!same_reply(x, y) ||
				    !same_score(a->element[i + 1]->str,
				    b->element[i + 1]->str)))
					snprintf(why, n, "zset member '%s'",
						rkey_shown(x->str, x->len, shown,
						sizeof(shown)));
				else if (type == RT_STREAM && !same_reply(x, y))
					snprintf(why, n, "stream entry %s",
						x->element[0]->str);
			}
			if (!why[0] && a->elements != b->elements)
				snprintf(why, n, "%s from element %lld",
					rtype_names[type], at + (long long)
					(a->elements < b->elements ? a->elements :
					b->elements) / (long long)step);
			if (type == RT_STREAM && a->elements) {
				rstream_next_id(a->element[a->elements -
					1]->element[0]->str, xstart, sizeof(xstart));
				at += (long long)a->elements;
			} else {
				at += (long long)(a->elements / step);
			}
			i = a->elements == (size_t)CHUNK * step;
		}
		freeReplyObject(a);
		freeReplyObject(b);
		if (why[0] || !i)
			return why[0] != 0;
	}
}

/* A stream's metadata: its last id and its groups (name, last delivered
 * id, pending count). 1 when they differ, with why. */
static int
compare_stream_meta(struct rpair *p, const char *key, size_t klen,
	char *why, size_t n)
{
	const char *iv[3] = { "XINFO", "STREAM", key };
	const char *gv[3] = { "XINFO", "GROUPS", key };
	size_t il[3] = { 5, 6, klen };
	redisReply *a, *b, *x, *y;
	const char *const fields[] = { "name", "last-delivered-id", "pending",
		NULL };
	size_t i, f;
	int rc = 0;

	if (both(p, 3, iv, il, &a, &b) < 0)
		return -1;
	for (i = 0; a->type == REDIS_REPLY_ARRAY && i + 1 < a->elements; i += 2)
		if (strcmp(a->element[i]->str, "last-generated-id") == 0)
			break;
	x = a->type == REDIS_REPLY_ARRAY && i + 1 < a->elements ?
		a->element[i + 1] : NULL;
	for (i = 0; b->type == REDIS_REPLY_ARRAY && i + 1 < b->elements; i += 2)
		if (strcmp(b->element[i]->str, "last-generated-id") == 0)
			break;
	y = b->type == REDIS_REPLY_ARRAY && i + 1 < b->elements ?
		b->element[i + 1] : NULL;
	if (x && y && !same_reply(x, y)) {
		snprintf(why, n, "stream last id %s on the source, %s on the "
			"target", x->str, y->str);
		rc = 1;
	}
	freeReplyObject(a);
	freeReplyObject(b);
	if (rc)
		return rc;
	if (both(p, 3, gv, il, &a, &b) < 0)
		return -1;
	if (a->type != REDIS_REPLY_ARRAY || b->type != REDIS_REPLY_ARRAY ||
	    a->elements != b->elements) {
		snprintf(why, n, "stream consumer groups: %zu on the source, %zu "
			"on the target", a->elements, b->elements);
		rc = 1;
	}
	for (i = 0; !rc && i < a->elements; i++) {
		redisReply *ga = a->element[i], *gb = b->element[i];

		for (f = 0; !rc && fields[f]; f++) {
			size_t j, k;

			for (j = 0; j + 1 < ga->elements; j += 2)
				if (strcmp(ga->element[j]->str, fields[f]) == 0)
					break;
			for (k = 0; k + 1 < gb->elements; k += 2)
				if (strcmp(gb->element[k]->str, fields[f]) == 0)
					break;
			if (j + 1 >= ga->elements || k + 1 >= gb->elements ||
			    !same_reply(ga->element[j + 1], gb->element[k + 1])) {
				snprintf(why, n, "stream group %zu: %s", i + 1,
					fields[f]);
				rc = 1;
			}
		}
	}
	freeReplyObject(a);
	freeReplyObject(b);
	return rc;
}

/* Lengths mode's first look at a key: its type and TTL (-2: not
 * there). */
static void
ask_key(struct rconn *c, const char *key, size_t len)
{
	const char *tv[2] = { "TYPE", key }, *pv[2] = { "PTTL", key };
	size_t l[2] = { 4, len };

	rconn_append(c, 2, tv, l);
	rconn_append(c, 2, pv, l);
}

static int
read_key(struct rconn *c, struct side *s)
{
	redisReply *t = NULL, *p = NULL;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (rconn_reply(c, &t) < 0 || rconn_reply(c, &p) < 0)
		goto out;
	s->type = t->type == REDIS_REPLY_STATUS ? rtype_of(t->str) : RT_OTHER;
	s->pttl = p->type == REDIS_REPLY_INTEGER ? p->integer : -1;
	if (s->pttl == -2)
		s->type = RT_NONE;
	s->size = -1;
	rc = 0;
out:
	freeReplyObject(t);
	freeReplyObject(p);
	return rc;
}

/* Both sides have the key, and as far as is known of one type. */
static int
both_have(const struct side *a, const struct side *b)
{
	return a->type != RT_NONE && b->type != RT_NONE &&
		a->type != RT_OTHER && a->type == b->type;
}

/* Lengths mode's second look: the key's length. */
static void
ask_length(struct rconn *c, const char *key, size_t len, const struct side *s)
{
	const char *v[2] = { len_cmds[s->type], key };
	size_t l[2] = { strlen(v[0]), len };

	rconn_append(c, 2, v, l);
}

static int
read_length(struct rconn *c, struct side *s)
{
	redisReply *r;

	if (rconn_reply(c, &r) < 0)
		return -1;
	s->len = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	freeReplyObject(r);
	return 0;
}

static int
same_dump(const struct side *a, const struct side *b)
{
	return a->dump && b->dump && a->dlen == b->dlen &&
		memcmp(a->dump, b->dump, a->dlen) == 0;
}

/* Both sides small and of one type that is read whole, their payloads
 * not the same. */
static int
whole(const struct side *a, const struct side *b)
{
	return a->type == b->type && a->type < RT_STREAM && a->dump &&
		b->dump && a->dlen <= WHOLE && b->dlen <= WHOLE &&
		!same_dump(a, b);
}

/* Full mode's first look, at both sides at once: the type when it is
 * wanted now, the TTL, and the DUMP payload, which is read by runjob and
 * kept only when not over BIG (a bigger key is compared in chunks). */
static int
keep_small(void *arg, size_t i, long long len)
{
	(void)arg;
	(void)i;
	return len <= BIG;
}

static int
look_full(struct verify *vf, char **keys, size_t *lens, size_t n,
	int type_now, struct side *a, struct side *b)
{
	struct rconn *c[2] = { &vf->src, &vf->dst };
	struct buf *data[2] = { &vf->sdata, &vf->ddata };
	struct side *sd[2] = { a, b };
	size_t per = type_now ? 3 : 2, i;
	struct rflat *f = xcalloc(per * n + 1, sizeof(*f));
	int j, rc = -1;

	for (j = 0; j < 2; j++)
		for (i = 0; i < n; i++) {
			const char *tv[2] = { "TYPE", keys[i] };
			const char *pv[2] = { "PTTL", keys[i] };
			const char *dv[2] = { "DUMP", keys[i] };
			size_t l[2] = { 4, lens[i] };

			if (type_now)
				rconn_append(c[j], 2, tv, l);
			rconn_append(c[j], 2, pv, l);
			rconn_append(c[j], 2, dv, l);
		}
	/* Both are sent before either is read, so both servers work. */
	if (rconn_send(c[0]) < 0 || rconn_send(c[1]) < 0)
		goto out;
	for (j = 0; j < 2; j++) {
		buf_reset(data[j]);
		if (rconn_read_flat(c[j], f, per * n, data[j], keep_small, NULL,
		    NULL) < 0)
			goto out;
		for (i = 0; i < n; i++) {
			const struct rflat *x = &f[per * i];
			struct side *s = &sd[j][i];

			memset(s, 0, sizeof(*s));
			s->type = RT_UNKNOWN;
			s->size = -1;
			if (type_now) {
				s->type = x->kind == '+' ? rtype_of(data[j]->s +
					x->off) : RT_OTHER;
				x++;
			}
			s->pttl = x->kind == ':' ? x->integer : -1;
			if (s->pttl == -2 || x[1].kind == 'n')
				s->type = RT_NONE;
			/* data is whole now: pointers into it hold. */
			if (x[1].kind == '$') {
				s->dump = data[j]->s + x[1].off;
				s->dlen = (size_t)x[1].integer;
				s->size = x[1].integer;
			} else if (x[1].kind == 'd') {
				s->size = x[1].integer;	/* too big to keep */
			}
		}
	}
	rc = 0;
out:
	free(f);
	return rc;
}

static int
cmp_str(const void *x, const void *y)
{
	const redisReply *a = *(redisReply *const *)x;
	const redisReply *b = *(redisReply *const *)y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->str, b->str, n);

	return c ? c : a->len < b->len ? -1 : a->len > b->len;
}

static void
sort_whole(redisReply *r, enum rtype t)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2)
		return;
	if (t == RT_SET) {
		qsort(r->element, r->elements, sizeof(*r->element), cmp_str);
	} else if (t == RT_HASH) {
		/* Sort pairs: elements 2i and 2i+1 move together. */
		size_t n = r->elements / 2, i;
		redisReply **pairs = xcalloc(n, 2 * sizeof(*pairs));

		memcpy(pairs, r->element, 2 * n * sizeof(*pairs));
		/* Each element of the sort is a pair; cmp_str reads its
		 * first pointer, the field. */
		qsort(pairs, n, 2 * sizeof(*pairs), cmp_str);
		for (i = 0; i < 2 * n; i++)
			r->element[i] = pairs[i];
		free(pairs);
	}
}

/* Two whole values of type t, read by rread_whole: what differs, into
 * why; 0 when nothing does. */
static int
compare_whole(redisReply *a, redisReply *b, enum rtype t, char *why,
	size_t n)
{
	char shown[160];
	size_t i, step = t == RT_HASH || t == RT_ZSET ? 2 : 1;
	redisReply *x, *y;

	if (t == RT_STRING) {
		if (same_reply(a, b))
			return 0;
		for (i = 0; i < a->len && i < b->len && a->str[i] == b->str[i];
		    i++)
			;
		snprintf(why, n, "string from byte %zu", i);
		return 1;
	}
	if (a->type != REDIS_REPLY_ARRAY || b->type != REDIS_REPLY_ARRAY) {
		/* An error reply: it changed type between the reads. */
		if (same_reply(a, b))
			return 0;
		snprintf(why, n, "%s", rtype_names[t]);
		return 1;
	}
	sort_whole(a, t);
	sort_whole(b, t);
	for (i = 0; i < a->elements || i < b->elements; i += step) {
		/* The first element one side lacks or has otherwise. */
		x = i < a->elements ? a->element[i] : NULL;
		y = i < b->elements ? b->element[i] : NULL;
		if (x && y && same_reply(x, y) && (step == 1 ||
		    (t == RT_ZSET ? same_score(a->element[i + 1]->str,
		    b->element[i + 1]->str) : same_reply(a->element[i + 1],
		    b->element[i + 1]))))
			continue;
		if (!x || (y && t != RT_LIST && cmp_str(&y, &x) < 0))
			x = y;	/* the smaller one is the one missing opposite */
		switch (t) {
		case RT_LIST:
			snprintf(why, n, "list element %zu", i);
			break;
		case RT_SET:
			snprintf(why, n, "set member '%s'", rkey_shown(x->str,
				x->len, shown, sizeof(shown)));
			break;
		case RT_HASH:
			snprintf(why, n, "hash field '%s'", rkey_shown(x->str,
				x->len, shown, sizeof(shown)));
			break;
		default:
			snprintf(why, n, "zset member '%s'", rkey_shown(x->str,
				x->len, shown, sizeof(shown)));
		}
		return 1;
	}
	return 0;
}

/* Compare keys[0..n) (from the source) on both sides; each that differs
 * goes to vf->m. Returns 0, or -1 when a server failed. In full mode a
 * key whose DUMP payloads are equal needs no more; the others are typed
 * and looked inside. */
static int
check_keys(struct verify *vf, char **keys, size_t *lens, size_t n)
{
	const struct rverify *v = vf->v;
	struct rpair pair = { &vf->src, &vf->dst };
	struct side *a = xcalloc(n + 1, sizeof(*a)), *b = xcalloc(n + 1,
		sizeof(*b));
	int type_now = !v->full || v->rc->types != RT_ALL;
	char why[1100];
	size_t i;
	int rc = -1;

	if (v->full) {
		if (look_full(vf, keys, lens, n, type_now, a, b) < 0)
			goto out;
	} else {
		for (i = 0; i < n; i++) {
			ask_key(&vf->src, keys[i], lens[i]);
			ask_key(&vf->dst, keys[i], lens[i]);
		}
		for (i = 0; i < n; i++)
			if (read_key(&vf->src, &a[i]) < 0 ||
			    read_key(&vf->dst, &b[i]) < 0)
				goto out;
		for (i = 0; i < n; i++) {
			if (!both_have(&a[i], &b[i]))
				continue;
			ask_length(&vf->src, keys[i], lens[i], &a[i]);
			ask_length(&vf->dst, keys[i], lens[i], &b[i]);
		}
		for (i = 0; i < n; i++) {
			if (!both_have(&a[i], &b[i]))
				continue;
			if (read_length(&vf->src, &a[i]) < 0 ||
			    read_length(&vf->dst, &b[i]) < 0)
				goto out;
		}
	}
	/* The types of what is not settled yet. */
	for (i = 0; !type_now && i < n; i++) {
		const char *tv[2] = { "TYPE", keys[i] };
		size_t tl[2] = { 4, lens[i] };

		if (a[i].type == RT_NONE || b[i].type == RT_NONE ||
		    same_dump(&a[i], &b[i]))
			continue;
		rconn_append(&vf->src, 2, tv, tl);
		rconn_append(&vf->dst, 2, tv, tl);
	}
	for (i = 0; !type_now && i < n; i++) {
		struct side *x[2] = { &a[i], &b[i] };
		struct rconn *c[2] = { &vf->src, &vf->dst };
		int j;

		if (a[i].type == RT_NONE || b[i].type == RT_NONE ||
		    same_dump(&a[i], &b[i]))
			continue;
		for (j = 0; j < 2; j++) {
			redisReply *t;

			if (rconn_reply(c[j], &t) < 0)
				goto out;
			x[j]->type = t->type == REDIS_REPLY_STATUS ?
				rtype_of(t->str) : RT_OTHER;
			freeReplyObject(t);
		}
	}
	/* Small keys whose payloads differ (another encoding, another
	 * version, or another value): read whole on both sides, together. */
	for (i = 0; v->full && i < n; i++)
		if (whole(&a[i], &b[i])) {
			rread_whole(&vf->src, keys[i], lens[i], a[i].type);
			rread_whole(&vf->dst, keys[i], lens[i], b[i].type);
		}
	for (i = 0; v->full && i < n; i++) {
		if (!whole(&a[i], &b[i]))
			continue;
		a[i].dump = b[i].dump = NULL;
		if (rconn_reply(&vf->src, &a[i].whole) < 0 ||
		    rconn_reply(&vf->dst, &b[i].whole) < 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		const char *k = keys[i];
		size_t kl = lens[i];
		long long tol = v->ttl_tolerance_ms;

		if (a[i].type == RT_NONE)
			continue;	/* gone from the source since the scan */
		if (a[i].type < RT_NONE && !(v->rc->types & (1u << a[i].type)))
			continue;
		if (b[i].type == RT_NONE) {
			differs(vf, k, kl, "missing on the target");
			continue;
		}
		if (a[i].type != b[i].type && !same_dump(&a[i], &b[i])) {
			differs(vf, k, kl, "type %s on the source, %s on the "
				"target", rtype_names[a[i].type],
				rtype_names[b[i].type]);
			continue;
		}
		if (!v->ignore_ttl && ((a[i].pttl < 0) != (b[i].pttl < 0) ||
		    (a[i].pttl >= 0 && llabs(a[i].pttl - b[i].pttl) > tol))) {
			char x[32], y[32];

			snprintf(x, sizeof(x), a[i].pttl < 0 ? "none" : "%lld ms",
				a[i].pttl);
			snprintf(y, sizeof(y), b[i].pttl < 0 ? "none" : "%lld ms",
				b[i].pttl);
			differs(vf, k, kl, "TTL %s on the source, %s on the "
				"target", x, y);
			continue;
		}
		if (!v->full) {
			if (a[i].len != b[i].len)
				differs(vf, k, kl, "length %lld on the source, "
					"%lld on the target", a[i].len, b[i].len);
			continue;
		}
		if (same_dump(&a[i], &b[i]))
			continue;
		if (a[i].whole && b[i].whole) {
			if (compare_whole(a[i].whole, b[i].whole, a[i].type, why,
			    sizeof(why)))
				differs(vf, k, kl, "value differs (%s)", why);
			continue;
		}
		/* Too big to hold, or a stream: look inside, in chunks. */
		switch (compare_values(&pair, k, kl, a[i].type, why,
		    sizeof(why))) {
		case -1:
			goto out;
		case 1:
			differs(vf, k, kl, "value differs (%s)", why);
			continue;
		}
		if (a[i].type == RT_STREAM) {
			int r = compare_stream_meta(&pair, k, kl, why,
				sizeof(why));

			if (r < 0)
				goto out;
			if (r)
				differs(vf, k, kl, "value differs (%s)", why);
		}
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		freeReplyObject(a[i].whole);
		freeReplyObject(b[i].whole);
	}
	free(a);
	free(b);
	return rc;
}

/* Keys of the target that the source lacks. */
static int
check_extra(struct verify *vf, char **keys, size_t *lens, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *tv[2] = { "TYPE", keys[i] };
		size_t tl[2] = { 4, lens[i] };

		rconn_append(&vf->src, 2, tv, tl);
		rconn_append(&vf->dst, 2, tv, tl);
	}
	for (i = 0; i < n; i++) {
		redisReply *a, *b;
		enum rtype tb;

		if (rconn_reply(&vf->src, &a) < 0)
			return -1;
		if (rconn_reply(&vf->dst, &b) < 0) {
			freeReplyObject(a);
			return -1;
		}
		tb = b->type == REDIS_REPLY_STATUS ? rtype_of(b->str) : RT_OTHER;
		if (a->type == REDIS_REPLY_STATUS && strcmp(a->str, "none") == 0 &&
		    tb < RT_NONE && (vf->v->rc->types & (1u << tb)))
			differs(vf, keys[i], lens[i], "only on the target");
		freeReplyObject(a);
		freeReplyObject(b);
	}
	return 0;
}

/* Scanning one side, its batches checked by `connections` workers at
 * once, each with a connection to either side: while one waits for the
 * source, another compares. */
struct pass {
	struct verify *main;	/* its connections scan; the misses end here */
	int extra;		/* looking for keys only on the target */
	pthread_mutex_t lock;	/* guards what follows */
	pthread_cond_t work, space;
	redisReply **q;		/* SCAN replies not yet taken */
	size_t qhead, qlen, qcap;
	int done, failed;
	long long checked;
	size_t differ;
};

struct vworker {
	struct pass *pass;
	struct verify vf;
	pthread_t thread;
};

/* vf's connections to the nodes of a cluster source or target. */
static void
pools_init(struct verify *vf, struct rcluster *const *cl)
{
	int i;

	for (i = 0; i < 2; i++)
		if ((vf->cl[i] = cl[i]))
			rpool_init(&vf->pool[i], cl[i], i ? "target" : "source",
				vf->v->rc->io_timeout);
}

static void
pools_free(struct verify *vf)
{
	if (vf->cl[0])
		rpool_free(&vf->pool[0], &vf->src);
	if (vf->cl[1])
		rpool_free(&vf->pool[1], &vf->dst);
}

static void *
vworker_main(void *arg)
{
	struct vworker *w = arg;
	struct pass *ps = w->pass;

	/* A cluster's nodes are connected to as keys need them. */
	if ((!w->vf.cl[0] && rconn_open_more(&w->vf.src) < 0) ||
	    (!w->vf.cl[1] && rconn_open_more(&w->vf.dst) < 0)) {
		action_say("redis.verify: %s", rpair_err(&w->vf.src,
			&w->vf.dst));
		pthread_mutex_lock(&ps->lock);
		ps->failed = 1;
		pthread_cond_broadcast(&ps->space);
		pthread_mutex_unlock(&ps->lock);
		return NULL;
	}
	for (;;) {
		redisReply *scan, *k;
		char **keys;
		size_t *lens, i, had = w->vf.nm;
		int rc;

		pthread_mutex_lock(&ps->lock);
		while (!ps->qlen && !ps->done && !ps->failed)
			pthread_cond_wait(&ps->work, &ps->lock);
		if (ps->failed || !ps->qlen) {
			pthread_mutex_unlock(&ps->lock);
			break;
		}
		scan = ps->q[ps->qhead];
		ps->qhead = (ps->qhead + 1) % ps->qcap;
		ps->qlen--;
		pthread_cond_signal(&ps->space);
		pthread_mutex_unlock(&ps->lock);

		k = scan->element[1];
		keys = xcalloc(k->elements + 1, sizeof(*keys));
		lens = xcalloc(k->elements + 1, sizeof(*lens));
		for (i = 0; i < k->elements; i++) {
			keys[i] = k->element[i]->str;
			lens[i] = k->element[i]->len;
		}
		rc = with_retry(&w->vf, ps->extra ? check_extra : check_keys,
			keys, lens, k->elements);
		free(keys);
		free(lens);
		pthread_mutex_lock(&ps->lock);
		if (!ps->extra)
			ps->checked += (long long)k->elements;
		ps->differ += w->vf.nm - had;
		if (rc < 0) {
			action_say("redis.verify: %s", rpair_err(&w->vf.src,
				&w->vf.dst));
			ps->failed = 1;
			pthread_cond_broadcast(&ps->space);
		}
		pthread_mutex_unlock(&ps->lock);
		freeReplyObject(scan);
		if (rc < 0)
			break;
	}
	pools_free(&w->vf);
	rconn_close(&w->vf.src);
	rconn_close(&w->vf.dst);
	buf_free(&w->vf.sdata);
	buf_free(&w->vf.ddata);
	return NULL;
}

/* Queue a SCAN reply for the workers, reporting progress; -1 when the
 * pass failed meanwhile. */
static int
push(struct verify *vf, struct pass *ps, redisReply *scan, int64_t *last,
	int64_t started)
{
	pthread_mutex_lock(&ps->lock);
	while (ps->qlen == ps->qcap && !ps->failed)
		pthread_cond_wait(&ps->space, &ps->lock);
	if (ps->failed) {
		pthread_mutex_unlock(&ps->lock);
		freeReplyObject(scan);
		return -1;
	}
	ps->q[(ps->qhead + ps->qlen) % ps->qcap] = scan;
	ps->qlen++;
	pthread_cond_signal(&ps->work);
	if (now_ms() - *last >= 1000) {
		*last = now_ms();
		action_progress("verify: %lld keys checked, %.0f keys/s, "
			"%zu differ so far", vf->v->checked + ps->checked,
			(double)ps->checked * 1000 / (double)(*last - started +
			1), vf->nm + ps->differ);
	}
	pthread_mutex_unlock(&ps->lock);
	return 0;
}

static void
pass_failed(struct pass *ps, const char *err)
{
	action_say("redis.verify: %s", err);
	pthread_mutex_lock(&ps->lock);
	ps->failed = 1;
	pthread_mutex_unlock(&ps->lock);
}

/* Scan each primary of a cluster, a SCAN step of each in turn, so that
 * the workers have keys of every primary at once. A primary a replica
 * took over from is scanned again from the start on that one. */
static void
scan_cluster(struct verify *vf, struct rcluster *cl, struct pass *ps,
	int64_t *last, int64_t started)
{
	const struct rcommon *rc = vf->v->rc;
	int *node = xcalloc(RSLOTS, sizeof(*node)), n, k, left;
	unsigned *slot = xcalloc(RSLOTS, sizeof(*slot));
	struct rconn *c;
	struct rlocate *at;
	unsigned long long *cur;
	char *done;

	n = left = rcluster_shards(cl, node, slot, RSLOTS);
	c = xcalloc((size_t)n + 1, sizeof(*c));
	at = xcalloc((size_t)n + 1, sizeof(*at));
	cur = xcalloc((size_t)n + 1, sizeof(*cur));
	done = xcalloc((size_t)n + 1, 1);
	for (k = 0; k < n; k++) {
		rconn_init(&c[k], rcluster_url(cl, node[k]), cl->role,
			rc->io_timeout);
		rlocate_set(&c[k], &at[k], cl, node[k]);
	}
	while (left) {
		for (k = 0; k < n; k++) {
			unsigned long long was = cur[k];
			const struct rurl *u = c[k].url;
			redisReply *scan;

			if (done[k])
				continue;
			if ((!rconn_up(&c[k]) && rconn_open(&c[k]) < 0) ||
			    rscan(&c[k], rc, &cur[k], rc->batch, &scan) < 0) {
				cur[k] = was;
				if (rconn_reopen(&c[k]) < 0) {
					pass_failed(ps, c[k].err);
					goto out;
				}
				if (c[k].url != u)
					cur[k] = 0;
				continue;
			}
			if (push(vf, ps, scan, last, started) < 0)
				goto out;
			if (cur[k] == 0) {
				done[k] = 1;
				left--;
			}
		}
	}
out:
	for (k = 0; k < n; k++)
		rconn_close(&c[k]);
	free(c);
	free(at);
	free(cur);
	free(done);
	free(node);
	free(slot);
}

static int
scan_side(struct verify *vf, struct rconn *scanner, int extra)
{
	const struct rcommon *rc = vf->v->rc;
	size_t nw = (size_t)rc->connections, i, k;
	struct vworker *w = xcalloc(nw, sizeof(*w));
	struct pass ps;
	unsigned long long cursor = 0;
	int64_t last = now_ms(), started = last;

	memset(&ps, 0, sizeof(ps));
	ps.main = vf;
	ps.extra = extra;
	ps.qcap = nw * 2;
	ps.q = xcalloc(ps.qcap, sizeof(*ps.q));
	pthread_mutex_init(&ps.lock, NULL);
	pthread_cond_init(&ps.work, NULL);
	pthread_cond_init(&ps.space, NULL);
	for (i = 0; i < nw; i++) {
		w[i].pass = &ps;
		w[i].vf.v = vf->v;
		rconn_init(&w[i].vf.src, &rc->src, "source", rc->io_timeout);
		rconn_init(&w[i].vf.dst, &rc->dst, "target", rc->io_timeout);
		pools_init(&w[i].vf, vf->cl);
		if (pthread_create(&w[i].thread, NULL, vworker_main, &w[i]) != 0)
			fatal("cannot start a verifying thread");
	}
	if (vf->cl[extra]) {
		scan_cluster(vf, vf->cl[extra], &ps, &last, started);
		goto join;
	}
	do {
		unsigned long long at = cursor;
		redisReply *scan;

		while (rscan(scanner, rc, &cursor, rc->batch, &scan) < 0) {
			cursor = at;
			if (rpair_renew(&vf->src, &vf->dst) < 0) {
				action_say("redis.verify: %s", scanner->err);
				pthread_mutex_lock(&ps.lock);
				ps.failed = 1;
				pthread_mutex_unlock(&ps.lock);
				goto join;
			}
		}
		if (push(vf, &ps, scan, &last, started) < 0)
			goto join;
	} while (cursor != 0);
join:
	pthread_mutex_lock(&ps.lock);
	ps.done = 1;
	pthread_cond_broadcast(&ps.work);
	pthread_mutex_unlock(&ps.lock);
	for (i = 0; i < nw; i++) {
		pthread_join(w[i].thread, NULL);
		/* Their misses become the pass's. */
		for (k = 0; k < w[i].vf.nm; k++) {
			xgrow(&vf->m, &vf->capm, vf->nm + 1, sizeof(*vf->m));
			vf->m[vf->nm++] = w[i].vf.m[k];
		}
		free(w[i].vf.m);
	}
	while (ps.qlen) {
		freeReplyObject(ps.q[ps.qhead]);
		ps.qhead = (ps.qhead + 1) % ps.qcap;
		ps.qlen--;
	}
	vf->v->checked += ps.checked;
	free(ps.q);
	free(w);
	pthread_mutex_destroy(&ps.lock);
	pthread_cond_destroy(&ps.work);
	pthread_cond_destroy(&ps.space);
	return ps.failed ? -1 : 0;
}

/* The slot maps of a cluster source or target; -1 after saying what
 * is wrong. */
static int
clusters_find(struct verify *vf, struct rcluster **cl)
{
	const struct rurl *u[2] = { &vf->v->rc->src, &vf->v->rc->dst };
	char err[1024];
	int i;

	for (i = 0; i < 2; i++) {
		if (!u[i]->cluster || vf->v->cl[i])
			continue;
		cl[i] = xmalloc(sizeof(*cl[i]));
		if (rcluster_init(cl[i], u[i], i ? "target" : "source",
		    vf->v->rc->io_timeout, err, sizeof(err)) < 0) {
			action_say("redis.verify: %s", err);
			vf->cl_err = 1;
			return -1;
		}
	}
	return 0;
}

int
rverify_run(struct rverify *v)
{
	struct verify vf;
	struct rcluster *cl[2] = { NULL, NULL }, *given[2];
	long long round;
	int rc = -1;
	size_t i;

	memset(&vf, 0, sizeof(vf));
	vf.v = v;
	v->checked = v->mismatched = 0;
	rconn_init(&vf.src, &v->rc->src, "source", v->rc->io_timeout);
	rconn_init(&vf.dst, &v->rc->dst, "target", v->rc->io_timeout);
	if (clusters_find(&vf, cl) < 0)
		goto out;
	for (i = 0; i < 2; i++)
		given[i] = v->cl[i] ? v->cl[i] : cl[i];
	pools_init(&vf, given);
	if ((!given[0] && rconn_open(&vf.src) < 0) ||
	    (!given[1] && rconn_open(&vf.dst) < 0))
		goto out;
	if (scan_side(&vf, &vf.src, 0) < 0)
		goto out;
	if (v->both_ways && scan_side(&vf, &vf.dst, 1) < 0)
		goto out;
	/* Look again at what differed, as a live system may have changed
	 * it between the reads of the two sides. */
	for (round = 1; round < v->rounds && vf.nm; round++) {
		struct miss *was = vf.m;
		size_t nwas = vf.nm;
		char **keys = xcalloc(nwas, sizeof(*keys));
		size_t *lens = xcalloc(nwas, sizeof(*lens));
		struct timespec ts;
		int r = 0;

		action_say("verify: %zu keys differ; looking again in %lld ms "
			"(round %lld of %lld)", nwas, v->interval_ms, round + 1,
			v->rounds);
		ts.tv_sec = v->interval_ms / 1000;
		ts.tv_nsec = (v->interval_ms % 1000) * 1000000;
		nanosleep(&ts, NULL);
		vf.m = NULL;
		vf.nm = vf.capm = 0;
		for (i = 0; i < nwas; i++) {
			keys[i] = was[i].key;
			lens[i] = was[i].len;
		}
		for (i = 0; i < nwas && r == 0; i += (size_t)v->rc->batch) {
			size_t n = nwas - i < (size_t)v->rc->batch ? nwas - i :
				(size_t)v->rc->batch;
			size_t j, nsrc = 0;

			/* Keys only on the target are looked at as such. */
			for (j = i; j < i + n; j++)
				if (strcmp(was[j].why, "only on the target") != 0) {
					keys[i + nsrc] = was[j].key;
					lens[i + nsrc] = was[j].len;
					nsrc++;
				}
			r = with_retry(&vf, check_keys, keys + i, lens + i, nsrc);
			nsrc = 0;
			for (j = i; j < i + n && r == 0; j++)
				if (strcmp(was[j].why, "only on the target") == 0) {
					keys[i + nsrc] = was[j].key;
					lens[i + nsrc] = was[j].len;
					nsrc++;
				}
			if (r == 0 && nsrc)
				r = with_retry(&vf, check_extra, keys + i, lens + i,
					nsrc);
		}
		free(keys);
		free(lens);
		miss_free(was, 0, nwas);
		free(was);
		if (r < 0)
			goto out;
	}
	for (i = 0; i < vf.nm; i++) {
		char shown[400];

		action_say("mismatch: '%s': %s", rkey_shown(vf.m[i].key,
			vf.m[i].len, shown, sizeof(shown)), vf.m[i].why);
	}
	v->mismatched = (long long)vf.nm;
	action_say("verify: %lld keys checked, %lld mismatched", v->checked,
		v->mismatched);
	rc = 0;
out:
	if (rc < 0 && !vf.cl_err)
		action_say("redis.verify: %s", rpair_err(&vf.src,
			&vf.dst));
	pools_free(&vf);
	for (i = 0; i < 2; i++)
		if (cl[i]) {
			rcluster_free(cl[i]);
			free(cl[i]);
		}
	rconn_close(&vf.src);
	rconn_close(&vf.dst);
	buf_free(&vf.sdata);
	buf_free(&vf.ddata);
	miss_free(vf.m, 0, vf.nm);
	free(vf.m);
	return rc;
}

/* A verify goes over the keyspace again on each try: it keeps no
 * checkpoint. */
int
redis_verify_main(const struct acfg *c, const char *checkpoint, int dry)
{
	struct rcommon rc;
	struct rverify v;
	int code = 1;

	(void)checkpoint;
	memset(&v, 0, sizeof(v));
	if (rverify_read(&v, &rc, c) < 0) {
		rcommon_free(&rc);
		return 1;
	}
	if (dry) {
		struct rconn s, d;

		rconn_init(&s, &rc.src, "source", rc.io_timeout);
		rconn_init(&d, &rc.dst, "target", rc.io_timeout);
		if (rconn_open(&s) < 0 || rconn_open(&d) < 0) {
			action_say("redis.verify: %s", rpair_err(&s, &d));
		} else {
			action_say("would compare %s with %s (mode: %s); both "
				"answer", rc.src.shown, rc.dst.shown,
				v.full ? "full" : "lengths");
			code = 0;
		}
		rconn_close(&s);
		rconn_close(&d);
		rcommon_free(&rc);
		return code;
	}
	if (rverify_run(&v) == 0) {
		action_output("KEYS_CHECKED", v.checked);
		action_output("KEYS_MISMATCHED", v.mismatched);
		code = v.mismatched ? 1 : 0;
	}
	rcommon_free(&rc);
	return code;
}

int
rkey_equal(struct rconn *src, struct rconn *dst, const char *key,
	size_t len)
{
	struct rpair pair = { src, dst };
	const char *tv[2] = { "TYPE", key };
	size_t tl[2] = { 4, len };
	redisReply *a, *b;
	enum rtype ta, tb;
	char why[1100];
	int r;

	if (both(&pair, 2, tv, tl, &a, &b) < 0)
		return -1;
	ta = a->type == REDIS_REPLY_STATUS ? rtype_of(a->str) : RT_OTHER;
	tb = b->type == REDIS_REPLY_STATUS ? rtype_of(b->str) : RT_OTHER;
	freeReplyObject(a);
	freeReplyObject(b);
	if (ta != tb || ta >= RT_NONE)
		return 0;
	r = compare_values(&pair, key, len, ta, why, sizeof(why));
	if (r == 0 && ta == RT_STREAM)
		r = compare_stream_meta(&pair, key, len, why, sizeof(why));
	return r < 0 ? -1 : !r;
}
