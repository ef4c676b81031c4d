/*
 * url.h - server URLs of the redis built-ins. Nothing here needs hiredis:
 * runjob check reads the URLs without it.
 */
#ifndef RUNJOB_REDIS_URL_H
#define RUNJOB_REDIS_URL_H

#include <stddef.h>

/* How a rediss:// server is reached: the step's tls_* settings, the
 * same for both sides (a tls_ca file may hold several CAs). */
struct rtls {
	const char *ca;		/* NULL: the system's store */
	const char *cert, *key;	/* a client certificate, or NULL */
	const char *server_name;	/* NULL: the URL's host */
	int insecure;		/* the certificate is not checked */
};

/* redis[s][+cluster]://[user[:password]@]host[:port][/db] */
struct rurl {
	char *host;
	int port;
	int db;
	char *user;		/* NULL: none (AUTH password alone) */
	char *pass;		/* NULL: no AUTH */
	char *shown;		/* the URL with the password as ***, for messages */
	int tls;		/* rediss:// */
	int cluster;		/* redis+cluster://, or cluster: true: a node
				 * of a Redis Cluster (cluster.h) */
	const struct rtls *tlsopt;	/* set by the reader of the settings */
	/* Called before each command sent to the server with how many
	 * (redis.copy's load guard, guard.h), or NULL. */
	void (*before)(void *arg, long long n);
	void *before_arg;
};

/* Parse s into u. Returns 0, or -1 with a message in err (n bytes) that
 * says what is wrong and how to write it. */
int rurl_parse(struct rurl *u, const char *s, char *err, size_t n);
void rurl_free(struct rurl *u);
/* A copy of u for another server, host:port, with its credentials, TLS
 * settings and hook: a node of u's cluster. */
void rurl_at(struct rurl *out, const struct rurl *u, const char *host,
	int port);
/* Set shown from the other fields. */
void rurl_show(struct rurl *u);

#endif
