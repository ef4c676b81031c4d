/*
 * redis-baseline.c - the two plain ways of copying one redis database to
 * another that t/perf/redis-bench.sh measures runjob's redis.copy
 * against, and the meter it measures all of them with.
 *
 *   redis-baseline scan SRC_PORT DST_PORT
 *	One connection to each server on 127.0.0.1, one thing at a time:
 *	SCAN COUNT 1000; PTTL and DUMP of those keys, pipelined, to the
 *	source; RESTORE key ttl payload REPLACE of them, pipelined, to the
 *	target; until the cursor is 0. What a careful script does.
 *
 *   redis-baseline migrate SRC_PORT DST_PORT
 *	SCAN COUNT 1000 on the source, and for each batch
 *	MIGRATE 127.0.0.1 DST_PORT "" 0 5000 COPY REPLACE KEYS k1 ... kN:
 *	the source server dumps and sends the keys itself.
 *
 *   redis-baseline cluster SRC_PORT,... DST_PORT,...
 *	Redis Cluster to Redis Cluster, one connection to each node of
 *	either: each source primary in turn is copied as scan does, each
 *	RESTORE pipelined to the target node that owns the key's slot as
 *	far as it knows, all nodes' replies read after; a key a node
 *	answers MOVED is sent again, alone, to the node MOVED names, which
 *	is remembered for that slot. What a script with a cluster client
 *	that learns the slot map from its redirects does.
 *
 *	All three print "METHOD: N keys in S s" and exit 0, or exit 1 with
 *	the server's message.
 *
 *   redis-baseline measure FILE CMD [ARG...]
 *	Runs CMD and writes "WALL_S PEAK_KIB CPU_S" to FILE; exits with
 *	CMD's status. PEAK_KIB is the peak RSS of CMD's whole process tree
 *	(see measure()), CPU_S the user and system time of that tree.
 *
 * Only the hiredis calls of both 0.14 (Debian) and 1.x, and RESP2 replies.
 */
#define _POSIX_C_SOURCE 200809L

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#define SCAN_COUNT	"1000"
#define MIGRATE_TIMEOUT	"5000"	/* ms, MIGRATE's own I/O timeout */

static const char *host = "127.0.0.1";

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("redis-baseline: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL)
		die("out of memory");
	return p;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
port_arg(const char *s)
{
	char *end;
	long p;

	errno = 0;
	p = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || p < 1 || p > 65535)
		die("bad port '%s'", s);
	return (int)p;
}

static redisContext *
connect_to(int port)
{
	struct timeval ctv = { 5, 0 };
	/* Long enough for a MIGRATE of 1000 keys on a slow machine: the
	 * source answers only once the target has answered it. */
	struct timeval iotv = { 60, 0 };
	redisContext *c;

	c = redisConnectWithTimeout(host, port, ctv);
	if (c == NULL)
		die("%s:%d: cannot connect: out of memory", host, port);
	if (c->err)
		die("%s:%d: cannot connect: %s", host, port, c->errstr);
	if (redisSetTimeout(c, iotv) != REDIS_OK)
		die("%s:%d: cannot set a timeout: %s", host, port, c->errstr);
	return c;
}

/*
 * The next reply on c, never NULL and never an error reply: either is
 * fatal here, a baseline that half copies measures nothing.
 */
static redisReply *
reply(redisContext *c, int port, const char *what)
{
	void *v = NULL;
	redisReply *r;

	if (redisGetReply(c, &v) != REDIS_OK || v == NULL)
		die("%s:%d: %s: %s", host, port, what,
		    c->errstr[0] ? c->errstr : "no reply");
	r = v;
	if (r->type == REDIS_REPLY_ERROR)
		die("%s:%d: %s: %.*s", host, port, what, (int)r->len, r->str);
	return r;
}

static redisReply *
command(redisContext *c, int port, int argc, const char **argv,
    const size_t *lens)
{
	redisReply *r;

	r = redisCommandArgv(c, argc, argv, lens);
	if (r == NULL)
		die("%s:%d: %s: %s", host, port, argv[0],
		    c->errstr[0] ? c->errstr : "no reply");
	if (r->type == REDIS_REPLY_ERROR)
		die("%s:%d: %s: %.*s", host, port, argv[0], (int)r->len,
		    r->str);
	return r;
}

/*
 * One SCAN step from *cursor (a string the caller frees; updated). The
 * reply is returned so its keys stay valid; its element 1 is the array
 * of keys.
 */
static redisReply *
scan(redisContext *c, int port, char **cursor)
{
	const char *argv[4] = { "SCAN", *cursor, "COUNT", SCAN_COUNT };
	redisReply *r, *cur;

	r = command(c, port, 4, argv, NULL);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY)
		die("%s:%d: SCAN: unexpected reply", host, port);
	cur = r->element[0];
	free(*cursor);
	*cursor = xmalloc(cur->len + 1);
	memcpy(*cursor, cur->str, cur->len);
	(*cursor)[cur->len] = '\0';
	return r;
}

/* The next reply on c, an error reply too; never NULL. */
static redisReply *
reply_or_error(redisContext *c, int port)
{
	void *v = NULL;

	if (redisGetReply(c, &v) != REDIS_OK || v == NULL)
		die("%s:%d: RESTORE: %s", host, port,
		    c->errstr[0] ? c->errstr : "no reply");
	return v;
}

/* Queue PTTL and DUMP of each of keys on c. */
static void
append_dumps(redisContext *c, const redisReply *keys)
{
	const char *argv[2];
	size_t lens[2], i;

	for (i = 0; i < keys->elements; i++) {
		argv[1] = keys->element[i]->str;
		lens[1] = keys->element[i]->len;
		argv[0] = "PTTL";
		lens[0] = 4;
		redisAppendCommandArgv(c, 2, argv, lens);
		argv[0] = "DUMP";
		redisAppendCommandArgv(c, 2, argv, lens);
	}
}

/* Queue RESTORE key ttl payload REPLACE on c. */
static void
append_restore(redisContext *c, const redisReply *key, long long ttl,
    const redisReply *payload)
{
	char ttlbuf[32];
	const char *argv[5] = { "RESTORE", key->str, ttlbuf, payload->str,
	    "REPLACE" };
	size_t lens[5];

	snprintf(ttlbuf, sizeof ttlbuf, "%lld", ttl);
	lens[0] = 7;
	lens[1] = key->len;
	lens[2] = strlen(ttlbuf);
	lens[3] = payload->len;
	lens[4] = 7;
	redisAppendCommandArgv(c, 5, argv, lens);
}

static long long
copy_scan(int sport, int dport)
{
	redisContext *src, *dst;
	redisReply *sr, *keys, *ttl, *dump, *r;
	char *cursor;
	size_t i, n, restores;
	long long total = 0;

	src = connect_to(sport);
	dst = connect_to(dport);
	cursor = xmalloc(2);
	strcpy(cursor, "0");
	do {
		sr = scan(src, sport, &cursor);
		keys = sr->element[1];
		n = keys->elements;
		append_dumps(src, keys);
		/*
		 * Each payload goes into the target's output buffer as soon
		 * as it is read, so no more than one reply is held; nothing
		 * is sent to the target until all are in, as a script
		 * pipelining the two halves would do.
		 */
		restores = 0;
		for (i = 0; i < n; i++) {
			ttl = reply(src, sport, "PTTL");
			dump = reply(src, sport, "DUMP");
			if (ttl->type != REDIS_REPLY_INTEGER)
				die("%s:%d: PTTL: not an integer", host, sport);
			/* -2, or no payload: gone since the SCAN. */
			if (ttl->integer == -2 || dump->type == REDIS_REPLY_NIL) {
				freeReplyObject(ttl);
				freeReplyObject(dump);
				continue;
			}
			if (dump->type != REDIS_REPLY_STRING)
				die("%s:%d: DUMP: not a string", host, sport);
			append_restore(dst, keys->element[i],
			    ttl->integer == -1 ? 0LL : ttl->integer, dump);
			restores++;
			freeReplyObject(ttl);
			freeReplyObject(dump);
		}
		for (i = 0; i < restores; i++) {
			r = reply(dst, dport, "RESTORE");
			freeReplyObject(r);
		}
		total += restores;
		freeReplyObject(sr);
	} while (strcmp(cursor, "0") != 0);
	free(cursor);
	redisFree(src);
	redisFree(dst);
	return total;
}

static long long
copy_migrate(int sport, int dport)
{
	redisContext *src;
	redisReply *sr, *keys, *r;
	char *cursor, portbuf[16];
	const char **argv;
	size_t *lens, i, n, cap = 0;
	long long total = 0;
	enum { FIXED = 8 };	/* MIGRATE host port "" 0 timeout COPY REPLACE */

	src = connect_to(sport);
	snprintf(portbuf, sizeof portbuf, "%d", dport);
	argv = NULL;
	lens = NULL;
	cursor = xmalloc(2);
	strcpy(cursor, "0");
	do {
		sr = scan(src, sport, &cursor);
		keys = sr->element[1];
		n = keys->elements;
		if (n == 0) {
			freeReplyObject(sr);
			continue;
		}
		if (FIXED + 1 + n > cap) {
			cap = FIXED + 1 + n;
			free(argv);
			free(lens);
			argv = xmalloc(cap * sizeof *argv);
			lens = xmalloc(cap * sizeof *lens);
		}
		argv[0] = "MIGRATE";
		argv[1] = host;
		argv[2] = portbuf;
		argv[3] = "";	/* no key: the KEYS form */
		argv[4] = "0";	/* db */
		argv[5] = MIGRATE_TIMEOUT;
		argv[6] = "COPY";
		argv[7] = "REPLACE";
		argv[8] = "KEYS";
		for (i = 0; i < 9; i++)
			lens[i] = strlen(argv[i]);
		for (i = 0; i < n; i++) {
			argv[9 + i] = keys->element[i]->str;
			lens[9 + i] = keys->element[i]->len;
		}
		r = command(src, sport, (int)(9 + n), argv, lens);
		/* OK, or NOKEY when every key of the batch is gone since. */
		if (r->type != REDIS_REPLY_STATUS)
			die("%s:%d: MIGRATE: unexpected reply", host, sport);
		if (strcmp(r->str, "NOKEY") != 0)
			total += n;
		freeReplyObject(r);
		freeReplyObject(sr);
	} while (strcmp(cursor, "0") != 0);
	free(cursor);
	free(argv);
	free(lens);
	redisFree(src);
	return total;
}

/* Cluster's CRC16 (XMODEM) of the key's hash tag, or of the key. */
static unsigned
keyslot(const char *k, size_t len)
{
	const char *open = memchr(k, '{', len), *close;
	unsigned crc = 0;
	size_t i, j;

	if (open && (close = memchr(open + 1, '}', len - (size_t)(open + 1 -
	    k))) && close > open + 1) {
		len = (size_t)(close - open - 1);
		k = open + 1;
	}
	for (i = 0; i < len; i++) {
		crc ^= (unsigned)(unsigned char)k[i] << 8;
		for (j = 0; j < 8; j++)
			crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
	}
	return crc & 0x3fff;
}

/* The ports of a comma-separated list, at most max. */
static int
ports_arg(const char *s, int *out, int max)
{
	char buf[32];
	int n = 0;

	while (*s && n < max) {
		size_t len = strcspn(s, ",");

		if (len == 0 || len >= sizeof buf)
			die("bad port list");
		memcpy(buf, s, len);
		buf[len] = 0;
		out[n++] = port_arg(buf);
		s += len + (s[len] == ',');
	}
	return n;
}

enum { MAXNODES = 64 };

static long long
copy_cluster(const char *sports, const char *dports)
{
	int sp[MAXNODES], dp[MAXNODES], ns, nd, s, d, slot;
	redisContext *dst[MAXNODES];
	static unsigned char owner[16384];	/* index into dp, learned */
	redisReply *sr, *keys, *ttl, *dump, *r;
	char *cursor;
	size_t i, n;
	size_t *sent = NULL, *node = NULL, cap = 0, per[MAXNODES];
	long long *ttls = NULL;
	redisReply **payload = NULL;
	long long total = 0;

	ns = ports_arg(sports, sp, MAXNODES);
	nd = ports_arg(dports, dp, MAXNODES);
	for (d = 0; d < nd; d++)
		dst[d] = connect_to(dp[d]);
	for (s = 0; s < ns; s++) {
		redisContext *src = connect_to(sp[s]);

		cursor = xmalloc(2);
		strcpy(cursor, "0");
		do {
			sr = scan(src, sp[s], &cursor);
			keys = sr->element[1];
			n = keys->elements;
			if (n > cap) {
				cap = n;
				free(sent);
				free(node);
				free(payload);
				free(ttls);
				ttls = xmalloc(cap * sizeof *ttls);
				sent = xmalloc(cap * sizeof *sent);
				node = xmalloc(cap * sizeof *node);
				payload = xmalloc(cap * sizeof *payload);
			}
			append_dumps(src, keys);
			for (d = 0; d < nd; d++)
				per[d] = 0;
			for (i = 0; i < n; i++) {
				ttl = reply(src, sp[s], "PTTL");
				dump = reply(src, sp[s], "DUMP");
				sent[i] = 0;
				payload[i] = NULL;
				if (ttl->integer == -2 ||
				    dump->type != REDIS_REPLY_STRING) {
					freeReplyObject(ttl);
					freeReplyObject(dump);
					continue;
				}
				ttls[i] = ttl->integer == -1 ? 0LL : ttl->integer;
				freeReplyObject(ttl);
				slot = (int)keyslot(keys->element[i]->str,
				    keys->element[i]->len);
				node[i] = owner[slot];
				append_restore(dst[node[i]], keys->element[i],
				    ttls[i], dump);
				per[node[i]]++;
				sent[i] = 1;
				/* Kept: a MOVED key goes again. */
				payload[i] = dump;
			}
			/* Each node's replies, in the order sent to it. */
			for (i = 0; i < n; i++) {
				char *sp2;
				int port;

				if (!sent[i])
					continue;
				r = reply_or_error(dst[node[i]], dp[node[i]]);
				while (r->type == REDIS_REPLY_ERROR &&
				    strncmp(r->str, "MOVED ", 6) == 0) {
					/* MOVED slot host:port: alone, there. */
					slot = atoi(r->str + 6);
					sp2 = strrchr(r->str, ':');
					port = sp2 ? atoi(sp2 + 1) : 0;
					for (d = 0; d < nd && dp[d] != port; d++)
						;
					if (d == nd)
						die("MOVED to an unknown node: %s",
						    r->str);
					owner[slot] = (unsigned char)d;
					freeReplyObject(r);
					append_restore(dst[d], keys->element[i],
					    ttls[i], payload[i]);
					r = reply_or_error(dst[d], dp[d]);
				}
				if (r->type == REDIS_REPLY_ERROR)
					die("RESTORE: %s", r->str);
				freeReplyObject(r);
				freeReplyObject(payload[i]);
				total++;
			}
			freeReplyObject(sr);
		} while (strcmp(cursor, "0") != 0);
		free(cursor);
		redisFree(src);
	}
	for (d = 0; d < nd; d++)
		redisFree(dst[d]);
	free(sent);
	free(node);
	free(payload);
	free(ttls);
	return total;
}

/*
 * Peak RSS of a process tree. /usr/bin/time -f %M gives ru_maxrss, the
 * largest of the processes, not their sum; runjob does a step's work in
 * a child (`runjob action redis.copy`), so the tree is what counts. No
 * cgroup to read memory.peak from is at hand everywhere (and v1's
 * max_usage counts page cache, the journal's writes too). So every
 * SAMPLE_MS the tree is walked in /proc and the VmHWM of its live
 * processes added up; the result is the largest such sum. VmHWM is each
 * process's own peak, kept by the kernel, so no spike between samples is
 * lost, and the sum is an upper bound of what was resident at once (the
 * peaks need not have been at the same time); adding up only processes
 * alive together keeps short-lived helpers that never overlapped from
 * piling up. What a process grows by in its last SAMPLE_MS is missed, so
 * the result is at least ru_maxrss of the waited-for tree, exact for its
 * largest process.
 */
#define SAMPLE_MS	10
#define MAXPROCS	4096

/* The parent from /proc/PID/stat; 0, or -1 if it is gone. */
static int
read_ppid(pid_t pid, pid_t *ppid)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses, so the fields
	 * are found from the last ')': ") S PPID ...", S one letter. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == '\0' ||
	    p[3] != ' ')
		return -1;
	*ppid = (pid_t)strtol(p + 4, NULL, 10);
	return 0;
}

static long
read_hwm(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0) {
			kib = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kib;	/* -1 for a zombie: its memory is gone already */
}

/* The sum of VmHWM over root and its live descendants, in KiB. */
static long long
sample(pid_t root)
{
	static pid_t pids[MAXPROCS], ppids[MAXPROCS];
	static char intree[MAXPROCS];
	struct dirent *de;
	long long sum = 0;
	size_t n = 0, i, j;
	int grew;
	long kib;
	DIR *d;

	if ((d = opendir("/proc")) == NULL)
		die("measure: /proc: %s", strerror(errno));
	while ((de = readdir(d)) != NULL && n < MAXPROCS) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pids[n] = (pid_t)atol(de->d_name);
		if (read_ppid(pids[n], &ppids[n]) == 0) {
			intree[n] = pids[n] == root;
			n++;
		}
	}
	closedir(d);
	/* The descendants of root: few levels, so a few passes. */
	do {
		grew = 0;
		for (i = 0; i < n; i++) {
			if (intree[i])
				continue;
			for (j = 0; j < n; j++)
				if (intree[j] && pids[j] == ppids[i]) {
					intree[i] = 1;
					grew = 1;
					break;
				}
		}
	} while (grew);
	for (i = 0; i < n; i++)
		if (intree[i] && (kib = read_hwm(pids[i])) >= 0)
			sum += kib;
	return sum;
}

static int
measure(const char *file, char **argv)
{
	struct timespec nap = { 0, SAMPLE_MS * 1000000L };
	struct rusage ru;
	long long peak = 0, kib;
	double t0, t1;
	pid_t pid, w;
	FILE *f;
	int st;

	/* Open it first: a wrong name must not cost a whole run. */
	if ((f = fopen(file, "w")) == NULL)
		die("measure: %s: %s", file, strerror(errno));
	t0 = now();
	if ((pid = fork()) < 0)
		die("measure: fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "redis-baseline: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	for (;;) {
		if ((kib = sample(pid)) > peak)
			peak = kib;
		if ((w = waitpid(pid, &st, WNOHANG)) < 0)
			die("measure: wait: %s", strerror(errno));
		if (w == pid)
			break;
		nanosleep(&nap, NULL);
	}
	t1 = now();
	/* The only child: its ru_maxrss, and that of those it waited for. */
	if (getrusage(RUSAGE_CHILDREN, &ru) != 0)
		die("measure: getrusage: %s", strerror(errno));
	if (ru.ru_maxrss > peak)
		peak = ru.ru_maxrss;
	fprintf(f, "%.4f %lld %.3f\n", t1 - t0, peak,
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	if (fclose(f) != 0)
		die("measure: %s: %s", file, strerror(errno));
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void
usage(void)
{
	fputs("usage: redis-baseline scan|migrate SRC_PORT DST_PORT\n"
	    "       redis-baseline cluster SRC_PORT,... DST_PORT,...\n"
	    "       redis-baseline measure FILE CMD [ARG...]\n", stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	long long n = 0;
	double t0;
	int sport, dport;

	if (argc >= 4 && strcmp(argv[1], "measure") == 0)
		return measure(argv[2], argv + 3);
	if (argc != 4)
		usage();
	t0 = now();
	if (strcmp(argv[1], "cluster") == 0) {
		n = copy_cluster(argv[2], argv[3]);
		printf("cluster: %lld keys in %.3f s\n", n, now() - t0);
		return 0;
	}
	sport = port_arg(argv[2]);
	dport = port_arg(argv[3]);
	t0 = now();
	if (strcmp(argv[1], "scan") == 0)
		n = copy_scan(sport, dport);
	else if (strcmp(argv[1], "migrate") == 0)
		n = copy_migrate(sport, dport);
	else
		usage();
	printf("%s: %lld keys in %.3f s\n", argv[1], n, now() - t0);
	return 0;
}
