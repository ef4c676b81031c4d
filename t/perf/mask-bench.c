/*
 * mask-bench.c - how fast output is cut into lines and masked, the work
 * runjob does on every byte a step prints.
 *
 *   make t/perf/mask-bench && ./t/perf/mask-bench
 *
 * 100 MB of log-like lines (timestamps, user@host, URLs) through
 * lines_add and lines_mask: with no secret (the baseline, cutting
 * alone), with a plain secret, with a URL secret (masked with its
 * password and user info), and with that and 100 tokens added as a step
 * would add them while it runs. Best of three.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lines.h"
#include "mask.h"

enum { BLOCK = 1 << 20, MB = 100 };

static struct buf out;
static const struct mask *cur;

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
masked(void *arg, char *line, size_t len)
{
	(void)arg;
	buf_reset(&out);
	lines_mask(cur, &out, line, len);
}

/* MB megabytes of block through a struct lines masked with m: MB/s. */
static double
rate(const struct mask *m, const char *block, size_t n)
{
	struct lines l = { m, { 0 } };
	double best = 0, t;
	int r, i;

	cur = m;
	for (r = 0; r < 3; r++) {
		t = seconds();
		for (i = 0; i < MB; i++)
			lines_add(&l, block, n, masked, NULL);
		t = seconds() - t;
		if (!best || t < best)
			best = t;
	}
	lines_free(&l);
	return MB / best;
}

int
main(void)
{
	static char block[BLOCK];
	struct mask m = {0};
	size_t n = 0;
	char tok[64];
	int i;

	for (i = 0; n + 128 < BLOCK; i++)
		n += (size_t)snprintf(block + n, BLOCK - n, "2026-12-06T02:%02d:"
			"%02d copy user@db-%d: key:%07d -> redis://10.0.0.%d:6379/0 "
			"ok\n", i / 60 % 60, i % 60, i % 7, i, i % 250);
	printf("%d MB of output cut into lines and masked:\n", MB);
	printf("  no secret (baseline)  %4.0f MB/s\n", rate(&m, block, n));
	mask_add(&m, "Pl41nSecretValue");
	printf("  a plain secret        %4.0f MB/s (%zu values)\n",
		rate(&m, block, n), m.n);
	mask_free(&m);
	mask_add(&m, "redis://mig-user:Zq%40rk%3Ast%2F9%25Wv@10.0.0.7:6379/0");
	printf("  a URL secret          %4.0f MB/s (%zu values)\n",
		rate(&m, block, n), m.n);
	for (i = 0; i < 100; i++) {
		snprintf(tok, sizeof(tok), "tok-%08x-%d", (unsigned)i * 2654435761u,
			i);
		mask_add(&m, tok);
	}
	printf("  and 100 tokens added  %4.0f MB/s (%zu values)\n",
		rate(&m, block, n), m.n);
	mask_free(&m);
	buf_free(&out);
	return 0;
}
