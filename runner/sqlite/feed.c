/*
 * feed.c - the rows of a statement on the source read ahead by a thread
 * of their own, and the source's digest read in the time the thread
 * would spend waiting for the writer.
 */
#include <pthread.h>
#include <stdlib.h>

#include "digest.h"
#include "feed.h"
#include "util.h"

enum { CHUNK = 256, AHEAD = 2 };

/* Rows read, CHUNK at most: n rows of ncol values. */
struct chunk {
	sqlite3_value **v;
	int n;
};

struct feed {
	sqlite3_stmt *st;
	int ncol;
	sqlite3 *db;
	sqlite3_stmt *dig;	/* the digest's SELECT, while it runs */
	int dig_rc;		/* its last result */
	pthread_t t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int threaded;
	struct chunk q[AHEAD];	/* read, not taken yet */
	int head, count;
	int done;		/* the last chunk is in q */
	int rc;			/* st's last result */
	int stop;		/* the writer wants no more */
	int digested;
	struct chunk cur;	/* the chunk being taken, */
	int at;			/* and its next row */
};

static void
chunk_free(struct chunk *c, int ncol)
{
	int i;

	for (i = 0; i < c->n * ncol; i++)
		sqlite3_value_free(c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* Read the next rows into c; returns 1 when st has more. */
static int
fill(struct feed *f, struct chunk *c)
{
	int i, r = SQLITE_ROW;

	c->v = xcalloc((size_t)CHUNK * (size_t)f->ncol, sizeof(*c->v));
	c->n = 0;
	while (c->n < CHUNK && (r = sqlite3_step(f->st)) == SQLITE_ROW) {
		for (i = 0; i < f->ncol; i++)
			c->v[c->n * f->ncol + i] = sqlite3_value_dup(
				sqlite3_column_value(f->st, i));
		c->n++;
	}
	if (r == SQLITE_ROW)
		return 1;
	f->rc = r;
	return 0;
}

/* The next DIGEST_YIELD rows of the source's digest; 0 once it is
 * over. */
static int
digest_more(struct feed *f)
{
	if (!f->dig || f->dig_rc != SQLITE_ROW)
		return 0;
	f->dig_rc = sqlite3_step(f->dig);
	return f->dig_rc == SQLITE_ROW;
}

/* The rest of the source's digest, once its rows are read: while the
 * writer writes the last of them. */
static void
digest_source(struct feed *f)
{
	int stop;

	pthread_mutex_lock(&f->mu);
	stop = f->stop;
	pthread_mutex_unlock(&f->mu);
	if (!f->dig || f->rc != SQLITE_DONE || stop)
		return;
	while (digest_more(f))
		;
	f->digested = f->dig_rc == SQLITE_DONE;
}

static void *
feed_run(void *arg)
{
	struct feed *f = arg;
	struct chunk c;
	int more;

	do {
		more = fill(f, &c);
		pthread_mutex_lock(&f->mu);
		/* Rows enough read ahead: a part of the digest meanwhile,
		 * else a wait for the writer. */
		while (f->count == AHEAD && !f->stop) {
			int went;

			pthread_mutex_unlock(&f->mu);
			went = digest_more(f);
			pthread_mutex_lock(&f->mu);
			if (!went && f->count == AHEAD && !f->stop)
				pthread_cond_wait(&f->cv, &f->mu);
		}
		if (f->stop) {
			pthread_mutex_unlock(&f->mu);
			chunk_free(&c, f->ncol);
			return NULL;
		}
		f->q[(f->head + f->count++) % AHEAD] = c;
		f->done = !more;
		pthread_cond_signal(&f->cv);
		pthread_mutex_unlock(&f->mu);
	} while (more);
	digest_source(f);
	return NULL;
}

struct feed *
feed_start(sqlite3_stmt *st, int ncol, struct digest *d, sqlite3 *db,
	const char *dig)
{
	struct feed *f = xcalloc(1, sizeof(*f));

	f->st = st;
	f->ncol = ncol;
	f->db = db;
	f->rc = SQLITE_ROW;
	f->dig_rc = SQLITE_ROW;
	if (d && (digest_bind(d, 0, db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, dig, -1, &f->dig, NULL) != SQLITE_OK)) {
		sqlite3_finalize(f->dig);
		f->dig = NULL;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->threaded = sqlite3_threadsafe() &&
		pthread_create(&f->t, NULL, feed_run, f) == 0;
	return f;
}

/* The next chunk into f->cur; 0 at the end. */
static int
take(struct feed *f)
{
	chunk_free(&f->cur, f->ncol);
	f->at = 0;
	if (!f->threaded) {
		/* No thread: read here, as the writer asks. */
		if (f->done)
			return 0;
		f->done = !fill(f, &f->cur);
		return f->cur.n > 0;
	}
	pthread_mutex_lock(&f->mu);
	while (!f->count && !f->done)
		pthread_cond_wait(&f->cv, &f->mu);
	if (f->count) {
		f->cur = f->q[f->head];
		f->head = (f->head + 1) % AHEAD;
		f->count--;
		pthread_cond_signal(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	return f->cur.n > 0;
}

sqlite3_value **
feed_next(struct feed *f)
{
	while (f->at >= f->cur.n)
		if (!take(f))
			return NULL;
	return &f->cur.v[f->at++ * f->ncol];
}

int
feed_end(struct feed *f, int *read)
{
	int rc, i;

	if (f->threaded) {
		pthread_mutex_lock(&f->mu);
		/* Every row taken: the digest is worth waiting for. */
		f->stop = !f->done || f->count || f->at < f->cur.n;
		pthread_cond_signal(&f->cv);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->t, NULL);
	} else if (f->done && f->at >= f->cur.n) {
		digest_source(f);
	}
	for (i = 0; i < f->count; i++)
		chunk_free(&f->q[(f->head + i) % AHEAD], f->ncol);
	chunk_free(&f->cur, f->ncol);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	sqlite3_finalize(f->dig);
	rc = f->rc;
	*read = f->digested;
	free(f);
	return rc;
}
