/*
 * sha256.c - SHA-256, straight from FIPS 180-4; on x86-64 processors
 * with the SHA extensions, their instructions do the blocks, several
 * times faster (audit verify hashes millions of events).
 */
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHANI 1
#endif

#include "sha256.h"

static const uint32_t k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
block_c(struct sha256 *s, const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
			(uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
			(w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^
			(w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
			((e & f) ^ (~e & g)) + k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
			((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

#ifdef HAVE_SHANI
/* The block with the SHA-NI instructions: the state kept as ABEF and
 * CDGH, four rounds at a time, the schedule by sha256msg1 and msg2. */
__attribute__((target("sha,sse4.1")))
static void
block_ni(struct sha256 *s, const unsigned char *p)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
		0x0405060700010203ULL);
	__m128i st0, st1, tmp, abef, cdgh, w, m[4];
	int g;

	tmp = _mm_loadu_si128((const __m128i *)&s->h[0]);
	st1 = _mm_loadu_si128((const __m128i *)&s->h[4]);
	tmp = _mm_shuffle_epi32(tmp, 0xB1);		/* CDAB */
	st1 = _mm_shuffle_epi32(st1, 0x1B);		/* EFGH */
	st0 = _mm_alignr_epi8(tmp, st1, 8);		/* ABEF */
	st1 = _mm_blend_epi16(st1, tmp, 0xF0);		/* CDGH */
	abef = st0;
	cdgh = st1;
	for (g = 0; g < 16; g++) {
		if (g < 4) {
			m[g] = _mm_shuffle_epi8(_mm_loadu_si128(
				(const __m128i *)(p + 16 * g)), mask);
		} else {
			/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] */
			w = _mm_sha256msg1_epu32(m[g & 3], m[(g - 3) & 3]);
			w = _mm_add_epi32(w, _mm_alignr_epi8(m[(g - 1) & 3],
				m[(g - 2) & 3], 4));
			m[g & 3] = _mm_sha256msg2_epu32(w, m[(g - 1) & 3]);
		}
		w = _mm_add_epi32(m[g & 3], _mm_loadu_si128(
			(const __m128i *)&k[4 * g]));
		st1 = _mm_sha256rnds2_epu32(st1, st0, w);
		w = _mm_shuffle_epi32(w, 0x0E);
		st0 = _mm_sha256rnds2_epu32(st0, st1, w);
	}
	st0 = _mm_add_epi32(st0, abef);
	st1 = _mm_add_epi32(st1, cdgh);
	tmp = _mm_shuffle_epi32(st0, 0x1B);		/* FEBA */
	st1 = _mm_shuffle_epi32(st1, 0xB1);		/* DCHG */
	st0 = _mm_blend_epi16(tmp, st1, 0xF0);		/* DCBA */
	st1 = _mm_alignr_epi8(st1, tmp, 8);		/* HGFE */
	_mm_storeu_si128((__m128i *)&s->h[0], st0);
	_mm_storeu_si128((__m128i *)&s->h[4], st1);
}

static int
have_shani(void)
{
	static int known = -1;
	unsigned a, b, c, d;

	if (known < 0)
		known = __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
			(b & (1u << 29)) && __get_cpuid(1, &a, &b, &c, &d) &&
			(c & (1u << 19));	/* SHA, and SSE4.1 */
	return known;
}
#endif

static void
block(struct sha256 *s, const unsigned char *p)
{
#ifdef HAVE_SHANI
	if (have_shani()) {
		block_ni(s, p);
		return;
	}
#endif
	block_c(s, p);
}

void
sha256_init(struct sha256 *s)
{
	static const uint32_t init[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, init, sizeof(init));
	s->len = 0;
	s->nbuf = 0;
}

void
sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;

	s->len += n;
	if (s->nbuf) {
		size_t take = 64 - s->nbuf < n ? 64 - s->nbuf : n;

		memcpy(s->buf + s->nbuf, p, take);
		s->nbuf += take;
		p += take;
		n -= take;
		if (s->nbuf < 64)
			return;
		block(s, s->buf);
		s->nbuf = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		block(s, p);
	memcpy(s->buf, p, n);
	s->nbuf = n;
}

void
sha256_final(struct sha256 *s, unsigned char out[32])
{
	uint64_t bits = s->len * 8;
	unsigned char pad[72] = { 0x80 };
	size_t npad = (s->nbuf < 56 ? 56 : 120) - s->nbuf;
	int i;

	for (i = 0; i < 8; i++)
		pad[npad + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(s, pad, npad + 8);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(s->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)s->h[i];
	}
}

void
sha256_to_hex(const unsigned char digest[32], char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[64] = '\0';
}

void
sha256_hex(const void *p, size_t n, char hex[65])
{
	struct sha256 s;
	unsigned char d[32];

	sha256_init(&s);
	sha256_update(&s, p, n);
	sha256_final(&s, d);
	sha256_to_hex(d, hex);
}

void
hmac_init(struct hmac *h, const void *key, size_t n)
{
	unsigned char kb[64] = {0}, pad[64];
	int i;

	if (n > sizeof(kb)) {
		sha256_init(&h->inner);
		sha256_update(&h->inner, key, n);
		sha256_final(&h->inner, kb);
	} else {
		memcpy(kb, key, n);
	}
	for (i = 0; i < 64; i++)
		pad[i] = kb[i] ^ 0x36;
	sha256_init(&h->inner);
	sha256_update(&h->inner, pad, sizeof(pad));
	for (i = 0; i < 64; i++)
		pad[i] = kb[i] ^ 0x5c;
	sha256_init(&h->outer);
	sha256_update(&h->outer, pad, sizeof(pad));
}

void
hmac_update(struct hmac *h, const void *p, size_t n)
{
	sha256_update(&h->inner, p, n);
}

void
hmac_final(struct hmac *h, unsigned char out[32])
{
	unsigned char d[32];

	sha256_final(&h->inner, d);
	sha256_update(&h->outer, d, sizeof(d));
	sha256_final(&h->outer, out);
}
