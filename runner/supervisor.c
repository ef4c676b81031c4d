/*
 * supervisor.c - the run's supervisor (sv.h): the parent of every step,
 * the reader of their output, the keeper of how each ended. It does
 * what runjob asks while runjob is there, and carries on alone when it
 * is not, until the last of its steps has ended.
 *
 * One for a run rather than one for a step: a step costs it no process
 * of its own, and it is small, so that making the steps' processes is
 * as cheap from it as from anywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "lines.h"
#include "proc.h"
#include "seal.h"
#include "sv.h"
#include "util.h"

enum {
	/* Output held for runjob beyond this, and the steps' pipes are left
	 * unread until it has taken some: they wait, as they would for a
	 * slow terminal. */
	HELD_MAX = 8 << 20,
	MASK_MIN = 3,	/* shorter values would hide letters, not secrets */
	MASK_MAX = 64 * 1024,	/* longer ones would hold lines up too long */
	EARLY_MAX = 4,		/* processes made before the ended ones are
				 * done with: 2 descriptors each beyond -j */
};

/* One process made for runjob: a try of a step, an if: probe or a
 * rollback. */
struct kid {
	char *id;
	struct proc proc;
	long long start;
	int log;		/* made at its first output; -1 */
	int logged;
	int log_err;		/* why the log could not be made; 0 */
	char *log_path;
	struct lines lines;
	int builtin;
	int64_t made, deadline, kill_at, grace;	/* monotonic ms; 0: none */
	int timed_out;
	int stopped;		/* runjob stopped it: interrupted, the journal
				 * failed */
	int status;		/* as waitpid() gave it, once reaped */
	int hold;		/* even its exit 0 may fail the run: make
				 * nothing more after it until runjob says */
};

/* A spawn asked for, waiting for a slot: the frame's fields, copied. */
struct waiting {
	char *data, *end;	/* from its first field to its end */
};

struct sup {
	struct chan c;		/* to runjob; fd -1 once it is gone */
	size_t slots;		/* processes at once; 0: no limit */
	int held;		/* one ended in a way that may stop the run:
				 * nothing more is made until runjob says */
	struct waiting *q;	/* spawns waiting for a slot, oldest first */
	size_t qhead, nq, capq;
	int quit;		/* runjob said the run is over */
	int sigfd;
	int record;		/* the record, appended to */
	struct buf pending;	/* its lines of this turn, not written yet */
	int mask_r, mask_w;	/* the pipe behind $RUNJOB_MASK_FILE */
	struct buf mask_part;	/* a value not ended yet */
	struct mask mask;
	unsigned char key[SEAL_KEY_LEN];
	int have_key;
	char *run;
	struct kid **k;
	size_t nk, capk;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A record line, kept until the end of the turn (record_flush), when
 * the turn's lines are written with one write(2): fewer calls, and two
 * supervisors of one run (one left by a runjob that died) never
 * interleave their lines. */
static void
record(struct sup *s, struct buf *line)
{
	buf_add(&s->pending, line->s, line->len);
	buf_addc(&s->pending, '\n');
	buf_free(line);
}

/* Before runjob hears of them, and before the supervisor waits. */
static void
record_flush(struct sup *s)
{
	if (s->pending.len)
		write_full(s->record, s->pending.s, s->pending.len);
	buf_reset(&s->pending);
}

static void
add_escaped(struct buf *b, const char *id)
{
	for (; *id; id++) {
		if (*id == '\\' || *id == ' ' || *id == '\n') {
			buf_addc(b, '\\');
			buf_addc(b, *id == ' ' ? 's' : *id == '\n' ? 'n' : '\\');
		} else {
			buf_addc(b, *id);
		}
	}
}

static void
tell(struct sup *s, int type, const char *const *f, size_t nf)
{
	if (s->c.fd >= 0)
		chan_send(&s->c, type, f, nf);
}

/* Values a step wrote to $RUNJOB_MASK_FILE: hidden from here on, in
 * everything of the run, before any more of its output is read. */
static void
take_masks(struct sup *s)
{
	char chunk[4096], *nl;
	ssize_t r;

	while ((r = read(s->mask_r, chunk, sizeof(chunk))) > 0 ||
	    (r < 0 && errno == EINTR))
		if (r > 0)
			buf_add(&s->mask_part, chunk, (size_t)r);
	while (s->mask_part.len && (nl = memchr(s->mask_part.s, '\n',
	    s->mask_part.len))) {
		size_t len = (size_t)(nl - s->mask_part.s);
		char *v = xstrndup(s->mask_part.s, len);

		if (len && v[len - 1] == '\r')
			v[--len] = '\0';
		if (len >= MASK_MIN && len <= MASK_MAX && strlen(v) == len) {
			const char *f[1] = { v };

			mask_add(&s->mask, v);
			tell(s, SV_MASK, f, 1);
			if (s->have_key) {
				char *where = sv_mask_context(s->run);
				char *sealed = seal(s->key, where, v);
				struct buf line = {0};

				buf_addf(&line, "mask %s", sealed);
				record(s, &line);
				free(sealed);
				free(where);
			}
		}
		free(v);
		memmove(s->mask_part.s, nl + 1, s->mask_part.len - len - 1);
		s->mask_part.len -= len + 1;
		s->mask_part.s[s->mask_part.len] = '\0';
	}
	/* No value is that long: what has no newline by then is not one,
	 * and must not grow without end. */
	if (s->mask_part.len > MASK_MAX)
		buf_reset(&s->mask_part);
}

/* The log, at the first line to go in it: made only when there is
 * output, appended to, as runjob adds its own lines about the step.
 * When it cannot be made now (the disk filled since the step started),
 * the output still goes to runjob, whose journal keeps its tail. */
static void
open_log(struct sup *s, struct kid *k)
{
	char *msg;
	const char *f[2];

	k->log = open(k->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		0600);
	if (k->log >= 0)
		return;
	k->log_err = errno;
	msg = xasprintf("runjob: cannot create the log %s: %s; the step's "
		"output is kept only in the journal's tail", k->log_path,
		strerror(k->log_err));
	f[0] = k->id;
	f[1] = msg;
	tell(s, SV_LINE, f, 2);
	free(msg);
}

struct emit {
	struct sup *s;
	struct kid *k;
};

static void
emit(void *arg, char *line, size_t len)
{
	struct emit *e = arg;
	struct kid *k = e->k;
	struct buf m = {0};
	const char *f[2];

	f[0] = k->id;
	if (k->builtin && len && line[0] == ACTION_MARK) {
		line[len] = '\0';
		f[1] = line;
		tell(e->s, SV_MARK, f, 2);
		if (strncmp(line + 1, ACTION_CHECKPOINT,
		    strlen(ACTION_CHECKPOINT)) == 0) {
			struct buf rec = {0};

			buf_adds(&rec, "ckpt ");
			add_escaped(&rec, k->id);
			buf_addc(&rec, ' ');
			buf_adds(&rec, line + 1 + strlen(ACTION_CHECKPOINT));
			record(e->s, &rec);
		}
		return;
	}
	lines_mask(&e->s->mask, &m, line, len);
	buf_addc(&m, '\n');
	if (k->log < 0 && !k->log_err)
		open_log(e->s, k);
	if (k->log >= 0) {
		write_full(k->log, m.s, m.len);
		k->logged = 1;
	}
	m.s[m.len - 1] = '\0';
	f[1] = m.s;
	tell(e->s, SV_LINE, f, 2);
	buf_free(&m);
}

static void
read_output(struct sup *s, struct kid *k, int final)
{
	struct emit e = { s, k };
	char chunk[65536];

	take_masks(s);
	while (k->proc.out >= 0) {
		ssize_t r = read(k->proc.out, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			close(k->proc.out);
			k->proc.out = -1;
			break;
		}
		if (r < 0)
			break;
		lines_add(&k->lines, chunk, (size_t)r, emit, &e);
		if (!final)
			break;	/* the others' turn */
	}
	if (final) {
		lines_end(&k->lines, emit, &e);
		/* A process the step left behind may hold the pipe's other
		 * end: the step ended with its main process all the same. */
		if (k->proc.out >= 0) {
			close(k->proc.out);
			k->proc.out = -1;
		}
	}
}

static struct kid *
kid_named(struct sup *s, const char *id, size_t *at)
{
	size_t i;

	for (i = 0; i < s->nk; i++)
		if (strcmp(s->k[i]->id, id) == 0) {
			if (at)
				*at = i;
			return s->k[i];
		}
	return NULL;
}

static void
kid_free(struct kid *k)
{
	if (k->proc.out >= 0)
		close(k->proc.out);
	if (k->log >= 0)
		close(k->log);
	lines_free(&k->lines);
	free(k->id);
	free(k->log_path);
	free(k);
}

/* k's process could not be made: recorded as a shell would have it
 * end (127: not there, 126: not runnable), and said to runjob. */
static void
unmade(struct sup *s, struct kid *k, int err, const char *what)
{
	struct buf rec = {0};
	char num[16];
	const char *f[3] = { k->id, num, what };

	buf_addf(&rec, "exit %d 0 0 ", (err == ENOENT && strcmp(what, "exec") ==
		0 ? 127 : 126) << 8);
	add_escaped(&rec, k->id);
	record(s, &rec);
	snprintf(num, sizeof(num), "%d", err);
	tell(s, SV_FAIL, f, 3);
	kid_free(k);
	s->held = 1;	/* a failure: runjob decides what comes next */
}

/* S id log dir builtin timeout_ms grace_ms hold argc argv... env... */
static void
spawn(struct sup *s, struct frame *m)
{
	struct proc_spec spec;
	struct kid *k;
	struct buf rec = {0};
	char **argv, **envp, *p, *q, *end;
	size_t argc, nenv = 0, n, i;
	int64_t timeout;
	int r;

	if (m->nf < 8)
		return;
	argc = strtoul(m->f[7], NULL, 10);
	p = m->rest;	/* the fields run on to m->end */
	end = m->end;
	for (n = 0, q = p; q && q < end; q += strlen(q) + 1)
		n++;
	argv = xcalloc(argc + 1, sizeof(*argv));
	envp = xcalloc(n + 1, sizeof(*envp));
	for (i = 0; i < argc && p && p < end; i++, p += strlen(p) + 1)
		argv[i] = p;
	for (; p && p < end; p += strlen(p) + 1)
		envp[nenv++] = p;
	k = xcalloc(1, sizeof(*k));
	k->id = xstrdup(m->f[0]);
	k->log_path = xstrdup(m->f[1]);
	k->builtin = strcmp(m->f[3], "1") == 0;
	timeout = strtoll(m->f[4], NULL, 10);
	k->grace = strtoll(m->f[5], NULL, 10);
	k->hold = strcmp(m->f[6], "1") == 0;
	k->lines.mask = &s->mask;
	k->proc.out = -1;
	/* The log is made at the first output, as most steps of a big job
	 * print nothing and making and removing a file for each would cost
	 * more than the step; that it can be is seen to first: nothing is
	 * in its way, not even a log of the same name from before. */
	k->log = -1;
	if ((unlink(k->log_path) < 0 && errno != ENOENT) || i < argc) {
		unmade(s, k, i < argc ? EINVAL : errno, "log");
		goto out;
	}
	spec.argv = argv;
	spec.envp = envp;
	spec.dir = m->f[2][0] ? m->f[2] : NULL;
	spec.keep_fd = s->mask_w;
	if ((r = proc_spawn(&k->proc, &spec)) != 0) {
		unmade(s, k, r, "exec");
		goto out;
	}
	k->start = k->proc.start;
	k->made = mono_ms();
	buf_adds(&rec, "made ");
	add_escaped(&rec, k->id);
	record(s, &rec);
	if (timeout > 0)
		k->deadline = k->made + timeout;
	xgrow(&s->k, &s->capk, s->nk + 1, sizeof(*s->k));
	s->k[s->nk++] = k;
out:
	free(argv);
	free(envp);
}

/* Tell runjob of the processes made since s->k[first]. */
static void
tell_made(struct sup *s, size_t first)
{
	for (; first < s->nk; first++) {
		struct kid *k = s->k[first];
		char num[2][32];
		const char *f[3] = { k->id, num[0], num[1] };

		snprintf(num[0], sizeof(num[0]), "%ld", (long)k->proc.pid);
		snprintf(num[1], sizeof(num[1]), "%lld", k->start);
		tell(s, SV_PID, f, 3);
	}
}

/* Make what waits while there are slots for it, at most most of it;
 * runjob is told now, or by the caller with tell_made(). */
static void
spawn_waiting(struct sup *s, size_t most, int tell_now)
{
	size_t first = s->nk;

	while (!s->held && s->qhead < s->nq && most-- > 0 &&
	    (!s->slots || s->nk < s->slots)) {
		struct waiting *w = &s->q[s->qhead++];
		struct frame m;
		char *p;

		memset(&m, 0, sizeof(m));
		for (p = w->data; p < w->end &&
		    m.nf < sizeof(m.f) / sizeof(m.f[0]); p += strlen(p) + 1)
			m.f[m.nf++] = p;
		m.rest = p < w->end ? p : NULL;
		m.end = w->end;
		spawn(s, &m);
		free(w->data);
	}
	if (s->qhead == s->nq)
		s->qhead = s->nq = 0;
	if (tell_now)
		tell_made(s, first);
}

static void
wait_for_slot(struct sup *s, const struct frame *m)
{
	struct waiting *w;
	size_t len;

	if (m->nf < 1)
		return;
	len = (size_t)(m->end - m->f[0]);
	xgrow(&s->q, &s->capq, s->nq + 1, sizeof(*s->q));
	w = &s->q[s->nq++];
	w->data = xmalloc(len);
	memcpy(w->data, m->f[0], len);
	w->end = w->data + len;
}

/* A spawn still waiting is dropped: never made, and runjob told so. */
static void
drop_waiting(struct sup *s, const char *id)
{
	size_t i;

	for (i = s->qhead; i < s->nq; i++) {
		const char *f[1] = { s->q[i].data };

		if (id && strcmp(s->q[i].data, id) != 0)
			continue;
		tell(s, SV_DROPPED, f, 1);
		free(s->q[i].data);
		memmove(&s->q[i], &s->q[i + 1], (s->nq - i - 1) *
			sizeof(*s->q));
		s->nq--;
		i--;
	}
}

static void
from_runjob(struct sup *s, struct frame *m)
{
	struct kid *k;
	size_t i;

	switch (m->type) {
	case SV_KEY:
		if (m->nf < 2 || strlen(m->f[0]) != 2 * SEAL_KEY_LEN)
			break;
		for (i = 0; i < SEAL_KEY_LEN; i++) {
			unsigned v;

			sscanf(m->f[0] + 2 * i, "%2x", &v);
			s->key[i] = (unsigned char)v;
		}
		s->have_key = 1;
		free(s->run);
		s->run = xstrdup(m->f[1]);
		break;
	case SV_MASK:
		if (m->nf >= 1)
			mask_add(&s->mask, m->f[0]);
		break;
	case SV_SPAWN:
		wait_for_slot(s, m);
		spawn_waiting(s, SIZE_MAX, 1);
		break;
	case SV_SLOTS:
		if (m->nf >= 1)
			s->slots = strtoul(m->f[0], NULL, 10);
		s->held = 0;
		spawn_waiting(s, SIZE_MAX, 1);
		break;
	case SV_DROP:
		if (m->nf >= 1)
			drop_waiting(s, m->f[0]);
		break;
	case SV_KILL:
		if (m->nf < 3 || !(k = kid_named(s, m->f[0], NULL)))
			break;
		k->timed_out |= strcmp(m->f[2], "timeout") == 0;
		k->stopped |= strcmp(m->f[2], "stop") == 0;
		kill(-k->proc.pid, atoi(m->f[1]));
		break;
	case SV_QUIT:
		s->quit = 1;
		break;
	}
}

/* A process of runjob's ended: the rest of its output, then how it
 * ended, first to the record, then to runjob. */
static void
ended(struct sup *s, struct kid *k)
{
	int status = k->status;
	struct buf rec = {0};
	char num[16];
	const char *f[3];

	read_output(s, k, 1);
	if (k->log >= 0)
		close(k->log);
	k->log = -1;
	buf_addf(&rec, "exit %d %d %lld ", status, k->stopped ? SV_STOPPED :
		k->timed_out ? SV_TIMED_OUT : 0, (long long)(mono_ms() - k->made));
	add_escaped(&rec, k->id);
	record(s, &rec);
	snprintf(num, sizeof(num), "%d", status);
	f[0] = k->id;
	f[1] = num;
	f[2] = k->logged ? "1" : "0";
	tell(s, SV_EXIT, f, 3);
	kid_free(k);
}

static void
reap(struct sup *s)
{
	struct signalfd_siginfo si;
	struct kid **gone = NULL;
	size_t ngone = 0, capgone = 0, i, first;
	pid_t pid;
	int status;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	/* Whatever else comes is a step's descendant that outlived its
	 * parent and was given to this process, the subreaper. */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < s->nk; i++)
			if (s->k[i]->proc.pid == pid) {
				xgrow(&gone, &capgone, ngone + 1, sizeof(*gone));
				gone[ngone++] = s->k[i];
				s->k[i]->status = status;
				/* A failure may stop the run: runjob decides. */
				if (status || s->k[i]->hold ||
				    s->k[i]->stopped || s->k[i]->timed_out)
					s->held = 1;
				s->k[i] = s->k[--s->nk];
				break;
			}
	/* The next first, into the slots freed: what is left to do for
	 * the ended is not in its way. Only a few: until then the ended
	 * still hold their descriptors, which -j was fitted without. The
	 * rest once they are closed. runjob hears of the ends first, in
	 * the order they came. */
	first = s->nk;
	spawn_waiting(s, EARLY_MAX, 0);
	for (i = 0; i < ngone; i++)
		ended(s, gone[i]);
	spawn_waiting(s, SIZE_MAX, 0);
	tell_made(s, first);
	free(gone);
}

/* With runjob gone, its steps' timeouts are kept here: SIGTERM to the
 * group at the timeout, SIGKILL once its kill_grace has passed. */
static int64_t
keep_timeouts(struct sup *s)
{
	int64_t now = mono_ms(), next = -1;
	size_t i;

	for (i = 0; i < s->nk; i++) {
		struct kid *k = s->k[i];
		int64_t at;

		if (k->deadline && now >= k->deadline && !k->timed_out) {
			k->timed_out = 1;
			kill(-k->proc.pid, SIGTERM);
			k->kill_at = now + k->grace;
		} else if (k->kill_at && now >= k->kill_at) {
			kill(-k->proc.pid, SIGKILL);
			k->kill_at = 0;
		}
		at = k->kill_at ? k->kill_at : k->timed_out ? 0 : k->deadline;
		if (at && (next < 0 || at - now < next))
			next = at > now ? at - now : 0;
	}
	return next;
}

/* runjob is gone: all it asked for was read, and is done or refused. */
static void
runjob_gone(struct sup *s)
{
	struct buf line = {0};

	/* What waits is not made without the runjob that asked: the next
	 * one runs it again, as it finds it never made. */
	drop_waiting(s, NULL);
	chan_free(&s->c);
	buf_addf(&line, "alone %ld", (long)getpid());
	record(s, &line);
}

static void
loop(struct sup *s)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0, n, i;

	for (;;) {
		int timeout = -1;
		int held;

		record_flush(s);
		if (s->c.fd >= 0 && chan_flush(&s->c) < 0)
			runjob_gone(s);
		record_flush(s);
		if ((s->c.fd < 0 || s->quit) && !s->nk && s->qhead == s->nq)
			break;
		if (s->c.fd < 0) {
			int64_t t = keep_timeouts(s);

			timeout = t < 0 ? -1 : t > 60000 ? 60000 : (int)t;
		}
		held = s->c.fd >= 0 && s->c.out.len - s->c.outoff > HELD_MAX;
		xgrow(&pfd, &cap, s->nk + 3, sizeof(*pfd));
		n = 0;
		pfd[n].fd = s->sigfd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = s->c.fd;
		pfd[n++].events = s->c.fd < 0 ? 0 : POLLIN |
			(chan_pending(&s->c) ? POLLOUT : 0);
		pfd[n].fd = s->mask_r;
		pfd[n++].events = POLLIN;
		for (i = 0; i < s->nk; i++) {
			pfd[n].fd = held ? -1 : s->k[i]->proc.out;
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			fatal("supervisor: poll: %s", strerror(errno));
		if (pfd[2].revents)
			take_masks(s);
		for (i = 0; i < s->nk; i++)
			if (pfd[3 + i].revents && s->k[i]->proc.out >= 0)
				read_output(s, s->k[i], 0);
		if (s->c.fd >= 0 && pfd[1].revents) {
			struct frame m;
			int r = chan_fill(&s->c);

			while (chan_next(&s->c, &m))
				from_runjob(s, &m);
			if (r <= 0)
				runjob_gone(s);
		}
		if (pfd[0].revents)
			reap(s);
	}
	free(pfd);
}

int
cmd_supervise(int argc, char **argv)
{
	struct sup s;
	struct buf head = {0};
	char *path;
	sigset_t set;
	int mp[2];

	if (argc != 3)
		return 2;
	memset(&s, 0, sizeof(s));
	chan_init(&s.c, atoi(argv[1]));
	fcntl(s.c.fd, F_SETFD, FD_CLOEXEC);
	fcntl(s.c.fd, F_SETFL, O_NONBLOCK);
	/* Its own process group, out of the terminal's foreground one,
	 * and deaf to ^C and hangups: they are runjob's to act on, and a
	 * lost ssh session must not end the steps. Not a session of its
	 * own: the kernel would schedule it and the steps as a group apart
	 * (autogroup), and each step would wait longer to start. */
	setpgid(0, 0);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	proc_init();
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((s.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		fatal("supervisor: signalfd: %s", strerror(errno));
	if (pipe2(mp, O_CLOEXEC) < 0)
		fatal("supervisor: pipe: %s", strerror(errno));
	s.mask_r = mp[0];
	s.mask_w = mp[1];
	fcntl(s.mask_r, F_SETFL, O_NONBLOCK);
	path = xasprintf("%s/supervisor", argv[2]);
	s.record = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (s.record < 0)
		fatal("supervisor: cannot open its record %s: %s", path,
			strerror(errno));
	free(path);
	buf_addf(&head, "sv %ld %lld %s", (long)getpid(),
		proc_start_time(getpid()), proc_boot_id());
	record(&s, &head);
	record_flush(&s);
	tell(&s, SV_READY, NULL, 0);
	loop(&s);
	/* Everything runjob asked for was done or refused, and recorded:
	 * an attempt this record does not name was never made. */
	buf_addf(&head, "bye %ld", (long)getpid());
	record(&s, &head);
	record_flush(&s);
	buf_free(&s.pending);
	chan_free(&s.c);
	mask_free(&s.mask);
	buf_free(&s.mask_part);
	free(s.k);
	free(s.q);
	free(s.run);
	close(s.record);
	close(s.sigfd);
	close(s.mask_r);
	close(s.mask_w);
	return 0;
}
