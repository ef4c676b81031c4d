/*
 * name.c - naming rules.
 */
#include <stdio.h>
#include <string.h>

#include "name.h"

/* Names that change how programs are loaded or start: where they find
 * code, a command they run, a file they read at startup, or the
 * certificates they trust. A parameter's value comes from whoever runs
 * the job, so letting one set these would hand them the steps'
 * processes. By family: shells, the loader and C library, the
 * interpreters and tools a step is likely to run. */
static const char *const refused[] = {
	/* shells */
	"PATH", "IFS", "ENV", "BASH_ENV", "SHELLOPTS", "BASHOPTS", "PS4",
	"CDPATH", "GLOBIGNORE", "PROMPT_COMMAND", "ZDOTDIR", "FPATH",
	"BASH_LOADABLES_PATH",
	/* the dynamic loader and the C library */
	"GLIBC_TUNABLES", "GCONV_PATH", "GETCONF_DIR", "LOCPATH", "NLSPATH",
	"HOSTALIASES", "RESOLV_HOST_CONF", "LOCALDOMAIN", "RES_OPTIONS",
	"NIS_PATH",
	/* Ruby's gems, Node.js, Java */
	"GEM_HOME", "GEM_PATH",
	"NODE_OPTIONS", "NODE_PATH", "NODE_EXTRA_CA_CERTS",
	"NODE_TLS_REJECT_UNAUTHORIZED", "NODE_REPL_EXTERNAL_MODULE",
	"JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH",
	/* git and ssh: commands they run, config they load */
	"GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXEC_PATH", "GIT_ASKPASS",
	"GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_PAGER", "GIT_EXTERNAL_DIFF",
	"GIT_PROXY_COMMAND", "GIT_TEMPLATE_DIR", "GIT_DIR", "SSH_ASKPASS",
	/* the certificates TLS trusts */
	"SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
	NULL,
};
/* Whole families read by one program: every PYTHON* name is Python's,
 * PERL* Perl's, RUBY* Ruby's, LUA_* Lua's, OPENSSL_* OpenSSL's. */
static const char *const refused_prefixes[] = {
	"LD_", "DYLD_", "MALLOC_", "BASH_FUNC_", "PYTHON", "PERL", "RUBY",
	"LUA_", "GIT_CONFIG", "GIT_SSL_", "OPENSSL_", "RUNJOB_", NULL,
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

void
name_print_refused(FILE *f)
{
	size_t i;

	for (i = 0; refused[i]; i++)
		fprintf(f, "refused %s\n", refused[i]);
	for (i = 0; refused_prefixes[i]; i++)
		fprintf(f, "refused-prefix %s\n", refused_prefixes[i]);
}
