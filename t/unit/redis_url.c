/*
 * redis_url.c - unit tests of server URLs, key display, key slots of a
 * cluster and the action settings' sizes.
 */
#include <string.h>

#include "action.h"
#include "redis/cluster.h"
#include "redis/conn.h"
#include "redis/url.h"
#include "tap.h"
#include "units.h"
#include "util.h"

int
main(void)
{
	struct rurl u;
	char err[512], buf[64];
	long long n;
	unsigned slot;
	int tags_ok = 1;

	ok(rurl_parse(&u, "redis://10.0.0.4:6380/3", err, sizeof(err)) == 0 &&
		strcmp(u.host, "10.0.0.4") == 0 && u.port == 6380 && u.db == 3 &&
		!u.user && !u.pass, "host, port and database");
	rurl_free(&u);
	ok(rurl_parse(&u, "redis://cache", err, sizeof(err)) == 0 &&
		u.port == 6379 && u.db == 0, "port 6379 and database 0 by default");
	rurl_free(&u);
	ok(rurl_parse(&u, "redis://app:p%40ss:w@rd@h:1/0", err,
		sizeof(err)) == 0 && strcmp(u.user, "app") == 0 &&
		strcmp(u.pass, "p@ss:w@rd") == 0 && strcmp(u.host, "h") == 0,
		"user and password, %%-escapes decoded, the last @ ends them");
	is_str(u.shown, "redis://app:***@h:1/0", "the password never shows");
	rurl_free(&u);
	ok(rurl_parse(&u, "redis://:secret@h/2", err, sizeof(err)) == 0 &&
		!u.user && strcmp(u.pass, "secret") == 0,
		"a password without a user");
	is_str(u.shown, "redis://:***@h:6379/2", "shown without the password");
	rurl_free(&u);
	ok(rurl_parse(&u, "redis://[::1]:7000/0", err, sizeof(err)) == 0 &&
		strcmp(u.host, "::1") == 0 && u.port == 7000, "IPv6 in brackets");
	is_str(u.shown, "redis://[::1]:7000/0", "shown in brackets");
	rurl_free(&u);
	ok(rurl_parse(&u, "rediss://:pw@h:6380/0", err, sizeof(err)) == 0 &&
		u.tls && strcmp(u.host, "h") == 0 && u.port == 6380 &&
		strcmp(u.pass, "pw") == 0, "rediss:// is TLS");
	is_str(u.shown, "rediss://:***@h:6380/0", "shown as rediss://");
	rurl_free(&u);
	ok(rurl_parse(&u, "redis://h", err, sizeof(err)) == 0 && !u.tls,
		"redis:// is not");
	rurl_free(&u);
	ok(rurl_parse(&u, "redis+cluster://:pw@h:7000", err, sizeof(err)) == 0 &&
		u.cluster && !u.tls && u.port == 7000 && u.db == 0,
		"redis+cluster:// is a cluster's node");
	is_str(u.shown, "redis+cluster://:***@h:7000/0", "shown as a cluster");
	rurl_free(&u);
	ok(rurl_parse(&u, "rediss+cluster://h:7000", err, sizeof(err)) == 0 &&
		u.cluster && u.tls, "rediss+cluster:// is TLS too");
	rurl_free(&u);
	ok(rurl_parse(&u, "redis+cluster://h:7000/1", err, sizeof(err)) < 0 &&
		strstr(err, "database 0 only"), "a cluster has database 0 only");
	ok(rurl_parse(&u, "redis+clustr://h", err, sizeof(err)) < 0,
		"a misspelt scheme is refused");
	ok(rurl_parse(&u, "http://h", err, sizeof(err)) < 0 &&
		strstr(err, "redis://"), "other schemes are refused");
	ok(rurl_parse(&u, "redis://h:99999/0", err, sizeof(err)) < 0,
		"a port out of range");
	ok(rurl_parse(&u, "redis://h:1/x", err, sizeof(err)) < 0 &&
		strstr(err, "number"), "a database that is not a number");
	ok(rurl_parse(&u, "redis://:1/0", err, sizeof(err)) < 0, "no host");

	is_str(rkey_shown("a\nb'c\\", 6, buf, sizeof(buf)), "a\\x0ab\\x27c\\x5c",
		"a key's newline, quote and backslash are escaped");
	is_str(rkey_shown("\xff", 1, buf, sizeof(buf)), "\\xff", "binary bytes");
	is_str(rerror_text("ERR unknown command 'RESTORE', with args "
		"beginning with: 'k' 'secret value'"), "ERR unknown command "
		"'RESTORE'", "a server error is cut before the arguments it "
		"repeats");
	ok(rerror_transient("LOADING Redis is loading the dataset in memory") &&
		!rerror_transient("ERR wrong"), "LOADING is worth waiting for");

	/* The slots Redis Cluster's specification gives. */
	ok(rkeyslot("123456789", 9) == (0x31c3 & 16383), "CRC16 of a key");
	ok(rkeyslot("foo", 3) == 12182 && rkeyslot("bar", 3) == 5061,
		"the slots of foo and bar");
	ok(rkeyslot("{user1000}.following", 20) == rkeyslot("user1000", 8),
		"a hash tag is hashed alone");
	ok(rkeyslot("foo{}{bar}", 10) == rkeyslot("foo{}{bar}", 10) &&
		rkeyslot("foo{}{bar}", 10) != rkeyslot("bar", 3),
		"an empty tag is no tag: the whole key is hashed");
	ok(rkeyslot("foo{{bar}}zap", 13) == rkeyslot("{bar", 4),
		"a tag ends at the first } after the first {");
	for (slot = 0; slot < RSLOTS; slot++) {
		const char *t = rslot_tag(slot);

		if (rkeyslot(t, strlen(t)) != slot)
			tags_ok = 0;
	}
	ok(tags_ok, "each slot's tag lands in that slot");

	ok(parse_size("64MB", &n) == 0 && n == 64LL << 20, "64MB");
	ok(parse_size("512kb", &n) == 0 && n == 512 << 10, "512kb");
	ok(parse_size("1G", &n) == 0 && n == 1LL << 30, "1G");
	ok(parse_size("1000", &n) == 0 && n == 1000, "bytes");
	ok(parse_size("lots", &n) < 0 && parse_size("5TB", &n) < 0 &&
		parse_size("-1", &n) < 0, "what is not a size");
	ok(parse_size("99999999999999GB", &n) < 0, "no overflow");
	return tap_done();
}
