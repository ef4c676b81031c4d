/*
 * help.c - what runjob says about its commands: runjob help, and the
 * usage after a mistake on the command line.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exitcode.h"
#include "job.h"
#include "journal.h"
#include "util.h"

const struct command *const *commands;

int
usage_error(const char *cmd, const char *msg)
{
	size_t i;

	fprintf(stderr, "%s: %s\n", argv0, msg);
	for (i = 0; cmd && commands[i]; i++)
		if (strcmp(commands[i]->name, cmd) == 0)
			fprintf(stderr, "usage: %s %s\nRun '%s help %s' for "
				"more.\n", argv0, commands[i]->usage, argv0, cmd);
	return EXIT_USAGE;
}

int
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
	/* Not listed: what a job file may say and the kinds of event a run
	 * records, for the tests to hold the schema and the docs to. */
	if (argc > 1 && strcmp(argv[1], "--keys") == 0) {
		job_print_keys(stdout);
		return EXIT_OK;
	}
	if (argc > 1 && strcmp(argv[1], "--events") == 0) {
		for (i = 0; journal_event_kinds[i]; i++)
			printf("%s\n", journal_event_kinds[i]);
		return EXIT_OK;
	}
	if (argc > 1) {
		for (i = 0; commands[i]; i++) {
			if (strcmp(commands[i]->name, argv[1]) != 0)
				continue;
			printf("usage: %s %s\n\n%s.\n", argv0, commands[i]->usage,
				commands[i]->summary);
			if (*commands[i]->options)
				printf("\noptions:\n%s", commands[i]->options);
			printf("\nSee runjob(1) and runjob-job(5).\n");
			return EXIT_OK;
		}
		return unknown_command(argv[1]);
	}
	printf("runjob - run declarative batch jobs\n\nusage:\n");
	for (i = 0; commands[i]; i++)
		printf("  %s %s\n", argv0, commands[i]->usage);
	printf("\ncommands:\n");
	for (i = 0; commands[i]; i++)
		printf("  %-9s %s\n", commands[i]->name, commands[i]->summary);
	printf("\nexit codes: 0 ok, 1 the run failed, 2 usage error, 3 invalid "
		"job file,\n4 another run holds the lock or the journal is "
		"busy,\n5 outside the maintenance window, 6 a rollback action "
		"failed,\n7 a step's outcome is unknown (runjob resolve), "
		"129 hung up (the running\nsteps go on under the run's "
		"supervisor), 130/143 interrupted by SIGINT/SIGTERM.\n"
		"Run 'runjob help COMMAND' for a command's options; see "
		"runjob(1) and runjob-job(5).\n");
	return EXIT_OK;
}

const struct command cmd_help_entry = { "help", cmd_help, "help [COMMAND]",
	"show the commands, or one command's options", "" };
