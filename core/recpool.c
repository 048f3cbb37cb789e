/* The record pool: every distinct record once, keyed by its hash and
 * reference-counted, so thousands of stores (the simulator's nodes) that hold
 * the same records hold one decoded copy of each. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/recpool.h"

struct weft_recpool {
	struct weft_recent **tab;
	size_t mask; /* table size - 1 (a power of two) */
	size_t count;
	/* Private pools only: stores sharing it; the last one frees it. */
	bool private_pool;
	uint32_t stores;
};

#define POOL_MIN 256

static uint64_t be64(const uint8_t b[8])
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

void weft_store_key(unsigned type, const uint8_t subject[32], uint8_t key[8])
{
	/* libsodium's BLAKE2b has a 16-byte minimum output, so the key is the
	 * first 8 bytes of BLAKE2b-128 of (type || subject). */
	uint8_t in[33], out[16];

	in[0] = (uint8_t)type;
	memcpy(in + 1, subject, 32);
	crypto_generichash(out, sizeof(out), in, sizeof(in), NULL, 0);
	memcpy(key, out, 8);
}

void weft_recid_fill(struct weft_recid *id, const weft_record_t *r)
{
	weft_record_subject(r, id->subject);
	weft_store_key(r->type, id->subject, id->key);
	id->k = be64(id->key);
	weft_record_hash(r, id->hash);
}

weft_recpool_t *weft_recpool_new(void)
{
	weft_recpool_t *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->tab = calloc(POOL_MIN, sizeof(*p->tab));
	if (!p->tab) {
		free(p);
		return NULL;
	}
	p->mask = POOL_MIN - 1;
	return p;
}

weft_recpool_t *weft_recpool_new_private(void)
{
	weft_recpool_t *p = weft_recpool_new();

	if (p) {
		p->private_pool = true;
		p->stores = 1;
	}
	return p;
}

void weft_recpool_free(weft_recpool_t *p)
{
	if (!p)
		return;
	/* Every store is gone, so every entry is too; free any stragglers
	 * anyway so a caller's mistake does not become a leak report. */
	for (size_t i = 0; i <= p->mask; i++) {
		struct weft_recent *e = p->tab[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(p->tab);
	free(p);
}

void weft_recpool_hold(weft_recpool_t *p)
{
	if (p->private_pool)
		p->stores++;
}

void weft_recpool_release(weft_recpool_t *p)
{
	if (p->private_pool && --p->stores == 0)
		weft_recpool_free(p);
}

size_t weft_recpool_count(const weft_recpool_t *p)
{
	return p->count;
}

static size_t slot_of(const weft_recpool_t *p, const uint8_t hash[32])
{
	return (size_t)be64(hash) & p->mask;
}

/* Doubling keeps chains short; failure to grow is harmless (longer chains). */
static void pool_grow(weft_recpool_t *p)
{
	size_t n = (p->mask + 1) * 2;
	struct weft_recent **tab = calloc(n, sizeof(*tab));

	if (!tab)
		return;
	for (size_t i = 0; i <= p->mask; i++) {
		struct weft_recent *e = p->tab[i], *next;

		for (; e; e = next) {
			size_t j = (size_t)be64(e->id.hash) & (n - 1);

			next = e->next;
			e->next = tab[j];
			tab[j] = e;
		}
	}
	free(p->tab);
	p->tab = tab;
	p->mask = n - 1;
}

struct weft_recent *weft_recpool_find(const weft_recpool_t *p, const uint8_t hash[32])
{
	struct weft_recent *e;

	for (e = p->tab[slot_of(p, hash)]; e; e = e->next)
		if (!memcmp(e->id.hash, hash, 32))
			return e;
	return NULL;
}

struct weft_recent *weft_recpool_intern(weft_recpool_t *p, const weft_record_t *r, const struct weft_recid *id)
{
	size_t i = slot_of(p, id->hash);
	struct weft_recent *e;

	for (e = p->tab[i]; e; e = e->next) {
		if (!memcmp(e->id.hash, id->hash, 32)) {
			e->refs++;
			return e;
		}
	}
	/* Only the wire bytes used: raw is the record's last field and most
	 * records are a fifth of WEFT_RECORD_MAX, which made the records
	 * half of the daemon's memory at 1,000 members. Whoever copies a
	 * held record out uses weft_record_copy(). */
	e = malloc(offsetof(struct weft_recent, rec) + WEFT_RECORD_USED(r));
	if (!e)
		return NULL;
	e->refs = 1;
	e->id = *id;
	weft_record_copy(&e->rec, r);
	e->next = p->tab[i];
	p->tab[i] = e;
	if (++p->count > p->mask + 1)
		pool_grow(p);
	return e;
}

void weft_recpool_unref(weft_recpool_t *p, struct weft_recent *e)
{
	struct weft_recent **pp;

	if (--e->refs)
		return;
	for (pp = &p->tab[slot_of(p, e->id.hash)]; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	p->count--;
	free(e);
}
