/*
 * seal.c - sealed values.
 *
 * HMAC-SHA256 is the pseudo-random function of both halves, as it is
 * of the journal's other uses of its key: the value is XORed with the
 * key stream HMAC(Ke, nonce || counter) (counter mode), and the tag is
 * HMAC(Km, context || nonce || ciphertext), checked before anything is
 * decrypted. Ke and Km are derived from the key, one for each use. The
 * nonce is random, so sealing one value twice gives two texts that tell
 * nothing of being equal. The text is "1:" and the hex digits of the
 * nonce, the ciphertext and the tag.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "seal.h"
#include "sha256.h"
#include "util.h"

enum { NONCE = 16, TAG = 32 };

static void
derive(const unsigned char key[SEAL_KEY_LEN], const char *use,
	unsigned char out[32])
{
	struct hmac h;

	hmac_init(&h, key, SEAL_KEY_LEN);
	hmac_update(&h, use, strlen(use));
	hmac_final(&h, out);
}

/* XOR p[0..n) with the key stream of nonce. */
static void
crypt_ctr(const unsigned char key[SEAL_KEY_LEN], const unsigned char *nonce,
	unsigned char *p, size_t n)
{
	unsigned char ke[32], block[32], ctr[8];
	uint64_t i;
	size_t k, off;
	int b;

	derive(key, "runjob seal: encryption", ke);
	for (i = 0, off = 0; off < n; i++, off += sizeof(block)) {
		struct hmac h;

		for (b = 0; b < 8; b++)
			ctr[b] = (unsigned char)(i >> (56 - 8 * b));
		hmac_init(&h, ke, sizeof(ke));
		hmac_update(&h, nonce, NONCE);
		hmac_update(&h, ctr, sizeof(ctr));
		hmac_final(&h, block);
		for (k = 0; k < sizeof(block) && off + k < n; k++)
			p[off + k] ^= block[k];
	}
}

static void
tag(const unsigned char key[SEAL_KEY_LEN], const char *context,
	const unsigned char *nonce, const unsigned char *ct, size_t n,
	unsigned char out[TAG])
{
	unsigned char km[32], len[8];
	size_t clen = strlen(context);
	struct hmac h;
	int b;

	derive(key, "runjob seal: authentication", km);
	/* The context's length first, so that no context and ciphertext
	 * can pass for another pair. */
	for (b = 0; b < 8; b++)
		len[b] = (unsigned char)((uint64_t)clen >> (56 - 8 * b));
	hmac_init(&h, km, sizeof(km));
	hmac_update(&h, len, sizeof(len));
	hmac_update(&h, context, clen);
	hmac_update(&h, nonce, NONCE);
	hmac_update(&h, ct, n);
	hmac_final(&h, out);
}

static void
to_hex(char *out, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
}

static int
from_hex(unsigned char *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		int c = s[i], v = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return -1;
		out[i / 2] = (unsigned char)(i % 2 ? out[i / 2] | v : v << 4);
	}
	return 0;
}

char *
seal_context(const char *run, const char *step, const char *output)
{
	/* Neither a run id nor an output name holds a newline, so the
	 * first and last newline tell the three apart. */
	return xasprintf("output\n%s\n%s\n%s", run, step, output);
}

char *
seal(const unsigned char key[SEAL_KEY_LEN], const char *context,
	const char *value)
{
	size_t n = strlen(value), total = NONCE + n + TAG;
	unsigned char *raw = xmalloc(total);
	char *text = xmalloc(2 + 2 * total + 1);

	if (getrandom(raw, NONCE, 0) != NONCE)
		fatal("getrandom: cannot make a nonce");
	memcpy(raw + NONCE, value, n);
	crypt_ctr(key, raw, raw + NONCE, n);
	tag(key, context, raw, raw + NONCE, n, raw + NONCE + n);
	memcpy(text, "1:", 2);
	to_hex(text + 2, raw, total);
	text[2 + 2 * total] = '\0';
	free(raw);
	return text;
}

int
unseal(const unsigned char key[SEAL_KEY_LEN], const char *context,
	const char *sealed, char **value)
{
	size_t len = strlen(sealed), total, n;
	unsigned char *raw, want[TAG], diff = 0;
	size_t i;

	*value = NULL;
	if (len < 2 || memcmp(sealed, "1:", 2) != 0 || (len - 2) % 2)
		return -1;
	total = (len - 2) / 2;
	if (total < NONCE + TAG)
		return -1;
	raw = xmalloc(total);
	if (from_hex(raw, sealed + 2, total) < 0) {
		free(raw);
		return -1;
	}
	n = total - NONCE - TAG;
	tag(key, context, raw, raw + NONCE, n, want);
	for (i = 0; i < TAG; i++)	/* in constant time */
		diff |= want[i] ^ raw[NONCE + n + i];
	if (diff) {
		free(raw);
		return -1;
	}
	crypt_ctr(key, raw, raw + NONCE, n);
	*value = xstrndup((char *)raw + NONCE, n);
	free(raw);
	return 0;
}
