/* The verification cache: remembers records whose signature verified, so a
 * record that arrives again (gossip repeats itself) costs a hash, not an
 * Ed25519 verification. One allocation at creation, none afterwards.
 *
 * The key is BLAKE2b-256 of raw — the whole record, signature included —
 * not of the signed bytes alone: keyed on the signed bytes, a copy of a
 * verified record carrying a forged signature would hit and pass. raw is
 * canonical, so the key names exactly one (signer, body, signature), and it
 * is the record hash the rest of weft already uses. The whole 32 bytes are
 * kept: a truncated key could be matched by a record ground to collide. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "core/vcache.h"

/* A key lives in one of the PROBE slots after its home slot. When they are
 * all taken the least recently used of them goes: deterministic (a counter,
 * not a clock) and bounded work per lookup. */
#define PROBE 8

struct slot {
	uint8_t key[32];
	uint64_t used; /* cache tick of the last hit or insert; 0 = empty */
};

struct weft_vcache {
	size_t mask;
	uint64_t tick;
	struct weft_vcache_stats st;
	struct slot slots[];
};

weft_vcache_t *weft_vcache_new(size_t capacity)
{
	weft_vcache_t *c;
	size_t n = PROBE;

	while (n < capacity) {
		if (n > (SIZE_MAX - sizeof(*c)) / sizeof(struct slot) / 2)
			return NULL;
		n <<= 1;
	}
	c = calloc(1, sizeof(*c) + n * sizeof(struct slot));
	if (!c)
		return NULL;
	c->mask = n - 1;
	return c;
}

void weft_vcache_free(weft_vcache_t *c)
{
	free(c);
}

static size_t home_slot(const weft_vcache_t *c, const uint8_t key[32])
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	return (size_t)h & c->mask;
}

/* The slot that holds key, or NULL with *victim set to the slot to use. */
static struct slot *lookup(weft_vcache_t *c, const uint8_t key[32], struct slot **victim)
{
	size_t home = home_slot(c, key), i;
	struct slot *s;

	*victim = NULL;
	for (i = 0; i < PROBE; i++) {
		s = &c->slots[(home + i) & c->mask];
		if (s->used && memcmp(s->key, key, 32) == 0) {
			s->used = ++c->tick;
			c->st.hits++;
			return s;
		}
		if (!*victim || s->used < (*victim)->used)
			*victim = s;
	}
	c->st.misses++;
	return NULL;
}

static void insert(weft_vcache_t *c, struct slot *victim, const uint8_t key[32])
{
	if (victim->used)
		c->st.evictions++;
	memcpy(victim->key, key, 32);
	victim->used = ++c->tick;
}

int weft_vcache_verify(weft_vcache_t *c, const weft_record_t *r)
{
	struct slot *victim;
	uint8_t key[32];
	int ret;

	/* A hit vouches for raw only; the fields the store acts on (type,
	 * signer, signature) must be the ones raw holds. */
	if (!weft_record_raw_matches(r))
		return WEFT_EBADSIG;
	weft_record_hash(r, key);
	if (lookup(c, key, &victim))
		return 0;
	ret = weft_record_verify(r);
	if (ret)
		return ret; /* never cached: the next copy is checked again */
	insert(c, victim, key);
	return 0;
}

int weft_vcache_verify_msg(weft_vcache_t *c, const weft_pk_t *signer, const uint8_t *msg, size_t len,
			   const uint8_t sig[WEFT_SIG_LEN])
{
	static const char dom[] = "weft-vcache-msg-v1";
	crypto_generichash_state st;
	struct slot *victim;
	uint8_t key[32];

	/* The whole message is hashed, signature and signer included: a hit
	 * names exactly one (signer, message, signature). */
	crypto_generichash_init(&st, NULL, 0, sizeof(key));
	crypto_generichash_update(&st, (const uint8_t *)dom, sizeof(dom) - 1);
	crypto_generichash_update(&st, signer->b, WEFT_PK_LEN);
	crypto_generichash_update(&st, sig, WEFT_SIG_LEN);
	crypto_generichash_update(&st, msg, len);
	crypto_generichash_final(&st, key, sizeof(key));
	if (c && lookup(c, key, &victim))
		return 0;
	if (weft_verify(sig, msg, len, signer))
		return WEFT_EBADSIG;
	if (c)
		insert(c, victim, key);
	return 0;
}

void weft_vcache_stats(const weft_vcache_t *c, struct weft_vcache_stats *st)
{
	*st = c->st;
}
