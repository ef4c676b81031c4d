/*
 * run.c - `runjob run`: a job file through check and plan, into the
 * journal and the scheduler.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "exitcode.h"
#include "journal.h"
#include "run.h"
#include "sched.h"
#include "sha256.h"
#include "ui.h"
#include "util.h"

/* The directory part of path ("." when none), for the caller to free. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *
journal_default_path(const char *jobfile)
{
	char *dir = dir_of(jobfile), real[PATH_MAX], *p, *top;
	struct stat st;

	if (!realpath(dir, real)) {
		snprintf(real, sizeof(real), "%s", dir);
	}
	free(dir);
	/* The top of the git work tree holding the job file, if any. */
	top = xstrdup(real);
	for (;;) {
		char *git = xasprintf("%s/.git", top);
		int found = lstat(git, &st) == 0;

		free(git);
		if (found) {
			p = xasprintf("%s/.runjob/journal.db",
				strcmp(top, "/") == 0 ? "" : top);
			free(top);
			return p;
		}
		p = strrchr(top, '/');
		if (!p || p == top)
			break;
		*p = '\0';
	}
	free(top);
	return xasprintf("%s/.runjob/journal.db", real);
}

char *
journal_choose(const char *given, const char *jobfile)
{
	const char *env = getenv("RUNJOB_JOURNAL");

	if (given)
		return xstrdup(given);
	if (env && *env)
		return xstrdup(env);
	return journal_default_path(jobfile);
}

/* A run id that sorts by time: 20261121-023000-7f3a9c. */
static void
new_run_id(char *id, size_t n)
{
	time_t t = (time_t)(now_ms() / 1000);
	unsigned char r[3] = {0};
	struct tm tm;
	char stamp[32];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r[0] = (unsigned char)getpid();
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(id, n, "%s-%02x%02x%02x", stamp, r[0], r[1], r[2]);
}

static char *
params_json(const struct loaded *l)
{
	const struct job *job = l->job;
	struct buf b = {0};
	size_t i;

	buf_addc(&b, '{');
	for (i = 0; i < job->nparams; i++) {
		if (i)
			buf_addc(&b, ',');
		buf_add_json(&b, job->params[i].name);
		buf_addc(&b, ':');
		buf_add_json(&b, job->params[i].secret ? MASK_TEXT :
			mask_str(&l->mask, l->values.value[i]));
	}
	buf_addc(&b, '}');
	return b.s;
}

static int
make_dirs(const char *path)
{
	char *p = xstrdup(path), *q;

	for (q = p + 1; ; q++) {
		if (*q != '/' && *q)
			continue;
		{
			char c = *q;

			*q = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
				int r = error("cannot create %s: %s", p,
					strerror(errno));

				free(p);
				return r;
			}
			*q = c;
		}
		if (!*q)
			break;
	}
	free(p);
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	struct diags d = {0};
	struct journal *jn = NULL;
	struct loaded l;
	struct opts o;
	struct ui ui;
	struct jrun jr;
	struct sched_opts so;
	struct sched_run sr;
	char run_id[64], sha[65], real[PATH_MAX], host[256] = "?";
	char *jpath = NULL, *logdir = NULL, *dir = NULL, *params = NULL;
	struct passwd *pw;
	struct buf data = {0};
	int first, code = EXIT_FAILED;
	size_t i;
	int64_t started;

	if ((first = parse_opts("run", argc, argv, &o, "param env-file jobs "
	    "dry-run only from new journal json quiet verbose")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (first != argc - 1) {
		free_opts(&o);
		return usage_error("run", first == argc ? "no job file given" :
			"run takes one job file");
	}
	if (load(&l, argv[first], &o, &d) < 0) {
		diags_print(&d, 0);
		fprintf(stderr, "%s: %zu error%s; nothing was run\n",
			argv[first], d.nerrors, d.nerrors == 1 ? "" : "s");
		code = EXIT_INVALID;
		goto out;
	}
	diags_print(&d, 0);
	for (i = 0; i < o.nonly + o.nfrom; i++) {
		const char *name = i < o.nonly ? o.only[i] : o.from[i - o.nonly];

		if (!sched_names_step(&l.plan, name)) {
			char msg[256];

			snprintf(msg, sizeof(msg), "job %s has no step '%s' (see "
				"'runjob plan %s')", l.job->name, name,
				argv[first]);
			code = usage_error("run", msg);
			goto out;
		}
	}
	if (o.dry_run) {
		char *jobdir = dir_of(argv[first]);

		plan_print(&l.plan, &l.mask, PLAN_TEXT);
		fflush(stdout);
		code = sched_dry_run(&l.plan, &l.mask, jobdir);
		free(jobdir);
		goto out;
	}

	jpath = journal_choose(o.journal, argv[first]);
	if (journal_open(&jn, jpath, 1) < 0)
		goto out;
	dir = dir_of(jpath);
	new_run_id(run_id, sizeof(run_id));
	logdir = xasprintf("%s/logs/%s", dir, run_id);
	if (make_dirs(logdir) < 0)
		goto out;

	if (!realpath(argv[first], real))
		snprintf(real, sizeof(real), "%s", argv[first]);
	sha256_hex(l.job->text, l.job->len, sha);
	params = params_json(&l);
	gethostname(host, sizeof(host) - 1);
	pw = getpwuid(geteuid());
	started = now_ms();
	memset(&jr, 0, sizeof(jr));
	jr.id = run_id;
	jr.job = l.job->name;
	jr.file = real;
	jr.text = l.job->text;
	jr.sha256 = sha;
	jr.params = params;
	jr.user = pw ? pw->pw_name : "?";
	jr.host = host;
	jr.trigger = "manual";
	jr.pid = (long)getpid();
	jr.started = started;
	buf_addf(&data, "{\"pid\":%ld,\"sha256\":\"%s\"}", jr.pid, sha);
	if (journal_begin(jn) < 0 || journal_add_run(jn, &jr) < 0 ||
	    journal_event(jn, run_id, started, "run-started", NULL,
	    data.s) < 0 || journal_commit(jn) < 0) {
		journal_abort(jn);
		goto out;
	}

	ui_init(&ui, o.json, o.quiet, o.verbose);
	ui.run = run_id;
	ui_run_started(&ui, l.job->name, argv[first], started);
	memset(&so, 0, sizeof(so));
	so.jobs = o.jobs ? o.jobs : l.job->concurrency ? l.job->concurrency :
		(int)sysconf(_SC_NPROCESSORS_ONLN);
	if (so.jobs < 1)
		so.jobs = 1;
	so.only = o.only;
	so.nonly = o.nonly;
	so.from = o.from;
	so.nfrom = o.nfrom;
	sr.plan = &l.plan;
	sr.mask = &l.mask;
	sr.journal = jn;
	sr.ui = &ui;
	sr.run_id = run_id;
	sr.logdir = logdir;
	{
		char *jobdir = dir_of(real);

		sr.dir = jobdir;
		code = sched_run(&sr, &so);
		free(jobdir);
	}

	{
		const char *state = code == EXIT_OK ? "succeeded" :
			code == EXIT_SIGINT || code == EXIT_SIGTERM ?
			"interrupted" : "failed";
		int64_t ended = now_ms();

		buf_reset(&data);
		buf_addf(&data, "{\"state\":\"%s\",\"exit_code\":%d}", state,
			code);
		if (journal_begin(jn) < 0 || journal_end_run(jn, run_id, state,
		    code, ended) < 0 || journal_event(jn, run_id, ended,
		    "run-finished", NULL, data.s) < 0 ||
		    journal_commit(jn) < 0) {
			journal_abort(jn);
			if (code == EXIT_OK)
				code = EXIT_FAILED;
		}
		ui_run_finished(&ui, state, code, ended - started, ended);
	}
	ui_free(&ui);
out:
	buf_free(&data);
	free(params);
	free(logdir);
	free(dir);
	free(jpath);
	journal_close(jn);
	unload(&l);
	diags_free(&d);
	free_opts(&o);
	return code;
}
