/*
 * outputs.c - what a try wrote to $RUNJOB_OUTPUT: read once it exited 0,
 * kept for the steps after it, recorded masked (and sealed when that hid
 * a secret), the file deleted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scheduler_int.h"
#include "seal.h"
#include "util.h"
#include "writer.h"

enum { OUTPUTS_MAX = 1 << 20 };	/* bytes of $RUNJOB_OUTPUT read */

static void
outputs_drop(struct task *t)
{
	size_t k;

	for (k = 0; k < t->nout; k++)
		free(t->out[k]);
	free(t->out);
	t->out = NULL;
	t->nout = 0;
}

/* Record an output, "NAME=VALUE", of instance i: masked, and when that
 * hid a secret in it, sealed too, so that a resumed run hands on the
 * value and not its mask. */
static void
outputs_record(struct sched *s, size_t i, const char *out)
{
	const char *eq = strchr(out, '=');
	char *name = xstrndup(out, (size_t)(eq - out)), *sealed = NULL;
	const char *shown = mask_str(s->r->mask, eq + 1);

	if (strcmp(shown, eq + 1) != 0) {
		char *where = seal_context(s->r->run_id, inst_id(s, i), name);

		sealed = seal(s->r->key, where, eq + 1);
		free(where);
	}
	jw_add_output(s->w, s->r->run_id, inst_id(s, i), name, shown, sealed);
	free(sealed);
	free(name);
}

/* The file a try wrote to $RUNJOB_OUTPUT, whole, into *text. Returns 0,
 * or -1 with the reason in why. */
static int
slurp_outputs(const char *path, char **text, char *why, size_t n)
{
	struct buf b = {0};
	char chunk[65536];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*text = NULL;
	if (fd < 0) {
		snprintf(why, n, "its outputs file %s cannot be read: %s", path,
			strerror(errno));
		return -1;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || b.len + (size_t)r > OUTPUTS_MAX) {
			snprintf(why, n, r < 0 ? "its outputs file %s cannot be "
				"read: %s" : "its outputs file %s is over 1 MiB%s",
				path, r < 0 ? strerror(errno) : "");
			close(fd);
			buf_free(&b);
			return -1;
		}
		buf_add(&b, chunk, (size_t)r);
	}
	close(fd);
	if (memchr(buf_str(&b), '\0', b.len)) {
		snprintf(why, n, "its outputs file %s holds a NUL byte; it must "
			"be NAME=VALUE lines of text", path);
		buf_free(&b);
		return -1;
	}
	*text = b.s ? b.s : xstrdup("");
	return 0;
}

/* The declared outputs a try that exited 0 wrote to $RUNJOB_OUTPUT, kept
 * for its dependents and recorded. Returns 0, or -1 with the reason in
 * why: an outputs file that cannot be read, or a declared output not
 * written (unless optional). Either fails the try, for a
 * dependent must never take an unset variable for a value. */
int
outputs_read(struct sched *s, struct attempt *a, char *why, size_t n)
{
	const struct step *st = inst_step(s, a->task);
	struct task *t = &s->t[a->task];
	char *text, *line, *save = NULL;
	size_t k;

	if (!st->noutputs)
		return 0;
	if (slurp_outputs(a->out_path, &text, why, n) < 0)
		return -1;
	/* The file is unmasked: what it holds lives on masked in the
	 * journal, and in memory for the dependents; the scheduler deletes
	 * it once that is durable. */
	outputs_drop(t);
	t->out = xcalloc(st->noutputs, sizeof(*t->out));
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		for (k = 0; k < st->noutputs; k++) {
			size_t len = strlen(st->outputs[k]);
			size_t o;

			if ((size_t)(eq - line) != len ||
			    strncmp(line, st->outputs[k], len) != 0)
				continue;
			/* A later line for the same name wins. */
			for (o = 0; o < t->nout; o++)
				if (strncmp(t->out[o], line, len + 1) == 0)
					break;
			if (o < t->nout)
				free(t->out[o]);
			else
				t->nout++;
			t->out[o] = xstrdup(line);
		}
	}
	free(text);
	for (k = 0; k < st->noutputs; k++) {
		size_t len = strlen(st->outputs[k]), o;

		if (st->output_optional && st->output_optional[k])
			continue;
		for (o = 0; o < t->nout; o++)
			if (strncmp(t->out[o], st->outputs[k], len) == 0 &&
			    t->out[o][len] == '=')
				break;
		if (o == t->nout) {
			snprintf(why, n, "it did not write its output %s: append "
				"a line %s=VALUE to $RUNJOB_OUTPUT, or list it as "
				"{ name: %s, optional: true } when it may be left "
				"unset", st->outputs[k], st->outputs[k],
				st->outputs[k]);
			outputs_drop(t);
			return -1;
		}
	}
	for (k = 0; k < t->nout; k++)
		outputs_record(s, a->task, t->out[k]);
	return 0;
}
