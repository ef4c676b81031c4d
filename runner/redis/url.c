/*
 * url.c - server URLs, redis[s]://[user[:password]@]host[:port][/db]: read
 * without connecting anywhere, so that runjob check can check them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "util.h"

/* Percent-decoding of the user and password, which may hold ':' '@' '/'. */
static char *
decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);

	out[pct_decode(out, s, n)] = '\0';
	return out;
}

int
rurl_parse(struct rurl *u, const char *s, char *err, size_t n)
{
	const char *p, *at, *hostend, *slash;
	char *end;
	long v;

	memset(u, 0, sizeof(*u));
	if (strncmp(s, "rediss", 6) == 0)
		u->tls = 1;
	p = s + 5 + u->tls;
	if (strncmp(s, "redis", 5) == 0 && strncmp(p, "+cluster", 8) == 0) {
		u->cluster = 1;
		p += 8;
	}
	if (strncmp(s, "redis", 5) != 0 || strncmp(p, "://", 3) != 0) {
		snprintf(err, n, "'%s' is not a server URL; write "
			"redis://[user:password@]host:port/db, rediss:// "
			"for TLS, redis+cluster://host:port for a Redis "
			"Cluster", s);
		return -1;
	}
	p += 3;
	slash = strchr(p, '/');
	/* The last '@' before the path ends the credentials: a password may
	 * hold '@' itself. */
	at = NULL;
	for (const char *q = p; *q && q != slash; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		if (colon) {
			if (colon > p)
				u->user = decode(p, (size_t)(colon - p));
			u->pass = decode(colon + 1, (size_t)(at - colon - 1));
		} else {
			/* redis://password@host, as redis-cli takes it */
			u->pass = decode(p, (size_t)(at - p));
		}
		p = at + 1;
	}
	hostend = slash ? slash : p + strlen(p);
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(hostend - p));

		if (!close)
			goto bad;
		u->host = xstrndup(p + 1, (size_t)(close - p - 1));
		p = close + 1;
	} else {
		const char *colon = memchr(p, ':', (size_t)(hostend - p));

		u->host = xstrndup(p, (size_t)((colon ? colon : hostend) - p));
		p = colon ? colon : hostend;
	}
	if (!*u->host)
		goto bad;
	u->port = 6379;
	if (*p == ':') {
		errno = 0;
		v = strtol(p + 1, &end, 10);
		if (end == p + 1 || end != hostend || v < 1 || v > 65535 || errno)
			goto bad;
		u->port = (int)v;
	} else if (p != hostend) {
		goto bad;
	}
	if (slash && slash[1]) {
		errno = 0;
		v = strtol(slash + 1, &end, 10);
		if (*end || v < 0 || v > INT_MAX || errno) {
			snprintf(err, n, "the database in a server URL is a "
				"number: redis://host:port/0");
			rurl_free(u);
			return -1;
		}
		u->db = (int)v;
		if (u->cluster && u->db) {
			snprintf(err, n, "a Redis Cluster has database 0 "
				"only: write redis+cluster://host:port");
			rurl_free(u);
			return -1;
		}
	}
	rurl_show(u);
	return 0;
bad:
	snprintf(err, n, "cannot read the host and port of a server URL; "
		"write redis://[user:password@]host:port/db");
	rurl_free(u);
	return -1;
}

void
rurl_show(struct rurl *u)
{
	int v6 = strchr(u->host, ':') != NULL;

	free(u->shown);
	u->shown = xasprintf("redis%s%s://%s%s%s%s%s%s:%d/%d",
		u->tls ? "s" : "", u->cluster ? "+cluster" : "",
		u->user ? u->user : "", u->pass ? ":***" : "",
		u->user || u->pass ? "@" : "", v6 ? "[" : "", u->host,
		v6 ? "]" : "", u->port, u->db);
}

void
rurl_at(struct rurl *out, const struct rurl *u, const char *host, int port)
{
	*out = *u;
	out->host = xstrdup(host);
	out->port = port;
	out->user = u->user ? xstrdup(u->user) : NULL;
	out->pass = u->pass ? xstrdup(u->pass) : NULL;
	out->shown = NULL;
	rurl_show(out);
}

void
rurl_free(struct rurl *u)
{
	free(u->host);
	free(u->user);
	if (u->pass)
		memset(u->pass, 0, strlen(u->pass));
	free(u->pass);
	free(u->shown);
	memset(u, 0, sizeof(*u));
}
