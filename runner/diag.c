/*
 * diag.c - collected diagnostics.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "visible.h"
#include "util.h"

static void
vadd(struct diags *d, enum diag_level level, const char *file,
	unsigned line, unsigned col, const char *fmt, va_list ap)
{
	struct buf b = {0};
	struct diag *g;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		fatal("diag: bad format");
	xgrow(&b.s, &b.cap, (size_t)n + 1, 1);
	vsnprintf(b.s, (size_t)n + 1, fmt, ap);

	xgrow(&d->v, &d->cap, d->n + 1, sizeof(*d->v));
	g = &d->v[d->n++];
	g->level = level;
	g->file = file;
	g->line = line;
	g->col = col;
	/* A value quoted in a message may hold control characters: they
	 * are written out, never sent to the terminal as they are. */
	g->msg = xstrdup(visible(b.s));
	free(b.s);
	if (level == DIAG_ERROR)
		d->nerrors++;
}

int
diag_error(struct diags *d, const char *file, unsigned line, unsigned col,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(d, DIAG_ERROR, file, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

void
diag_warn(struct diags *d, const char *file, unsigned line, unsigned col,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(d, DIAG_WARNING, file, line, col, fmt, ap);
	va_end(ap);
}

void
diag_via(struct diags *d, const char *file, const char *via)
{
	size_t i;

	for (i = 0; i < d->nvia; i++)
		if (strcmp(d->via[i].file, file) == 0)
			return;
	d->via = xreallocarray(d->via, d->nvia + 1, sizeof(*d->via));
	d->via[d->nvia].file = file;
	d->via[d->nvia++].via = via;
}

static const char *
via_of(const struct diags *d, const char *file)
{
	size_t i;

	for (i = 0; file && i < d->nvia; i++)
		if (strcmp(d->via[i].file, file) == 0)
			return d->via[i].via;
	return NULL;
}

static int
cmp_pos(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;
	int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	/* qsort is not stable: fall back to the order of discovery. */
	return a < b ? -1 : a > b;
}

void
diags_print(struct diags *d, int json)
{
	struct buf b = {0};
	size_t i;

	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), cmp_pos);
	for (i = 0; i < d->n; i++) {
		struct diag *g = &d->v[i];
		const char *level = g->level == DIAG_ERROR ? "error" : "warning";
		const char *via = via_of(d, g->file);

		buf_reset(&b);
		if (json) {
			buf_adds(&b, "{\"level\":");
			buf_add_json(&b, level);
			buf_adds(&b, ",\"file\":");
			buf_add_json(&b, g->file ? g->file : "");
			buf_addf(&b, ",\"line\":%u,\"column\":%u,\"message\":",
				g->line, g->col);
			buf_add_json(&b, g->msg);
			if (via) {
				buf_adds(&b, ",\"via\":");
				buf_add_json(&b, via);
			}
			buf_adds(&b, "}\n");
			fputs(buf_str(&b), stdout);
			continue;
		}
		buf_adds(&b, g->file ? g->file : argv0);
		if (g->file && g->line)
			buf_addf(&b, ":%u:%u", g->line, g->col);
		buf_addf(&b, ": %s: %s", level, g->msg);
		if (via)
			buf_addf(&b, " (%s %s)", g->file, via);
		buf_addc(&b, '\n');
		fputs(buf_str(&b), stderr);
	}
	buf_free(&b);
}

void
diags_free(struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	free(d->via);
	memset(d, 0, sizeof(*d));
}
