/*
 * conn.c - connections to a server: the only file that connects, reads
 * and writes, plain or through a TLS session (tls.c), and that turns a
 * failure into runjob's convention (-1 and a message naming the server).
 * hiredis formats commands (rconn_appendf) and reads replies; it never
 * touches the socket, so the transport is the same with hiredis 0.14 and
 * 1.x.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "tls.h"
#include "util.h"

void
rconn_init(struct rconn *rc, const struct rurl *url, const char *role,
	long long timeout_ms)
{
	memset(rc, 0, sizeof(*rc));
	rc->fd = -1;
	rc->url = url;
	rc->role = role;
	rc->timeout_ms = timeout_ms;
}

int
rconn_up(const struct rconn *rc)
{
	return rc->fd >= 0;
}

/* The message of a failed connection (why; timedout when its reply did
 * not come in time), then drop it. */
static int
broken(struct rconn *rc, const char *doing, const char *why, int timedout)
{
	if (timedout)
		snprintf(rc->err, sizeof(rc->err), "%s %s: %s: no answer within "
			"%lld ms (io_timeout)", rc->role, rc->url->shown, doing,
			rc->timeout_ms);
	else
		snprintf(rc->err, sizeof(rc->err), "%s %s: %s: %s", rc->role,
			rc->url->shown, doing, why);
	rconn_close(rc);
	return -1;
}

/* A TCP connection to host:port within the timeout: the socket, or -1
 * with why. */
static int
dial(struct rconn *rc, char *why, size_t n)
{
	struct addrinfo hints, *res, *ai;
	char port[16];
	int fd = -1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", rc->url->port);
	if ((e = getaddrinfo(rc->url->host, port, &hints, &res)) != 0) {
		snprintf(why, n, "%s", gai_strerror(e));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd p;
		socklen_t len = sizeof(e);
		int fl;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, n, "%s", strerror(errno));
			continue;
		}
		fl = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		e = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			e = errno;
			if (e == EINPROGRESS) {
				p.fd = fd;
				p.events = POLLOUT;
				e = poll(&p, 1, (int)rc->timeout_ms) == 1 &&
					getsockopt(fd, SOL_SOCKET, SO_ERROR, &e,
					&len) == 0 ? e : ETIMEDOUT;
			}
		}
		if (e == 0) {
			fcntl(fd, F_SETFL, fl);
			break;
		}
		snprintf(why, n, "%s", e == ETIMEDOUT ? "Connection timed out" :
			strerror(e));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Set up the socket: no Nagle delay (commands are pipelined already),
 * keepalive, and the timeout of each read and write. */
static void
tune(struct rconn *rc)
{
	struct timeval tv;
	int on = 1;

	tv.tv_sec = rc->timeout_ms / 1000;
	tv.tv_usec = (rc->timeout_ms % 1000) * 1000;
	setsockopt(rc->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	setsockopt(rc->fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(rc->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(rc->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int reply_for(struct rconn *rc, redisReply **r, const char *doing);
static void vappend(struct rconn *rc, const char *fmt, va_list ap);

/* One command of the connection's setup and its reply. */
static int
setup_cmd(struct rconn *rc, redisReply **r, const char *doing,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(rc, fmt, ap);
	va_end(ap);
	return reply_for(rc, r, doing);
}

/* The first command on a TLS session. With TLS 1.3 a server that
 * refuses the client's certificate (or its lack) says so only after
 * the handshake, in an alert that a reset can overtake: a session that
 * ends here is said to be about the client certificate. */
static int
tls_first(struct rconn *rc)
{
	const struct rtls *t = rc->url->tlsopt;
	redisReply *r;
	size_t len;

	if (setup_cmd(rc, &r, "PING", "PING") == 0) {
		freeReplyObject(r);
		return 0;
	}
	len = strlen(rc->err);
	if (!strstr(rc->err, "tls_cert") && !strstr(rc->err, "io_timeout"))
		snprintf(rc->err + len, sizeof(rc->err) - len, "; the server "
			"ended the TLS session at once: %s", t && t->cert ?
			"it may not take the client certificate in tls_cert" :
			"it may ask for a client certificate: give tls_cert "
			"and tls_key");
	return -1;
}

int
rconn_open(struct rconn *rc)
{
	redisReply *r;
	char why[512];

	rconn_close(rc);
	if ((rc->fd = dial(rc, why, sizeof(why))) < 0)
		return broken(rc, "cannot connect", why, 0);
	tune(rc);
	if (rc->url->tls && !(rc->ssl = rtls_open(rc->fd, rc->url, why,
	    sizeof(why))))
		return broken(rc, "cannot connect", why, 0);
	if (!(rc->reader = redisReaderCreate()))
		fatal("out of memory connecting to %s", rc->url->shown);
	if (rc->ssl && tls_first(rc) < 0)
		return -1;
	if (rc->url->pass) {
		if (rc->url->user ? setup_cmd(rc, &r, "AUTH", "AUTH %s %s",
		    rc->url->user, rc->url->pass) < 0 : setup_cmd(rc, &r,
		    "AUTH", "AUTH %s", rc->url->pass) < 0)
			return -1;
		if (r->type == REDIS_REPLY_ERROR) {
			snprintf(rc->err, sizeof(rc->err), "%s %s: the server "
				"refused the user or password: %s", rc->role,
				rc->url->shown, rerror_text(r->str));
			freeReplyObject(r);
			rconn_close(rc);
			return -1;
		}
		freeReplyObject(r);
	}
	/* A server that is loading its data answers LOADING to most
	 * commands: not ready yet, which a reconnect waits out. */
	if (setup_cmd(rc, &r, "PING", "PING") < 0)
		return -1;
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(rc->err, sizeof(rc->err), "%s %s: not ready: %s",
			rc->role, rc->url->shown, rerror_text(r->str));
		freeReplyObject(r);
		rconn_close(rc);
		return -1;
	}
	freeReplyObject(r);
	if (setup_cmd(rc, &r, "SELECT", "SELECT %d", rc->url->db) < 0)
		return -1;
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(rc->err, sizeof(rc->err), "%s %s: cannot use database "
			"%d: %s", rc->role, rc->url->shown, rc->url->db,
			rerror_text(r->str));
		freeReplyObject(r);
		rconn_close(rc);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

int
rconn_reopen(struct rconn *rc)
{
	long long budget = rc->timeout_ms * 2 > 10000 ? rc->timeout_ms * 2 :
		10000;
	int64_t until = now_ms() + budget;
	long long delay = 100;
	char first[sizeof(rc->err)];

	snprintf(first, sizeof(first), "%s", rc->err);
	for (;;) {
		struct timespec ts;

		if (rc->relocate) {
			const struct rurl *u = rc->relocate(rc->relocate_arg);

			if (u)
				rc->url = u;
		}
		if (rconn_open(rc) == 0)
			return 0;
		if (now_ms() + delay > until)
			break;
		ts.tv_sec = delay / 1000;
		ts.tv_nsec = (delay % 1000) * 1000000;
		nanosleep(&ts, NULL);
		delay = delay * 2 > 2000 ? 2000 : delay * 2;
	}
	{
		char last[sizeof(rc->err)];
		int n;

		snprintf(last, sizeof(last), "%s", rc->err);
		/* The two messages name the same server: keep the first
		 * whole, the last as far as it fits. */
		n = snprintf(rc->err, sizeof(rc->err), "%s; reconnecting for "
			"%llds failed", first, budget / 1000);
		if (n > 0 && (size_t)n < sizeof(rc->err) - 3)
			snprintf(rc->err + n, sizeof(rc->err) - (size_t)n,
				": %.*s", (int)(sizeof(rc->err) - (size_t)n - 3),
				last);
	}
	return -1;
}

int
rconn_open_more(struct rconn *rc)
{
	return rconn_open(rc) == 0 || rconn_reopen(rc) == 0 ? 0 : -1;
}

void
rconn_close(struct rconn *rc)
{
	rtls_close(rc->ssl);
	rc->ssl = NULL;
	if (rc->fd >= 0)
		close(rc->fd);
	rc->fd = -1;
	if (rc->reader)
		redisReaderFree(rc->reader);
	rc->reader = NULL;
	buf_free(&rc->out);
	buf_free(&rc->in);
	rc->inpos = 0;
}

/* "<c><n>\r\n" of the protocol: a count or a length. */
static void
put_len(struct buf *b, char c, size_t n)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	*--p = '\n';
	*--p = '\r';
	do
		*--p = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	*--p = c;
	buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* One more command for the server: its load guard may make it wait. */
static void
before(struct rconn *rc)
{
	if (rc->url->before)
		rc->url->before(rc->url->before_arg, 1);
}

void
rconn_append(struct rconn *rc, int argc, const char **argv,
	const size_t *lens)
{
	int i;

	if (rc->fd < 0)
		return;
	before(rc);
	put_len(&rc->out, '*', (size_t)argc);
	for (i = 0; i < argc; i++) {
		put_len(&rc->out, '$', lens[i]);
		buf_add(&rc->out, argv[i], lens[i]);
		buf_add(&rc->out, "\r\n", 2);
	}
}

static void
vappend(struct rconn *rc, const char *fmt, va_list ap)
{
	char *cmd;
	int len = redisvFormatCommand(&cmd, fmt, ap);

	if (len < 0)
		fatal("out of memory queueing a command for %s", rc->url->shown);
	buf_add(&rc->out, cmd, (size_t)len);
	redisFreeCommand(cmd);
}

void
rconn_appendf(struct rconn *rc, const char *fmt, ...)
{
	va_list ap;

	if (rc->fd < 0)
		return;
	before(rc);
	va_start(ap, fmt);
	vappend(rc, fmt, ap);
	va_end(ap);
}

/* One read or write (out) on the connection: as read(2) and write(2),
 * with why and *timedout set when it fails. */
static ssize_t
transfer(struct rconn *rc, int out, char *p, size_t n, char *why,
	size_t whylen, int *timedout)
{
	ssize_t r;

	*timedout = 0;
	if (rc->ssl)
		return out ? rtls_write(rc->ssl, p, n, why, whylen, timedout) :
			rtls_read(rc->ssl, p, n, why, whylen, timedout);
	do
		r = out ? send(rc->fd, p, n, MSG_NOSIGNAL) : read(rc->fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		*timedout = errno == EAGAIN || errno == EWOULDBLOCK;
		snprintf(why, whylen, "%s", strerror(errno));
	}
	return r;
}

/* Write len bytes of p to the connection. */
static int
write_all(struct rconn *rc, const char *p, size_t len)
{
	char why[256] = "Server closed the connection";
	int timedout;

	while (len) {
		ssize_t w = transfer(rc, 1, (char *)p, len, why, sizeof(why),
			&timedout);

		if (w <= 0)
			return broken(rc, "writing", why, timedout);
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
not_connected(struct rconn *rc)
{
	if (!rc->err[0])
		snprintf(rc->err, sizeof(rc->err), "%s %s: not connected",
			rc->role, rc->url->shown);
	return -1;
}

int
rconn_send(struct rconn *rc)
{
	if (rc->fd < 0)
		return not_connected(rc);
	if (rc->out.len && write_all(rc, rc->out.s, rc->out.len) < 0)
		return -1;
	buf_reset(&rc->out);
	return 0;
}

int
rconn_stream(struct rconn *rc, int argc, const char **argv,
	const size_t *lens)
{
	int i;

	if (rc->fd < 0)
		return -1;
	before(rc);
	put_len(&rc->out, '*', (size_t)argc);
	for (i = 0; i < argc; i++) {
		put_len(&rc->out, '$', lens[i]);
		if (lens[i] > 65536) {
			if (rconn_send(rc) < 0 ||
			    write_all(rc, argv[i], lens[i]) < 0)
				return -1;
		} else {
			buf_add(&rc->out, argv[i], lens[i]);
		}
		buf_add(&rc->out, "\r\n", 2);
	}
	return rc->out.len > (1 << 20) ? rconn_send(rc) : 0;
}

/* Read at most n bytes from the connection into p: how many, or -1
 * when it failed (it is closed; doing says what for). */
static ssize_t
read_some(struct rconn *rc, char *p, size_t n, const char *doing)
{
	char why[256];
	int timedout;
	ssize_t r = transfer(rc, 0, p, n, why, sizeof(why), &timedout);

	if (r > 0)
		return r;
	if (r == 0)
		snprintf(why, sizeof(why), "Server closed the connection");
	return broken(rc, doing, why, timedout);
}

/* The next reply through hiredis's reader, after sending what is
 * queued. */
static int
reply_for(struct rconn *rc, redisReply **r, const char *doing)
{
	void *reply = NULL;
	char chunk[65536];

	*r = NULL;
	if (rconn_send(rc) < 0)
		return -1;
	/* What rconn_read_flat read ahead comes first. */
	if (rc->in.len > rc->inpos) {
		redisReaderFeed(rc->reader, rc->in.s + rc->inpos,
			rc->in.len - rc->inpos);
		buf_reset(&rc->in);
		rc->inpos = 0;
	}
	for (;;) {
		ssize_t n;

		if (redisReaderGetReply(rc->reader, &reply) != REDIS_OK)
			return broken(rc, doing, rc->reader->errstr, 0);
		if (reply) {
			*r = reply;
			return 0;
		}
		if ((n = read_some(rc, chunk, sizeof(chunk), doing)) < 0)
			return -1;
		redisReaderFeed(rc->reader, chunk, (size_t)n);
	}
}

int
rconn_reply(struct rconn *rc, redisReply **r)
{
	*r = NULL;
	if (rc->fd < 0)
		return not_connected(rc);
	return reply_for(rc, r, "reading a reply");
}

/* At least want bytes unparsed in rc->in, reading more as needed. */
static int
fill(struct rconn *rc, size_t want)
{
	char chunk[65536];

	while (rc->in.len - rc->inpos < want) {
		ssize_t r = read_some(rc, chunk, sizeof(chunk),
			"reading a reply");

		if (r < 0)
			return -1;
		buf_add(&rc->in, chunk, (size_t)r);
	}
	return 0;
}

/* The next line ("+OK", ":12", "$5"), without its CRLF, into line. */
static int
read_line(struct rconn *rc, char *line, size_t n)
{
	size_t scanned = 0;

	for (;;) {
		const char *p = rc->in.s ? rc->in.s + rc->inpos : NULL;
		const char *nl = p ? memchr(p + scanned, '\n',
			rc->in.len - rc->inpos - scanned) : NULL;

		if (nl) {
			size_t len = (size_t)(nl - p);

			if (len && p[len - 1] == '\r')
				len--;
			if (len >= n)
				len = n - 1;
			memcpy(line, p, len);
			line[len] = 0;
			rc->inpos += (size_t)(nl - p) + 1;
			return 0;
		}
		scanned = rc->in.len - rc->inpos;
		if (fill(rc, scanned + 1) < 0)
			return -1;
	}
}

/* Drop the parsed part of rc->in once there is much of it, or all of
 * it is parsed (which costs nothing). */
static void
compact(struct rconn *rc)
{
	size_t left = rc->in.len - rc->inpos;

	if (left && rc->inpos < (1 << 20))
		return;
	memmove(rc->in.s, rc->in.s + rc->inpos, left);
	rc->in.len = left;
	rc->inpos = 0;
}

/* The len bytes of a bulk and its CRLF: appended to data, or with data
 * NULL dropped. What is not in rc->in yet is read a buffer at a time and
 * never more than the bulk, so that memory holds at most the bulk. */
static int
take_bulk(struct rconn *rc, size_t len, struct buf *data)
{
	size_t have = rc->in.len - rc->inpos, take = have < len ? have : len;
	char chunk[65536];

	if (data)
		buf_add(data, rc->in.s + rc->inpos, take);
	rc->inpos += take;
	compact(rc);
	len -= take;
	while (len) {
		ssize_t r = read_some(rc, chunk, len < sizeof(chunk) ? len :
			sizeof(chunk), "reading a reply");

		if (r < 0)
			return -1;
		if (data)
			buf_add(data, chunk, (size_t)r);
		len -= (size_t)r;
	}
	if (fill(rc, 2) < 0)
		return -1;
	rc->inpos += 2;
	return 0;
}

int
rconn_read_flat(struct rconn *rc, struct rflat *v, size_t n,
	struct buf *data, int (*keep)(void *arg, size_t i, long long len),
	void *arg, size_t *got)
{
	char line[512];
	size_t i;

	if (got)
		*got = 0;
	if (rconn_send(rc) < 0)
		return -1;
	/* Bytes hiredis read ahead are this reply's, then: take them. */
	if (rc->reader->len > rc->reader->pos) {
		buf_add(&rc->in, rc->reader->buf + rc->reader->pos,
			rc->reader->len - rc->reader->pos);
		rc->reader->pos = rc->reader->len;
	}
	for (i = 0; i < n; i++) {
		struct rflat *f = &v[i];
		long long len;

		if (read_line(rc, line, sizeof(line)) < 0)
			return -1;
		f->kind = line[0];
		f->integer = 0;
		f->off = 0;
		switch (line[0]) {
		case ':':
			f->integer = strtoll(line + 1, NULL, 10);
			break;
		case '-':
		case '+':
			f->off = data->len;
			buf_add(data, line + 1, strlen(line + 1));
			buf_addc(data, '\0');
			break;
		case '$':
			len = strtoll(line + 1, NULL, 10);
			if (len < 0) {
				f->kind = 'n';
				break;
			}
			f->integer = len;
			f->off = data->len;
			if (!keep || keep(arg, i, len)) {
				if (take_bulk(rc, (size_t)len, data) < 0)
					return -1;
			} else {
				f->kind = 'd';
				if (take_bulk(rc, (size_t)len, NULL) < 0)
					return -1;
			}
			break;
		default:
			snprintf(rc->err, sizeof(rc->err), "%s %s: a reply runjob "
				"cannot read: '%.40s'", rc->role, rc->url->shown,
				line);
			rconn_close(rc);
			return -1;
		}
		compact(rc);
		if (got)
			*got = i + 1;
	}
	return 0;
}

int
rconn_cmd(struct rconn *rc, redisReply **r, const char *fmt, ...)
{
	va_list ap;

	*r = NULL;
	if (rc->fd < 0)
		return rconn_reply(rc, r);
	before(rc);
	va_start(ap, fmt);
	vappend(rc, fmt, ap);
	va_end(ap);
	if (rconn_reply(rc, r) < 0)
		return -1;
	if ((*r)->type == REDIS_REPLY_ERROR) {
		snprintf(rc->err, sizeof(rc->err), "%s %s: %s", rc->role,
			rc->url->shown, rerror_text((*r)->str));
		freeReplyObject(*r);
		*r = NULL;
		return -1;
	}
	return 0;
}

int
rerror_transient(const char *msg)
{
	return strncmp(msg, "LOADING", 7) == 0 || strncmp(msg, "BUSY ", 5) == 0 ||
		strncmp(msg, "MASTERDOWN", 10) == 0 ||
		strncmp(msg, "TRYAGAIN", 8) == 0 ||
		strncmp(msg, "CLUSTERDOWN", 11) == 0;
}

const char *
rerror_text(const char *msg)
{
	static _Thread_local char buf[512];
	const char *cut = strstr(msg, ", with args beginning with");
	size_t n = cut ? (size_t)(cut - msg) : strlen(msg);

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, msg, n);
	buf[n] = 0;
	return buf;
}

const char *
rinfo_field(const char *info, const char *field, char *buf, size_t n)
{
	size_t flen = strlen(field);
	const char *p = info;

	buf[0] = 0;
	while (p && *p) {
		if (strncmp(p, field, flen) == 0 && p[flen] == ':') {
			size_t len = strcspn(p + flen + 1, "\r\n");

			if (len >= n)
				len = n - 1;
			memcpy(buf, p + flen + 1, len);
			buf[len] = 0;
			break;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return buf;
}

const char *
rkey_shown(const char *key, size_t len, char *buf, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < n; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
	}
	if (i < len && o + 4 < n)
		o += (size_t)snprintf(buf + o, n - o, "...");
	buf[o] = 0;
	return buf;
}
