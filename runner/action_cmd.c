/*
 * action_cmd.c - `runjob action NAME`: a step's built-in action, in the
 * process the scheduler made for it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "action_cmd.h"
#include "exitcode.h"
#include "redis/redis.h"
#include "sqlite/sqlite.h"
#include "util.h"

/* How each built-in that this runjob can run is run. */
static const struct {
	const char *name;
	action_main_fn *main;
} mains[] = {
	{ "redis.copy", redis_copy_main },
	{ "redis.verify", redis_verify_main },
	{ "sqlite.exec", sqlite_exec_main },
	{ "sqlite.sync", sqlite_sync_main },
};

static int
cmd_action(int argc, char **argv)
{
	const char *text = getenv("RUNJOB_ACTION_CONFIG");
	const char *dry = getenv("RUNJOB_DRY_RUN");
	struct acfg c;
	size_t i;
	int code;

	for (i = 0; argc == 2 && i < ARRAY_SIZE(mains); i++)
		if (strcmp(argv[1], mains[i].name) == 0)
			break;
	if (argc != 2 || i == ARRAY_SIZE(mains) || !text) {
		fprintf(stderr, "usage: runjob action ");
		for (i = 0; i < ARRAY_SIZE(mains); i++)
			fprintf(stderr, "%s%s", i ? "|" : "", mains[i].name);
		fprintf(stderr, "\nrunjob runs this itself for a step's built-in "
			"action, with the step's settings in "
			"RUNJOB_ACTION_CONFIG\n");
		return EXIT_USAGE;
	}
	if (acfg_from_json(&c, mains[i].name, text) < 0) {
		fprintf(stderr, "%s: RUNJOB_ACTION_CONFIG is not a flat JSON "
			"object of strings\n", argv[1]);
		acfg_free(&c);
		return EXIT_USAGE;
	}
	/* Output is a pipe to runjob: lines must reach it as they are made,
	 * and a write to a runjob that died must end this process. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_DFL);
	code = mains[i].main(&c, getenv("RUNJOB_CHECKPOINT"),
		dry && strcmp(dry, "1") == 0);
	acfg_free(&c);
	return code;
}

const struct command cmd_action_entry = { "action", cmd_action,
	"action redis.copy | redis.verify | sqlite.exec | sqlite.sync",
	"run a step's built-in action; runjob starts this itself, with the step's settings in its environment",
	"" };
