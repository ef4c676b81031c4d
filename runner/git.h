/*
 * git.h - which version of a job file runs: the only code that talks to
 * libgit2. No git program is needed.
 */
#ifndef RUNJOB_GIT_H
#define RUNJOB_GIT_H

#include <stddef.h>

struct git_facts {
	int in_git;		/* the file is inside a git work tree */
	char commit[41];	/* HEAD; "" before the first commit */
	char blob[41];		/* the blob id of the text that runs */
	int dirty;		/* that text differs from the file at HEAD */
};

/* What git says of the job file at path, whose text is text (len
 * bytes). Returns 0 (in_git 0 when not in git), or -1 with a message. */
int git_facts_of(struct git_facts *f, const char *path, const char *text,
	size_t len);

/* The file at path as it was at rev (a commit, tag, branch, HEAD~2: what
 * git rev-parse takes), read from the object database of the repository
 * whose work tree holds path's directory, never from the work tree:
 * *text (malloc'd, *len bytes and a NUL). f, when not NULL, gets rev's
 * commit, the blob id, dirty 0. Returns 0, or -1 with what is wrong in
 * err (an unknown rev, a path not in rev's tree, no repository). */
int git_read_at(const char *path, const char *rev, char **text, size_t *len,
	struct git_facts *f, char *err, size_t errsize);

/* The unified diff (three lines of context) of text a against text b
 * appended to out, hunks only: the caller writes the ---/+++ lines.
 * Returns 0 when the texts are the same, 1 when they differ, -1 with a
 * message. */
struct buf;
int git_text_diff(const char *a, size_t alen, const char *b, size_t blen,
	struct buf *out);

#endif
