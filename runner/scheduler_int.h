/*
 * scheduler_int.h - the scheduler's own parts, shared by its files and by none
 * other (scheduler.h is what the rest of runjob sees):
 *
 *   scheduler.c  the loop, the state of each step instance, timers,
 *                signals, the rollback phase, a run's start and end
 *   attempt.c    one process of a step: its environment, argv and
 *                directory, its start and launch, its output
 *   outputs.c    what a try wrote to $RUNJOB_OUTPUT, read and recorded
 *   leftover.c   the processes a step left behind, found and stopped
 *   dryrun.c     --dry-run: the if: probes and the built-ins' answers
 *   gate.c       approve: steps waiting for a person's answer
 *   progress.c   the run's progress and ETA, and steps that overrun
 *   prompt.c     a gate answered at runjob's own terminal
 */
#ifndef RUNJOB_SCHEDULER_INT_H
#define RUNJOB_SCHEDULER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "env.h"
#include "job.h"
#include "lines.h"
#include "notify.h"
#include "proc.h"
#include "scheduler.h"
#include "clock.h"
#include "sv.h"
#include "writer.h"

enum {
	TAIL_MAX = 64 * 1024,		/* output kept in the journal */
	DEFAULT_GRACE_MS = 10000,
	FDS_PER_STEP = 2,		/* a running step's output pipe and log,
					 * in the supervisor */
	FDS_SPARE = 32,			/* the journal's files, a spawn's pipe, an
					 * outputs file, /proc, and some left */
	AHEAD = 32,			/* starts recorded in one commit when
					 * that many steps are ready */
	SEAL_LAG_MS = 50,		/* the longest an end or an event waits
					 * for a start to be committed with */
};

enum tstate { T_WAIT, T_READY, T_DELAY, T_ACTIVE, T_DONE };
enum tresult { RES_NONE, RES_OK, RES_SKIPPED, RES_FAILED, RES_NOT_RUN, RES_EXCLUDED };

/* One step instance of the plan. */
struct task {
	enum tstate state;
	enum tresult result;
	size_t pending;		/* needs not yet satisfied */
	int tries;		/* attempts started */
	int rb_tries;		/* rollback attempts started */
	int if_tries;		/* if: probes started */
	int64_t done_at;	/* when it succeeded: rollbacks go newest first */
	int rolled_back;	/* its rollback succeeded already */
	int probed;		/* its if: said run */
	int64_t next_at;	/* T_DELAY: when to try again */
	char **out;		/* its outputs, "NAME=VALUE", once succeeded */
	size_t nout;
	char *checkpoint;	/* its last checkpoint: its next try goes on
				 * from there */
	int rewait;		/* a gate the runjob that died left waiting */
};

/* A gate waiting for its answer. */
struct gatewait {
	size_t task;
	int64_t since;		/* when its wait began */
	int64_t deadline;	/* when it fails unanswered; 0: never */
	uint64_t batch;		/* the journal batch of its gate-waiting */
};

/* A gate's wait that ended: what the scheduler does with its task. */
struct gateend {
	size_t task;
	enum tresult result;	/* RES_OK or RES_FAILED, when it ran */
	const char *not_run;	/* else the state it is left in */
};

/* What a process runs for its step. */
enum kind { K_IF, K_STEP, K_ROLLBACK };

/* One running process: a try of a step, its if: probe, or its rollback. */
struct attempt {
	size_t task;
	enum kind kind;		/* what it runs */
	int n;			/* attempt number */
	char *id;		/* RUNJOB_ATTEMPT_ID */
	struct proc proc;
	long long pid_start;	/* the process's start time, for resumes */
	char **argv;		/* what to run, until launched */
	struct env env;
	const char *dir;	/* where, the job's directory or own_dir */
	char *own_dir;
	int launched;		/* its process was asked of the supervisor
				 * (or could not be) */
	int dropping;		/* asked not to be made if it still waits */
	int hold;		/* its exit 0 may yet fail the run */
	int never;		/* its start was recorded, its process not made */
	uint64_t batch;		/* the journal batch holding its start */
	int64_t started, deadline, kill_at;	/* ms; 0: none */
	int64_t ended;		/* when it ended, if not when runjob heard:
				 * one adopted after a crash; 0 */
	int64_t timeout_ms;	/* its own timeout; 0: none */
	int timed_out, stopped;
	int job_timeout;	/* stopped by the job's timeout, not its own */
	int logged;		/* something was written to its log */
	char *log_path, *out_path;
	char *argv0;		/* what it runs, for saying it could not */
	char *ckpt_path;	/* a shell step's $RUNJOB_CHECKPOINT_FILE */
	int ckpt_quiet;		/* watched since before it started, with no
				 * write seen: nothing to read at its end */
	int made;		/* the supervisor made its process */
	struct buf tail;	/* the last TAIL_MAX bytes, masked */
	int done;		/* reaped */
	int status;
	size_t hist;		/* its entry in s->hist, once made */
	struct pinfo *tree;	/* its processes when it was stopped */
	size_t ntree, captree;
	int builtin;		/* runs `runjob action`: it reports back */
	int64_t progress_at;	/* when its progress was last printed */
	double done_frac;	/* how much of its work a built-in says it
				 * did; 0: nothing said */
	int overrun;		/* its step-overrun was said */
};

/* An outputs file that was read: deleted once the end of its try is
 * in the journal for good, as a runjob that dies before leaves the try
 * running there, and the next one reads the file again. */
struct later {
	char *path;
	uint64_t batch;		/* the journal batch of the end; 0: not
				 * sealed yet */
};

/* A process made for an attempt, kept for the whole run: whatever a
 * step leaves behind is traced back to its step through it. */
struct made {
	char *id;		/* RUNJOB_ATTEMPT_ID */
	size_t task;
	pid_t pid;
	long long start, end;	/* ticks since boot; end 0: running */
};

struct sched {
	const struct sched_run *r;
	const struct plan *p;
	const struct job *job;
	const struct graph *g;
	struct env base;	/* the runner's environment, job env, params */
	struct task *t;
	struct attempt **a;	/* running */
	size_t na, capa;
	size_t *ready;		/* FIFO of tasks to start */
	size_t rhead, rtail;
	int jobs;
	int stopping;		/* start nothing new */
	int signal;		/* SIGINT or SIGTERM received, or 0 */
	int hung_up;		/* SIGHUP: the running steps were left to the
				 * supervisor, and runjob leaves */
	int failed;		/* a step failed */
	int journal_broken;
	int paused;		/* a step was not started for its window */
	int window_closed;	/* the window closed: said once */
	struct jwriter *w;	/* writes the journal, in a thread of its own */
	int launched;		/* the ledger of processes made (resume.h) */
	pid_t *killed;		/* pids (groups as -pgid) killed: reap at the end */
	size_t nkilled, capkilled;
	struct made *hist;	/* every process made for an attempt */
	size_t nhist, caphist;
	int rollback_failed;	/* a rollback action failed: stop undoing */
	size_t *delayed;	/* tasks waiting to be tried again */
	size_t ndelayed, capdelayed;
	size_t *undo;		/* the rollback phase: tasks, newest first */
	size_t nundo, undo_next;
	size_t *order_of;	/* position of each instance in plan order */
	int sigfd;
	struct sv sv;		/* the run's supervisor: makes the processes */
	int sv_held;		/* it makes nothing more until told: an
				 * attempt ended in a way that may stop the
				 * run */
	struct later *later;	/* outputs files read, to delete once their
				 * try's end is durable */
	size_t nlater, caplater;
	int ckpt_fd;		/* inotify: shell steps' checkpoint files */
	int any_outputs;	/* some step declares outputs */
	int64_t deadline;	/* the job's timeout; 0: none */
	unsigned char *mark;	/* scratch, one per step */
	size_t *scratch;	/* scratch, one per step and one more */
	size_t *stack;		/* spread()'s: a chain of a million steps
				 * must not overflow the C stack */
	size_t top, capstack;
	struct gatewait *gates;	/* waiting for an answer */
	size_t ngates, capgates;
	int64_t gates_polled;	/* when they last did */
	struct gateend *gate_ends;	/* ended since the scheduler looked */
	size_t ngate_ends, capgate_ends;
	uint64_t sealed, durable;	/* the last journal batch sealed, and
					 * the last one durable */
	int64_t queued_at;	/* when a write was first queued since the
				 * last seal; 0: none is */
	struct journal *reader;	/* where gates read their answers */
	const char *const *approved;	/* --approve: gates answered ahead */
	size_t napproved;
	struct hook_proc *hooks;	/* notify: hooks running (notify.h) */
	size_t nhooks, caphooks;
	struct prompt *prompt;	/* a gate asked about at the terminal
				 * (prompt.c); NULL: none */
	int64_t progress_at;	/* when progress was last worked out */
	int64_t progress_shown;	/* and last printed off a terminal */
};

/* "if", "step", "rollback": enum kind as the journal says it. */
extern const char *const kind_names[];

/* scheduler.c: what its parts ask of a run's state. */

static inline const char *
inst_id(const struct sched *s, size_t i)
{
	return s->p->v[i].id;
}

static inline const struct step *
inst_step(const struct sched *s, size_t i)
{
	return &s->job->steps[s->p->v[i].step];
}

static inline void
sched_event(struct sched *s, const char *kind, const char *step,
	struct buf *data)
{
	jw_event(s->w, s->r->run_id, now_ms(), kind, step,
		data ? buf_str(data) : "{}");
}

static inline void
sched_set_step(struct sched *s, size_t i, const char *state)
{
	jw_set_step(s->w, s->r->run_id, inst_id(s, i), state);
}

static inline int64_t
task_grace(const struct sched *s, size_t task)
{
	long long g = inst_step(s, task)->kill_grace_ms;

	return g >= 0 ? g : DEFAULT_GRACE_MS;
}

/* gate.c: the waits end in s->gate_ends, which the scheduler settles,
 * so that gate.c needs nothing of scheduler.c. */
/* Gate i is reached: approved in advance, or it waits. */
void gate_start(struct sched *s, size_t i, int64_t now);
/* Each turn: the answers given, the timeouts passed; the waits ended
 * when the run stops (the window's close stops it). Returns 1 when a
 * wait ended, and what needs the gate may start at once. */
int gate_poll(struct sched *s, int64_t now);
/* at, or a gate's deadline when that is sooner. */
int64_t gate_wakeup(const struct sched *s, int64_t at);
void gate_free(struct sched *s);
/* The notify: hooks a gate ran: pid ended with status (1 when it was
 * one of them); each turn, their output read and their deadlines kept;
 * at the end of the run, waited for. */
int gate_hook_reaped(struct sched *s, pid_t pid, int status);
void gate_hooks_tick(struct sched *s, int64_t now);
void gate_hooks_finish(struct sched *s);

/* attempt.c */
void build_env(struct sched *s, struct env *e, size_t inst, int n,
	const char *attempt_id, const char *out_path);
/* argv for shell text: the step's shell: (split at blanks) or
 * /bin/sh -e, then -c TEXT. */
char **shell_argv(const char *shell, const char *text);
void free_argv(char **v);
void attempt_free(struct attempt *a);
/* Where a process of instance i runs: dir: expanded, relative to the
 * job file's directory, or that directory. *own is the caller's. */
const char *step_dir(struct sched *s, size_t i, const char *dir, char **own);
/* argv and environment for a built-in action: `runjob action NAME`, its
 * settings expanded into RUNJOB_ACTION_CONFIG, never on the command
 * line where a password would show. */
char **builtin_argv(struct sched *s, const struct action *act, size_t inst,
	struct env *e);
/* The log and outputs file of attempt a (its task, kind and number
 * set): LOGDIR/STEP.N.log, STEP.ifN.log or STEP.rollbackN.log, and
 * STEP.N.output for a try of a step with outputs, else /dev/null. */
void attempt_paths(struct sched *s, struct attempt *a);
/* Start task i: its if: probe, a try of the step, or its rollback. This
 * records the start; the process itself is made by attempt_launch() once that
 * record is committed. Returns 0, or -1 when it could not be started. */
int attempt_start(struct sched *s, size_t i, enum kind kind);
/* Have the process of an attempt whose start is committed made: the
 * supervisor answers with attempt_made or attempt_unmade. */
void attempt_launch(struct sched *s, struct attempt *a);
/* Its process was made as pid, started at start (ticks since boot). */
void attempt_made(struct sched *s, struct attempt *a, pid_t pid,
	long long start);
/* It could not be: err, in making what ("log" or "exec"). */
void attempt_unmade(struct sched *s, struct attempt *a, int err,
	const char *what);
/* Send sig to its process group, if it was made and has not ended. */
void attempt_signal(struct sched *s, struct attempt *a, int sig);
/* A line of its output, masked by the supervisor: to the journal's tail
 * and the screen. */
void attempt_line(struct sched *s, struct attempt *a, const char *m,
	size_t len);
/* A shell step's newest checkpoint line, journaled if it is new. */
void attempt_checkpoint(struct sched *s, struct attempt *a);
/* A built-in's report line (ACTION_MARK first). */
void attempt_mark(struct sched *s, struct attempt *a, const char *line);
/* A line runjob says of the step itself: masked, then to its log, the
 * journal's tail and the screen. */
void attempt_emit(struct sched *s, struct attempt *a, const char *line,
	size_t len);
/* The environment every step starts from: the runner's, the job's env:
 * and the params. */
void base_env(struct sched *s);

/* outputs.c */
/* The declared outputs a try that exited 0 wrote to $RUNJOB_OUTPUT, kept
 * for its dependents and recorded. Returns 0, or -1 with the reason in
 * why: an outputs file that cannot be read, or a declared output not
 * written (unless optional). Either fails the try, for a
 * dependent must never take an unset variable for a value. */
int outputs_read(struct sched *s, struct attempt *a, char *why, size_t n);

/* leftover.c */
/* Send sig to every process of attempt a but its group, which the
 * caller signals: its main process's descendants, which may have left
 * the group or the session; what carries its RUNJOB_ATTEMPT_ID; what it
 * had when first stopped; the orphans adopted by runjob (the subreaper)
 * that are its; and their descendants. An orphan that may as well be
 * another running step's is left for the end of the run. Returns how
 * many were outside its group. */
int leftover_signal(struct sched *s, struct attempt *a, int sig);
/* SIGKILL a step's group and what escaped it, remembering them so that
 * they can be reaped before runjob exits. */
void leftover_kill(struct sched *s, struct attempt *a);
/* What runjob killed was reparented to it (the subreaper) or is in a
 * group of its: wait, briefly, until it is all gone, reaping the
 * zombies, so that none is left behind. Processes a step left running on
 * purpose are not waited for. */
void leftover_reap(struct sched *s);
/* The end of the run: runjob is the parent (the subreaper) of every
 * process a step left running, and stops them, so that nothing of the
 * run outlives it unseen. Each is named with its step, when that can be
 * told, and sent SIGTERM with its descendants; what is left once the
 * longest kill_grace of their steps has passed, or at once on a signal,
 * is sent SIGKILL. */
void leftover_stop(struct sched *s);

/* progress.c */
/* About once a second: the run's progress to the live view, off a
 * terminal every RUNJOB_PROGRESS_INTERVAL, and for runjob status; the
 * tries that overran their step's history said so. */
void progress_tick(struct sched *s, int64_t now);

/* prompt.c */
/* The descriptor to poll for an answer typed at runjob's terminal to a
 * gate that waits, or -1 when none is asked; each turn, as it starts
 * asking when a gate waits and stops when none does. */
int prompt_fd(struct sched *s, int64_t now);
/* Read what was typed there; a whole line answers. */
void prompt_read(struct sched *s, int64_t now);
/* Ask no more, the terminal as it was. */
void prompt_end(struct sched *s);

/* dryrun.c */

#endif
