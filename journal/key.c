/*
 * key.c - the journal's key file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "key.h"
#include "util.h"

enum { TEXT_LEN = 2 * JOURNAL_KEY_LEN + 1 };	/* hex digits and '\n' */

char *
journal_key_path(const char *jpath)
{
	const char *env = getenv("RUNJOB_AUDIT_KEY_FILE");

	return env && *env ? xstrdup(env) : xasprintf("%s.key", jpath);
}

static int
parse(const char *path, const char *text, unsigned char key[JOURNAL_KEY_LEN])
{
	int i;

	for (i = 0; i < 2 * JOURNAL_KEY_LEN; i++) {
		int c = text[i], v = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			break;
		key[i / 2] = (unsigned char)(i % 2 ? key[i / 2] | v : v << 4);
	}
	if (i < 2 * JOURNAL_KEY_LEN || text[i] != '\n')
		return error("%s is not a runjob journal key (64 hex digits); "
			"restore it from where the journal's key is kept", path);
	return 0;
}

static int
load(const char *path, unsigned char key[JOURNAL_KEY_LEN])
{
	char text[TEXT_LEN + 1];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 1 : error("cannot read the journal key "
			"%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return error("the journal key %s is not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return error("the journal key %s can be read by others (mode "
			"%03o); it must be mode 0600: chmod 600 %s", path,
			(unsigned)(st.st_mode & 0777), path);
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n != TEXT_LEN)
		return error("%s is not a runjob journal key (64 hex digits); "
			"restore it from where the journal's key is kept", path);
	text[n] = '\0';
	return parse(path, text, key);
}

/* The directory entry of path is durable too. */
static void
fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path + 1)) :
		xstrdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Write a new key where none is: to a file of its own first, linked in
 * place only when whole, so that a runjob reading it at the same time
 * never sees half a key, and two runjobs making it agree on one. */
static int
make(const char *path)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[JOURNAL_KEY_LEN];
	char text[TEXT_LEN], *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	int fd, i, r = 0;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		fatal("getrandom: cannot make the journal key");
	for (i = 0; i < JOURNAL_KEY_LEN; i++) {
		text[2 * i] = digits[raw[i] >> 4];
		text[2 * i + 1] = digits[raw[i] & 15];
	}
	text[TEXT_LEN - 1] = '\n';
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		0600);
	if (fd < 0 || write(fd, text, sizeof(text)) != (ssize_t)sizeof(text) ||
	    fsync(fd) < 0)
		r = error("cannot make the journal key %s: %s", path,
			strerror(errno));
	if (fd >= 0)
		close(fd);
	if (r == 0 && link(tmp, path) < 0 && errno != EEXIST)
		r = error("cannot make the journal key %s: %s", path,
			strerror(errno));
	unlink(tmp);
	if (r == 0)
		fsync_dir_of(path);	/* the key outlives a power cut */
	free(tmp);
	return r;
}

int
journal_key(const char *jpath, int create, unsigned char key[JOURNAL_KEY_LEN])
{
	char *path = journal_key_path(jpath);
	int r = load(path, key);

	if (r == 1 && create && (r = make(path)) == 0)
		r = load(path, key);
	free(path);
	return r;
}
