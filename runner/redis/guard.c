/*
 * guard.c - the load guard of redis.copy (guard.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "guard.h"

/* How long a throttled command shows in the progress line. */
#define THROTTLE_SHOWN_MS 2000
#define POLL_MS 1000

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
mono_ms(void)
{
	return mono_ns() / 1000000;
}

void
rguard_init(struct rguard *g, long long ops, long long cpu_percent,
	long long lag_ms)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	g->rate = (double)ops;
	g->cpu_percent = cpu_percent;
	g->lag_ms = lag_ms;
	g->last_ns = mono_ns();
	g->cpu_s = -1;
}

void
rguard_free(struct rguard *g)
{
	pthread_mutex_destroy(&g->lock);
}

void
rguard_take(void *arg, long long n)
{
	struct rguard *g = arg;
	double wait = 0;
	int64_t now;

	if (!g || g->rate <= 0)
		return;
	pthread_mutex_lock(&g->lock);
	now = mono_ns();
	/* Refill, up to a tenth of a second's worth: a burst after an idle
	 * spell stays short. Then take, into debt if need be: the debt is
	 * this caller's wait, and the next caller waits behind it, so that
	 * the rate holds across connections. */
	g->tokens += (double)(now - g->last_ns) * g->rate / 1e9;
	if (g->tokens > g->rate / 10)
		g->tokens = g->rate / 10;
	g->last_ns = now;
	g->tokens -= (double)n;
	if (g->tokens < 0) {
		wait = -g->tokens / g->rate;
		g->throttled_ms = now / 1000000;
	}
	pthread_mutex_unlock(&g->lock);
	if (wait > 0) {
		struct timespec ts;

		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

/* The largest lag= of the replicas in INFO replication text, seconds. */
static long long
max_lag(const char *info)
{
	const char *p = info;
	long long max = -1;

	while ((p = strstr(p, "\nslave"))) {
		const char *end = strchr(p + 1, '\n');
		const char *lag = strstr(p, ",lag=");

		if (lag && (!end || lag < end)) {
			long long v = strtoll(lag + 5, NULL, 10);

			if (v > max)
				max = v;
		}
		p++;
	}
	return max;
}

int
rguard_poll(struct rguard *g, struct rconn *conn)
{
	redisReply *r;
	char sys[32], user[32];
	double cpu, pct = -1;
	long long lag;
	int64_t now = mono_ms();
	int pause = 0;

	if (!g->cpu_percent && !g->lag_ms)
		return 0;
	if (g->polled_ms && now - g->polled_ms < POLL_MS)
		return g->paused[0] != 0;
	if (rconn_cmd(conn, &r, "INFO") < 0)
		return -1;
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		freeReplyObject(r);
		return 0;
	}
	rinfo_field(r->str, "used_cpu_sys", sys, sizeof(sys));
	rinfo_field(r->str, "used_cpu_user", user, sizeof(user));
	cpu = strtod(sys, NULL) + strtod(user, NULL);
	if (g->cpu_s >= 0 && now > g->polled_ms)
		pct = (cpu - g->cpu_s) * 100000 / (double)(now - g->polled_ms);
	g->cpu_s = cpu;
	g->polled_ms = now;
	lag = max_lag(r->str);
	freeReplyObject(r);
	g->paused[0] = 0;
	if (g->cpu_percent && pct >= (double)g->cpu_percent) {
		snprintf(g->paused, sizeof(g->paused), "the source's CPU at "
			"%.0f%% (pause_if used_cpu_percent: %lld)", pct,
			g->cpu_percent);
		pause = 1;
	} else if (g->lag_ms && lag >= 0 && lag * 1000 >= g->lag_ms) {
		snprintf(g->paused, sizeof(g->paused), "a replica of the "
			"source %llds behind (pause_if replication_lag: %llds)",
			lag, g->lag_ms / 1000);
		pause = 1;
	}
	return pause;
}

const char *
rguard_state(struct rguard *g, char *buf, size_t n)
{
	int64_t at;

	buf[0] = 0;
	if (!g)
		return buf;
	if (g->paused[0]) {
		snprintf(buf, n, ", paused: %s", g->paused);
		return buf;
	}
	pthread_mutex_lock(&g->lock);
	at = g->throttled_ms;
	pthread_mutex_unlock(&g->lock);
	if (at && mono_ms() - at < THROTTLE_SHOWN_MS)
		snprintf(buf, n, ", throttled: max_ops_per_sec %.0f", g->rate);
	return buf;
}
