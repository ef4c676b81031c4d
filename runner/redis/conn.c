/*
 * conn.c - the hiredis adapter: the only file that connects to a server
 * or turns hiredis's error convention (REDIS_ERR and c->errstr) into
 * runjob's (-1 and a message naming the server).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "util.h"

void
rconn_init(struct rconn *rc, const struct rurl *url, const char *role,
	long long timeout_ms)
{
	memset(rc, 0, sizeof(*rc));
	rc->url = url;
	rc->role = role;
	rc->timeout_ms = timeout_ms;
}

static struct timeval
tv_of(long long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* The message of a failed connection, then drop it. */
static int
broken(struct rconn *rc, const char *doing)
{
	const char *why = rc->c && rc->c->errstr[0] ? rc->c->errstr :
		"connection lost";

	/* hiredis says "Resource temporarily unavailable" when a reply
	 * does not come in time. */
	if (rc->c && rc->c->err == REDIS_ERR_IO && (errno == EAGAIN ||
	    errno == EWOULDBLOCK || strstr(why, "temporarily unavailable")))
		snprintf(rc->err, sizeof(rc->err), "%s %s: %s: no answer within "
			"%lld ms (io_timeout)", rc->role, rc->url->shown, doing,
			rc->timeout_ms);
	else
		snprintf(rc->err, sizeof(rc->err), "%s %s: %s: %s", rc->role,
			rc->url->shown, doing, why);
	rconn_close(rc);
	return -1;
}

int
rconn_open(struct rconn *rc)
{
	redisReply *r;

	rconn_close(rc);
	rc->c = redisConnectWithTimeout(rc->url->host, rc->url->port,
		tv_of(rc->timeout_ms));
	if (!rc->c)
		fatal("out of memory connecting to %s", rc->url->shown);
	if (rc->c->err)
		return broken(rc, "cannot connect");
	if (redisSetTimeout(rc->c, tv_of(rc->timeout_ms)) != REDIS_OK)
		return broken(rc, "cannot set the timeout");
	redisEnableKeepAlive(rc->c);
	if (rc->url->pass) {
		if (rc->url->user)
			r = redisCommand(rc->c, "AUTH %s %s", rc->url->user,
				rc->url->pass);
		else
			r = redisCommand(rc->c, "AUTH %s", rc->url->pass);
		if (!r)
			return broken(rc, "AUTH");
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
	r = redisCommand(rc->c, "PING");
	if (!r)
		return broken(rc, "PING");
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(rc->err, sizeof(rc->err), "%s %s: not ready: %s",
			rc->role, rc->url->shown, rerror_text(r->str));
		freeReplyObject(r);
		rconn_close(rc);
		return -1;
	}
	freeReplyObject(r);
	r = redisCommand(rc->c, "SELECT %d", rc->url->db);
	if (!r)
		return broken(rc, "SELECT");
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

void
rconn_close(struct rconn *rc)
{
	if (rc->c)
		redisFree(rc->c);
	rc->c = NULL;
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

/* Hand what is queued to hiredis in one piece: hiredis's own formatting
 * of each command (sdscatfmt, an allocation an argument) costs more than
 * the servers' work on small keys. */
static void
flush_out(struct rconn *rc)
{
	if (!rc->out.len)
		return;
	if (rc->c && redisAppendFormattedCommand(rc->c, rc->out.s,
	    rc->out.len) != REDIS_OK)
		fatal("out of memory queueing commands for %s", rc->url->shown);
	buf_reset(&rc->out);
}

void
rconn_append(struct rconn *rc, int argc, const char **argv,
	const size_t *lens)
{
	int i;

	if (!rc->c)
		return;
	put_len(&rc->out, '*', (size_t)argc);
	for (i = 0; i < argc; i++) {
		put_len(&rc->out, '$', lens[i]);
		buf_add(&rc->out, argv[i], lens[i]);
		buf_add(&rc->out, "\r\n", 2);
	}
}

void
rconn_appendf(struct rconn *rc, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (!rc->c)
		return;
	flush_out(rc);
	va_start(ap, fmt);
	r = redisvAppendCommand(rc->c, fmt, ap);
	va_end(ap);
	if (r != REDIS_OK)
		fatal("out of memory queueing a command for %s", rc->url->shown);
}

int
rconn_reply(struct rconn *rc, redisReply **r)
{
	void *reply = NULL;

	*r = NULL;
	if (!rc->c) {
		if (!rc->err[0])
			snprintf(rc->err, sizeof(rc->err), "%s %s: not "
				"connected", rc->role, rc->url->shown);
		return -1;
	}
	flush_out(rc);
	if (redisGetReply(rc->c, &reply) != REDIS_OK || !reply)
		return broken(rc, "reading a reply");
	*r = reply;
	return 0;
}

/* Write len bytes of p to the socket. */
static int
write_all(struct rconn *rc, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(rc->c->fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(rc->c->errstr, sizeof(rc->c->errstr), "%s",
				strerror(w < 0 ? errno : EPIPE));
			rc->c->err = REDIS_ERR_IO;
			return broken(rc, "writing");
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
rconn_send(struct rconn *rc)
{
	int done = 0;

	if (!rc->c) {
		if (!rc->err[0])
			snprintf(rc->err, sizeof(rc->err), "%s %s: not "
				"connected", rc->role, rc->url->shown);
		return -1;
	}
	/* What hiredis holds goes first, to keep the order. */
	while (!done)
		if (redisBufferWrite(rc->c, &done) != REDIS_OK)
			return broken(rc, "writing");
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

	if (!rc->c)
		return -1;
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

/* At least want bytes unparsed in rc->in, reading more as needed. */
/* Read at most n bytes from the socket into p: how many, or -1 when
 * the connection failed (it is closed). */
static ssize_t
read_some(struct rconn *rc, char *p, size_t n)
{
	for (;;) {
		ssize_t r = read(rc->c->fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			return r;
		snprintf(rc->c->errstr, sizeof(rc->c->errstr), "%s", r == 0 ?
			"Server closed the connection" : strerror(errno));
		rc->c->err = REDIS_ERR_IO;
		return broken(rc, "reading a reply");
	}
}

static int
fill(struct rconn *rc, size_t want)
{
	char chunk[65536];

	while (rc->in.len - rc->inpos < want) {
		ssize_t r = read_some(rc, chunk, sizeof(chunk));

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
			sizeof(chunk));

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
	if (rc->c->reader->len > rc->c->reader->pos) {
		buf_add(&rc->in, rc->c->reader->buf + rc->c->reader->pos,
			rc->c->reader->len - rc->c->reader->pos);
		rc->c->reader->pos = rc->c->reader->len;
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
	int ok;

	*r = NULL;
	if (!rc->c)
		return rconn_reply(rc, r);
	flush_out(rc);
	va_start(ap, fmt);
	ok = redisvAppendCommand(rc->c, fmt, ap);
	va_end(ap);
	if (ok != REDIS_OK)
		fatal("out of memory queueing a command for %s", rc->url->shown);
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
		strncmp(msg, "TRYAGAIN", 8) == 0;
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
