/*
 * tap.h - the smallest TAP producer, for the C unit tests in t/unit/.
 */
#ifndef RUNJOB_TAP_H
#define RUNJOB_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* ok(condition, description...): one test point. */
#define ok(cond, ...) tap_ok(!!(cond), #cond, __FILE__, __LINE__, __VA_ARGS__)

__attribute__((format(printf, 5, 6))) static int
tap_ok(int pass, const char *expr, const char *file, int line,
	const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", pass ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed: %s\n#   at %s:%d\n", expr, file, line);
	}
	return pass;
}

/* is_str(got, want, description...) */
#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!ok(g_ && strcmp(g_, w_) == 0, __VA_ARGS__)) \
		printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_); \
} while (0)

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
