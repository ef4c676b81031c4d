/*
 * cluster.c - Redis Cluster (cluster.h): the slot map, asked of the
 * nodes, and the connections of a thread to them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "util.h"

/* CRC16-CCITT (XMODEM), as the cluster hashes keys. */
static unsigned short crc_table[256];
static char tags[RSLOTS][8];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static unsigned
crc16(const char *p, size_t len)
{
	unsigned crc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		crc = ((crc << 8) ^ crc_table[((crc >> 8) ^
			(unsigned char)p[i]) & 0xff]) & 0xffff;
	return crc;
}

/* The CRC table, then a tag for each slot: the shortest base-36 strings
 * in order, each kept for the slot it is the first to land in. */
static void
make_tables(void)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned i, j, crc, left = RSLOTS;

	for (i = 0; i < 256; i++) {
		crc = i << 8;
		for (j = 0; j < 8; j++)
			crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
		crc_table[i] = (unsigned short)(crc & 0xffff);
	}
	for (i = 0; left; i++) {
		char s[8], *p = s + sizeof(s) - 1;
		unsigned v = i, slot;

		*p = 0;
		do
			*--p = digits[v % 36];
		while ((v /= 36) > 0);
		slot = crc16(p, strlen(p)) & (RSLOTS - 1);
		if (!tags[slot][0]) {
			snprintf(tags[slot], sizeof(tags[slot]), "%s", p);
			left--;
		}
	}
}

unsigned
rkeyslot(const char *key, size_t len)
{
	const char *open, *close;

	pthread_once(&tables_once, make_tables);
	if ((open = memchr(key, '{', len)) &&
	    (close = memchr(open + 1, '}', len - (size_t)(open + 1 - key))) &&
	    close > open + 1)
		return crc16(open + 1, (size_t)(close - open - 1)) &
			(RSLOTS - 1);
	return crc16(key, len) & (RSLOTS - 1);
}

const char *
rslot_tag(unsigned slot)
{
	static __thread char buf[16];

	pthread_once(&tables_once, make_tables);
	snprintf(buf, sizeof(buf), "{%s}", tags[slot & (RSLOTS - 1)]);
	return buf;
}

/* The index of host:port. Called with the lock held. */
static int
node_locked(struct rcluster *c, const char *host, int port)
{
	int i;

	for (i = 0; i < c->nnode; i++)
		if (c->node[i]->port == port && strcmp(c->node[i]->host,
		    host) == 0)
			return i;
	xgrow(&c->node, &c->cap, (size_t)c->nnode + 1,
		sizeof(*c->node));
	c->node[c->nnode] = xmalloc(sizeof(**c->node));
	rurl_at(c->node[c->nnode], c->seed, host, port);
	return c->nnode++;
}

int
rcluster_node(struct rcluster *c, const char *host, int port)
{
	int i;

	pthread_mutex_lock(&c->lock);
	i = node_locked(c, host, port);
	pthread_mutex_unlock(&c->lock);
	return i;
}

/* A field of a CLUSTER SHARDS map (a flat array of names and values). */
static redisReply *
field(redisReply *m, const char *name)
{
	size_t i;

	if (m->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < m->elements; i += 2)
		if (m->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(m->element[i]->str, name) == 0)
			return m->element[i + 1];
	return NULL;
}

static long long
integer(redisReply *r)
{
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return strtoll(r->str, NULL, 10);
	return -1;
}

/* The host a node is reached at: its endpoint, or, when it has none
 * ("" or "?"), the host of the node that answered. */
static const char *
endpoint(redisReply *r, const char *asked)
{
	if (!r || r->type != REDIS_REPLY_STRING || !r->len ||
	    strcmp(r->str, "?") == 0)
		return asked;
	return r->str;
}

/* Slots start..end to host:port, in owner. Called with the lock held. */
static void
assign(struct rcluster *c, int *owner, long long start, long long end,
	const char *host, long long port)
{
	int i = node_locked(c, host, (int)port);
	long long s;

	for (s = start; s <= end && s < RSLOTS; s++)
		if (s >= 0)
			owner[s] = i;
}

/* CLUSTER SHARDS (7.0): each shard's slots and its online primary. */
static int
read_shards(struct rcluster *c, redisReply *r, int *owner, const char *asked)
{
	size_t i, j, k;

	for (i = 0; i < r->elements; i++) {
		redisReply *slots = field(r->element[i], "slots");
		redisReply *nodes = field(r->element[i], "nodes");

		if (!slots || !nodes || slots->type != REDIS_REPLY_ARRAY ||
		    nodes->type != REDIS_REPLY_ARRAY)
			return -1;
		for (j = 0; j < nodes->elements; j++) {
			redisReply *nd = nodes->element[j];
			redisReply *role = field(nd, "role");
			redisReply *health = field(nd, "health");
			redisReply *ep = field(nd, "endpoint");
			long long port = integer(field(nd, "port"));

			if (!role || role->type != REDIS_REPLY_STRING ||
			    strcmp(role->str, "master") != 0 || (health &&
			    health->type == REDIS_REPLY_STRING &&
			    strcmp(health->str, "online") != 0 &&
			    strcmp(health->str, "loading") != 0))
				continue;
			if (port <= 0)
				port = integer(field(nd, "tls-port"));
			if (port <= 0)
				continue;
			for (k = 0; k + 1 < slots->elements; k += 2)
				assign(c, owner, integer(slots->element[k]),
					integer(slots->element[k + 1]),
					endpoint(ep ? ep : field(nd, "ip"), asked),
					port);
			break;
		}
	}
	return 0;
}

/* CLUSTER SLOTS: ranges, each with its primary first. */
static int
read_slots(struct rcluster *c, redisReply *r, int *owner, const char *asked)
{
	size_t i;

	for (i = 0; i < r->elements; i++) {
		redisReply *e = r->element[i], *p;

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
		    (p = e->element[2])->type != REDIS_REPLY_ARRAY ||
		    p->elements < 2)
			return -1;
		assign(c, owner, integer(e->element[0]),
			integer(e->element[1]), endpoint(p->element[0], asked),
			integer(p->element[1]));
	}
	return 0;
}

/* Ask the node at u for the slot map. 0, or -1 with why in err. */
static int
ask_node(struct rcluster *c, const struct rurl *u, char *err, size_t n)
{
	static int owner[RSLOTS];	/* not on a thread's stack */
	static pthread_mutex_t asking = PTHREAD_MUTEX_INITIALIZER;
	struct rconn rc;
	redisReply *r = NULL;
	int shards = 1, bad, i;

	rconn_init(&rc, u, c->role, c->timeout_ms);
	if (rconn_open(&rc) < 0) {
		snprintf(err, n, "%s", rc.err);
		return -1;
	}
	for (;;) {
		rconn_appendf(&rc, shards ? "CLUSTER SHARDS" : "CLUSTER SLOTS");
		if (rconn_reply(&rc, &r) < 0) {
			snprintf(err, n, "%s", rc.err);
			rconn_close(&rc);
			return -1;
		}
		if (r->type != REDIS_REPLY_ERROR || !shards ||
		    strstr(r->str, "disabled"))
			break;
		/* Before 7.0: no SHARDS. */
		freeReplyObject(r);
		shards = 0;
	}
	rconn_close(&rc);
	if (r->type == REDIS_REPLY_ERROR) {
		if (strstr(r->str, "disabled"))
			snprintf(err, n, "%s %s is not a Redis Cluster (%s); "
				"write redis:// for a server of its own, without "
				"+cluster or cluster: true", c->role, u->shown,
				rerror_text(r->str));
		else
			snprintf(err, n, "%s %s: CLUSTER %s: %s", c->role,
				u->shown, shards ? "SHARDS" : "SLOTS",
				rerror_text(r->str));
		freeReplyObject(r);
		return -1;
	}
	pthread_mutex_lock(&asking);
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < RSLOTS; i++)
		owner[i] = -1;
	bad = r->type != REDIS_REPLY_ARRAY || (shards ? read_shards(c, r,
		owner, u->host) : read_slots(c, r, owner, u->host)) < 0;
	if (!bad) {
		memcpy(c->owner, owner, sizeof(owner));
		c->gen++;
	}
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&asking);
	freeReplyObject(r);
	if (bad) {
		snprintf(err, n, "%s %s: CLUSTER %s: an answer runjob cannot "
			"read", c->role, u->shown, shards ? "SHARDS" : "SLOTS");
		return -1;
	}
	return 0;
}

int
rcluster_init(struct rcluster *c, const struct rurl *seed, const char *role,
	long long timeout_ms, char *err, size_t n)
{
	int i, nowner = 0;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->seed = seed;
	c->role = role;
	c->timeout_ms = timeout_ms;
	for (i = 0; i < RSLOTS; i++)
		c->owner[i] = -1;
	if (ask_node(c, seed, err, n) < 0)
		return -1;
	for (i = 0; i < RSLOTS; i++)
		nowner += c->owner[i] >= 0;
	if (nowner < RSLOTS) {
		snprintf(err, n, "%s %s: %d of the cluster's %d slots have no "
			"primary; the cluster is not ready (redis-cli --cluster "
			"check %s:%d says what is wrong)", role, seed->shown,
			RSLOTS - nowner, RSLOTS, seed->host, seed->port);
		return -1;
	}
	return 0;
}

int
rcluster_refresh(struct rcluster *c, char *err, size_t n)
{
	int i, nnode;

	if (ask_node(c, c->seed, err, n) == 0)
		return 0;
	pthread_mutex_lock(&c->lock);
	nnode = c->nnode;
	pthread_mutex_unlock(&c->lock);
	/* The seed may be the node that went away: any other will do. */
	for (i = 0; i < nnode; i++) {
		char e2[512];

		if (ask_node(c, rcluster_url(c, i), e2, sizeof(e2)) == 0)
			return 0;
	}
	return -1;
}

void
rcluster_free(struct rcluster *c)
{
	int i;

	for (i = 0; i < c->nnode; i++) {
		rurl_free(c->node[i]);
		free(c->node[i]);
	}
	free(c->node);
	pthread_mutex_destroy(&c->lock);
}

int
rcluster_owner(struct rcluster *c, unsigned slot)
{
	int i;

	pthread_mutex_lock(&c->lock);
	i = c->owner[slot & (RSLOTS - 1)];
	pthread_mutex_unlock(&c->lock);
	return i;
}

const struct rurl *
rcluster_url(struct rcluster *c, int i)
{
	const struct rurl *u;

	pthread_mutex_lock(&c->lock);
	u = c->node[i];
	pthread_mutex_unlock(&c->lock);
	return u;
}

int
rcluster_shards(struct rcluster *c, int *node, unsigned *slot, int max)
{
	int seen[RSLOTS > 4096 ? 4096 : RSLOTS];
	int n = 0, i, s, o;

	pthread_mutex_lock(&c->lock);
	for (s = 0; s < RSLOTS; s++) {
		if ((o = c->owner[s]) < 0)
			continue;
		for (i = 0; i < n && seen[i] != o; i++)
			;
		if (i < n || n >= max || n >= (int)(sizeof(seen) /
		    sizeof(seen[0])))
			continue;
		seen[n] = o;
		node[n] = o;
		slot[n] = (unsigned)s;
		n++;
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

int
rcluster_redirect(struct rcluster *c, const char *msg, unsigned *slot,
	int *node)
{
	const char *sp, *colon;
	char host[256];
	int kind;

	if (strncmp(msg, "MOVED ", 6) == 0)
		kind = 'M';
	else if (strncmp(msg, "ASK ", 4) == 0)
		kind = 'A';
	else
		return 0;
	sp = strchr(msg, ' ') + 1;
	*slot = (unsigned)strtoul(sp, NULL, 10) & (RSLOTS - 1);
	if (!(sp = strchr(sp, ' ')) || !(colon = strrchr(sp, ':')) ||
	    (size_t)(colon - sp - 1) >= sizeof(host))
		return 0;
	memcpy(host, sp + 1, (size_t)(colon - sp - 1));
	host[colon - sp - 1] = 0;
	/* An empty host is the one that answered: keep the slot's owner. */
	if (!*host) {
		*node = rcluster_owner(c, *slot);
		return *node >= 0 ? kind : 0;
	}
	*node = rcluster_node(c, host, atoi(colon + 1));
	return kind;
}

struct rpool_entry {
	struct rconn c;
	struct rlocate at;
};

void
rpool_init(struct rpool *p, struct rcluster *cl, const char *role,
	long long timeout_ms)
{
	memset(p, 0, sizeof(*p));
	p->cl = cl;
	p->role = role;
	p->timeout_ms = timeout_ms;
	p->out = -1;
}

static struct rpool_entry *
entry(struct rpool *p, int i)
{
	size_t cap = (size_t)p->n;

	if (i >= p->n) {
		xgrow(&p->e, &cap, (size_t)i + 1, sizeof(*p->e));
		while (p->n <= i)
			p->e[p->n++] = NULL;
	}
	if (!p->e[i]) {
		p->e[i] = xcalloc(1, sizeof(**p->e));
		rconn_init(&p->e[i]->c, rcluster_url(p->cl, i), p->role,
			p->timeout_ms);
		rlocate_set(&p->e[i]->c, &p->e[i]->at, p->cl, i);
	}
	return p->e[i];
}

void
rpool_use(struct rpool *p, struct rconn *cur, int i)
{
	if (p->out == i)
		return;
	if (p->out >= 0)
		p->e[p->out]->c = *cur;
	*cur = entry(p, i)->c;
	p->out = i;
}

struct rconn *
rpool_get(struct rpool *p, int i)
{
	return i == p->out ? NULL : &entry(p, i)->c;
}

void
rpool_free(struct rpool *p, struct rconn *cur)
{
	int i;

	if (p->out >= 0) {
		p->e[p->out]->c = *cur;
		rconn_init(cur, p->e[p->out]->c.url, p->role, p->timeout_ms);
	}
	for (i = 0; i < p->n; i++) {
		if (!p->e[i])
			continue;
		rconn_close(&p->e[i]->c);
		free(p->e[i]);
	}
	free(p->e);
	memset(p, 0, sizeof(*p));
	p->out = -1;
}

/* rconn_reopen's hook: the slot map asked again, and the primary of the
 * slot the node had. */
static const struct rurl *
relocate(void *arg)
{
	struct rlocate *at = arg;
	char err[512];
	int i;

	rcluster_refresh(at->cl, err, sizeof(err));
	i = rcluster_owner(at->cl, at->slot);
	return i >= 0 ? rcluster_url(at->cl, i) : NULL;
}

void
rlocate_set(struct rconn *rc, struct rlocate *at, struct rcluster *cl, int i)
{
	int s;

	at->cl = cl;
	at->slot = 0;
	pthread_mutex_lock(&cl->lock);
	for (s = 0; s < RSLOTS; s++)
		if (cl->owner[s] == i) {
			at->slot = (unsigned)s;
			break;
		}
	pthread_mutex_unlock(&cl->lock);
	/* A node that owns nothing (yet) is no one's to follow. */
	if (s < RSLOTS) {
		rc->relocate = relocate;
		rc->relocate_arg = at;
	}
}
