/*
 * sha256.c - unit tests of SHA-256 against the FIPS 180-4 examples, and
 * of HMAC-SHA256 against those of RFC 4231.
 */
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "tap.h"

static void
hmac_is(const void *key, size_t klen, const char *msg, const char *want,
	const char *name)
{
	struct hmac h;
	unsigned char d[32];
	char hex[65];

	hmac_init(&h, key, klen);
	hmac_update(&h, msg, strlen(msg) / 2);
	hmac_update(&h, msg + strlen(msg) / 2, strlen(msg) - strlen(msg) / 2);
	hmac_final(&h, d);
	sha256_to_hex(d, hex);
	is_str(hex, want, "%s", name);
}

int
main(void)
{
	unsigned char key[131];
	char hex[65], *million;
	struct sha256 s;
	unsigned char d[32];
	size_t i;

	sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"the empty string");
	sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"abc");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		hex);
	is_str(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
		"the two-block message");
	million = malloc(1000000);
	memset(million, 'a', 1000000);
	sha256_init(&s);
	for (i = 0; i < 1000000; i += 997)
		sha256_update(&s, million + i, 1000000 - i < 997 ? 1000000 - i : 997);
	sha256_final(&s, d);
	sha256_to_hex(d, hex);
	is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
		"a million a, fed in odd pieces");
	free(million);

	memset(key, 0x0b, 20);
	hmac_is(key, 20, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b"
		"881dc200c9833da726e9376c2e32cff7", "HMAC: RFC 4231 case 1");
	hmac_is("Jefe", 4, "what do ya want for nothing?", "5bdcc146bf60754e"
		"6a042426089575c75a003f089d2739839dec58b964ec3843",
		"HMAC: RFC 4231 case 2, a key shorter than the hash");
	memset(key, 0xaa, 131);
	hmac_is(key, 131, "Test Using Larger Than Block-Size Key - Hash Key "
		"First", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c514"
		"0546040f0ee37f54", "HMAC: RFC 4231 case 6, a key longer than "
		"a block");
	return tap_done();
}
