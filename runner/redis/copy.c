/*
 * copy.c - the redis.copy built-in: move a keyspace from one
 * Redis-protocol server to another.
 *
 * One thread scans the source and hands out batches of keys; `connections`
 * workers, each with a connection to either side, copy them. A batch
 * takes two pipelined round trips: PTTL and DUMP of every key on the
 * source, then RESTORE on the target (and, only when `types:` leaves
 * some out, a TYPE of each key first). The workers overlap: while one
 * waits for the source, another writes to the target. Both servers and
 * runjob share the machine, and the source's work a key is what limits
 * the rate: two commands a key, as few as a DUMP/RESTORE copy can send.
 *
 * Keys the target cannot RESTORE, and big keys, are copied type by type
 * (key.c). A big key is found by the length of its DUMP reply, which
 * runjob reads itself (conn.c) and drops as it comes when it is over
 * big_key: memory is bounded by bytes, not keys, without asking each
 * key's size first. A round keeps at most ROUND_BYTES of payloads; a
 * single bigger one borrows from a budget the workers share.
 *
 * The SCAN cursor is checkpointed once every batch before it is done,
 * so that a later attempt starts there; SCAN returns every key present
 * for the whole scan whichever connection asks, so nothing is missed,
 * and what is copied again is at most what was in flight. A cluster
 * source's primaries are scanned each by a thread of its own; slots that
 * move between them meanwhile (a resharding), whose keys both scans can
 * miss, are read again afterwards (reshard.c).
 *
 * The closing check (verify: true) compares every key of the source with
 * the target's, unless the copy shows them equal already: each key went
 * by a RESTORE the target took, and the servers' counts of changes say
 * that nothing else wrote to either during the copy. A check beside the
 * copy, batch by batch, would cost as much and miss a key changed after
 * its batch: only a read at the end, or knowing there was no write, sees
 * that.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "buf.h"
#include "clock.h"
#include "json.h"
#include "ui.h"
#include "units.h"
#include "util.h"

#include "changes.h"
#include "cluster.h"
#include "conn.h"
#include "copy_int.h"
#include "key.h"
#include "redis.h"
#include "guard.h"
#include "server.h"
#include "settings.h"
#include "verify.h"

enum {
	INFLIGHT_BUDGET = 48 << 20,	/* bytes of payloads over ROUND_BYTES
					 * that the workers hold at once */
	ROUND_BYTES = 4 << 20,		/* payloads a round keeps */
	CHUNK_BYTES = 1 << 20,		/* per write when copying by type */
	CHECKPOINT_MS = 500,
	SAMPLE_KEYS = 1000,		/* a dry run's DUMPs, about */
};

/* One worker: a connection to each side and its own scratch. */
struct worker {
	struct copy *cp;
	int no;
	pthread_t thread;
	struct rconn src, dst;
	struct rpool spool, dpool;	/* to a cluster's nodes */
	struct batch *cur;	/* the batch it copies */
	struct buf data;	/* the payloads of its round */
	struct buf text;	/* the RESTORE replies' text */
	long long held;		/* of the shared budget, for a big payload */
	unsigned long long tmpn;	/* temporary keys made */
	char tmp[256];
};

/* Stop the copy: the first failure is the one reported. */
void
fail(struct copy *cp, const char *msg)
{
	pthread_mutex_lock(&cp->lock);
	if (!cp->failed) {
		cp->failed = 1;
		printf("redis.copy: %s\n", msg);
		fflush(stdout);
	}
	pthread_cond_broadcast(&cp->work);
	pthread_cond_broadcast(&cp->space);
	pthread_cond_broadcast(&cp->budget);
	pthread_mutex_unlock(&cp->lock);
}

int
copy_failed(struct copy *cp)
{
	int failed;

	pthread_mutex_lock(&cp->lock);
	failed = cp->failed;
	pthread_mutex_unlock(&cp->lock);
	return failed;
}

static void
take_budget(struct copy *cp, long long n)
{
	pthread_mutex_lock(&cp->lock);
	/* A round bigger than the whole budget waits until it is alone. */
	while (cp->inflight > 0 && cp->inflight + n > INFLIGHT_BUDGET &&
	    !cp->failed)
		pthread_cond_wait(&cp->budget, &cp->lock);
	cp->inflight += n;
	pthread_mutex_unlock(&cp->lock);
}

static void
give_budget(struct copy *cp, long long n)
{
	pthread_mutex_lock(&cp->lock);
	cp->inflight -= n;
	pthread_cond_broadcast(&cp->budget);
	pthread_mutex_unlock(&cp->lock);
}

static void
reconnected(struct copy *cp)
{
	pthread_mutex_lock(&cp->lock);
	cp->reconnected = 1;
	pthread_mutex_unlock(&cp->lock);
}

/* Reconnect both sides after a failure of either (rpair_renew); -1 (and
 * the copy failed) when one cannot be. */
static int
renew(struct worker *w)
{
	if (copy_failed(w->cp))
		return -1;
	reconnected(w->cp);
	if (rpair_renew(&w->src, &w->dst) < 0) {
		fail(w->cp, rpair_err(&w->src, &w->dst));
		return -1;
	}
	return 0;
}

/* Reconnect a failed side; -1 (and the copy failed) when it cannot. */
static int
recover(struct worker *w, struct rconn *rc)
{
	char was[sizeof(rc->err)];

	if (copy_failed(w->cp))
		return -1;
	reconnected(w->cp);
	snprintf(was, sizeof(was), "%s", rc->err);
	printf("%s; reconnecting\n", was);
	fflush(stdout);
	if (rconn_reopen(rc) < 0) {
		fail(w->cp, rc->err);
		return -1;
	}
	return 0;
}

/* A key of a batch, while it is copied. */
struct item {
	const char *key;
	size_t len;
	enum rtype type;	/* RT_UNKNOWN until asked */
	long long size;		/* its DUMP payload's length; -1: unknown */
	int typed;		/* copy it type by type */
	int have;		/* its payload is in the worker's data */
	size_t off;		/* there */
	int64_t deadline;	/* when it expires here; 0: never */
	int state;		/* 0: to do, 1: done, 2 and 3: on the target
				 * already (settle_busy), 3: in a group
				 * (copy_typed_all), 4: another node's (MOVED),
				 * 5: moving to node ask (ASK) */
	int ask;
	int node;		/* of a cluster target: its primary */
};

static void
add(struct counts *c, enum rkey_outcome o, long long bytes)
{
	switch (o) {
	case RK_COPIED: c->copied++; c->bytes += bytes; break;
	case RK_SKIPPED: c->skipped++; break;
	case RK_GONE: c->expired++; break;
	case RK_CONFLICT:
	case RK_LATER: break;
	}
}

/* A key of the worker's batch is done. Only its worker touches the
 * batch's counts until the batch is done, so no lock: the copy's totals
 * take them, under the lock, when it is (sum). */
static void
count(struct worker *w, enum rkey_outcome o, long long bytes)
{
	add(&w->cur->n, o, bytes);
}

/* Add a done batch's counts to into. Called with the lock held. */
static void
sum(struct counts *into, const struct batch *b)
{
	into->copied += b->n.copied;
	into->skipped += b->n.skipped;
	into->expired += b->n.expired;
	into->bytes += b->n.bytes;
	into->keys += b->keys;
	into->restored += b->n.restored;
}

static void
conflict(struct worker *w, const struct item *it)
{
	char k[160], msg[512];

	snprintf(msg, sizeof(msg), "key '%s' is already on the target %s "
		"(on_conflict: fail); remove it there, or set on_conflict: "
		"replace or skip", rkey_shown(it->key, it->len, k, sizeof(k)),
		w->cp->set.rc.dst.shown);
	fail(w->cp, msg);
}

/* When only some types are wanted: the type of each key, to leave the
 * others out before their DUMP. Otherwise a type is asked only of keys
 * copied by type: every command here is paid for on the source, key by
 * key. */
static int
probe_keys(struct worker *w, struct item *it, size_t n)
{
	size_t i;

	for (;;) {
		for (i = 0; i < n; i++) {
			const char *tv[2] = { "TYPE", it[i].key };
			size_t tl[2] = { 4, it[i].len };

			rconn_append(&w->src, 2, tv, tl);
		}
		for (i = 0; i < n; i++) {
			redisReply *t;

			if (rconn_reply(&w->src, &t) < 0)
				break;
			it[i].type = t->type == REDIS_REPLY_STATUS ?
				rtype_of(t->str) : RT_OTHER;
			freeReplyObject(t);
		}
		if (i == n)
			return 0;
		if (recover(w, &w->src) < 0)
			return -1;
	}
}

/* A server said to try again later: drop the connection, and wait a
 * little, as the server would answer the same to a connection made at
 * once (a cluster down until a replica has taken over). */
static void
later(struct rconn *c)
{
	struct timespec ts = { 0, 200 * 1000000L };

	rconn_close(c);
	nanosleep(&ts, NULL);
}

/* A cluster source's node says a key is another's: its slot moved to
 * another primary since the scan began (a resharding). Such a key may
 * be missed by both scans: its slot is read again once the scans end
 * (read_again). */
static int
src_moved(struct worker *w, const char *msg)
{
	struct copy *cp = w->cp;
	unsigned slot;

	if (!cp->scl || (strncmp(msg, "MOVED ", 6) != 0 &&
	    strncmp(msg, "ASK ", 4) != 0))
		return 0;
	slot = (unsigned)strtoul(strchr(msg, ' ') + 1, NULL, 10);
	pthread_mutex_lock(&cp->lock);
	cp->moved[slot & (RSLOTS - 1)] = 1;
	pthread_mutex_unlock(&cp->lock);
	return 1;
}

/* A cluster target's node refused a write of the key as another's
 * (MOVED, in the message err of key.c), or as moving (ASK): it is
 * written again where the slot map, read again, says. */
static int
dst_moved(struct worker *w, const char *err)
{
	struct copy *cp = w->cp;

	if (!cp->dcl || (!strstr(err, ": MOVED ") && !strstr(err, ": ASK ")))
		return 0;
	pthread_mutex_lock(&cp->lock);
	cp->redirected++;
	pthread_mutex_unlock(&cp->lock);
	return 1;
}

/* The type of a key whose type was not asked in round one. */
static int
key_type(struct worker *w, struct item *it)
{
	redisReply *r;

	while (it->type == RT_UNKNOWN) {
		const char *tv[2] = { "TYPE", it->key };
		size_t tl[2] = { 4, it->len };

		rconn_append(&w->src, 2, tv, tl);
		if (rconn_reply(&w->src, &r) < 0) {
			if (recover(w, &w->src) < 0)
				return -1;
		} else if (r->type == REDIS_REPLY_ERROR &&
		    rerror_transient(r->str)) {
			snprintf(w->src.err, sizeof(w->src.err), "source %s: %s",
				w->src.url->shown, rerror_text(r->str));
			freeReplyObject(r);
			later(&w->src);
			if (recover(w, &w->src) < 0)
				return -1;
		} else {
			it->type = r->type == REDIS_REPLY_STATUS ?
				rtype_of(r->str) : RT_OTHER;
			if (r->type == REDIS_REPLY_ERROR && src_moved(w, r->str))
				it->type = RT_NONE;
			freeReplyObject(r);
		}
	}
	return 0;
}

/* Copy a key type by type, reconnecting as needed. */
static int
copy_typed(struct worker *w, struct item *it)
{
	struct copy *cp = w->cp;
	enum rkey_outcome o;
	long long bytes;
	char err[1024];
	int rc;

	if (key_type(w, it) < 0)
		return -1;
	if (it->type == RT_NONE) {
		count(w, RK_GONE, 0);
		return 0;
	}
	if (it->type == RT_OTHER) {
		char k[160];

		/* A module's type: only DUMP/RESTORE can carry it. */
		action_say("key '%s' is of a type runjob cannot copy element by "
			"element (a module's); skipped", rkey_shown(it->key,
			it->len, k, sizeof(k)));
		count(w, RK_SKIPPED, 0);
		return 0;
	}
	/* One name for every try: a try starts by deleting what an
	 * interrupted one left. */
	snprintf(w->tmp, sizeof(w->tmp), "runjob:tmp:%s:%d:%llu%s",
		cp->attempt, w->no, ++w->tmpn, cp->dcl ?
		rslot_tag(rkeyslot(it->key, it->len)) : "");
	for (;;) {
		rc = rkey_copy_typed(&w->src, &w->dst, it->key, it->len,
			it->type, w->tmp, cp->set.oc, cp->set.ttl_keep,
			CHUNK_BYTES, &o, &bytes, err, sizeof(err));
		if (rc == 0)
			break;
		if (rc == -2 && dst_moved(w, err)) {
			it->state = 4;
			return 0;
		}
		if (rc == -2 && strstr(err, ": CLUSTERDOWN")) {
			/* A replica is taking over: the key starts over. */
			later(&w->dst);
			if (renew(w) < 0)
				return -1;
			continue;
		}
		if (rc == -2) {
			fail(cp, err);
			return -1;
		}
		/* The key starts over. */
		if (renew(w) < 0)
			return -1;
	}
	if (o == RK_CONFLICT) {
		conflict(w, it);
		return -1;
	}
	pthread_mutex_lock(&cp->lock);
	cp->typed++;
	pthread_mutex_unlock(&cp->lock);
	count(w, o, bytes);
	return 0;
}

/* Whether to keep a DUMP payload of len bytes that is being read: not
 * one over big_key (that key goes by type), and not more than
 * ROUND_BYTES a round (the rest come in the next round), but always the
 * first, taking what it needs over ROUND_BYTES from the shared budget. */
struct keeping {
	struct worker *w;
	long long kept;
};

static int
keep_payload(void *arg, size_t i, long long len)
{
	struct keeping *k = arg;
	struct copy *cp = k->w->cp;

	(void)i;
	if (len > cp->set.big_key)
		return 0;
	if (k->kept && k->kept + len > ROUND_BYTES)
		return 0;
	if (!k->kept && len > ROUND_BYTES) {
		take_budget(cp, len);
		k->w->held += len;
	}
	k->kept += len;
	return 1;
}

/* Whether one of the replies v[0..n) says to try again later (a
 * server loading its data after a restart): then the connection is
 * closed, to be made again once the server is ready. */
static int
transient(struct worker *w, struct rconn *c, const struct rflat *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].kind == '-' && rerror_transient(w->data.s + v[i].off)) {
			snprintf(c->err, sizeof(c->err), "%s %s: %s", c->role,
				c->url->shown, rerror_text(w->data.s + v[i].off));
			later(c);
			return 1;
		}
	return 0;
}

/* Round one: PTTL and DUMP of the keys to do, each deadline taken from
 * the moment before asking, so that time spent queued never lengthens
 * a TTL. Payloads are read into the worker's data, as keep_payload
 * allows; a key whose payload was not kept stays to do. */
static int
dump_keys(struct worker *w, struct item *it, size_t n)
{
	struct rflat *f = xcalloc(2 * n + 1, sizeof(*f));
	int64_t asked = 0;
	size_t i;
	int rc = -1;

	for (;;) {
		struct keeping k = { .w = w };

		asked = now_ms();
		buf_reset(&w->data);
		for (i = 0; i < n; i++) {
			const char *pv[2] = { "PTTL", it[i].key };
			const char *dv[2] = { "DUMP", it[i].key };
			size_t pl[2] = { 4, it[i].len };
			size_t dl[2] = { 4, it[i].len };

			rconn_append(&w->src, 2, pv, pl);
			rconn_append(&w->src, 2, dv, dl);
		}
		if (rconn_read_flat(&w->src, f, 2 * n, &w->data, keep_payload,
		    &k, NULL) == 0 && !transient(w, &w->src, f, 2 * n))
			break;
		if (w->held) {
			give_budget(w->cp, w->held);
			w->held = 0;
		}
		if (recover(w, &w->src) < 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		const struct rflat *p = &f[2 * i], *d = &f[2 * i + 1];

		it[i].have = 0;
		/* PTTL 0: in its last millisecond, so a deadline of now. */
		it[i].deadline = p->kind == ':' && p->integer >= 0 ?
			asked + p->integer : 0;
		if ((p->kind == ':' && p->integer == -2) || d->kind == 'n') {
			it[i].state = 1;	/* gone since the scan */
			count(w, RK_GONE, 0);
		} else if (d->kind == '-' && src_moved(w, w->data.s + d->off)) {
			it[i].state = 1;
		} else if (d->kind == '-') {
			it[i].typed = 1;	/* DUMP refused: an ACL, a rename */
		} else if (d->kind == 'd' && d->integer > w->cp->set.big_key) {
			it[i].typed = 1;	/* big: in chunks */
			it[i].size = d->integer;
		} else if (d->kind == '$') {
			it[i].have = 1;
			it[i].off = d->off;
			it[i].size = d->integer;
		}
		/* 'd' within big_key: over this round's bytes; next round. */
	}
	rc = 0;
out:
	free(f);
	return rc;
}

/* Why a RESTORE was refused: 1 when the payload cannot be read there
 * (copy the key by type), 2 when RESTORE itself is not available, 0
 * for anything else. */
static int
restore_refused(const char *msg)
{
	if (strstr(msg, "payload version") || strstr(msg, "checksum") ||
	    strstr(msg, "Bad data format"))
		return 1;
	if (strncmp(msg, "ERR unknown command", 19) == 0 ||
	    strncmp(msg, "NOPERM", 6) == 0)
		return 2;
	return 0;
}

/* Keys the target had already (on_conflict: skip or fail). One holding
 * just what the source has is no conflict: an earlier attempt, cut off
 * after its last checkpoint, or a RESTORE whose reply a broken
 * connection lost, copied it. Which is told by the target's DUMP of it. */
static int
settle_busy(struct worker *w, struct item *it, size_t n)
{
	size_t i;
	int same;

	for (;;) {
		for (i = 0; i < n; i++) {
			const char *dv[2] = { "DUMP", it[i].key };
			size_t dl[2] = { 4, it[i].len };

			if (it[i].state == 2)
				rconn_append(&w->dst, 2, dv, dl);
		}
		for (i = 0; i < n; i++) {
			redisReply *r;

			if (it[i].state != 2)
				continue;
			if (rconn_reply(&w->dst, &r) < 0)
				break;
			same = r->type == REDIS_REPLY_STRING &&
				(long long)r->len == it[i].size &&
				memcmp(r->str, w->data.s + it[i].off, r->len) == 0;
			freeReplyObject(r);
			if (same) {
				it[i].state = 1;
				count(w, RK_COPIED, it[i].size);
			} else {
				it[i].state = 3;	/* looked inside below */
			}
		}
		if (i == n)
			break;
		if (recover(w, &w->dst) < 0)
			return -1;
	}
	/* The same value stored another way (a hash table's order) DUMPs
	 * otherwise: compare what they hold. */
	for (i = 0; i < n; i++) {
		if (it[i].state != 3)
			continue;
		while ((same = rkey_equal(&w->src, &w->dst, it[i].key,
		    it[i].len)) < 0)
			if (renew(w) < 0)
				return -1;
		it[i].state = 1;
		if (same) {
			count(w, RK_COPIED, it[i].size);
		} else if (w->cp->set.oc == OC_FAIL) {
			conflict(w, &it[i]);
			return -1;
		} else {
			count(w, RK_SKIPPED, 0);
		}
	}
	return 0;
}

/* A cluster target's node said a key is another's: MOVED after a
 * resharding (the key goes again, where the slot map read again says)
 * or ASK while its slot moves (ask_keys writes it there). */
static int
redirected(struct worker *w, struct item *it, const char *msg)
{
	unsigned slot;

	switch (rcluster_redirect(w->cp->dcl, msg, &slot, &it->ask)) {
	case 'M':
		it->state = 4;
		break;
	case 'A':
		it->state = 5;
		break;
	default:
		return 0;
	}
	pthread_mutex_lock(&w->cp->lock);
	w->cp->redirected++;
	pthread_mutex_unlock(&w->cp->lock);
	return 1;
}

/* RESTORE the keys a node sent elsewhere with ASK on the node their slot
 * is moving to, each after ASKING; what that refuses goes again later,
 * as after a MOVED. */
static void
ask_keys(struct worker *w, struct item *it, size_t n)
{
	struct copy *cp = w->cp;
	size_t i;

	for (i = 0; i < n; i++) {
		struct rconn *c;
		redisReply *a = NULL, *r = NULL;
		long long left = 0;
		char ttl[32];

		if (it[i].state != 5)
			continue;
		it[i].state = 4;
		if (!(c = rpool_get(&w->dpool, it[i].ask)) ||
		    (!rconn_up(c) && rconn_open(c) < 0))
			continue;
		if (cp->set.ttl_keep && it[i].deadline &&
		    (left = it[i].deadline - now_ms()) <= 0) {
			it[i].state = 1;
			count(w, RK_GONE, 0);
			continue;
		}
		snprintf(ttl, sizeof(ttl), "%lld", left);
		rconn_appendf(c, "ASKING");
		rconn_appendf(c, cp->set.oc == OC_REPLACE ?
			"RESTORE %b %s %b REPLACE" : "RESTORE %b %s %b",
			it[i].key, it[i].len, ttl, w->data.s + it[i].off,
			(size_t)it[i].size);
		if (rconn_reply(c, &a) == 0 && rconn_reply(c, &r) == 0 &&
		    r->type == REDIS_REPLY_STATUS) {
			it[i].state = 1;
			count(w, RK_COPIED, it[i].size);
		}
		freeReplyObject(a);
		freeReplyObject(r);
	}
}

/* Round three: RESTORE what was dumped. Keys whose reply was lost to a
 * broken connection are sent again; RESTORE ... REPLACE makes that
 * harmless. */
static int
restore_keys(struct worker *w, struct item *it, size_t n)
{
	struct copy *cp = w->cp;
	struct rflat *f = NULL;
	size_t i, j, nf = 0, got;
	int failed;

	for (;;) {
		size_t sent = 0;

		for (i = 0; i < n; i++) {
			const char *argv[5];
			size_t lens[5];
			char ttl[32];
			long long left = 0;

			if (it[i].state || !it[i].have)
				continue;
			if (cp->set.ttl_keep && it[i].deadline) {
				left = it[i].deadline - now_ms();
				if (left <= 0) {
					/* Expired while in flight: not revived. */
					it[i].state = 1;
					count(w, RK_GONE, 0);
					continue;
				}
			}
			snprintf(ttl, sizeof(ttl), "%lld", left);
			argv[0] = "RESTORE";
			argv[1] = it[i].key;
			argv[2] = ttl;
			argv[3] = w->data.s + it[i].off;
			argv[4] = "REPLACE";
			lens[0] = 7;
			lens[1] = it[i].len;
			lens[2] = strlen(ttl);
			lens[3] = (size_t)it[i].size;
			lens[4] = 7;
			if (rconn_stream(&w->dst,
			    cp->set.oc == OC_REPLACE ? 5 : 4, argv, lens) < 0)
				break;
			sent++;
		}
		if (i < n || rconn_send(&w->dst) < 0) {
			if (recover(w, &w->dst) < 0) {
				free(f);
				return -1;
			}
			continue;
		}
		/* The replies, read by runjob too: a million +OK would be two
		 * million allocations in hiredis. */
		if (nf < sent) {
			free(f);
			f = xcalloc(sent, sizeof(*f));
			nf = sent;
		}
		buf_reset(&w->text);
		failed = rconn_read_flat(&w->dst, f, sent, &w->text, NULL, NULL,
			&got) < 0;
		for (i = 0, j = 0; i < n && j < got; i++) {
			const char *msg;

			if (it[i].state || !it[i].have)
				continue;
			msg = w->text.s + f[j].off;
			if (f[j].kind == '-' && rerror_transient(msg)) {
				/* Restarted and loading, say: this key and the
				 * rest again, once it is ready. */
				snprintf(w->dst.err, sizeof(w->dst.err), "target %s: "
					"%s", cp->set.rc.dst.shown,
					rerror_text(msg));
				later(&w->dst);
				failed = 1;
				break;
			}
			it[i].state = 1;
			if (f[j++].kind != '-') {
				count(w, RK_COPIED, it[i].size);
				w->cur->n.restored++;
			} else if (cp->dcl && redirected(w, &it[i], msg)) {
				continue;
			} else if (strncmp(msg, "BUSYKEY", 7) == 0) {
				it[i].state = 2;	/* settled below */
			} else {
				int why = restore_refused(msg);
				char k[160], text[1024];

				if (why == 0 || cp->set.method == M_DUMP) {
					snprintf(text, sizeof(text), "target %s: "
						"RESTORE of key '%s': %s",
						cp->set.rc.dst.shown,
						rkey_shown(it[i].key, it[i].len,
						k, sizeof(k)), rerror_text(msg));
					free(f);
					fail(cp, text);
					return -1;
				}
				if (why == 2 && !cp->restore_gone) {
					cp->restore_gone = 1;
					printf("target %s refuses RESTORE (%s); copying "
						"type by type from now on\n",
						cp->set.rc.dst.shown,
						rerror_text(msg));
				}
				it[i].state = 0;
				it[i].typed = 1;
				it[i].have = 0;
			}
		}
		if (!failed) {
			free(f);
			ask_keys(w, it, n);
			return settle_busy(w, it, n);
		}
		if (recover(w, &w->dst) < 0) {
			free(f);
			return -1;
		}
	}
}

/* The size (MEMORY USAGE) of keys going by type whose DUMP was not
 * read, to tell the small ones, which can go together. */
static int
size_keys(struct worker *w, struct item *it, size_t n)
{
	size_t i;

	for (;;) {
		for (i = 0; i < n; i++) {
			const char *mv[3] = { "MEMORY", "USAGE", it[i].key };
			size_t ml[3] = { 6, 5, it[i].len };

			if (it[i].size < 0)
				rconn_append(&w->src, 3, mv, ml);
		}
		for (i = 0; i < n; i++) {
			redisReply *m;

			if (it[i].size >= 0)
				continue;
			if (rconn_reply(&w->src, &m) < 0)
				break;
			/* -1 stays for a key gone meanwhile: alone, it is
			 * found gone. */
			if (m->type == REDIS_REPLY_INTEGER)
				it[i].size = m->integer;
			freeReplyObject(m);
		}
		if (i == n)
			return 0;
		if (recover(w, &w->src) < 0)
			return -1;
	}
}

/* Copy the small keys among typed[0..n) together (rkey_copy_small);
 * what it leaves is copied alone. Only when replacing: the others need
 * the rename of copy_typed to decide a conflict. */
static int
copy_typed_all(struct worker *w, struct item *typed, size_t n)
{
	struct copy *cp = w->cp;
	struct rsmall *sm = xcalloc(n + 1, sizeof(*sm));
	size_t *of = xcalloc(n + 1, sizeof(*of));
	size_t i, m = 0;
	char err[1024];
	int rc = -1, r;

	/* Their sizes in memory: a DUMP payload is compressed, and a small
	 * one may still hold a great many elements. */
	for (i = 0; i < n; i++)
		typed[i].size = -1;
	if (cp->set.oc == OC_REPLACE && size_keys(w, typed, n) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (cp->set.oc != OC_REPLACE || typed[i].size < 0 ||
		    typed[i].size > CHUNK_BYTES / 4 || typed[i].type == RT_STREAM)
			continue;
		sm[m].key = typed[i].key;
		sm[m].len = typed[i].len;
		sm[m].type = typed[i].type;
		of[m++] = i;
		typed[i].state = 3;	/* in the group */
	}
	while (m && (r = rkey_copy_small(&w->src, &w->dst, sm, m,
	    cp->set.ttl_keep, err, sizeof(err))) != 0) {
		if (r == -2 && (dst_moved(w, err) || strstr(err,
		    ": CLUSTERDOWN"))) {
			/* Each alone, as copy_typed follows a MOVED. */
			for (i = 0; i < m; i++)
				typed[of[i]].state = 0;
			m = 0;
			break;
		}
		if (r == -2) {
			fail(cp, err);
			goto out;
		}
		if (renew(w) < 0)
			goto out;
	}
	for (i = 0; i < m; i++) {
		if (sm[i].outcome == RK_LATER) {
			typed[of[i]].state = 0;
			typed[of[i]].type = sm[i].type;
			continue;
		}
		pthread_mutex_lock(&cp->lock);
		cp->typed++;
		pthread_mutex_unlock(&cp->lock);
		count(w, sm[i].outcome, sm[i].bytes);
	}
	for (i = 0; i < n; i++)
		if (typed[i].state != 3 && copy_typed(w, &typed[i]) < 0)
			goto out;
	rc = 0;
out:
	free(sm);
	free(of);
	return rc;
}

/* Put the connection to node of pool p out in c, connected. */
static int
use_node(struct worker *w, struct rpool *p, struct rconn *c, int node)
{
	rpool_use(p, c, node);
	if (rconn_up(c) || rconn_open(c) == 0)
		return 0;
	return recover(w, c);
}

/* The primary of a cluster target that owns the slot of key; when none
 * does, the slot map is read again for up to io_timeout. */
static int
owner_of(struct worker *w, const struct item *it)
{
	struct copy *cp = w->cp;
	unsigned slot = rkeyslot(it->key, it->len);
	int64_t until = now_ms() + cp->set.rc.io_timeout;
	char err[512], msg[700];
	int o;

	while ((o = rcluster_owner(cp->dcl, slot)) < 0 && now_ms() < until) {
		struct timespec ts = { 0, 100 * 1000000L };

		nanosleep(&ts, NULL);
		rcluster_refresh(cp->dcl, err, sizeof(err));
	}
	if (o < 0) {
		snprintf(msg, sizeof(msg), "target %s: no primary owns slot %u; "
			"the cluster is not ready (redis-cli --cluster check "
			"says what is wrong)", cp->set.rc.dst.shown, slot);
		fail(cp, msg);
	}
	return o;
}

/* Do fn, restore_keys or copy_typed_all, on it[0..n): on a cluster
 * target, for the keys of each primary (it is sorted by node) on the
 * connection to it. */
static int
routed(struct worker *w, int (*fn)(struct worker *, struct item *, size_t),
	struct item *it, size_t n)
{
	size_t a, b;

	if (!w->cp->dcl)
		return fn(w, it, n);
	for (a = 0; a < n; a = b) {
		for (b = a + 1; b < n && it[b].node == it[a].node; b++)
			;
		if (use_node(w, &w->dpool, &w->dst, it[a].node) < 0 ||
		    fn(w, it + a, b - a) < 0)
			return -1;
	}
	return 0;
}

static int
by_node(const void *x, const void *y)
{
	const struct item *a = x, *b = y;

	return (a->node > b->node) - (a->node < b->node);
}

/* DUMP and RESTORE it[0..n) in rounds, each as many keys as fit in its
 * bytes, then copy by type what must go so: typed[0..ntyped), with room
 * for n more. Keys a cluster's node sent elsewhere go to later. */
static int
copy_items(struct worker *w, struct item *it, size_t n, struct item *typed,
	size_t ntyped, struct item *later, size_t *nlater)
{
	struct copy *cp = w->cp;
	struct item *round = xcalloc(n + 1, sizeof(*round));
	size_t i, m;
	int rc = -1, ok;

	while (n) {
		ok = dump_keys(w, it, n) == 0 && routed(w, restore_keys, it,
			n) == 0;
		if (w->held) {
			give_budget(cp, w->held);
			w->held = 0;
		}
		if (!ok)
			goto out;
		for (i = m = 0; i < n; i++) {
			if (it[i].state == 4)
				later[(*nlater)++] = it[i];
			else if (it[i].typed)
				typed[ntyped++] = it[i];
			else if (it[i].state == 0)
				round[m++] = it[i];	/* not this round's */
		}
		memcpy(it, round, m * sizeof(*it));
		n = m;
	}
	if (cp->dcl)
		qsort(typed, ntyped, sizeof(*typed), by_node);
	if (ntyped && routed(w, copy_typed_all, typed, ntyped) < 0)
		goto out;
	for (i = 0; i < ntyped; i++)
		if (typed[i].state == 4)
			later[(*nlater)++] = typed[i];
	rc = 0;
out:
	free(round);
	return rc;
}

/* Copy to a cluster target: the keys sorted by the primary that owns
 * them, read from the source together and written to each primary on
 * the connection to it (routed); a key a node sent elsewhere (a
 * resharding) goes again once the slot map is read again. */
static int
copy_routed(struct worker *w, struct item *it, size_t n, struct item *typed,
	size_t ntyped)
{
	struct copy *cp = w->cp;
	size_t na = n + ntyped, i, nu, nt, nl;
	/* Room for the keys sent elsewhere after those to copy. */
	struct item *all = xcalloc(2 * na + 1, sizeof(*all));
	struct item *t = xcalloc(2 * na + 1, sizeof(*t));
	char err[512];
	int rc = -1;

	memcpy(all, it, n * sizeof(*it));
	memcpy(all + n, typed, ntyped * sizeof(*typed));
	while (na) {
		for (i = 0; i < na; i++)
			if ((all[i].node = owner_of(w, &all[i])) < 0)
				goto out;
		qsort(all, na, sizeof(*all), by_node);
		for (i = nu = nt = 0; i < na; i++) {
			if (all[i].typed)
				t[nt++] = all[i];
			else
				all[nu++] = all[i];
		}
		nl = 0;
		if (copy_items(w, all, nu, t, nt, all + nu, &nl) < 0)
			goto out;
		memmove(all, all + nu, nl * sizeof(*all));
		for (i = 0; i < nl; i++) {
			all[i].state = 0;
			all[i].have = 0;
		}
		if (nl) {
			rcluster_refresh(cp->dcl, err, sizeof(err));
			if (nl == na) {
				/* Nothing went: a slot still moving. */
				struct timespec ts = { 0, 20 * 1000000L };

				nanosleep(&ts, NULL);
			}
		}
		na = nl;
	}
	rc = 0;
out:
	free(all);
	free(t);
	return rc;
}

static int
copy_batch(struct worker *w, struct batch *b)
{
	struct copy *cp = w->cp;
	redisReply *keys = b->names;
	size_t n = keys->elements, i, j, ntyped = 0;
	struct item *it = xcalloc(n + 1, sizeof(*it));
	struct item *typed = xcalloc(2 * n + 1, sizeof(*typed));
	int rc = -1;

	for (i = 0; i < n; i++) {
		it[i].key = keys->element[i]->str;
		it[i].len = keys->element[i]->len;
		it[i].type = RT_UNKNOWN;
		it[i].size = -1;
	}
	if (cp->set.rc.types != RT_ALL && probe_keys(w, it, n) < 0)
		goto out;
	/* Leave out unwanted types; keys gone since the scan are counted. */
	for (i = j = 0; i < n; i++) {
		if (it[i].type == RT_NONE) {
			count(w, RK_GONE, 0);
			continue;
		}
		if (it[i].type != RT_UNKNOWN && (it[i].type >= RT_NONE ||
		    !(cp->set.rc.types & (1u << it[i].type))))
			continue;
		it[i].typed = !cp->use_dump || cp->restore_gone;
		if (it[i].typed)
			typed[ntyped++] = it[i];
		else
			it[j++] = it[i];
	}
	n = j;
	if (cp->dcl)
		rc = copy_routed(w, it, n, typed, ntyped);
	else
		rc = copy_items(w, it, n, typed, ntyped, NULL, NULL);
out:
	free(it);
	free(typed);
	return rc;
}

/* Put the connection to the primary of a cluster source that scanned
 * the batch, or that now serves its slot, out in w->src. */
static int
source_node(struct worker *w, const struct batch *b)
{
	struct copy *cp = w->cp;
	int node = b->node ? rcluster_node(cp->scl, b->node->host,
		b->node->port) : rcluster_owner(cp->scl, b->slot);
	char msg[600];

	if (node < 0) {
		snprintf(msg, sizeof(msg), "source %s: no primary owns slot "
			"%u; the cluster is not ready (redis-cli --cluster "
			"check says what is wrong)", cp->set.rc.src.shown,
			b->slot);
		fail(cp, msg);
		return -1;
	}
	return use_node(w, &w->spool, &w->src, node);
}

/* The worker's loop: take a batch, copy it, mark it done. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct copy *cp = w->cp;

	/* A cluster's nodes are connected to as batches need them. */
	if (!cp->scl && rconn_open_more(&w->src) < 0) {
		fail(cp, w->src.err);
		return NULL;
	}
	if (!cp->dcl && rconn_open_more(&w->dst) < 0) {
		fail(cp, w->dst.err);
		return NULL;
	}
	for (;;) {
		struct batch *b;

		pthread_mutex_lock(&cp->lock);
		while (!cp->qhead && !cp->scan_done && !cp->failed)
			pthread_cond_wait(&cp->work, &cp->lock);
		if (cp->failed || !cp->qhead) {
			pthread_mutex_unlock(&cp->lock);
			break;
		}
		b = cp->qhead;
		cp->qhead = b->next_q;
		if (!cp->qhead)
			cp->qtail = NULL;
		cp->queued--;
		pthread_mutex_unlock(&cp->lock);

		w->cur = b;
		if (cp->scl && source_node(w, b) < 0)
			break;
		if (copy_batch(w, b) < 0)
			break;
		pthread_mutex_lock(&cp->lock);
		b->done = 1;
		sum(&cp->all, b);
		pthread_cond_broadcast(&cp->space);
		pthread_mutex_unlock(&cp->lock);
	}
	if (cp->scl)
		rpool_free(&w->spool, &w->src);
	if (cp->dcl)
		rpool_free(&w->dpool, &w->dst);
	return NULL;
}

static const char *
version_text(int v, char *buf, size_t n)
{
	if (v < 0)
		snprintf(buf, n, "unknown (no key to DUMP)");
	else
		snprintf(buf, n, "%d", v);
	return buf;
}

/* Before anything is written: what each side runs, and whether the
 * target can RESTORE what the source DUMPs. Sets cp->use_dump. Returns
 * 0, or -1 when the copy cannot go on (method: dump and no fast path,
 * or a server that cannot be reached). */
static int
probe_servers(struct copy *cp, struct rconn *src, struct rconn *dst,
	int dry_run, char *why, size_t whylen)
{
	redisReply *r = NULL, *key = NULL, *dump = NULL;
	char sver[96], dver[96], tmp[300], vbuf[2][32];
	int spv = -1, dpv = -1, restore_ok = 1;

	snprintf(why, whylen, "-");
	if (rconn_cmd(src, &r, "INFO server") < 0)
		return -1;
	rserver_name(r->str, sver, sizeof(sver));
	freeReplyObject(r);
	if (rconn_cmd(dst, &r, "INFO server") < 0)
		return -1;
	rserver_name(r->str, dver, sizeof(dver));
	freeReplyObject(r);

	/* The source's payload version: a DUMP of any key it has. */
	if (rconn_cmd(src, &key, "RANDOMKEY") < 0)
		return -1;
	if (key->type == REDIS_REPLY_STRING) {
		if (rconn_cmd(src, &dump, "DUMP %b", key->str, key->len) < 0) {
			/* DUMP refused on the source: by type only. */
			snprintf(why, whylen, "the source refuses DUMP: %s",
				src->err);
			restore_ok = 0;
			if (!rconn_up(src) && rconn_open(src) < 0)
				goto err;
		} else if (dump->type == REDIS_REPLY_STRING) {
			spv = rpayload_version(dump->str, dump->len);
		}
	}
	/* The target's: DUMP of a key it has, or of one made for the
	 * purpose (not in a dry run, which writes nothing). */
	if (rconn_cmd(dst, &r, "RANDOMKEY") < 0)
		goto err;
	if (r->type == REDIS_REPLY_STRING) {
		redisReply *d;

		if (rconn_cmd(dst, &d, "DUMP %b", r->str, r->len) == 0) {
			if (d->type == REDIS_REPLY_STRING)
				dpv = rpayload_version(d->str, d->len);
			freeReplyObject(d);
		} else if (!rconn_up(dst) && rconn_open(dst) < 0) {
			freeReplyObject(r);
			goto err;
		}
	}
	freeReplyObject(r);
	r = NULL;
	snprintf(tmp, sizeof(tmp), "runjob:probe:%s%s", cp->attempt, cp->tag);
	if (dry_run) {
		/* Is RESTORE there at all? COMMAND INFO answers nil for a
		 * command renamed away. */
		if (rconn_cmd(dst, &r, "COMMAND INFO RESTORE") == 0 &&
		    r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    r->element[0]->type != REDIS_REPLY_ARRAY) {
			restore_ok = 0;
			snprintf(why, whylen, "the target has no RESTORE "
				"command");
		}
		freeReplyObject(r);
		r = NULL;
		if (restore_ok && spv > 0 && dpv > 0 && spv > dpv) {
			restore_ok = 0;
			snprintf(why, whylen, "the source writes payload version "
				"%d, the target reads up to %d", spv, dpv);
		}
	} else if (restore_ok && dump && dump->type == REDIS_REPLY_STRING) {
		/* The real test: RESTORE one of the source's payloads into a
		 * key of runjob's, gone again in 10 s whatever happens. */
		if (rconn_cmd(dst, &r, "RESTORE %s 10000 %b REPLACE", tmp,
		    dump->str, dump->len) < 0) {
			if (!rconn_up(dst)) {
				if (rconn_open(dst) < 0)
					goto err;
			}
			restore_ok = 0;
			snprintf(why, whylen, "the target refused RESTORE: %s",
				dst->err);
		} else {
			redisReply *d;

			freeReplyObject(r);
			r = NULL;
			if (rconn_cmd(dst, &d, "DUMP %s", tmp) == 0) {
				if (d->type == REDIS_REPLY_STRING)
					dpv = rpayload_version(d->str, d->len);
				freeReplyObject(d);
			}
			if (rconn_cmd(dst, &r, "DEL %s", tmp) < 0 &&
			    !rconn_up(dst) && rconn_open(dst) < 0)
				goto err;
		}
		freeReplyObject(r);
		r = NULL;
	}
	action_say("source %s: %s, payload version %s", cp->set.rc.src.shown,
		sver, version_text(spv, vbuf[0], sizeof(vbuf[0])));
	action_say("target %s: %s, payload version %s", cp->set.rc.dst.shown,
		dver, version_text(dpv, vbuf[1], sizeof(vbuf[1])));
	freeReplyObject(key);
	freeReplyObject(dump);
	cp->use_dump = restore_ok && cp->set.method != M_TYPES;
	if (cp->set.method == M_TYPES && restore_ok)
		snprintf(why, whylen, "the job says method: types");
	if (cp->set.method == M_DUMP && !restore_ok) {
		printf("redis.copy: method: dump, but %s; use method: auto or "
			"types\n", why);
		return -1;
	}
	return 0;
err:
	freeReplyObject(key);
	freeReplyObject(dump);
	printf("redis.copy: %s\n", rpair_err(src, dst));
	return -1;
}

/* Read the checkpoint of an earlier attempt. */
struct resume_at {
	unsigned long long cursor;
	char *shards;		/* a cluster's: "host:port=cursor,..." */
	char *owned;		/* "host:port=epoch=slots;..." (struct shard) */
	long long copied, skipped, expired, bytes, processed;
	int done;
};

static void
resume_field(void *arg, const char *name, const char *value)
{
	struct resume_at *at = arg;
	long long v = strtoll(value, NULL, 10);

	if (strcmp(name, "cursor") == 0)
		at->cursor = strtoull(value, NULL, 10);
	else if (strcmp(name, "copied") == 0)
		at->copied = v;
	else if (strcmp(name, "skipped") == 0)
		at->skipped = v;
	else if (strcmp(name, "expired") == 0)
		at->expired = v;
	else if (strcmp(name, "bytes") == 0)
		at->bytes = v;
	else if (strcmp(name, "processed") == 0)
		at->processed = v;
	else if (strcmp(name, "done") == 0)
		at->done = strcmp(value, "1") == 0;
	else if (strcmp(name, "shards") == 0) {
		free(at->shards);
		at->shards = xstrdup(value);
	} else if (strcmp(name, "owned") == 0) {
		free(at->owned);
		at->owned = xstrdup(value);
	}
}

/* The checkpoint: how far each scan went, and the counts. A cluster
 * source's scans are named by their primary, host:port: a cursor is of
 * one server's table, which a replica that took over does not share;
 * "owned" keeps the slots and epoch each scan began with (reshard.c). */
static void
checkpoint(struct copy *cp, int done)
{
	struct buf b = {0}, owned = {0};
	int k;

	buf_addf(&b, "{\"cursor\":\"%llu\",\"copied\":\"%lld\","
		"\"skipped\":\"%lld\",\"expired\":\"%lld\",\"bytes\":\"%lld\","
		"\"processed\":\"%lld\",\"done\":\"%d\"",
		cp->scl || done ? 0 : cp->sh[0].ck_cursor, cp->ck.copied,
		cp->ck.skipped, cp->ck.expired, cp->ck.bytes, cp->ck.keys, done);
	if (cp->scl) {
		buf_adds(&b, ",\"shards\":\"");
		for (k = 0; k < cp->nsh; k++) {
			const struct shard *sh = &cp->sh[k];
			const struct rurl *u = sh->ck_node;

			buf_addf(&b, "%s%s:%d=", k ? "," : "", u->host, u->port);
			if (sh->ck_done)
				buf_adds(&b, "done");
			else
				buf_addf(&b, "%llu", sh->ck_cursor);
			if (sh->owned)
				buf_addf(&owned, "%s%s:%d=%lld=%s", owned.len ?
					";" : "", u->host, u->port, sh->epoch,
					sh->owned);
		}
		buf_adds(&b, "\"");
		if (owned.len)
			buf_addf(&b, ",\"owned\":\"%s\"", owned.s);
	}
	buf_adds(&b, "}");
	action_checkpoint(b.s);
	buf_free(&b);
	buf_free(&owned);
}

/* Drop the batches done in scan order and checkpoint the cursor after
 * the last of them. Called with the lock held. */
static void
advance(struct copy *cp, int64_t now, int64_t *last)
{
	int moved = 0, open = 0, k;

	for (k = 0; k < cp->nsh; k++) {
		struct shard *sh = &cp->sh[k];

		while (sh->phead && sh->phead->done) {
			struct batch *b = sh->phead;

			sh->phead = b->next_p;
			if (!sh->phead)
				sh->ptail = NULL;
			sh->ck_node = b->node;
			sh->ck_cursor = b->next;
			sh->ck_done = b->next == 0;
			sum(&cp->ck, b);
			moved = 1;
			freeReplyObject(b->reply);
			free(b);
		}
		open += !sh->ck_done;
	}
	/* The last one is the checkpoint that says the copy is done. */
	if (moved && open && now - *last >= CHECKPOINT_MS) {
		checkpoint(cp, 0);
		*last = now;
	}
}

static void
progress(struct copy *cp, long long total, int64_t started, int64_t now,
	long long base)
{
	double secs = (double)(now - started) / 1000;
	double rate = secs > 0 ? (double)(cp->all.keys - base) / secs : 0;
	char b[32], eta[48] = "", state[200];

	if (total > 0 && rate > 0 && cp->all.keys < total) {
		char d[32];

		snprintf(eta, sizeof(eta), ", ETA %s", ui_duration((int64_t)
			((double)(total - cp->all.keys) / rate * 1000), d,
			sizeof(d)));
	}
	if (total > 0) {
		/* A bar for the live view: 20 cells, # for what is done. */
		long long done = cp->all.keys < total ? cp->all.keys : total;
		int cells = (int)(done * 20 / total), pct = (int)(done * 100 /
			total);
		char bar[24];

		memset(bar, '#', (size_t)cells);
		memset(bar + cells, '.', (size_t)(20 - cells));
		bar[20] = 0;
		action_progress("[%s] %d%% %lld of %lld keys, %.0f keys/s, %s%s%s",
			bar, pct, cp->all.keys, total, rate,
			format_bytes(cp->all.bytes, b, sizeof(b)), eta,
			rguard_state(cp->guard, state, sizeof(state)));
	}
	else {
		action_progress("%lld keys, %.0f keys/s, %s%s", cp->all.keys,
			rate, format_bytes(cp->all.bytes, b, sizeof(b)),
			rguard_state(cp->guard, state, sizeof(state)));
	}
}

/* What a dry run learns of the source's keys. */
struct estimate {
	long long bytype[RT_COUNT], keys, big, present;
	long long big_bytes;	/* MEMORY USAGE of the big keys */
	long long small_bytes;	/* and of the others, when DUMP fails */
	long long sampled, sample_bytes;	/* DUMPs of a sample */
	long long stride;	/* a DUMP of every stride-th key */
	long long seen;
};

/* The DUMP sizes of the sampled keys of one SCAN reply, want[i] set for
 * each. A DUMP payload is what a copy writes, where MEMORY USAGE counts
 * the server's overhead too, several times a small key's size. */
static int
sample_dumps(struct rconn *src, redisReply *k, const char *want,
	struct estimate *e)
{
	size_t i, n = 0;

	for (i = 0; i < k->elements; i++)
		if (want[i]) {
			const char *dv[2] = { "DUMP", k->element[i]->str };
			size_t dl[2] = { 4, k->element[i]->len };

			rconn_append(src, 2, dv, dl);
			n++;
		}
	for (i = 0; i < n; i++) {
		redisReply *d;

		if (rconn_reply(src, &d) < 0)
			return -1;
		if (d->type == REDIS_REPLY_STRING) {
			e->sampled++;
			e->sample_bytes += (long long)d->len;
		}
		freeReplyObject(d);
	}
	return 0;
}

/* One SCAN reply's keys: type, size, whether the target has them. */
static int
estimate_keys(struct copy *cp, struct rconn *src, struct rconn *dst,
	struct rpool *dp, redisReply *k, struct estimate *e)
{
	char *want = xcalloc(k->elements ? k->elements : 1, 1);
	struct rconn **on = xcalloc(k->elements + 1, sizeof(*on));
	size_t i;
	int r = 0;

	/* On a cluster target, each key is asked of its primary. */
	for (i = 0; i < k->elements; i++) {
		on[i] = dst;
		if (dp && !(on[i] = rpool_get(dp, rcluster_owner(cp->dcl,
		    rkeyslot(k->element[i]->str, k->element[i]->len)))))
			on[i] = dst;
		if (!rconn_up(on[i]) && rconn_open(on[i]) < 0) {
			snprintf(dst->err, sizeof(dst->err), "%s", on[i]->err);
			rconn_close(dst);
			free(want);
			free(on);
			return -1;
		}
	}
	for (i = 0; i < k->elements; i++) {
		const char *tv[2] = { "TYPE", k->element[i]->str };
		const char *mv[3] = { "MEMORY", "USAGE", k->element[i]->str };
		const char *ev[2] = { "EXISTS", k->element[i]->str };
		size_t tl[2] = { 4, k->element[i]->len };
		size_t ml[3] = { 6, 5, k->element[i]->len };
		size_t el[2] = { 6, k->element[i]->len };

		rconn_append(src, 2, tv, tl);
		rconn_append(src, 3, mv, ml);
		rconn_append(on[i], 2, ev, el);
	}
	for (i = 0; i < k->elements && r == 0; i++) {
		redisReply *t, *m, *x;
		enum rtype ty;

		if (rconn_reply(src, &t) < 0 || rconn_reply(src, &m) < 0 ||
		    rconn_reply(on[i], &x) < 0) {
			if (on[i] != dst)
				snprintf(dst->err, sizeof(dst->err), "%s",
					on[i]->err);
			r = -1;
			break;
		}
		ty = t->type == REDIS_REPLY_STATUS ? rtype_of(t->str) : RT_OTHER;
		if (ty < RT_NONE && (cp->set.rc.types & (1u << ty))) {
			long long size = m->type == REDIS_REPLY_INTEGER ?
				m->integer : 0;

			e->bytype[ty]++;
			e->keys++;
			if (size > cp->set.big_key) {
				e->big++;
				e->big_bytes += size;
			} else {
				e->small_bytes += size;
				want[i] = e->seen++ % e->stride == 0;
			}
			e->present += x->type == REDIS_REPLY_INTEGER &&
				x->integer > 0;
		}
		freeReplyObject(t);
		freeReplyObject(m);
		freeReplyObject(x);
	}
	if (r == 0)
		r = sample_dumps(src, k, want, e);
	free(want);
	free(on);
	return r;
}

/* A dry run's scan of one server of the source. */
static int
dry_scan(struct copy *cp, struct rconn *src, struct rconn *dst,
	struct rpool *dp, struct estimate *e)
{
	unsigned long long cursor = 0;

	do {
		redisReply *scan;
		int failed;

		if (rscan(src, &cp->set.rc, &cursor, cp->set.rc.batch,
		    &scan) < 0) {
			printf("redis.copy: %s\n", src->err);
			return 1;
		}
		failed = estimate_keys(cp, src, dst, dp, scan->element[1],
			e) < 0;
		freeReplyObject(scan);
		if (failed) {
			printf("redis.copy: %s\n", rpair_err(src, dst));
			return 1;
		}
	} while (cursor != 0);
	return 0;
}

/* The DBSIZE of conn, or 0. */
static long long
dbsize(struct rconn *conn)
{
	redisReply *r;
	long long n = 0;

	if (rconn_cmd(conn, &r, "DBSIZE") == 0) {
		if (r->type == REDIS_REPLY_INTEGER)
			n = r->integer;
		freeReplyObject(r);
	}
	return n;
}

/* --dry-run: what a copy would do, read without writing anything. */
static int
dry_run(struct copy *cp, struct rconn *src, struct rconn *dst,
	const char *why)
{
	struct estimate e;
	struct rpool dp;
	struct rconn *node = NULL;
	long long bytes, keys = 0;
	int n = 1, k, *ix = NULL, failed = 0;
	unsigned *slot = NULL;
	char b[32], how[128];

	memset(&e, 0, sizeof(e));
	if (cp->dcl)
		rpool_init(&dp, cp->dcl, "target", cp->set.rc.io_timeout);
	/* Each primary of a cluster source, or the source. */
	if (cp->scl) {
		ix = xcalloc(RSLOTS, sizeof(*ix));
		slot = xcalloc(RSLOTS, sizeof(*slot));
		n = rcluster_shards(cp->scl, ix, slot, RSLOTS);
		node = xcalloc((size_t)n, sizeof(*node));
		for (k = 0; k < n; k++) {
			rconn_init(&node[k], rcluster_url(cp->scl, ix[k]),
				"source", cp->set.rc.io_timeout);
			if (rconn_open(&node[k]) < 0) {
				printf("redis.copy: %s\n", node[k].err);
				failed = 1;
			}
		}
	}
	for (k = 0; k < n && !failed; k++)
		keys += dbsize(node ? &node[k] : src);
	/* About SAMPLE_KEYS DUMPs, spread over the whole scan. */
	e.stride = keys > SAMPLE_KEYS ? keys / SAMPLE_KEYS : 1;
	for (k = 0; k < n && !failed; k++)
		failed = dry_scan(cp, node ? &node[k] : src, dst, cp->dcl ?
			&dp : NULL, &e);
	for (k = 0; node && k < n; k++)
		rconn_close(&node[k]);
	free(node);
	free(ix);
	free(slot);
	if (cp->dcl)
		rpool_free(&dp, dst);
	if (failed)
		return 1;
	if (e.sampled) {
		bytes = e.big_bytes + (e.keys - e.big) * e.sample_bytes /
			e.sampled;
		snprintf(how, sizeof(how), "from the DUMP sizes of %lld of the "
			"%lld keys%s", e.sampled, e.keys - e.big, e.big ?
			" that are not big" : "");
	} else {
		bytes = e.big_bytes + e.small_bytes;
		snprintf(how, sizeof(how), "by MEMORY USAGE, which counts the "
			"server's own overhead too");
	}
	action_say("would copy %lld keys (string %lld, hash %lld, list %lld, "
		"set %lld, zset %lld, stream %lld), %lld big keys, about %s "
		"(%lld bytes, %s); fast path: %s%s%s%s", e.keys,
		e.bytype[RT_STRING], e.bytype[RT_HASH], e.bytype[RT_LIST],
		e.bytype[RT_SET], e.bytype[RT_ZSET], e.bytype[RT_STREAM], e.big,
		format_bytes(bytes, b, sizeof(b)), bytes, how,
		cp->use_dump ? "yes" : "no", cp->use_dump ? "" : " (",
		cp->use_dump ? "" : why, cp->use_dump ? "" : ")");
	if (e.present)
		action_say("%lld of these keys are on the target already: "
			"on_conflict: %s", e.present, rconflict_names[cp->set.oc]);
	action_say("nothing was written to the target");
	if (e.present && cp->set.oc == OC_FAIL) {
		printf("redis.copy: the copy would fail: on_conflict: fail and "
			"%lld keys are on the target\n", e.present);
		return 1;
	}
	return 0;
}

/* The target refuses arguments over proto-max-bulk-len: a key whose
 * payload could be larger goes in chunks. */
static void
bound_big_key(struct copy *cp, struct rconn *dst)
{
	redisReply *r;

	if (rconn_cmd(dst, &r, "CONFIG GET proto-max-bulk-len") < 0) {
		if (!rconn_up(dst))
			rconn_open(dst);
		return;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		long long max = strtoll(r->element[1]->str, NULL, 10);

		if (max > 0 && max / 2 < cp->set.big_key)
			cp->set.big_key = max / 2;
	}
	freeReplyObject(r);
}

/* The scanning thread's clock: when it last checkpointed and reported. */
struct ticks {
	int64_t started, last_cp, last_pr;
	long long base;		/* keys done when this attempt began */
	long long total;	/* keys to do; 0: not known */
};

/* Wait up to ms for a batch to be taken or done, then checkpoint and
 * report what is due. Called with the lock held. */
static void
tick(struct copy *cp, struct ticks *tk, long ms)
{
	struct timespec ts;
	int64_t now;

	if (ms) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&cp->space, &cp->lock, &ts);
	}
	now = now_ms();
	advance(cp, now, &tk->last_cp);
	if (now - tk->last_pr >= PROGRESS_MS) {
		progress(cp, tk->total, tk->started, now, tk->base);
		tk->last_pr = now;
	}
}

/* Between batches: while pause_if says the source is busy, scan no
 * further (the workers finish what is queued), reporting progress and
 * saying when the pause begins and ends. */
static int
hold(struct copy *cp, struct shard *sh, struct rconn *src, struct ticks *tk)
{
	int64_t from = 0;
	int p;

	while ((p = rguard_poll(sh->pg, src)) != 0) {
		if (p < 0) {
			/* rscan reconnects, and fails the copy if it cannot. */
			break;
		}
		if (!from) {
			from = now_ms();
			if (cp->scl)
				action_say("pausing the scan of %s: %s",
					src->url->shown, sh->pg->paused);
			else
				action_say("pausing: %s", sh->pg->paused);
		}
		pthread_mutex_lock(&cp->lock);
		tick(cp, tk, 500);
		p = cp->failed;
		pthread_mutex_unlock(&cp->lock);
		if (p)
			return -1;
	}
	if (from) {
		char d[32];

		action_say("going on after a pause of %s",
			ui_duration(now_ms() - from, d, sizeof(d)));
	}
	return 0;
}

/* Queue b for the workers, and at the end of the list *head..*tail of
 * batches not yet done with. Called with the lock held. */
void
enqueue(struct copy *cp, struct batch *b, struct batch **head,
	struct batch **tail)
{
	if (cp->qtail)
		cp->qtail->next_q = b;
	else
		cp->qhead = b;
	cp->qtail = b;
	cp->queued++;
	if (*tail)
		(*tail)->next_p = b;
	else
		*head = b;
	*tail = b;
	pthread_cond_signal(&cp->work);
}

/* Scan a shard (the source, or a primary of a cluster) into the
 * workers' queue, checkpointing and reporting progress as batches
 * finish, until its scan ends. */
static int
scan_shard(struct copy *cp, struct shard *sh, struct rconn *src,
	struct ticks *tk)
{
	size_t max_queued = (size_t)cp->set.rc.connections * 2;
	unsigned long long cursor = sh->cursor;

	if (sh->skip)
		return 0;
	do {
		struct batch *b;
		redisReply *scan;
		unsigned long long next = cursor;

		if (sh->pg && hold(cp, sh, src, tk) < 0)
			return -1;
		while (rscan(src, &cp->set.rc, &next, cp->set.rc.batch,
		    &scan) < 0) {
			const struct rurl *was = src->url;

			printf("%s; reconnecting\n", src->err);
			reconnected(cp);
			if (rconn_reopen(src) < 0) {
				fail(cp, src->err);
				return -1;
			}
			next = cursor;
			if (src->url != was) {
				/* A replica took over: a cursor is of one
				 * server's table, so its scan starts over. */
				action_say("%s took over from %s; scanning it "
					"from the start", src->url->shown,
					was->shown);
				next = cursor = 0;
			}
		}
		b = xcalloc(1, sizeof(*b));
		b->node = src->url;
		b->next = next;
		b->reply = scan;
		b->names = scan->element[1];
		b->keys = (long long)scan->element[1]->elements;
		pthread_mutex_lock(&cp->lock);
		while (cp->queued >= max_queued && !cp->failed)
			tick(cp, tk, 200);
		if (cp->failed) {
			pthread_mutex_unlock(&cp->lock);
			freeReplyObject(scan);
			free(b);
			return -1;
		}
		enqueue(cp, b, &sh->phead, &sh->ptail);
		tick(cp, tk, 0);
		pthread_mutex_unlock(&cp->lock);
		cursor = next;
	} while (cursor != 0);
	return 0;
}

static void *
shard_main(void *arg)
{
	struct shard *sh = arg;

	if (!sh->skip && !rconn_up(&sh->conn) && rconn_open(&sh->conn) < 0 &&
	    rconn_reopen(&sh->conn) < 0)
		fail(sh->cp, sh->conn.err);
	else
		scan_shard(sh->cp, sh, &sh->conn, sh->tk);
	rconn_close(&sh->conn);
	return NULL;
}

/* Batches not yet checkpointed. Called with the lock held. */
static int
pending(const struct copy *cp)
{
	int k;

	for (k = 0; k < cp->nsh; k++)
		if (cp->sh[k].phead)
			return 1;
	return 0;
}

/* Scan the source, each primary of a cluster in a thread of its own,
 * until every batch is done. */
static int
scan_all(struct copy *cp, struct rconn *src, long long total)
{
	struct ticks tk;
	int k, failed;

	tk.started = tk.last_cp = tk.last_pr = now_ms();
	tk.base = cp->all.keys;
	tk.total = total;
	if (!cp->scl) {
		scan_shard(cp, &cp->sh[0], src, &tk);
	} else {
		for (k = 0; k < cp->nsh; k++) {
			cp->sh[k].tk = &tk;
			if (pthread_create(&cp->sh[k].thread, NULL, shard_main,
			    &cp->sh[k]) != 0)
				fatal("cannot start a scanning thread");
		}
		for (k = 0; k < cp->nsh; k++)
			pthread_join(cp->sh[k].thread, NULL);
	}
	/* The last batches. */
	pthread_mutex_lock(&cp->lock);
	cp->scan_done = 1;
	pthread_cond_broadcast(&cp->work);
	while (pending(cp) && !cp->failed)
		tick(cp, &tk, 1000);
	failed = cp->failed;
	pthread_mutex_unlock(&cp->lock);
	if (!failed)
		progress(cp, total, tk.started, now_ms(), tk.base);
	return failed ? -1 : 0;
}

static void
outputs(const struct copy *cp)
{
	action_output("KEYS_COPIED", cp->ck.copied);
	action_output("KEYS_SKIPPED", cp->ck.skipped);
	action_output("KEYS_EXPIRED", cp->ck.expired);
	action_output("BYTES", cp->ck.bytes);
}

/* Why the closing check must read every key again; NULL when it need
 * not: when this attempt copied every key by a RESTORE of the source's own DUMP
 * payload that the target took, over connections never made again, and
 * neither server was written to meanwhile but by those RESTOREs (their
 * counts of changes, changes.c). The target then holds each key of the
 * source as it was read, with its TTL, and the source still holds it:
 * what a look at types, TTLs and lengths would find. The reason goes
 * into buf. */
static const char *
why_read_again(struct copy *cp, struct rconn *src, struct rconn *dst, char *buf,
	size_t n)
{
	struct rchanges sa, da;
	char why[200];
	const char *w;

	if (cp->resumed)
		snprintf(buf, n, "an earlier attempt copied keys");
	else if (cp->typed)
		snprintf(buf, n, "%lld keys were copied by type", cp->typed);
	else if (cp->all.skipped)
		snprintf(buf, n, "%lld keys were skipped", cp->all.skipped);
	else if (cp->all.copied != cp->all.restored)
		snprintf(buf, n, "%lld keys were on the target already",
			cp->all.copied - cp->all.restored);
	else if (cp->reconnected)
		snprintf(buf, n, "a connection was lost and made again");
	else if (cp->scl || cp->dcl)
		snprintf(buf, n, "a cluster counts its changes primary by "
			"primary");
	else if (rchanges_read(src, &sa) < 0)
		snprintf(buf, n, "%s", src->err);
	else if (rchanges_read(dst, &da) < 0)
		snprintf(buf, n, "%s", dst->err);
	else if ((w = rchanges_other(&cp->sbefore, &sa, 0, why, sizeof(why))))
		snprintf(buf, n, "the source: %s", w);
	else if ((w = rchanges_other(&cp->dbefore, &da, cp->all.restored, why,
	    sizeof(why))))
		snprintf(buf, n, "the target: %s", w);
	else
		return NULL;
	return buf;
}

/* The closing check: 0 when the target matches. Types, TTLs and lengths
 * are compared key by key unless why_read_again() finds the copy itself shows
 * them equal. It runs after the checkpoint that says the keys are
 * copied, and again in every later attempt that starts from that
 * checkpoint, so that an attempt cut short while checking does not leave
 * the check undone. copy_ms is how long the copy took in this attempt. */
static int
verify_copy(struct copy *cp, struct rconn *src, struct rconn *dst,
	int64_t copy_ms)
{
	struct rverify v = { .rc = &cp->set.rc, .full = 0, .rounds = 3,
		.interval_ms = 1000, .ttl_tolerance_ms = 2000,
		.ignore_ttl = !cp->set.ttl_keep, .cl = { cp->scl, cp->dcl } };
	int64_t started = now_ms();
	char why[1200];
	int code = 0;

	if (!cp->set.verify)
		return 0;
	if (cp->set.oc == OC_SKIP) {
		/* The keys it left alone may differ by design. */
		action_say("not verifying: on_conflict: skip keeps what the "
			"target had; run redis.verify to see the differences");
		return 0;
	}
	if (!why_read_again(cp, src, dst, why, sizeof(why))) {
		action_say("verify: %lld keys restored from the source's own "
			"payloads, and neither server written to during the copy "
			"but by it: no key read again", cp->all.restored);
	} else {
		action_say("verifying key types and lengths: %s", why);
		code = rverify_run(&v) == 0 && v.mismatched == 0 ? 0 : 1;
	}
	/* The check begins once the copy ends: a key it passed could change
	 * after, unless it is read at the end. */
	action_say("split: copy %.3fs, check %.3fs, overlap 0.000s",
		(double)copy_ms / 1000, (double)(now_ms() - started) / 1000);
	return code;
}

/* A cluster source or target: its slot map. Returns 0, or -1 after
 * saying what is wrong. */
static int
clusters(struct copy *cp)
{
	struct rcluster **cl[2] = { &cp->scl, &cp->dcl };
	const struct rurl *u[2] = { &cp->set.rc.src, &cp->set.rc.dst };
	const char *role[2] = { "source", "target" };
	char err[1024];
	int i;

	for (i = 0; i < 2; i++) {
		if (!u[i]->cluster)
			continue;
		*cl[i] = xmalloc(sizeof(**cl[i]));
		if (rcluster_init(*cl[i], u[i], role[i], cp->set.rc.io_timeout,
		    err, sizeof(err)) < 0) {
			printf("redis.copy: %s\n", err);
			return -1;
		}
	}
	if (cp->dcl)
		snprintf(cp->tag, sizeof(cp->tag), "%s", rslot_tag(0));
	return 0;
}

/* The scans: the source, or each primary of a cluster source, each from
 * where an earlier attempt left it; the keys there into *total. */
static int
shards_setup(struct copy *cp, const struct resume_at *at, long long *total)
{
	int *node = xcalloc(RSLOTS, sizeof(*node)), k;
	unsigned *slot = xcalloc(RSLOTS, sizeof(*slot));
	redisReply *r;
	char *was;

	if (!cp->scl) {
		cp->nsh = 1;
		cp->sh = xcalloc(1, sizeof(*cp->sh));
		cp->sh[0].cursor = cp->sh[0].ck_cursor = at->cursor;
		cp->sh[0].ck_node = &cp->set.rc.src;
		cp->sh[0].pg = cp->guard;
		free(node);
		free(slot);
		return 0;
	}
	cp->nsh = rcluster_shards(cp->scl, node, slot, RSLOTS);
	cp->sh = xcalloc((size_t)cp->nsh, sizeof(*cp->sh));
	*total = 0;
	for (k = 0; k < cp->nsh; k++) {
		struct shard *sh = &cp->sh[k];
		const struct rurl *u = rcluster_url(cp->scl, node[k]);

		sh->cp = cp;
		sh->slot = slot[k];
		sh->ck_node = u;
		/* Each primary's load is its own: one busy primary pauses
		 * only its own scan. */
		if (cp->set.pause_cpu || cp->set.pause_lag_ms) {
			sh->pg = xmalloc(sizeof(*sh->pg));
			rguard_init(sh->pg, 0, cp->set.pause_cpu,
				cp->set.pause_lag_ms);
		}
		rconn_init(&sh->conn, u, "source", cp->set.rc.io_timeout);
		rlocate_set(&sh->conn, &sh->at, cp->scl, node[k]);
		was = value_of(at->shards, ',', u);
		if (was && strcmp(was, "done") == 0) {
			sh->skip = sh->ck_done = 1;
		} else if (was) {
			sh->cursor = sh->ck_cursor = strtoull(was, NULL, 10);
		} else if (at->shards) {
			action_say("%s was not scanned by the earlier attempt "
				"(a replica took over since?): scanning it from "
				"the start", u->shown);
		}
		if (was)
			carry_owned(sh, at->owned, u);
		free(was);
		if (rconn_open(&sh->conn) < 0) {
			printf("redis.copy: %s\n", sh->conn.err);
			free(node);
			free(slot);
			return -1;
		}
		if (!sh->skip && !cp->set.rc.match &&
		    rconn_cmd(&sh->conn, &r, "DBSIZE") == 0) {
			*total += r->integer;
			freeReplyObject(r);
		}
	}
	action_say("source cluster: %d primaries, %s", cp->nsh, "scanned "
		"in parallel");
	free(node);
	free(slot);
	return 0;
}

/* Start the workers, each with its connections: at first, and again
 * for each round of read_again. */
void
start_workers(struct copy *cp, struct worker *w)
{
	long long i;

	cp->scan_done = 0;
	for (i = 0; i < cp->set.rc.connections; i++) {
		w[i].cp = cp;
		w[i].no = (int)i;
		rconn_init(&w[i].src, &cp->set.rc.src, "source",
			cp->set.rc.io_timeout);
		rconn_init(&w[i].dst, &cp->set.rc.dst, "target",
			cp->set.rc.io_timeout);
		if (cp->scl)
			rpool_init(&w[i].spool, cp->scl, "source",
				cp->set.rc.io_timeout);
		if (cp->dcl)
			rpool_init(&w[i].dpool, cp->dcl, "target",
				cp->set.rc.io_timeout);
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0)
			fatal("cannot start a copying thread");
	}
}

/* Let the workers end once the queue is empty (at once if the copy
 * failed), and wait for them. */
void
stop_workers(struct copy *cp, struct worker *w)
{
	long long i;

	pthread_mutex_lock(&cp->lock);
	cp->scan_done = 1;
	pthread_cond_broadcast(&cp->work);
	pthread_mutex_unlock(&cp->lock);
	for (i = 0; i < cp->set.rc.connections; i++) {
		pthread_join(w[i].thread, NULL);
		rconn_close(&w[i].src);
		rconn_close(&w[i].dst);
		buf_free(&w[i].data);
		buf_free(&w[i].text);
	}
}

int
redis_copy_main(const struct acfg *c, const char *resume, int dry)
{
	struct copy cp;
	struct resume_at at = {0};
	struct rconn src, dst;
	struct worker *w = NULL;
	char why[1200], b[32], d[32];
	long long total = 0, i;
	int64_t started = now_ms(), copy_started;
	int code = 1, *owners = NULL, *from = NULL;
	long long *base = NULL;

	memset(&cp, 0, sizeof(cp));
	pthread_mutex_init(&cp.lock, NULL);
	pthread_cond_init(&cp.work, NULL);
	pthread_cond_init(&cp.space, NULL);
	pthread_cond_init(&cp.budget, NULL);
	if (rcopy_read(&cp.set, c) < 0) {
		rcommon_free(&cp.set.rc);
		return 1;
	}
	if (cp.set.max_ops || cp.set.pause_cpu || cp.set.pause_lag_ms) {
		cp.guard = xmalloc(sizeof(*cp.guard));
		rguard_init(cp.guard, cp.set.max_ops, cp.set.pause_cpu,
			cp.set.pause_lag_ms);
		if (cp.set.max_ops) {
			cp.set.rc.src.before = rguard_take;
			cp.set.rc.src.before_arg = cp.guard;
		}
	}
	cp.attempt = getenv("RUNJOB_ATTEMPT_ID");
	if (!cp.attempt || !*cp.attempt)
		cp.attempt = "manual";
	if (resume && !dry && json_each_string(resume, resume_field, &at) == 0) {
		cp.ck.copied = cp.prior_copied = at.copied;
		cp.ck.skipped = at.skipped;
		cp.ck.expired = at.expired;
		cp.ck.bytes = at.bytes;
		cp.ck.keys = at.processed;
		cp.all = cp.ck;
		if (at.done) {
			action_say("copied by an earlier attempt: %lld keys",
				at.copied);
			outputs(&cp);
			cp.resumed = 1;
			code = verify_copy(&cp, NULL, NULL, 0);
			free(at.shards);
			free(at.owned);
			rcommon_free(&cp.set.rc);
			return code;
		}
		if (at.shards)
			action_say("resuming the scans where they were (%s): "
				"%lld keys already copied", at.shards, at.copied);
		else
			action_say("resuming at cursor %llu: %lld keys already "
				"copied", at.cursor, at.copied);
		cp.resumed = 1;
	}
	rconn_init(&src, &cp.set.rc.src, "source", cp.set.rc.io_timeout);
	rconn_init(&dst, &cp.set.rc.dst, "target", cp.set.rc.io_timeout);
	if (clusters(&cp) < 0)
		goto out;
	/* Runjob's own key on a cluster target goes to the primary of slot
	 * 0 (cp.tag). */
	if (cp.dcl)
		dst.url = rcluster_url(cp.dcl, rcluster_owner(cp.dcl, 0));
	if (rconn_open(&src) < 0 || rconn_open(&dst) < 0) {
		printf("redis.copy: %s\n", rpair_err(&src, &dst));
		goto out;
	}
	if (probe_servers(&cp, &src, &dst, dry, why, sizeof(why)) < 0)
		goto out;
	bound_big_key(&cp, &dst);
	if (dry) {
		code = dry_run(&cp, &src, &dst, why);
		goto out;
	}
	if (cp.use_dump)
		action_say("method: dump (pipelined DUMP/RESTORE)");
	else
		action_say("method: types (%s)", cp.set.method == M_TYPES ?
			"as the job says" : why);
	/* After the probe's own writes. A server that cannot say leaves
	 * its counts unknown: the closing check reads every key. */
	if (cp.set.verify && !cp.scl && !cp.dcl) {
		rchanges_read(&src, &cp.sbefore);
		rchanges_read(&dst, &cp.dbefore);
	}
	copy_started = now_ms();
	if (!cp.scl && !cp.set.rc.match) {
		redisReply *r;

		if (rconn_cmd(&src, &r, "DBSIZE") == 0) {
			total = r->integer;
			freeReplyObject(r);
		}
	}
	if (shards_setup(&cp, &at, &total) < 0)
		goto out;
	if (cp.scl) {
		owners = xcalloc(RSLOTS, sizeof(*owners));
		for (i = 0; i < RSLOTS; i++)
			owners[i] = rcluster_owner(cp.scl, (unsigned)i);
		base = xcalloc(MAX_NODES, sizeof(*base));
		migrating(&cp, base, why, sizeof(why));
		shards_owned(&cp, owners, base);
	}
	w = xcalloc((size_t)cp.set.rc.connections, sizeof(*w));
	start_workers(&cp, w);
	/* On failure fail() has woken the workers; otherwise scan_all has
	 * let them go once the last batch was done. */
	scan_all(&cp, &src, total);
	stop_workers(&cp, w);
	if (cp.failed)
		goto out;
	if (cp.scl) {
		from = xcalloc(RSLOTS, sizeof(*from));
		scanned_from(&cp, owners, from);
	}
	if (cp.scl && read_again(&cp, w, from, base) < 0) {
		if (cp.failed)
			goto out;
		/* The next attempt scans it all again. */
		action_checkpoint("{}");
		printf("redis.copy: the source's slots moved between its "
			"primaries during the copy (a resharding): keys that "
			"moved may have been missed; run the step again once "
			"the resharding is over\n");
		goto out;
	}
	checkpoint(&cp, 1);
	outputs(&cp);
	action_say("copied %lld keys, skipped %lld, expired %lld, %s in %s "
		"(%lld in this attempt, %lld by type)", cp.ck.copied,
		cp.ck.skipped, cp.ck.expired, format_bytes(cp.ck.bytes, b,
		sizeof(b)),
		ui_duration(now_ms() - started, d, sizeof(d)),
		cp.ck.copied - cp.prior_copied, cp.typed);
	if (cp.redirected)
		action_say("the target's slots moved during the copy: %lld "
			"writes went again to another primary (MOVED, ASK)",
			cp.redirected);
	code = verify_copy(&cp, &src, &dst, now_ms() - copy_started);
out:
	rconn_close(&src);
	rconn_close(&dst);
	for (i = 0; i < cp.nsh; i++) {
		free(cp.sh[i].owned);
		if (cp.scl && cp.sh[i].pg) {
			rguard_free(cp.sh[i].pg);
			free(cp.sh[i].pg);
		}
		while (cp.sh[i].phead) {
			struct batch *bt = cp.sh[i].phead;

			cp.sh[i].phead = bt->next_p;
			freeReplyObject(bt->reply);
			free(bt);
		}
	}
	free(cp.sh);
	free(owners);
	free(from);
	free(base);
	free(at.shards);
	free(at.owned);
	if (cp.scl) {
		rcluster_free(cp.scl);
		free(cp.scl);
	}
	if (cp.dcl) {
		rcluster_free(cp.dcl);
		free(cp.dcl);
	}
	free(w);
	if (cp.guard) {
		rguard_free(cp.guard);
		free(cp.guard);
	}
	rcommon_free(&cp.set.rc);
	return code;
}
