/*
 * exitcode.h - runjob's exit codes, as documented in runjob(1).
 */
#ifndef RUNJOB_EXITCODE_H
#define RUNJOB_EXITCODE_H

enum exit_code {
	EXIT_OK = 0,		/* every step succeeded or was skipped */
	EXIT_FAILED = 1,	/* the run failed (and rolled back if asked) */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_INVALID = 3,	/* job file invalid or not acceptable */
	EXIT_LOCKED = 4,	/* another run holds the lock; journal busy */
	EXIT_WINDOW = 5,	/* outside the maintenance window: paused */
	EXIT_ROLLBACK = 6,	/* a rollback action failed: needs a person */
	EXIT_UNKNOWN = 7,	/* a step's outcome is unknown after a crash */
	EXIT_SIGHUP = 129,	/* hung up: the steps run on under the
				 * supervisor; resumable */
	EXIT_SIGINT = 130,	/* interrupted by SIGINT: resumable */
	EXIT_SIGTERM = 143,	/* interrupted by SIGTERM: resumable */
};

#endif
