/*
 * main.c - the list of commands, and dispatch. A command is its file,
 * which defines its entry, and a line here.
 */
#include <stdio.h>
#include <string.h>

#include "action_cmd.h"
#include "audit.h"
#include "cli.h"
#include "clock.h"
#include "diff.h"
#include "due.h"
#include "exitcode.h"
#include "inspect.h"
#include "report.h"
#include "run.h"
#include "schedule.h"
#include "show.h"
#include "sv.h"
#include "ui.h"
#include "util.h"

#ifndef RUNJOB_VERSION
#define RUNJOB_VERSION "unknown"
#endif

static int
cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return usage_error("version", "version takes no arguments");
	printf("runjob %s\n", RUNJOB_VERSION);
	return EXIT_OK;
}

static const struct command cmd_version_entry = { "version", cmd_version,
	"version",
	"print runjob's version (also: --version)", "" };

/* In the order runjob help lists them. */
static const struct command *const command_list[] = {
	&cmd_run_entry,
	&cmd_resume_entry,
	&cmd_rollback_entry,
	&cmd_resolve_entry,
	&cmd_approve_entry,
	&cmd_check_entry,
	&cmd_plan_entry,
	&cmd_due_entry,
	&cmd_status_entry,
	&cmd_history_entry,
	&cmd_show_entry,
	&cmd_diff_entry,
	&cmd_report_entry,
	&cmd_audit_entry,
	&cmd_prune_entry,
	&cmd_schedule_entry,
	&cmd_action_entry,
	&cmd_help_entry,
	&cmd_version_entry,
	NULL,
};

int
main(int argc, char **argv)
{
	char err[256];
	size_t i;

	commands = command_list;
	if (argc < 2) {
		fprintf(stderr, "usage: %s JOB.yaml [options] | %s COMMAND ...\n"
			"Run '%s help' for the commands.\n", argv0, argv0,
			argv0);
		return EXIT_USAGE;
	}
	/* Not a command for people: the run's supervisor, started by
	 * runjob itself (sv.h). */
	if (strcmp(argv[1], "supervise") == 0)
		return cmd_supervise(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(1, argv);
	/* A clock runjob cannot go by is refused before anything is
	 * read or run, not replaced with the wall clock unseen. */
	if (clock_check(err, sizeof(err)) < 0 ||
	    ui_progress_check(err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", argv0, err);
		return EXIT_USAGE;
	}
	for (i = 0; commands[i]; i++)
		if (strcmp(commands[i]->name, argv[1]) == 0)
			return commands[i]->fn(argc - 1, argv + 1);
	/* runjob [options] JOB.yaml [options] is runjob run. */
	if (argv[1][0] == '-' || strchr(argv[1], '/') ||
	    strstr(argv[1], ".yaml") || strstr(argv[1], ".yml"))
		return cmd_run_entry.fn(argc, argv);
	return unknown_command(argv[1]);
}
