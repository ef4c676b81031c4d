/*
 * attempt.c - one process of a step: a try of it, its if: probe or its
 * rollback. Its start is recorded first; its process, with the step's
 * environment, argv and directory, is made once that record is durable;
 * its output is masked a line at a time into its log, the journal's tail
 * and the screen.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action.h"
#include "checkpoint.h"
#include "clock.h"
#include "eta.h"
#include "expand.h"
#include "fname.h"
#include "resume.h"
#include "scheduler_int.h"
#include "util.h"
#include "writer.h"

extern char **environ;

const char *const kind_names[] = { "if", "step", "rollback" };

/* Expansion of ${{ }} at run time, for instance inst. */
struct xctx {
	struct sched *s;
	size_t inst;
	struct buf tmp;
};

static const char *
output_of(struct sched *s, const char *step, size_t steplen,
	const char *name, size_t namelen)
{
	size_t i, k;

	for (i = 0; i < s->p->n; i++) {
		const char *id = inst_step(s, i)->id;

		if (strlen(id) != steplen || memcmp(id, step, steplen) != 0)
			continue;
		for (k = 0; k < s->t[i].nout; k++)
			if (strncmp(s->t[i].out[k], name, namelen) == 0 &&
			    s->t[i].out[k][namelen] == '=')
				return s->t[i].out[k] + namelen + 1;
	}
	return "";
}

static const char *
run_value(void *arg, const struct ref *r)
{
	struct xctx *x = arg;
	struct sched *s = x->s;
	char *name;
	const char *v;

	switch (r->kind) {
	case REF_PARAM:
		name = xstrndup(r->name, r->namelen);
		v = param_value(s->job, s->p->pv, name);
		free(name);
		return v ? v : "";
	case REF_OUTPUT:
		return output_of(s, r->step, r->steplen, r->name, r->namelen);
	case REF_RUN_ID:
		return s->r->run_id;
	case REF_ITEM:
		return s->p->v[x->inst].item ? s->p->v[x->inst].item : "";
	}
	return "";
}

/* s with its expressions expanded; valid until the next call. */
static const char *
xpand(struct xctx *x, const char *str)
{
	const char *why;

	buf_reset(&x->tmp);
	if (expand(&x->tmp, str, run_value, x, &why) < 0)
		return str;	/* check refused it already */
	return buf_str(&x->tmp);
}

/* The outputs of every ancestor of inst. A breadth-first walk whose
 * queue is also the list of marks to clear; the queue is the scheduler's
 * scratch, allocated once, as this runs at every step start. */
static void
add_ancestor_outputs(struct sched *s, struct env *e, size_t inst)
{
	size_t *queue = s->scratch, head = 0, tail = 0, j, k;

	if (!s->any_outputs)
		return;
	queue[tail++] = s->p->v[inst].step;
	while (head < tail) {
		size_t v = queue[head++];

		for (j = s->g->dep_start[v]; j < s->g->dep_start[v + 1]; j++) {
			size_t u = s->g->deps[j], o;

			if (s->mark[u])
				continue;
			s->mark[u] = 1;
			queue[tail++] = u;
			for (k = s->p->first[u]; k < s->p->first[u + 1]; k++)
				for (o = 0; o < s->t[k].nout; o++)
					env_put(e, s->t[k].out[o]);
		}
	}
	for (j = 1; j < tail; j++)
		s->mark[queue[j]] = 0;
}

void
build_env(struct sched *s, struct env *e, size_t inst, int n,
	const char *attempt_id, const char *out_path)
{
	const struct step *st = inst_step(s, inst);
	struct xctx x = { .s = s, .inst = inst };
	char num[16];
	size_t i;

	env_copy(e, &s->base);
	add_ancestor_outputs(s, e, inst);
	for (i = 0; i < st->nenv; i++)
		env_set(e, st->env[i].key, xpand(&x, st->env[i].value));
	snprintf(num, sizeof(num), "%d", n);
	env_set(e, "RUNJOB_RUN_ID", s->r->run_id);
	env_set(e, "RUNJOB_JOB", s->job->name);
	env_set(e, "RUNJOB_STEP", inst_id(s, inst));
	env_set(e, "RUNJOB_ATTEMPT", num);
	env_set(e, "RUNJOB_ATTEMPT_ID", attempt_id);
	env_set(e, "RUNJOB_OUTPUT", out_path);
	if (s->p->v[inst].item)
		env_set(e, "RUNJOB_ITEM", s->p->v[inst].item);
	buf_free(&x.tmp);
}

/* Words that make a command need a shell even without special
 * characters: shell builtins and reserved words. */
static const char *const shell_words[] = {
	".", ":", "alias", "bg", "break", "case", "cd", "command", "continue",
	"declare", "do", "done", "elif", "else", "esac", "eval", "exec",
	"exit", "export", "fc", "fg", "fi", "for", "function", "getopts",
	"hash", "if", "in", "jobs", "let", "local", "read", "readonly",
	"return", "select", "set", "shift", "source", "then", "time",
	"times", "trap", "type", "ulimit", "umask", "unalias", "unset",
	"until", "wait", "while", NULL,
};

/* Split text into argv when it is one simple command that a shell would
 * run unchanged (as make does): then runjob execs it directly and saves
 * a shell per step. Returns the word count, or 0 when a shell is needed. */
static size_t
simple_command(const char *text, char ***argv)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
		"QRSTUVWXYZ0123456789_-./:=,+@% \t";
	char **v, *copy, *w, *save = NULL;
	size_t n = 0, i;

	if (text[strspn(text, ok)] || !text[strspn(text, " \t")])
		return 0;
	copy = xstrdup(text);
	v = xcalloc(strlen(text) / 2 + 2, sizeof(*v));
	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t",
	    &save))
		v[n++] = xstrdup(w);
	free(copy);
	for (i = 0; shell_words[i]; i++)
		if (strcmp(v[0], shell_words[i]) == 0)
			break;
	if (shell_words[i] || strchr(v[0], '=')) {
		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return 0;
	}
	*argv = v;
	return n;
}

/* argv for shell text: the step's shell: (split at blanks) or
 * /bin/sh -e, then -c TEXT. */
char **
shell_argv(const char *shell, const char *text)
{
	char **v, *copy, *w, *save = NULL;
	size_t n = 0;

	if (!shell)
		shell = "/bin/sh -e";
	copy = xstrdup(shell);
	v = xcalloc(strlen(shell) / 2 + 4, sizeof(*v));
	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t",
	    &save))
		v[n++] = xstrdup(w);
	free(copy);
	v[n++] = xstrdup("-c");
	v[n++] = xstrdup(text);
	return v;
}

void
free_argv(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void
attempt_free(struct attempt *a)
{
	if (a->out_path && strcmp(a->out_path, "/dev/null") != 0)
		unlink(a->out_path);	/* a failed try's outputs */
	free(a->id);
	free(a->argv0);
	free(a->ckpt_path);
	free(a->log_path);
	free(a->out_path);
	free(a->own_dir);
	free(a->tree);
	free_argv(a->argv);
	env_free(&a->env);
	buf_free(&a->tail);
	free(a);
}

/* Where a process of instance i runs: dir: expanded, relative to the
 * job file's directory, or that directory. *own is the caller's. */
const char *
step_dir(struct sched *s, size_t i, const char *dir, char **own)
{
	struct xctx x = { .s = s, .inst = i };
	const char *d;

	*own = NULL;
	if (!dir)
		return s->r->dir;
	d = xpand(&x, dir);
	*own = d[0] == '/' ? xstrdup(d) : xasprintf("%s/%s", s->r->dir, d);
	buf_free(&x.tmp);
	return *own;
}

/* runjob itself, to run the built-in actions: found once, as the path
 * of the running program. */
static const char *
self_path(void)
{
	static char path[4096];

	if (!path[0]) {
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

		if (n <= 0)
			fatal("cannot find the runjob program in /proc/self/exe: "
				"%s", strerror(errno));
		path[n] = '\0';
	}
	return path;
}

static const char *
config_value(void *arg, const char *name, const char *value)
{
	(void)name;
	return xpand(arg, value);
}

/* argv and environment for a built-in action: `runjob action NAME`, its
 * settings expanded into RUNJOB_ACTION_CONFIG, never on the command
 * line where a password would show. */
char **
builtin_argv(struct sched *s, const struct action *act, size_t inst,
	struct env *e)
{
	struct xctx x = { .s = s, .inst = inst };
	struct acfg c;
	struct buf json = {0};
	char **v = xcalloc(4, sizeof(*v));

	acfg_from_settings(&c, act, config_value, &x);
	acfg_json(&c, &json);
	env_set(e, "RUNJOB_ACTION_CONFIG", buf_str(&json));
	/* A job run at JOB.yaml@REV: files the action reads come from REV. */
	if (s->job->rev)
		env_set(e, "RUNJOB_REV", s->job->rev);
	acfg_free(&c);
	buf_free(&json);
	buf_free(&x.tmp);
	v[0] = xstrdup(self_path());
	v[1] = xstrdup("action");
	v[2] = xstrdup(action_name(act));
	return v;
}

void
attempt_paths(struct sched *s, struct attempt *a)
{
	char *fname = fname_of(inst_id(s, a->task));
	const char *dir = s->r->logdir;

	a->log_path = a->kind == K_STEP ?
		xasprintf("%s/%s.%d.log", dir, fname, a->n) :
		xasprintf("%s/%s.%s%d.log", dir, fname, kind_names[a->kind], a->n);
	a->out_path = a->kind == K_STEP && inst_step(s, a->task)->noutputs ?
		xasprintf("%s/%s.%d.output", dir, fname, a->n) :
		xstrdup("/dev/null");
	free(fname);
}

/* Start task i: its if: probe, a try of the step, or its rollback. This
 * records the start; the process itself is made by attempt_launch() once that
 * record is committed. Returns 0, or -1 when it could not be started. */
int
attempt_start(struct sched *s, size_t i, enum kind kind)
{
	const struct step *st = inst_step(s, i);
	const struct action *act = kind == K_ROLLBACK ? &st->rollback :
		&st->action;
	struct task *t = &s->t[i];
	struct attempt *a = xcalloc(1, sizeof(*a));
	struct xctx x = { .s = s, .inst = i };
	struct jattempt ja;
	const char *kname = kind_names[kind], *sdir;
	int64_t now = now_ms(), timeout;
	size_t k;
	int fd;

	a->task = i;
	a->kind = kind;
	a->n = kind == K_IF ? ++t->if_tries : kind == K_STEP ? ++t->tries :
		++t->rb_tries;
	a->proc.out = -1;
	/* Unique across resumes: tries go on counting where they stopped. */
	a->id = kind == K_STEP ?
		xasprintf("%s:%s:%d", s->r->run_id, inst_id(s, i), a->n) :
		xasprintf("%s:%s:%s%d", s->r->run_id, inst_id(s, i), kname,
		a->n);
	attempt_paths(s, a);
	/* The outputs file only when the step declares outputs; the log
	 * only when there is output (the supervisor makes it then). */
	if (strcmp(a->out_path, "/dev/null") != 0) {
		fd = open(a->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0600);
		if (fd < 0) {
			ui_note(s->r->ui, now, "step %s: cannot create %s: %s",
				inst_id(s, i), a->out_path, strerror(errno));
			attempt_free(a);
			return -1;
		}
		close(fd);
	}

	build_env(s, &a->env, i, a->n, a->id, a->out_path);
	if (kind == K_ROLLBACK) {
		/* Undoing a step needs what it made: its own outputs too. */
		for (k = 0; k < t->nout; k++)
			env_put(&a->env, t->out[k]);
		for (k = 0; k < act->nenv; k++)
			env_set(&a->env, act->env[k].key,
				xpand(&x, act->env[k].value));
	}
	buf_free(&x.tmp);
	if (kind == K_IF) {
		a->argv = shell_argv(NULL, st->if_);
	} else if (act->kind != ACT_RUN) {
		a->builtin = 1;
		a->argv = builtin_argv(s, act, i, &a->env);
		if (kind == K_STEP && s->r->last_state && s->r->last_state[i])
			env_set(&a->env, "RUNJOB_LAST_STATE",
				s->r->last_state[i]);
	} else if (act->shell || !simple_command(act->run, &a->argv)) {
		a->argv = shell_argv(act->shell, act->run);
	}
	if (kind == K_STEP && !a->builtin) {
		a->ckpt_path = checkpoint_path(s->r->logdir, inst_id(s, i));
		a->ckpt_quiet = s->ckpt_fd >= 0;
		env_set(&a->env, "RUNJOB_CHECKPOINT_FILE", a->ckpt_path);
	}
	if (kind == K_STEP && t->checkpoint)
		env_set(&a->env, "RUNJOB_CHECKPOINT", t->checkpoint);
	/* The supervisor's pipe: what is written to it is hidden from
	 * then on (the supervisor reads it before more output). */
	env_set(&a->env, "RUNJOB_MASK_FILE", "/dev/fd/3");
	sdir = kind == K_ROLLBACK && act->dir ? act->dir : st->dir;
	a->dir = step_dir(s, i, sdir, &a->own_dir);

	a->started = now;
	timeout = kind == K_ROLLBACK ? act->timeout_ms : st->timeout_ms;
	a->timeout_ms = timeout > 0 ? timeout : 0;
	memset(&ja, 0, sizeof(ja));
	ja.id = a->id;
	ja.run = s->r->run_id;
	ja.step = inst_id(s, i);
	ja.kind = kname;
	ja.attempt = a->n;
	ja.started = now;
	/* The attempt's row is committed before its process is made, so
	 * that a crash leaves it to be examined (SPEC 3.3); the event that
	 * says it started waits for attempt_launch, as a start recorded
	 * ahead may never be made. */
	jw_start_attempt(s->w, &ja);

	t->state = T_ACTIVE;
	xgrow(&s->a, &s->capa, s->na + 1, sizeof(*s->a));
	s->a[s->na++] = a;
	return 0;
}

/* Ask the supervisor to make the process of an attempt whose start is
 * committed: its id, log, directory, whether it is a built-in, the time
 * it has (kept by the supervisor when runjob is gone), its kill_grace,
 * its argv and its environment. */
static void
request_spawn(struct sched *s, struct attempt *a)
{
	size_t argc = 0, envc = 0, n = 0, i;
	const char **f;
	char num[3][32];
	int64_t left = a->timeout_ms;

	while (a->argv[argc])
		argc++;
	while (a->env.v[envc])
		envc++;
	if (s->deadline && (!left || s->deadline - now_ms() < left))
		left = s->deadline - now_ms() > 1 ? s->deadline - now_ms() : 1;
	snprintf(num[0], sizeof(num[0]), "%lld", (long long)left);
	snprintf(num[1], sizeof(num[1]), "%lld", (long long)task_grace(s, a->task));
	snprintf(num[2], sizeof(num[2]), "%zu", argc);
	/* A try whose outputs are still to be read may fail for them. */
	a->hold = a->kind == K_STEP && inst_step(s, a->task)->noutputs;
	f = xcalloc(8 + argc + envc, sizeof(*f));
	f[n++] = a->id;
	f[n++] = a->log_path;
	f[n++] = a->dir ? a->dir : "";
	f[n++] = a->builtin ? "1" : "0";
	f[n++] = num[0];
	f[n++] = num[1];
	f[n++] = a->hold ? "1" : "0";
	f[n++] = num[2];
	for (i = 0; i < argc; i++)
		f[n++] = a->argv[i];
	for (i = 0; i < envc; i++)
		f[n++] = a->env.v[i];
	chan_send(&s->sv.c, SV_SPAWN, f, n);
	free(f);
}

/* Have the process of an attempt whose start is committed made: the
 * supervisor makes it once a slot is free. */
void
attempt_launch(struct sched *s, struct attempt *a)
{
	launched_note(s->launched, a->id);
	a->argv0 = xstrdup(a->argv[0]);
	request_spawn(s, a);
	a->launched = 1;
	free_argv(a->argv);
	a->argv = NULL;
	env_free(&a->env);
}

/* The supervisor made the attempt's process, or tried to: it runs from
 * now, not from when its start was recorded or asked for, as a start
 * may wait for a slot, or never be made. */
static void
attempt_begun(struct sched *s, struct attempt *a)
{
	struct buf data = {0};

	if (a->kind == K_STEP)
		sched_set_step(s, a->task, "running");
	else if (a->kind == K_ROLLBACK)
		sched_set_step(s, a->task, "rolling-back");
	a->started = now_ms();
	if (a->timeout_ms)
		a->deadline = a->started + a->timeout_ms;
	buf_addf(&data, "{\"kind\":\"%s\",\"attempt\":%d}",
		kind_names[a->kind], a->n);
	sched_event(s, a->kind == K_ROLLBACK ? "rollback-started" :
		"step-started", inst_id(s, a->task), &data);
	buf_free(&data);
	ui_step_started(s->r->ui, inst_id(s, a->task), kind_names[a->kind],
		a->n, a->started);
}

void
attempt_made(struct sched *s, struct attempt *a, pid_t pid, long long start)
{
	struct made *m;

	a->proc.pid = pid;
	a->pid_start = start;
	xgrow(&s->hist, &s->caphist, s->nhist + 1, sizeof(*s->hist));
	a->hist = s->nhist;
	m = &s->hist[s->nhist++];
	m->id = xstrdup(a->id);
	m->task = a->task;
	m->pid = pid;
	m->start = start;
	m->end = 0;
	a->made = 1;
	attempt_begun(s, a);
	jw_set_pid(s->w, a->id, (long)pid, start, proc_boot_id());
	/* Asked to stop before it was made: now it can be. */
	if (a->stopped || a->timed_out)
		attempt_signal(s, a, SIGTERM);
}

/* The supervisor could not make the process: the attempt ends at once
 * as a failure, as a shell would: exit 127 for a program or directory
 * that is not there. */
void
attempt_unmade(struct sched *s, struct attempt *a, int err, const char *what)
{
	char msg[512];
	struct stat sb;

	attempt_begun(s, a);
	if (strcmp(what, "log") == 0)
		snprintf(msg, sizeof(msg), "runjob: cannot create the log %s: "
			"%s; the step was not run", a->log_path, strerror(err));
	/* Say which is missing: the directory or the program. */
	else if (a->dir && stat(a->dir, &sb) < 0)
		snprintf(msg, sizeof(msg), "runjob: cannot run %s: its "
			"directory %s: %s", a->argv0, a->dir, strerror(errno));
	else if (a->dir && !S_ISDIR(sb.st_mode))
		snprintf(msg, sizeof(msg), "runjob: cannot run %s: its "
			"directory %s is not a directory", a->argv0, a->dir);
	else
		snprintf(msg, sizeof(msg), "runjob: cannot run %s%s%s: %s",
			a->argv0, a->dir ? " in " : "", a->dir ? a->dir : "",
			strerror(err));
	attempt_emit(s, a, msg, strlen(msg));
	a->done = 1;
	a->status = (strcmp(what, "log") == 0 ? 126 : err == ENOENT ? 127 :
		126) << 8;	/* as exit() */
}

void
attempt_signal(struct sched *s, struct attempt *a, int sig)
{
	char num[16];
	const char *f[3] = { a->id, num, a->timed_out ? "timeout" :
		a->stopped ? "stop" : "" };

	if (!a->made || a->done)
		return;
	if (s->sv.c.fd < 0) {
		/* No supervisor: runjob is the parent now (the subreaper). */
		proc_signal(&a->proc, sig);
		return;
	}
	/* Through the supervisor, which signals only a process it has not
	 * reaped: a group id runjob holds may be another's by now. */
	snprintf(num, sizeof(num), "%d", sig);
	chan_send(&s->sv.c, SV_KILL, f, 3);
	chan_flush(&s->sv.c);
}

/* What a built-in action reports besides its output: a checkpoint for
 * the journal (and its next try), or progress for the live view and,
 * now and then, a line of output. */
static void
action_report(struct sched *s, struct attempt *a, const char *what)
{
	size_t cl = strlen(ACTION_CHECKPOINT), pl = strlen(ACTION_PROGRESS);
	int64_t now = now_ms();

	if (strncmp(what, ACTION_CHECKPOINT, cl) == 0) {
		struct buf data = {0};
		struct task *t = &s->t[a->task];

		if (a->kind != K_STEP)
			return;
		free(t->checkpoint);
		t->checkpoint = xstrdup(what + cl);
		buf_adds(&data, what + cl);
		sched_event(s, "checkpoint", inst_id(s, a->task), &data);
		buf_free(&data);
	} else if (strncmp(what, ACTION_PROGRESS, pl) == 0) {
		ui_step_progress(s->r->ui, inst_id(s, a->task), what + pl, now);
		if (progress_fraction(what + pl) > 0)
			a->done_frac = progress_fraction(what + pl);
		if (s->r->ui->mode != UI_TTY &&
		    now - a->progress_at >= ui_progress_interval()) {
			char *line = xasprintf("progress: %s", what + pl);

			a->progress_at = now;
			attempt_emit(s, a, line, strlen(line));
			free(line);
		}
	}
}

void
attempt_checkpoint(struct sched *s, struct attempt *a)
{
	struct task *t = &s->t[a->task];
	struct buf data = {0};
	char *line;

	if (!a->ckpt_path || a->ckpt_quiet ||
	    !(line = checkpoint_read(a->ckpt_path)))
		return;
	if (t->checkpoint && strcmp(t->checkpoint, line) == 0) {
		free(line);
		return;
	}
	free(t->checkpoint);
	t->checkpoint = line;
	/* The step's own words, kept as it wrote them for its next try;
	 * the journal's copy is masked, as all it keeps. */
	checkpoint_json(&data, mask_str(s->r->mask, line));
	sched_event(s, "checkpoint", inst_id(s, a->task), &data);
	buf_free(&data);
}

/* A line of the step's output, masked already: to the journal's tail
 * and the screen. */
void
attempt_line(struct sched *s, struct attempt *a, const char *m, size_t len)
{
	buf_add(&a->tail, m, len);
	buf_addc(&a->tail, '\n');
	if (a->tail.len > 2 * TAIL_MAX) {
		memmove(a->tail.s, a->tail.s + a->tail.len - TAIL_MAX, TAIL_MAX);
		a->tail.len = TAIL_MAX;
		a->tail.s[TAIL_MAX] = '\0';
	}
	ui_step_line(s->r->ui, inst_id(s, a->task), a->n, m, len, now_ms());
}

/* A built-in's report, as it came from the supervisor. */
void
attempt_mark(struct sched *s, struct attempt *a, const char *line)
{
	if (a->builtin && line[0] == ACTION_MARK)
		action_report(s, a, line + 1);
}

/* A line runjob says of the step itself: masked, then to the step's
 * log (appended to, as the supervisor appends its output), the
 * journal's tail and the screen. */
void
attempt_emit(struct sched *s, struct attempt *a, const char *line,
	size_t len)
{
	struct buf m = {0};
	char *copy = xstrndup(line, len);
	int fd;

	lines_mask(s->r->mask, &m, copy, len);
	free(copy);
	buf_addc(&m, '\n');
	fd = open(a->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		write_full(fd, m.s, m.len);
		close(fd);
		a->logged = 1;
	}
	attempt_line(s, a, m.s, m.len - 1);
	buf_free(&m);
}

/* The environment every step starts from: the runner's, the job's env:
 * and the params. */
void
base_env(struct sched *s)
{
	struct xctx x = { .s = s, .inst = 0 };
	size_t i;

	env_init(&s->base, environ);
	/* Set per step when they apply; never passed on from an outer run. */
	env_unset(&s->base, "RUNJOB_ITEM");
	env_unset(&s->base, "RUNJOB_DRY_RUN");
	for (i = 0; i < s->job->nenv; i++)
		env_set(&s->base, s->job->env[i].key,
			xpand(&x, s->job->env[i].value));
	for (i = 0; i < s->job->nparams; i++)
		env_set(&s->base, s->job->params[i].name, s->p->pv->value[i]);
	buf_free(&x.tmp);
}
