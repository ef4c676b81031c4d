/*
 * cluster.h - Redis Cluster for the redis built-ins: a cluster's
 * primaries and which of them owns each of the 16384 slots, asked of
 * any node that answers (CLUSTER SHARDS, or CLUSTER SLOTS before 7.0)
 * and asked again after a MOVED or a failover; the slot of a key (CRC16
 * of the key or of its hash tag); and a thread's connections to the
 * nodes, one each, that follow a failover to the new primary.
 */
#ifndef RUNJOB_REDIS_CLUSTER_H
#define RUNJOB_REDIS_CLUSTER_H

#include <pthread.h>
#include <stddef.h>

#include "conn.h"
#include "url.h"

#define RSLOTS 16384

/* The slot of a key: CRC16 of its hash tag (the bytes between its first
 * '{' and the next '}', when there are any), else of the whole key. */
unsigned rkeyslot(const char *key, size_t len);
/* A short hash tag, "{...}", of a key in that slot: a temporary key
 * named with it lands where the key itself is. */
const char *rslot_tag(unsigned slot);

struct rcluster {
	pthread_mutex_t lock;	/* guards what follows */
	const struct rurl *seed;	/* the URL of the job's setting */
	const char *role;	/* "source" or "target" */
	long long timeout_ms;
	struct rurl **node;	/* every primary seen: never dropped, so that
				 * an index stays valid */
	int nnode;
	size_t cap;
	int owner[RSLOTS];	/* the index of each slot's primary; -1: none */
	unsigned long gen;	/* counts the answers read */
};

/* Ask the cluster of the node at seed for its primaries and their slots.
 * Returns 0, or -1 with what is wrong in err. */
int rcluster_init(struct rcluster *c, const struct rurl *seed,
	const char *role, long long timeout_ms, char *err, size_t n);
/* Ask again, of the first node that answers (the seed first): after a
 * MOVED, or when a primary went away. 0 or -1 (err). */
int rcluster_refresh(struct rcluster *c, char *err, size_t n);
void rcluster_free(struct rcluster *c);

/* The index of the primary that owns slot, or -1. */
int rcluster_owner(struct rcluster *c, unsigned slot);
/* The URL of node i, valid as long as c. */
const struct rurl *rcluster_url(struct rcluster *c, int i);
/* The index of the node at host:port, added when new. */
int rcluster_node(struct rcluster *c, const char *host, int port);
/* The primaries now, in slot order: the index of each and the lowest
 * slot it owns, at most max of them. Returns how many. */
int rcluster_shards(struct rcluster *c, int *node, unsigned *slot, int max);
/* "MOVED 3999 127.0.0.1:6381" or "ASK ...": 'M' or 'A', the slot and the
 * node's index (added when new); 0 for any other error. */
int rcluster_redirect(struct rcluster *c, const char *msg, unsigned *slot,
	int *node);

/* A thread's connections to the nodes of a cluster, by node index. One
 * at a time is out, in the thread's own struct rconn, which the code
 * that copies and compares uses as it uses a server of its own; the
 * others stay in the pool. Each follows a failover: rconn_reopen
 * connects to whichever primary then owns the slots its node had. */
struct rpool_entry;
struct rpool {
	struct rcluster *cl;
	const char *role;
	long long timeout_ms;
	struct rpool_entry **e;
	int n;
	int out;		/* the index of the one out, or -1 */
};

void rpool_init(struct rpool *p, struct rcluster *cl, const char *role,
	long long timeout_ms);
/* Put the connection to node i into *cur, giving back the one there.
 * Not yet connected when new: the caller opens it (rconn_up). */
void rpool_use(struct rpool *p, struct rconn *cur, int i);
/* The connection to node i, not the one out; NULL when i is that one. */
struct rconn *rpool_get(struct rpool *p, int i);
/* Close them all, *cur among them. */
void rpool_free(struct rpool *p, struct rconn *cur);

/* Make rc, a connection to node i of cl, follow a failover of that node:
 * arg lives as long as rc. */
struct rlocate {
	struct rcluster *cl;
	unsigned slot;		/* one the node owned */
};
void rlocate_set(struct rconn *rc, struct rlocate *at, struct rcluster *cl,
	int i);

#endif
