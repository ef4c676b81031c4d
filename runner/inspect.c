/*
 * inspect.c - the commands that read a job file and run nothing: runjob
 * check and runjob plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "eta.h"
#include "exitcode.h"
#include "inspect.h"
#include "journal.h"
#include "plan.h"
#include "where.h"

static int
cmd_check(int argc, char **argv)
{
	struct opts o;
	int i, first, bad = 0;

	if ((first = parse_opts("check", argc, argv, &o,
	    "param env-file json quiet allow-outside")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (first == argc) {
		free_opts(&o);
		return usage_error("check", "no job file given");
	}
	for (i = first; i < argc; i++) {
		struct diags d = {0};
		struct loaded l;
		size_t nwarn;
		int ok = load(&l, argv[i], &o, &d) == 0;

		nwarn = d.n - d.nerrors;
		diags_print(&d, o.json);
		if (o.json) {
			struct buf b = {0};

			buf_adds(&b, "{\"file\":");
			buf_add_json(&b, argv[i]);
			buf_addf(&b, ",\"ok\":%s,\"errors\":%zu,\"warnings\":%zu,"
				"\"steps\":%zu}\n", ok ? "true" : "false", d.nerrors,
				nwarn, l.planned ? l.plan.n : 0);
			fputs(buf_str(&b), stdout);
			buf_free(&b);
		} else if (ok && !o.quiet) {
			printf("%s: ok (%zu step%s in %u wave%s)\n", argv[i],
				l.plan.n, l.plan.n == 1 ? "" : "s",
				l.graph.nwaves, l.graph.nwaves == 1 ? "" : "s");
		} else if (!ok) {
			fprintf(stderr, "%s: %zu error%s\n", argv[i], d.nerrors,
				d.nerrors == 1 ? "" : "s");
		}
		bad |= !ok;
		unload(&l);
		diags_free(&d);
	}
	free_opts(&o);
	return bad ? EXIT_INVALID : EXIT_OK;
}

const struct command cmd_check_entry = { "check", cmd_check,
	"check [-q] [--json] [--allow-outside] [-p NAME=VALUE]... [--env-file FILE]... JOB.yaml[@REV]...",
	"validate job files and report every problem",
	"-p NAME=VALUE      give a param its value\n"
	"--env-file FILE    read param values from FILE (NAME=VALUE lines)\n"
	"--json             print each problem as a JSON object, one a line\n"
	"--allow-outside    let a job use files outside its repository\n"
	"-q                 print nothing for valid files\n" };

/* The plan with how long its steps took in the job's past runs, when
 * its journal holds any; as it is otherwise. */
static void
plan_with_history(struct loaded *l, const struct opts *o,
	enum plan_format fmt)
{
	char *path = journal_choose(o->journal, l->job->file);
	struct history h = { NULL, NULL };
	struct journal *jn = NULL;
	struct plan_times tm;
	struct stat sb;

	tm.jobs = o->jobs ? o->jobs : l->job->concurrency ?
		l->job->concurrency : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (tm.jobs < 1)
		tm.jobs = 1;
	if (fmt == PLAN_DOT || stat(path, &sb) < 0 ||
	    journal_open(&jn, path, JOURNAL_READ) < 0 ||
	    history_load(&h, jn, &l->plan, NULL) < 0) {
		plan_print(&l->plan, &l->mask, fmt);
	} else {
		tm.ms = h.median;
		tm.runs = h.count;
		tm.total = eta_finish(&l->plan, h.median, NULL, tm.jobs,
			&tm.unknown);
		plan_print_times(&l->plan, &l->mask, fmt, &tm);
	}
	history_free(&h);
	journal_close(jn);
	free(path);
}

static int
cmd_plan(int argc, char **argv)
{
	struct diags d = {0};
	struct loaded l;
	struct opts o;
	int first, ok;

	if ((first = parse_opts("plan", argc, argv, &o,
	    "param env-file json dot allow-outside journal jobs")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (first != argc - 1) {
		free_opts(&o);
		return usage_error("plan", first == argc ?
			"no job file given" : "plan takes one job file");
	}
	if (o.json && o.dot) {
		free_opts(&o);
		return usage_error("plan", "--json and --dot exclude each "
			"other");
	}
	ok = load(&l, argv[first], &o, &d) == 0;
	diags_print(&d, 0);
	if (ok)
		plan_with_history(&l, &o, o.json ? PLAN_JSON :
			o.dot ? PLAN_DOT : PLAN_TEXT);
	else
		fprintf(stderr, "%s: %zu error%s; nothing to plan\n",
			argv[first], d.nerrors, d.nerrors == 1 ? "" : "s");
	unload(&l);
	diags_free(&d);
	free_opts(&o);
	return ok ? EXIT_OK : EXIT_INVALID;
}

const struct command cmd_plan_entry = { "plan", cmd_plan,
	"plan [--json | --dot] [--allow-outside] [-j N] [--journal PATH] [-p NAME=VALUE]... [--env-file FILE]... JOB.yaml[@REV]",
	"show the steps in waves, the params, the rollback order and how long the steps took before",
	"-p NAME=VALUE      give a param its value\n"
	"--env-file FILE    read param values from FILE (NAME=VALUE lines)\n"
	"--json             print the plan as one JSON object\n"
	"--dot              print the dependency graph for Graphviz\n"
	"--allow-outside    let a job use files outside its repository\n"
	"-j N               the steps at once the expected duration assumes\n"
	"--journal PATH     the journal whose past runs give the durations\n" };
