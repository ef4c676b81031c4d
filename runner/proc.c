/*
 * proc.c - process supervision.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

/* The limits on open files runjob was given, which the steps get back
 * when runjob raised its own (nofile_raised). */
static struct rlimit given_nofile;
static int nofile_raised;

void
proc_init(void)
{
	struct rlimit rl;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		warn("cannot become a child subreaper: %s; processes that "
			"leave their step's group may be missed", strerror(errno));
	/* Each running step holds descriptors: take all the hard limit
	 * allows, so that -j is not cut short by a soft limit set for
	 * select(2)'s sake. */
	if (!nofile_raised && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < rl.rlim_max) {
		given_nofile = rl;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			nofile_raised = 1;
	}
}

void
proc_limits_given(void)
{
	if (nofile_raised)
		setrlimit(RLIMIT_NOFILE, &given_nofile);
}

long
proc_fds_free(long *limit)
{
	struct rlimit rl;
	struct dirent *de;
	long open = 0;
	DIR *d;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return *limit = 1024, 1024;
	*limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)1 << 30 ?
		1L << 30 : (long)rl.rlim_cur;
	if (!(d = opendir("/proc/self/fd")))
		return *limit / 2;	/* cannot tell: assume half are */
	while ((de = readdir(d)))
		open += de->d_name[0] != '.';
	closedir(d);
	/* The directory's own descriptor was counted; it is closed now. */
	return *limit - (open - 1);
}

/* The program to run: a name without '/' is looked up on the PATH of
 * the step's own environment (as execvp would with it), so that a step's
 * env: can choose. Returns the path in buf, or NULL. */
static const char *
resolve(const char *name, char *const *envp, char *buf, size_t n)
{
	/* The last answer, as most steps of a job run the same few
	 * programs on the same PATH: saves a stat per PATH entry. */
	static char *last_path, *last_name, *last_found;
	const char *path = "/usr/local/bin:/usr/bin:/bin", *p, *end;
	size_t i;

	if (strchr(name, '/'))
		return name;
	for (i = 0; envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	if (last_found && strcmp(last_name, name) == 0 &&
	    strcmp(last_path, path) == 0 && access(last_found, X_OK) == 0) {
		snprintf(buf, n, "%s", last_found);
		return buf;
	}
	for (p = path; ; p = end + 1) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		snprintf(buf, n, "%.*s%s%s", (int)(end - p), p, end > p ? "/" :
			"", name);
		if (access(buf, X_OK) == 0) {
			free(last_path);
			free(last_name);
			free(last_found);
			last_path = xstrdup(path);
			last_name = xstrdup(name);
			last_found = xstrdup(buf);
			return buf;
		}
		if (!*end)
			return NULL;
	}
}

/* What the new process does between vfork and exec. It shares
 * runjob's memory and stack, so it only makes system calls, and leaves
 * why it failed in c->err. */
struct child {
	const char *path;
	char *const *argv;
	char *const *envp;
	const char *dir;
	int out;		/* the write end of the output pipe */
	int keep;		/* to be descriptor 3, or -1 */
	int err;
};

static const int dflt_signals[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP,
	SIGCHLD };

static void __attribute__((noreturn, noinline))
child(struct child *c)
{
	struct sigaction sa;
	sigset_t none;
	size_t i;
	int fd, first;

	/* No signal ignored (runjob ignores SIGPIPE), none blocked (runjob
	 * blocks the ones its signalfd reads); runjob catches none. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(dflt_signals) / sizeof(dflt_signals[0]); i++)
		sigaction(dflt_signals[i], &sa, NULL);
	if (setpgid(0, 0) < 0)
		goto fail;
	/* Output first, as the pipe may be 0 when runjob's stdin was
	 * closed; dup2 to itself leaves close-on-exec set: clear it. */
	if (dup2(c->out, 1) < 0 || dup2(c->out, 2) < 0)
		goto fail;
	if (c->out <= 2 && fcntl(c->out, F_SETFD, 0) < 0)
		goto fail;
	if ((fd = open("/dev/null", O_RDONLY)) < 0)
		goto fail;
	if (fd != 0 && (dup2(fd, 0) < 0 || fcntl(0, F_SETFD, 0) < 0))
		goto fail;
	first = 3;
	if (c->keep >= 0) {
		if (dup2(c->keep, 3) < 0 || fcntl(3, F_SETFD, 0) < 0)
			goto fail;
		first = 4;
	}
	if (close_range(first, ~0U, 0) < 0) {
		struct rlimit rl;

		getrlimit(RLIMIT_NOFILE, &rl);
		for (fd = first; (rlim_t)fd < rl.rlim_cur && fd < (1 << 20);
		    fd++)
			close(fd);
	}
	if (c->dir && chdir(c->dir) < 0)
		goto fail;
	/* The step gets the limit runjob was given, not the one it took. */
	if (nofile_raised && setrlimit(RLIMIT_NOFILE, &given_nofile) < 0)
		goto fail;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(c->path, c->argv, c->envp);
fail:
	c->err = errno;
	_exit(127);
}

int
proc_spawn(struct proc *p, const struct proc_spec *spec)
{
	struct child c;
	char exe[4096];
	const char *path;
	sigset_t all, old;
	long long before;
	pid_t pid;
	int out[2];

	p->pid = 0;
	p->out = -1;
	p->start = -1;
	if (!(path = resolve(spec->argv[0], spec->envp, exe, sizeof(exe))))
		return ENOENT;
	if (pipe2(out, O_CLOEXEC) < 0)
		return errno;
	memset(&c, 0, sizeof(c));
	c.path = path;
	c.argv = spec->argv;
	c.envp = spec->envp;
	c.dir = spec->dir;
	c.out = out[1];
	c.keep = spec->keep_fd;
	/* vfork, as posix_spawn does, so that runjob's memory is not
	 * copied; unlike posix_spawn, it lets the child put back the limit
	 * on open files. No signal reaches the child before it has set its
	 * own dispositions. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	before = proc_now();
	pid = vfork();
	if (pid == 0)
		child(&c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(out[1]);
	if (pid < 0 || c.err) {
		int err = pid < 0 ? errno : c.err;

		if (pid > 0)
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		close(out[0]);
		return err;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	p->pid = pid;
	p->out = out[0];
	/* The kernel stamps the child's start in the same clock, in ticks
	 * of 10 ms, as vfork() makes it: when no tick passed meanwhile,
	 * that is its start time, and /proc need not be read, which costs
	 * more than the rest of a spawn's bookkeeping. */
	p->start = proc_now() == before ? before : proc_start_time(pid);
	return 0;
}

void
proc_signal(const struct proc *p, int sig)
{
	if (p->pid > 0)
		kill(-p->pid, sig);
}

pid_t
proc_find_marked(const char *name, const char *value)
{
	struct ptable t = {0};
	char v[4096];
	pid_t found = 0;
	size_t i;

	proc_table(&t);
	for (i = 0; i < t.n; i++) {
		const struct pinfo *p = &t.v[i];

		/* The group leader is the step's main process. */
		if (p->pid != getpid() && (!found || p->pgid == p->pid) &&
		    proc_env_value(p->pid, name, v, sizeof(v)) > 0 &&
		    strcmp(v, value) == 0)
			found = p->pid;
	}
	proc_table_free(&t);
	return found;
}

/* What /proc/PID/stat says of pid: its state letter, parent, group and
 * start time. */
static int
stat_of(pid_t pid, struct pinfo *pi, char *state)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold spaces and ')': skip to the last ')'. */
	if (!(p = strrchr(buf, ')')) || p[1] != ' ' || !p[2])
		return -1;
	pi->pid = pid;
	*state = p[2];
	p += 3;			/* field 3, the state, is read */
	for (field = 4; field <= 22; field++) {
		long long v;

		while (*p == ' ')
			p++;
		v = strtoll(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
		if (field == 4)
			pi->ppid = (pid_t)v;
		else if (field == 5)
			pi->pgid = (pid_t)v;
		else if (field == 22)
			pi->start = v;
	}
	return 0;
}

long long
proc_start_time(pid_t pid)
{
	struct pinfo pi;
	char state;

	return stat_of(pid, &pi, &state) < 0 ? -1 : pi.start;
}

int
proc_alive(pid_t pid, long long start)
{
	struct pinfo pi;
	char state;

	if (pid <= 0 || stat_of(pid, &pi, &state) < 0)
		return 0;
	return pi.start == start && state != 'Z' && state != 'X';
}

long long
proc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (long long)ts.tv_sec * sysconf(_SC_CLK_TCK) +
		(long long)ts.tv_nsec * sysconf(_SC_CLK_TCK) / 1000000000;
}

void
proc_table(struct ptable *t)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	t->n = 0;
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		struct pinfo pi;
		char state;

		if (pid <= 0 || stat_of(pid, &pi, &state) < 0 || state == 'Z' ||
		    state == 'X')
			continue;
		xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
		t->v[t->n++] = pi;
	}
	closedir(d);
}

void
proc_table_free(struct ptable *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

/* The index of pid in t, or -1. Not sorted: /proc lists in pid order
 * but for pids that wrapped. */
static ssize_t
table_find(const struct ptable *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].pid == pid)
			return (ssize_t)i;
	return -1;
}

void
proc_descendants(const struct ptable *t, unsigned char *mark)
{
	int changed = 1;
	size_t i;

	/* Until nothing changes: a parent usually has the smaller pid, so
	 * one pass mostly does it. */
	while (changed) {
		changed = 0;
		for (i = 0; i < t->n; i++) {
			ssize_t parent;

			if (mark[i] || (parent = table_find(t, t->v[i].ppid)) < 0 ||
			    !mark[parent])
				continue;
			mark[i] = 1;
			changed = 1;
		}
	}
}

/* Read /proc/PID/FILE (environ or cmdline) into buf, NUL-terminated;
 * returns its length or -1. */
static ssize_t
read_proc(pid_t pid, const char *file, char *buf, size_t n)
{
	char path[64];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return r;
}

int
proc_env_value(pid_t pid, const char *name, char *buf, size_t n)
{
	char env[65536];
	size_t nlen = strlen(name);
	ssize_t len, i;

	if ((len = read_proc(pid, "environ", env, sizeof(env))) <= 0)
		return -1;
	for (i = 0; i < len; i += (ssize_t)strlen(env + i) + 1)
		if (strncmp(env + i, name, nlen) == 0 && env[i + (ssize_t)nlen] ==
		    '=') {
			snprintf(buf, n, "%s", env + i + nlen + 1);
			return 1;
		}
	return 0;
}

const char *
proc_cmdline(pid_t pid, char *buf, size_t n)
{
	ssize_t len, i;

	if ((len = read_proc(pid, "cmdline", buf, n)) <= 0) {
		snprintf(buf, n, "?");
		return buf;
	}
	while (len > 0 && !buf[len - 1])
		len--;
	for (i = 0; i < len; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[len] = '\0';
	return buf;
}

const char *
proc_boot_id(void)
{
	static char id[64];
	ssize_t n;
	int fd;

	if (id[0])
		return id;
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "";
	n = read(fd, id, sizeof(id) - 1);
	close(fd);
	if (n <= 0)
		return "";
	id[n] = '\0';
	id[strcspn(id, "\n")] = '\0';
	return id;
}
