/*
 * tls.h - TLS sessions to rediss:// servers, with OpenSSL: the context
 * from the step's tls_* settings, the handshake, the server's
 * certificate checked against its name, and failures explained in
 * words an operator can act on. hiredis 0.14 has no TLS and 1.x keeps
 * it in a library of its own, so the redis built-ins do their own
 * transport (conn.c) and use hiredis for its reply reader alone.
 */
#ifndef RUNJOB_REDIS_TLS_H
#define RUNJOB_REDIS_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "url.h"

struct ssl_st;

/* A session over the connected socket fd to u's server, handshake done.
 * Returns it, or NULL with what is wrong and what to do in err. */
struct ssl_st *rtls_open(int fd, const struct rurl *u, char *err, size_t n);
void rtls_close(struct ssl_st *ssl);

/* Read at most n bytes / write n bytes: how many, 0 when the server
 * closed the session, or -1 with why in err (*timedout set when the
 * socket's timeout passed). */
ssize_t rtls_read(struct ssl_st *ssl, void *p, size_t n, char *err,
	size_t errlen, int *timedout);
ssize_t rtls_write(struct ssl_st *ssl, const void *p, size_t n, char *err,
	size_t errlen, int *timedout);

#endif
