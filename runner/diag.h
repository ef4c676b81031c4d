/*
 * diag.h - problems found in a job file, collected rather than fatal so
 * that `runjob check` reports all of them at once.
 */
#ifndef RUNJOB_DIAG_H
#define RUNJOB_DIAG_H

#include <stddef.h>

enum diag_level { DIAG_ERROR, DIAG_WARNING };

struct diag {
	enum diag_level level;
	const char *file;	/* borrowed: lives as long as the diags */
	unsigned line, col;	/* 1-based; 0 when the problem has no place */
	char *msg;		/* owned */
};

struct diags {
	struct diag *v;		/* in the order they were found */
	size_t n, cap;
	size_t nerrors;		/* how many of v are DIAG_ERROR */
	struct diag_via {	/* what brought a file into the job */
		const char *file, *via;	/* borrowed */
	} *via;
	size_t nvia;
};

int diag_error(struct diags *d, const char *file, unsigned line,
	unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void diag_warn(struct diags *d, const char *file, unsigned line,
	unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Say, after every message about file, what brought it into the job
 * (the chain of uses: and extends:), e.g. "used by job.yaml:12:5". The
 * first said of a file stays. Both strings are borrowed. */
void diag_via(struct diags *d, const char *file, const char *via);

/* Print every diagnostic sorted by file position, as
 * "file:line:col: error: message" or, with json, one object a line. */
void diags_print(struct diags *d, int json);
void diags_free(struct diags *d);

#endif
