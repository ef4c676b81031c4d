/*
 * source.h - the files a job is built from besides the job file itself:
 * the templates it uses, the presets it extends, its prelude file, its
 * env files. Each is read once, from the work tree, from git at a
 * revision, or as a run stored it, and kept with its SHA-256 so that a
 * run records exactly what it was built from.
 */
#ifndef RUNJOB_SOURCE_H
#define RUNJOB_SOURCE_H

#include <stddef.h>

enum source_mode {
	SOURCE_WORK,		/* the work tree */
	SOURCE_REV,		/* git, at rev */
	SOURCE_STORED,		/* only what was added with source_store */
};

enum source_kind { SOURCE_TEMPLATE, SOURCE_PRESET, SOURCE_PRELUDE,
	SOURCE_ENV };

struct source_file {
	char *name;		/* relative to the job file's directory,
				 * as a run records it */
	char *path;		/* as messages name it */
	char *text;		/* NUL-terminated; env files masked */
	size_t len;
	char sha256[65];	/* of text */
	enum source_kind kind;
	int used;		/* the job read it (a stored file may not) */
	int loading;		/* being expanded: a use of it is a cycle */
	void *parsed;		/* a template: decoded, the job's */
	void *tree;		/* a preset: its nodes, its own presets
				 * merged in */
};

struct sources {
	enum source_mode mode;
	const char *rev;	/* SOURCE_REV */
	char *dir;		/* the job file's directory as given, "" for
				 * the current one, else ending in '/' */
	const char *self;	/* the job file's own name, in dir */
	int allow_outside;	/* may name files outside the job's
				 * repository (or directory) */
	struct source_file **v;
	size_t n;
	size_t reads;		/* files read (for t/perf) */
};

/* Start reading the files of the job file named file (FILE of FILE@REV). */
void sources_init(struct sources *s, const char *file, enum source_mode mode,
	const char *rev);
void sources_free(struct sources *s);

/* The name of the file that `ref` (as written in the file named `from`,
 * NULL for the job file) names: joined to from's directory and made
 * plain ("a/../b" is "b"). The caller frees it. */
char *source_name(const char *from, const char *ref);

/* The file called name (source_name's), read once: *out. Returns 0, or
 * -1 with what is wrong in err: no such file, unreadable, too large,
 * outside the job's repository or directory (unless allow_outside), not
 * at rev, not stored with the run. */
int source_read(struct sources *s, const char *name, enum source_kind kind,
	struct source_file **out, char *err, size_t errsize);

/* Add a file as a run stored it; a SOURCE_STORED job reads only these. */
struct source_file *source_store(struct sources *s, const char *name,
	const char *text, size_t len);
/* Add a file read some other way (an env file), as one the job used. */
void source_keep(struct sources *s, const char *name, enum source_kind kind,
	const char *text, size_t len);

/* "template", "preset", "prelude", "env file". */
const char *source_kind_name(enum source_kind kind);

#endif
