/*
 * proc.h - starting and stopping step processes.
 *
 * A step runs in a process group of its own, stdin from /dev/null, its
 * stdout and stderr into one pipe, no other descriptor open but the one
 * it may be given as 3 ($RUNJOB_MASK_FILE), and the
 * soft limit on open files runjob was given. Processes are made with
 * vfork, which does not copy runjob's memory as fork would; the scheduler commits "starting" to the journal before it calls
 * proc_spawn, so nothing runs that the journal does not know of.
 */
#ifndef RUNJOB_PROC_H
#define RUNJOB_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct proc_spec {
	char *const *argv;	/* argv[0]: a path, or a name found on PATH */
	char *const *envp;	/* the whole environment; its PATH is searched */
	const char *dir;	/* working directory; NULL: runjob's */
	int keep_fd;		/* given to the process as descriptor 3;
				 * -1: none */
};

struct proc {
	pid_t pid;		/* also the process group id */
	int out;		/* read end of the output pipe, non-blocking */
	long long start;	/* its start time (proc_start_time()), or -1 */
};

/* Make runjob a child subreaper, so that descendants that leave their
 * step's group are reparented to it and can still be found; and raise
 * its soft limit on open files to the hard limit (steps get the soft
 * limit back). */
void proc_init(void);

/* Put back the limit on open files runjob was given: in a process
 * about to exec another program that takes it as its own. */
void proc_limits_given(void);

/* How many more descriptors runjob can open now; its limit goes to
 * *limit. */
long proc_fds_free(long *limit);

/* Start the process for spec. Returns 0, or an errno value (ENOENT: the
 * program or the directory is not there) with nothing started. */
int proc_spawn(struct proc *p, const struct proc_spec *spec);

/* Signal the process's whole group. */
void proc_signal(const struct proc *p, int sig);

/* The start time of pid (clock ticks since boot), or -1. */
long long proc_start_time(pid_t pid);
/* 1 when pid is still the process that started at start and has not
 * ended: a zombie waiting for its parent to reap it has ended. */
int proc_alive(pid_t pid, long long start);
/* Now, in the clock of start times: ticks since boot. */
long long proc_now(void);

/* One process, as /proc tells of it. */
struct pinfo {
	pid_t pid, ppid, pgid;
	long long start;	/* clock ticks since boot */
};

/* Every live process (zombies left out), at one moment. */
struct ptable {
	struct pinfo *v;
	size_t n, cap;
};

/* Take the table anew, into t (empty, or a table taken before). */
void proc_table(struct ptable *t);
void proc_table_free(struct ptable *t);
/* With mark[i] set for some processes of t, set it for every process
 * that descends from one of them too. */
void proc_descendants(const struct ptable *t, unsigned char *mark);

/* The value of NAME in pid's environment, into buf: returns 1; 0 when
 * it is not there, -1 when the environment cannot be read. */
int proc_env_value(pid_t pid, const char *name, char *buf, size_t n);
/* pid's command line, its words joined by spaces, into buf. */
const char *proc_cmdline(pid_t pid, char *buf, size_t n);

/* This boot's id, from /proc/sys/kernel/random/boot_id. */
const char *proc_boot_id(void);

/* The pid of a process whose environment holds NAME=VALUE, the leader
 * of its group when there is one; 0 when none. */
pid_t proc_find_marked(const char *name, const char *value);

#endif
