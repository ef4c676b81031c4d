/*
 * scheduler.c - the scheduler.
 *
 * One poll loop over the output pipes of the running steps, a signalfd
 * for SIGCHLD, SIGINT and SIGTERM, and the journal writer's eventfd, in
 * the manner of samurai's build.c. Each turn reaps what ended, records
 * the starts of what became ready, and hands the turn's transitions to
 * the journal's writer thread; a step's process is made only once the
 * batch holding its start is durable, so no command runs that the
 * journal does not know of.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "buf.h"
#include "clock.h"
#include "env.h"
#include "exitcode.h"
#include "expand.h"
#include "fname.h"
#include "proc.h"
#include "resume.h"
#include "seal.h"
#include "writer.h"
#include "scheduler.h"
#include "sha256.h"
#include "units.h"
#include "util.h"

extern char **environ;

enum {
	TAIL_MAX = 64 * 1024,		/* output kept in the journal */
	LINE_MAX_ = 64 * 1024,		/* a longer line is cut */
	DEFAULT_GRACE_MS = 10000,
	FDS_PER_STEP = 2,		/* a running step's output pipe and log */
	FDS_SPARE = 32,			/* the journal's files, a spawn's pipe, an
					 * outputs file, /proc, and some left */
};

enum tstate { T_WAIT, T_READY, T_DELAY, T_ACTIVE, T_DONE };
enum tresult { RES_NONE, RES_OK, RES_SKIPPED, RES_FAILED, RES_NOT_RUN, RES_EXCLUDED };

/* One step instance of the plan. */
struct task {
	enum tstate state;
	enum tresult result;
	size_t pending;		/* needs not yet satisfied */
	int tries;		/* attempts started */
	int rb_tries;		/* rollback attempts started */
	int if_tries;		/* if: probes started */
	int64_t done_at;	/* when it succeeded: rollbacks go newest first */
	int rolled_back;	/* its rollback succeeded already */
	int probed;		/* its if: said run */
	int64_t next_at;	/* T_DELAY: when to try again */
	char **out;		/* its outputs, "NAME=VALUE", once succeeded */
	size_t nout;
	char *checkpoint;	/* a built-in's last checkpoint: its next try
				 * goes on from there */
};

/* What a process runs for its step. */
enum kind { K_IF, K_STEP, K_ROLLBACK };

/* One running process: a try of a step, its if: probe, or its rollback. */
struct attempt {
	size_t task;
	enum kind kind;		/* what it runs */
	int n;			/* attempt number */
	char *id;		/* RUNJOB_ATTEMPT_ID */
	struct proc proc;
	long long pid_start;	/* the process's start time, for resumes */
	char **argv;		/* what to run, until launched */
	struct env env;
	const char *dir;	/* where, the job's directory or own_dir */
	char *own_dir;
	int launched;		/* its process was made (or could not be) */
	int never;		/* its start was recorded, its process not made */
	uint64_t batch;		/* the journal batch holding its start */
	int64_t started, deadline, kill_at;	/* ms; 0: none */
	int64_t timeout_ms;	/* its own timeout; 0: none */
	int timed_out, stopped;
	int job_timeout;	/* stopped by the job's timeout, not its own */
	int log;		/* the masked log file, made before the process */
	int logged;		/* something was written to it */
	char *log_path, *out_path;
	struct buf line;	/* a partial line of output */
	struct buf tail;	/* the last TAIL_MAX bytes, masked */
	int done;		/* reaped */
	int status;
	size_t hist;		/* its entry in s->hist, once made */
	struct pinfo *tree;	/* its processes when it was stopped */
	size_t ntree, captree;
	int builtin;		/* runs `runjob action`: it reports back */
	int64_t progress_at;	/* when its progress was last printed */
};

/* A process made for an attempt, kept for the whole run: whatever a
 * step leaves behind is traced back to its step through it. */
struct made {
	char *id;		/* RUNJOB_ATTEMPT_ID */
	size_t task;
	pid_t pid;
	long long start, end;	/* ticks since boot; end 0: running */
};

struct sched {
	const struct sched_run *r;
	const struct plan *p;
	const struct job *job;
	const struct graph *g;
	struct env base;	/* the runner's environment, job env, params */
	struct task *t;
	struct attempt **a;	/* running */
	size_t na, capa;
	size_t *ready;		/* FIFO of tasks to start */
	size_t rhead, rtail;
	int jobs;
	int stopping;		/* start nothing new */
	int signal;		/* SIGINT or SIGTERM received, or 0 */
	int failed;		/* a step failed */
	int journal_broken;
	struct jwriter *w;	/* writes the journal, in a thread of its own */
	int launched;		/* the ledger of processes made (resume.h) */
	pid_t *killed;		/* pids (groups as -pgid) killed: reap at the end */
	size_t nkilled, capkilled;
	struct made *hist;	/* every process made for an attempt */
	size_t nhist, caphist;
	int rollback_failed;	/* a rollback action failed: stop undoing */
	size_t *delayed;	/* tasks waiting to be tried again */
	size_t ndelayed, capdelayed;
	size_t *undo;		/* the rollback phase: tasks, newest first */
	size_t nundo, undo_next;
	size_t *order_of;	/* position of each instance in plan order */
	int sigfd;
	int any_outputs;	/* some step declares outputs */
	int64_t deadline;	/* the job's timeout; 0: none */
	unsigned char *mark;	/* scratch, one per step */
	size_t *scratch;	/* scratch, one per step and one more */
};

/* The journal cannot be written: start nothing more. */
static void
jfail(struct sched *s)
{
	s->journal_broken = 1;
	s->stopping = 1;
}

static const char *
inst_id(const struct sched *s, size_t i)
{
	return s->p->v[i].id;
}

static const struct step *
inst_step(const struct sched *s, size_t i)
{
	return &s->job->steps[s->p->v[i].step];
}

static void
event(struct sched *s, const char *kind, const char *step, struct buf *data)
{
	jw_event(s->w, s->r->run_id, now_ms(), kind, step,
		data ? buf_str(data) : "{}");
}

static void
set_step(struct sched *s, size_t i, const char *state)
{
	jw_set_step(s->w, s->r->run_id, inst_id(s, i), state);
}

/* Dependents. */

typedef void (*inst_fn)(struct sched *s, size_t inst);

/* Call fn on each instance that needs instance i. */
static void
each_dependent(struct sched *s, size_t i, inst_fn fn)
{
	size_t st = s->p->v[i].step, j, k;

	for (j = s->g->rdep_start[st]; j < s->g->rdep_start[st + 1]; j++) {
		size_t dep = s->g->rdeps[j];

		for (k = s->p->first[dep]; k < s->p->first[dep + 1]; k++)
			fn(s, k);
	}
}

/* Apply visit to i and everything downstream of it, with an explicit
 * stack (a chain of a million steps must not overflow the C stack);
 * visit returns 0 for an instance already dealt with, to prune there. */
static size_t *spread_stack, spread_top, spread_cap;

static void
spread_push(struct sched *s, size_t i)
{
	(void)s;
	xgrow(&spread_stack, &spread_cap, spread_top + 1,
		sizeof(*spread_stack));
	spread_stack[spread_top++] = i;
}

static void
spread(struct sched *s, size_t i, int (*visit)(struct sched *s, size_t i))
{
	size_t base = spread_top;

	each_dependent(s, i, spread_push);
	while (spread_top > base) {
		size_t v = spread_stack[--spread_top];

		if (visit(s, v))
			each_dependent(s, v, spread_push);
	}
}

static void
make_ready(struct sched *s, size_t i)
{
	s->t[i].state = T_READY;
	s->ready[s->rtail++ % (s->p->n + 1)] = i;
}

static void
satisfied(struct sched *s, size_t i)
{
	struct task *t = &s->t[i];

	if (t->state == T_WAIT && t->pending && --t->pending == 0)
		make_ready(s, i);
}

static int
not_run(struct sched *s, size_t i)
{
	struct task *t = &s->t[i];

	if (t->state == T_DONE)
		return 0;
	t->state = T_DONE;
	t->result = RES_NOT_RUN;
	set_step(s, i, "not-run");
	return 1;
}

static void
finish_task(struct sched *s, size_t i, enum tresult result)
{
	struct task *t = &s->t[i];

	t->state = T_DONE;
	t->result = result;
	if (result == RES_FAILED) {
		s->failed = 1;
		if (s->job->on_failure != ON_FAILURE_CONTINUE)
			s->stopping = 1;
		spread(s, i, not_run);
	} else {
		each_dependent(s, i, satisfied);
	}
}

/* Expansion of ${{ }} at run time. */

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

/* The environment. */

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

static void
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
static char **
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

static void
free_argv(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void
attempt_free(struct attempt *a)
{
	if (a->out_path && strcmp(a->out_path, "/dev/null") != 0)
		unlink(a->out_path);	/* a failed try's outputs */
	if (a->log >= 0) {
		close(a->log);
		if (!a->logged)
			unlink(a->log_path);	/* no output, no log */
	}
	if (a->proc.out >= 0)
		close(a->proc.out);
	free(a->id);
	free(a->log_path);
	free(a->out_path);
	free(a->own_dir);
	free(a->tree);
	free_argv(a->argv);
	env_free(&a->env);
	buf_free(&a->line);
	buf_free(&a->tail);
	free(a);
}

/* Where a process of instance i runs: dir: expanded, relative to the
 * job file's directory, or that directory. *own is the caller's. */
static const char *
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
static char **
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
	acfg_free(&c);
	buf_free(&json);
	buf_free(&x.tmp);
	v[0] = xstrdup(self_path());
	v[1] = xstrdup("action");
	v[2] = xstrdup(action_name(act));
	return v;
}

static const char *const kind_names[] = { "if", "step", "rollback" };

static void emit_line(struct sched *s, struct attempt *a, char *line,
	size_t len);

/* Start task i: its if: probe, a try of the step, or its rollback. This
 * records the start; the process itself is made by launch() once that
 * record is committed. Returns 0, or -1 when it could not be started. */
static int
start(struct sched *s, size_t i, enum kind kind)
{
	const struct step *st = inst_step(s, i);
	const struct action *act = kind == K_ROLLBACK ? &st->rollback :
		&st->action;
	struct task *t = &s->t[i];
	struct attempt *a = xcalloc(1, sizeof(*a));
	struct xctx x = { .s = s, .inst = i };
	struct jattempt ja;
	struct buf data = {0};
	char *fname;
	const char *kname = kind_names[kind], *sdir;
	int64_t now = now_ms(), timeout;
	size_t k;
	int fd;

	a->task = i;
	a->kind = kind;
	a->n = kind == K_IF ? ++t->if_tries : kind == K_STEP ? ++t->tries :
		++t->rb_tries;
	a->log = -1;
	a->proc.out = -1;
	/* Unique across resumes: tries go on counting where they stopped. */
	a->id = kind == K_STEP ?
		xasprintf("%s:%s:%d", s->r->run_id, inst_id(s, i), a->n) :
		xasprintf("%s:%s:%s%d", s->r->run_id, inst_id(s, i), kname,
		a->n);
	fname = fname_of(inst_id(s, i));
	a->log_path = kind == K_STEP ?
		xasprintf("%s/%s.%d.log", s->r->logdir, fname, a->n) :
		xasprintf("%s/%s.%s%d.log", s->r->logdir, fname, kname, a->n);
	a->out_path = xasprintf("%s/%s.%d.output", s->r->logdir, fname, a->n);
	free(fname);
	/* The outputs file only when the step declares outputs; the log
	 * only when there is output (emit_line opens it). */
	if (st->noutputs && kind == K_STEP) {
		fd = open(a->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0600);
		if (fd < 0) {
			ui_note(s->r->ui, now, "step %s: cannot create %s: %s",
				inst_id(s, i), a->out_path, strerror(errno));
			attempt_free(a);
			return -1;
		}
		close(fd);
	} else {
		free(a->out_path);
		a->out_path = xstrdup("/dev/null");
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
		if (kind == K_STEP && t->checkpoint)
			env_set(&a->env, "RUNJOB_CHECKPOINT", t->checkpoint);
	} else if (act->shell || !simple_command(act->run, &a->argv)) {
		a->argv = shell_argv(act->shell, act->run);
	}
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
	buf_addf(&data, "{\"kind\":\"%s\",\"attempt\":%d}", kname, a->n);
	jw_start_attempt(s->w, &ja);
	if (kind == K_STEP)
		set_step(s, i, "running");
	else if (kind == K_ROLLBACK)
		set_step(s, i, "rolling-back");
	event(s, kind == K_ROLLBACK ? "rollback-started" : "step-started",
		inst_id(s, i), &data);
	buf_free(&data);

	t->state = T_ACTIVE;
	xgrow(&s->a, &s->capa, s->na + 1, sizeof(*s->a));
	s->a[s->na++] = a;
	return 0;
}

/* Make the process of an attempt whose start is committed. When that
 * cannot be done, the attempt ends at once as a failure, as a shell
 * would: exit 127 for a program or directory that is not there. */
static void
launch(struct sched *s, struct attempt *a)
{
	struct proc_spec spec;
	int r, log_err;

	spec.argv = a->argv;
	spec.envp = a->env.v;
	spec.dir = a->dir;
	launched_note(s->launched, a->id);
	/* The log first: a process whose output could not be kept is not
	 * made. It is removed again if there is no output. */
	a->log = open(a->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		0600);
	log_err = a->log < 0 ? errno : 0;
	r = log_err ? 0 : proc_spawn(&a->proc, &spec);
	a->launched = 1;
	a->started = now_ms();
	if (a->timeout_ms)
		a->deadline = a->started + a->timeout_ms;
	ui_step_started(s->r->ui, inst_id(s, a->task), kind_names[a->kind],
		a->n, a->started);
	if (log_err) {
		char msg[512];

		snprintf(msg, sizeof(msg), "runjob: cannot create the log %s: "
			"%s; the step was not run", a->log_path,
			strerror(log_err));
		emit_line(s, a, msg, strlen(msg));
		a->done = 1;
		a->status = 126 << 8;
	} else if (r == 0) {
		struct made *m;

		a->pid_start = proc_start_time(a->proc.pid);
		xgrow(&s->hist, &s->caphist, s->nhist + 1, sizeof(*s->hist));
		a->hist = s->nhist;
		m = &s->hist[s->nhist++];
		m->id = xstrdup(a->id);
		m->task = a->task;
		m->pid = a->proc.pid;
		m->start = a->pid_start;
		m->end = 0;
	} else {
		char msg[512];
		struct stat sb;

		/* Say which is missing: the directory or the program. */
		if (a->dir && stat(a->dir, &sb) < 0)
			snprintf(msg, sizeof(msg), "runjob: cannot run %s: its "
				"directory %s: %s", a->argv[0], a->dir,
				strerror(errno));
		else if (a->dir && !S_ISDIR(sb.st_mode))
			snprintf(msg, sizeof(msg), "runjob: cannot run %s: its "
				"directory %s is not a directory", a->argv[0],
				a->dir);
		else
			snprintf(msg, sizeof(msg), "runjob: cannot run %s%s%s: %s",
				a->argv[0], a->dir ? " in " : "", a->dir ? a->dir :
				"", strerror(r));
		emit_line(s, a, msg, strlen(msg));
		a->done = 1;
		a->status = (r == ENOENT ? 127 : 126) << 8;	/* as exit() */
	}
	free_argv(a->argv);
	a->argv = NULL;
	env_free(&a->env);
}

/* How often a built-in's progress becomes a line of output when there
 * is no live view: RUNJOB_PROGRESS_INTERVAL milliseconds, 10 s unless
 * set. */
static int64_t
progress_interval(void)
{
	const char *v = getenv("RUNJOB_PROGRESS_INTERVAL");
	long long ms;

	return v && (ms = atoll(v)) > 0 ? ms : 10000;
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
		event(s, "checkpoint", inst_id(s, a->task), &data);
		buf_free(&data);
	} else if (strncmp(what, ACTION_PROGRESS, pl) == 0) {
		ui_step_progress(s->r->ui, inst_id(s, a->task), what + pl, now);
		if (s->r->ui->mode != UI_TTY &&
		    now - a->progress_at >= progress_interval()) {
			char *line = xasprintf("progress: %s", what + pl);

			a->progress_at = now;
			emit_line(s, a, line, strlen(line));
			free(line);
		}
	}
}

/* Output. */

static void
print_masked(const struct mask *m, const char *p, size_t n)
{
	char *s = xstrndup(p, n);

	fputs(mask_str(m, s), stdout);
	free(s);
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* One line of a step's output: masked, then to its log, the journal's
 * tail and the screen. Masking a whole line at a time means a secret
 * split across two reads is still seen whole. */
static void
emit_line(struct sched *s, struct attempt *a, char *line, size_t len)
{
	struct buf m = {0};
	size_t i;

	if (a->builtin && len && line[0] == ACTION_MARK) {
		line[len] = '\0';
		action_report(s, a, line + 1);
		return;
	}

	for (i = 0; i < len; i++)	/* NUL bytes would end the string */
		if (!line[i])
			line[i] = '?';
	line[len] = '\0';
	mask_append(s->r->mask, &m, line);
	buf_addc(&m, '\n');
	if (a->log >= 0) {
		write_all(a->log, m.s, m.len);
		a->logged = 1;
	}
	buf_add(&a->tail, m.s, m.len);
	if (a->tail.len > 2 * TAIL_MAX) {
		memmove(a->tail.s, a->tail.s + a->tail.len - TAIL_MAX, TAIL_MAX);
		a->tail.len = TAIL_MAX;
		a->tail.s[TAIL_MAX] = '\0';
	}
	ui_step_line(s->r->ui, inst_id(s, a->task), a->n, m.s, m.len - 1,
		now_ms());
	buf_free(&m);
}

/* A line too long to wait for its end goes out in pieces, cut where no
 * secret can straddle the cut: the tail that may begin one waits for
 * the rest of it. */
static void
cut_line(struct sched *s, struct attempt *a)
{
	size_t cut = mask_cut(s->r->mask, a->line.s, a->line.len);
	char keep = a->line.s[cut];	/* emit_line ends the piece there */

	emit_line(s, a, a->line.s, cut);
	a->line.s[cut] = keep;
	memmove(a->line.s, a->line.s + cut, a->line.len - cut);
	a->line.len -= cut;
}

/* Read what the process wrote; with final, also the unfinished last
 * line, and close the pipe even if a leftover background process still
 * holds its other end. */
static void
read_output(struct sched *s, struct attempt *a, int final)
{
	char chunk[65536];

	while (a->proc.out >= 0) {
		ssize_t r = read(a->proc.out, chunk, sizeof(chunk));
		size_t start = 0, i;

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			close(a->proc.out);
			a->proc.out = -1;
			break;
		}
		if (r < 0)
			break;
		buf_add(&a->line, chunk, (size_t)r);
		for (i = 0; i < a->line.len; i++) {
			if (a->line.s[i] != '\n')
				continue;
			emit_line(s, a, a->line.s + start, i - start);
			start = i + 1;
		}
		if (start) {
			memmove(a->line.s, a->line.s + start, a->line.len - start);
			a->line.len -= start;
		}
		if (a->line.len > LINE_MAX_ + mask_longest(s->r->mask))
			cut_line(s, a);
	}
	if (final) {
		if (a->line.len) {
			emit_line(s, a, a->line.s, a->line.len);
			a->line.len = 0;
		}
		if (a->proc.out >= 0) {
			close(a->proc.out);
			a->proc.out = -1;
		}
	}
}

enum { OUTPUTS_MAX = 1 << 20 };	/* bytes of $RUNJOB_OUTPUT read */

static void
drop_outputs(struct task *t)
{
	size_t k;

	for (k = 0; k < t->nout; k++)
		free(t->out[k]);
	free(t->out);
	t->out = NULL;
	t->nout = 0;
}

/* Record an output, "NAME=VALUE", of instance i: masked, and when that
 * hid a secret in it, sealed too, so that a resumed run hands on the
 * value and not its mask. */
static void
record_output(struct sched *s, size_t i, const char *out)
{
	const char *eq = strchr(out, '=');
	char *name = xstrndup(out, (size_t)(eq - out)), *sealed = NULL;
	const char *shown = mask_str(s->r->mask, eq + 1);

	if (strcmp(shown, eq + 1) != 0) {
		char *where = seal_context(s->r->run_id, inst_id(s, i), name);

		sealed = seal(s->r->key, where, eq + 1);
		free(where);
	}
	jw_add_output(s->w, s->r->run_id, inst_id(s, i), name, shown, sealed);
	free(sealed);
	free(name);
}

/* The file a try wrote to $RUNJOB_OUTPUT, whole, into *text. Returns 0,
 * or -1 with the reason in why. */
static int
slurp_outputs(const char *path, char **text, char *why, size_t n)
{
	struct buf b = {0};
	char chunk[65536];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*text = NULL;
	if (fd < 0) {
		snprintf(why, n, "its outputs file %s cannot be read: %s", path,
			strerror(errno));
		return -1;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || b.len + (size_t)r > OUTPUTS_MAX) {
			snprintf(why, n, r < 0 ? "its outputs file %s cannot be "
				"read: %s" : "its outputs file %s is over 1 MiB%s",
				path, r < 0 ? strerror(errno) : "");
			close(fd);
			buf_free(&b);
			return -1;
		}
		buf_add(&b, chunk, (size_t)r);
	}
	close(fd);
	if (memchr(buf_str(&b), '\0', b.len)) {
		snprintf(why, n, "its outputs file %s holds a NUL byte; it must "
			"be NAME=VALUE lines of text", path);
		buf_free(&b);
		return -1;
	}
	*text = b.s ? b.s : xstrdup("");
	return 0;
}

/* The declared outputs a try that exited 0 wrote to $RUNJOB_OUTPUT, kept
 * for its dependents and recorded. Returns 0, or -1 with the reason in
 * why: an outputs file that cannot be read, or a declared output not
 * written (unless optional). Either fails the try, for a
 * dependent must never take an unset variable for a value. */
static int
read_outputs(struct sched *s, struct attempt *a, char *why, size_t n)
{
	const struct step *st = inst_step(s, a->task);
	struct task *t = &s->t[a->task];
	char *text, *line, *save = NULL;
	size_t k;

	if (!st->noutputs)
		return 0;
	if (slurp_outputs(a->out_path, &text, why, n) < 0)
		return -1;
	/* The file is unmasked: what it holds lives on masked in the
	 * journal, and in memory for the dependents. */
	unlink(a->out_path);
	drop_outputs(t);
	t->out = xcalloc(st->noutputs, sizeof(*t->out));
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		for (k = 0; k < st->noutputs; k++) {
			size_t len = strlen(st->outputs[k]);
			size_t o;

			if ((size_t)(eq - line) != len ||
			    strncmp(line, st->outputs[k], len) != 0)
				continue;
			/* A later line for the same name wins. */
			for (o = 0; o < t->nout; o++)
				if (strncmp(t->out[o], line, len + 1) == 0)
					break;
			if (o < t->nout)
				free(t->out[o]);
			else
				t->nout++;
			t->out[o] = xstrdup(line);
		}
	}
	free(text);
	for (k = 0; k < st->noutputs; k++) {
		size_t len = strlen(st->outputs[k]), o;

		if (st->output_optional && st->output_optional[k])
			continue;
		for (o = 0; o < t->nout; o++)
			if (strncmp(t->out[o], st->outputs[k], len) == 0 &&
			    t->out[o][len] == '=')
				break;
		if (o == t->nout) {
			snprintf(why, n, "it did not write its output %s: append "
				"a line %s=VALUE to $RUNJOB_OUTPUT, or list it as "
				"{ name: %s, optional: true } when it may be left "
				"unset", st->outputs[k], st->outputs[k],
				st->outputs[k]);
			drop_outputs(t);
			return -1;
		}
	}
	for (k = 0; k < t->nout; k++)
		record_output(s, a->task, t->out[k]);
	return 0;
}

/* The end of a process. */

static int64_t
retry_delay(const struct retry *r, int tries)
{
	double d = (double)r->delay_ms;
	int i;

	for (i = 1; i < tries; i++)
		d *= r->backoff;
	/* Jitter of +-10%, so that retries of many steps spread out; then
	 * the cap, which holds whatever the jitter. */
	d *= 0.9 + 0.2 * ((double)rand() / RAND_MAX);
	if (r->max_delay_ms >= 0 && d > (double)r->max_delay_ms)
		d = (double)r->max_delay_ms;
	return (int64_t)d;
}

static int
retryable(const struct retry *r, int tries, int code)
{
	size_t i;

	if (tries >= r->attempts)
		return 0;
	if (!r->non_exit)
		return 1;
	for (i = 0; i < r->non_exit; i++)
		if (r->on_exit[i] == code)
			return 1;
	return 0;
}

/* Leftovers: what a step started that is not in its process group any
 * more, or that outlived it. */

/* The process made for an attempt that p comes from, as far as can be
 * told: the attempt named by its RUNJOB_ATTEMPT_ID; else the one whose
 * group it is in; else, for a process whose environment was replaced,
 * the one attempt that was running when it started. -1: none, or more
 * than one could have started it. */
static ssize_t
owner_of(const struct sched *s, const struct pinfo *p)
{
	char id[4096];
	ssize_t found = -1;
	size_t i;
	int has = proc_env_value(p->pid, "RUNJOB_ATTEMPT_ID", id, sizeof(id));

	for (i = 0; i < s->nhist; i++) {
		const struct made *m = &s->hist[i];

		if (has > 0 ? strcmp(m->id, id) == 0 :
		    m->pid == p->pgid && m->start <= p->start)
			return (ssize_t)i;
	}
	if (has > 0)
		return -1;	/* another run's */
	for (i = 0; i < s->nhist; i++) {
		const struct made *m = &s->hist[i];

		if (m->start > p->start || (m->end && m->end < p->start))
			continue;
		if (found >= 0)
			return -1;
		found = (ssize_t)i;
	}
	return found;
}

/* 1 when p is the main process of a running attempt. */
static int
is_main(const struct sched *s, const struct pinfo *p)
{
	size_t i;

	for (i = 0; i < s->na; i++)
		if (s->a[i]->proc.pid == p->pid && !s->a[i]->done)
			return 1;
	return 0;
}

/* Send sig to every process of attempt a but its group, which the
 * caller signals: its main process's descendants, which may have left
 * the group or the session; what carries its RUNJOB_ATTEMPT_ID; what it
 * had when first stopped; the orphans adopted by runjob (the subreaper)
 * that are its; and their descendants. An orphan that may as well be
 * another running step's is left for the end of the run. Returns how
 * many were outside its group. */
static int
signal_escaped(struct sched *s, struct attempt *a, int sig)
{
	struct ptable t = {0};
	unsigned char *mark;
	pid_t self = getpid();
	char id[4096];
	size_t i, k;
	int n = 0;

	proc_table(&t);
	mark = xcalloc(t.n + 1, 1);
	for (i = 0; i < t.n; i++) {
		const struct pinfo *p = &t.v[i];

		if (p->pid == self)
			continue;
		if (p->pid == a->proc.pid && p->start == a->pid_start) {
			mark[i] = 1;
			continue;
		}
		for (k = 0; k < a->ntree; k++)
			if (a->tree[k].pid == p->pid &&
			    a->tree[k].start == p->start)
				mark[i] = 1;
		if (mark[i])
			continue;
		if (p->ppid == self && !is_main(s, p)) {
			ssize_t o = owner_of(s, p);

			mark[i] = o >= 0 && (size_t)o == a->hist;
		} else if (proc_env_value(p->pid, "RUNJOB_ATTEMPT_ID", id,
		    sizeof(id)) > 0 && strcmp(id, a->id) == 0) {
			mark[i] = 1;
		}
	}
	proc_descendants(&t, mark);
	a->ntree = 0;
	for (i = 0; i < t.n; i++) {
		if (!mark[i] || t.v[i].pid == self)
			continue;
		xgrow(&a->tree, &a->captree, a->ntree + 1, sizeof(*a->tree));
		a->tree[a->ntree++] = t.v[i];
		if (t.v[i].pgid == a->proc.pid)
			continue;	/* the group is the caller's */
		if (kill(t.v[i].pid, sig) == 0)
			n++;
		if (sig == SIGKILL) {
			xgrow(&s->killed, &s->capkilled, s->nkilled + 1,
				sizeof(*s->killed));
			s->killed[s->nkilled++] = t.v[i].pid;
		}
	}
	free(mark);
	proc_table_free(&t);
	return n;
}

/* SIGKILL a step's group and what escaped it, remembering them so that
 * they can be reaped before runjob exits. */
static void
kill_all(struct sched *s, struct attempt *a)
{
	if (a->proc.pid <= 0)
		return;	/* not made, or could not be: nothing runs */
	proc_signal(&a->proc, SIGKILL);
	xgrow(&s->killed, &s->capkilled, s->nkilled + 1, sizeof(*s->killed));
	s->killed[s->nkilled++] = -a->proc.pid;	/* the group */
	signal_escaped(s, a, SIGKILL);
}

static void
finish_attempt(struct sched *s, struct attempt *a)
{
	const struct step *st = inst_step(s, a->task);
	struct task *t = &s->t[a->task];
	int code = WIFEXITED(a->status) ? WEXITSTATUS(a->status) : -1;
	int sig = WIFSIGNALED(a->status) ? WTERMSIG(a->status) : -1;
	const char *state, *why = NULL, *id = inst_id(s, a->task);
	const char *kname = kind_names[a->kind];
	int64_t now = now_ms();
	struct buf data = {0};
	char whybuf[512];

	if (a->never) {
		/* It never ran: nothing to say but that. */
		jw_end_attempt(s->w, a->id, "not-started", -1, -1, now, NULL,
			NULL);
		if (a->kind == K_ROLLBACK) {
			set_step(s, a->task, "succeeded");	/* still to undo */
		} else {
			set_step(s, a->task, "not-run");
			t->state = T_DONE;
			t->result = RES_NOT_RUN;
			spread(s, a->task, not_run);
		}
		t->state = T_DONE;
		return;
	}
	read_output(s, a, 1);
	if (a->stopped)
		state = "stopped";
	else if (a->timed_out)
		state = "timeout";
	else if (a->kind == K_IF && code == 1)
		state = "skipped";
	else if (code == 0)
		state = "succeeded";
	else
		state = "failed";
	if (a->kind == K_STEP && strcmp(state, "succeeded") == 0 &&
	    read_outputs(s, a, whybuf, sizeof(whybuf)) < 0) {
		char *line = xasprintf("runjob: step %s fails: %s", id, whybuf);

		emit_line(s, a, line, strlen(line));
		free(line);
		state = "failed";
		why = whybuf;
	}
	if (a->timed_out && !a->stopped) {
		char d[32];

		snprintf(whybuf, sizeof(whybuf), "%s timeout of %s passed",
			a->job_timeout ? "the job's" : "its",
			format_duration(a->job_timeout ? s->job->timeout_ms :
			a->kind == K_ROLLBACK ? st->rollback.timeout_ms :
			st->timeout_ms, d, sizeof(d)));
		why = whybuf;
	} else if (a->kind == K_IF && strcmp(state, "failed") == 0) {
		snprintf(whybuf, sizeof(whybuf), "its if: must exit 0 (run) or "
			"1 (skip)");
		why = whybuf;
	}
	/* What is left of the step once its main process is gone: after a
	 * timeout or a stop, nothing may stay; otherwise say so. */
	if (a->timed_out || a->stopped) {
		kill_all(s, a);
	} else if (a->proc.pid > 0 && kill(-a->proc.pid, 0) == 0) {
		ui_note(s->r->ui, now, "step %s left processes running in its "
			"process group %d; they are stopped when the run ends",
			id, (int)a->proc.pid);
	}

	jw_end_attempt(s->w, a->id, state, code, sig, now,
		a->tail.len ? a->tail.s : NULL, a->logged ? a->log_path : NULL);
	buf_addf(&data, "{\"kind\":\"%s\",\"attempt\":%d,\"state\":\"%s\"",
		kname, a->n, state);
	if (code >= 0)
		buf_addf(&data, ",\"exit_code\":%d", code);
	if (sig >= 0)
		buf_addf(&data, ",\"signal\":%d", sig);
	buf_addf(&data, ",\"duration_ms\":%lld}", (long long)(now - a->started));
	event(s, a->kind == K_ROLLBACK ? "rollback-finished" : "step-finished",
		id, &data);
	buf_free(&data);
	ui_step_finished(s->r->ui, id, kname, a->n, state, code, sig,
		now - a->started, why, now);

	if (a->kind == K_ROLLBACK) {
		if (strcmp(state, "succeeded") == 0) {
			set_step(s, a->task, "rolled-back");
		} else if (a->stopped) {
			set_step(s, a->task, "succeeded");	/* still to undo */
		} else {
			set_step(s, a->task, "rollback-failed");
			s->rollback_failed = 1;
		}
		t->state = T_DONE;
	} else if (a->stopped) {
		set_step(s, a->task, "stopped");
		t->state = T_DONE;
		t->result = RES_NOT_RUN;
		spread(s, a->task, not_run);
	} else if (a->kind == K_IF && code == 0) {
		t->probed = 1;
		make_ready(s, a->task);
	} else if (a->kind == K_IF && code == 1) {
		set_step(s, a->task, "skipped");
		finish_task(s, a->task, RES_SKIPPED);
	} else if (strcmp(state, "succeeded") == 0) {
		set_step(s, a->task, "succeeded");
		t->done_at = now;
		finish_task(s, a->task, RES_OK);
	} else if (a->kind == K_STEP && !s->stopping &&
	    retryable(&st->retry, t->tries, code)) {
		int64_t delay = retry_delay(&st->retry, t->tries);
		char d[32];

		t->state = T_DELAY;
		t->next_at = now + delay;
		xgrow(&s->delayed, &s->capdelayed, s->ndelayed + 1,
			sizeof(*s->delayed));
		s->delayed[s->ndelayed++] = a->task;
		ui_note(s->r->ui, now, "step %s: trying again in %s (attempt "
			"%d of %d)", id, ui_duration(delay, d, sizeof(d)),
			t->tries + 1, st->retry.attempts);
	} else {
		set_step(s, a->task, "failed");
		finish_task(s, a->task, RES_FAILED);
	}
}

/* Stopping. */

static int64_t
task_grace(const struct sched *s, size_t task)
{
	long long g = inst_step(s, task)->kill_grace_ms;

	return g >= 0 ? g : DEFAULT_GRACE_MS;
}

static int64_t
grace(const struct sched *s, const struct attempt *a)
{
	return task_grace(s, a->task);
}

static void
terminate(struct sched *s, struct attempt *a, int64_t now)
{
	int escaped;

	proc_signal(&a->proc, SIGTERM);
	escaped = a->proc.pid > 0 ? signal_escaped(s, a, SIGTERM) : 0;
	if (escaped)
		ui_note(s->r->ui, now, "step %s: %d process%s had left its "
			"process group; stopping %s too", inst_id(s, a->task),
			escaped, escaped == 1 ? "" : "es",
			escaped == 1 ? "it" : "them");
	a->kill_at = now + grace(s, a);
}

static void
interrupt(struct sched *s, int sig)
{
	int64_t now = now_ms();
	size_t i;

	if (s->signal == SIGINT && sig == SIGINT) {
		ui_note(s->r->ui, now, "second interrupt: killing every step now");
		for (i = 0; i < s->na; i++) {
			kill_all(s, s->a[i]);
		}
		return;
	}
	if (s->signal)
		return;
	s->signal = sig;
	s->stopping = 1;
	ui_note(s->r->ui, now, "%s: stopping %zu running step%s%s; the run "
		"can be resumed", sig == SIGINT ? "interrupted" : "terminated",
		s->na, s->na == 1 ? "" : "s", sig == SIGINT ? " (interrupt "
		"again to kill them at once)" : "");
	for (i = 0; i < s->na; i++) {
		s->a[i]->stopped = 1;
		terminate(s, s->a[i], now);
	}
}

static void
check_timers(struct sched *s, int64_t now)
{
	size_t i;

	for (i = 0; i < s->na; i++) {
		struct attempt *a = s->a[i];

		if (a->deadline && now >= a->deadline && !a->timed_out &&
		    !a->stopped) {
			a->timed_out = 1;
			terminate(s, a, now);
		} else if (a->kill_at && now >= a->kill_at) {
			kill_all(s, a);
			a->kill_at = 0;
		}
	}
	if (s->deadline && now >= s->deadline) {
		char d[32];

		ui_note(s->r->ui, now, "the job's timeout of %s passed: "
			"stopping", format_duration(s->job->timeout_ms, d,
			sizeof(d)));
		s->deadline = 0;	/* once */
		s->stopping = 1;
		s->failed = 1;
		for (i = 0; i < s->na; i++) {
			if (s->a[i]->timed_out || s->a[i]->stopped)
				continue;
			s->a[i]->timed_out = 1;
			s->a[i]->job_timeout = 1;
			terminate(s, s->a[i], now);
		}
	}
}

static void
reap(struct sched *s)
{
	pid_t pid;
	int status;
	size_t i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		/* Not ours: a descendant of a step, adopted by the subreaper. */
		for (i = 0; i < s->na; i++)
			if (s->a[i]->proc.pid == pid && !s->a[i]->done) {
				s->a[i]->done = 1;
				s->a[i]->status = status;
				s->hist[s->a[i]->hist].end = proc_now();
				break;
			}
	}
}

/* What runjob killed was reparented to it (the subreaper) or is in a
 * group of its: wait, briefly, until it is all gone, reaping the
 * zombies, so that none is left behind. Processes a step left running on
 * purpose are not waited for. */
static void
reap_killed(struct sched *s)
{
	int64_t until = now_ms() + 2000;
	size_t i;

	while (s->nkilled && now_ms() < until) {
		struct timespec ts = { 0, 10 * 1000000 };

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (i = 0; i < s->nkilled; i++)
			if (kill(s->killed[i], 0) == 0)
				break;
		if (i == s->nkilled)
			break;
		nanosleep(&ts, NULL);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* 1 when SIGINT, SIGTERM or SIGHUP came. */
static int
signalled(struct sched *s)
{
	struct signalfd_siginfo si;
	int any = 0;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
		any |= si.ssi_signo != SIGCHLD;
	return any;
}

/* SIGKILL what is left of procs, and every process runjob adopted
 * meanwhile with its descendants, until none is left (a little while
 * at most), reaping them. */
static void
kill_left(struct pinfo *procs, size_t n)
{
	int64_t until = now_ms() + 2000;
	struct ptable t = {0};
	pid_t self = getpid();
	size_t i;

	for (i = 0; i < n; i++)
		if (proc_alive(procs[i].pid, procs[i].start))
			kill(procs[i].pid, SIGKILL);
	for (;;) {
		struct timespec ts = { 0, 10 * 1000000 };
		unsigned char *mark;
		int any = 0;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		proc_table(&t);
		mark = xcalloc(t.n + 1, 1);
		for (i = 0; i < t.n; i++)
			mark[i] = t.v[i].ppid == self;
		proc_descendants(&t, mark);
		for (i = 0; i < t.n; i++)
			if (mark[i] && t.v[i].pid != self) {
				kill(t.v[i].pid, SIGKILL);
				any = 1;
			}
		free(mark);
		if (!any || now_ms() >= until)
			break;
		nanosleep(&ts, NULL);
	}
	proc_table_free(&t);
}

/* The end of the run: runjob is the parent (the subreaper) of every
 * process a step left running, and stops them, so that nothing of the
 * run outlives it unseen. Each is named with its step, when that can be
 * told, and sent SIGTERM with its descendants; what is left once the
 * longest kill_grace of their steps has passed, or at once on a signal,
 * is sent SIGKILL. */
static void
stop_leftovers(struct sched *s)
{
	struct ptable t = {0};
	struct pinfo *left = NULL;
	size_t nleft = 0, capleft = 0, norphans = 0, i, k;
	unsigned char *mark;
	pid_t self = getpid();
	int64_t wait = 0, longest = -1, until, now = now_ms();

	proc_table(&t);
	mark = xcalloc(t.n + 1, 1);
	for (i = 0; i < t.n; i++) {
		const struct pinfo *p = &t.v[i];
		ssize_t o;
		char cmd[256];

		if (p->ppid != self)
			continue;
		mark[i] = 1;
		o = owner_of(s, p);
		if (o >= 0 && task_grace(s, s->hist[o].task) > wait)
			wait = task_grace(s, s->hist[o].task);
		else if (o < 0 && longest < 0)
			for (k = 0; k < s->p->n; k++)
				if (task_grace(s, k) > longest)
					longest = task_grace(s, k);
		if (o < 0 && longest > wait)
			wait = longest;	/* whoever's it is */
		if (norphans++ >= 10)
			continue;
		proc_cmdline(p->pid, cmd, sizeof(cmd));
		if (o >= 0)
			ui_note(s->r->ui, now, "step %s left process %d running "
				"(%s): stopping it", inst_id(s, s->hist[o].task),
				(int)p->pid, mask_str(s->r->mask, cmd));
		else
			ui_note(s->r->ui, now, "a step left process %d running "
				"(%s): stopping it", (int)p->pid,
				mask_str(s->r->mask, cmd));
	}
	if (norphans > 10)
		ui_note(s->r->ui, now, "and %zu more processes left by steps: "
			"stopping them", norphans - 10);
	proc_descendants(&t, mark);
	for (i = 0; i < t.n; i++) {
		if (!mark[i] || t.v[i].pid == self)
			continue;
		xgrow(&left, &capleft, nleft + 1, sizeof(*left));
		left[nleft++] = t.v[i];
		kill(t.v[i].pid, SIGTERM);
	}
	free(mark);
	proc_table_free(&t);
	if (!nleft)
		return;
	for (until = now + wait; now_ms() < until; ) {
		struct timespec ts = { 0, 20 * 1000000 };

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (i = 0; i < nleft; i++)
			if (proc_alive(left[i].pid, left[i].start))
				break;
		if (i == nleft || signalled(s))
			break;
		nanosleep(&ts, NULL);
	}
	kill_left(left, nleft);
	free(left);
}

static int64_t
next_wakeup(struct sched *s, int64_t now)
{
	int64_t at = now + 1000;
	size_t i;

	for (i = 0; i < s->na; i++) {
		if (s->a[i]->deadline && s->a[i]->deadline < at)
			at = s->a[i]->deadline;
		if (s->a[i]->kill_at && s->a[i]->kill_at < at)
			at = s->a[i]->kill_at;
	}
	for (i = 0; i < s->ndelayed; i++)
		if (s->t[s->delayed[i]].next_at < at)
			at = s->t[s->delayed[i]].next_at;
	if (s->deadline && s->deadline < at)
		at = s->deadline;
	return at < now ? now : at;
}

/* Hand the turn's transitions to the journal's writer, and make the
 * processes whose start is durable by now; the others wait for a later
 * turn. When the journal cannot be written, they are never made. */
static void
seal_and_launch(struct sched *s)
{
	uint64_t batch = jwriter_seal(s->w), durable = 0;
	size_t i, running = 0;

	if (jwriter_durable(s->w, &durable) < 0)
		jfail(s);
	for (i = 0; i < s->na; i++)
		running += s->a[i]->launched && !s->a[i]->done;
	for (i = 0; i < s->na; i++) {
		struct attempt *a = s->a[i];

		if (a->launched)
			continue;
		if (!a->batch)
			a->batch = batch;
		if (s->journal_broken || a->stopped || a->timed_out ||
		    (s->stopping && !s->undo)) {
			/* Never made: the journal failed, or the run began to
			 * stop while its start was being recorded. */
			a->launched = a->done = a->never = 1;
			a->status = 0;
		} else if (a->batch <= durable && running < (size_t)s->jobs) {
			running++;
			launch(s, a);
			if (a->proc.pid)
				jw_set_pid(s->w, a->id, (long)a->proc.pid,
					a->pid_start, proc_boot_id());
		}
	}
}

static size_t
unlaunched(const struct sched *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->na; i++)
		n += !s->a[i]->launched;
	return n;
}

/* Start what can start now. In the forward phase: ready steps, up to
 * the concurrency. In the rollback phase: one rollback at a time, newest
 * first, so that a step is never undone before the steps that needed it. */
static void
start_ready(struct sched *s, int64_t now)
{
	size_t i;

	if (s->undo) {
		if (!s->na && !s->signal && !s->rollback_failed &&
		    !s->journal_broken && s->undo_next < s->nundo)
			start(s, s->undo[s->undo_next++], K_ROLLBACK);
		return;
	}
	for (i = 0; i < s->ndelayed; ) {
		if (s->t[s->delayed[i]].next_at <= now && !s->stopping) {
			make_ready(s, s->delayed[i]);
			s->delayed[i] = s->delayed[--s->ndelayed];
		} else {
			i++;
		}
	}
	/* Up to -j steps run, and up to -j more may have their start
	 * recorded meanwhile, so that a step can follow one that ends
	 * without waiting for the journal. */
	while (!s->stopping && s->na < 2 * (size_t)s->jobs &&
	    unlaunched(s) < (size_t)s->jobs && s->rhead != s->rtail) {
		size_t t = s->ready[s->rhead++ % (s->p->n + 1)];
		const struct step *st = inst_step(s, t);

		if (start(s, t, st->if_ && !s->t[t].probed ? K_IF : K_STEP) < 0) {
			set_step(s, t, "failed");
			finish_task(s, t, RES_FAILED);
		}
	}
}

static int
finished(const struct sched *s)
{
	if (s->na)
		return 0;
	if (s->undo)
		return s->signal || s->rollback_failed || s->journal_broken ||
			s->undo_next == s->nundo;
	return s->stopping || (s->rhead == s->rtail && !s->ndelayed);
}

static void
loop(struct sched *s)
{
	struct pollfd *pfd = NULL;
	size_t *of = NULL;	/* the attempt each pfd[] after the first is */
	size_t cappfd = 0, capof = 0, i;
	int journal_noted = 0;

	for (;;) {
		int64_t now = now_ms(), wake;
		size_t npfd = 0;

		start_ready(s, now);
		seal_and_launch(s);
		if (s->journal_broken && !journal_noted) {
			journal_noted = 1;
			ui_note(s->r->ui, now, "the journal %s cannot be written: "
				"no step will be started; stopping the running "
				"ones", journal_path(s->r->journal));
			for (i = 0; i < s->na; i++) {
				s->a[i]->stopped = 1;
				terminate(s, s->a[i], now);
			}
		}
		if (finished(s))
			break;

		/* Only open pipes: poll refuses more entries than runjob may
		 * open files, and an attempt not made yet has none. */
		xgrow(&pfd, &cappfd, s->na + 2, sizeof(*pfd));
		xgrow(&of, &capof, s->na + 2, sizeof(*of));
		pfd[npfd].fd = s->sigfd;
		pfd[npfd++].events = POLLIN;
		pfd[npfd].fd = jwriter_fd(s->w);
		pfd[npfd++].events = POLLIN;
		for (i = 0; i < s->na; i++) {
			if (s->a[i]->proc.out < 0)
				continue;
			of[npfd] = i;
			pfd[npfd].fd = s->a[i]->proc.out;
			pfd[npfd++].events = POLLIN;
		}
		wake = next_wakeup(s, now);
		for (i = 0; i < s->na; i++)
			if (s->a[i]->done)
				wake = now;	/* could not be made: settle it */
		if (poll(pfd, npfd, (int)(wake - now)) < 0 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
				if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM ||
				    si.ssi_signo == SIGHUP)
					interrupt(s, si.ssi_signo == SIGHUP ?
						SIGTERM : (int)si.ssi_signo);
		}
		for (i = 2; i < npfd; i++)
			if (pfd[i].revents && s->a[of[i]]->proc.out >= 0)
				read_output(s, s->a[of[i]], 0);
		reap(s);
		for (i = 0; i < s->na; ) {
			struct attempt *a = s->a[i];

			if (!a->done) {
				i++;
				continue;
			}
			s->a[i] = s->a[--s->na];
			finish_attempt(s, a);
			attempt_free(a);
		}
		now = now_ms();
		check_timers(s, now);
		ui_tick(s->r->ui, now);
	}
	free(pfd);
	free(of);
}

/* The rollback phase: every step that succeeded and has a rollback
 * action, and was not rolled back yet, newest first. */
static int
newest_first(const void *pa, const void *pb, void *arg)
{
	const struct sched *s = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

	if (s->t[a].done_at != s->t[b].done_at)
		return s->t[a].done_at > s->t[b].done_at ? -1 : 1;
	/* The same millisecond: later in plan order first. */
	return s->order_of[a] > s->order_of[b] ? -1 : 1;
}

static void
roll_back(struct sched *s)
{
	size_t i;
	struct buf list = {0};

	/* The way back is not cut short by the job's timeout; each action
	 * has its own. */
	s->deadline = 0;
	s->undo = xcalloc(s->p->n + 1, sizeof(*s->undo));
	for (i = 0; i < s->p->n; i++)
		if (s->t[i].result == RES_OK && !s->t[i].rolled_back &&
		    inst_step(s, i)->rollback.kind != ACT_NONE)
			s->undo[s->nundo++] = i;
	qsort_r(s->undo, s->nundo, sizeof(*s->undo), newest_first, s);
	s->undo_next = 0;
	for (i = 0; i < s->nundo; i++)
		buf_addf(&list, "%s%s", i ? ", " : "", inst_id(s, s->undo[i]));
	ui_note(s->r->ui, now_ms(), s->nundo ? "rolling back, newest first: %s" :
		"nothing to roll back%s", buf_str(&list));
	buf_free(&list);
	jw_resume_run(s->w, s->r->run_id, (long)getpid(), "rolling-back");
	event(s, "rollback-started", NULL, NULL);
	loop(s);
	if (s->rollback_failed || s->signal || s->journal_broken) {
		buf_reset(&list);
		for (i = s->undo_next; i < s->nundo; i++)
			buf_addf(&list, "%s%s", i > s->undo_next ? ", " : "",
				inst_id(s, s->undo[i]));
		if (s->rollback_failed)
			ui_note(s->r->ui, now_ms(), "a rollback action failed: "
				"this needs a person. Still to roll back after it: "
				"%s", list.len ? buf_str(&list) : "nothing");
		buf_free(&list);
	}
}

/* Selection by --only and --from. */

static int
names(const struct sched *s, size_t i, const char *const *list, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (strcmp(list[k], inst_id(s, i)) == 0 ||
		    strcmp(list[k], inst_step(s, i)->id) == 0)
			return 1;
	return 0;
}

static int
select_one(struct sched *s, size_t i)
{
	if (s->t[i].result != RES_EXCLUDED)
		return 0;
	s->t[i].result = RES_NONE;
	return 1;
}

int
sched_names_step(const struct plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].id, name) == 0 ||
		    strcmp(p->job->steps[p->v[i].step].id, name) == 0)
			return 1;
	return 0;
}

static void
journal_steps_added(struct sched *s)
{
	size_t i;

	for (i = 0; i < s->p->n; i++) {
		char hash[65];

		plan_def_hash(s->p, i, hash);
		jw_add_step(s->w, s->r->run_id, inst_id(s, i), hash);
	}
}

/* The environment every step starts from: the runner's, the job's env:
 * and the params. */
static void
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

/* Run a dry-run probe to its end, printing its output, masked, each
 * line indented; a built-in's reports are left out. Returns 0 with its
 * wait status, or an errno value when it could not be started. */
static int
dry_probe(struct sched *s, size_t k, char **argv, struct env *e,
	const char *dir, int builtin, int *status)
{
	struct proc_spec spec;
	struct proc pr;
	struct buf line = {0};
	char chunk[4096], *sdir = NULL;
	ssize_t n;
	int err;

	spec.argv = argv;
	spec.envp = e->v;
	spec.dir = step_dir(s, k, dir, &sdir);
	err = proc_spawn(&pr, &spec);
	free(sdir);
	if (err)
		return err;
	fcntl(pr.out, F_SETFL, fcntl(pr.out, F_GETFL) & ~O_NONBLOCK);
	while ((n = read(pr.out, chunk, sizeof(chunk))) > 0 ||
	    (n < 0 && errno == EINTR)) {
		ssize_t i;

		for (i = 0; i < n; i++) {
			if (chunk[i] != '\n') {
				buf_addc(&line, chunk[i]);
				continue;
			}
			if (!builtin || !line.len || line.s[0] != ACTION_MARK) {
				printf("    ");
				print_masked(s->r->mask, buf_str(&line), line.len);
				printf("\n");
			}
			buf_reset(&line);
		}
	}
	if (line.len) {
		printf("    ");
		print_masked(s->r->mask, buf_str(&line), line.len);
		printf("\n");
	}
	buf_free(&line);
	close(pr.out);
	while (waitpid(pr.pid, status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

/* One instance's dry run: its if: probe (phase 0) or its built-in
 * (phase 1), and what that said. Returns 0, or -1 when it failed. */
static int
dry_step(struct sched *s, size_t k, const struct step *step, int phase)
{
	const char *id = s->p->v[k].id;
	struct env e;
	char **argv;
	int status = 0, rc = 0;

	build_env(s, &e, k, 1, "dry-run", "/dev/null");
	if (phase == 0) {
		argv = shell_argv(NULL, step->if_);
	} else {
		printf("  %s (%s):\n", id, action_name(&step->action));
		argv = builtin_argv(s, &step->action, k, &e);
	}
	if ((errno = dry_probe(s, k, argv, &e, step->dir, phase,
	    &status)) != 0) {
		if (phase == 0)
			printf("  %-20s if: cannot run: %s\n", id,
				strerror(errno));
		else
			printf("    cannot run: %s\n", strerror(errno));
		rc = -1;
	} else if (phase == 1) {
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("    it would fail\n");
			rc = -1;
		}
	} else if (WIFEXITED(status) && WEXITSTATUS(status) <= 1) {
		printf("  %-20s would %s\n", id, WEXITSTATUS(status) ?
			"be skipped" : "run");
	} else {
		printf("  %-20s if: failed (%s %d); it must exit 0 (run) or 1 "
			"(skip)\n", id, WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) :
			WTERMSIG(status));
		rc = -1;
	}
	free_argv(argv);
	env_free(&e);
	return rc;
}

int
sched_dry_run(const struct plan *p, const struct mask *m, const char *dir)
{
	struct sched_run r = { .plan = p, .mask = m, .run_id = "dry-run",
		.dir = dir };
	struct sched s;
	size_t i, k;
	int code = EXIT_OK, phase, probes = 0;

	memset(&s, 0, sizeof(s));
	s.r = &r;
	s.p = p;
	s.job = p->job;
	s.g = p->g;
	s.t = xcalloc(p->n + 1, sizeof(*s.t));
	s.mark = xcalloc(s.g->n + 1, 1);
	s.scratch = xcalloc(s.g->n + 1, sizeof(*s.scratch));
	base_env(&s);
	env_set(&s.base, "RUNJOB_DRY_RUN", "1");
	/* First every if: probe, then what each built-in would do, each in
	 * plan order under a heading of its own. */
	for (phase = 0; phase < 2; phase++) {
		int any = 0;

		for (i = 0; i < s.g->n; i++) {
			size_t st = s.g->order[i];
			const struct step *step = &s.job->steps[st];

			if (phase == 0 ? !step->if_ : step->action.kind == ACT_RUN)
				continue;
			for (k = p->first[st]; k < p->first[st + 1]; k++) {
				if (!any++)
					printf(phase == 0 ? "\nif: probes "
						"(RUNJOB_DRY_RUN=1)\n" : "\nbuilt-in "
						"actions (RUNJOB_DRY_RUN=1)\n");
				if (dry_step(&s, k, step, phase) < 0)
					code = EXIT_INVALID;
			}
		}
		probes += phase == 0 ? any : 0;
	}
	printf("\ndry run: nothing was run%s\n", code == EXIT_OK ? "" :
		probes ? "; an if: probe or a built-in would fail" :
		"; a built-in would fail");
	env_free(&s.base);
	free(s.t);
	free(s.mark);
	free(s.scratch);
	return code;
}

/* Run no more steps at once than there are descriptors for, once
 * runjob's own are open; saying so when that is fewer than asked. */
static void
fit_jobs(struct sched *s, const struct sched_opts *o)
{
	long limit, room = proc_fds_free(&limit), fit;

	fit = (room - FDS_SPARE) / FDS_PER_STEP;
	if (fit < 1)
		fit = 1;
	if (s->jobs <= fit)
		return;
	if (o->jobs_from)
		ui_note(s->r->ui, now_ms(), "%s %d lowered to %ld: the open-file "
			"limit is %ld", o->jobs_from, s->jobs, fit, limit);
	else
		ui_note(s->r->ui, now_ms(), "%d CPUs, but at most %ld steps at "
			"once: the open-file limit is %ld", s->jobs, fit, limit);
	s->jobs = (int)fit;
}

/* Take up what the journal says of the run: what succeeded stays done
 * with its outputs, what did not runs again. */
static void
apply_prior(struct sched *s)
{
	const struct prior *p = s->r->prior;
	size_t i, k;

	for (i = 0; i < s->p->n; i++) {
		const struct prior_step *ps = &p->v[i];
		struct task *t = &s->t[i];

		t->tries = ps->tries;
		t->rb_tries = ps->rb_tries;
		t->if_tries = ps->if_tries;
		if (ps->checkpoint)
			t->checkpoint = xstrdup(ps->checkpoint);
		if (!ps->state)
			continue;
		if (strcmp(ps->state, "succeeded") == 0 ||
		    strcmp(ps->state, "rolled-back") == 0 ||
		    strcmp(ps->state, "rollback-failed") == 0 ||
		    strcmp(ps->state, "rolling-back") == 0) {
			t->state = T_DONE;
			t->result = RES_OK;
			t->done_at = ps->ended;
			t->rolled_back = strcmp(ps->state, "rolled-back") == 0;
			t->out = xcalloc(ps->nout + 1, sizeof(*t->out));
			for (k = 0; k < ps->nout; k++)
				t->out[k] = xstrdup(ps->out[k]);
			t->nout = ps->nout;
		} else if (strcmp(ps->state, "skipped") == 0) {
			t->state = T_DONE;
			t->result = RES_SKIPPED;
		} else if (strcmp(ps->state, "failed-unknown") == 0) {
			t->state = T_DONE;
			t->result = RES_FAILED;
		} else if (s->r->rollback_only &&
		    strcmp(ps->state, "failed") == 0) {
			/* Rolling back leaves what failed recorded so. */
			t->state = T_DONE;
			t->result = RES_FAILED;
		}
	}
}

int
sched_run(struct sched_run *r, const struct sched_opts *o)
{
	struct sched s;
	sigset_t mask;
	size_t i, k;
	int selective = o->nonly || o->nfrom;

	memset(&s, 0, sizeof(s));
	s.r = r;
	s.p = r->plan;
	s.job = r->plan->job;
	s.g = r->plan->g;
	s.jobs = o->jobs;
	s.t = xcalloc(s.p->n + 1, sizeof(*s.t));
	s.ready = xcalloc(s.p->n + 1, sizeof(*s.ready));
	s.mark = xcalloc(s.g->n + 1, 1);
	s.scratch = xcalloc(s.g->n + 1, sizeof(*s.scratch));
	if (s.job->timeout_ms > 0)
		s.deadline = now_ms() + s.job->timeout_ms;
	for (i = 0; i < s.job->nsteps; i++)
		if (s.job->steps[i].noutputs)
			s.any_outputs = 1;

	base_env(&s);

	/* SIGCHLD, SIGINT, SIGTERM and SIGHUP arrive through a signalfd;
	 * children unblock them before they exec. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s.sigfd < 0)
		fatal("signalfd: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	proc_init();
	srand((unsigned)(now_ms() ^ getpid()));

	s.launched = launched_open(r->logdir);
	s.w = jwriter_start(r->journal);
	journal_steps_added(&s);
	fit_jobs(&s, o);

	/* Plan order, for ties in the rollback order. */
	s.order_of = xcalloc(s.p->n + 1, sizeof(*s.order_of));
	for (i = 0, k = 0; i < s.g->n; i++) {
		size_t st = s.g->order[i], j;

		for (j = s.p->first[st]; j < s.p->first[st + 1]; j++)
			s.order_of[j] = k++;
	}
	if (r->prior)
		apply_prior(&s);

	/* Steps left out by --only / --from are settled as excluded. */
	if (selective) {
		for (i = 0; i < s.p->n; i++)
			if (s.t[i].state != T_DONE)
				s.t[i].result = RES_EXCLUDED;
		for (i = 0; i < s.p->n; i++) {
			if (s.t[i].state == T_DONE)
				continue;
			if (names(&s, i, o->only, o->nonly))
				s.t[i].result = RES_NONE;
			if (names(&s, i, o->from, o->nfrom)) {
				s.t[i].result = RES_NONE;
				spread(&s, i, select_one);
			}
		}
	}
	for (i = 0; i < s.p->n; i++)
		if (s.t[i].state != T_DONE && s.t[i].result == RES_EXCLUDED) {
			s.t[i].state = T_DONE;
			set_step(&s, i, "excluded");
		}
	/* Pending needs: those not settled yet; in plan order, so that a
	 * step after one that cannot run is seen not to run either. */
	for (i = 0; i < s.g->n && !r->rollback_only; i++) {
		size_t st = s.g->order[i], inst;

		for (inst = s.p->first[st]; inst < s.p->first[st + 1]; inst++) {
			int blocked = 0;

			if (s.t[inst].state == T_DONE)
				continue;
			for (k = s.g->dep_start[st]; k < s.g->dep_start[st + 1];
			    k++) {
				size_t dep = s.g->deps[k], j;

				for (j = s.p->first[dep]; j < s.p->first[dep + 1];
				    j++)
					if (s.t[j].state != T_DONE)
						s.t[inst].pending++;
					else if (s.t[j].result == RES_FAILED ||
					    s.t[j].result == RES_NOT_RUN)
						blocked = 1;
			}
			if (blocked)
				not_run(&s, inst);
		}
	}
	/* A step settled failed by on_unknown: fail counts as failing now. */
	for (i = 0; i < s.p->n && !r->rollback_only; i++)
		if (s.t[i].result == RES_FAILED) {
			s.failed = 1;
			if (s.job->on_failure != ON_FAILURE_CONTINUE)
				s.stopping = 1;
		}
	/* Ready in plan order, so that earlier waves start first. */
	for (i = 0; i < s.g->n && !r->rollback_only; i++) {
		size_t st = s.g->order[i];

		for (k = s.p->first[st]; k < s.p->first[st + 1]; k++)
			if (s.t[k].state == T_WAIT && !s.t[k].pending)
				make_ready(&s, k);
	}

	if (!r->rollback_only)
		loop(&s);
	/* A step waiting to be tried again when the run stopped did run,
	 * and failed; the rest never ran. */
	for (i = 0; i < s.ndelayed; i++) {
		set_step(&s, s.delayed[i], "failed");
		finish_task(&s, s.delayed[i], RES_FAILED);
	}
	/* Only a forward run settles the steps it did not reach; rolling
	 * back leaves their states as the run left them. */
	for (i = 0; i < s.p->n && !r->rollback_only; i++)
		if (s.t[i].state != T_DONE)
			not_run(&s, i);
	if (r->rollback_only || (s.failed && !s.signal && !s.journal_broken &&
	    s.job->on_failure == ON_FAILURE_ROLLBACK))
		roll_back(&s);
	reap_killed(&s);
	stop_leftovers(&s);
	if (jwriter_finish(s.w) < 0)
		s.journal_broken = 1;

	{
		int code;

		if (s.journal_broken) {
			code = EXIT_FAILED;
			r->outcome = "failed";
		} else if (s.signal) {
			code = s.signal == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
			r->outcome = s.undo ? "rolling-back" : "interrupted";
		} else if (s.rollback_failed) {
			code = EXIT_ROLLBACK;
			r->outcome = "rollback-failed";
		} else if (s.undo) {
			/* runjob rollback did what it was asked. Otherwise the
			 * run failed, and undoing it does not change that. */
			for (i = 0; i < s.p->n; i++)
				if (s.t[i].result == RES_FAILED)
					s.failed = 1;
			code = r->on_demand || !s.failed ? EXIT_OK : EXIT_FAILED;
			r->outcome = "rolled-back";
		} else {
			code = s.failed ? EXIT_FAILED : EXIT_OK;
			r->outcome = s.failed ? "failed" : "succeeded";
		}

		for (i = 0; i < s.p->n; i++) {
			for (k = 0; k < s.t[i].nout; k++)
				free(s.t[i].out[k]);
			free(s.t[i].out);
			free(s.t[i].checkpoint);
		}
		if (s.launched >= 0)
			close(s.launched);
		free(spread_stack);
		spread_stack = NULL;
		spread_top = spread_cap = 0;
		close(s.sigfd);
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		env_free(&s.base);
		free(s.t);
		free(s.ready);
		free(s.mark);
		free(s.scratch);
		free(s.a);
		free(s.delayed);
		free(s.killed);
		for (i = 0; i < s.nhist; i++)
			free(s.hist[i].id);
		free(s.hist);
		free(s.undo);
		free(s.order_of);
		return code;
	}
}
