/*
 * load.h - reading a job file and parsing its YAML into a tree of nodes,
 * with the limits that keep hostile input cheap to refuse.  This is the
 * only file that talks to libyaml.
 */
#ifndef RUNJOB_LOAD_H
#define RUNJOB_LOAD_H

#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "diag.h"

#define LOAD_MAX_FILE	(4u << 20)	/* bytes of a job file */
#define LOAD_MAX_DEPTH	64		/* nested mappings and sequences */
#define LOAD_MAX_SCALAR	(1u << 20)	/* bytes of one scalar */

enum node_kind { NODE_SCALAR, NODE_SEQ, NODE_MAP };

struct node {
	unsigned char kind;	/* enum node_kind */
	unsigned char plain;	/* scalar written without quotes or !!str */
	unsigned line, col;	/* 1-based position of the node's start */
	const char *file;	/* the file it was read from, for messages:
				 * a job's nodes may come from several */
	size_t n;		/* scalar: bytes; seq: items; map: pairs */
	union {
		char *str;		/* scalar, NUL-terminated */
		struct node **items;	/* seq: n items; map: 2n, key then value */
	} u;
};

/* Read the file at path into *text (*len bytes, NUL-terminated, owned by
 * the caller). Refuses what is not a regular file, is empty or over
 * LOAD_MAX_FILE. Returns 0, or -1 with a diagnostic in d. */
int load_file(char **text, size_t *len, const char *path, struct diags *d);

/* Parse text as one YAML document into *root, allocated in a. Refuses
 * invalid UTF-8, NUL bytes, anchors and aliases, non-standard tags, more
 * than one document, duplicate and non-scalar keys, and the limits above.
 * Returns 0, or -1 with every problem found in d. */
int load_yaml(struct node **root, const char *text, size_t len,
	const char *file, struct arena *a, struct diags *d);

/* Append n in one canonical form (no comments, no layout), so that two
 * ways of writing the same thing compare equal. */
void node_write_canon(const struct node *n, struct buf *b);

/* A plain scalar that YAML reads as null: "", "~", "null". */
int node_is_null(const struct node *n);

#endif
