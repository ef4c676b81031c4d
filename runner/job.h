/*
 * job.h - the job model: what a job file says, decoded from YAML and
 * checked.  Nothing here knows how steps are run.
 */
#ifndef RUNJOB_JOB_H
#define RUNJOB_JOB_H

#include <stddef.h>
#include <stdio.h>

#include "arena.h"
#include "cron.h"
#include "diag.h"
#include "load.h"
#include "source.h"
#include "zone.h"

#define JOB_MAX_STEPS	1000000

enum action_kind {
	ACT_NONE,
	ACT_RUN,		/* shell text */
	ACT_BUILTIN,		/* a built-in action (builtin.h) */
	ACT_APPROVE,		/* a gate: waits for a person's answer */
};

enum on_failure { ON_FAILURE_STOP, ON_FAILURE_ROLLBACK, ON_FAILURE_CONTINUE };
enum on_unknown { ON_UNKNOWN_DEFAULT, ON_UNKNOWN_ASK, ON_UNKNOWN_RERUN,
	ON_UNKNOWN_FAIL };
/* What a run does when its window closes while it runs. */
enum on_window_close { ON_WINDOW_CLOSE_PAUSE, ON_WINDOW_CLOSE_ROLLBACK };

/* Where something was written, for messages. */
struct mark {
	unsigned line, col;
	const char *file;	/* NULL: the job file; else a template's
				 * or a preset's */
};

/* The file a mark is in, for messages. */
#define MARK_FILE(job, m) ((m).file ? (m).file : (job)->file)

/* A NAME: VALUE pair of an env: block. */
struct kv {
	const char *key, *value;
	struct mark at;		/* of the value */
};

/* A setting of a built-in as written: one value, or a list of them. */
struct setting {
	const char *name;
	const char **values;	/* nvalues of them, as written */
	size_t nvalues;
	int list;		/* written as a list */
	struct mark at;		/* of the value */
};

/* What a step (or its rollback) does. */
struct action {
	enum action_kind kind;
	const char *run;	/* ACT_RUN: the shell text */
	size_t prelude;		/* bytes of the job's prelude run starts with */
	const char *shell;	/* interpreter; NULL: /bin/sh -e -c */
	const struct builtin *builtin;	/* ACT_BUILTIN: which */
	struct setting *settings;	/* ACT_BUILTIN: its settings */
	size_t nsettings;
	struct mark at;		/* of the action key */
	struct mark run_at;	/* of the shell text */
	const char *message;	/* ACT_APPROVE: what the person is asked;
				 * NULL: nothing but the step's id */
	long long wait_ms;	/* ACT_APPROVE: how long it waits for an
				 * answer before it fails; -1: no limit */
	/* Only rollback actions carry these; a step's own are in struct step. */
	long long timeout_ms;	/* -1: none */
	const char *dir;
	struct mark dir_at;
	struct kv *env;
	size_t nenv;
};

struct retry {
	int attempts;		/* total tries, >= 1 */
	long long delay_ms;	/* before the second try */
	double backoff;		/* factor per try, >= 1 */
	long long max_delay_ms;	/* cap on the delay; -1: none */
	int *on_exit;		/* retry only on these exit codes */
	size_t non_exit;	/* 0: on any failure */
};

struct param {
	const char *name;
	struct mark at;
	const char *def;	/* default; NULL: none */
	const char *description;
	const char *pattern;	/* POSIX extended regex; NULL: any */
	struct mark pattern_at;
	const char **enums;	/* allowed values; nenums 0: any */
	size_t nenums;
	struct mark enum_at;
	const char *env;	/* runner's variable holding the value */
	int required, secret;
};

struct step {
	const char *id;
	struct mark at;
	const struct node *node;	/* the step as written */
	const char *description;
	struct action action;
	struct action rollback;	/* kind ACT_NONE: none */
	const char **needs;
	struct mark *needs_at;
	size_t nneeds;
	const char *if_;	/* shell text deciding whether to run */
	size_t if_prelude;	/* bytes of the job's prelude if_ starts with */
	struct mark if_at;
	long long timeout_ms;	/* -1: none */
	long long kill_grace_ms;	/* -1: the default */
	struct retry retry;
	struct mark retry_at;
	enum on_unknown on_unknown;
	const char **outputs;	/* a built-in's own unless outputs: says */
	struct mark *outputs_at;
	size_t noutputs;
	unsigned char *output_optional;	/* per output, 1: optional, the
				 * step may leave it unset; NULL: none is */
	int outputs_given;	/* outputs: was written */
	struct kv *env;
	size_t nenv;
	const char *dir;
	struct mark dir_at;
	const char **for_each;	/* literal items; NULL with for_each_expr */
	size_t nfor_each;
	const char *for_each_expr;	/* "${{ params.X }}", a comma list */
	struct mark for_each_at;
	const char *from;	/* a template's step: where it is written and
				 * the uses: that brought it in; NULL: at,
				 * in the job file */
};

/* A value given to a template's param in with:, checked against the
 * param once the job's params have values. */
struct with_value {
	const struct param *param;	/* the template's */
	const char *template;		/* its file */
	const char *use;		/* the step id of the uses: */
	const char *value;		/* as written */
	struct mark at;
};

/* A maintenance window: it opens when cron says, on the wall clock of
 * zone, and stays open duration_ms of real time. */
struct window {
	struct cron cron;
	const char *cron_text;
	long long duration_ms;
	const struct zone *zone;
	struct mark at;		/* of the window's mapping */
};

enum blackout_kind {
	BLACKOUT_DAYS,		/* whole days in the job's time zone */
	BLACKOUT_INSTANTS,	/* from one instant to another */
	BLACKOUT_CRON,		/* recurring, in the job's time zone */
};

/* A period in which no step starts, whatever the windows say. */
struct blackout {
	enum blackout_kind kind;
	long long from, to;	/* DAYS, INSTANTS: [from, to), ms since the
				 * epoch */
	struct cron cron;	/* CRON: when it begins */
	const char *cron_text;
	long long duration_ms;	/* CRON: how long it lasts */
	const char *reason;	/* NULL: none given */
	struct mark at;		/* of the blackout's mapping */
};

/* The run events a notify: hook may be run on, as bits of hook.on. */
enum notify_event {
	NOTIFY_STARTED = 1 << 0,
	NOTIFY_SUCCEEDED = 1 << 1,
	NOTIFY_FAILED = 1 << 2,
	NOTIFY_PAUSED = 1 << 3,
	NOTIFY_ROLLED_BACK = 1 << 4,
	NOTIFY_NEEDS_ATTENTION = 1 << 5,	/* exit 6 or 7 */
	NOTIFY_GATE = 1 << 6,			/* a gate begins to wait */
	NOTIFY_STEP_OVERRUN = 1 << 7,		/* a try runs far past its median */
};

/* A notify: hook: shell text run on the events in on. */
struct hook {
	unsigned on;		/* enum notify_event bits */
	const char *run;
	long long timeout_ms;	/* -1: the default */
	struct mark at;		/* of the hook's mapping */
};

/* The name of event bit e, as a job file writes it. */
const char *notify_event_name(unsigned e);

/* A job's window: and blackout:, decoded (window.h reads them). */
struct schedule {
	struct window *windows;
	size_t nwindows;
	struct blackout *blackouts;
	size_t nblackouts;
	const struct zone *zone;	/* the job's: its first window's,
					 * else UTC */
};

struct job {
	const char *file;	/* the path as given */
	const char *rev;	/* read at this git revision: file is
				 * FILE@REV and rev points into it, past
				 * the '@'; NULL: read from the file */
	char *text;		/* the full job text */
	size_t len;
	struct arena arena;	/* everything below lives here */

	int version;		/* runjob: */
	const char *name;
	struct mark name_at;
	const char *description;
	struct param *params;
	size_t nparams;
	const char **env_files;
	struct mark *env_files_at;
	size_t nenv_files;
	struct kv *env;
	size_t nenv;
	int concurrency;	/* 0: number of CPUs */
	long long timeout_ms;	/* -1: none */
	enum on_failure on_failure;
	int require_clean;
	struct mark require_clean_at;
	const struct node *window, *blackout;	/* as written */
	struct schedule schedule;
	enum on_window_close on_window_close;
	struct hook *hooks;	/* notify: */
	size_t nhooks;
	struct step *steps;
	size_t nsteps;

	/* The files it is built from besides its own (source.h), and what
	 * came of them. */
	struct sources *src;
	const char *prelude;	/* shell text put before each of its own */
	struct job **parts;	/* the templates it used, decoded */
	size_t nparts;
	struct with_value *withs;
	size_t nwiths;
};

/* Read, parse and decode the job file at path into a new job (the caller
 * frees it with job_free). On -1 *out may still hold a partly decoded job
 * for further checks; every problem is in d. */
int job_load(struct job **out, const char *path, struct diags *d);
/* The same for a job text already in memory: text (len bytes, followed
 * by a NUL) becomes the job's, freed by job_free; file names it in
 * messages. */
int job_parse(struct job **out, const char *file, char *text, size_t len,
	struct diags *d);
/* The same, with the files it uses, extends and includes read from src
 * (which the job then owns and frees); NULL: none may be read. */
int job_parse_with(struct job **out, const char *file, char *text,
	size_t len, struct sources *src, struct diags *d);
int job_load_with(struct job **out, const char *path, struct sources *src,
	struct diags *d);
void job_free(struct job *job);

/* Find a param or step by name; NULL when there is none. */
const struct param *job_param(const struct job *job, const char *name);

/* What a job file may say, for the tests to hold the schema and the
 * docs to (runjob help --keys), one a line, in the order the loader
 * holds them:
 *
 *	job KEY			a key of the job's top-level mapping
 *	step KEY		a key of a step
 *	rollback KEY		a key of a step's rollback:
 *	param KEY		a key of a param
 *	retry KEY		a key of retry:
 *	window KEY		a key of window:
 *	blackout KEY		a key of an item of blackout:
 *	approve KEY		a key of a step's approve:
 *	notify KEY		a key of an item of notify:
 *	word KEY WORD		a word KEY takes (on_failure, on_unknown,
 *				on_window_close, on)
 *	builtin NAME KEY	a setting of the built-in action NAME
 *	output NAME OUTPUT	an output the built-in action NAME writes
 *	refused NAME		a name no param or output may have
 *	refused-prefix PREFIX	nor any name starting with PREFIX
 *
 * Fields are separated by one blank; no field holds one. */
void job_print_keys(FILE *f);

/* "run", the built-in's name, or "none". */
const char *action_name(const struct action *a);


#endif
