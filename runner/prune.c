/*
 * prune.c - runjob prune: the log files and output tails of runs that
 * ended before a date, let go of. Their rows, events and hashes stay:
 * the chain covers events, not the attempts' output, so audit verify
 * passes after. Each run pruned gets a 'pruned' event saying what went.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "clock.h"
#include "exitcode.h"
#include "journal.h"
#include "units.h"
#include "util.h"
#include "where.h"

struct tail {
	char *run, *id, *log;
	int64_t output;		/* bytes of output tail */
};

struct prunable {
	struct tail *t;
	size_t n, cap;
};

static int
collect(void *arg, const struct jrow *row)
{
	struct prunable *p = arg;
	const char *log = jrow_get(row, "log");
	const char *len = jrow_get(row, "output_len");
	struct tail *t;

	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->t = xreallocarray(p->t, p->cap, sizeof(*p->t));
	}
	t = &p->t[p->n++];
	t->run = xstrdup(jrow_get(row, "run_id"));
	t->id = xstrdup(jrow_get(row, "id"));
	t->log = log ? xstrdup(log) : NULL;
	t->output = len ? strtoll(len, NULL, 10) : 0;
	return 0;
}

/* --before: a date or a local time on the clock of TZ, or an instant. */
static int
before_ms(const char *s, int64_t *ms)
{
	int64_t secs;
	struct tm tm;
	time_t t;
	int form = clock_parse(s, &secs);

	if (form < 0)
		return -1;
	if (form != CLOCK_INSTANT) {
		t = (time_t)secs;
		gmtime_r(&t, &tm);
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1)
			return -1;
		secs = t;
	}
	*ms = secs * 1000;
	return 0;
}

static int
cmd_prune(int argc, char **argv)
{
	struct prunable p = {0};
	struct journal *jn = NULL;
	struct buf data = {0};
	struct opts o;
	struct stat st;
	int64_t before, bytes = 0, run_bytes = 0, now = now_ms();
	size_t i, start, runs = 0, logs = 0;
	char *path = NULL, size[32];
	int first, r, code = EXIT_FAILED;

	if ((first = parse_opts("prune", argc, argv, &o, "before journal")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (argc != first || !o.before) {
		free_opts(&o);
		return usage_error("prune", argc != first ? "prune takes no "
			"operands" : "prune needs --before DATE");
	}
	if (before_ms(o.before, &before) < 0) {
		free_opts(&o);
		return usage_error("prune", "--before takes a date, as "
			"2026-11-21, a local time, as 2026-11-21T02:30, or an "
			"instant, as 2026-11-21T02:30:00Z");
	}
	path = journal_choose(o.journal, NULL);
	if ((r = journal_open(&jn, path, JOURNAL_WRITE)) < 0 ||
	    (r = journal_begin(jn)) < 0)
		goto out;
	if ((r = journal_prunable(jn, before, collect, &p)) < 0)
		goto fail;
	for (start = 0, i = 0; i < p.n; i++) {
		struct tail *t = &p.t[i];

		run_bytes += t->output;
		if (t->log && stat(t->log, &st) == 0 && S_ISREG(st.st_mode))
			run_bytes += st.st_size;
		if ((r = journal_prune_attempt(jn, t->id)) < 0)
			goto fail;
		if (i + 1 < p.n && strcmp(p.t[i + 1].run, t->run) == 0)
			continue;
		data.len = 0;
		buf_addf(&data, "{\"attempts\":%zu,\"bytes\":%" PRId64
			",\"before\":%" PRId64 "}", i + 1 - start, run_bytes,
			before);
		if ((r = journal_event(jn, t->run, now, "pruned", NULL,
		    buf_str(&data))) < 0)
			goto fail;
		bytes += run_bytes;
		run_bytes = 0;
		start = i + 1;
		runs++;
	}
	if ((r = journal_commit(jn)) < 0)
		goto out;
	/* The rows say the logs are gone once that is committed; a log
	 * that cannot be removed now is said, and left. */
	for (i = 0; i < p.n; i++) {
		char *slash;

		if (!p.t[i].log)
			continue;
		if (unlink(p.t[i].log) == 0)
			logs++;
		else if (errno != ENOENT)
			warn("cannot remove %s: %s", p.t[i].log,
				strerror(errno));
		if ((slash = strrchr(p.t[i].log, '/'))) {
			*slash = '\0';
			rmdir(p.t[i].log);	/* the run's, once empty */
		}
	}
	format_bytes(bytes, size, sizeof(size));
	if (!runs)
		printf("nothing to prune: no run that ended before %s has a log "
			"or an output tail left\n", o.before);
	else
		printf("pruned %zu run%s (%zu log file%s and %zu output "
			"tail%s): %s freed\n", runs, runs == 1 ? "" : "s", logs,
			logs == 1 ? "" : "s", p.n, p.n == 1 ? "" : "s", size);
	code = EXIT_OK;
	goto out;
fail:
	journal_abort(jn);
out:
	if (r == JOURNAL_BUSY)
		code = EXIT_LOCKED;
	for (i = 0; i < p.n; i++) {
		free(p.t[i].run);
		free(p.t[i].id);
		free(p.t[i].log);
	}
	free(p.t);
	buf_free(&data);
	free(path);
	journal_close(jn);
	free_opts(&o);
	return code;
}

const struct command cmd_prune_entry = { "prune", cmd_prune,
	"prune --before DATE [--journal PATH]",
	"delete the logs and output tails of runs that ended before DATE",
	"--before DATE      a date or local time (TZ), or an instant (...Z)\n"
	"--journal PATH     the journal\n" };
