#ifndef PLANC_SHA256_H
#define PLANC_SHA256_H
#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4): the plan digest and the audit trail's hash chain.
 * The same function as planner/sha256.ts; test/unit/sha256.test.ts checks
 * both against the standard's test vectors and against each other. */
struct sha256 {
	uint32_t h[8];
	uint64_t len;    /* bytes hashed so far */
	uint8_t buf[64]; /* a partial block */
	size_t n;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);
void sha256(const void *data, size_t len, uint8_t out[32]);
/* 64 lower-case hex digits and a NUL. */
void sha256_hex(const uint8_t digest[32], char out[65]);

#endif
