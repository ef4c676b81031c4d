/*
 * audit.c - runjob audit verify and runjob audit head: the journal's
 * chain of events, recomputed with its key.
 *
 * Each event's hash is HMAC-SHA256 under the journal's key of the hash
 * before it and the event (journal_event_hash in journal.h says which
 * bytes), so that whoever can write to the journal but has not the key
 * cannot edit, delete, insert or reorder an event without verify seeing
 * it. Cutting the newest events leaves a whole chain: the head kept off
 * the machine (audit head) is what proves them there.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "exitcode.h"
#include "journal.h"
#include "key.h"
#include "util.h"
#include "where.h"

struct verify {
	struct hmac keyed;
	int64_t seq, n;		/* the last event whole so far, how many */
	char prev[65];		/* its hash */
	char run[128];		/* its run */
	const char *head;	/* --head: the hash to find */
	int64_t head_seq;	/* where it was found; 0: not */
	int64_t bad_seq;	/* the first event that is not right; 0: none */
	char *problem, *what;	/* what is wrong with it, in a word, in words */
	int key_opens;		/* after a failure at the first event: some
				   event's hash is the key's */
	int loose;		/* the second half: its first event's prev is
				   checked against the first half's last hash */
	char first_prev[65];	/* that prev */
	char first_run[128];
	int64_t first_seq;
};

static void
fail(struct verify *v, int64_t seq, const char *problem, char *what)
{
	v->bad_seq = seq;
	v->problem = xstrdup(problem);
	v->what = what;
}

static int
verify_event(void *arg, const struct jevent *e)
{
	struct verify *v = arg;
	char h[65];

	if (v->bad_seq) {
		/* The chain broke at its first event: does the key open any
		 * event at all? If none, it is the wrong key. */
		if (!e->prev || !e->hash)
			return 0;
		journal_event_hash(&v->keyed, e, h);
		return v->key_opens = strcmp(h, e->hash) == 0;
	}
	if (v->loose && e->seq == v->seq + 1) {
		v->loose = 0;
		v->first_seq = e->seq;
		snprintf(v->first_prev, sizeof(v->first_prev), "%s",
			e->prev ? e->prev : "");
		snprintf(v->first_run, sizeof(v->first_run), "%s",
			e->run ? e->run : "-");
		memcpy(v->prev, v->first_prev, sizeof(v->prev));
	}
	if (e->seq != v->seq + 1) {
		fail(v, v->seq + 1, "deleted", e->seq > v->seq + 1 ?
			xasprintf("event %" PRId64 " is missing, between event "
			"%" PRId64 " (run %s) and event %" PRId64 " (run %s): "
			"deleted", v->seq + 1, v->seq, v->n ? v->run : "-",
			e->seq, e->run ? e->run : "-") :
			xasprintf("event %" PRId64 " (run %s) is out of order",
			e->seq, e->run ? e->run : "-"));
	} else if (!e->prev || strcmp(e->prev, v->prev) != 0) {
		fail(v, e->seq, "moved", xasprintf("event %" PRId64 " (run %s) "
			"does not follow event %" PRId64 " (run %s): an event was "
			"deleted, inserted or moved there", e->seq,
			e->run ? e->run : "-", v->seq, v->n ? v->run : "-"));
	} else {
		journal_event_hash(&v->keyed, e, h);
		if (!e->hash || strcmp(h, e->hash) != 0)
			fail(v, e->seq, "edited", xasprintf("event %" PRId64
				" (run %s) was edited, or put there: its hash is "
				"not the hash of what it says", e->seq,
				e->run ? e->run : "-"));
	}
	if (v->bad_seq && v->n == 0 && v->seq == 0) {
		/* At the first event: go on, to test the key. */
		if (!e->prev || !e->hash)
			return 0;
		journal_event_hash(&v->keyed, e, h);
		return v->key_opens = strcmp(h, e->hash) == 0;
	}
	if (v->bad_seq)
		return 1;
	v->seq = e->seq;
	v->n++;
	memcpy(v->prev, e->hash, sizeof(v->prev));
	if (strcmp(v->run, e->run ? e->run : "") != 0)	/* seldom */
		snprintf(v->run, sizeof(v->run), "%s", e->run ? e->run : "");
	if (v->head && strcmp(v->head, e->hash) == 0)
		v->head_seq = e->seq;
	return 0;
}

/* A run row that says other than its events: its state and exit code
 * against its last run-finished (or run-unknown) event, its start
 * against its run-started event. A run still going, or taken up again,
 * has no end to compare. */
static int
verify_run(void *arg, const struct jrow *row)
{
	struct verify *v = arg;
	const char *id = jrow_get(row, "id"), *state = jrow_get(row, "state");
	const char *code = jrow_get(row, "exit_code");
	const char *started = jrow_get(row, "started");
	const char *started_at = jrow_get(row, "started_at");
	const char *kind = jrow_get(row, "last_kind");
	const char *seq = jrow_get(row, "last_seq");
	const char *last_state = jrow_get(row, "last_state");
	const char *last_exit = jrow_get(row, "last_exit");
	int64_t s = seq ? strtoll(seq, NULL, 10) : 0;

	if (strcmp(jrow_get(row, "events"), "0") == 0) {
		fail(v, 0, "run", xasprintf("run %s has no events: its row was "
			"put there, or its events taken out", id));
		return 1;
	}
	if (started_at && (!started || strcmp(started, started_at) != 0)) {
		fail(v, 0, "run", xasprintf("run %s: its row says it started at "
			"%s, its run-started event at %s: the row was edited", id,
			started ? started : "null", started_at));
		return 1;
	}
	if (!kind)
		return 0;
	if (strcmp(kind, "run-unknown") == 0)
		last_state = "unknown";
	else if (strcmp(kind, "run-finished") != 0)
		return 0;
	if (last_state && (!state || strcmp(state, last_state) != 0)) {
		fail(v, 0, "run", xasprintf("run %s: its row says %s, its event "
			"%" PRId64 " (%s) says %s: the row was edited", id,
			state ? state : "null", s, kind, last_state));
		return 1;
	}
	if (last_exit && (!code || strcmp(code, last_exit) != 0)) {
		fail(v, 0, "run", xasprintf("run %s: its row says exit code %s, "
			"its event %" PRId64 " (%s) says %s: the row was edited", id,
			code ? code : "null", s, kind, last_exit));
		return 1;
	}
	return 0;
}

/* The journal the audit commands read, its key into keyed. */
static int
open_keyed(struct journal **jn, const struct opts *o, struct hmac *keyed)
{
	unsigned char key[JOURNAL_KEY_LEN];
	char *path = journal_choose(o->journal, NULL), *kp;
	long version;
	int r;

	if (journal_open(jn, path, JOURNAL_READ) < 0) {
		free(path);
		return -1;
	}
	if ((version = journal_version(*jn)) < 0) {
		free(path);
		return -1;
	}
	if (version < 4) {
		error("journal %s has the unkeyed event chain of an older runjob "
			"(schema version %ld): a runjob that writes to it (run, "
			"resume, prune) keys it first", path, version);
		free(path);
		return -1;
	}
	kp = journal_key_path(path);
	if ((r = journal_key(path, 0, key)) == 1)
		error("the journal's key %s is missing: the chain of %s cannot "
			"be checked without it. Restore it from where it is kept, "
			"or set RUNJOB_AUDIT_KEY_FILE to it", kp, path);
	free(kp);
	free(path);
	if (r != 0)
		return -1;
	hmac_init(keyed, key, sizeof(key));
	memset(key, 0, sizeof(key));
	return 0;
}

static int
is_hash(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == 64 && !s[n];
}

struct half {
	struct journal *jn;
	struct verify *v;
	int64_t after, upto;
	int r;
};

static void *
half_run(void *arg)
{
	struct half *h = arg;

	h->r = journal_chain(h->jn, h->after, h->upto, verify_event, h->v);
	return NULL;
}

/* Below this many events one thread checks the chain; above it, two,
 * each half read through a connection of its own, and the halves
 * joined where the second's first event names the first's last.
 * RUNJOB_AUDIT_SPLIT=N sets it, for the tests to take both ways. */
#define SPLIT_AT 100000

static int64_t
split_at(void)
{
	const char *env = getenv("RUNJOB_AUDIT_SPLIT");

	return env && *env ? strtoll(env, NULL, 10) : SPLIT_AT;
}

static int
check_chain(struct journal *jn, struct verify *v)
{
	struct journal *jn2 = NULL;
	struct half a, b;
	struct verify w;
	int64_t count, last;
	char hash[65];
	pthread_t t;

	if (journal_head(jn, &count, &last, hash) < 0)
		return -1;
	if (count < split_at() || sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
	    journal_open(&jn2, journal_path(jn), JOURNAL_READ) < 0)
		return journal_chain(jn, INT64_MIN, INT64_MAX, verify_event, v);
	w = *v;
	w.loose = 1;
	w.seq = last / 2;
	a = (struct half){ jn, v, INT64_MIN, last / 2, 0 };
	b = (struct half){ jn2, &w, last / 2, INT64_MAX, 0 };
	if (pthread_create(&t, NULL, half_run, &b) != 0) {
		journal_close(jn2);
		return journal_chain(jn, INT64_MIN, INT64_MAX, verify_event, v);
	}
	half_run(&a);
	pthread_join(t, NULL);
	journal_close(jn2);
	if (a.r < 0 || b.r < 0 || v->bad_seq || v->n == 0) {
		free(w.problem);
		free(w.what);
		if (a.r < 0 || b.r < 0)
			return -1;
		if (v->bad_seq)
			return 0;
		/* Nothing in the first half: once more, from the start. */
		v->seq = v->n = v->head_seq = 0;
		v->prev[0] = v->run[0] = '\0';
		return journal_chain(jn, INT64_MIN, INT64_MAX, verify_event, v);
	}
	if (w.first_seq && strcmp(w.first_prev, v->prev) != 0) {
		fail(v, w.first_seq, "moved", xasprintf("event %" PRId64 " (run "
			"%s) does not follow event %" PRId64 " (run %s): an event "
			"was deleted, inserted or moved there", w.first_seq,
			w.first_run, v->seq, v->run));
		free(w.problem);
		free(w.what);
		return 0;
	}
	if (w.bad_seq) {
		v->bad_seq = w.bad_seq;
		v->problem = w.problem;
		v->what = w.what;
		return 0;
	}
	v->n += w.n;
	if (w.n) {
		v->seq = w.seq;
		memcpy(v->prev, w.prev, sizeof(v->prev));
		memcpy(v->run, w.run, sizeof(v->run));
	}
	if (w.head_seq)
		v->head_seq = w.head_seq;
	return 0;
}

static int
audit_verify(int argc, char **argv)
{
	struct journal *jn = NULL;
	struct verify v;
	struct opts o;
	int first, code = EXIT_FAILED;
	char *kp;

	if ((first = parse_opts("audit", argc, argv, &o,
	    "head json journal")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (argc != first) {
		free_opts(&o);
		return usage_error("audit", "audit verify takes no operands");
	}
	if (o.head && !is_hash(o.head)) {
		free_opts(&o);
		return usage_error("audit", "--head takes the hash 'runjob audit "
			"head' printed: 64 hex digits");
	}
	memset(&v, 0, sizeof(v));
	v.head = o.head;
	if (open_keyed(&jn, &o, &v.keyed) < 0 ||
	    check_chain(jn, &v) < 0)
		goto out;
	if (v.bad_seq == 1 && !v.key_opens && v.n == 0) {
		kp = journal_key_path(journal_path(jn));
		error("the key %s does not open the chain of %s: no event's hash "
			"is made with it. Is it this journal's key (see "
			"RUNJOB_AUDIT_KEY_FILE)?", kp, journal_path(jn));
		free(kp);
		goto out;
	}
	if (!v.bad_seq && journal_run_facts(jn, verify_run, &v) < 0)
		goto out;
	if (!v.bad_seq && !v.problem && v.head && !v.head_seq)
		fail(&v, v.seq + 1, "cut", xasprintf("the head %.12s... is not "
			"in the chain: the events from it on were cut (the newest "
			"now is event %" PRId64 "), or it is another journal's",
			v.head, v.seq));
	code = v.problem ? EXIT_FAILED : EXIT_OK;
	if (o.json) {
		struct buf b = {0};

		buf_addf(&b, "{\"ok\":%s,\"events\":%" PRId64 ",\"head\":",
			v.problem ? "false" : "true", v.n);
		if (v.n)
			buf_add_json(&b, v.prev);
		else
			buf_adds(&b, "null");
		buf_addf(&b, ",\"seq\":%" PRId64, v.seq);
		if (v.problem) {
			buf_adds(&b, ",\"problem\":");
			buf_add_json(&b, v.problem);
			if (v.bad_seq)
				buf_addf(&b, ",\"bad_seq\":%" PRId64, v.bad_seq);
			buf_adds(&b, ",\"message\":");
			buf_add_json(&b, v.what);
		}
		buf_addc(&b, '}');
		printf("%s\n", b.s);
		buf_free(&b);
	} else if (v.problem) {
		error("journal %s: %s", journal_path(jn), v.what);
	} else {
		printf("ok: %" PRId64 " events, the chain is whole", v.n);
		if (v.n)
			printf("; head %s (event %" PRId64 ")", v.prev, v.seq);
		if (v.head)
			printf("; the given head is event %" PRId64 ", nothing "
				"before it was cut", v.head_seq);
		printf("\n");
	}
out:
	free(v.problem);
	free(v.what);
	journal_close(jn);
	free_opts(&o);
	return code;
}

static int
audit_head(int argc, char **argv)
{
	struct journal *jn = NULL;
	struct hmac keyed;
	struct opts o;
	int64_t count, seq;
	char hash[65];
	int first, code = EXIT_FAILED;

	if ((first = parse_opts("audit", argc, argv, &o, "journal")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (argc != first) {
		free_opts(&o);
		return usage_error("audit", "audit head takes no operands");
	}
	/* The key is not needed to read the head, but a head printed for a
	 * journal whose key is lost could never be checked: say so now. */
	if (open_keyed(&jn, &o, &keyed) < 0 ||
	    journal_head(jn, &count, &seq, hash) < 0)
		goto out;
	if (!count)
		printf("no events\n");
	else
		printf("%s seq=%" PRId64 " events=%" PRId64 "\n", hash, seq,
			count);
	code = EXIT_OK;
out:
	journal_close(jn);
	free_opts(&o);
	return code;
}

static int
cmd_audit(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "verify") == 0)
		return audit_verify(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "head") == 0)
		return audit_head(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		char *help[] = { "help", "audit", NULL };

		return cmd_help(2, help);
	}
	return usage_error("audit", argc > 1 ? "audit takes verify or head" :
		"audit needs verify or head");
}

const struct command cmd_audit_entry = { "audit", cmd_audit,
	"audit verify | head [--head HASH] [--json] [--journal PATH]",
	"verify: check the journal's chain of events with its key; head: "
	"print its newest hash, to keep off the machine",
	"--head HASH        verify: prove the events up to this head not cut\n"
	"--json             verify: print the outcome as one JSON object\n"
	"--journal PATH     the journal to read\n" };
