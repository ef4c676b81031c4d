/*
 * prompt.c - a gate answered at runjob's own terminal. While a gate
 * waits and runjob has the live view in the foreground of its terminal,
 * the view's last line asks
 *
 *	approve go-ahead? y or n, then a reason:
 *
 * and what is typed goes there. The answer is written to the journal as
 * runjob approve writes it, with who, when, from which terminal and
 * why, and the gate reads it back from there as it reads any other: an
 * answer from another terminal given first is the one that counts, and
 * ends the question here too.
 *
 * The terminal is read a key at a time, not echoed by the kernel, only
 * while a question is asked; it is left as it was when none is, when
 * runjob leaves, and at exit().
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "gate.h"
#include "scheduler_int.h"
#include "util.h"

struct prompt {
	int raw;		/* the terminal is read a key at a time */
	struct termios saved;	/* as it was before */
	size_t task;		/* the gate asked about */
	int asking;
	struct buf typed;
	size_t sent;		/* a gate answered here, until its wait ends */
	int has_sent;
	int in_escape;		/* the rest of a key's escape sequence */
};

static struct termios at_exit;
static int at_exit_set, at_exit_armed;

static void
restore_at_exit(void)
{
	if (at_exit_set)
		tcsetattr(STDIN_FILENO, TCSANOW, &at_exit);
}

static void
cooked(struct prompt *pr)
{
	if (!pr->raw)
		return;
	tcsetattr(STDIN_FILENO, TCSANOW, &pr->saved);
	pr->raw = 0;
	at_exit_set = 0;
}

static int
make_raw(struct prompt *pr)
{
	struct termios t;

	if (pr->raw)
		return 0;
	if (tcgetattr(STDIN_FILENO, &pr->saved) < 0)
		return -1;
	t = pr->saved;
	/* Signals stay: ^C still interrupts the run. */
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	at_exit = pr->saved;
	at_exit_set = 1;
	if (!at_exit_armed++)
		atexit(restore_at_exit);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0) {
		at_exit_set = 0;
		return -1;
	}
	pr->raw = 1;
	return 0;
}

static int
waiting(const struct sched *s, size_t task)
{
	size_t k;

	for (k = 0; k < s->ngates; k++)
		if (s->gates[k].task == task)
			return 1;
	return 0;
}

/* The terminal is runjob's to read: its live view is on it, and it is
 * in the foreground there (one in the background that read would be
 * stopped). */
static int
ours(const struct sched *s)
{
	return s->r->ui->mode == UI_TTY && isatty(STDIN_FILENO) &&
		tcgetpgrp(STDIN_FILENO) == getpgrp();
}

static void
stop_asking(struct sched *s, int64_t now)
{
	struct prompt *pr = s->prompt;

	cooked(pr);
	if (pr->asking)
		ui_prompt(s->r->ui, NULL, NULL, now);
	pr->asking = 0;
	buf_reset(&pr->typed);
}

static void
ask(struct sched *s, int64_t now)
{
	struct prompt *pr = s->prompt;
	char *q = xasprintf("approve %s? y or n, then a reason:",
		inst_id(s, pr->task));

	ui_prompt(s->r->ui, q, buf_str(&pr->typed), now);
	free(q);
}

int
prompt_fd(struct sched *s, int64_t now)
{
	struct prompt *pr = s->prompt;
	size_t k;

	if (!pr && (!s->ngates || !ours(s)))
		return -1;
	if (!pr)
		pr = s->prompt = xcalloc(1, sizeof(*pr));
	if (pr->has_sent && !waiting(s, pr->sent))
		pr->has_sent = 0;
	if (pr->asking && !waiting(s, pr->task))
		stop_asking(s, now);	/* answered elsewhere, or over */
	for (k = 0; !pr->asking && k < s->ngates; k++)
		if (!pr->has_sent || s->gates[k].task != pr->sent)
			break;
	if (!pr->asking && (k == s->ngates || s->stopping || !ours(s))) {
		stop_asking(s, now);
		return -1;
	}
	if (!pr->asking) {
		if (make_raw(pr) < 0)
			return -1;
		pr->task = s->gates[k].task;
		pr->asking = 1;
		ask(s, now);
	}
	return STDIN_FILENO;
}

/* The line typed: y or yes approves, n or no rejects, and what follows
 * is the reason. Anything else asks again. */
static void
answer(struct sched *s, int64_t now)
{
	struct prompt *pr = s->prompt;
	char *line = xstrdup(buf_str(&pr->typed)), *p = line, *word;
	const char *id = inst_id(s, pr->task);
	struct buf data = {0};
	int ok;

	buf_reset(&pr->typed);
	while (isspace((unsigned char)*p))
		p++;
	word = p;
	while (*p && !isspace((unsigned char)*p) && *p != ':' && *p != ',')
		p++;
	if (*p)
		*p++ = '\0';
	while (isspace((unsigned char)*p) || *p == ':' || *p == ',')
		p++;
	if (strcasecmp(word, "y") == 0 || strcasecmp(word, "yes") == 0)
		ok = 1;
	else if (strcasecmp(word, "n") == 0 || strcasecmp(word, "no") == 0)
		ok = 0;
	else
		ok = -1;
	if (ok < 0 || strlen(p) > GATE_REASON_MAX) {
		if (*word)
			ui_note(s->r->ui, now, ok < 0 ? "step %s: answer y to "
				"approve it or n to reject it, then a reason if "
				"you like" : "step %s: give a reason of at most "
				"1024 bytes", id);
		free(line);
		return;
	}
	buf_addc(&data, '{');
	gate_who(&data);
	if (*p) {
		buf_adds(&data, ",\"reason\":");
		buf_add_json(&data, p);
	}
	buf_addc(&data, '}');
	sched_event(s, ok ? "gate-approved" : "gate-rejected", id, &data);
	buf_free(&data);
	free(line);
	pr->sent = pr->task;
	pr->has_sent = 1;
	stop_asking(s, now);
}

void
prompt_read(struct sched *s, int64_t now)
{
	struct prompt *pr = s->prompt;
	char in[256];
	ssize_t n, i;

	if (!pr || !pr->asking)
		return;
	/* Once: after an answer the terminal reads whole lines again, and
	 * a second read would wait for one. */
	if ((n = read(STDIN_FILENO, in, sizeof(in))) > 0) {
		for (i = 0; i < n && pr->asking; i++) {
			unsigned char c = (unsigned char)in[i];

			if (pr->in_escape) {
				/* ESC [ ... final byte: an arrow key, say. */
				if (c != '[' && c >= 0x40 && c <= 0x7e)
					pr->in_escape = 0;
			} else if (c == 0x1b) {
				pr->in_escape = 1;
			} else if (c == '\r' || c == '\n') {
				answer(s, now);
			} else if (c == 0x7f || c == 0x08) {
				/* A whole character, UTF-8 and all. */
				while (pr->typed.len && (pr->typed.s[--pr->typed.len]
				    & 0xc0) == 0x80)
					;
				pr->typed.s[pr->typed.len] = '\0';
			} else if (c == 0x15) {
				buf_reset(&pr->typed);
			} else if ((c >= 0x20 || c >= 0x80) &&
			    pr->typed.len <= GATE_REASON_MAX + 8) {
				buf_addc(&pr->typed, (char)c);
			}
		}
	}
	if (pr->asking)
		ask(s, now);
}

void
prompt_end(struct sched *s)
{
	if (!s->prompt)
		return;
	stop_asking(s, now_ms());
	buf_free(&s->prompt->typed);
	free(s->prompt);
	s->prompt = NULL;
}
