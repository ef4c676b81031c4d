/*
 * conn.h - connections of the redis built-ins to a server (url.h), over
 * TCP or TLS (tls.h), that authenticate and select their database;
 * pipelined commands, their replies read with hiredis's reply reader,
 * and reconnecting with backoff. Errors come back as -1 with a message
 * that names the server (its password masked) in conn->err.
 */
#ifndef RUNJOB_REDIS_CONN_H
#define RUNJOB_REDIS_CONN_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "buf.h"
#include "url.h"

struct ssl_st;

struct rconn {
	int fd;			/* -1: not connected */
	struct ssl_st *ssl;	/* rediss://: the TLS session on fd */
	redisReader *reader;
	const struct rurl *url;
	const char *role;	/* "source" or "target", for messages */
	long long timeout_ms;	/* for connecting and for each reply */
	char err[1024];		/* the last error */
	struct buf out;		/* commands queued, in the protocol, not yet
				 * sent */
	struct buf in;		/* rconn_read_flat: read, not yet parsed */
	size_t inpos;
	/* A node of a cluster (cluster.h): asked before each try of
	 * rconn_reopen for the server to connect to, which after a
	 * failover is another; NULL for a server of its own. */
	const struct rurl *(*relocate)(void *arg);
	void *relocate_arg;
};

/* Set up conn for url, not yet connected. */
void rconn_init(struct rconn *rc, const struct rurl *url, const char *role,
	long long timeout_ms);
/* Connect, AUTH and SELECT. Returns 0 or -1 (rc->err). */
int rconn_open(struct rconn *rc);
/* Drop the connection and connect again, waiting longer between tries
 * (100 ms doubling to 2 s) for up to max(10 s, twice the timeout); a
 * cluster's node to wherever relocate says.
 * Returns 0, or -1 when the server could not be reached in that time. */
int rconn_reopen(struct rconn *rc);
/* Connect to a server that another connection of the same settings has
 * reached already: one more worker's. A failure then is the server's
 * for a while (a restart, a connection killed as it was made), so it is
 * tried again as rconn_reopen does. Returns 0 or -1 (rc->err). */
int rconn_open_more(struct rconn *rc);
void rconn_close(struct rconn *rc);
/* 1 while connected. */
int rconn_up(const struct rconn *rc);

/* Queue a command; nothing is sent until a reply is asked for. */
void rconn_append(struct rconn *rc, int argc, const char **argv,
	const size_t *lens);
/* The same with hiredis's printf-style format (%s, %b, %d, %lld). */
void rconn_appendf(struct rconn *rc, const char *fmt, ...);
/* Read the next reply into *r (the caller frees it with freeReplyObject).
 * Returns 0, or -1 when the connection failed (timeout, reset): the
 * connection is closed and the replies still owed are lost. An error
 * reply from the server is a reply, not a failure. */
int rconn_reply(struct rconn *rc, redisReply **r);
/* One command and its reply; a server error reply is turned into -1
 * too, with the message. */
int rconn_cmd(struct rconn *rc, redisReply **r, const char *fmt, ...);

/* 1 for an error reply that says to try again later: a server loading
 * its data, busy with a script, a replica without its master, or a
 * cluster that is down while a replica takes over from a primary. */
int rerror_transient(const char *msg);

/* A server's error message fit to print: without the arguments that
 * "unknown command" errors repeat, which may be a key's value. Valid
 * until the next call from the same thread. */
const char *rerror_text(const char *msg);

/* The fast path of redis.copy moves most of the bytes, and reads its
 * replies itself: hiredis's reader would hold each payload whole,
 * however big, and copy it twice. These are used only when no reply is
 * owed to rconn_reply. */

/* Queue a command, sending what is queued to the socket once it is over
 * a megabyte and writing an argument of more than 64 KiB straight from
 * the caller's memory. Returns 0, or -1 when the connection failed. */
int rconn_stream(struct rconn *rc, int argc, const char **argv,
	const size_t *lens);
/* Send what is queued. 0 or -1. */
int rconn_send(struct rconn *rc);

/* A reply read by rconn_read_flat. */
struct rflat {
	int kind;		/* ':' '$' '-' '+', 'n' (nil), 'd' (dropped) */
	long long integer;	/* ':' its value; '$' 'd' the bulk's length */
	size_t off;		/* '$' '-' '+': its text, at data->s + off */
};

/* Read the n replies owed, none of them an array. A bulk's bytes go to
 * data, unless keep (asked before it is read, with the reply's index and
 * length) says 0: then they are read and dropped, so that what a server
 * sends never has to be held whole. keep NULL keeps every bulk.
 * Returns 0, or -1 when the connection failed, *got (when not NULL)
 * saying how many replies were read whole before. */
int rconn_read_flat(struct rconn *rc, struct rflat *v, size_t n,
	struct buf *data, int (*keep)(void *arg, size_t i, long long len),
	void *arg, size_t *got);

/* The value of field (e.g. "redis_version") in INFO text, into buf. */
const char *rinfo_field(const char *info, const char *field, char *buf,
	size_t n);

/* A key (or any bytes) for messages: printable ASCII as it is, quotes,
 * backslashes and other bytes as \xHH, cut after max bytes. */
const char *rkey_shown(const char *key, size_t len, char *buf, size_t n);

#endif
