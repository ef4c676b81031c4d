/*
 * proc.h - starting and stopping step processes.
 *
 * A step runs in a process group of its own, stdin from /dev/null, its
 * stdout and stderr into one pipe, no other descriptor open. It does not
 * exec its command until runjob releases it: the launch barrier, so that
 * "step starting" is durable in the journal before anything can happen.
 */
#ifndef RUNJOB_PROC_H
#define RUNJOB_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct proc_spec {
	char *const *argv;	/* the program and its arguments */
	char *const *envp;	/* the whole environment; PATH searched in it */
	const char *dir;	/* working directory; NULL: runjob's */
};

struct proc {
	pid_t pid;		/* also the process group id */
	int out;		/* read end of the output pipe, non-blocking */
	int barrier;		/* write end of the barrier; -1 once released */
};

/* Make runjob a child subreaper, so that descendants that leave their
 * step's group are reparented to it and can still be found. */
void proc_init(void);

/* Fork the process for spec, held at the barrier. Returns 0, or -1 with
 * a message. */
int proc_spawn(struct proc *p, const struct proc_spec *spec);

/* Let a held process exec its command (go != 0) or exit unrun. */
void proc_release(struct proc *p, int go);

/* Signal the process's whole group. */
void proc_signal(const struct proc *p, int sig);

/* Signal every process whose environment holds NAME=VALUE (a step's
 * RUNJOB_ATTEMPT_ID) and that is not in process group pgid: what escaped
 * its step's group, with setsid or setpgid. Returns how many; the first
 * maxpids of their pids go to pids. */
int proc_signal_marked(const char *name, const char *value, pid_t pgid,
	int sig, pid_t *pids, size_t maxpids);

/* The start time of pid (clock ticks since boot), or -1. */
long long proc_start_time(pid_t pid);
/* 1 when pid is still the process that started at start and has not
 * ended: a zombie waiting for its parent to reap it has ended. */
int proc_alive(pid_t pid, long long start);
/* This boot's id, from /proc/sys/kernel/random/boot_id. */
const char *proc_boot_id(void);

/* The exit status the barrier gives a process released with go == 0. */
#define PROC_UNRUN 126

#endif
