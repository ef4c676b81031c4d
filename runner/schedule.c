/*
 * schedule.c - runjob schedule: stay in the foreground and start each
 * job when its maintenance window opens (SPEC section 7).
 *
 * Each start is a `runjob run -q JOB.yaml` child, with RUNJOB_TRIGGER
 * set so that the journal says the scheduler started it; the child
 * takes the job's lock, resumes a paused or failed run, and refuses a
 * run that needs a person, as runjob run always does. The scheduler
 * starts a job at most once a window, and one run of it at a time.
 *
 * It reads the clock afresh for every decision, and sleeps on a timer
 * of the monotonic clock until the next opening, with a second timer on
 * the wall clock armed to be cancelled when that clock is set (NTP, a
 * person, a resume from suspend): then it wakes and looks again.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "cli.h"
#include "exitcode.h"
#include "schedule.h"
#include "util.h"
#include "window.h"

enum { MAX_SLEEP_MS = 3600 * 1000 };	/* look again at least hourly */

/* One job file the scheduler keeps. */
struct entry {
	const char *path;	/* as given */
	char *real;		/* absolute, what the child is given */
	struct loaded l;	/* the last version that checked */
	int loaded;
	pid_t pid;		/* its run, while one runs; 0: none */
	int64_t done_until;	/* started in the window closing then: not
				 * again before it */
	int person;		/* its last run needed a person (exit 6, 7) */
};

struct scheduler {
	struct entry *e;
	size_t n;
	int json;
	const char *journal;	/* --journal, passed on */
	int virtual;		/* RUNJOB_NOW sets the clock: pass it on */
};

/* A line of the log: a decision, for people or (--json) programs. */
static void
say(const struct scheduler *s, const struct entry *e, const char *event,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
say(const struct scheduler *s, const struct entry *e, const char *event,
	const char *fmt, ...)
{
	char t[32], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_utc(now_ms(), t, sizeof(t));
	if (s->json) {
		struct buf b = {0};

		buf_adds(&b, "{\"event\":");
		buf_add_json(&b, event);
		buf_adds(&b, ",\"at\":");
		buf_add_json(&b, t);
		if (e) {
			buf_adds(&b, ",\"job\":");
			buf_add_json(&b, e->l.job && e->l.job->name ?
				e->l.job->name : e->path);
		}
		buf_adds(&b, ",\"message\":");
		buf_add_json(&b, msg);
		buf_adds(&b, "}\n");
		fputs(buf_str(&b), stdout);
		buf_free(&b);
	} else {
		printf("%s schedule: %s%s%s\n", t, e ? "job " : "",
			e ? (e->l.job && e->l.job->name ? e->l.job->name :
			e->path) : "", msg);
	}
	fflush(stdout);
}

/* Read e's job file; a version that does not check is reported and
 * leaves the one read before in place. Returns 0 when e has a job. */
static int
reload(struct scheduler *s, struct entry *e)
{
	struct diags d = {0};
	struct loaded l;
	struct opts o;
	int ok;

	memset(&o, 0, sizeof(o));
	ok = load(&l, e->path, &o, &d) == 0;
	if (ok && !l.job->schedule.nwindows) {
		diags_print(&d, 0);
		say(s, NULL, "invalid", "%s: job %s has no window: runjob "
			"schedule starts a job when its window opens; give it a "
			"window:", e->path, l.job->name);
		unload(&l);
		diags_free(&d);
		return e->loaded ? 0 : -1;
	}
	diags_print(&d, 0);
	diags_free(&d);
	if (!ok) {
		unload(&l);
		say(s, NULL, "invalid", "%s: the job file does not check%s",
			e->path, e->loaded ? "; keeping the version read before" :
			"");
		return e->loaded ? 0 : -1;
	}
	if (e->loaded)
		unload(&e->l);
	e->l = l;
	e->loaded = 1;
	return 0;
}

/* Start a run of e: `runjob run -q [--journal PATH] FILE`. */
static void
start(struct scheduler *s, struct entry *e, const struct wstate *w)
{
	char self[PATH_MAX], now[32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *argv[8];
	int i = 0;
	pid_t pid;

	if (n <= 0)
		fatal("cannot find the runjob program: %s", strerror(errno));
	self[n] = '\0';
	argv[i++] = self;
	argv[i++] = (char *)"run";
	argv[i++] = (char *)"-q";
	if (s->journal) {
		argv[i++] = (char *)"--journal";
		argv[i++] = (char *)s->journal;
	}
	argv[i++] = e->real;
	argv[i] = NULL;
	if (s->virtual)
		clock_utc(now_ms(), now, sizeof(now));
	fflush(stdout);
	if ((pid = fork()) < 0) {
		say(s, e, "error", ": cannot start a run: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setenv("RUNJOB_TRIGGER", "schedule", 1);
		if (s->virtual)
			setenv("RUNJOB_NOW", now, 1);
		execv(self, argv);
		_exit(127);
	}
	e->pid = pid;
	e->done_until = w->closes ? w->closes : INT64_MAX;
	{
		char until[96] = "";

		if (w->closes)
			window_local(e->l.job, w->closes, until, sizeof(until));
		say(s, e, "started", ": the window is open%s%s: run started "
			"(pid %ld)", w->closes ? " until " : "", until, (long)pid);
	}
}

/* A run of e ended with wait status st. */
static void
ended(struct scheduler *s, struct entry *e, int st)
{
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	static const char *const what[] = {
		[EXIT_OK] = "succeeded", [EXIT_FAILED] = "failed; it is resumed "
		"in the next window", [EXIT_INVALID] = "was refused: the job "
		"file is not acceptable", [EXIT_LOCKED] = "was not started: "
		"another run holds the lock", [EXIT_WINDOW] = "paused: it goes "
		"on in the next window", [EXIT_ROLLBACK] = "needs a person: a "
		"rollback failed (runjob status, runjob rollback)",
		[EXIT_UNKNOWN] = "needs a person: a step's outcome is unknown "
		"(runjob status, runjob resolve)",
	};

	e->pid = 0;
	e->person = code == EXIT_ROLLBACK || code == EXIT_UNKNOWN;
	say(s, e, "ended", ": the run %s (exit %d)", code >= 0 &&
		code < (int)ARRAY_SIZE(what) && what[code] ? what[code] :
		"ended", code);
}

/* Look at every job: start what is due. Returns when to look again. */
static int64_t
decide(struct scheduler *s)
{
	int64_t now = now_ms(), next = now + MAX_SLEEP_MS;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct entry *e = &s->e[i];
		struct wstate w;

		if (!e->loaded || e->pid)
			continue;
		window_state(e->l.job, now, &w);
		if (w.open && now >= e->done_until)
			e->done_until = 0;
		if (w.open && !e->done_until) {
			if (e->person)
				say(s, e, "needs-attention", ": its last run "
					"needs a person; 'runjob status %s' says "
					"what to do. Trying it in this window.",
					e->path);
			start(s, e, &w);
			continue;
		}
		if (w.open && w.closes && w.closes < next)
			next = w.closes;
		if (!w.open && w.opens && w.opens < next)
			next = w.opens;
	}
	return next;
}

/* Set t to fire in ms (at least 1), on the monotonic clock. */
static void
arm(int t, int64_t ms)
{
	struct itimerspec it = {{0, 0}, {0, 0}};

	if (ms < 1)
		ms = 1;
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_nsec = (ms % 1000) * 1000000;
	timerfd_settime(t, 0, &it, NULL);
}

/* Set t, on the wall clock, far ahead and to be cancelled when the wall
 * clock is set: it then wakes the scheduler to look again. */
static void
arm_clock_watch(int t)
{
	struct itimerspec it = {{0, 0}, {0, 0}};
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	it.it_value.tv_sec = now.tv_sec + 365L * 86400;
	timerfd_settime(t, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &it,
		NULL);
}

static int
stop(struct scheduler *s, int sig)
{
	size_t i, running = 0;

	for (i = 0; i < s->n; i++)
		if (s->e[i].pid) {
			kill(s->e[i].pid, SIGTERM);
			running++;
		}
	say(s, NULL, "stopping", "%s: stopping %zu run%s; they can be resumed",
		sig == SIGINT ? "interrupted" : "terminated", running,
		running == 1 ? "" : "s");
	for (i = 0; i < s->n; i++) {
		int st;

		if (!s->e[i].pid)
			continue;
		while (waitpid(s->e[i].pid, &st, 0) < 0 && errno == EINTR)
			;
		ended(s, &s->e[i], st);
	}
	return sig == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
}

static int
loop(struct scheduler *s)
{
	sigset_t mask;
	int sfd, timer, watch;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0 ||
	    (timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) < 0 ||
	    (watch = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC)) < 0)
		fatal("schedule: %s", strerror(errno));
	arm_clock_watch(watch);
	for (;;) {
		struct pollfd pfd[3] = { { sfd, POLLIN, 0 },
			{ timer, POLLIN, 0 }, { watch, POLLIN, 0 } };
		int64_t next = decide(s);
		uint64_t ticks;
		size_t i;

		arm(timer, next - now_ms());
		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		if (pfd[1].revents && read(timer, &ticks, sizeof(ticks)) < 0) {
			/* nothing: it only wakes the loop */
		}
		if (pfd[2].revents) {
			if (read(watch, &ticks, sizeof(ticks)) < 0 &&
			    errno == ECANCELED)
				say(s, NULL, "clock", "the clock was set; "
					"looking again");
			arm_clock_watch(watch);
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;
			pid_t pid;
			int st;

			while (read(sfd, &si, sizeof(si)) != sizeof(si))
				if (errno != EINTR)
					break;
			if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
				return stop(s, (int)si.ssi_signo);
			if (si.ssi_signo == SIGHUP) {
				say(s, NULL, "reload", "SIGHUP: reading the job "
					"files again");
				for (i = 0; i < s->n; i++)
					reload(s, &s->e[i]);
			}
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
				for (i = 0; i < s->n; i++)
					if (s->e[i].pid == pid)
						ended(s, &s->e[i], st);
		}
	}
}

/* A systemd unit that runs the scheduler, for the files given. */
static int
print_unit(int argc, char **argv, int first, const char *journal)
{
	char self[PATH_MAX], cwd[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int i;

	if (n <= 0 || !getcwd(cwd, sizeof(cwd)))
		fatal("cannot find runjob or the current directory");
	self[n] = '\0';
	printf("# runjob schedule as a systemd service. Install it with\n"
		"#   runjob schedule --systemd JOB.yaml... "
		">/etc/systemd/system/runjob-schedule.service\n"
		"#   systemctl daemon-reload && systemctl enable --now "
		"runjob-schedule\n"
		"# and read its log with journalctl -u runjob-schedule.\n"
		"[Unit]\n"
		"Description=runjob schedule: start jobs in their maintenance "
		"windows\n"
		"After=network-online.target time-sync.target\n"
		"Wants=network-online.target\n\n"
		"[Service]\n"
		"Type=simple\n"
		"WorkingDirectory=%s\n"
		"ExecStart=%s schedule", cwd, self);
	if (journal)
		printf(" --journal %s", journal);
	for (i = first; i < argc; i++) {
		char real[PATH_MAX];

		printf(" %s", realpath(argv[i], real) ? real : argv[i]);
	}
	printf("\nExecReload=/bin/kill -HUP $MAINPID\n"
		"KillSignal=SIGTERM\n"
		"KillMode=mixed\n"
		"TimeoutStopSec=10min\n"
		"Restart=on-failure\n"
		"RestartSec=10s\n\n"
		"[Install]\n"
		"WantedBy=multi-user.target\n");
	return EXIT_OK;
}

static int
cmd_schedule(int argc, char **argv)
{
	struct scheduler s;
	struct opts o;
	int first, i, code = EXIT_OK;
	const char *now = getenv("RUNJOB_NOW");

	if ((first = parse_opts("schedule", argc, argv, &o, "json journal "
	    "systemd")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (first == argc) {
		free_opts(&o);
		return usage_error("schedule", "no job file given");
	}
	if (o.systemd) {
		code = print_unit(argc, argv, first, o.journal);
		free_opts(&o);
		return code;
	}
	memset(&s, 0, sizeof(s));
	s.json = o.json;
	s.journal = o.journal;
	s.virtual = now && *now;
	s.n = (size_t)(argc - first);
	s.e = xcalloc(s.n + 1, sizeof(*s.e));
	for (i = first; i < argc; i++) {
		struct entry *e = &s.e[i - first];
		char real[PATH_MAX];

		e->path = argv[i];
		e->real = xstrdup(realpath(argv[i], real) ? real : argv[i]);
		if (reload(&s, e) < 0)
			code = EXIT_INVALID;
	}
	if (code == EXIT_OK) {
		say(&s, NULL, "scheduling", "%zu job%s; SIGHUP reads them again, "
			"SIGTERM stops", s.n, s.n == 1 ? "" : "s");
		code = loop(&s);
	}
	for (i = 0; (size_t)i < s.n; i++) {
		if (s.e[i].loaded)
			unload(&s.e[i].l);
		free(s.e[i].real);
	}
	free(s.e);
	free_opts(&o);
	return code;
}

const struct command cmd_schedule_entry = { "schedule", cmd_schedule,
	"schedule [--json] [--systemd] [--journal PATH] JOB.yaml...",
	"stay in the foreground and start each job when its window opens",
	"--json             print one JSON object a decision\n"
	"--journal PATH     the journal the runs are recorded in\n"
	"--systemd          print a systemd service unit that runs it\n" };
