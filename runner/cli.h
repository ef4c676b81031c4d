/*
 * cli.h - what the commands share: their entry in the command table,
 * their options, and loading a job file through check and plan.
 */
#ifndef RUNJOB_CLI_H
#define RUNJOB_CLI_H

#include <stddef.h>

#include "diag.h"
#include "git.h"
#include "graph.h"
#include "job.h"
#include "mask.h"
#include "param.h"
#include "plan.h"

/* A command, defined by its file next to its code; main.c lists them. */
struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;	/* the synopsis, as in runjob(1) */
	const char *summary;
	const char *options;	/* one option a line */
};

struct opts {
	struct param_args params;
	int json, dot, csv, quiet, verbose;
	int jobs;		/* -j N; 0: not given */
	int dry_run, new_run, kill_orphans, require_clean;
	int ignore_window;	/* run outside the maintenance window */
	int allow_outside;	/* a job may use files outside its
				 * repository or directory */
	int systemd;		/* schedule: print a service unit */
	int html;		/* report: a page */
	const char *output;	/* -o FILE */
	const char *resolve;	/* resolve: ok, failed, rerun, rolled-back */
	const char **approve;	/* run --approve STEP: gates answered ahead */
	size_t napprove;
	int reject;		/* approve --reject */
	const char *reason;	/* approve --reason TEXT */
	const char **only, **from;
	size_t nonly, nfrom;
	const char *journal;	/* --journal PATH */
	char **kept;		/* -p strings made from a run's params */
	size_t nkept;
	int limit;		/* --limit N; 0: not given */
	const char *at;		/* --at TIME */
	const char *head;	/* audit verify --head HASH */
	const char *before;	/* prune --before DATE */
};

/* A job file loaded and checked as far as its problems allow. */
struct loaded {
	struct job *job;
	struct graph graph;
	struct param_values values;
	struct plan plan;
	struct mask mask;	/* the values of secret params */
	int planned;		/* plan is built */
	struct git_facts at_rev;	/* read as FILE@REV: REV's commit,
					 * the blob; in_git 0 otherwise */
};

/* Parse the options of cmd; `allowed` lists, blank-separated, the long
 * names of those it takes. Returns the index of the first operand (the
 * operands are moved behind the options), -1 after a usage error, or -2
 * when help was asked for and given. */
int parse_opts(const char *cmd, int argc, char **argv, struct opts *o,
	const char *allowed);
void free_opts(struct opts *o);

/* A job file named as FILE@REV: FILE (for the caller to free), and REV
 * in *rev (pointing into arg) when rev is not NULL; NULL when arg names
 * a file as it is. A path that exists is always the file itself, so a
 * file whose name holds '@' is read as it is; otherwise arg splits at
 * the first ".yaml@" or ".yml@", so REV may hold '@' (HEAD@{1}) but FILE
 * must end in .yaml or .yml. */
char *job_at_rev(const char *arg, const char **rev);
/* The real path of the job file arg names (FILE of FILE@REV). */
void job_path_real(const char *arg, char *real);

/* Load, check and plan the job at path; FILE@REV reads FILE, and the
 * job's env_files:, as they were at REV (git.h). Returns 0 when it is
 * valid. */
int load(struct loaded *l, const char *path, const struct opts *o,
	struct diags *d);
/* The same for a job text kept in the journal, named path, with the
 * files it was built from in src (run_sources; the job frees it). */
int load_text(struct loaded *l, const char *path, const char *text,
	struct sources *src, const struct opts *o, struct diags *d);

/* The files a run's job was built from, as the journal keeps them, for
 * the job file named file; NULL when they cannot be read. */
struct journal;
struct sources *run_sources(struct journal *jn, const char *run,
	const char *file);
/* The text of f as a run keeps it: an env file has the values of
 * secret params masked. Valid until the next call. */
const char *loaded_file_text(const struct loaded *l,
	const struct source_file *f);
/* Record the files the loaded job was built from with run. */
int loaded_files_record(const struct loaded *l, struct journal *jn,
	const char *run);
/* How many of the files the loaded job is built from differ from those
 * run's job was built from (a file one has and the other has not
 * counts); their names, comma-separated, in names. */
size_t loaded_files_differ(const struct loaded *l, struct journal *jn,
	const char *run, struct buf *names);
void unload(struct loaded *l);

/* The params of a loaded job as a run records them: a JSON object,
 * secrets as "***". The caller frees it. */
char *loaded_params_json(const struct loaded *l);
/* Hide in m the secret values a job text holds: the literal defaults of
 * its secret params, a param being secret in the job file or in the
 * presets and templates it was built from, src (run_sources; NULL when
 * unknown; the job frees it), for the job file named file. The journal
 * keeps the text as it ran, secrets and all, so that a resume runs that
 * same text; whatever shows it hides them. */
void mask_text_secrets(struct mask *m, const char *text, const char *file,
	struct sources *src);

/* In help.c. The commands, in the order runjob help lists them, up to
 * a NULL: main() sets this before it runs any, so that a command's file
 * can print usage without needing main.c and every other command. */
extern const struct command *const *commands;
extern const struct command cmd_help_entry;

/* Report a usage error about cmd (NULL: none in particular). */
int usage_error(const char *cmd, const char *msg);
/* Say that name is not a command. */
int unknown_command(const char *name);
int cmd_help(int argc, char **argv);

#endif
