/*
 * param.c - parameter values and where they come from.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "expand.h"
#include "git.h"
#include "name.h"
#include "param.h"
#include "util.h"

enum { ENV_FILE_MAX = 1 << 20 };

static long
param_index(const struct job *job, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < job->nparams; i++)
		if (job->params[i].name && strlen(job->params[i].name) == len &&
		    memcmp(job->params[i].name, name, len) == 0)
			return (long)i;
	return -1;
}

static const char *const *
param_names(struct job *job)
{
	const char **v = arena_calloc(&job->arena,
		job->nparams + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < job->nparams; i++)
		v[i] = job->params[i].name ? job->params[i].name : "";
	return v;
}

static void
unknown_param(struct job *job, struct diags *d, const char *file,
	unsigned line, const char *name, int fatal_)
{
	const char *hint = did_you_mean(name, param_names(job));
	char extra[160] = "";

	if (hint)
		snprintf(extra, sizeof(extra), "; did you mean '%s'?", hint);
	if (fatal_)
		diag_error(d, file, line, line ? 1 : 0, "'%s' is not a param of "
			"job '%s'%s", name, job->name ? job->name : "?", extra);
	else
		diag_warn(d, file, line, line ? 1 : 0, "'%s' is not a param of "
			"job '%s'; ignored%s", name, job->name ? job->name : "?",
			extra);
}

/* The lines of an env file: NAME=VALUE lines, '#' comments, blank lines,
 * an optional "export " and one pair of matching quotes around the
 * value. Values found are stored into value[]/source[] (later calls
 * win); *secret_given says whether one was a secret param's. */
static int
env_lines(struct job *job, struct diags *d, const char *path,
	const char *label, char *text, const char **value, const char **source,
	int *secret_given)
{
	struct arena *a = &job->arena;
	char *p, *line;
	unsigned lineno = 0;
	int bad = 0;

	for (p = text; *p; ) {
		char *eq, *val, *end;
		long i;

		line = p;
		p += strcspn(p, "\n");
		if (*p)
			*p++ = '\0';
		lineno++;
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		if (strncmp(line, "export ", 7) == 0)
			line += 7 + strspn(line + 7, " \t");
		eq = strchr(line, '=');
		if (!eq || eq == line) {
			bad = diag_error(d, path, lineno, 1, "not a NAME=VALUE "
				"line");
			continue;
		}
		if (eq[-1] == ' ' || eq[-1] == '\t' || eq[1] == ' ' ||
		    eq[1] == '\t') {
			bad = diag_error(d, path, lineno, 1, "blanks around '=' "
				"are not allowed; write NAME=VALUE");
			continue;
		}
		*eq = '\0';
		val = eq + 1;
		end = val + strlen(val);
		if (end - val >= 2 && (*val == '"' || *val == '\'') &&
		    end[-1] == *val) {
			val++;
			*--end = '\0';
		}
		if ((i = param_index(job, line, strlen(line))) < 0) {
			unknown_param(job, d, path, lineno, line, 0);
			continue;
		}
		value[i] = val;
		source[i] = arena_printf(a, "%s %s", label, path);
		*secret_given |= job->params[i].secret;
	}
	return bad;
}

/* An env_files: entry of a job read at a git revision: read at that
 * revision too, so that the run is what the job was then. */
static int
env_file_at_rev(struct job *job, struct diags *d, const char *path,
	const char *entry, const char *label, const char **value,
	const char **source)
{
	char err[PATH_MAX + 512], *blob, *text;
	const char *name = arena_printf(&job->arena, "%s@%s", path, job->rev);
	int secret_given = 0;
	size_t len;

	if (git_read_at(path, job->rev, &blob, &len, NULL, err,
	    sizeof(err)) < 0)
		return diag_error(d, name, 0, 0, "cannot read the env file: %s",
			err);
	if (len > ENV_FILE_MAX || memchr(blob, '\0', len)) {
		free(blob);
		return diag_error(d, name, 0, 0, "the env file must be text of "
			"at most 1 MiB, without NUL bytes");
	}
	text = arena_alloc(&job->arena, len + 1);
	memcpy(text, blob, len + 1);
	free(blob);
	if (job->src)
		source_keep(job->src, entry, SOURCE_ENV, text, len);
	return env_lines(job, d, name, label, text, value, source,
		&secret_given);
}

/* Read one env file, from the work tree or, for the env_files: of a job
 * read at a git revision, at that revision. */
static int
env_file(struct job *job, struct diags *d, const char *path,
	const char *entry, const char *label, const char **value,
	const char **source)
{
	struct arena *a = &job->arena;
	char *text;
	struct stat st;
	size_t len = 0;
	ssize_t r;
	int fd, bad, secret_given = 0;

	if (job->rev && strcmp(label, "env_files") == 0)
		return env_file_at_rev(job, d, path, entry, label, value,
			source);

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return diag_error(d, path, 0, 0, "cannot open the env file: %s",
			strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > ENV_FILE_MAX) {
		close(fd);
		return diag_error(d, path, 0, 0, "the env file must be a "
			"regular file of at most 1 MiB");
	}
	text = arena_alloc(a, (size_t)st.st_size + 1);
	while (len < (size_t)st.st_size &&
	    (r = read(fd, text + len, (size_t)st.st_size - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return diag_error(d, path, 0, 0, "cannot read the env "
				"file: %s", strerror(errno));
		}
		len += (size_t)r;
	}
	close(fd);
	text[len] = '\0';
	if (memchr(text, '\0', len))
		return diag_error(d, path, 0, 0, "the env file holds a NUL byte; "
			"values may not contain NUL");
	if (entry && job->src)
		source_keep(job->src, entry, SOURCE_ENV, text, len);
	bad = env_lines(job, d, path, label, text, value, source,
		&secret_given);
	if (secret_given && (st.st_mode & 077))
		diag_warn(d, path, 0, 0, "gives a secret param but is readable "
			"by other users (mode %04o); run: chmod 600 %s",
			(unsigned)(st.st_mode & 07777), path);
	return bad;
}

/* The path of an env_files: entry, relative to the job file's directory. */
static const char *
job_relative(struct job *job, const char *path)
{
	/* FILE@REV: the directory of FILE; REV may hold a '/'. */
	size_t n = job->rev ? (size_t)(job->rev - 1 - job->file) :
		strlen(job->file);
	const char *slash = memrchr(job->file, '/', n);

	if (path[0] == '/' || !slash)
		return path;
	return arena_printf(&job->arena, "%.*s/%s",
		(int)(slash - job->file), job->file, path);
}

static int
match(const char *pattern, const char *value)
{
	regex_t re;
	int r;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return 1;	/* reported by params_check */
	r = regexec(&re, value, 0, NULL, 0) == 0;
	regfree(&re);
	return r;
}

static int
in_enum(const struct param *p, const char *value)
{
	size_t i;

	for (i = 0; i < p->nenums; i++)
		if (p->enums[i] && strcmp(p->enums[i], value) == 0)
			return 1;
	return 0;
}

void
params_check(struct job *job, struct diags *d)
{
	size_t i, j;

	for (i = 0; i < job->nparams; i++) {
		const struct param *p = &job->params[i];
		regex_t re;
		char msg[256];
		int r;

		if (p->pattern) {
			r = regcomp(&re, p->pattern, REG_EXTENDED | REG_NOSUB);
			if (r != 0) {
				regerror(r, &re, msg, sizeof(msg));
				diag_error(d, MARK_FILE(job, p->pattern_at), p->pattern_at.line,
					p->pattern_at.col, "param %s: pattern "
					"'%s' is not a valid extended regular "
					"expression: %s", p->name, p->pattern, msg);
				continue;
			}
			regfree(&re);
		}
		if (p->def && p->pattern && !match(p->pattern, p->def))
			diag_error(d, MARK_FILE(job, p->at), p->at.line, p->at.col, "param "
				"%s: its default '%s' does not match its pattern "
				"'%s'", p->name, p->secret ? "***" : p->def,
				p->pattern);
		if (p->def && p->nenums && !in_enum(p, p->def))
			diag_error(d, MARK_FILE(job, p->at), p->at.line, p->at.col, "param "
				"%s: its default '%s' is not one of its enum "
				"values", p->name, p->secret ? "***" : p->def);
		for (j = 0; p->pattern && j < p->nenums; j++)
			if (p->enums[j] && !match(p->pattern, p->enums[j]))
				diag_error(d, MARK_FILE(job, p->enum_at), p->enum_at.line,
					p->enum_at.col, "param %s: enum value "
					"'%s' does not match the pattern", p->name,
					p->enums[j]);
	}
}

/* A secret param with no value. Not -p, which shows it in the process
 * list, but its env: variable or an env file. When a past run is taken
 * up its secrets must come again, as the journal never kept them; one
 * that is not required may have had a value then, so that is said too. */
static void
no_secret(struct job *job, struct diags *d, const struct param *p,
	int unkept)
{
	struct buf how = {0};
	const char *file = MARK_FILE(job, p->at);

	if (p->env)
		buf_addf(&how, "set $%s (its env: variable) or ", p->env);
	buf_addf(&how, "put %s=VALUE in a file given with --env-file FILE",
		p->name);
	if (unkept && p->required)
		diag_error(d, file, p->at.line, p->at.col, "secret param %s "
			"has no value: secrets are never kept in the journal, so "
			"it must be given again: %s", p->name, buf_str(&how));
	else if (unkept)
		diag_warn(d, file, p->at.line, p->at.col, "secret param %s "
			"has no value now, and secrets are never kept in the "
			"journal: if the run had one, %s", p->name, buf_str(&how));
	else
		diag_error(d, file, p->at.line, p->at.col, "secret param %s "
			"is required and has no value; %s", p->name, buf_str(&how));
	buf_free(&how);
}

int
params_resolve(struct param_values *out, struct job *job,
	const struct param_args *args, struct diags *d)
{
	size_t nerrors = d->nerrors, i;
	const char **value, **source;
	struct arena *a = &job->arena;

	value = arena_calloc(a, job->nparams + 1, sizeof(*value));
	source = arena_calloc(a, job->nparams + 1, sizeof(*source));
	out->value = value;
	out->source = source;
	out->n = job->nparams;

	/* Lowest precedence first, so that each later source overwrites. */
	for (i = 0; i < job->nparams; i++) {
		const struct param *p = &job->params[i];
		const char *env = p->env ? getenv(p->env) : NULL;

		if (env) {
			value[i] = env;
			source[i] = arena_printf(a, "$%s", p->env);
		} else if (p->def) {
			value[i] = p->def;
			source[i] = "default";
		}
	}
	for (i = 0; i < job->nenv_files; i++)
		if (job->env_files[i])
			env_file(job, d, job_relative(job, job->env_files[i]),
				job->env_files[i], "env_files", value, source);
	for (i = 0; i < args->nenv_files; i++)
		env_file(job, d, args->env_files[i], NULL, "--env-file", value,
			source);
	for (i = 0; i < args->nset; i++) {
		const char *eq = strchr(args->set[i], '=');
		long k;

		if (!eq || eq == args->set[i]) {
			diag_error(d, NULL, 0, 0, "-p %s: write -p NAME=VALUE",
				args->set[i]);
			continue;
		}
		k = param_index(job, args->set[i], (size_t)(eq - args->set[i]));
		if (k < 0) {
			char *name = xstrndup(args->set[i],
				(size_t)(eq - args->set[i]));

			unknown_param(job, d, "-p", 0, name, 1);
			free(name);
			continue;
		}
		value[k] = eq + 1;
		source[k] = "-p";
	}

	for (i = 0; i < job->nparams; i++) {
		const struct param *p = &job->params[i];
		const char *v = value[i];

		if (!p->name)
			continue;
		if (!v) {
			if (p->secret && (p->required || args->unkept))
				no_secret(job, d, p, args->unkept);
			else if (p->required)
				diag_error(d, MARK_FILE(job, p->at), p->at.line, p->at.col,
					"param %s is required and has no value; "
					"give it with -p %s=VALUE or an env file%s%s",
					p->name, p->name, p->env ? ", or set $" : "",
					p->env ? p->env : "");
			value[i] = "";
			source[i] = "unset";
			continue;
		}
		if (p->secret && strcmp(source[i], "-p") == 0)
			diag_warn(d, NULL, 0, 0, "secret param %s was given with "
				"-p, where other users can see it in the process "
				"list; prefer its env: variable or --env-file",
				p->name);
		if (p->pattern && !match(p->pattern, v))
			diag_error(d, MARK_FILE(job, p->at), p->at.line, p->at.col, "param %s: "
				"value '%s' (from %s) does not match pattern '%s'",
				p->name, p->secret ? "***" : v, source[i],
				p->pattern);
		if (p->nenums && !in_enum(p, v)) {
			struct buf b = {0};
			size_t j;

			for (j = 0; j < p->nenums; j++)
				buf_addf(&b, "%s%s", j ? ", " : "",
					p->enums[j] ? p->enums[j] : "");
			diag_error(d, MARK_FILE(job, p->at), p->at.line, p->at.col, "param %s: "
				"value '%s' (from %s) is not one of: %s", p->name,
				p->secret ? "***" : v, source[i], buf_str(&b));
			buf_free(&b);
		}
	}
	return d->nerrors > nerrors ? -1 : 0;
}

struct with_scan {
	const struct job *job;
	const struct param_values *pv;
	size_t len;		/* of the value */
	int secret;		/* it names a secret param */
	int whole;		/* it is one ${{ params.NAME }}, of a secret */
};

static const char *
with_ref(void *arg, const struct ref *r)
{
	struct with_scan *x = arg;
	long i;

	if (r->kind != REF_PARAM ||
	    (i = param_index(x->job, r->name, r->namelen)) < 0)
		return NULL;
	if (x->job->params[i].secret) {
		x->secret = 1;
		x->whole = r->start == 0 && r->end == x->len;
	}
	return x->pv->value ? x->pv->value[i] : NULL;
}

void
params_check_withs(const struct job *job, const struct param_values *pv,
	struct diags *d)
{
	size_t i;

	for (i = 0; i < job->nwiths; i++) {
		const struct with_value *w = &job->withs[i];
		const struct param *p = w->param;
		struct with_scan x = { job, pv, strlen(w->value), 0, 0 };
		const char *why, *file = MARK_FILE(job, w->at), *v;
		struct buf b = {0};

		if (expand(&b, w->value, with_ref, &x, &why) < 0) {
			buf_free(&b);
			continue;	/* check.c says why */
		}
		v = x.secret ? "***" : buf_str(&b);
		if (p->secret && !x.whole)
			diag_error(d, file, w->at.line, w->at.col, "step '%s': "
				"param %s of %s is secret; give it a secret param "
				"of this job, as \"${{ params.NAME }}\" where NAME "
				"has secret: true, so that its value is masked",
				w->use, p->name, w->template);
		else if (p->pattern && !strstr(buf_str(&b), "${{") &&
		    !match(p->pattern, buf_str(&b)))
			diag_error(d, file, w->at.line, w->at.col, "step '%s': "
				"with: %s: value '%s' does not match the pattern "
				"'%s' of the param in %s", w->use, p->name, v,
				p->pattern, w->template);
		if (p->nenums && !strstr(buf_str(&b), "${{") &&
		    !in_enum(p, buf_str(&b))) {
			struct buf list = {0};
			size_t j;

			for (j = 0; j < p->nenums; j++)
				buf_addf(&list, "%s%s", j ? ", " : "",
					p->enums[j] ? p->enums[j] : "");
			diag_error(d, file, w->at.line, w->at.col, "step '%s': "
				"with: %s: value '%s' is not one of: %s (the enum "
				"of the param in %s)", w->use, p->name, v,
				buf_str(&list), w->template);
			buf_free(&list);
		}
		buf_free(&b);
	}
}

const char *
param_value(const struct job *job, const struct param_values *pv,
	const char *name)
{
	long i = param_index(job, name, strlen(name));

	return i < 0 || !pv->value ? NULL : pv->value[i];
}
