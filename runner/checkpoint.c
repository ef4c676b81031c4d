/*
 * checkpoint.c - a shell step's checkpoint file, read (checkpoint.h).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "fname.h"
#include "json.h"
#include "util.h"

char *
checkpoint_dir(const char *logdir)
{
	return xasprintf("%s/checkpoints", logdir);
}

char *
checkpoint_path(const char *logdir, const char *id)
{
	char *f = fname_of(id), *p = xasprintf("%s/checkpoints/%s", logdir, f);

	free(f);
	return p;
}

char *
checkpoint_read(const char *path)
{
	char buf[CHECKPOINT_MAX + 2], *end, *start;
	struct stat st;
	off_t from;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	/* The end of the file is enough: the newest line is the last. */
	from = fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof(buf) - 1 ?
		st.st_size - (off_t)sizeof(buf) + 1 : 0;
	n = pread(fd, buf, sizeof(buf) - 1, from);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	/* Only a line whose newline has come: a line being written is not
	 * whole yet. */
	if (!(end = memrchr(buf, '\n', (size_t)n)))
		return NULL;
	*end = '\0';
	while (end > buf && end[-1] == '\r')
		*--end = '\0';
	start = memrchr(buf, '\n', (size_t)(end - buf));
	start = start ? start + 1 : buf;
	if (!*start || (start == buf && from > 0) ||
	    strlen(start) != (size_t)(end - start))
		return NULL;	/* empty, too long, or holding a NUL */
	return xstrdup(start);
}

void
checkpoint_json(struct buf *out, const char *line)
{
	buf_adds(out, "{\"line\":");
	buf_add_json(out, line);
	buf_addc(out, '}');
}

static void
take(void *arg, const char *name, const char *value)
{
	char **line = arg;

	if (strcmp(name, "line") == 0 && !*line)
		*line = xstrdup(value);
}

char *
checkpoint_line(const char *json)
{
	char *line = NULL;

	if (json_each_string(json, take, &line) < 0) {
		free(line);
		return NULL;
	}
	return line;
}
