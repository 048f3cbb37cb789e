/* Verification cache: a record's signature is checked once; afterwards the
 * BLAKE2b-256 of its raw bytes (the record hash, signature included, so a
 * forged signature on a known body never hits) is remembered. Small signed
 * messages that are not records (gossip's signed membership updates) are
 * cached the same way, keyed by a hash of (signer, message, signature). Fixed-size
 * open-addressing table with deterministic eviction (no allocation after
 * init, no clock). One cache may be shared by many stores (the simulator
 * does); it is not thread-safe. */
#ifndef WEFT_VCACHE_H
#define WEFT_VCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/record.h"

typedef struct weft_vcache weft_vcache_t;

/* capacity is rounded up to a power of two. */
weft_vcache_t *weft_vcache_new(size_t capacity);
void weft_vcache_free(weft_vcache_t *c);
/* 0 when the signature is good (from the cache or freshly verified and then
 * cached); WEFT_EBADSIG otherwise (bad signatures are not cached). */
int weft_vcache_verify(weft_vcache_t *c, const weft_record_t *r);
/* The same for any message signed with Ed25519 by signer: 0 or
 * WEFT_EBADSIG. The key is BLAKE2b-256 of a domain string, the signer, the
 * signature and the message, so it never meets a record's key. */
int weft_vcache_verify_msg(weft_vcache_t *c, const weft_pk_t *signer, const uint8_t *msg, size_t len,
			   const uint8_t sig[WEFT_SIG_LEN]);

struct weft_vcache_stats {
	uint64_t hits, misses, evictions;
};
void weft_vcache_stats(const weft_vcache_t *c, struct weft_vcache_stats *st);

#endif
