/*
 * proc.c - process supervision.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

extern char **environ;

void
proc_init(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		warn("cannot become a child subreaper: %s; processes that "
			"leave their step's group may be missed", strerror(errno));
}

/* In the child: never returns. Only async-signal-safe calls from here. */
static void
child(const struct proc_spec *spec, int out, int barrier)
{
	sigset_t none;
	char go = 0;
	ssize_t n;
	int fd, sig;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);

	/* Wait for the parent to commit "starting"; EOF means it died or
	 * could not record the start: then run nothing. */
	while ((n = read(barrier, &go, 1)) < 0 && errno == EINTR)
		;
	if (n != 1 || go != 'g')
		_exit(PROC_UNRUN);

	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(PROC_UNRUN);
	close_range(3, ~0U, 0);
	if (spec->dir && chdir(spec->dir) < 0) {
		dprintf(2, "runjob: cannot enter directory %s: %s\n", spec->dir,
			strerror(errno));
		_exit(PROC_UNRUN);
	}
	/* execvp searches the PATH of environ: make it the step's. */
	environ = (char **)spec->envp;
	execvp(spec->argv[0], spec->argv);
	dprintf(2, "runjob: cannot run %s: %s\n", spec->argv[0],
		strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int
proc_spawn(struct proc *p, const struct proc_spec *spec)
{
	int out[2], bar[2];
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0)
		return error("cannot make a pipe: %s", strerror(errno));
	if (pipe2(bar, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return error("cannot make a pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(out[0]);
		close(out[1]);
		close(bar[0]);
		close(bar[1]);
		return error("cannot start a process: %s", strerror(e));
	}
	if (pid == 0) {
		close(bar[1]);
		close(out[0]);
		child(spec, out[1], bar[0]);
	}
	/* Also here, so that the group exists before anyone signals it. */
	setpgid(pid, pid);
	close(out[1]);
	close(bar[0]);
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	p->pid = pid;
	p->out = out[0];
	p->barrier = bar[1];
	return 0;
}

void
proc_release(struct proc *p, int go)
{
	if (p->barrier < 0)
		return;
	if (go) {
		ssize_t r;

		while ((r = write(p->barrier, "g", 1)) < 0 && errno == EINTR)
			;
	}
	close(p->barrier);
	p->barrier = -1;
}

void
proc_signal(const struct proc *p, int sig)
{
	if (p->pid > 0)
		kill(-p->pid, sig);
}

int
proc_signal_marked(const char *name, const char *value, pid_t pgid, int sig,
	pid_t *pids, size_t maxpids)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	struct dirent *de;
	DIR *d = opendir("/proc");
	int count = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[64], env[65536];
		ssize_t n, i;
		pid_t pid = (pid_t)atoi(de->d_name);
		int fd;

		if (pid <= 0 || pid == getpid() || getpgid(pid) == pgid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, env, sizeof(env) - 1);
		close(fd);
		for (i = 0; n > 0 && i < n; i += (ssize_t)strlen(env + i) + 1) {
			env[n] = '\0';
			if (strncmp(env + i, name, nlen) == 0 &&
			    env[i + (ssize_t)nlen] == '=' &&
			    strcmp(env + i + nlen + 1, value) == 0 &&
			    vlen) {
				if (kill(pid, sig) == 0 && (size_t)count++ < maxpids)
					pids[count - 1] = pid;
				break;
			}
		}
	}
	closedir(d);
	return count;
}

/* The state letter and start time of pid from /proc/PID/stat. */
static int
stat_of(pid_t pid, char *state, long long *start)
{
	char path[64], buf[1024], *p;
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
	if (!(p = strrchr(buf, ')')) || p[1] != ' ')
		return -1;
	*state = p[2];
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field != 22)
		return -1;
	*start = strtoll(p, NULL, 10);
	return 0;
}

long long
proc_start_time(pid_t pid)
{
	long long start;
	char state;

	return stat_of(pid, &state, &start) < 0 ? -1 : start;
}

int
proc_alive(pid_t pid, long long start)
{
	long long now_start;
	char state;

	if (pid <= 0 || stat_of(pid, &state, &now_start) < 0)
		return 0;
	return now_start == start && state != 'Z' && state != 'X';
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
