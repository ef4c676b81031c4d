/*
 * ui.h - what a person (or a program, with --json) sees of a run.
 *
 * On a terminal: step output prefixed with the step id, and below it a
 * live view of the running steps with their elapsed time. Off a
 * terminal: plain lines with a timestamp. With --json: one JSON object a
 * line. Colour only on a terminal, never with NO_COLOR.
 */
#ifndef RUNJOB_UI_H
#define RUNJOB_UI_H

#include <stddef.h>
#include <stdint.h>

enum ui_mode { UI_PLAIN, UI_TTY, UI_JSON };

struct ui_running {
	char *id;		/* step instance id */
	int64_t since;		/* ms */
	int attempt;
	char *progress;		/* a built-in's latest progress; NULL: none */
};

struct ui {
	enum ui_mode mode;
	int quiet, verbose, color;
	const char *run;	/* the run id, for JSON events */
	struct ui_running *running;
	size_t nrunning, caprunning;
	char *progress;		/* the whole run's progress, for the live
				 * view's last line; NULL: none yet */
	char *prompt;		/* a question asked at the terminal, with
				 * what was typed so far: the live view's
				 * last line, the cursor at its end; NULL:
				 * none */
	size_t drawn;		/* status lines on screen now */
	int open_line;		/* the last of them has no newline: the
				 * prompt's */
	int64_t drawn_at;	/* when they were drawn, ms */
};

/* Choose the mode: JSON when asked, a live view when stdout is a
 * terminal, plain lines otherwise. */
void ui_init(struct ui *u, int json, int quiet, int verbose);
void ui_free(struct ui *u);

void ui_run_started(struct ui *u, const char *job, const char *file,
	int64_t at);
void ui_step_started(struct ui *u, const char *step, const char *kind,
	int attempt, int64_t at);
/* One line of a step's output, masked, without its newline. */
void ui_step_line(struct ui *u, const char *step, int attempt,
	const char *line, size_t len, int64_t at);
/* state: succeeded, failed, skipped, timeout, stopped, not-run;
 * exit_code and signal -1 when not applicable. */
void ui_step_finished(struct ui *u, const char *step, const char *kind,
	int attempt, const char *state, int exit_code, int signal,
	int64_t duration, const char *why, int64_t at);
/* The progress of a built-in action (keys done of total, rate, ETA):
 * on a terminal it is drawn beside the step in the live view. */
void ui_step_progress(struct ui *u, const char *step, const char *text,
	int64_t at);
/* The whole run's progress ("3 of 10 steps, ..."): on a terminal the
 * live view's last line; off one a line of its own, and with --json a
 * progress event of the members in json (without braces). */
void ui_run_progress(struct ui *u, const char *text, const char *json,
	int64_t at);
/* On a terminal: ask question at the end of the live view, with typed
 * after it as the answer so far (question NULL: ask nothing), and draw
 * it now. */
void ui_prompt(struct ui *u, const char *question, const char *typed,
	int64_t at);
/* How often progress is printed when there is no live view:
 * RUNJOB_PROGRESS_INTERVAL milliseconds, 10 s when unset. */
int64_t ui_progress_interval(void);
/* Whether RUNJOB_PROGRESS_INTERVAL, when set, is a number of
 * milliseconds; -1 with what is wrong in err of n bytes. */
int ui_progress_check(char *err, size_t n);
/* A message of runjob's own about the run. */
void ui_note(struct ui *u, int64_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same on standard error: what went wrong before this runjob, for
 * the person who must act on it, together with what follows there. */
void ui_warn(struct ui *u, int64_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ui_run_finished(struct ui *u, const char *state, int exit_code,
	int64_t duration, int64_t at);
/* Redraw the live view when it is due. */
void ui_tick(struct ui *u, int64_t now);

/* "1h02m", "3.2s", "120ms": a duration for people. */
const char *ui_duration(int64_t ms, char *buf, size_t n);

#endif
