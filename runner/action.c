/*
 * action.c - the process side of a built-in action: its settings, what
 * it reports back to the runjob that started it, and `runjob action`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "buf.h"
#include "exitcode.h"
#include "job.h"
#include "json.h"
#include "units.h"
#include "util.h"

const char *
acfg_str(const struct acfg *c, const char *name, const char *def)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->names[i], name) == 0)
			return c->values[i];
	return def;
}

/* A message about setting name: printed (prefixed by what, "" or
 * "warning: "), or kept in *buf for runjob check. */
static void
report(const struct acfg *c, const char *name, const char *what, char *buf,
	size_t len, const char **at, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!c->err) {
		printf("%s: %s%s: %s\n", c->action, what, name, msg);
		fflush(stdout);
	} else if (buf && !buf[0]) {
		snprintf(buf, len, "%s: %s", name, msg);
		*at = name;
	}
}

int
acfg_error(const struct acfg *c, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(c, name, "", c->err, c->errlen, c->err_name, fmt, ap);
	va_end(ap);
	return -1;
}

void
acfg_warn(const struct acfg *c, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(c, name, "warning: ", c->warn, c->warnlen, c->warn_name, fmt,
		ap);
	va_end(ap);
}

static int
bad(const struct acfg *c, const char *name, const char *v, const char *want)
{
	return acfg_error(c, name, "'%s' is not %s", v, want);
}

int
acfg_int(const struct acfg *c, const char *name, long long def,
	long long min, long long max, long long *out)
{
	const char *v = acfg_str(c, name, NULL);
	char *end, want[96];

	*out = def;
	if (!v)
		return 0;
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (end == v || *end || errno || *out < min || *out > max) {
		snprintf(want, sizeof(want), "a whole number from %lld to %lld",
			min, max);
		return bad(c, name, v, want);
	}
	return 0;
}

int
acfg_size(const struct acfg *c, const char *name, long long def,
	long long *out)
{
	const char *v = acfg_str(c, name, NULL);

	*out = def;
	if (v && (parse_size(v, out) < 0 || *out < 1))
		return bad(c, name, v, "a size such as 512KB, 64MB or 1GB");
	return 0;
}

int
acfg_duration(const struct acfg *c, const char *name, long long def,
	long long *out)
{
	const char *v = acfg_str(c, name, NULL);

	*out = def;
	if (v && parse_duration(v, out) < 0)
		return bad(c, name, v, "a duration such as 500ms, 5s or 1m");
	return 0;
}

int
acfg_bool(const struct acfg *c, const char *name, int def, int *out)
{
	const char *v = acfg_str(c, name, NULL);

	*out = def;
	if (!v)
		return 0;
	if (strcmp(v, "true") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0)
		*out = 0;
	else
		return bad(c, name, v, "true or false");
	return 0;
}

int
acfg_enum(const struct acfg *c, const char *name, const char *def,
	const char *const *words)
{
	const char *v = acfg_str(c, name, def);
	char want[256] = "one of:";
	int i;

	for (i = 0; words[i]; i++)
		if (strcmp(v, words[i]) == 0)
			return i;
	for (i = 0; words[i]; i++) {
		strncat(want, " ", sizeof(want) - strlen(want) - 1);
		strncat(want, words[i], sizeof(want) - strlen(want) - 1);
	}
	return bad(c, name, v, want);
}

void
action_output(const char *name, long long value)
{
	const char *path = getenv("RUNJOB_OUTPUT");
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "a");
	if (!f) {
		printf("cannot write the outputs to %s: %s\n", path,
			strerror(errno));
		return;
	}
	fprintf(f, "%s=%lld\n", name, value);
	fclose(f);
}

void
action_checkpoint(const char *json)
{
	printf("%c%s%s\n", ACTION_MARK, ACTION_CHECKPOINT, json);
	fflush(stdout);
}

void
action_progress(const char *fmt, ...)
{
	va_list ap;

	printf("%c%s", ACTION_MARK, ACTION_PROGRESS);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void
action_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void add_setting(void *arg, const char *name, const char *value);

void
acfg_from_settings(struct acfg *c, const struct action *a,
	const char *(*fn)(void *arg, const char *name, const char *value),
	void *arg)
{
	size_t i, k;

	memset(c, 0, sizeof(*c));
	c->action = action_name(a);
	for (i = 0; i < a->nsettings; i++) {
		const struct setting *set = &a->settings[i];
		struct buf b = {0};
		const char *x;

		if (!set->list) {
			if ((x = fn(arg, set->name, set->values[0])))
				add_setting(c, set->name, x);
			continue;
		}
		for (k = 0; k < set->nvalues; k++) {
			if (!(x = fn(arg, set->name, set->values[k])))
				continue;
			if (b.len)
				buf_addc(&b, ',');
			buf_adds(&b, x);
		}
		add_setting(c, set->name, buf_str(&b));
		buf_free(&b);
	}
}

void
acfg_json(const struct acfg *c, struct buf *out)
{
	size_t i;

	buf_addc(out, '{');
	for (i = 0; i < c->n; i++) {
		if (i)
			buf_addc(out, ',');
		buf_add_json(out, c->names[i]);
		buf_addc(out, ':');
		buf_add_json(out, c->values[i]);
	}
	buf_addc(out, '}');
}

void
acfg_free(struct acfg *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->names[i]);
		free(c->values[i]);
	}
	free(c->names);
	free(c->values);
	c->names = c->values = NULL;
	c->n = c->cap = 0;
}

static void
add_setting(void *arg, const char *name, const char *value)
{
	struct acfg *c = arg;

	xgrow(&c->names, &c->cap, c->n + 1, sizeof(*c->names));
	c->values = xreallocarray(c->values, c->cap, sizeof(*c->values));
	c->names[c->n] = xstrdup(name);
	c->values[c->n] = xstrdup(value);
	c->n++;
}

int
acfg_from_json(struct acfg *c, const char *action, const char *json)
{
	memset(c, 0, sizeof(*c));
	c->action = action;
	return json_each_string(json, add_setting, c);
}
