/*
 * main.c - the command table and dispatch.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action_cmd.h"
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "exitcode.h"
#include "graph.h"
#include "job.h"
#include "mask.h"
#include "param.h"
#include "plan.h"
#include "run.h"
#include "show.h"
#include "util.h"

#ifndef RUNJOB_VERSION
#define RUNJOB_VERSION "unknown"
#endif

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;	/* the synopsis, as in runjob(1) */
	const char *summary;
	const char *options;	/* one option a line */
};

static const struct command commands[];

/* Report a usage error about cmd (NULL: none in particular). */
int
usage_error(const char *cmd, const char *msg)
{
	size_t i;

	fprintf(stderr, "%s: %s\n", argv0, msg);
	for (i = 0; cmd && commands[i].name; i++)
		if (strcmp(commands[i].name, cmd) == 0)
			fprintf(stderr, "usage: %s %s\nRun '%s help %s' for "
				"more.\n", argv0, commands[i].usage, argv0, cmd);
	return EXIT_USAGE;
}

static int
cmd_check(int argc, char **argv)
{
	struct opts o;
	int i, first, bad = 0;

	if ((first = parse_opts("check", argc, argv, &o,
	    "param env-file json quiet")) < 0)
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

static int
cmd_plan(int argc, char **argv)
{
	struct diags d = {0};
	struct loaded l;
	struct opts o;
	int first, ok;

	if ((first = parse_opts("plan", argc, argv, &o,
	    "param env-file json dot")) < 0)
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
		plan_print(&l.plan, &l.mask, o.json ? PLAN_JSON :
			o.dot ? PLAN_DOT : PLAN_TEXT);
	else
		fprintf(stderr, "%s: %zu error%s; nothing to plan\n",
			argv[first], d.nerrors, d.nerrors == 1 ? "" : "s");
	unload(&l);
	diags_free(&d);
	free_opts(&o);
	return ok ? EXIT_OK : EXIT_INVALID;
}

static int
cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return usage_error("version", "version takes no arguments");
	printf("runjob %s\n", RUNJOB_VERSION);
	return EXIT_OK;
}

static const struct command commands[] = {
	{ "run", cmd_run,
	  "run [-q | -v] [--json] [-j N] [--dry-run] [--only STEP]... [--from STEP]... [--new] [--kill-orphans] [--require-clean] [--journal PATH] [-p NAME=VALUE]... [--env-file FILE]... JOB.yaml",
	  "run the job, or resume its last run if that did not finish (also: runjob JOB.yaml)",
	  "-p NAME=VALUE      give a param its value\n"
	  "--env-file FILE    read param values from FILE (NAME=VALUE lines)\n"
	  "-j N               run at most N steps at once\n"
	  "--dry-run          check, plan and ask each if: probe; run nothing\n"
	  "--only STEP        run just this step (repeatable), nothing else\n"
	  "--from STEP        run this step and every step after it\n"
	  "--new              start a new run, even when the last one did not finish\n"
	  "--kill-orphans     stop a step a crashed runjob left running, not wait\n"
	  "--require-clean    refuse a job file with changes not committed to git\n"
	  "--journal PATH     the journal file to record the run in\n"
	  "--json             print one JSON event a line\n"
	  "-q                 print only failures and the outcome\n"
	  "-v                 print more: if: probes that passed\n" },
	{ "resume", cmd_resume,
	  "resume [-q | -v] [--json] [-j N] [--kill-orphans] [--journal PATH] [-p NAME=VALUE]... [--env-file FILE]... RUN",
	  "take up that run where it stopped, with the job text it ran",
	  "-p NAME=VALUE      give a param (the run's own values are kept otherwise)\n"
	  "--env-file FILE    read param values from FILE\n"
	  "-j N               run at most N steps at once\n"
	  "--kill-orphans     stop a step a crashed runjob left running, not wait\n"
	  "--journal PATH     the journal the run is in\n"
	  "--json             print one JSON event a line\n"
	  "-q                 print only failures and the outcome\n"
	  "-v                 print more\n" },
	{ "rollback", cmd_rollback,
	  "rollback [-q | -v] [--json] [--kill-orphans] [--journal PATH] [-p NAME=VALUE]... [--env-file FILE]... RUN | JOB.yaml",
	  "run the rollback actions of the steps that succeeded, newest first",
	  "-p NAME=VALUE      give a param (the run's own values are kept otherwise)\n"
	  "--env-file FILE    read param values from FILE\n"
	  "--kill-orphans     stop a step a crashed runjob left running, not wait\n"
	  "--journal PATH     the journal the run is in\n"
	  "--json             print one JSON event a line\n"
	  "-q                 print only failures and the outcome\n"
	  "-v                 print more\n" },
	{ "resolve", cmd_resolve,
	  "resolve [--journal PATH] RUN STEP --ok | --failed | --rerun | --rolled-back",
	  "settle a step whose outcome is unknown after a crash, or record a rollback done by hand",
	  "--ok               it did its work: count it as succeeded\n"
	  "--failed           it did not: count it as failed (it runs again)\n"
	  "--rerun            run it again\n"
	  "--rolled-back      a person undid it by hand: count it as rolled back\n"
	  "--journal PATH     the journal the run is in\n" },
	{ "check", cmd_check,
	  "check [-q] [--json] [-p NAME=VALUE]... [--env-file FILE]... JOB.yaml...",
	  "validate job files and report every problem",
	  "-p NAME=VALUE      give a param its value\n"
	  "--env-file FILE    read param values from FILE (NAME=VALUE lines)\n"
	  "--json             print each problem as a JSON object, one a line\n"
	  "-q                 print nothing for valid files\n" },
	{ "plan", cmd_plan,
	  "plan [--json | --dot] [-p NAME=VALUE]... [--env-file FILE]... JOB.yaml",
	  "show the steps in waves, the params and the rollback order",
	  "-p NAME=VALUE      give a param its value\n"
	  "--env-file FILE    read param values from FILE (NAME=VALUE lines)\n"
	  "--json             print the plan as one JSON object\n"
	  "--dot              print the dependency graph for Graphviz\n" },
	{ "status", cmd_status, "status [--json] [--journal PATH] [RUN | JOB.yaml | JOB]",
	  "the latest run (or that one, or that job's latest), step by step",
	  "--json             print the run as one JSON object\n"
	  "--journal PATH     the journal to read\n" },
	{ "history", cmd_history, "history [--json] [--limit N] [--journal PATH] [JOB.yaml | JOB]",
	  "past runs: id, job, version, who, when, how long, outcome",
	  "--limit N          at most N runs, newest first\n"
	  "--json             print one JSON object a run\n"
	  "--journal PATH     the journal to read\n" },
	{ "show", cmd_show, "show [--json | --csv] [--journal PATH] RUN",
	  "every event of a run: the audit record",
	  "--json             print the run, its attempts and events as JSON\n"
	  "--csv              print the events as CSV\n"
	  "--journal PATH     the journal to read\n" },
	{ "action", cmd_action, "action redis.copy | redis.verify",
	  "run a step's built-in action; runjob starts this itself, with the step's settings in its environment",
	  "" },
	{ "help", cmd_help, "help [COMMAND]",
	  "show the commands, or one command's options", "" },
	{ "version", cmd_version, "version",
	  "print runjob's version (also: --version)", "" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static int
unknown_command(const char *name)
{
	fprintf(stderr, "%s: '%s' is not a runjob command; run 'runjob help' "
		"for the list\n", argv0, name);
	return EXIT_USAGE;
}

int
cmd_help(int argc, char **argv)
{
	size_t i;

	if (argc > 2)
		return usage_error("help", "help takes at most one command");
	/* Not listed: the tables the tests hold the schema and docs to. */
	if (argc > 1 && strcmp(argv[1], "--keys") == 0) {
		job_print_keys(stdout);
		return EXIT_OK;
	}
	if (argc > 1) {
		for (i = 0; commands[i].name; i++) {
			if (strcmp(commands[i].name, argv[1]) != 0)
				continue;
			printf("usage: %s %s\n\n%s.\n", argv0, commands[i].usage,
				commands[i].summary);
			if (*commands[i].options)
				printf("\noptions:\n%s", commands[i].options);
			printf("\nSee runjob(1) and runjob-job(5).\n");
			return EXIT_OK;
		}
		return unknown_command(argv[1]);
	}
	printf("runjob - run declarative batch jobs\n\nusage:\n");
	for (i = 0; commands[i].name; i++)
		printf("  %s %s\n", argv0, commands[i].usage);
	printf("\ncommands:\n");
	for (i = 0; commands[i].name; i++)
		printf("  %-9s %s\n", commands[i].name, commands[i].summary);
	printf("\nexit codes: 0 ok, 1 the run failed, 2 usage error, 3 invalid "
		"job file,\n4 another run holds the lock or the journal is "
		"busy, 6 a rollback action failed,\n7 a step's outcome is "
		"unknown (runjob resolve), 130/143 interrupted by\n"
		"SIGINT/SIGTERM.\n"
		"Run 'runjob help COMMAND' for a command's options; see "
		"runjob(1) and runjob-job(5).\n");
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s JOB.yaml [options] | %s COMMAND ...\n"
			"Run '%s help' for the commands.\n", argv0, argv0,
			argv0);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(1, argv);
	for (i = 0; commands[i].name; i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	/* runjob [options] JOB.yaml [options] is runjob run. */
	if (argv[1][0] == '-' || strchr(argv[1], '/') ||
	    strstr(argv[1], ".yaml") || strstr(argv[1], ".yml"))
		return cmd_run(argc, argv);
	return unknown_command(argv[1]);
}
