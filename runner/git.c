/*
 * git.c - the libgit2 adapter.
 *
 * runjob diff uses libgit2's diff (git_patch_from_buffers, git's own
 * xdiff) rather than one of its own: it is the diff git prints, already
 * linked, and its linear-space Myers with heuristics diffs two 1 MB
 * job texts in well under the 0.2 s runjob diff allows itself.
 */
#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "git.h"
#include "util.h"

static int
git_fail(const char *what, const char *path)
{
	const git_error *e = git_error_last();

	return error("git: %s for %s: %s", what, path,
		e && e->message ? e->message : "unknown error");
}

int
git_facts_of(struct git_facts *f, const char *path, const char *text,
	size_t len)
{
	git_repository *repo = NULL;
	git_tree_entry *entry = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_oid head, blob;
	char real[PATH_MAX], *dir, *slash;
	const char *workdir;
	int r, ret = -1;

	memset(f, 0, sizeof(*f));
	if (!realpath(path, real))
		return 0;	/* a file that is gone is in no repository */
	dir = xstrdup(real);
	if ((slash = strrchr(dir, '/')))
		*(slash == dir ? slash + 1 : slash) = '\0';
	git_libgit2_init();
	r = git_repository_open_ext(&repo, dir, 0, NULL);
	free(dir);
	if (r == GIT_ENOTFOUND) {
		ret = 0;
		goto out;
	}
	if (r < 0 || !(workdir = git_repository_workdir(repo))) {
		ret = r < 0 ? git_fail("cannot open the repository", path) : 0;
		goto out;
	}
	f->in_git = 1;
	/* The blob id of the text that runs, as git would name it. */
	if (git_odb_hash(&blob, text, len, GIT_OBJECT_BLOB) < 0) {
		git_fail("cannot hash the job text", path);
		goto out;
	}
	git_oid_tostr(f->blob, sizeof(f->blob), &blob);
	r = git_reference_name_to_id(&head, repo, "HEAD");
	if (r == GIT_ENOTFOUND || r == GIT_EUNBORNBRANCH) {
		f->dirty = 1;		/* nothing committed yet */
		ret = 0;
		goto out;
	}
	if (r < 0 || git_commit_lookup(&commit, repo, &head) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		git_fail("cannot read HEAD", path);
		goto out;
	}
	git_oid_tostr(f->commit, sizeof(f->commit), &head);
	r = strncmp(real, workdir, strlen(workdir)) == 0 ?
		git_tree_entry_bypath(&entry, tree, real + strlen(workdir)) :
		GIT_ENOTFOUND;
	f->dirty = r < 0 || !git_oid_equal(git_tree_entry_id(entry), &blob);
	ret = 0;
out:
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ret;
}

static int
diff_line(const git_diff_delta *delta, const git_diff_hunk *hunk,
	const git_diff_line *line, void *payload)
{
	struct buf *out = payload;

	(void)delta;
	(void)hunk;
	switch (line->origin) {
	case GIT_DIFF_LINE_CONTEXT:
	case GIT_DIFF_LINE_ADDITION:
	case GIT_DIFF_LINE_DELETION:
		buf_addc(out, line->origin);
		/* FALLTHROUGH */
	case GIT_DIFF_LINE_HUNK_HDR:
	case GIT_DIFF_LINE_CONTEXT_EOFNL:
	case GIT_DIFF_LINE_ADD_EOFNL:
	case GIT_DIFF_LINE_DEL_EOFNL:
		buf_add(out, line->content, line->content_len);
		break;
	default:		/* the file header: the caller's */
		break;
	}
	return 0;
}

int
git_text_diff(const char *a, size_t alen, const char *b, size_t blen,
	struct buf *out)
{
	git_diff_options opts;
	git_patch *patch = NULL;
	int ret = -1;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	if (alen == blen && memcmp(a, b, alen) == 0)
		return 0;
	/* A job text is text, whatever bytes it holds. */
	opts.flags = GIT_DIFF_FORCE_TEXT;
	opts.context_lines = 3;
	git_libgit2_init();
	if (git_patch_from_buffers(&patch, a, alen, "a", b, blen, "b",
	    &opts) < 0 || git_patch_print(patch, diff_line, out) < 0)
		git_fail("cannot diff", "the job texts");
	else
		ret = 1;
	git_patch_free(patch);
	git_libgit2_shutdown();
	return ret;
}

/* Say in err what went wrong, with libgit2's reason when there is one. */
static int
git_err(char *err, size_t n, const char *what)
{
	const git_error *e = git_error_last();

	snprintf(err, n, "%s%s%s", what, e && e->message ? ": " : "",
		e && e->message ? e->message : "");
	return -1;
}

int
git_read_at(const char *path, const char *rev, char **text, size_t *len,
	struct git_facts *f, char *err, size_t errsize)
{
	git_repository *repo = NULL;
	git_object *obj = NULL, *peeled = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	const char *workdir = NULL, *base, *slash = strrchr(path, '/');
	char real[PATH_MAX], *dir, *rel = NULL;
	size_t wlen, n;
	int r, ret = -1;

	dir = slash ? xasprintf("%.*s", (int)(slash == path ? 1 :
		slash - path), path) : xstrdup(".");
	base = slash ? slash + 1 : path;
	r = realpath(dir, real) ? 0 : -1;
	free(dir);
	if (r < 0) {
		snprintf(err, errsize, "the directory of %s is not there", path);
		return -1;
	}
	git_libgit2_init();
	r = git_repository_open_ext(&repo, real, 0, NULL);
	if (r == GIT_ENOTFOUND || (r == 0 &&
	    !(workdir = git_repository_workdir(repo)))) {
		snprintf(err, errsize, "%s is not in a git work tree; "
			"FILE@REV reads a job file from its repository", path);
		goto out;
	}
	if (r < 0) {
		git_err(err, errsize, "cannot open the repository");
		goto out;
	}
	/* The path in the repository: real, less the work tree's top. */
	wlen = strlen(workdir);
	n = strlen(real);
	if (n + 1 == wlen && strncmp(real, workdir, n) == 0)
		rel = xstrdup(base);
	else if (strncmp(real, workdir, wlen) == 0)
		rel = xasprintf("%s/%s", real + wlen, base);
	else {
		snprintf(err, errsize, "%s is outside the work tree %s", path,
			workdir);
		goto out;
	}
	if (git_revparse_single(&obj, repo, rev) < 0) {
		snprintf(err, errsize, "no revision '%s' in the repository "
			"%s; 'git log' and 'git tag' list them", rev, workdir);
		goto out;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		snprintf(err, errsize, "'%s' names no commit", rev);
		goto out;
	}
	if (git_commit_tree(&tree, (git_commit *)peeled) < 0) {
		git_err(err, errsize, "cannot read the commit's tree");
		goto out;
	}
	if (git_tree_entry_bypath(&entry, tree, rel) < 0 ||
	    git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		char id[41];

		git_oid_tostr(id, sizeof(id), git_object_id(peeled));
		snprintf(err, errsize, "there is no file %s at %s (commit "
			"%.12s)", rel, rev, id);
		goto out;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0) {
		git_err(err, errsize, "cannot read the file's blob");
		goto out;
	}
	*len = (size_t)git_blob_rawsize(blob);
	*text = xmalloc(*len + 1);
	memcpy(*text, git_blob_rawcontent(blob), *len);
	(*text)[*len] = '\0';
	if (f) {
		memset(f, 0, sizeof(*f));
		f->in_git = 1;
		git_oid_tostr(f->commit, sizeof(f->commit),
			git_object_id(peeled));
		git_oid_tostr(f->blob, sizeof(f->blob),
			git_tree_entry_id(entry));
	}
	ret = 0;
out:
	free(rel);
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_object_free(peeled);
	git_object_free(obj);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ret;
}
