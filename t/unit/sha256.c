/*
 * sha256.c - unit tests of SHA-256 against the FIPS 180-4 examples.
 */
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "tap.h"

int
main(void)
{
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
	return tap_done();
}
