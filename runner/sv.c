/*
 * sv.c - the socket to the run's supervisor, runjob's end of it, and
 * the supervisor's record read back (sv.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "seal.h"
#include "sv.h"
#include "util.h"

void
chan_init(struct chan *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
}

void
chan_free(struct chan *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_free(&c->out);
	buf_free(&c->in);
}

void
chan_send(struct chan *c, int type, const char *const *f, size_t nf)
{
	uint32_t len = 1;
	size_t i;

	for (i = 0; i < nf; i++)
		len += (uint32_t)strlen(f[i]) + 1;
	buf_add(&c->out, &len, sizeof(len));
	buf_addc(&c->out, (char)type);
	for (i = 0; i < nf; i++)
		buf_add(&c->out, f[i], strlen(f[i]) + 1);
}

int
chan_pending(const struct chan *c)
{
	return c->outoff < c->out.len;
}

int
chan_flush(struct chan *c)
{
	while (c->fd >= 0 && c->outoff < c->out.len) {
		ssize_t w = send(c->fd, c->out.s + c->outoff,
			c->out.len - c->outoff, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w <= 0)
			return -1;
		c->outoff += (size_t)w;
	}
	if (c->outoff == c->out.len) {
		buf_reset(&c->out);
		c->outoff = 0;
	}
	return 0;
}

int
chan_fill(struct chan *c)
{
	char chunk[65536];

	for (;;) {
		ssize_t r = read(c->fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 1;
		if (r <= 0)
			return r == 0 ? 0 : -1;
		/* What was taken already goes first, so the buffer does not
		 * grow with the length of the run. */
		if (c->inoff && c->inoff == c->in.len) {
			buf_reset(&c->in);
			c->inoff = 0;
		}
		buf_add(&c->in, chunk, (size_t)r);
	}
}

int
chan_next(struct chan *c, struct frame *m)
{
	uint32_t len;
	char *p, *end;

	if (c->in.len - c->inoff < sizeof(len))
		return 0;
	memcpy(&len, c->in.s + c->inoff, sizeof(len));
	if (c->in.len - c->inoff - sizeof(len) < len)
		return 0;
	p = c->in.s + c->inoff + sizeof(len);
	end = p + len;
	c->inoff += sizeof(len) + len;
	memset(m, 0, sizeof(*m));
	m->type = (unsigned char)*p++;
	while (p < end && m->nf < sizeof(m->f) / sizeof(m->f[0])) {
		m->f[m->nf++] = p;
		p += strlen(p) + 1;
	}
	m->rest = p < end ? p : NULL;
	m->end = end;
	return 1;
}

/* Wait until the supervisor's record names it. Until then, a runjob
 * that died would leave a supervisor the next one could not know of,
 * which might still make what was asked of it after that one looked. */
static int
ready(struct sv *sv)
{
	struct pollfd p = { sv->c.fd, POLLIN, 0 };
	struct frame m;
	int r;

	for (;;) {
		if (chan_flush(&sv->c) < 0)
			break;
		r = poll(&p, 1, 10000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || chan_fill(&sv->c) <= 0)
			break;
		while (chan_next(&sv->c, &m))
			if (m.type == SV_READY)
				return 0;
	}
	error("the run's supervisor (runjob supervise) did not start");
	chan_free(&sv->c);
	return -1;
}

int
sv_start(struct sv *sv, const char *logdir, const char *run,
	const unsigned char *key, const struct mask *m)
{
	char exe[4096], fdarg[16], keyhex[2 * SEAL_KEY_LEN + 1];
	const char *f[2];
	int sp[2], i;
	ssize_t n;

	memset(sv, 0, sizeof(*sv));
	sv->c.fd = -1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return error("cannot find the runjob program in /proc/self/exe: "
			"%s", strerror(errno));
	exe[n] = '\0';
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return error("cannot make the supervisor's socket: %s",
			strerror(errno));
	snprintf(fdarg, sizeof(fdarg), "%d", sp[1]);
	sv->pid = fork();
	if (sv->pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return error("cannot start the supervisor: %s", strerror(errno));
	}
	if (sv->pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		fcntl(sp[1], F_SETFD, 0);
		proc_limits_given();
		execl(exe, "runjob", "supervise", fdarg, logdir, (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	chan_init(&sv->c, sp[0]);
	for (i = 0; key && i < SEAL_KEY_LEN; i++)
		snprintf(keyhex + 2 * i, 3, "%02x", key[i]);
	f[0] = keyhex;
	f[1] = run;
	if (key)
		chan_send(&sv->c, SV_KEY, f, 2);
	for (i = 0; m && (size_t)i < m->n; i++) {
		f[0] = m->words[i];
		chan_send(&sv->c, SV_MASK, f, 1);
	}
	return ready(sv);
}

void
sv_stop(struct sv *sv)
{
	int status;

	if (sv->pid <= 0)
		return;
	if (sv->c.fd >= 0) {
		int fl = fcntl(sv->c.fd, F_GETFL);

		/* What is still queued goes before the quit; blocking now,
		 * as nothing else is left to do. */
		fcntl(sv->c.fd, F_SETFL, fl & ~O_NONBLOCK);
		chan_send(&sv->c, SV_QUIT, NULL, 0);
		chan_flush(&sv->c);
		shutdown(sv->c.fd, SHUT_WR);
	}
	while (waitpid(sv->pid, &status, 0) < 0 && errno == EINTR)
		;
	chan_free(&sv->c);
	sv->pid = 0;
}

char *
sv_mask_context(const char *run)
{
	return xasprintf("mask\n%s", run);
}

/* The record's escaping of an id, undone in place. */
static void
unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*w++ = *s == 'n' ? '\n' : *s == 's' ? ' ' : *s;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* id's entry, made when it has none yet. */
static struct sv_end *
end_of(struct sv_record *r, const char *id)
{
	const struct sv_end *e = sv_record_find(r, id);

	if (e)
		return &r->v[e - r->v];
	xgrow(&r->v, &r->cap, r->n + 1, sizeof(*r->v));
	memset(&r->v[r->n], 0, sizeof(r->v[r->n]));
	r->v[r->n].id = xstrdup(id);
	return &r->v[r->n++];
}

static void
record_line(struct sv_record *r, char *line, const char *run,
	const unsigned char *key, int *this_boot)
{
	char *sp, *value;

	if (strncmp(line, "sv ", 3) == 0) {
		long pid;
		long long start;
		char boot[64];

		*this_boot = sscanf(line + 3, "%ld %lld %63s", &pid, &start,
			boot) == 3 && strcmp(boot, proc_boot_id()) == 0;
		if (*this_boot) {
			xgrow(&r->sv, &r->capsv, r->nsv + 1, sizeof(*r->sv));
			memset(&r->sv[r->nsv], 0, sizeof(r->sv[r->nsv]));
			r->sv[r->nsv].pid = (pid_t)pid;
			r->sv[r->nsv++].start = start;
		}
		return;
	}
	if (!*this_boot)
		return;
	if (strncmp(line, "bye ", 4) == 0 || strncmp(line, "alone ", 6) == 0) {
		size_t i;

		for (i = 0; i < r->nsv; i++)
			if (r->sv[i].pid == (pid_t)atol(strchr(line, ' ') + 1))
				r->sv[i].ppid = 1;
	} else if (strncmp(line, "made ", 5) == 0) {
		unescape(line + 5);
		end_of(r, line + 5)->made = 1;
	} else if (strncmp(line, "exit ", 5) == 0) {
		int status, why, off = 0;
		long long duration;
		struct sv_end *e;

		if (sscanf(line + 5, "%d %d %lld %n", &status, &why, &duration,
		    &off) < 3 || !off)
			return;
		unescape(line + 5 + off);
		e = end_of(r, line + 5 + off);
		e->status = status;
		e->timed_out = why == SV_TIMED_OUT;
		e->stopped = why == SV_STOPPED;
		e->duration_ms = duration;
		e->ended = e->made = 1;
	} else if (strncmp(line, "ckpt ", 5) == 0 &&
	    (sp = strchr(line + 5, ' '))) {
		struct sv_end *e;

		*sp = '\0';
		unescape(line + 5);
		e = end_of(r, line + 5);
		free(e->ckpt);
		e->ckpt = xstrdup(sp + 1);
	} else if (strncmp(line, "mask ", 5) == 0 && key) {
		char *where = sv_mask_context(run);

		if (unseal(key, where, line + 5, &value) == 0) {
			xgrow(&r->masks, &r->capmasks, r->nmasks + 1,
				sizeof(*r->masks));
			r->masks[r->nmasks++] = value;
		}
		free(where);
	}
}

void
sv_record_load(struct sv_record *r, const char *logdir, const char *run,
	const unsigned char *key)
{
	char *path = xasprintf("%s/supervisor", logdir), *line, *nl;
	struct buf b = {0};
	char chunk[65536];
	int fd, this_boot = 0;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	/* Only whole lines: one being written as runjob reads is not there
	 * yet. */
	for (line = b.s; line && (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		record_line(r, line, run, key, &this_boot);
	}
	buf_free(&b);
}

const struct sv_end *
sv_record_find(const struct sv_record *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].id, id) == 0)
			return &r->v[i];
	return NULL;
}

int
sv_record_live(const struct sv_record *r)
{
	size_t i;

	for (i = 0; i < r->nsv; i++)
		if (proc_alive(r->sv[i].pid, r->sv[i].start))
			return 1;
	return 0;
}

int
sv_record_whole(const struct sv_record *r)
{
	size_t i;

	for (i = 0; i < r->nsv; i++)
		if (r->sv[i].ppid != 1)
			return 0;
	return r->nsv > 0;
}

void
sv_record_free(struct sv_record *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].id);
		free(r->v[i].ckpt);
	}
	for (i = 0; i < r->nmasks; i++)
		free(r->masks[i]);
	free(r->v);
	free(r->masks);
	free(r->sv);
	memset(r, 0, sizeof(*r));
}
