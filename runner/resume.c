/*
 * resume.c - an unfinished run, read back from the journal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "checkpoint.h"
#include "clock.h"
#include "fname.h"
#include "proc.h"
#include "resume.h"
#include "seal.h"
#include "sha256.h"
#include "sv.h"
#include "util.h"

enum { DEFAULT_GRACE_MS = 10000 };

void
plan_def_hash(const struct plan *plan, size_t i, char hex[65])
{
	const struct step *st = &plan->job->steps[plan->v[i].step];
	struct buf b = {0};

	node_write_canon(st->node, &b);
	buf_addc(&b, '\n');
	buf_adds(&b, plan->v[i].item ? plan->v[i].item : "");
	sha256_hex(b.s, b.len, hex);
	buf_free(&b);
}

/* Instance ids to indices, for matching journal rows to the plan. */
struct index {
	const struct plan *plan;
	size_t *slots, nslots;	/* index + 1, or 0 */
};

static void
index_build(struct index *x, const struct plan *plan)
{
	size_t i;

	x->plan = plan;
	for (x->nslots = 16; x->nslots < 2 * plan->n; x->nslots *= 2)
		;
	x->slots = xcalloc(x->nslots, sizeof(*x->slots));
	for (i = 0; i < plan->n; i++) {
		size_t k = hash_str(plan->v[i].id) & (x->nslots - 1);

		while (x->slots[k])
			k = (k + 1) & (x->nslots - 1);
		x->slots[k] = i + 1;
	}
}

static long
index_find(const struct index *x, const char *id)
{
	size_t k = hash_str(id) & (x->nslots - 1);

	for (; x->slots[k]; k = (k + 1) & (x->nslots - 1))
		if (strcmp(x->plan->v[x->slots[k] - 1].id, id) == 0)
			return (long)(x->slots[k] - 1);
	return -1;
}

struct loading {
	struct prior *p;
	struct index x;
	const char *run;
	const unsigned char *key;	/* opens sealed outputs; NULL: leave
					 * them masked */
	int sealed_lost;	/* one could not be opened (reported) */
};

static int
step_row(void *arg, const struct jrow *row)
{
	struct loading *ld = arg;
	const char *id = jrow_get(row, "step_id");
	long i = index_find(&ld->x, id);

	if (i < 0) {
		ld->p->gone = xreallocarray(ld->p->gone, ld->p->ngone + 1,
			sizeof(*ld->p->gone));
		ld->p->gone[ld->p->ngone++] = xstrdup(id);
		return 0;
	}
	free(ld->p->v[i].state);
	free(ld->p->v[i].def_hash);
	ld->p->v[i].state = xstrdup(jrow_get(row, "state"));
	ld->p->v[i].def_hash = xstrdup(jrow_get(row, "def_hash"));
	return 0;
}

static int
attempt_row(void *arg, const struct jrow *row)
{
	struct loading *ld = arg;
	long i = index_find(&ld->x, jrow_get(row, "step_id"));
	const char *kind = jrow_get(row, "kind"), *state = jrow_get(row, "state");
	const char *v;
	struct prior_step *ps;

	if (i < 0)
		return 0;
	ps = &ld->p->v[i];
	if (strcmp(kind, "rollback") == 0 &&
	    atoi(jrow_get(row, "attempt")) > ps->rb_tries)
		ps->rb_tries = atoi(jrow_get(row, "attempt"));
	if (strcmp(kind, "if") == 0 &&
	    atoi(jrow_get(row, "attempt")) > ps->if_tries)
		ps->if_tries = atoi(jrow_get(row, "attempt"));
	if (strcmp(kind, "step") == 0) {
		int n = atoi(jrow_get(row, "attempt"));

		if (n > ps->tries)
			ps->tries = n;
		if ((v = jrow_get(row, "ended")) && strtoll(v, NULL, 10) >
		    ps->last_ended)
			ps->last_ended = strtoll(v, NULL, 10);
		if (strcmp(state, "succeeded") == 0 &&
		    (v = jrow_get(row, "ended")))
			ps->ended = strtoll(v, NULL, 10);
	}
	if (strcmp(state, "running") == 0) {
		free(ps->orphan);
		free(ps->orphan_kind);
		free(ps->orphan_boot);
		ps->orphan = xstrdup(jrow_get(row, "id"));
		ps->orphan_kind = xstrdup(kind);
		v = jrow_get(row, "pid");
		ps->orphan_pid = v ? atol(v) : 0;
		v = jrow_get(row, "pid_start");
		ps->orphan_start = v ? strtoll(v, NULL, 10) : -1;
		v = jrow_get(row, "boot_id");
		ps->orphan_boot = xstrdup(v ? v : "");
		ps->orphan_n = atoi(jrow_get(row, "attempt"));
		v = jrow_get(row, "started");
		ps->orphan_started = v ? strtoll(v, NULL, 10) : now_ms();
	}
	return 0;
}

static int
output_row(void *arg, const struct jrow *row)
{
	struct loading *ld = arg;
	const char *step = jrow_get(row, "step_id"), *name = jrow_get(row,
		"name"), *value = jrow_get(row, "value"), *sealed = jrow_get(row,
		"sealed");
	long i = index_find(&ld->x, step);
	struct prior_step *ps;
	char *open = NULL;

	if (i < 0)
		return 0;
	/* A value that held a secret is handed on as it was, never as its
	 * mask: a dependent given "***" for a password would go on wrong. */
	if (sealed && ld->key) {
		char *where = seal_context(ld->run, step, name);
		int r = unseal(ld->key, where, sealed, &open);

		free(where);
		if (r < 0) {
			ld->sealed_lost = 1;
			error("run %s: output %s of step %s holds a secret, "
				"kept sealed with the journal's key, and that key "
				"does not open it: the key file is not the one the "
				"run began with, or the journal was altered. Put "
				"the journal's key file back (see RUNJOB_AUDIT_KEY_FILE "
				"in runjob(1)), or start a new run with --new",
				ld->run, name, step);
			return 1;	/* no more rows */
		}
		value = open;
	}
	ps = &ld->p->v[i];
	ps->out = xreallocarray(ps->out, ps->nout + 1, sizeof(*ps->out));
	ps->out[ps->nout++] = xasprintf("%s=%s", name, value);
	free(open);
	return 0;
}

/* A step's progress, to go on from at its next attempt: a built-in's
 * JSON as it is, a shell step's line out of its JSON. */
static int
checkpoint_row(void *arg, const struct jrow *row)
{
	struct loading *ld = arg;
	const char *step = jrow_get(row, "step_id");
	const struct plan *plan = ld->x.plan;
	long i;

	if (!step || strcmp(jrow_get(row, "kind"), "checkpoint") != 0 ||
	    (i = index_find(&ld->x, step)) < 0)
		return 0;
	free(ld->p->v[i].checkpoint);	/* the last one counts */
	if (plan->job->steps[plan->v[i].step].action.kind == ACT_RUN)
		ld->p->v[i].checkpoint = checkpoint_line(jrow_get(row, "data"));
	else
		ld->p->v[i].checkpoint = xstrdup(jrow_get(row, "data"));
	return 0;
}

int
prior_load(struct prior *p, struct journal *j, const char *run,
	const struct plan *plan, const unsigned char *key)
{
	struct loading ld;
	int r;

	memset(p, 0, sizeof(*p));
	p->n = plan->n;
	p->v = xcalloc(plan->n + 1, sizeof(*p->v));
	memset(&ld, 0, sizeof(ld));
	ld.p = p;
	ld.run = run;
	ld.key = key;
	index_build(&ld.x, plan);
	r = journal_steps(j, run, step_row, &ld) < 0 ||
		journal_attempts(j, run, attempt_row, &ld) < 0 ||
		journal_outputs(j, run, output_row, &ld) < 0 ||
		journal_events(j, run, checkpoint_row, &ld) < 0 ||
		ld.sealed_lost ? -1 : 0;
	free(ld.x.slots);
	/* A step settled as succeeded by runjob resolve has no succeeded
	 * attempt: its last attempt's end stands for when it was done. */
	for (size_t i = 0; i < p->n; i++)
		if (!p->v[i].ended)
			p->v[i].ended = p->v[i].last_ended;
	return r;
}

void
prior_free(struct prior *p)
{
	size_t i, k;

	for (i = 0; i < p->n; i++) {
		struct prior_step *ps = &p->v[i];

		free(ps->state);
		free(ps->def_hash);
		for (k = 0; k < ps->nout; k++)
			free(ps->out[k]);
		free(ps->out);
		free(ps->orphan);
		free(ps->orphan_kind);
		free(ps->orphan_boot);
		free(ps->checkpoint);
	}
	for (i = 0; i < p->ngone; i++)
		free(p->gone[i]);
	free(p->gone);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

size_t
prior_changes(const struct prior *p, const struct plan *plan, struct buf *out)
{
	size_t i, n = 0;

	for (i = 0; i < plan->n; i++) {
		char hex[65];

		if (!p->v[i].def_hash) {
			buf_addf(out, "  %s (new)\n", plan->v[i].id);
			n++;
			continue;
		}
		plan_def_hash(plan, i, hex);
		if (strcmp(hex, p->v[i].def_hash) != 0) {
			buf_addf(out, "  %s (changed)\n", plan->v[i].id);
			n++;
		}
	}
	for (i = 0; i < p->ngone; i++) {
		buf_addf(out, "  %s (removed)\n", p->gone[i]);
		n++;
	}
	return n;
}

int
launched_open(const char *logdir)
{
	char *path = xasprintf("%s/launched", logdir), head[80] = "";
	const char *boot = proc_boot_id();
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ssize_t n;

	free(path);
	if (fd < 0)
		return -1;
	n = pread(fd, head, sizeof(head) - 1, 0);
	head[n > 0 ? n : 0] = '\0';
	head[strcspn(head, "\n")] = '\0';
	if (strcmp(head, boot) != 0) {
		/* New, or from before a restart: what it says is void. */
		if (ftruncate(fd, 0) < 0) {
			close(fd);
			return -1;
		}
		launched_note(fd, boot);
	}
	return fd;
}

void
launched_note(int fd, const char *id)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s\n", id);

	if (fd >= 0 && n > 0 && (size_t)n < sizeof(line) &&
	    write(fd, line, (size_t)n) != n) {
		/* The ledger only spares a question after a crash; a run
		 * goes on without it. */
	}
}

int
launched_lookup(const char *logdir, const char *id)
{
	char *path = xasprintf("%s/launched", logdir), *text, *line, *save;
	size_t len = strlen(id);
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = -1, first = 1;
	struct buf b = {0};
	char chunk[65536];
	ssize_t n;

	free(path);
	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	text = b.s ? b.s : (char *)"";
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (first) {
			first = 0;
			if (strcmp(line, proc_boot_id()) != 0)
				break;
			r = 0;
			continue;
		}
		if (strlen(line) == len && memcmp(line, id, len) == 0) {
			r = 1;
			break;
		}
	}
	buf_free(&b);
	return r;
}

/* Is the process the journal recorded still the same process? */
static int
alive(const struct prior_step *ps)
{
	if (strcmp(ps->orphan_boot, proc_boot_id()) != 0)
		return 0;	/* the machine rebooted since */
	return proc_alive((pid_t)ps->orphan_pid, ps->orphan_start);
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The outputs files of attempts whose runjob died hold what the step
 * wrote, unmasked; no attempt of the run is running now that those left
 * running are settled, so none is still to be read, but for those the
 * scheduler adopts, which it reads and deletes. */
static void
sweep_outputs(const struct prior *p, const struct plan *plan,
	const char *logdir)
{
	DIR *d = opendir(logdir);
	struct dirent *e;
	size_t i, sl = strlen(".output");

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		int keep = 0;

		if (len <= sl || strcmp(e->d_name + len - sl, ".output") != 0)
			continue;
		for (i = 0; i < p->n && !keep; i++) {
			char *f, *name;

			if (!p->v[i].adopt)
				continue;
			f = fname_of(plan->v[i].id);
			name = xasprintf("%s.%d.output", f, p->v[i].orphan_n);
			keep = strcmp(name, e->d_name) == 0;
			free(f);
			free(name);
		}
		if (!keep)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* The checkpoint an orphan made while no runjob was there: a built-in's
 * from the supervisor's record, a shell step's from its file. Journaled
 * when it is newer than the journal's. */
static int
orphan_checkpoint(struct prior_step *ps, const struct sv_end *end,
	struct journal *j, const char *run, const struct plan *plan, size_t i,
	const char *logdir, const struct mask *mask)
{
	const struct step *st = &plan->job->steps[plan->v[i].step];
	struct buf data = {0};
	char *cp = NULL, *path;
	int r = 0;

	if (strcmp(ps->orphan_kind, "step") != 0)
		return 0;
	if (st->action.kind != ACT_RUN) {
		if (end && end->ckpt)
			cp = xstrdup(end->ckpt);
	} else {
		path = checkpoint_path(logdir, plan->v[i].id);
		cp = checkpoint_read(path);
		free(path);
	}
	if (!cp || (ps->checkpoint && strcmp(cp, ps->checkpoint) == 0)) {
		free(cp);
		return 0;
	}
	if (st->action.kind == ACT_RUN)
		checkpoint_json(&data, mask_str(mask, cp));
	else
		buf_adds(&data, cp);
	if (journal_begin(j) < 0 || journal_event(j, run, now_ms(),
	    "checkpoint", plan->v[i].id, buf_str(&data)) < 0 ||
	    journal_commit(j) < 0) {
		journal_abort(j);
		r = -1;
	}
	buf_free(&data);
	free(ps->checkpoint);
	ps->checkpoint = cp;
	return r;
}

/* Read the record again until it says what became of attempt id: its
 * end (want_end) or that it was made. A supervisor still running may
 * yet say it; one gone, or one that read all runjob asked (when only
 * the making is asked), will not. Gives up after 10 s. The entry, or
 * NULL. */
static const struct sv_end *
await_record(struct sv_record *rec, const char *logdir, const char *run,
	const unsigned char *key, const char *id, int want_end)
{
	const struct sv_end *e;
	int waited, live;

	for (waited = 0; ; waited += 50) {
		/* Whether one is running is asked before the record is read:
		 * one that leaves wrote all it had to first. */
		live = sv_record_live(rec);
		sv_record_free(rec);
		sv_record_load(rec, logdir, run, key);
		if ((e = sv_record_find(rec, id)) && (want_end ? e->ended :
		    e->made))
			return e;
		if (!live || (!want_end && sv_record_whole(rec)) ||
		    waited >= 10000)
			return NULL;
		pause_ms(50);
	}
}

/* An attempt whose process cannot be found: never made, when the
 * ledger never noted it, or when its supervisors have read all runjob
 * asked of them and made no such process (one that died may have). */
static int
never_made(struct sv_record *rec, const char *logdir, const char *run,
	const unsigned char *key, const char *id)
{
	return launched_lookup(logdir, id) == 0 ||
		(!await_record(rec, logdir, run, key, id, 0) &&
		sv_record_whole(rec));
}

int
prior_settle(struct prior *p, struct journal *j, const char *run,
	const struct plan *plan, struct ui *ui, int kill_orphans,
	const char *logdir, const unsigned char *key, struct mask *mask)
{
	struct sv_record rec;
	int r = 0;
	size_t i;

	sv_record_load(&rec, logdir, run, key);
	for (i = 0; i < rec.nmasks; i++)
		mask_add(mask, rec.masks[i]);
	for (i = 0; i < p->n && r == 0; i++) {
		struct prior_step *ps = &p->v[i];
		const struct step *st = &plan->job->steps[plan->v[i].step];
		const struct sv_end *end = NULL;
		const char *state = "unknown", *step_state;
		char data[64];

		if (!ps->orphan)
			continue;
		if (ps->orphan_pid <= 0) {
			/* runjob died between making the process and recording
			 * its pid: find it by the attempt id in its
			 * environment. */
			pid_t pid = proc_find_marked("RUNJOB_ATTEMPT_ID",
				ps->orphan);

			if (pid > 0) {
				ps->orphan_pid = pid;
				ps->orphan_start = proc_start_time(pid);
				free(ps->orphan_boot);
				ps->orphan_boot = xstrdup(proc_boot_id());
			}
		}
		if (ps->orphan_pid <= 0 && never_made(&rec, logdir, run, key,
		    ps->orphan)) {
			/* Recorded, but runjob died before making it. */
			state = "not-started";
		} else if (alive(ps) && kill_orphans) {
			long grace = st->kill_grace_ms >= 0 ?
				(long)st->kill_grace_ms : DEFAULT_GRACE_MS;
			long waited = 0;

			ui_warn(ui, now_ms(), "step %s: stopping process group %ld,"
				" left running by the runjob that died "
				"(--kill-orphans)", plan->v[i].id, ps->orphan_pid);
			kill(-(pid_t)ps->orphan_pid, SIGTERM);
			for (; alive(ps) && waited < grace; waited += 100)
				pause_ms(100);
			if (alive(ps))
				kill(-(pid_t)ps->orphan_pid, SIGKILL);
			while (alive(ps))
				pause_ms(50);
			state = "stopped";
		} else {
			if (alive(ps)) {
				ui_warn(ui, now_ms(), "step %s is still running as "
					"pid %ld; waiting for it to end, never starting "
					"a second copy (stop it with --kill-orphans)",
					plan->v[i].id, ps->orphan_pid);
				while (alive(ps))
					pause_ms(200);
			}
			end = await_record(&rec, logdir, run, key, ps->orphan, 1);
		}
		if (orphan_checkpoint(ps, end ? end : sv_record_find(&rec,
		    ps->orphan), j, run, plan, i, logdir, mask) < 0) {
			r = -1;
			break;
		}
		if (end && end->stopped) {
			/* The runjob that died had stopped it: it runs again. */
			state = "stopped";
			end = NULL;
		} else if (end && strcmp(ps->orphan_kind, "rollback") != 0) {
			ps->adopt = 1;
			ps->adopt_status = end->status;
			ps->adopt_timeout = end->timed_out;
			ps->adopt_duration = end->duration_ms;
			continue;
		}
		if (end) {
			/* A rollback that ended: done, or still to undo. */
			state = WIFEXITED(end->status) &&
				WEXITSTATUS(end->status) == 0 ? "succeeded" :
				"failed";
		}
		if (strcmp(state, "unknown") == 0)
			ui_warn(ui, now_ms(), "step %s: its %s attempt %d ended "
				"unrecorded: its supervisor is gone too, or the "
				"machine restarted", plan->v[i].id,
				ps->orphan_kind, ps->orphan_n);
		step_state = strcmp(state, "not-started") == 0 ? "pending" :
			strcmp(ps->orphan_kind, "rollback") != 0 ? state :
			strcmp(state, "succeeded") == 0 ? "rolled-back" :
			"rollback-failed";
		snprintf(data, sizeof(data), "{\"state\":\"%s\"}", state);
		if (journal_begin(j) < 0 ||
		    journal_settle_attempt(j, ps->orphan, state, now_ms()) < 0 ||
		    ((strcmp(ps->orphan_kind, "rollback") != 0 || end) &&
		     journal_set_step(j, run, plan->v[i].id, step_state) < 0) ||
		    journal_event(j, run, now_ms(), "attempt-settled",
		    plan->v[i].id, data) < 0 || journal_commit(j) < 0) {
			journal_abort(j);
			r = -1;
			break;
		}
		if (strcmp(ps->orphan_kind, "rollback") != 0 || end) {
			free(ps->state);
			ps->state = xstrdup(step_state);
		}
		free(ps->orphan);
		ps->orphan = NULL;
	}
	sv_record_free(&rec);
	if (r == 0)
		sweep_outputs(p, plan, logdir);
	return r;
}
