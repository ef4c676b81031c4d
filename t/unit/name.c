/*
 * name.c - unit tests of the naming rules and did-you-mean.
 */
#include "diag.h"
#include "job.h"
#include "name.h"
#include "tap.h"
#include "util.h"

int
main(void)
{
	static const char *const words[] = { "needs", "timeout", "retry",
		"on_failure", NULL };
	struct diags d = {0};

	ok(name_check_id("a.b_c-9", "step id", &d, "f", 1, 1) == 0,
		"ids take letters, digits, . _ -");
	ok(name_check_id("a b", "step id", &d, "f", 1, 1) < 0, "no spaces");
	ok(name_check_id("", "step id", &d, "f", 1, 1) < 0, "not empty");
	ok(name_check_var("BATCH_2", "param", &d, "f", 1, 1) == 0,
		"upper case names are fine");
	ok(name_check_var("2X", "param", &d, "f", 1, 1) < 0,
		"no leading digit");
	ok(name_is_refused("LD_PRELOAD") && name_is_refused("LD_AUDIT") &&
		name_is_refused("BASH_ENV") && name_is_refused("IFS") &&
		name_is_refused("BASH_FUNC_x%%"), "loader and shell names refused");
	ok(name_is_refused("GLIBC_TUNABLES") && name_is_refused("PYTHONHOME") &&
		name_is_refused("PERL5OPT") && name_is_refused("RUBYOPT") &&
		name_is_refused("NODE_OPTIONS") && name_is_refused("GIT_SSH_COMMAND") &&
		name_is_refused("GIT_CONFIG_KEY_0") && name_is_refused("ZDOTDIR") &&
		name_is_refused("SSL_CERT_FILE") && name_is_refused("OPENSSL_CONF"),
		"interpreter, git and TLS names refused");
	ok(!name_is_refused("BATCH") && !name_is_refused("LDX") &&
		!name_is_refused("GIT_REF") && !name_is_refused("NODE_ID") &&
		!name_is_refused("SSL_MODE"), "ordinary names are not refused");
	ok(name_check_env("lower_ok", 1, &d, "f", 1, 1) == 0,
		"env names may be lower case");
	ok(name_check_env("RUNJOB_X", 1, &d, "f", 1, 1) < 0 &&
		name_check_env("RUNJOB_X", 0, &d, "f", 1, 1) == 0,
		"RUNJOB_ may be read but not set");
	ok(name_check_item("eu-west-1", &d, "f", 1, 1) == 0 &&
		name_check_item("a]", &d, "f", 1, 1) < 0, "items refuse ]");
	is_str(did_you_mean("neds", words), "needs", "neds -> needs");
	is_str(did_you_mean("timeuot", words), "timeout", "transposition");
	ok(did_you_mean("zzzzzz", words) == NULL, "no wild guesses");
	is_str(did_you_mean("on_falure", words), "on_failure",
		"a dropped letter");
	ok(edit_distance("kitten", "sitting", 5) == 3, "kitten/sitting is 3");
	diags_free(&d);
	return tap_done();
}
