/*
 * name.c - naming rules.
 */
#include <string.h>

#include "name.h"

/* Names that change how programs are loaded or how shells start. A
 * parameter's value comes from whoever runs the job, so letting one set
 * these would hand them the steps' processes. */
static const char *const refused[] = {
	"PATH", "IFS", "ENV", "BASH_ENV", "SHELLOPTS", "BASHOPTS", "PS4",
	"CDPATH", "GLOBIGNORE", "GCONV_PATH", "LOCPATH", "NLSPATH",
	"HOSTALIASES", "RESOLV_HOST_CONF", "PYTHONPATH",
	"PYTHONSTARTUP", "PERL5LIB", "PERL5OPT", "RUBYOPT", "RUBYLIB",
	"NODE_OPTIONS", "JAVA_TOOL_OPTIONS", NULL,
};
static const char *const refused_prefixes[] = {
	"LD_", "DYLD_", "BASH_FUNC_", "MALLOC_", "RUNJOB_", NULL,
};

int
name_is_refused(const char *name)
{
	size_t i;

	for (i = 0; refused[i]; i++)
		if (strcmp(name, refused[i]) == 0)
			return 1;
	for (i = 0; refused_prefixes[i]; i++)
		if (strncmp(name, refused_prefixes[i],
		    strlen(refused_prefixes[i])) == 0)
			return 1;
	return 0;
}

int
name_check_id(const char *s, const char *what, struct diags *d,
	const char *file, unsigned line, unsigned col)
{
	const char *p;

	if (!*s)
		return diag_error(d, file, line, col, "%s is empty", what);
	if (strlen(s) > 200)
		return diag_error(d, file, line, col, "%s is longer than 200 "
			"characters", what);
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return diag_error(d, file, line, col, "%s '%s' may hold "
				"only letters, digits, '.', '_' and '-'", what, s);
	return 0;
}

int
name_check_var(const char *s, const char *what, struct diags *d,
	const char *file, unsigned line, unsigned col)
{
	const char *p;

	for (p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || *p == '_' ||
		    (p > s && *p >= '0' && *p <= '9')))
			return diag_error(d, file, line, col, "%s name '%s' must "
				"be upper case letters, digits and '_', not "
				"starting with a digit (it becomes an environment "
				"variable)", what, s);
	if (!*s)
		return diag_error(d, file, line, col, "%s name is empty", what);
	if (strncmp(s, "RUNJOB_", 7) == 0)
		return diag_error(d, file, line, col, "%s name '%s': names "
			"starting with RUNJOB_ are reserved for runjob", what, s);
	if (name_is_refused(s))
		return diag_error(d, file, line, col, "%s name '%s' is refused: "
			"it changes how programs load or shells start; choose "
			"another name", what, s);
	return 0;
}

int
name_check_env(const char *s, int set, struct diags *d, const char *file,
	unsigned line, unsigned col)
{
	const char *p;

	for (p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    *p == '_' || (p > s && *p >= '0' && *p <= '9')))
			return diag_error(d, file, line, col, "'%s' is not an "
				"environment variable name (letters, digits and "
				"'_', not starting with a digit)", s);
	if (!*s)
		return diag_error(d, file, line, col,
			"an empty environment variable name");
	if (set && strncmp(s, "RUNJOB_", 7) == 0)
		return diag_error(d, file, line, col, "'%s': names starting "
			"with RUNJOB_ are set by runjob", s);
	return 0;
}

int
name_check_item(const char *s, struct diags *d, const char *file,
	unsigned line, unsigned col)
{
	const unsigned char *p;
	size_t len = strlen(s), shown;
	int bracket = 0;

	if (!len)
		return diag_error(d, file, line, col, "a for_each item is empty");
	/* C0, DEL and C1 (U+0080..U+009F, 0xc2 0x80..0x9f in UTF-8) could
	 * end a line or steer a terminal where the step id is printed, so
	 * the message shows the item only up to one. */
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 &&
		    p[1] <= 0x9f))
			break;
		bracket |= *p == '[' || *p == ']';
	}
	shown = (size_t)(p - (const unsigned char *)s);
	if (*p || bracket)
		return diag_error(d, file, line, col, "for_each item '%.*s%s' "
			"holds '[', ']' or a control character; items become "
			"part of step ids (ID[item])", (int)(shown > 60 ? 60 :
			shown), s, shown > 60 || *p ? "..." : "");
	if (len > NAME_ITEM_MAX)
		return diag_error(d, file, line, col, "for_each item '%.40s...' "
			"is %zu bytes long; items are limited to %d bytes, as "
			"each becomes part of a step id and $RUNJOB_ITEM", s,
			len, NAME_ITEM_MAX);
	return 0;
}
