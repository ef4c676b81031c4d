/*
 * diff.c - runjob diff: how two runs, or a run and a job file as it is
 * now, differ: the job text, the params, the options, the git version.
 *
 * Secrets. The journal keeps a secret param's value as "***" and nothing
 * derived from it (not even a hash: a guessable secret would fall to a
 * dictionary), so two secrets cannot be compared; runjob says so rather
 * than call them the same. The job texts are printed with the secret
 * params' literal defaults (and, against a file, the file's secret
 * values) masked: a changed default shows as a changed line of "***".
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "diff.h"
#include "exitcode.h"
#include "git.h"
#include "job.h"
#include "journal.h"
#include "json.h"
#include "mask.h"
#include "util.h"
#include "where.h"

/* One side of the comparison: a run from the journal, or a job file. */
struct side {
	char *label;		/* "run ID" or the file as given */
	char *text, *params, *trigger, *file;
	char **names, **texts;	/* the files the job is built from */
	size_t nfiles;
	char *git_commit, *git_blob, *git_dirty;	/* NULL: not in git */
	int ignore_window;	/* -1: not applicable (a file) */
	int found;
};

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int
run_row(void *arg, const struct jrow *row)
{
	struct side *s = arg;

	s->found = 1;
	s->text = dup_or_null(jrow_get(row, "text"));
	s->params = dup_or_null(jrow_get(row, "params"));
	s->trigger = dup_or_null(jrow_get(row, "trigger"));
	s->file = dup_or_null(jrow_get(row, "file"));
	s->git_commit = dup_or_null(jrow_get(row, "git_commit"));
	s->git_blob = dup_or_null(jrow_get(row, "git_blob"));
	s->git_dirty = dup_or_null(jrow_get(row, "git_dirty"));
	return 0;
}

/* --ignore-window is recorded in the event of the run's start or of
 * any of its resumptions. */
static int
event_row(void *arg, const struct jrow *row)
{
	struct side *s = arg;
	const char *kind = jrow_get(row, "kind"), *data = jrow_get(row, "data");

	if (kind && (strcmp(kind, "run-started") == 0 ||
	    strcmp(kind, "run-resumed") == 0) && data &&
	    strstr(data, "\"ignore_window\":true"))
		s->ignore_window = 1;
	return 0;
}

static void
add_file(struct side *s, const char *name, const char *text)
{
	s->names = xreallocarray(s->names, s->nfiles + 1, sizeof(*s->names));
	s->texts = xreallocarray(s->texts, s->nfiles + 1, sizeof(*s->texts));
	s->names[s->nfiles] = xstrdup(name);
	s->texts[s->nfiles++] = xstrdup(text);
}

static int
file_row(void *arg, const struct jrow *row)
{
	add_file(arg, jrow_get(row, "name"), jrow_get(row, "text"));
	return 0;
}

/* The files a side's job was built from, for reading its text again. */
static struct sources *
side_sources(const struct side *s)
{
	struct sources *src;
	size_t i;

	if (!s->file)
		return NULL;
	src = xmalloc(sizeof(*src));
	sources_init(src, s->file, SOURCE_STORED, NULL);
	for (i = 0; i < s->nfiles; i++)
		source_store(src, s->names[i], s->texts[i], strlen(s->texts[i]));
	return src;
}

static int
read_run(struct journal *jn, const char *id, struct side *s)
{
	int r;

	s->label = xasprintf("run %s", id);
	if ((r = journal_run(jn, id, NULL, run_row, s)) < 0)
		return -1;
	if (!r || !s->found || !s->text)
		return error("no run %s in the journal %s; 'runjob history' "
			"lists the runs", id, journal_path(jn));
	if (journal_run_files(jn, id, file_row, s) < 0)
		return -1;
	return journal_events(jn, id, event_row, s);
}

static int
read_file(const char *path, const char *real, const struct loaded *l,
	struct side *s)
{
	struct git_facts g;
	size_t i;

	s->label = xstrdup(path);
	s->file = xstrdup(real);
	s->text = xstrdup(l->job->text);
	for (i = 0; l->job->src && i < l->job->src->n; i++)
		if (l->job->src->v[i]->used)
			add_file(s, l->job->src->v[i]->name,
				loaded_file_text(l, l->job->src->v[i]));
	s->params = loaded_params_json(l);
	s->ignore_window = -1;
	if (l->at_rev.in_git)
		g = l->at_rev;
	else if (git_facts_of(&g, path, l->job->text, l->job->len) < 0)
		return -1;
	if (g.in_git) {
		s->git_commit = xstrdup(g.commit);
		s->git_blob = xstrdup(g.blob);
		s->git_dirty = xstrdup(g.dirty ? "1" : "0");
	}
	s->found = 1;
	return 0;
}

static void
side_free(struct side *s)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++) {
		free(s->names[i]);
		free(s->texts[i]);
	}
	free(s->names);
	free(s->texts);
	free(s->label);
	free(s->text);
	free(s->params);
	free(s->trigger);
	free(s->file);
	free(s->git_commit);
	free(s->git_blob);
	free(s->git_dirty);
}

static const char *
file_text(const struct side *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++)
		if (strcmp(s->names[i], name) == 0)
			return s->texts[i];
	return NULL;
}

/* One file of the job, as each side has it; a side without it has it
 * empty. Returns 1 when they differ, 0, or -1. */
static int
diff_file(const struct mask *m, const struct side *a, const struct side *b,
	const char *name)
{
	const char *ta = file_text(a, name), *tb = file_text(b, name);
	struct buf hunks = {0}, masked = {0};
	int r;

	r = git_text_diff(ta ? ta : "", ta ? strlen(ta) : 0, tb ? tb : "",
		tb ? strlen(tb) : 0, &hunks);
	if (r > 0 || (r == 0 && !ta != !tb)) {
		printf("--- %s: %s%s\n+++ %s: %s%s\n", a->label, name, ta ? "" :
			" (not used)", b->label, name, tb ? "" : " (not used)");
		mask_append(m, &masked, buf_str(&hunks));
		fputs(buf_str(&masked), stdout);
		r = 1;
	}
	buf_free(&hunks);
	buf_free(&masked);
	return r;
}

/* The files the jobs are built from besides the job file: templates,
 * presets, prelude and env files, by name. */
static int
diff_files(const struct mask *m, const struct side *a, const struct side *b)
{
	int differ = 0, r;
	size_t i;

	for (i = 0; i < a->nfiles; i++) {
		if ((r = diff_file(m, a, b, a->names[i])) < 0)
			return -1;
		differ |= r;
	}
	for (i = 0; i < b->nfiles; i++) {
		if (file_text(a, b->names[i]))
			continue;
		if ((r = diff_file(m, a, b, b->names[i])) < 0)
			return -1;
		differ |= r;
	}
	return differ;
}

/* The params: a name and value per entry, read from a side's JSON. */
struct pv {
	char **name, **value;
	size_t n;
};

static void
pv_add(void *arg, const char *name, const char *value)
{
	struct pv *p = arg;

	p->name = xreallocarray(p->name, p->n + 1, sizeof(*p->name));
	p->value = xreallocarray(p->value, p->n + 1, sizeof(*p->value));
	p->name[p->n] = xstrdup(name);
	p->value[p->n++] = xstrdup(value);
}

static const char *
pv_get(const struct pv *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
			return p->value[i];
	return NULL;
}

static void
pv_free(struct pv *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->name[i]);
		free(p->value[i]);
	}
	free(p->name);
	free(p->value);
}

static void
add_value(struct buf *b, const char *v)
{
	if (v)
		buf_add_json(b, v);
	else
		buf_adds(b, "(not a param)");
}

/* One param's line, when there is one to print; returns 1 when the two
 * differ. */
static int
param_line(struct buf *out, const char *name, const char *a, const char *b,
	const struct side *sa, const struct side *sb)
{
	int sec_a = a && strcmp(a, MASK_TEXT) == 0;
	int sec_b = b && strcmp(b, MASK_TEXT) == 0;

	if (sec_a && sec_b) {
		buf_addf(out, "  %s: secret, not compared (the journal keeps "
			"no trace of a secret's value)\n", name);
		return 0;
	}
	if (sec_a || sec_b) {
		/* The other side's value may be that very secret. */
		buf_addf(out, "  %s: secret in %s only; its values are not "
			"shown\n", name, sec_a ? sa->label : sb->label);
		return 1;
	}
	if (a && b && strcmp(a, b) == 0)
		return 0;
	buf_addf(out, "  %s: ", name);
	add_value(out, a);
	buf_adds(out, " -> ");
	add_value(out, b);
	buf_addc(out, '\n');
	return 1;
}

static int
compare_params(struct buf *out, const struct side *a, const struct side *b)
{
	struct pv pa = {0}, pb = {0};
	size_t i;
	int differ = 0;

	if (json_each_string(a->params, pv_add, &pa) < 0 ||
	    json_each_string(b->params, pv_add, &pb) < 0) {
		pv_free(&pa);
		pv_free(&pb);
		return error("the params recorded are not a JSON object "
			"of strings");
	}
	for (i = 0; i < pa.n; i++)
		differ |= param_line(out, pa.name[i], pa.value[i],
			pv_get(&pb, pa.name[i]), a, b);
	for (i = 0; i < pb.n; i++)
		if (!pv_get(&pa, pb.name[i]))
			differ |= param_line(out, pb.name[i], NULL,
				pb.value[i], a, b);
	pv_free(&pa);
	pv_free(&pb);
	return differ;
}

static const char *
or_none(const char *s)
{
	return s ? (*s ? s : "(no commit)") : "(not in git)";
}

/* A fact of both sides; a NULL on a file's side is not compared. */
static int
fact_line(struct buf *out, const char *what, const char *a, const char *b)
{
	if ((a && b && strcmp(a, b) == 0) || (!a && !b))
		return 0;
	buf_addf(out, "  %s: %s -> %s\n", what, or_none(a), or_none(b));
	return 1;
}

static const char *
dirty_word(const char *d)
{
	return !d ? NULL : strcmp(d, "0") == 0 ? "clean" : "dirty";
}

static int
cmd_diff(int argc, char **argv)
{
	struct diags d = {0};
	struct journal *jn = NULL;
	struct side a = {0}, b = {0};
	struct loaded l;
	struct buf hunks = {0}, params = {0}, opts = {0}, git = {0};
	struct buf masked = {0};
	struct mask m = {0};
	struct opts o;
	char real[PATH_MAX], *jpath;
	const char *second;
	int first, code = EXIT_USAGE, differ = 0, r, is_file = 0;

	memset(&l, 0, sizeof(l));
	if ((first = parse_opts("diff", argc, argv, &o, "journal param "
	    "env-file")) < 0)
		return first == -2 ? EXIT_OK : EXIT_USAGE;
	if (argc - first != 2) {
		free_opts(&o);
		return usage_error("diff", "diff takes two runs, or a run and "
			"a job file");
	}
	second = argv[first + 1];
	is_file = strstr(second, ".yaml") || strstr(second, ".yml") ||
		strchr(second, '/');
	if (!is_file && (o.params.nset || o.params.nenv_files)) {
		free_opts(&o);
		return usage_error("diff", "-p and --env-file give the params "
			"of a job file; two runs have theirs");
	}
	if (is_file) {
		if (load(&l, second, &o, &d) < 0) {
			diags_print(&d, 0);
			fprintf(stderr, "%s: %zu error%s\n", second, d.nerrors,
				d.nerrors == 1 ? "" : "s");
			code = EXIT_INVALID;
			goto out;
		}
		diags_print(&d, 0);
		job_path_real(second, real);
	}
	jpath = journal_choose(o.journal, is_file ? real : NULL);
	r = journal_open(&jn, jpath, JOURNAL_READ);
	free(jpath);
	if (r < 0 || read_run(jn, argv[first], &a) < 0)
		goto out;
	if (is_file ? read_file(second, real, &l, &b) < 0 :
	    read_run(jn, second, &b) < 0)
		goto out;

	mask_text_secrets(&m, a.text, a.file, side_sources(&a));
	mask_text_secrets(&m, b.text, b.file, side_sources(&b));
	if (is_file) {
		size_t i;

		for (i = 0; i < l.job->nparams; i++)
			if (l.job->params[i].secret)
				mask_add(&m, l.values.value[i]);
	}
	if ((r = git_text_diff(a.text, strlen(a.text), b.text, strlen(b.text),
	    &hunks)) < 0)
		goto out;
	if (r) {
		differ = 1;
		printf("--- %s\n+++ %s\n", a.label, b.label);
		mask_append(&m, &masked, buf_str(&hunks));
		fputs(buf_str(&masked), stdout);
	}

	if ((r = diff_files(&m, &a, &b)) < 0)
		goto out;
	differ |= r;

	if ((r = compare_params(&params, &a, &b)) < 0)
		goto out;
	differ |= r;
	if (params.len)
		printf("params:\n%s", buf_str(&params));

	differ |= fact_line(&opts, "job file", a.file, b.file);
	if (!is_file)
		differ |= fact_line(&opts, "trigger", a.trigger, b.trigger);
	if (a.ignore_window >= 0 && b.ignore_window >= 0)
		differ |= fact_line(&opts, "--ignore-window",
			a.ignore_window ? "given" : "not given",
			b.ignore_window ? "given" : "not given");
	if (opts.len)
		printf("options:\n%s", buf_str(&opts));

	differ |= fact_line(&git, "commit", a.git_commit, b.git_commit);
	/* The blob is the text's: its difference is the diff above. */
	differ |= fact_line(&git, "work tree", dirty_word(a.git_dirty),
		dirty_word(b.git_dirty));
	if (git.len)
		printf("git:\n%s", buf_str(&git));
	code = differ ? 1 : EXIT_OK;
out:
	if (is_file && l.job)
		unload(&l);
	diags_free(&d);
	side_free(&a);
	side_free(&b);
	buf_free(&hunks);
	buf_free(&masked);
	buf_free(&params);
	buf_free(&opts);
	buf_free(&git);
	mask_free(&m);
	journal_close(jn);
	free_opts(&o);
	return code;
}

const struct command cmd_diff_entry = { "diff", cmd_diff,
	"diff [--journal PATH] [-p NAME=VALUE]... [--env-file FILE]... RUN_A RUN_B | RUN JOB.yaml",
	"how two runs' job texts, params, options and git versions differ",
	"--journal PATH     the journal to read\n"
	"-p NAME=VALUE      a param of the job file, as a run would take it\n"
	"--env-file FILE    param values for the job file\n" };
