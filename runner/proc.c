/*
 * proc.c - process supervision.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

void
proc_init(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		warn("cannot become a child subreaper: %s; processes that "
			"leave their step's group may be missed", strerror(errno));
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

int
proc_spawn(struct proc *p, const struct proc_spec *spec)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	char exe[4096];
	const char *path;
	int out[2], r;

	p->pid = 0;
	p->out = -1;
	if (!(path = resolve(spec->argv[0], spec->envp, exe, sizeof(exe))))
		return ENOENT;
	if (pipe2(out, O_CLOEXEC) < 0)
		return errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (spec->dir)
		posix_spawn_file_actions_addchdir_np(&fa, spec->dir);
	/* Its own group; no signal blocked (runjob blocks the ones its
	 * signalfd reads) and none ignored (runjob ignores SIGPIPE). */
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGHUP);
	sigaddset(&dflt, SIGCHLD);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
		POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	r = posix_spawn(&p->pid, path, &fa, &at, spec->argv, spec->envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	if (r != 0) {
		close(out[0]);
		p->pid = 0;
		return r;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	p->out = out[0];
	return 0;
}

void
proc_signal(const struct proc *p, int sig)
{
	if (p->pid > 0)
		kill(-p->pid, sig);
}

/* Call fn for every process (but runjob) whose environment holds
 * NAME=VALUE. */
static void
each_marked(const char *name, const char *value,
	void (*fn)(void *arg, pid_t pid), void *arg)
{
	size_t nlen = strlen(name);
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[64], env[65536];
		pid_t pid = (pid_t)atoi(de->d_name);
		ssize_t n, i;
		int fd;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, env, sizeof(env) - 1);
		close(fd);
		if (n <= 0)
			continue;
		env[n] = '\0';
		for (i = 0; i < n; i += (ssize_t)strlen(env + i) + 1)
			if (strncmp(env + i, name, nlen) == 0 &&
			    env[i + (ssize_t)nlen] == '=' &&
			    strcmp(env + i + nlen + 1, value) == 0) {
				fn(arg, pid);
				break;
			}
	}
	closedir(d);
}

struct signalling {
	pid_t pgid;		/* spare this group */
	int sig, count;
	pid_t *pids;
	size_t maxpids;
};

static void
signal_one(void *arg, pid_t pid)
{
	struct signalling *g = arg;

	if (getpgid(pid) == g->pgid || kill(pid, g->sig) < 0)
		return;
	if ((size_t)g->count < g->maxpids)
		g->pids[g->count] = pid;
	g->count++;
}

int
proc_signal_marked(const char *name, const char *value, pid_t pgid, int sig,
	pid_t *pids, size_t maxpids)
{
	struct signalling g = { pgid, sig, 0, pids, maxpids };

	if (*value)
		each_marked(name, value, signal_one, &g);
	return g.count;
}

static void
find_one(void *arg, pid_t pid)
{
	pid_t *found = arg;

	/* The group leader is the step's main process. */
	if (!*found || getpgid(pid) == pid)
		*found = pid;
}

pid_t
proc_find_marked(const char *name, const char *value)
{
	pid_t found = 0;

	each_marked(name, value, find_one, &found);
	return found;
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
