/*
 * writer.c - the journal's writer thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util.h"
#include "writer.h"

enum op_kind {
	OP_ADD_STEP, OP_SET_STEP, OP_START_ATTEMPT, OP_SET_PID,
	OP_END_ATTEMPT, OP_ADD_OUTPUT, OP_RESUME_RUN, OP_EVENT,
};

/* One queued write: its kind, up to six strings and four numbers. */
struct op {
	enum op_kind kind;
	char *s[6];
	long long n[4];
};

struct jwriter {
	struct journal *j;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* sealed work, or stop */
	pthread_cond_t idle;		/* the writer caught up */
	int fd;				/* eventfd: a batch became durable */
	/* Owned by the scheduler's thread. */
	struct op *open;		/* queued, not sealed */
	size_t nopen, capopen;
	/* Shared, under lock. */
	struct op *sealed;		/* sealed, not yet taken */
	size_t nsealed, capsealed;
	uint64_t last_sealed;		/* the number of the last sealed batch */
	uint64_t durable;		/* the last batch committed */
	int failed, stop, busy;
};

static void
op_free(struct op *o)
{
	size_t i;

	for (i = 0; i < 6; i++)
		free(o->s[i]);
}

static int
run_op(struct journal *j, const struct op *o)
{
	struct jattempt a;

	switch (o->kind) {
	case OP_ADD_STEP:
		return journal_add_step(j, o->s[0], o->s[1], o->s[2]);
	case OP_SET_STEP:
		return journal_set_step(j, o->s[0], o->s[1], o->s[2]);
	case OP_START_ATTEMPT:
		memset(&a, 0, sizeof(a));
		a.id = o->s[0];
		a.run = o->s[1];
		a.step = o->s[2];
		a.kind = o->s[3];
		a.attempt = (int)o->n[0];
		a.started = o->n[1];
		return journal_start_attempt(j, &a);
	case OP_SET_PID:
		return journal_set_pid(j, o->s[0], (long)o->n[0], o->n[1],
			o->s[1]);
	case OP_END_ATTEMPT:
		return journal_end_attempt(j, o->s[0], o->s[1], (int)o->n[0],
			(int)o->n[1], o->n[2], o->s[2], o->s[3]);
	case OP_ADD_OUTPUT:
		return journal_add_output(j, o->s[0], o->s[1], o->s[2], o->s[3],
			o->s[4]);
	case OP_RESUME_RUN:
		return journal_resume_run(j, o->s[0], (long)o->n[0], o->s[1]);
	case OP_EVENT:
		return journal_event(j, o->s[0], o->n[0], o->s[1], o->s[2],
			o->s[3]);
	}
	return -1;
}

static void *
writer(void *arg)
{
	struct jwriter *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct op *ops;
		size_t n, i;
		uint64_t upto, one = 1;
		int r = 0;

		while (!w->nsealed && !w->stop)
			pthread_cond_wait(&w->wake, &w->lock);
		if (!w->nsealed && w->stop)
			break;
		/* Take everything sealed so far: one transaction for all. */
		ops = w->sealed;
		n = w->nsealed;
		upto = w->last_sealed;
		w->sealed = NULL;
		w->nsealed = w->capsealed = 0;
		w->busy = 1;
		pthread_mutex_unlock(&w->lock);

		if (!w->failed) {
			r = journal_begin(w->j);
			for (i = 0; r == 0 && i < n; i++)
				r = run_op(w->j, &ops[i]);
			if (r == 0)
				r = journal_commit(w->j);
			else
				journal_abort(w->j);
		}
		for (i = 0; i < n; i++)
			op_free(&ops[i]);
		free(ops);

		pthread_mutex_lock(&w->lock);
		w->busy = 0;
		if (r < 0 || w->failed)
			w->failed = 1;
		else
			w->durable = upto;
		if (write(w->fd, &one, sizeof(one)) < 0) {
			/* An eventfd only fails to take a write when it is
			 * full; it is readable then all the same. */
		}
		pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct jwriter *
jwriter_start(struct journal *j)
{
	struct jwriter *w = xcalloc(1, sizeof(*w));

	w->j = j;
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->fd < 0)
		fatal("eventfd: %s", strerror(errno));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->idle, NULL);
	if (pthread_create(&w->thread, NULL, writer, w) != 0)
		fatal("cannot start the journal's writer thread");
	/* Told apart from the scheduler's in ps, top and perf. */
	pthread_setname_np(w->thread, "runjob-journal");
	return w;
}

static struct op *
push(struct jwriter *w, enum op_kind kind)
{
	struct op *o;

	xgrow(&w->open, &w->capopen, w->nopen + 1, sizeof(*w->open));
	o = &w->open[w->nopen++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	return o;
}

static char *
copy(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
jw_add_step(struct jwriter *w, const char *run, const char *step,
	const char *def_hash)
{
	struct op *o = push(w, OP_ADD_STEP);

	o->s[0] = copy(run);
	o->s[1] = copy(step);
	o->s[2] = copy(def_hash);
}

void
jw_set_step(struct jwriter *w, const char *run, const char *step,
	const char *state)
{
	struct op *o = push(w, OP_SET_STEP);

	o->s[0] = copy(run);
	o->s[1] = copy(step);
	o->s[2] = copy(state);
}

void
jw_start_attempt(struct jwriter *w, const struct jattempt *a)
{
	struct op *o = push(w, OP_START_ATTEMPT);

	o->s[0] = copy(a->id);
	o->s[1] = copy(a->run);
	o->s[2] = copy(a->step);
	o->s[3] = copy(a->kind);
	o->n[0] = a->attempt;
	o->n[1] = a->started;
}

void
jw_set_pid(struct jwriter *w, const char *id, long pid, long long pid_start,
	const char *boot_id)
{
	struct op *o = push(w, OP_SET_PID);

	o->s[0] = copy(id);
	o->s[1] = copy(boot_id);
	o->n[0] = pid;
	o->n[1] = pid_start;
}

void
jw_end_attempt(struct jwriter *w, const char *id, const char *state,
	int exit_code, int signal, int64_t ended, const char *output,
	const char *log)
{
	struct op *o = push(w, OP_END_ATTEMPT);

	o->s[0] = copy(id);
	o->s[1] = copy(state);
	o->s[2] = copy(output);
	o->s[3] = copy(log);
	o->n[0] = exit_code;
	o->n[1] = signal;
	o->n[2] = ended;
}

void
jw_add_output(struct jwriter *w, const char *run, const char *step,
	const char *name, const char *value, const char *sealed)
{
	struct op *o = push(w, OP_ADD_OUTPUT);

	o->s[0] = copy(run);
	o->s[1] = copy(step);
	o->s[2] = copy(name);
	o->s[3] = copy(value);
	o->s[4] = copy(sealed);
}

void
jw_resume_run(struct jwriter *w, const char *run, long pid,
	const char *state)
{
	struct op *o = push(w, OP_RESUME_RUN);

	o->s[0] = copy(run);
	o->s[1] = copy(state);
	o->n[0] = pid;
}

void
jw_event(struct jwriter *w, const char *run, int64_t at, const char *kind,
	const char *step, const char *data)
{
	struct op *o = push(w, OP_EVENT);

	o->s[0] = copy(run);
	o->s[1] = copy(kind);
	o->s[2] = copy(step);
	o->s[3] = copy(data);
	o->n[0] = at;
}

uint64_t
jwriter_seal(struct jwriter *w)
{
	uint64_t n;

	pthread_mutex_lock(&w->lock);
	if (w->nopen) {
		xgrow(&w->sealed, &w->capsealed, w->nsealed + w->nopen,
			sizeof(*w->sealed));
		memcpy(w->sealed + w->nsealed, w->open,
			w->nopen * sizeof(*w->open));
		w->nsealed += w->nopen;
		w->nopen = 0;
		w->last_sealed++;
		pthread_cond_signal(&w->wake);
	}
	n = w->last_sealed;
	pthread_mutex_unlock(&w->lock);
	return n;
}

size_t
jwriter_queued(const struct jwriter *w)
{
	return w->nopen;
}

int
jwriter_fd(const struct jwriter *w)
{
	return w->fd;
}

int
jwriter_durable(struct jwriter *w, uint64_t *batch)
{
	uint64_t count;
	int failed;

	while (read(w->fd, &count, sizeof(count)) > 0)
		;
	pthread_mutex_lock(&w->lock);
	*batch = w->durable;
	failed = w->failed;
	pthread_mutex_unlock(&w->lock);
	return failed ? -1 : 0;
}

int
jwriter_finish(struct jwriter *w)
{
	size_t i;
	int failed;

	jwriter_seal(w);
	pthread_mutex_lock(&w->lock);
	while ((w->nsealed || w->busy) && !w->failed)
		pthread_cond_wait(&w->idle, &w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	failed = w->failed;
	for (i = 0; i < w->nsealed; i++)
		op_free(&w->sealed[i]);
	free(w->sealed);
	free(w->open);
	close(w->fd);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->idle);
	free(w);
	return failed ? -1 : 0;
}
