/*
 * reshard.c - redis.copy from a Redis Cluster source whose slots move
 * between its primaries during the copy (a resharding).
 *
 * Each primary is scanned on its own (copy.c), and a SCAN cursor is of
 * one server's table: a slot that moves from a primary not yet scanned
 * past it to one scanned past it already has its keys missed by both
 * scans. So the checkpoint keeps, for each scan, the slots its primary
 * served and its config epoch as the scan began, which a later attempt
 * that goes on from that cursor takes as its own. Once the scans end,
 * and the resharding too, a slot is read again (CLUSTER GETKEYSINSLOT,
 * copied by the same workers) when it is served by another primary than
 * the one it was read from, when a key of it was found elsewhere, or
 * when its primary's epoch changed meanwhile: that primary took slots,
 * which may have moved on again without the map showing it. RESTORE
 * ... REPLACE makes a key copied twice harmless.
 */
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "buf.h"
#include "clock.h"
#include "ui.h"
#include "util.h"

#include "cluster.h"
#include "conn.h"
#include "copy_int.h"

enum {
	SETTLE_MS = 60000,		/* the least wait for a resharding of
					 * the source to end */
	REREAD_ROUNDS = 5,		/* of reading moved slots again */
};

/* In list, entries "host:port=value" separated by sep: u's value, to
 * be freed, or NULL. */
char *
value_of(const char *list, int sep, const struct rurl *u)
{
	const char *p = list;
	char name[300], seps[2] = { (char)sep, '\0' };
	size_t len;

	snprintf(name, sizeof(name), "%s:%d=", u->host, u->port);
	len = strlen(name);
	while (p && *p) {
		if (strncmp(p, name, len) == 0)
			return xstrndup(p + len, strcspn(p + len, seps));
		p = strchr(p, sep);
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

/* The slots owned[] gives to node, as "lo-hi,slot,...". */
static char *
slots_text(const int *owned, int node)
{
	struct buf b = {0};
	int s, e;

	for (s = 0; s < RSLOTS; s = e) {
		for (e = s; e < RSLOTS && owned[e] == owned[s]; e++)
			;
		if (owned[s] != node)
			continue;
		buf_addf(&b, "%s%d", b.len ? "," : "", s);
		if (e - 1 > s)
			buf_addf(&b, "-%d", e - 1);
	}
	return b.s ? b.s : xstrdup("");
}

/* from[s] = node for each slot of text ("lo-hi,slot,...") not set
 * yet (-1). */
static void
slots_mark(const char *text, int *from, int node)
{
	const char *p = text;
	char *end;
	long lo, hi, s;

	while (*p) {
		lo = hi = strtol(p, &end, 10);
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		if (end == p)
			return;
		for (s = lo < 0 ? 0 : lo; s <= hi && s < RSLOTS; s++)
			if (from[s] < 0)
				from[s] = node;
		if (*end != ',')
			return;
		p = end + 1;
	}
}

/* A scan that goes on from an earlier attempt's cursor: the slots its
 * primary u served, and its epoch, as that scan began (owned, the
 * checkpoint's). Without them (a checkpoint that does not say), the
 * slots it serves now count as those. */
void
carry_owned(struct shard *sh, const char *owned, const struct rurl *u)
{
	char *v = value_of(owned, ';', u), *end;

	if (v) {
		sh->epoch = strtoll(v, &end, 10);
		if (end != v && *end == '=') {
			sh->owned = xstrdup(end + 1);
			sh->carried = 1;
		}
	}
	free(v);
}

/* Whether the primary node serves a scan that goes on from an earlier
 * attempt's cursor, as the scans begin (owners[]). */
static int
carried_node(const struct copy *cp, const int *owners, int node)
{
	int k;

	for (k = 0; k < cp->nsh; k++)
		if (cp->sh[k].carried && owners[cp->sh[k].slot] == node)
			return 1;
	return 0;
}

/* As the scans begin: each scan's slots and epoch as it began, the
 * earlier attempt's for one that goes on from its cursor (base[] of
 * that primary set back to it), else those of now (owners[], base[]).
 * Says how many slots moved between primaries since an earlier
 * attempt's scans began: read_again reads them again, as it does those
 * that move during this attempt. */
void
shards_owned(struct copy *cp, const int *owners, long long *base)
{
	int *was = xcalloc(RSLOTS, sizeof(*was)), k, s, n = 0, any = 0;

	for (s = 0; s < RSLOTS; s++)
		was[s] = -1;
	for (k = 0; k < cp->nsh; k++) {
		struct shard *sh = &cp->sh[k];
		int node = owners[sh->slot];

		if (!sh->carried) {
			sh->owned = slots_text(owners, node);
			sh->epoch = node >= 0 && node < MAX_NODES ? base[node] :
				-1;
			continue;
		}
		any = 1;
		slots_mark(sh->owned, was, node);
		if (node >= 0 && node < MAX_NODES)
			base[node] = sh->epoch;
	}
	for (s = 0; any && s < RSLOTS; s++)
		n += was[s] >= 0 ? was[s] != owners[s] :
			carried_node(cp, owners, owners[s]);
	if (n)
		action_say("%d slots of the source moved to another primary "
			"since the earlier attempt's scans began (a resharding): "
			"they are read again once the scans end", n);
	free(was);
}

/* After the scans: the primary each slot's keys were read from into
 * from[] (-1: none). A scan that began in this attempt read the slots
 * its primary served as it began, on the primary it scanned (after a
 * failover, the replica that took over); one that went on from an
 * earlier attempt's cursor, those its primary served as that one's
 * scan began. */
void
scanned_from(struct copy *cp, const int *owners, int *from)
{
	int k, s, carried;

	for (s = 0; s < RSLOTS; s++)
		from[s] = -1;
	for (carried = 0; carried < 2; carried++)
		for (k = 0; k < cp->nsh; k++) {
			const struct shard *sh = &cp->sh[k];
			const struct rurl *u = sh->conn.url;
			int node = rcluster_node(cp->scl, u->host, u->port);

			if (sh->carried != carried)
				continue;
			if (carried) {
				slots_mark(sh->owned, from, node);
				continue;
			}
			for (s = 0; s < RSLOTS; s++)
				if (owners[s] == owners[sh->slot])
					from[s] = node;
		}
}

/* The config epoch in the "myself" line of a CLUSTER NODES reply
 * (its seventh field), or -1. */
static long long
my_epoch(const char *nodes)
{
	const char *me = strstr(nodes, "myself"), *p;
	int f;

	if (!me)
		return -1;
	while (me > nodes && me[-1] != '\n')
		me--;
	for (p = me, f = 0; f < 6 && (p = strchr(p, ' ')); f++)
		p++;
	return p ? strtoll(p, NULL, 10) : -1;
}

/* Ask each primary of the cluster source its CLUSTER NODES: the config
 * epoch of each into epoch[] by its index (-1 for a node that is not a
 * primary now). A node takes a new epoch when it takes a slot moved to
 * it (CLUSTER SETSLOT ... NODE) or a failover makes it a primary, so a
 * primary whose epoch is not what it was took slots meanwhile. Returns
 * 1 when one has a slot migrating or importing (CLUSTER NODES marks it
 * [slot->-id] or [slot-<-id]) or cannot be asked (why in err), 0
 * otherwise. */
int
migrating(struct copy *cp, long long *epoch, char *err, size_t n)
{
	int *node = xcalloc(RSLOTS, sizeof(*node)), nn, k, busy = 0;
	unsigned *slot = xcalloc(RSLOTS, sizeof(*slot));
	struct rconn c;
	redisReply *r;

	for (k = 0; k < MAX_NODES; k++)
		epoch[k] = -1;
	nn = rcluster_shards(cp->scl, node, slot, RSLOTS);
	for (k = 0; k < nn; k++) {
		rconn_init(&c, rcluster_url(cp->scl, node[k]), "source",
			cp->set.rc.io_timeout);
		if (rconn_open(&c) < 0 ||
		    rconn_cmd(&c, &r, "CLUSTER NODES") < 0) {
			snprintf(err, n, "%s", c.err);
			rconn_close(&c);
			busy = 1;
			continue;
		}
		rconn_close(&c);
		if (r->type == REDIS_REPLY_STRING) {
			busy |= memchr(r->str, '[', r->len) != NULL;
			if (node[k] < MAX_NODES)
				epoch[node[k]] = my_epoch(r->str);
		}
		freeReplyObject(r);
	}
	free(node);
	free(slot);
	return busy;
}

/* Wait until the source's resharding is over: no slot migrating or
 * importing, every slot served, and the slot map and the primaries'
 * epochs the same in two readings half a second apart (redis-cli
 * --cluster reshard moves one slot after another, none migrating in
 * between). The map and epochs as the keys were read (from[], base[])
 * count as a first reading: when nothing moved, the copy does not wait.
 * The map into map[], the epochs into epoch[]. Returns 0, or -1 past
 * max(60 s, io_timeout). */
static int
settle(struct copy *cp, int *map, long long *epoch, const int *from,
	const long long *base)
{
	int *prev = xcalloc(RSLOTS, sizeof(*prev));
	long long *pe = xcalloc(MAX_NODES, sizeof(*pe));
	int64_t start = now_ms(), last = start, until;
	int calm = 1, ok, s, rc = -1, said = 0;
	char err[512], d[32];

	memcpy(prev, from, RSLOTS * sizeof(*prev));
	memcpy(pe, base, MAX_NODES * sizeof(*pe));

	until = start + (cp->set.rc.io_timeout > SETTLE_MS ?
		cp->set.rc.io_timeout : SETTLE_MS);
	for (;;) {
		struct timespec ts = { 0, 500 * 1000000L };

		snprintf(err, sizeof(err), "slots migrating");
		ok = rcluster_refresh(cp->scl, err, sizeof(err)) == 0 &&
			!migrating(cp, epoch, err, sizeof(err));
		for (s = 0; s < RSLOTS; s++)
			if ((map[s] = rcluster_owner(cp->scl, (unsigned)s)) < 0 &&
			    ok) {
				snprintf(err, sizeof(err), "slot %d has no primary",
					s);
				ok = 0;
			}
		if (ok && calm && memcmp(prev, map, RSLOTS * sizeof(*map)) ==
		    0 && memcmp(pe, epoch, MAX_NODES * sizeof(*pe)) == 0) {
			rc = 0;
			break;
		}
		calm = ok;
		memcpy(prev, map, RSLOTS * sizeof(*map));
		memcpy(pe, epoch, MAX_NODES * sizeof(*pe));
		if (now_ms() >= until)
			break;
		if (!ok && !said) {
			action_say("waiting for the source's resharding to end "
				"(%s), for %s at most", err, ui_duration(until -
				start, d, sizeof(d)));
			said = 1;
		} else if (!ok && now_ms() - last >= PROGRESS_MS) {
			action_progress("waiting for the source's resharding to "
				"end (%s): %s", err, ui_duration(now_ms() - start,
				d, sizeof(d)));
			last = now_ms();
		}
		nanosleep(&ts, NULL);
	}
	free(prev);
	free(pe);
	return rc;
}

/* Drop from a GETKEYSINSLOT reply the keys match: leaves out, as SCAN
 * MATCH would have. */
static void
keep_matching(const struct copy *cp, redisReply *keys)
{
	size_t i, j;

	if (!cp->set.rc.match)
		return;
	for (i = j = 0; i < keys->elements; i++) {
		if (fnmatch(cp->set.rc.match, keys->element[i]->str, 0) == 0)
			keys->element[j++] = keys->element[i];
		else
			freeReplyObject(keys->element[i]);
	}
	keys->elements = j;
}

/* Queue the keys slot has on its primary node as one batch, the batch
 * also on the list *head..*tail until done. Returns the number of keys,
 * or -1 (and the copy failed). */
static long long
queue_slot(struct copy *cp, struct rpool *p, int node, unsigned slot,
	struct batch **head, struct batch **tail)
{
	size_t max_queued = (size_t)cp->set.rc.connections * 2;
	struct rconn *c;
	struct batch *b;
	redisReply *r;
	long long n;

	c = rpool_get(p, node);
	if (!rconn_up(c) && rconn_open_more(c) < 0)
		goto err;
	if (rconn_cmd(c, &r, "CLUSTER COUNTKEYSINSLOT %u", slot) < 0)
		goto err;
	n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	if (n <= 0)
		return 0;
	if (rconn_cmd(c, &r, "CLUSTER GETKEYSINSLOT %u %lld", slot, n) < 0)
		goto err;
	if (r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		return 0;
	}
	keep_matching(cp, r);
	n = (long long)r->elements;
	b = xcalloc(1, sizeof(*b));
	b->slot = slot;
	b->reply = b->names = r;
	b->keys = n;
	pthread_mutex_lock(&cp->lock);
	while (cp->queued >= max_queued && !cp->failed)
		pthread_cond_wait(&cp->space, &cp->lock);
	enqueue(cp, b, head, tail);
	/* Those done, in order, are of no more use. */
	while (*head && (*head)->done) {
		b = *head;
		*head = b->next_p;
		if (!*head)
			*tail = NULL;
		freeReplyObject(b->reply);
		free(b);
	}
	pthread_mutex_unlock(&cp->lock);
	return n;
err:
	fail(cp, c->err);
	return -1;
}

/* into += a - b, of what became of keys. */
static void
add_since(struct counts *into, const struct counts *a, const struct counts *b)
{
	into->copied += a->copied - b->copied;
	into->skipped += a->skipped - b->skipped;
	into->expired += a->expired - b->expired;
	into->bytes += a->bytes - b->bytes;
	into->keys += a->keys - b->keys;
	into->restored += a->restored - b->restored;
}

/* Whether slot s is to be read again: served by another primary than
 * the one its keys were read from (from[]), a key of it found elsewhere
 * (src_moved), or served by a primary whose epoch is not what it was
 * (base[]) when they were read: that one took slots meanwhile, which
 * may have gone on again, or come back, without the map showing it.
 * Called with the lock held. */
static int
again(const struct copy *cp, int s, const int *map, const int *from,
	const long long *epoch, const long long *base)
{
	return map[s] != from[s] || cp->moved[s] || map[s] >= MAX_NODES ||
		epoch[map[s]] != base[map[s]];
}

/* After the scans of a cluster source, the slots again() says may have
 * keys both scans missed. Once the resharding is over, each such slot's
 * keys are read from its primary now (CLUSTER GETKEYSINSLOT) and copied
 * by the workers, as a scan's are; RESTORE ... REPLACE makes a key
 * copied twice harmless. Then again, while slots keep moving, up to
 * REREAD_ROUNDS times. base[] holds the primaries' epochs as the scans
 * began. Returns 0, or -1: the copy failed, or, if not, the resharding
 * did not end in time. */
int
read_again(struct copy *cp, struct worker *w, int *from, long long *base)
{
	struct counts before = cp->all;
	struct batch *head = NULL, *tail = NULL, *b;
	struct rpool p;
	int *map = xcalloc(RSLOTS, sizeof(*map)), round, s, rc = -1;
	long long *epoch = xcalloc(MAX_NODES, sizeof(*epoch));
	long long slots = 0, keys = 0, n;
	char todo[RSLOTS];

	rpool_init(&p, cp->scl, "source", cp->set.rc.io_timeout);
	for (round = 0; ; round++) {
		int moved = 0;

		if (settle(cp, map, epoch, from, base) < 0)
			goto out;
		pthread_mutex_lock(&cp->lock);
		for (s = 0; s < RSLOTS; s++) {
			todo[s] = (char)again(cp, s, map, from, epoch, base);
			moved += todo[s];
			cp->moved[s] = 0;
		}
		pthread_mutex_unlock(&cp->lock);
		if (!moved)
			break;
		if (round == REREAD_ROUNDS)
			goto out;
		if (round == 0) {
			/* Not resumable: a later attempt copies it all. */
			action_checkpoint("{}");
			action_say("the source's slots moved during the copy (a "
				"resharding): reading %d slots again from the "
				"primaries that serve them now", moved);
		}
		memcpy(base, epoch, MAX_NODES * sizeof(*base));
		start_workers(cp, w);
		for (s = 0; s < RSLOTS && !copy_failed(cp); s++) {
			if (!todo[s])
				continue;
			if ((n = queue_slot(cp, &p, map[s], (unsigned)s, &head,
			    &tail)) < 0)
				break;
			from[s] = map[s];
			keys += n;
			slots++;
		}
		stop_workers(cp, w);
		while ((b = head)) {
			head = b->next_p;
			freeReplyObject(b->reply);
			free(b);
		}
		tail = NULL;
		if (cp->failed)
			goto out;
	}
	rc = 0;
	add_since(&cp->ck, &cp->all, &before);
	if (slots)
		action_say("the source's slots moved during the copy (a "
			"resharding): %lld slots read again from the primaries "
			"that serve them now, %lld keys", slots, keys);
out:
	rpool_free(&p, NULL);
	free(map);
	free(epoch);
	return rc;
}
