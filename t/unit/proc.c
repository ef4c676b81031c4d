/*
 * proc.c - unit tests of process making: the start time proc_spawn()
 * gives a process without reading /proc is the one /proc gives, which
 * a later runjob compares to tell the step from a process that took its
 * pid.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "tap.h"

enum { SPAWNS = 300 };

int
main(void)
{
	static char *const argv[] = { "sleep", "10", NULL };
	static char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct proc_spec spec = { argv, envp, NULL, -1 };
	int i, same = 0, known = 0;

	for (i = 0; i < SPAWNS; i++) {
		struct proc p;
		long long want;

		if (proc_spawn(&p, &spec) != 0)
			break;
		/* Read while the process lives: sleep 10 outlasts this. */
		want = proc_start_time(p.pid);
		known += p.start >= 0;
		same += p.start == want;
		if (p.start != want)
			printf("# pid %d: start %lld, /proc says %lld\n",
				(int)p.pid, p.start, want);
		proc_signal(&p, SIGKILL);
		waitpid(p.pid, NULL, 0);
		close(p.out);
	}
	ok(i == SPAWNS, "%d processes made", i);
	ok(known == SPAWNS, "each has a start time: %d", known);
	ok(same == SPAWNS, "each the one /proc gives: %d of %d", same, SPAWNS);
	return tap_done();
}
