/*
 * dryrun.c - runjob run --dry-run: each if: probe and each built-in's
 * account of what it would do, run with RUNJOB_DRY_RUN=1; nothing else
 * is started, nothing journaled.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "action.h"
#include "exitcode.h"
#include "scheduler_int.h"
#include "util.h"
#include "visible.h"

/* A probe's output: each line masked, made visible and indented; a
 * built-in's reports are left out. */
struct shown {
	const struct mask *mask;
	int builtin;
};

static void
show_line(void *arg, char *line, size_t len)
{
	struct shown *sh = arg;
	struct buf m = {0};

	if (sh->builtin && len && line[0] == ACTION_MARK)
		return;
	lines_mask(sh->mask, &m, line, len);
	printf("    %s\n", visible(buf_str(&m)));
	buf_free(&m);
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
	struct shown sh = { s->r->mask, builtin };
	struct lines out = { s->r->mask, { 0 } };
	char chunk[4096], *sdir = NULL;
	ssize_t n;
	int err;

	spec.argv = argv;
	spec.envp = e->v;
	spec.dir = step_dir(s, k, dir, &sdir);
	spec.keep_fd = -1;
	err = proc_spawn(&pr, &spec);
	free(sdir);
	if (err)
		return err;
	fcntl(pr.out, F_SETFL, fcntl(pr.out, F_GETFL) & ~O_NONBLOCK);
	while ((n = read(pr.out, chunk, sizeof(chunk))) > 0 ||
	    (n < 0 && errno == EINTR))
		if (n > 0)
			lines_add(&out, chunk, (size_t)n, show_line, &sh);
	lines_end(&out, show_line, &sh);
	lines_free(&out);
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
sched_dry_run(const struct plan *p, struct mask *m, const char *dir)
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

			if (phase == 0 ? !step->if_ : step->action.kind != ACT_BUILTIN)
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
