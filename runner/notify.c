/*
 * notify.c - notify: hooks, started and seen to their end. Each is
 * /bin/sh -c TEXT in its own process group, in the job's directory,
 * with the runner's environment, the job's params (secret ones too, as
 * a step has them: the hook may need a token) and the RUNJOB_* facts of
 * the event. Its output is kept, masked, in its notified event.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "env.h"
#include "notify.h"
#include "util.h"

extern char **environ;


static void
set_fact(struct env *e, const char *name, const char *value)
{
	env_set(e, name, value ? value : "");
}

static void
env_of(struct env *e, const struct notice *nt, unsigned event)
{
	const struct job *job = nt->plan->job;
	size_t i;

	env_init(e, environ);
	for (i = 0; i < job->nparams; i++)
		env_set(e, job->params[i].name, nt->plan->pv->value[i]);
	/* A hook's own facts, which no step has (runjob-job(5),
	 * Notifications). */
	set_fact(e, "RUNJOB_EVENT", notify_event_name(event));
	set_fact(e, "RUNJOB_RUN_ID", nt->run);
	set_fact(e, "RUNJOB_JOB", job->name);
	set_fact(e, "RUNJOB_OUTCOME", nt->outcome);
	set_fact(e, "RUNJOB_SUMMARY", nt->summary);
}

size_t
notify_start(const struct notice *nt, unsigned event, struct hook_proc **v,
	size_t *n, size_t *cap)
{
	const struct job *job = nt->plan->job;
	struct env e;
	size_t i, started = 0;

	if (!job->nhooks)
		return 0;
	env_of(&e, nt, event);
	for (i = 0; i < job->nhooks; i++) {
		const struct hook *hk = &job->hooks[i];
		struct proc_spec spec = { 0 };
		struct hook_proc *h;
		char *argv[] = { (char *)"/bin/sh", (char *)"-c", NULL, NULL };
		int err;

		if (!(hk->on & event))
			continue;
		xgrow(v, cap, *n + 1, sizeof(**v));
		h = &(*v)[*n];
		memset(h, 0, sizeof(*h));
		argv[2] = (char *)hk->run;
		spec.argv = argv;
		spec.envp = e.v;
		spec.dir = nt->dir;
		spec.keep_fd = -1;
		h->hook = i;
		h->event = event;
		h->deadline = now_ms() + (hk->timeout_ms > 0 ? hk->timeout_ms :
			NOTIFY_TIMEOUT_MS);
		if ((err = proc_spawn(&h->proc, &spec)) != 0) {
			/* Recorded as a hook that could not run. */
			h->done = 1;
			h->status = 127 << 8;
			buf_addf(&h->out, "cannot run /bin/sh: %s", strerror(err));
		}
		(*n)++;
		started++;
	}
	env_free(&e);
	return started;
}

void
notify_drain(struct hook_proc *h)
{
	char chunk[1024];
	ssize_t r;

	if (h->proc.out < 0)
		return;
	while ((r = read(h->proc.out, chunk, sizeof(chunk))) > 0)
		if (h->out.len < NOTIFY_OUTPUT_MAX)
			buf_add(&h->out, chunk, (size_t)r > NOTIFY_OUTPUT_MAX -
				h->out.len ? NOTIFY_OUTPUT_MAX - h->out.len :
				(size_t)r);
	if (r == 0) {
		close(h->proc.out);
		h->proc.out = -1;
	}
}

void
notify_kill(struct hook_proc *h)
{
	if (h->done || h->timed_out)
		return;
	h->timed_out = 1;
	proc_signal(&h->proc, SIGKILL);
}

char *
notify_data(const struct job *job, struct hook_proc *h, const struct mask *m)
{
	const struct hook *hk = &job->hooks[h->hook];
	struct buf b = {0};

	notify_drain(h);
	buf_adds(&b, "{\"event\":");
	buf_add_json(&b, notify_event_name(h->event));
	buf_addf(&b, ",\"hook\":\"%zu\",\"state\":", h->hook + 1);
	buf_add_json(&b, h->timed_out ? "timeout" : WIFEXITED(h->status) &&
		WEXITSTATUS(h->status) == 0 ? "succeeded" : "failed");
	if (WIFEXITED(h->status) && !h->timed_out)
		buf_addf(&b, ",\"exit_code\":\"%d\"", WEXITSTATUS(h->status));
	buf_addf(&b, ",\"at\":\"%s:%u:%u\"", MARK_FILE(job, hk->at),
		hk->at.line, hk->at.col);
	if (h->out.len) {
		buf_adds(&b, ",\"output\":");
		buf_add_json(&b, mask_str(m, buf_str(&h->out)));
	}
	buf_adds(&b, "}");
	return b.s;
}

void
notify_finish(const struct job *job, struct hook_proc *v, size_t *n,
	const struct mask *m, void (*rec)(void *arg, const char *data),
	void *arg)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		struct hook_proc *h = &v[i];
		char *data;

		while (!h->done) {
			pid_t r = waitpid(h->proc.pid, &h->status, WNOHANG);

			if (r == h->proc.pid || (r < 0 && errno != EINTR)) {
				h->done = 1;
				break;
			}
			notify_drain(h);
			if (now_ms() >= h->deadline)
				notify_kill(h);
			poll(NULL, 0, 20);
		}
		data = notify_data(job, h, m);
		rec(arg, data);
		free(data);
		if (h->proc.out >= 0)
			close(h->proc.out);
		buf_free(&h->out);
	}
	*n = 0;
}
