/*
 * load.c - the libyaml adapter.
 *
 * The event API is used rather than the document API so that limits are
 * checked as the input streams past: an alias is refused the moment it is
 * seen, so a billion-laughs file costs no more than its own bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "load.h"
#include "util.h"

int
load_file(char **text, size_t *len, const char *path, struct diags *d)
{
	struct stat st;
	size_t cap = 0, n = 0;
	char *p = NULL;
	int fd;

	/* O_NONBLOCK: opening a FIFO with no writer must not hang. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return diag_error(d, path, 0, 0, "cannot open the job file: %s",
			strerror(errno));
	if (fstat(fd, &st) < 0) {
		close(fd);
		return diag_error(d, path, 0, 0, "cannot stat the job file: %s",
			strerror(errno));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return diag_error(d, path, 0, 0,
			"is a directory; give the path of a job file (a .yaml file)");
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return diag_error(d, path, 0, 0, "is not a regular file "
			"(a FIFO, socket or device); job files must be regular files");
	}
	if ((unsigned long long)st.st_size > LOAD_MAX_FILE) {
		close(fd);
		return diag_error(d, path, 0, 0, "is %lld bytes; job files are "
			"limited to %u bytes (4 MiB)", (long long)st.st_size,
			LOAD_MAX_FILE);
	}
	/* Read to EOF rather than trusting st_size: the file may grow. */
	for (;;) {
		ssize_t r;

		xgrow(&p, &cap, n + 65536 + 1, 1);
		r = read(fd, p + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			free(p);
			return diag_error(d, path, 0, 0,
				"cannot read the job file: %s", strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > LOAD_MAX_FILE) {
			close(fd);
			free(p);
			return diag_error(d, path, 0, 0, "is over %u bytes; job "
				"files are limited to 4 MiB", LOAD_MAX_FILE);
		}
	}
	close(fd);
	if (n == 0) {
		free(p);
		return diag_error(d, path, 0, 0, "is empty; a job file needs at "
			"least 'runjob: 1', 'name:' and 'steps:'");
	}
	p[n] = '\0';
	*text = p;
	*len = n;
	return 0;
}

/* Line and column (1-based, in characters) of byte offset off. */
static void
position(const char *text, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			++*line;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			++*col;
		}
	}
}

/* Offset of the first byte that is not valid UTF-8, or len. Overlong
 * forms, surrogates and code points past U+10FFFF are invalid. */
static size_t
utf8_invalid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], need, cp, min, k;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return i;
		}
		if (len - i <= need)
			return i;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += need + 1;
	}
	return len;
}

void
node_write_canon(const struct node *n, struct buf *b)
{
	size_t i;

	if (!n)
		return;
	switch (n->kind) {
	case NODE_SCALAR:
		buf_addf(b, "%c%zu:", n->plain ? 'p' : 's', n->n);
		buf_add(b, n->u.str, n->n);
		break;
	case NODE_SEQ:
		buf_addc(b, '[');
		for (i = 0; i < n->n; i++)
			node_write_canon(n->u.items[i], b);
		buf_addc(b, ']');
		break;
	case NODE_MAP:
		buf_addc(b, '{');
		for (i = 0; i < 2 * n->n; i++)
			node_write_canon(n->u.items[i], b);
		buf_addc(b, '}');
		break;
	}
}

int
node_is_null(const struct node *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->kind != NODE_SCALAR || !n->plain)
		return 0;
	for (i = 0; i < ARRAY_SIZE(nulls); i++)
		if (strcmp(n->u.str, nulls[i]) == 0)
			return 1;
	return 0;
}

/* Tags of the YAML core schema, the only ones a job file may use. */
static int
tag_ok(const char *tag)
{
	static const char *const core[] = {
		"str", "int", "float", "bool", "null", "map", "seq",
	};
	static const char prefix[] = "tag:yaml.org,2002:";
	size_t i;

	if (!tag || strcmp(tag, "!") == 0)
		return 1;
	if (strncmp(tag, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	for (i = 0; i < ARRAY_SIZE(core); i++)
		if (strcmp(tag + sizeof(prefix) - 1, core[i]) == 0)
			return 1;
	return 0;
}

struct builder {
	const char *file;
	struct arena *a;
	struct diags *d;
	struct node *root;
	struct node **kids;		/* children of the open collections */
	size_t nkids, capkids;
	struct frame {
		struct node *node;	/* the open mapping or sequence */
		size_t first;		/* its first child in kids */
	} stack[LOAD_MAX_DEPTH];
	size_t depth;
};

static struct node *
new_node(struct builder *b, enum node_kind kind, yaml_mark_t m)
{
	struct node *n = arena_alloc(b->a, sizeof(*n));

	n->kind = (unsigned char)kind;
	n->plain = 0;
	n->line = (unsigned)m.line + 1;
	n->col = (unsigned)m.column + 1;
	n->file = b->file;
	n->n = 0;
	n->u.str = NULL;
	return n;
}

static void
attach(struct builder *b, struct node *n)
{
	if (b->depth == 0) {
		b->root = n;
		return;
	}
	xgrow(&b->kids, &b->capkids, b->nkids + 1, sizeof(*b->kids));
	b->kids[b->nkids++] = n;
}

static int
cmp_key(const void *pa, const void *pb)
{
	const struct node *a = *(struct node *const *)pa;
	const struct node *b = *(struct node *const *)pb;

	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	return memcmp(a->u.str, b->u.str, a->n);
}

static void
duplicate(struct builder *b, const struct node *first, const struct node *k)
{
	diag_error(b->d, b->file, k->line, k->col,
		"duplicate key '%s' (first given at line %u, column %u); "
		"remove one of them", k->u.str, first->line, first->col);
}

/* Keys must be scalars and unique. Small mappings are checked pairwise;
 * large ones (a params block of thousands) by sorting. */
static void
check_keys(struct builder *b, struct node *map)
{
	size_t i, j, n = map->n;
	struct node **keys;

	for (i = 0; i < n; i++) {
		struct node *k = map->u.items[2 * i];

		if (k->kind != NODE_SCALAR) {
			diag_error(b->d, b->file, k->line, k->col,
				"a mapping key must be a string, not a %s",
				k->kind == NODE_MAP ? "mapping" : "sequence");
			return;
		}
	}
	if (n <= 16) {
		for (i = 1; i < n; i++)
			for (j = 0; j < i; j++)
				if (cmp_key(&map->u.items[2 * i],
				    &map->u.items[2 * j]) == 0) {
					duplicate(b, map->u.items[2 * j],
						map->u.items[2 * i]);
					break;
				}
		return;
	}
	keys = xreallocarray(NULL, n, sizeof(*keys));
	for (i = 0; i < n; i++)
		keys[i] = map->u.items[2 * i];
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (i = 1; i < n; i++) {
		if (cmp_key(&keys[i - 1], &keys[i]) != 0)
			continue;
		/* Report against the earliest of the equal keys. */
		for (j = i; j < n && cmp_key(&keys[i - 1], &keys[j]) == 0; j++)
			;
		{
			struct node *first = keys[i - 1];
			size_t k;

			for (k = i - 1; k < j; k++)
				if (keys[k]->line < first->line ||
				    (keys[k]->line == first->line &&
				     keys[k]->col < first->col))
					first = keys[k];
			for (k = i - 1; k < j; k++)
				if (keys[k] != first)
					duplicate(b, first, keys[k]);
		}
		i = j;
	}
	free(keys);
}

/* Handle one event. Returns 0 to go on, 1 at the end, -1 to stop. */
static int
event(struct builder *b, yaml_event_t *ev)
{
	yaml_mark_t m = ev->start_mark;
	unsigned line = (unsigned)m.line + 1, col = (unsigned)m.column + 1;
	const char *anchor = NULL, *tag = NULL;
	struct node *n;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = (const char *)ev->data.scalar.anchor;
		tag = (const char *)ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = (const char *)ev->data.sequence_start.anchor;
		tag = (const char *)ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = (const char *)ev->data.mapping_start.anchor;
		tag = (const char *)ev->data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor || ev->type == YAML_ALIAS_EVENT) {
		diag_error(b->d, b->file, line, col, "YAML anchors and aliases "
			"(&%s, *%s) are not allowed in job files; write the "
			"value out where it is needed",
			anchor ? anchor : (const char *)ev->data.alias.anchor,
			anchor ? anchor : (const char *)ev->data.alias.anchor);
		return -1;
	}
	if (!tag_ok(tag))
		diag_error(b->d, b->file, line, col, "unknown YAML tag '%s'; "
			"only the standard tags (!!str, !!int, ...) are allowed",
			tag);

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (b->root) {
			diag_error(b->d, b->file, line, col, "a second YAML "
				"document ('---'); a job file holds exactly one");
			return -1;
		}
		return 0;
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.length > LOAD_MAX_SCALAR) {
			diag_error(b->d, b->file, line, col, "a value of %zu "
				"bytes; values are limited to 1 MiB",
				ev->data.scalar.length);
			return -1;
		}
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
			diag_error(b->d, b->file, line, col, "a NUL byte "
				"(\\0) in a value; NUL bytes are not allowed");
		n = new_node(b, NODE_SCALAR, m);
		n->n = ev->data.scalar.length;
		n->u.str = arena_strndup(b->a,
			(const char *)ev->data.scalar.value, n->n);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			!(tag && strcmp(tag, "tag:yaml.org,2002:str") == 0);
		attach(b, n);
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth == LOAD_MAX_DEPTH) {
			diag_error(b->d, b->file, line, col, "nesting deeper than "
				"%d levels; job files are limited to %d",
				LOAD_MAX_DEPTH, LOAD_MAX_DEPTH);
			return -1;
		}
		n = new_node(b, ev->type == YAML_MAPPING_START_EVENT ?
			NODE_MAP : NODE_SEQ, m);
		b->stack[b->depth].node = n;
		b->stack[b->depth].first = b->nkids;
		b->depth++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame *f = &b->stack[--b->depth];
		size_t count = b->nkids - f->first;

		n = f->node;
		n->u.items = arena_alloc(b->a, count * sizeof(*n->u.items));
		if (count)	/* kids is NULL until a first child */
			memcpy(n->u.items, b->kids + f->first,
				count * sizeof(*n->u.items));
		b->nkids = f->first;
		n->n = n->kind == NODE_MAP ? count / 2 : count;
		if (n->kind == NODE_MAP)
			check_keys(b, n);
		attach(b, n);
		return 0;
	}
	default:
		return 0;
	}
}

int
load_yaml(struct node **root, const char *text, size_t len, const char *file,
	struct arena *a, struct diags *d)
{
	struct builder b = { .file = file, .a = a, .d = d };
	size_t nerrors = d->nerrors, bad;
	yaml_parser_t parser;
	unsigned line, col;
	int r = 0;

	*root = NULL;
	bad = utf8_invalid((const unsigned char *)text, len);
	if (bad < len) {
		position(text, bad, &line, &col);
		return diag_error(d, file, line, col, "invalid UTF-8 (byte 0x%02x);"
			" job files must be UTF-8 text",
			(unsigned char)text[bad]);
	}
	if (memchr(text, '\0', len)) {
		position(text, (size_t)((const char *)memchr(text, '\0', len) -
			text), &line, &col);
		return diag_error(d, file, line, col,
			"a NUL byte; job files must be text");
	}

	if (!yaml_parser_initialize(&parser))
		fatal("out of memory initializing the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (r == 0) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			const char *ctx = parser.context;

			diag_error(d, file, (unsigned)parser.problem_mark.line + 1,
				(unsigned)parser.problem_mark.column + 1,
				"YAML syntax: %s%s%s", parser.problem ?
				parser.problem : "cannot parse",
				ctx ? " " : "", ctx ? ctx : "");
			r = -1;
			break;
		}
		r = event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	free(b.kids);
	if (r >= 0 && !b.root)
		diag_error(d, file, 1, 1, "no YAML document (only comments or "
			"blank lines); a job file needs at least 'runjob: 1', "
			"'name:' and 'steps:'");
	if (d->nerrors > nerrors)
		return -1;
	*root = b.root;
	return 0;
}
