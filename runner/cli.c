/*
 * cli.c - options and job loading shared by the commands.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "check.h"
#include "cli.h"
#include "journal.h"
#include "load.h"
#include "sha256.h"
#include "where.h"
#include "util.h"

/* The checks after the job is decoded; reports into d. */
static int
check_and_plan(struct loaded *l, const struct opts *o, struct diags *d,
	size_t nerrors)
{
	size_t i;

	params_check(l->job, d);
	for (i = 0; i < l->job->nparts; i++)
		params_check(l->job->parts[i], d);
	graph_build(&l->graph, l->job, d);
	check_job(l->job, &l->graph, d);
	params_resolve(&l->values, l->job, &o->params, d);
	params_check_withs(l->job, &l->values, d);
	for (i = 0; i < l->job->nparams; i++)
		if (l->job->params[i].secret)
			mask_add(&l->mask, l->values.value[i]);
	if (l->graph.nwaves && d->nerrors == nerrors &&
	    plan_build(&l->plan, l->job, &l->graph, &l->values, d) == 0)
		l->planned = 1;
	return d->nerrors > nerrors ? -1 : 0;
}

char *
job_at_rev(const char *arg, const char **rev)
{
	const char *y = strstr(arg, ".yaml@"), *m = strstr(arg, ".yml@");
	const char *at;
	struct stat st;

	if (stat(arg, &st) == 0 || (!y && !m))
		return NULL;
	at = !y ? m + 4 : !m ? y + 5 : y < m ? y + 5 : m + 4;
	if (!at[1])
		return NULL;
	if (rev)
		*rev = at + 1;
	return xasprintf("%.*s", (int)(at - arg), arg);
}

void
job_path_real(const char *arg, char *real)
{
	char *file = job_at_rev(arg, NULL);

	job_realpath(file ? file : arg, real);
	free(file);
}

static struct sources *
new_sources(const char *file, enum source_mode mode, const char *rev,
	const struct opts *o)
{
	struct sources *src = xmalloc(sizeof(*src));

	sources_init(src, file, mode, rev);
	src->allow_outside = o->allow_outside;
	return src;
}

/* The job file FILE@REV names, read from git, with the files it is
 * built from as they were at REV. */
static int
load_at_rev(struct loaded *l, const char *arg, const char *file,
	const char *rev, const struct opts *o, struct diags *d)
{
	char err[PATH_MAX + 512], *text;
	size_t len;

	if (git_read_at(file, rev, &text, &len, &l->at_rev, err,
	    sizeof(err)) < 0) {
		diag_error(d, arg, 0, 0, "%s", err);
		return -1;
	}
	if (len > LOAD_MAX_FILE) {
		free(text);
		diag_error(d, arg, 0, 0, "the job file is over %u bytes",
			LOAD_MAX_FILE);
		return -1;
	}
	/* Messages name FILE@REV; the job's rev has env_files: read at REV
	 * too. */
	if (job_parse_with(&l->job, arg, text, len, new_sources(file,
	    SOURCE_REV, rev, o), d) < 0 && !l->job->steps)
		return -1;
	l->job->rev = rev;
	return 0;
}

int
load(struct loaded *l, const char *path, const struct opts *o,
	struct diags *d)
{
	size_t nerrors = d->nerrors;
	const char *rev;
	char *file;

	memset(l, 0, sizeof(*l));
	if ((file = job_at_rev(path, &rev))) {
		int r = load_at_rev(l, path, file, rev, o, d);

		free(file);
		if (r < 0 && (!l->job || !l->job->steps))
			return -1;
		return check_and_plan(l, o, d, nerrors);
	}
	/* Go on after errors while there are steps, to report them all. */
	if (job_load_with(&l->job, path, new_sources(path, SOURCE_WORK, NULL,
	    o), d) < 0 && !l->job->steps)
		return -1;
	return check_and_plan(l, o, d, nerrors);
}

int
load_text(struct loaded *l, const char *path, const char *text,
	struct sources *src, const struct opts *o, struct diags *d)
{
	size_t nerrors = d->nerrors;

	memset(l, 0, sizeof(*l));
	if (job_parse_with(&l->job, path, xstrdup(text), strlen(text), src,
	    d) < 0 && !l->job->steps)
		return -1;
	return check_and_plan(l, o, d, nerrors);
}

static int
stored_row(void *arg, const struct jrow *row)
{
	const char *text = jrow_get(row, "text");

	source_store(arg, jrow_get(row, "name"), text, strlen(text));
	return 0;
}

struct sources *
run_sources(struct journal *jn, const char *run, const char *file)
{
	struct sources *src = xmalloc(sizeof(*src));

	sources_init(src, file, SOURCE_STORED, NULL);
	if (journal_run_files(jn, run, stored_row, src) < 0) {
		sources_free(src);
		free(src);
		return NULL;
	}
	return src;
}

const char *
loaded_file_text(const struct loaded *l, const struct source_file *f)
{
	return f->kind == SOURCE_ENV ? mask_str(&l->mask, f->text) : f->text;
}

int
loaded_files_record(const struct loaded *l, struct journal *jn,
	const char *run)
{
	const struct sources *src = l->job->src;
	char sha[65];
	size_t i;

	for (i = 0; src && i < src->n; i++) {
		const struct source_file *f = src->v[i];
		const char *text;

		if (!f->used)
			continue;
		text = loaded_file_text(l, f);
		sha256_hex(text, strlen(text), sha);
		if (journal_add_run_file(jn, run, f->name,
		    source_kind_name(f->kind), text, sha) < 0)
			return -1;
	}
	return 0;
}

struct stored_sha {
	const struct loaded *l;
	struct buf *names;
	size_t differ;
	char **seen;		/* the names the run has */
	size_t nseen;
};

static const struct source_file *
used_file(const struct sources *src, const char *name)
{
	size_t i;

	for (i = 0; src && i < src->n; i++)
		if (src->v[i]->used && strcmp(src->v[i]->name, name) == 0)
			return src->v[i];
	return NULL;
}

static int
compare_row(void *arg, const struct jrow *row)
{
	struct stored_sha *x = arg;
	const char *name = jrow_get(row, "name");
	const struct source_file *f = used_file(x->l->job->src, name);
	char sha[65];

	x->seen = xreallocarray(x->seen, x->nseen + 1, sizeof(*x->seen));
	x->seen[x->nseen++] = xstrdup(name);
	if (f) {
		const char *text = loaded_file_text(x->l, f);

		sha256_hex(text, strlen(text), sha);
		if (strcmp(sha, jrow_get(row, "sha256")) == 0)
			return 0;
	}
	buf_addf(x->names, "%s%s", x->differ++ ? ", " : "", name);
	return 0;
}

size_t
loaded_files_differ(const struct loaded *l, struct journal *jn,
	const char *run, struct buf *names)
{
	struct stored_sha x = { l, names, 0, NULL, 0 };
	const struct sources *src = l->job->src;
	size_t i, j;

	if (journal_run_files(jn, run, compare_row, &x) < 0)
		x.differ++;
	/* Files this job uses that the run's did not. */
	for (i = 0; src && i < src->n; i++) {
		for (j = 0; j < x.nseen; j++)
			if (strcmp(x.seen[j], src->v[i]->name) == 0)
				break;
		if (src->v[i]->used && j == x.nseen)
			buf_addf(names, "%s%s", x.differ++ ? ", " : "",
				src->v[i]->name);
	}
	for (j = 0; j < x.nseen; j++)
		free(x.seen[j]);
	free(x.seen);
	return x.differ;
}

void
unload(struct loaded *l)
{
	if (l->planned)
		plan_free(&l->plan);
	graph_free(&l->graph);
	mask_free(&l->mask);
	job_free(l->job);
}

static void
add_arg(const char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

static int
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return 1;
	return 0;
}

static int
number(const char *cmd, const char *opt, const char *s, int min, int max,
	int *out)
{
	char *end, msg[160];
	long v = strtol(s, &end, 10);

	if (*s && !*end && v >= min && v <= max) {
		*out = (int)v;
		return 0;
	}
	snprintf(msg, sizeof(msg), "%s takes a number from %d to %d, not '%s'",
		opt, min, max, s);
	usage_error(cmd, msg);
	return -1;
}

/* The option getopt_long just took (c) as it was written, without its
 * value: "-j" of "-j 2" or "-j2", "--jobs" of "--jobs=2", not "2". */
static const char *
option_written(char **argv, int ind, int c, char *buf, size_t n)
{
	const char *w = argv[ind - 1];

	if (optarg && optarg == w && ind >= 2)
		w = argv[ind - 2];	/* the value was a word of its own */
	if (strncmp(w, "--", 2) == 0)
		snprintf(buf, n, "%.*s", (int)strcspn(w, "="), w);
	else
		snprintf(buf, n, "-%c", c);
	return buf;
}

int
parse_opts(const char *cmd, int argc, char **argv, struct opts *o,
	const char *allowed)
{
	static const struct option longopts[] = {
		{ "param", required_argument, NULL, 'p' },
		{ "env-file", required_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'J' },
		{ "dot", no_argument, NULL, 'D' },
		{ "csv", no_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, 'N' },
		{ "only", required_argument, NULL, 'O' },
		{ "from", required_argument, NULL, 'F' },
		{ "new", no_argument, NULL, 'W' },
		{ "journal", required_argument, NULL, 'L' },
		{ "limit", required_argument, NULL, 'l' },
		{ "at", required_argument, NULL, 'A' },
		{ "head", required_argument, NULL, 'H' },
		{ "before", required_argument, NULL, 'B' },
		{ "kill-orphans", no_argument, NULL, 'K' },
		{ "require-clean", no_argument, NULL, 'R' },
		{ "ignore-window", no_argument, NULL, 'I' },
		{ "systemd", no_argument, NULL, 'S' },
		{ "html", no_argument, NULL, 'M' },
		{ "output", required_argument, NULL, 'o' },
		{ "ok", no_argument, NULL, '1' },
		{ "failed", no_argument, NULL, '2' },
		{ "rerun", no_argument, NULL, '3' },
		{ "rolled-back", no_argument, NULL, '4' },
		{ "allow-outside", no_argument, NULL, 'X' },
		{ "approve", required_argument, NULL, 'P' },
		{ "reject", no_argument, NULL, 'r' },
		{ "reason", required_argument, NULL, 'Y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char msg[256];
	int c, i;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:qvj:o:h", longopts, NULL)) != -1) {
		const char *name = NULL;

		for (i = 0; longopts[i].name; i++)
			if (longopts[i].val == c)
				name = longopts[i].name;
		if (c == 'h') {
			char *help[] = { "help", (char *)cmd, NULL };

			cmd_help(2, help);
			return -2;
		}
		if (!name || c == '?' || c == ':') {
			snprintf(msg, sizeof(msg), optopt && c == '?' &&
				strchr("pjAHBoPY", optopt) ? "option '%s' needs a value"
				: "unknown option '%s'", argv[optind - 1]);
			usage_error(cmd, msg);
			return -1;
		}
		if (!has_word(allowed, name)) {
			char opt[64];

			snprintf(msg, sizeof(msg), "'%s' does not apply to '%s'",
				option_written(argv, optind, c, opt, sizeof(opt)),
				cmd);
			usage_error(cmd, msg);
			return -1;
		}
		switch (c) {
		case 'p':
			if (!strchr(optarg, '=') || *optarg == '=') {
				snprintf(msg, sizeof(msg), "-p %s: write -p "
					"NAME=VALUE", optarg);
				usage_error(cmd, msg);
				return -1;
			}
			add_arg(&o->params.set, &o->params.nset, optarg);
			break;
		case 'E': add_arg(&o->params.env_files, &o->params.nenv_files,
			optarg); break;
		case 'J': o->json = 1; break;
		case 'D': o->dot = 1; break;
		case 'C': o->csv = 1; break;
		case 'q': o->quiet = 1; break;
		case 'v': o->verbose = 1; break;
		case 'N': o->dry_run = 1; break;
		case 'W': o->new_run = 1; break;
		case 'O': add_arg(&o->only, &o->nonly, optarg); break;
		case 'F': add_arg(&o->from, &o->nfrom, optarg); break;
		case 'L': o->journal = optarg; break;
		case 'A': o->at = optarg; break;
		case 'H': o->head = optarg; break;
		case 'B': o->before = optarg; break;
		case 'K': o->kill_orphans = 1; break;
		case 'R': o->require_clean = 1; break;
		case 'I': o->ignore_window = 1; break;
		case 'X': o->allow_outside = 1; break;
		case 'S': o->systemd = 1; break;
		case 'M': o->html = 1; break;
		case 'o': o->output = optarg; break;
		case 'P': add_arg(&o->approve, &o->napprove, optarg); break;
		case 'r': o->reject = 1; break;
		case 'Y': o->reason = optarg; break;
		case '1': case '2': case '3': case '4':
			if (o->resolve) {
				usage_error(cmd, "give one of --ok, --failed, "
					"--rerun and --rolled-back");
				return -1;
			}
			o->resolve = name;
			break;
		case 'j':
			if (number(cmd, "-j", optarg, 1, 4096, &o->jobs) < 0)
				return -1;
			break;
		case 'l':
			if (number(cmd, "--limit", optarg, 1, 1000000,
			    &o->limit) < 0)
				return -1;
			break;
		}
	}
	return optind;
}

void
free_opts(struct opts *o)
{
	size_t i;

	for (i = 0; i < o->nkept; i++)
		free(o->kept[i]);
	free(o->kept);
	free(o->params.set);
	free(o->params.env_files);
	free(o->only);
	free(o->from);
	free(o->approve);
}

char *
loaded_params_json(const struct loaded *l)
{
	const struct job *job = l->job;
	struct buf b = {0};
	size_t i;

	buf_addc(&b, '{');
	for (i = 0; i < job->nparams; i++) {
		if (i)
			buf_addc(&b, ',');
		buf_add_json(&b, job->params[i].name);
		buf_addc(&b, ':');
		buf_add_json(&b, job->params[i].secret ? MASK_TEXT :
			mask_str(&l->mask, l->values.value[i]));
	}
	buf_addc(&b, '}');
	return b.s;
}

void
mask_text_secrets(struct mask *m, const char *text, const char *file,
	struct sources *src)
{
	struct diags d = {0};
	struct job *job;
	size_t i;

	job_parse_with(&job, src && file ? file : "(journal)", xstrdup(text),
		strlen(text), src, &d);
	for (i = 0; i < job->nparams; i++)
		if (job->params[i].secret && job->params[i].def &&
		    *job->params[i].def)
			mask_add(m, job->params[i].def);
	job_free(job);
	diags_free(&d);
}
