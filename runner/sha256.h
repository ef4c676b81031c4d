/*
 * sha256.h - SHA-256 (FIPS 180-4), for the job text's digest and the
 * journal's chain of event hashes.
 */
#ifndef RUNJOB_SHA256_H
#define RUNJOB_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];		/* the running state */
	uint64_t len;		/* bytes hashed so far */
	unsigned char buf[64];	/* a partial block */
	size_t nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* The digest of p as 64 lower-case hex digits and a NUL, into hex. */
void sha256_hex(const void *p, size_t n, char hex[65]);
void sha256_to_hex(const unsigned char digest[32], char hex[65]);

/* HMAC-SHA256 (RFC 2104), fed in parts like sha256. */
struct hmac {
	struct sha256 inner, outer;
};

void hmac_init(struct hmac *h, const void *key, size_t n);
void hmac_update(struct hmac *h, const void *p, size_t n);
void hmac_final(struct hmac *h, unsigned char out[32]);

#endif
