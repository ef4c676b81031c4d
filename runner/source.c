/*
 * source.c - the files a job is built from, each read once.
 *
 * A file is named relative to the job file's directory, whoever names
 * it, so that a run records one name per file and a resume or a diff
 * finds it again whichever way it is read.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diag.h"
#include "git.h"
#include "load.h"
#include "sha256.h"
#include "source.h"
#include "util.h"

void
sources_init(struct sources *s, const char *file, enum source_mode mode,
	const char *rev)
{
	const char *slash = strrchr(file, '/');

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->rev = rev;
	s->dir = slash ? xstrndup(file, (size_t)(slash - file + 1)) :
		xstrdup("");
	s->self = slash ? slash + 1 : file;
}

void
sources_free(struct sources *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i]->name);
		free(s->v[i]->path);
		free(s->v[i]->text);
		free(s->v[i]);
	}
	free(s->v);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

const char *
source_kind_name(enum source_kind kind)
{
	static const char *const names[] = { "template", "preset", "prelude",
		"env file" };

	return names[kind];
}

/* Drop "." and "name/.." from path, in place; leading ".." stay. */
static void
plain(char *path)
{
	char **part = NULL, *p, *save = NULL, *copy = xstrdup(path);
	size_t n = 0, i;
	int abs = *path == '/';

	for (p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0 && n && strcmp(part[n - 1], "..")) {
			n--;
			continue;
		}
		if (strcmp(p, "..") == 0 && abs)
			continue;
		part = xreallocarray(part, n + 1, sizeof(*part));
		part[n++] = p;
	}
	*path = '\0';
	p = path;
	if (abs)
		*p++ = '/';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "/" : "", part[i]);
	*p = '\0';
	free(part);
	free(copy);
}

char *
source_name(const char *from, const char *ref)
{
	const char *slash = from ? strrchr(from, '/') : NULL;
	char *name;

	if (ref[0] == '/' || !slash)
		name = xstrdup(ref);
	else
		name = xasprintf("%.*s/%s", (int)(slash - from), from, ref);
	plain(name);
	return name;
}

/* The directory that bounds the job's files: the top of the git work
 * tree holding dir (1), else dir itself (0); -1 when dir is not there. */
static int
boundary(const char *dir, char *top)
{
	char probe[PATH_MAX + 8];
	struct stat st;
	char *slash;

	if (!realpath(*dir ? dir : ".", top))
		return -1;
	for (;;) {
		snprintf(probe, sizeof(probe), "%s/.git", strcmp(top, "/") ?
			top : "");
		if (stat(probe, &st) == 0)
			return 1;
		if (!(slash = strrchr(top, '/')) || slash == top)
			break;
		*slash = '\0';
	}
	return realpath(*dir ? dir : ".", top) ? 0 : -1;
}

/* Refuse a file outside the job's repository, or its directory when it
 * is in none: a job must not read /etc/shadow into its journal because
 * someone edited a uses: line. */
static int
inside(struct sources *s, const char *path, char *err, size_t errsize)
{
	char top[PATH_MAX], real[PATH_MAX];
	size_t n;
	int repo;

	if (s->allow_outside)
		return 0;
	if ((repo = boundary(s->dir, top)) < 0 || !realpath(path, real))
		return 0;	/* load_file says what is wrong */
	n = strlen(top);
	if (strncmp(real, top, n) == 0 && (real[n] == '/' || real[n] == '\0' ||
	    n == 1))
		return 0;
	snprintf(err, errsize, "%s is outside %s, the %s; keep the files a "
		"job is built from with it, or give --allow-outside", path, top,
		repo ? "git work tree that holds the job" :
		"directory of the job, which is in no git work tree");
	return -1;
}

static int
read_work(struct sources *s, struct source_file *f, char *err,
	size_t errsize)
{
	struct diags d = {0};
	int r;

	if (inside(s, f->path, err, errsize) < 0)
		return -1;
	r = load_file(&f->text, &f->len, f->path, &d);
	if (r < 0) {
		const char *m = d.n ? d.v[0].msg : "cannot be read";

		/* load_file speaks of "the job file"; this is another. */
		if (strncmp(m, "cannot open the job file: ", 26) == 0)
			snprintf(err, errsize, "cannot open %s: %s", f->path,
				m + 26);
		else
			snprintf(err, errsize, "%s %s", f->path, m);
	}
	diags_free(&d);
	return r;
}

static int
read_rev(struct sources *s, struct source_file *f, char *err, size_t errsize)
{
	if (git_read_at(f->path, s->rev, &f->text, &f->len, NULL, err,
	    errsize) < 0)
		return -1;
	if (f->len > LOAD_MAX_FILE) {
		snprintf(err, errsize, "%s is over %u bytes at %s", f->path,
			LOAD_MAX_FILE, s->rev);
		return -1;
	}
	return 0;
}

static struct source_file *
find(struct sources *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i]->name, name) == 0)
			return s->v[i];
	return NULL;
}

static struct source_file *
add(struct sources *s, const char *name)
{
	struct source_file *f = xcalloc(1, sizeof(*f));

	f->name = xstrdup(name);
	f->path = name[0] == '/' ? xstrdup(name) :
		xasprintf("%s%s", s->dir, name);
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = f;
	return f;
}

int
source_read(struct sources *s, const char *name, enum source_kind kind,
	struct source_file **out, char *err, size_t errsize)
{
	struct source_file *f = find(s, name);

	if (f && (f->used || s->mode == SOURCE_STORED)) {
		f->used = 1;
		f->kind = kind;
		*out = f;
		return 0;
	}
	if (s->mode == SOURCE_STORED) {
		snprintf(err, errsize, "%s%s was not stored with the run", s->dir,
			name);
		return -1;
	}
	f = add(s, name);
	f->kind = kind;
	s->reads++;
	if ((s->mode == SOURCE_REV ? read_rev(s, f, err, errsize) :
	    read_work(s, f, err, errsize)) < 0) {
		free(f->name);
		free(f->path);
		free(f);
		s->n--;
		return -1;
	}
	sha256_hex(f->text, f->len, f->sha256);
	f->used = 1;
	*out = f;
	return 0;
}

struct source_file *
source_store(struct sources *s, const char *name, const char *text,
	size_t len)
{
	struct source_file *f = find(s, name);

	if (!f)
		f = add(s, name);
	free(f->text);
	f->text = xstrndup(text, len);
	f->len = len;
	sha256_hex(f->text, f->len, f->sha256);
	return f;
}

void
source_keep(struct sources *s, const char *name, enum source_kind kind,
	const char *text, size_t len)
{
	char *plain = source_name(NULL, name);
	struct source_file *f = source_store(s, plain, text, len);

	f->kind = kind;
	f->used = 1;
	free(plain);
}
